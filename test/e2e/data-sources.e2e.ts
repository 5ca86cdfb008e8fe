/**
 * Data sources as plug-ins, through the UI: the "two moons" source (added as one folder and one
 * registry line) trains, its limits are the ones the source declares; an uploaded CSV is stored once,
 * by content, and referenced by id from the notebook and every checkpoint (never copied into them),
 * travels inside a downloaded bundle to another browser, and is freed when nothing uses it anymore.
 */
import { test, expect, type Page } from '@playwright/test';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { runScript, torchPythons } from '../python/torch-versions';

const trainCell = (page: Page) => page.getByRole('region', { name: 'Train', exact: true });
const progress = (page: Page) => page.getByRole('progressbar', { name: 'Training progress' });

async function train(page: Page, epochs: number) {
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await expect(progress(page)).toHaveAttribute('aria-valuenow', String(epochs), { timeout: 150_000 });
  await expect(page.getByRole('button', { name: 'Train', exact: true })).toBeEnabled();
}

/** Everything the checkpoint database holds under `file:` and in checkpoint records, read with raw IndexedDB. */
async function stored(page: Page): Promise<{ files: { id: string; name: string; bytes: number[] }[]; csvInRecords: unknown[] }> {
  return page.evaluate(
    () =>
      new Promise((resolve, reject) => {
        const open = indexedDB.open('tab-trainer-checkpoints');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const tx = open.result.transaction('kv');
          const store = tx.objectStore('kv');
          const all = store.getAll();
          const keys = store.getAllKeys();
          tx.oncomplete = () => {
            const values = all.result as { name?: string; bytes?: Uint8Array; config?: { data: { csv?: unknown } } }[];
            const names = keys.result.map(String);
            const files = names.flatMap((k, i) => (k.startsWith('file:') ? [{ id: k.slice(5), name: values[i].name!, bytes: Array.from(values[i].bytes!) }] : []));
            const csvInRecords = names.flatMap((k, i) => (k.startsWith('ckpt:') ? [values[i].config!.data.csv] : []));
            open.result.close();
            resolve({ files, csvInRecords });
          };
        };
      }),
  );
}

test('two moons: one folder and one registry line make a source that trains, with its declared limits', async ({ page }) => {
  await page.goto('/?backend=cpu');
  await page.getByLabel('Dataset', { exact: true }).selectOption({ label: 'Two moons (2D)' });
  const samples = page.getByLabel('Samples', { exact: true });
  await expect(samples).toHaveAttribute('min', '10');
  await expect(samples).toHaveAttribute('max', '100000');
  await expect(page.getByLabel('Noise', { exact: true })).toHaveAttribute('max', '10');
  await expect(page.getByText('Classification · input 2 · 800 training / 200 validation samples · 2 classes: upper, lower')).toBeVisible();
  await page.getByLabel('Preset', { exact: true }).selectOption('Tiny MLP');
  await page.getByLabel('Epochs', { exact: true }).fill('3');
  await train(page, 3);
  await expect(page.getByText(/Evaluation accuracy: \d+(\.\d+)?%/)).toBeVisible();
  await samples.fill('5');
  await expect(page.getByRole('alert').filter({ hasText: 'Samples must be a whole number from 10 to 100,000, got 5.' })).toBeVisible();
});

test('an uploaded CSV is stored once and referenced by id; a bundle carries it to another browser; unused files are freed', async ({ page, browser }) => {
  test.setTimeout(300_000);
  const dir = mkdtempSync(join(tmpdir(), 'tab-trainer-csv-'));
  // ';'-separated, so the Label picker must read the header as the dataset does (not "f1;f2;label").
  const rows = Array.from({ length: 80 }, (_, i) => `${(i % 7) - 3};${(i % 5) * 0.5};${i % 2 ? 'odd' : 'even'}`);
  const csvPath = join(dir, 'parity.csv');
  writeFileSync(csvPath, ['f1;f2;label', ...rows].join('\n'));
  const csvBytes = Array.from(readFileSync(csvPath));

  await page.goto('/?backend=cpu');
  await page.getByLabel('Dataset', { exact: true }).selectOption({ label: 'CSV upload' });
  await page.getByLabel('CSV file').setInputFiles(csvPath);
  const label = page.getByLabel('Label column');
  await expect(label.locator('option')).toHaveText(['f1', 'f2', 'label']);
  await expect(label).toHaveValue('label');
  await expect(page.getByText('Classification · input 2 · 64 training / 16 validation samples · 2 classes: even, odd')).toBeVisible();
  await page.getByLabel('Preset', { exact: true }).selectOption('Tiny MLP');
  await page.getByLabel('Epochs', { exact: true }).fill('2');
  await train(page, 2);

  let s = await stored(page);
  expect(s.files).toHaveLength(1);
  const [file] = s.files;
  expect([file.name, file.bytes]).toEqual(['parity.csv', csvBytes]);
  expect(s.csvInRecords.length).toBeGreaterThanOrEqual(2);
  for (const csv of s.csvInRecords) expect(csv).toEqual({ fileName: 'parity.csv', fileId: file.id, columns: ['f1', 'f2', 'label'], labelColumn: 'label', task: 'classification' });

  // The same file again: still one copy.
  await page.getByLabel('CSV file').setInputFiles(csvPath);
  await expect(page.getByText('parity.csv', { exact: true })).toBeVisible();
  expect((await stored(page)).files.map((f) => f.id)).toEqual([file.id]);

  // Its bundle carries the file to a browser that never saw it, where the run's data loads again.
  const [download] = await Promise.all([page.waitForEvent('download'), trainCell(page).getByRole('button', { name: 'Download checkpoint' }).click()]);
  const bundlePath = join(dir, download.suggestedFilename());
  await download.saveAs(bundlePath);
  // PyTorch reads it (weights_only=True on torch 2.x) and finds the file, its id its SHA-256.
  for (const torch of torchPythons()) {
    const got = JSON.parse(runScript(torch, dirname(bundlePath), 'test/python/check_download.py', ['data-files', basename(bundlePath)]));
    expect(got, torch.label).toMatchObject({
      format_version: 2,
      about: { family: 'stack', task: 'classification', input_dtype: 'float32', steps_per_epoch: 2 },
      input_shape: [2],
      num_outputs: 2,
      data_files: { [file.id]: { name: 'parity.csv', size: csvBytes.length, dtype: 'torch.uint8' } },
      csv: { fileName: 'parity.csv', fileId: file.id, labelColumn: 'label' },
    });
  }
  const other = await (await browser.newContext()).newPage();
  await other.goto('/?backend=cpu');
  await expect(other.getByText('Total parameters: 371')).toBeVisible();
  await other.getByLabel('Upload checkpoint').setInputFiles(bundlePath);
  await expect(other.getByText(new RegExp(`^Loaded ${download.suggestedFilename().replace('.', '\\.')}: epoch 2`))).toBeVisible();
  await expect(other.getByLabel('Dataset', { exact: true })).toHaveValue('csv');
  await expect(other.getByText('Classification · input 2 · 64 training / 16 validation samples · 2 classes: even, odd')).toBeVisible();
  const there = await stored(other);
  expect(there.files.map((f) => [f.id, f.name, f.bytes])).toEqual([[file.id, 'parity.csv', csvBytes]]);
  await other.context().close();

  // Another file replaces it in the notebook; the first stays while the run uses it ...
  const otherPath = join(dir, 'other.csv');
  writeFileSync(otherPath, ['a,b,label', ...rows.map((r) => r.replaceAll(';', ','))].join('\n'));
  await page.getByLabel('CSV file').setInputFiles(otherPath);
  await expect(page.getByText('other.csv', { exact: true })).toBeVisible();
  await expect.poll(async () => (await stored(page)).files.map((f) => f.name).sort()).toEqual(['other.csv', 'parity.csv']);
  // ... and while the run is kept: Start fresh leaves it stored, in the Runs cell ...
  await page.getByRole('button', { name: 'Start fresh' }).click();
  await page.getByRole('dialog', { name: 'Start fresh?' }).getByRole('button', { name: 'Start fresh' }).click();
  const runs = page.getByRole('region', { name: 'Runs' });
  await expect(runs.getByRole('table', { name: 'Runs' }).locator('tbody tr td:nth-child(2)')).toHaveText(['finished', 'finished']);
  expect((await stored(page)).files.map((f) => f.name).sort()).toEqual(['other.csv', 'parity.csv']);
  // ... and is freed with the last run that used it, once that run is deleted (after its undo window).
  await runs.getByRole('button', { name: 'Delete Run 1' }).click();
  await page.getByRole('dialog', { name: 'Delete Run 1?' }).getByRole('button', { name: 'Delete run' }).click();
  await expect.poll(async () => (await stored(page)).files.map((f) => f.name), { timeout: 30_000 }).toEqual(['other.csv']);
  // Start fresh trained the new run at once: its checkpoints refer to the notebook's file, by id.
  s = await stored(page);
  for (const csv of s.csvInRecords) expect(csv).toMatchObject({ fileName: 'other.csv', fileId: s.files[0].id });
});
