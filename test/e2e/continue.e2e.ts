/**
 * "Continue in PyTorch", end to end: the tab trains 2 epochs, the zip is downloaded through the
 * panel's button, `python train.py --epochs 1` trains epoch 3 in PyTorch, and its per-step losses
 * match the tab's own epoch 3 ("Train 1 more epochs") within 1e-5 relative: an MLP with Adam, an MLP
 * with SGD + momentum + step decay (decaying every epoch), and a CNN with RMSprop. On the Adam run
 * also: torchrun --nproc_per_node=2 (gloo, CPU) matches one process, train.ipynb validates against
 * the nbformat schema and its code cells run in order, and the checkpoint PyTorch wrote uploads into a
 * fresh tab whose next epoch matches PyTorch's own next epoch. Every torch we check (1.13 on the
 * host, 2.x in the trixie root) runs the same checks, batched into one check_continue.py call each.
 */
import { test, expect, type Page } from '@playwright/test';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { ADVANCED_TRAINING, PYTORCH_CODE, openFold } from './folds';
import { runScript, torchPythons, type TorchPython } from '../python/torch-versions';
import { setUpSpiral } from './spiral';

const CHECK = 'test/python/check_continue.py';
const TORCHES = torchPythons();
const TOLERANCE = 1e-5;

interface Continued {
  torch: string;
  files: string[];
  printed: string;
  checkpoint: string;
  start: number;
  steps: number;
  max_rel: number;
  ddp_max_rel?: number;
  without_data?: { refused_code: number; refused: string; then: string };
  nbformat?: string;
  code_cells?: number;
}

function python(torch: TorchPython, dir: string, args: string[]): Record<string, unknown> {
  return JSON.parse(runScript(torch, dir, CHECK, args)) as Record<string, unknown>;
}

async function download(page: Page, click: () => Promise<void>, dir: string): Promise<string> {
  const [file] = await Promise.all([page.waitForEvent('download'), click()]);
  const path = join(dir, file.suggestedFilename());
  await file.saveAs(path);
  return path;
}

const trainCell = (page: Page) => page.getByRole('region', { name: 'Train', exact: true });
const progress = (page: Page) => page.getByRole('progressbar', { name: 'Training progress' });

async function trainTo(page: Page, epoch: number, click: () => Promise<void>) {
  await click();
  await expect(progress(page)).toHaveAttribute('aria-valuenow', String(epoch), { timeout: 240_000 });
  await expect(trainCell(page).getByRole('button', { name: /^Train/ }).first()).toBeEnabled();
}

async function trainMore(page: Page, epoch: number) {
  await trainCell(page).getByLabel('More epochs').fill('1');
  await trainTo(page, epoch, () => trainCell(page).getByRole('button', { name: 'Train 1 more epochs' }).click());
}

/**
 * Trains the set-up notebook 2 epochs, downloads the zip, trains epoch 3 in the tab and downloads
 * that checkpoint; then checks PyTorch's epoch 3 against it on every torch. Returns the folder, the
 * zip and the tab's epoch-3 bundle.
 */
async function continueAndCompare(page: Page, flags: (torch: TorchPython) => string[] = () => [], withoutData = false) {
  const dir = mkdtempSync(join(tmpdir(), 'tab-trainer-continue-'));
  await trainTo(page, 2, () => page.getByRole('button', { name: 'Train', exact: true }).click());
  await openFold(page, PYTORCH_CODE);
  const panel = page.getByRole('region', { name: 'Continue in PyTorch' });
  await expect(panel.getByLabel(/Include the dataset/)).toBeChecked();
  const zip = await download(page, () => panel.getByRole('button', { name: 'Continue in PyTorch' }).click(), dir);
  expect(basename(zip)).toBe('notebook-epoch2-pytorch.zip');
  if (withoutData) {
    await panel.getByLabel(/Include the dataset/).uncheck();
    const [file] = await Promise.all([page.waitForEvent('download'), panel.getByRole('button', { name: 'Continue in PyTorch' }).click()]);
    await file.saveAs(join(dir, 'without-data.zip'));
  }
  await trainMore(page, 3);
  const browser3 = await download(page, () => trainCell(page).getByRole('button', { name: 'Download checkpoint' }).click(), dir);
  const results = TORCHES.map((torch) => ({ torch, out: python(torch, dir, ['continue', basename(zip), basename(browser3), ...flags(torch)]) as unknown as Continued }));
  for (const { torch, out } of results) {
    console.log(`${torch.label}: ${out.steps} steps from step ${out.start}, max relative difference ${out.max_rel.toExponential(2)}` +
      (out.ddp_max_rel !== undefined ? `; torchrun x2 vs one process ${out.ddp_max_rel.toExponential(2)}` : ''));
    expect(out.files, torch.label).toEqual(['README.txt', 'bundle.pt', 'train.ipynb', 'train.py']);
    expect(out.printed, torch.label).toMatch(/epoch 3 · step \d+ · train loss [\d.]+ · val loss [\d.]+/);
    expect(out.max_rel, torch.label).toBeLessThan(TOLERANCE);
  }
  return { dir, results };
}

test('MLP + Adam: PyTorch continues as the tab does, under torchrun too, and the tab takes its checkpoint back', async ({ page, browser }) => {
  await setUpSpiral(page, 2);
  // The notebook runs on /usr/bin/python3 (torch 1.13), which has nbformat (python3-nbformat).
  const { dir, results } = await continueAndCompare(page, (torch) => (torch.major === 1 ? ['ddp', 'notebook'] : ['ddp']));
  for (const { torch, out } of results) {
    // torchrun x2 on every torch (Debian's 2.x, built without libuv, through a file rendezvous).
    expect(out.ddp_max_rel, torch.label).toBeLessThan(TOLERANCE);
    if (torch.major === 1) {
      expect(out.nbformat, torch.label).toBe('4.5');
      expect(out.code_cells, torch.label).toBe(5);
    }
  }

  // Back: the checkpoint of the last torch checked (2.x when there) uploads into a fresh tab, whose
  // charts hold PyTorch's epoch, and the tab's next epoch matches PyTorch's own next epoch.
  const { torch, out } = results[results.length - 1];
  const fresh = await (await browser.newContext()).newPage();
  await fresh.goto('/?backend=cpu');
  await fresh.getByLabel('Upload checkpoint').setInputFiles(join(dir, out.checkpoint));
  await expect(fresh.getByText(`Loaded ${basename(out.checkpoint)}: epoch 3 · step 75.`, { exact: false })).toBeVisible();
  await expect(progress(fresh)).toHaveAttribute('aria-valuenow', '3');
  await trainMore(fresh, 4);
  const browser4 = await download(fresh, () => trainCell(fresh).getByRole('button', { name: 'Download checkpoint' }).click(), dir);
  const next = python(torch, dir, ['next', out.checkpoint, basename(browser4)]) as { start: number; steps: number; max_rel: number };
  console.log(`${torch.label}: the tab's epoch 4 from PyTorch's checkpoint vs PyTorch's: ${next.max_rel.toExponential(2)}`);
  expect(next).toMatchObject({ start: 75, steps: 25 });
  expect(next.max_rel).toBeLessThan(TOLERANCE);
});

test('MLP + SGD with momentum and step decay: PyTorch continues as the tab does; without the data it asks for --data', async ({ page }) => {
  await setUpSpiral(page, 2);
  await page.getByLabel('Learning rate', { exact: true }).fill('0.1');
  await page.getByLabel('Optimizer', { exact: true }).selectOption('sgd');
  await openFold(page, ADVANCED_TRAINING);
  await page.getByLabel('Schedule', { exact: true }).selectOption('step');
  await page.getByLabel('Decay every (epochs)').fill('1');
  await page.getByLabel('Decay factor').fill('0.5');
  const { results } = await continueAndCompare(page, () => ['without-data.zip'], true);
  for (const { torch, out } of results) {
    expect(out.printed, torch.label).toContain('lr 0.0125'); // 0.1 × 0.5³ after epoch 3
    // Downloaded without its data, train.py says why and what to do, then trains from --data.
    expect(out.without_data?.refused_code, torch.label).not.toBe(0);
    expect(out.without_data?.refused, torch.label).toContain('"Include the dataset" was unticked');
    expect(out.without_data?.refused, torch.label).toContain('--data FILE');
    expect(out.without_data?.then, torch.label).toMatch(/epoch 3 · step 75 · train loss/);
  }
});

test('CNN + RMSprop on digits: PyTorch continues as the tab does', async ({ page }) => {
  await page.goto('/?backend=wasm');
  await page.getByLabel('Dataset', { exact: true }).selectOption({ label: 'Digits (MNIST)' });
  await page.getByLabel('Preset', { exact: true }).selectOption('CNN small');
  await page.getByLabel('Epochs', { exact: true }).fill('2');
  await page.getByLabel('Batch size', { exact: true }).fill('500');
  await page.getByLabel('Learning rate', { exact: true }).fill('0.001');
  await page.getByLabel('Optimizer', { exact: true }).selectOption('rmsprop');
  await continueAndCompare(page);
});
