/**
 * Share, as a teacher hands a setup to a class: a link whose hash holds the notebook (its seeds make
 * the receiver's run the same run) and a notebook file that may carry the latest checkpoint. Opening
 * either asks first, and the receiver's own notebook stays one click away with its checkpoints.
 */
import { test, expect, type Browser, type Page } from '@playwright/test';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ADVANCED_TRAINING, openFold } from './folds';

const progress = (page: Page) => page.getByRole('progressbar', { name: 'Training progress' });
const metric = (page: Page) => page.getByRole('region', { name: 'Train', exact: true }).locator('.metric');
const share = (page: Page) => page.getByRole('region', { name: 'Share' });
const notes = (page: Page) => page.getByLabel('Notes (Markdown)');

async function train(page: Page, epochs: number) {
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await expect(progress(page)).toHaveAttribute('aria-valuenow', String(epochs), { timeout: 150_000 });
  await expect(page.getByRole('button', { name: 'Train', exact: true })).toBeEnabled();
}

/** The teacher's notebook: two moons, noisy, seed 7, Tiny MLP, 3 epochs on the CPU backend (chosen in the cell, so the link carries it). */
async function teacherNotebook(page: Page, epochs: number) {
  await page.goto('/');
  await page.getByLabel('Notebook name').fill('Moons lesson');
  await notes(page).fill('# Lesson 3\n\nWatch the boundary bend.');
  await page.getByLabel('Dataset', { exact: true }).selectOption({ label: 'Two moons (2D)' });
  await page.getByLabel('Noise', { exact: true }).fill('0.25');
  await page.getByLabel('Seed', { exact: true }).fill('7');
  await page.getByLabel('Preset', { exact: true }).selectOption('Tiny MLP');
  await page.getByLabel('Epochs', { exact: true }).fill(String(epochs));
  await openFold(page, ADVANCED_TRAINING);
  await page.getByLabel('Backend', { exact: true }).selectOption('cpu');
}

/** A student's own notebook in a fresh browser, saved before the shared one arrives. */
async function studentPage(browser: Browser): Promise<Page> {
  const page = await (await browser.newContext()).newPage();
  await page.goto('/');
  await notes(page).fill('my own notes');
  await expect(page.getByText('All changes saved')).toBeVisible();
  return page;
}

test('a Share link replays the same run in another browser, asks first, and keeps the receiver\'s notebook', async ({ page, browser }) => {
  test.setTimeout(300_000);
  await teacherNotebook(page, 3);
  await train(page, 3);
  const teacherMetric = await metric(page).textContent();
  expect(teacherMetric).toMatch(/validation loss \d\.\d{4}/);

  await share(page).getByRole('button', { name: 'Share link' }).click();
  const url = await share(page).getByLabel(/Link to this notebook's settings/).inputValue();
  expect(url).toMatch(/#notebook=[A-Za-z0-9_-]+$/);

  const student = await studentPage(browser);
  // Declining changes nothing.
  await student.goto(url);
  const dialog = student.getByRole('dialog', { name: 'Open the notebook “Moons lesson”?' });
  await expect(dialog).toContainText('Two moons (2D) (seed 7) · Tiny MLP · 3 epochs of Adam');
  await dialog.getByRole('button', { name: 'Keep my notebook' }).click();
  await expect(notes(student)).toHaveValue('my own notes');
  await expect(student).not.toHaveURL(/notebook=/);

  // Accepting opens it; the same seeds give the same run.
  await student.goto(url);
  await dialog.getByRole('button', { name: 'Open it' }).click();
  await expect(notes(student)).toHaveValue('# Lesson 3\n\nWatch the boundary bend.');
  await expect(student.getByLabel('Epochs', { exact: true })).toHaveValue('3');
  await expect(student.getByLabel('Noise', { exact: true })).toHaveValue('0.25');
  await train(student, 3);
  await expect(metric(student)).toHaveText(teacherMetric!);

  // A reload does not ask again; the student's own notebook is one click away, and back again.
  await student.reload();
  await expect(notes(student)).toHaveValue('# Lesson 3\n\nWatch the boundary bend.');
  await expect(student.getByRole('dialog')).toHaveCount(0);
  await share(student).getByRole('button', { name: 'Back to my notebook “notebook”' }).click();
  await expect(notes(student)).toHaveValue('my own notes');
  await expect(progress(student)).toHaveAttribute('aria-valuenow', '0');
  await share(student).getByRole('button', { name: 'Back to my notebook “Moons lesson”' }).click();
  await expect(notes(student)).toHaveValue('# Lesson 3\n\nWatch the boundary bend.');
  await expect(metric(student)).toHaveText(teacherMetric!); // its run's checkpoints were kept

  // A link cut short says so and changes nothing.
  await student.goto(url.slice(0, -30));
  await expect(student.getByRole('alert').filter({ hasText: 'Shared notebook not opened' })).toContainText('Your notebook was not changed');
  await expect(notes(student)).toHaveValue('# Lesson 3\n\nWatch the boundary bend.');
});

test('Download notebook carries the latest checkpoint; opening it elsewhere asks, resumes the run, and refuses junk', async ({ page, browser }) => {
  test.setTimeout(300_000);
  const dir = mkdtempSync(join(tmpdir(), 'tab-trainer-share-'));
  await teacherNotebook(page, 2);
  await train(page, 2);
  const teacherMetric = await metric(page).textContent();
  await expect(share(page).getByLabel(/with its latest checkpoint \(epoch 2\)/)).toBeChecked();
  const downloading = page.waitForEvent('download');
  await share(page).getByRole('button', { name: 'Download notebook' }).click();
  const download = await downloading;
  expect(download.suggestedFilename()).toBe('Moons_lesson.notebook.json');
  const file = join(dir, download.suggestedFilename());
  await download.saveAs(file);

  const student = await studentPage(browser);
  const junk = join(dir, 'junk.notebook.json');
  writeFileSync(junk, '{"kind":"tab-trainer-notebook","version":1,"notebook":{"notes":1}}');
  await share(student).getByLabel('Open notebook file').setInputFiles(junk);
  await expect(share(student).getByRole('alert')).toContainText('junk.notebook.json could not be opened: its notebook is unusable (notes missing). Your notebook was not changed.');

  await share(student).getByLabel('Open notebook file').setInputFiles(file);
  const dialog = student.getByRole('dialog', { name: 'Open the notebook “Moons lesson”?' });
  await expect(dialog).toContainText('with a checkpoint to resume');
  await dialog.getByRole('button', { name: 'Open it' }).click();
  await expect(share(student).getByRole('status').filter({ hasText: 'Opened “Moons lesson”' })).toContainText('with its checkpoint');
  await expect(notes(student)).toHaveValue('# Lesson 3\n\nWatch the boundary bend.');
  await expect(progress(student)).toHaveAttribute('aria-valuenow', '2');
  await expect(metric(student)).toHaveText(teacherMetric!);
  // The run came with it: one more epoch continues it from epoch 2.
  await student.getByLabel('More epochs').fill('1');
  await student.getByRole('button', { name: 'Train 1 more epochs' }).click();
  await expect(progress(student)).toHaveAttribute('aria-valuenow', '3', { timeout: 150_000 });
});

test('a notebook on a CSV: the link says it cannot carry the file; the notebook file carries it to another browser', async ({ page, browser }) => {
  const dir = mkdtempSync(join(tmpdir(), 'tab-trainer-share-csv-'));
  const csvPath = join(dir, 'parity.csv');
  writeFileSync(csvPath, ['a,b,label', ...Array.from({ length: 60 }, (_, i) => `${i % 7},${i % 3},${i % 2 ? 'odd' : 'even'}`)].join('\n'));
  const preview = 'Classification · input 2 · 48 training / 12 validation samples · 2 classes: even, odd';
  await page.goto('/');
  await page.getByLabel('Dataset', { exact: true }).selectOption({ label: 'CSV upload' });
  await page.getByLabel('CSV file').setInputFiles(csvPath);
  await expect(page.getByText(preview)).toBeVisible();
  await share(page).getByRole('button', { name: 'Share link' }).click();
  await expect(share(page).getByRole('status').filter({ hasText: 'The link cannot carry your data file parity.csv' })).toBeVisible();
  await expect(share(page).getByLabel(/with its latest checkpoint \(none yet\)/)).toBeDisabled();
  const downloading = page.waitForEvent('download');
  await share(page).getByRole('button', { name: 'Download notebook' }).click();
  const file = join(dir, 'nb.notebook.json');
  await (await downloading).saveAs(file);

  const student = await studentPage(browser);
  await share(student).getByLabel('Open notebook file').setInputFiles(file);
  await student.getByRole('dialog', { name: 'Open the notebook “notebook”?' }).getByRole('button', { name: 'Open it' }).click();
  await expect(student.getByText('parity.csv', { exact: true })).toBeVisible();
  await expect(student.getByText(preview)).toBeVisible();
  await expect(student.getByLabel('Label column')).toHaveValue('label');
});
