import { test, expect, type Page } from '@playwright/test';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ADVANCED_TRAINING, openFold } from './folds';
import { LONG_SPIRAL, setUpSpiral } from './spiral';

/** The Runs cell (issue 9): every stored run listed, its lineage, its checkpoints, delete with undo. */
const cell = (page: Page) => page.getByRole('region', { name: 'Runs' });
const runRows = (page: Page) => cell(page).getByRole('table', { name: 'Runs' }).locator('tbody tr[data-run-id]');
const progress = (page: Page) => page.getByRole('progressbar', { name: 'Training progress' });
const checkpointsCell = (page: Page) => page.getByRole('region', { name: 'Checkpoints' });
/** Column text of every run row, oldest run first. */
const column = (page: Page, n: number) => runRows(page).locator(`td:nth-child(${n})`).allTextContents();
const STATUS = 2, STARTED = 3, SETUP = 4, EPOCHS = 5, BEST = 6, LINEAGE = 9;

async function trainTo(page: Page, epochs: number): Promise<void> {
  await expect(progress(page)).toHaveAttribute('aria-valuenow', String(epochs));
  await expect(page.getByRole('button', { name: /^(Train|Resume training)$/ })).toBeEnabled();
}

test('lists every run with its setup and lineage; Load weights only and Start fresh ask first and keep the run they leave', async ({ page }) => {
  await setUpSpiral(page, 2);
  await expect(page.getByText('All changes saved')).toBeVisible();
  await expect(cell(page).getByText('No runs stored yet')).toBeVisible();
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await trainTo(page, 2);

  await expect(runRows(page)).toHaveCount(1);
  expect(await column(page, STATUS)).toEqual(['finished']);
  expect(await column(page, EPOCHS)).toEqual(['2/2']);
  expect((await column(page, SETUP))[0]).toBe('Spiral (2D) · Tiny MLP · Adam 0.01');
  expect((await column(page, STARTED))[0]).toMatch(/\d{4}/); // a date, not a clock time alone
  expect((await column(page, BEST))[0]).toMatch(/^\d\.\d+ \(epoch [12]\)$/);
  expect(await column(page, LINEAGE)).toEqual(['from scratch']);
  await expect(cell(page).getByLabel('Name of Run 1')).toHaveValue('Run 1');

  // Load weights only says what it will do; Cancel changes nothing.
  const newest = checkpointsCell(page).getByRole('button', { name: /^Load weights only: final checkpoint at epoch 2/ });
  await newest.click();
  const dialog = page.getByRole('dialog', { name: 'Start a new run from these weights?' });
  await expect(dialog).toContainText('Run 1 stays stored and listed in the Runs cell');
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await expect(dialog).toBeHidden();
  await expect(runRows(page)).toHaveCount(1);
  await expect(page.getByRole('button', { name: 'Train', exact: true })).toBeEnabled();

  await newest.click();
  await dialog.getByRole('button', { name: 'Start new run' }).click();
  await trainTo(page, 2);
  await expect(runRows(page)).toHaveCount(2);
  expect(await column(page, LINEAGE)).toEqual(['from scratch', 'weights from Run 1, epoch 2']);
  expect(await column(page, STATUS)).toEqual(['finished', 'finished']);
  await expect(runRows(page).nth(1)).toContainText('in the notebook');

  // A new name shows in the lineage of the run that took its weights.
  const name = cell(page).getByLabel('Name of Run 1');
  await name.fill('baseline');
  await name.press('Enter');
  await expect(cell(page).getByLabel('Name of baseline')).toHaveValue('baseline');
  expect(await column(page, LINEAGE)).toEqual(['from scratch', 'weights from baseline, epoch 2']);

  // Start fresh says the run it leaves stays, and it does.
  await page.getByRole('button', { name: 'Start fresh' }).click();
  const fresh = page.getByRole('dialog', { name: 'Start fresh?' });
  await expect(fresh).toContainText('Run 2 and its');
  await fresh.getByRole('button', { name: 'Start fresh' }).click();
  await trainTo(page, 2);
  await expect(runRows(page)).toHaveCount(3);
  expect(await column(page, LINEAGE)).toEqual(['from scratch', 'weights from baseline, epoch 2', 'from scratch']);

  // Names and lineage are kept across a reload.
  await page.reload();
  await expect(runRows(page)).toHaveCount(3);
  await expect(cell(page).getByLabel('Name of baseline')).toBeVisible();
  expect(await column(page, LINEAGE)).toEqual(['from scratch', 'weights from baseline, epoch 2', 'from scratch']);
});

test('opens a run\'s checkpoints, continues an earlier run, deletes with confirmation and undo', async ({ page }) => {
  await setUpSpiral(page, 2);
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await trainTo(page, 2);
  await page.getByLabel('Epochs', { exact: true }).fill('3');
  await page.getByRole('button', { name: 'Start fresh' }).click();
  await page.getByRole('dialog', { name: 'Start fresh?' }).getByRole('button', { name: 'Start fresh' }).click();
  await trainTo(page, 3);
  await expect(runRows(page)).toHaveCount(2);
  await expect(cell(page).getByLabel('Storage totals')).toContainText(/^2 runs with \d+ checkpoints: [\d.]+ KB in this browser; the site uses/);

  // Open: the run's checkpoints, newest first, with the best badge on the lowest validation loss.
  await cell(page).getByRole('button', { name: 'Checkpoints of Run 1' }).click();
  const list = cell(page).getByRole('table', { name: 'Checkpoints of Run 1' });
  await expect(list).toBeVisible();
  const epochs = (await list.locator('tbody tr td:nth-child(2)').allTextContents()).map(Number);
  expect(epochs[0]).toBe(2);
  const losses = (await list.locator('tbody tr td:nth-child(4)').allTextContents()).map(Number);
  const badged = list.locator('tbody tr').filter({ has: page.getByLabel('lowest validation loss') });
  await expect(badged).toHaveCount(1);
  expect(Number(await badged.locator('td:nth-child(4)').textContent())).toBe(Math.min(...losses));

  // The notebook's own run cannot be deleted from here; another one can, after a confirmation.
  await expect(cell(page).getByRole('button', { name: 'Delete Run 2' })).toBeDisabled();
  await cell(page).getByRole('button', { name: 'Delete Run 1' }).click();
  const confirm = page.getByRole('dialog', { name: 'Delete Run 1?' });
  await expect(confirm).toContainText('You can undo it for 10 seconds');
  await confirm.getByRole('button', { name: 'Cancel' }).click();
  await expect(runRows(page)).toHaveCount(2);
  await cell(page).getByRole('button', { name: 'Delete Run 1' }).click();
  await confirm.getByRole('button', { name: 'Delete run' }).click();
  await expect(runRows(page)).toHaveCount(1);
  await cell(page).getByRole('status').filter({ hasText: 'Deleted Run 1.' }).getByRole('button', { name: 'Undo' }).click();
  await expect(runRows(page)).toHaveCount(2);
  // Undo restored it as it was, and it can be continued in the notebook.
  await cell(page).getByRole('button', { name: 'Continue Run 1 in the notebook' }).click();
  await page.getByRole('dialog', { name: 'Continue Run 1 in the notebook?' }).getByRole('button', { name: 'Continue this run' }).click();
  await expect(page.getByLabel('Epochs', { exact: true })).toHaveValue('2');
  await expect(runRows(page).first()).toContainText('in the notebook');
  await expect(page.getByText(/^Run finished: epoch 2\/2/)).toBeVisible();

  // Deleted for good once the undo window passes: gone after a reload too.
  await cell(page).getByRole('button', { name: 'Delete Run 2' }).click();
  await page.getByRole('dialog', { name: 'Delete Run 2?' }).getByRole('button', { name: 'Delete run' }).click();
  await expect(runRows(page)).toHaveCount(1);
  await expect(cell(page).getByText('Deleted Run 2.')).toBeHidden({ timeout: 20_000 });
  await page.reload();
  await expect(runRows(page)).toHaveCount(1);
  await expect(cell(page).getByLabel('Storage totals')).toContainText(/^1 run with/);
});

test('a run stored before the Runs cell (no summary, no label) is still listed', async ({ page }) => {
  await setUpSpiral(page, 2);
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await trainTo(page, 2);
  await expect(runRows(page)).toHaveCount(1);
  // Make the manifest look like one written before this change.
  await page.evaluate(async () => {
    const db = await new Promise<IDBDatabase>((ok, fail) => {
      const r = indexedDB.open('tab-trainer-checkpoints');
      r.onsuccess = () => ok(r.result);
      r.onerror = () => fail(r.error);
    });
    const tx = db.transaction('kv', 'readwrite');
    const kv = tx.objectStore('kv');
    const keys = await new Promise<IDBValidKey[]>((ok) => (kv.getAllKeys().onsuccess = (e) => ok((e.target as IDBRequest<IDBValidKey[]>).result)));
    for (const key of keys.map(String)) {
      if (key.startsWith('label:')) kv.delete(key);
      if (!key.startsWith('manifest:')) continue;
      const m = await new Promise<Record<string, unknown>>((ok) => (kv.get(key).onsuccess = (e) => ok((e.target as IDBRequest).result)));
      delete m.summary;
      kv.put(m, key);
    }
    await new Promise((ok) => (tx.oncomplete = ok));
    db.close();
  });
  await page.reload();
  await expect(runRows(page)).toHaveCount(1);
  expect((await column(page, SETUP))[0]).toBe('Spiral (2D) · Tiny MLP · Adam 0.01');
  expect(await column(page, EPOCHS)).toEqual(['2/2']);
  expect((await column(page, BEST))[0]).toMatch(/^\d\.\d+ \(epoch [12]\)$/);
  expect(await column(page, LINEAGE)).toEqual(['from scratch']);
});

test('uploading a bundle over a stored run asks first; either way both runs stay listed', async ({ page }) => {
  await setUpSpiral(page, 2);
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await trainTo(page, 2);
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('region', { name: 'Train' }).getByRole('button', { name: 'Download checkpoint' }).click(),
  ]);
  const file = join(mkdtempSync(join(tmpdir(), 'tab-trainer-runs-')), download.suggestedFilename());
  await download.saveAs(file);
  await page.getByLabel('Epochs', { exact: true }).fill('3');
  await page.getByRole('button', { name: 'Start fresh' }).click();
  await page.getByRole('dialog', { name: 'Start fresh?' }).getByRole('button', { name: 'Start fresh' }).click();
  await trainTo(page, 3);

  // Cancel: the notebook stays as it was; the uploaded run is listed with where it came from.
  const dialog = page.getByRole('dialog', { name: 'Switch the notebook to the uploaded run?' });
  await page.getByLabel('Upload checkpoint').setInputFiles(file);
  await expect(dialog).toContainText('The notebook\'s current run stays stored and listed in the Runs cell.');
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await expect(page.getByText(/^The notebook is unchanged\. The run from .* is stored and listed in the Runs cell/)).toBeVisible();
  await expect(page.getByLabel('Epochs', { exact: true })).toHaveValue('3');
  await expect(runRows(page)).toHaveCount(3);
  expect(await column(page, LINEAGE)).toEqual(['from scratch', 'from scratch', `uploaded ${download.suggestedFilename()}`]);
  await expect(runRows(page).nth(1)).toContainText('in the notebook');

  // Switch: the uploaded run becomes the notebook's; the one it leaves stays listed.
  await page.getByLabel('Upload checkpoint').setInputFiles(file);
  await dialog.getByRole('button', { name: 'Switch to uploaded run' }).click();
  await expect(page.getByText(new RegExp(`^Loaded ${download.suggestedFilename().replace('.', '\\.')}: epoch 2`))).toBeVisible();
  await expect(page.getByLabel('Epochs', { exact: true })).toHaveValue('2');
  await expect(runRows(page)).toHaveCount(4);
  await expect(runRows(page).nth(3)).toContainText('in the notebook');
  expect(await column(page, STATUS)).toEqual(['finished', 'finished', 'finished', 'finished']);
});

test('Pause saves a checkpoint; a paused run stays paused after a reopen, which says so at the top with Resume', async ({ page }) => {
  await setUpSpiral(page, 5, LONG_SPIRAL);
  await openFold(page, ADVANCED_TRAINING);
  await page.getByLabel('Resume automatically on reopen').check();
  await page.getByLabel('Save every N steps', { exact: true }).fill('0');
  await expect(page.getByText('All changes saved')).toBeVisible();
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  const step = async () => Number(/step ([\d,]+)/.exec((await page.getByText(/^Training Epoch|^Paused/).first().textContent()) ?? '')?.[1].replace(/,/g, '') ?? 0);
  await expect.poll(step, { timeout: 60_000 }).toBeGreaterThan(650); // past epoch 1's checkpoint, mid-epoch 2
  await page.getByRole('button', { name: 'Pause' }).click();
  await expect(page.getByRole('button', { name: 'Resume', exact: true })).toBeVisible();
  const { step: pausedAt, epoch } = await page.evaluate(async () => await window.__tabTrainer!.engine.readState());
  // The pause saved a checkpoint at the step it stopped at.
  await expect(checkpointsCell(page).getByRole('button', { name: new RegExp(`^Resume from here: manual checkpoint at epoch ${epoch}, step ${pausedAt}$`) })).toBeVisible();
  await expect(runRows(page).locator('td:nth-child(2)')).toHaveText(['paused']);

  await page.reload();
  const banner = page.getByRole('region', { name: 'Your run' });
  await expect(banner).toContainText(`Your run was paused at epoch ${epoch} of 5, just now (a checkpoint was saved then).`);
  await expect(runRows(page).locator('td:nth-child(2)')).toHaveText(['paused']);
  // Auto-resume is on, yet it stays paused: nothing trains until Resume.
  await expect(page.getByRole('button', { name: 'Resume training' })).toBeEnabled();
  await expect(page.getByText(/^Resumed from epoch/)).toHaveCount(0);
  await banner.getByRole('button', { name: 'Resume' }).click();
  await expect(page.getByText(`Resumed from epoch ${epoch} (manual checkpoint, step ${pausedAt.toLocaleString('en-US')}).`)).toBeVisible();
  await expect(banner).toBeHidden();
  await page.getByRole('button', { name: 'Stop' }).click();
  await expect(page.getByRole('region', { name: 'Your run' })).toContainText(/^Your run stopped at epoch \d of 5, just now\./);
  await expect(runRows(page).locator('td:nth-child(2)')).toHaveText(['stopped']);
});

test('settings are locked while a run trains, and an edit on a stopped run is marked as applying to the next run', async ({ page }) => {
  await setUpSpiral(page, 5, LONG_SPIRAL);
  await expect(page.getByText('All changes saved')).toBeVisible();
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await expect(page.getByRole('button', { name: 'Stop' })).toBeEnabled();
  await expect(page.getByLabel('Epochs', { exact: true })).toBeDisabled();
  await expect(page.getByLabel('Learning rate', { exact: true })).toBeDisabled();
  await expect(page.getByText('Locked while this run trains')).toBeVisible();
  await expect(page.getByRole('region', { name: 'Model' }).getByRole('note')).toHaveText(/^Applies to the next run/);
  await expect(page.getByRole('region', { name: 'Data' }).getByRole('note')).toHaveText(/^Applies to the next run/);
  await expect.poll(async () => (await runRows(page).count()), { timeout: 30_000 }).toBe(1);
  await page.getByRole('button', { name: 'Stop' }).click();
  await expect(page.getByRole('button', { name: 'Resume training' })).toBeEnabled();
  await expect(page.getByRole('region', { name: 'Model' }).getByRole('note')).toHaveCount(0);

  await page.getByLabel('Epochs', { exact: true }).fill('9');
  const note = page.getByRole('region', { name: 'Train' }).getByRole('note');
  await expect(note).toContainText("Epochs 9 (the run's plan: 5): applies to the next run only. Resume continues the stopped run as planned");
  await note.getByRole('button', { name: "Show the run's plan" }).click();
  await expect(page.getByLabel('Epochs', { exact: true })).toHaveValue('5');
  await expect(note).toHaveCount(0);
});

test('a notebook open in two tabs stays in sync: an edit in one never silently overwrites the other\'s', async ({ page, context }) => {
  await page.goto('/?backend=cpu');
  await expect(page.getByText('All changes saved')).toBeVisible();
  const second = await context.newPage();
  await second.goto('/?backend=cpu');
  await expect(second.getByText('All changes saved')).toBeVisible();
  const notes = (p: Page) => p.getByRole('textbox', { name: /Notes/ });

  await notes(second).fill('Edited in tab 2');
  await expect(notes(page)).toHaveValue('Edited in tab 2');
  await notes(page).fill('Edited in tab 1');
  await expect(notes(second)).toHaveValue('Edited in tab 1');
  await second.getByLabel('Epochs', { exact: true }).fill('7');
  await expect(page.getByLabel('Epochs', { exact: true })).toHaveValue('7');
  await expect(second.getByText('All changes saved')).toBeVisible();
  await expect(page.getByText('All changes saved')).toBeVisible();

  // What is stored holds both edits, as both tabs show.
  await page.reload();
  await expect(notes(page)).toHaveValue('Edited in tab 1');
  await expect(page.getByLabel('Epochs', { exact: true })).toHaveValue('7');
});
