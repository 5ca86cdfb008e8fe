import { test, expect, type Browser, type Page } from '@playwright/test';
import { ADVANCED_TRAINING, openFold } from './folds';

/**
 * Language models in the tab: GPT nano (nanoGPT's CPU example) on Tiny Shakespeare, trained on the
 * WASM backend, reloaded mid-run and resumed: the resumed run takes exactly the steps an
 * uninterrupted one takes. Losses are in nats, shown with their perplexity. The Generate cell
 * streams characters from the live model, paused or training.
 */
const SAVE_EVERY_STEPS = 2;

async function setUp(page: Page) {
  await page.goto('/?backend=wasm');
  await page.getByLabel('Dataset', { exact: true }).selectOption({ label: 'Tiny Shakespeare (text)' });
  await expect(page.getByText('Vocabulary (65 characters)')).toBeVisible();
  await expect(page.getByText('1,115,394 characters: 1,003,854 for training, 111,540 for validation.')).toBeVisible();
  await expect(page.getByRole('group', { name: 'Text sample 1' }).or(page.getByLabel('Text sample 1'))).toContainText('First Citizen:');
  // Text needs a language model: the notebook switched to GPT nano with nanoGPT's settings.
  await expect(page.getByLabel('Preset', { exact: true })).toHaveValue('GPT nano');
  await expect(page.getByText('Total parameters: 804,096')).toBeVisible();
  await expect(page.getByLabel('Batch size', { exact: true })).toHaveValue('12');
  await expect(page.getByLabel('Optimizer', { exact: true })).toHaveValue('adamw');
  await openFold(page, ADVANCED_TRAINING);
  await page.getByLabel('Save every N steps', { exact: true }).fill(String(SAVE_EVERY_STEPS));
  await expect(page.getByText('All changes saved')).toBeVisible();
}

async function readLosses(page: Page): Promise<number[]> {
  return page.evaluate(async () => Array.from((await window.__tabTrainer!.engine.readState()).stepLosses));
}

/** Trains until at least `steps` steps are done, pauses, and reads every step's loss. */
async function lossesAfter(page: Page, steps: number): Promise<number[]> {
  await page.waitForFunction((n) => {
    const m = /step ([\d,]+)/.exec(document.querySelector('.progress .text')?.textContent ?? '');
    if (!m || Number(m[1].replace(/,/g, '')) < n) return false;
    [...document.querySelectorAll('button')].find((b) => b.textContent?.trim() === 'Pause')?.click();
    return true;
  }, steps, { polling: 'raf', timeout: 240_000 });
  await expect(page.getByText(/^Paused/)).toBeVisible();
  return readLosses(page);
}

async function straightRun(browser: Browser, steps: number): Promise<number[]> {
  const other = await browser.newContext();
  const page = await other.newPage();
  await setUp(page);
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  const losses = await lossesAfter(page, steps);
  await other.close();
  return losses;
}

test('GPT nano trains on Tiny Shakespeare, resumes after a reload bit for bit, shows nats and perplexity, and generates text', async ({ page, browser }) => {
  test.setTimeout(600_000);
  await setUp(page);
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  // Pause once two checkpoints are listed (clicked in the page, no round trip), then reload.
  await page.waitForFunction(() => {
    if (document.querySelectorAll('table[aria-label="Checkpoints"] tbody tr[data-checkpoint-id]').length < 2) return false;
    [...document.querySelectorAll('button')].find((b) => b.textContent?.trim() === 'Pause')?.click();
    return true;
  }, undefined, { polling: 'raf', timeout: 240_000 });
  await expect(page.getByText(/Training loss \d\.\d{4} nats · perplexity \d+\.\d\d/)).toBeVisible();
  await expect(page.getByText(/[\d,]+ tokens\/s/)).toBeVisible();
  await page.reload();

  await expect(page.getByText(/Resume available: epoch 0\/2 · step [\d,]+/)).toBeVisible();
  await page.getByRole('button', { name: 'Resume training' }).click();
  await expect(page.getByText(/Resumed from epoch 0/)).toBeVisible();
  const resumed = await lossesAfter(page, 4 * SAVE_EVERY_STEPS);
  const first = resumed[0];
  expect(first).toBeGreaterThan(Math.log(65) - 0.3); // starts near a uniform guess over 65 characters, in nats
  expect(first).toBeLessThan(Math.log(65) + 0.6);

  // Generate from the live model: characters stream in; the same seed gives the same text.
  const generate = page.getByRole('button', { name: 'Generate', exact: true });
  const output = page.getByLabel('Generated text');
  await page.getByLabel('Prompt', { exact: true }).fill('ROMEO:');
  await page.getByLabel('Characters', { exact: true }).fill('100');
  await generate.click();
  await page.waitForFunction(() => {
    const n = document.querySelector('pre[aria-label="Generated text"]')?.textContent?.length ?? 0;
    return n > 6 && n < 106; // part of it, before the end: it streams
  }, undefined, { polling: 'raf', timeout: 60_000 });
  await expect(generate).toBeEnabled({ timeout: 120_000 });
  const sample = (await output.textContent()) ?? '';
  expect(sample).toMatch(/^ROMEO:[\s\S]{100}$/);
  expect(new Set(sample).size).toBeGreaterThan(3);
  await generate.click();
  await expect(generate).toBeEnabled({ timeout: 120_000 });
  expect(await output.textContent()).toBe(sample);
  // While training: the run goes on between characters.
  await page.getByRole('button', { name: 'Resume', exact: true }).click();
  await expect(page.locator('.progress .text')).toHaveText(/^\s*Training/);
  await page.getByLabel('Sampling seed', { exact: true }).fill('2');
  await generate.click();
  await expect(generate).toBeEnabled({ timeout: 120_000 });
  expect(await output.textContent()).toMatch(/^ROMEO:[\s\S]{100}$/);
  await expect(page.locator('.progress .text')).toHaveText(/^\s*Training/);
  await page.getByRole('button', { name: 'Pause', exact: true }).click();

  const straight = await straightRun(browser, resumed.length);
  expect(straight.slice(0, resumed.length)).toEqual(resumed); // bit-identical on WASM
});
