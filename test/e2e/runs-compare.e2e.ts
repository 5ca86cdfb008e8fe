import { test, expect, type Page } from '@playwright/test';
import { setUpSpiral } from './spiral';

/** The Runs cell's comparison (issue 9): tick runs to overlay their stored curves and read their final values. */
const cell = (page: Page) => page.getByRole('region', { name: 'Runs' });
const runRows = (page: Page) => cell(page).getByRole('table', { name: 'Runs' }).locator('tbody tr[data-run-id]');
const compare = (page: Page) => page.getByRole('region', { name: 'Run comparison' });
const figure = (page: Page) => compare(page).getByRole('figure', { name: 'Run comparison chart' });
const legend = (page: Page) => figure(page).locator('.u-legend');
const finals = (page: Page) => compare(page).getByRole('table', { name: 'Comparison: final values' });
const LAST_VAL = 7;
/** The chart's pixels, to tell a redraw from none. */
const pixels = (page: Page) => figure(page).locator('canvas').evaluate((c: HTMLCanvasElement) => c.toDataURL());

async function trainTo(page: Page, epochs: number): Promise<void> {
  await expect(page.getByRole('progressbar', { name: 'Training progress' })).toHaveAttribute('aria-valuenow', String(epochs));
  await expect(page.getByRole('button', { name: /^(Train|Resume training)$/ })).toBeEnabled();
}

/** Validation loss of each final-values row, by run name. */
async function finalValLosses(page: Page): Promise<Record<string, string>> {
  const rows = finals(page).locator('tbody tr');
  const names = await rows.locator('th').allTextContents();
  const losses = await rows.locator('td:nth-child(5)').allTextContents();
  return Object.fromEntries(names.map((n, i) => [n.trim(), losses[i]]));
}

test('overlays the ticked runs\' curves on a step or epoch axis, log scale and smoothing, with their final values', async ({ page }) => {
  await setUpSpiral(page, 2);
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await trainTo(page, 2);
  await page.getByLabel('Learning rate', { exact: true }).fill('0.1');
  await page.getByRole('button', { name: 'Start fresh' }).click();
  await page.getByRole('dialog', { name: 'Start fresh?' }).getByRole('button', { name: 'Start fresh' }).click();
  await trainTo(page, 2);
  await expect(runRows(page)).toHaveCount(2);
  await expect(compare(page)).toHaveCount(0);

  // The Runs table's last validation loss ("0.1234 · 56.7%"), the value the comparison must repeat.
  const listed = (await runRows(page).locator(`td:nth-child(${LAST_VAL})`).allTextContents()).map((t) => t.split(' · ')[0]);
  expect(listed[0]).not.toBe(listed[1]); // two learning rates, two runs

  await cell(page).getByRole('checkbox', { name: 'Compare Run 1' }).check();
  await cell(page).getByRole('checkbox', { name: 'Compare Run 2' }).check();
  await expect(figure(page)).toHaveAttribute('data-series', '2');
  await expect(legend(page)).toContainText('Run 1');
  await expect(legend(page)).toContainText('Run 2');
  await expect(finals(page).locator('tbody tr')).toHaveCount(2);
  const values = await finalValLosses(page);
  expect(values).toEqual({ 'Run 1': listed[0], 'Run 2': listed[1] });
  await expect(finals(page).locator('tbody tr td:nth-child(2)')).toHaveText(['2', '2']);

  // Training loss per step: every step of both runs is drawn.
  let before = await pixels(page);
  await compare(page).getByLabel('Curve').selectOption({ label: 'training loss' });
  await compare(page).getByLabel('X axis').selectOption('step');
  await expect(figure(page)).toHaveAttribute('data-axis', 'step');
  await expect(figure(page).getByRole('img')).toHaveAccessibleName('training loss by step');
  await expect.poll(() => pixels(page)).not.toBe(before);

  before = await pixels(page);
  await compare(page).getByLabel('Log scale').check();
  await expect(figure(page)).toHaveAttribute('data-log', 'true');
  await expect.poll(() => pixels(page)).not.toBe(before);

  before = await pixels(page);
  const smoothing = compare(page).getByLabel('Smoothing');
  await smoothing.fill('0.9');
  await smoothing.blur();
  await expect(figure(page)).toHaveAttribute('data-smoothing', '0.9');
  await expect.poll(() => pixels(page)).not.toBe(before);
  // Out of range is clamped to what TensorBoard allows.
  await smoothing.fill('5');
  await smoothing.blur();
  await expect(smoothing).toHaveValue('0.99');
  await expect(legend(page)).toContainText('Run 1');
  await expect(legend(page)).toContainText('Run 2');
  expect(await finalValLosses(page)).toEqual(values); // the table is the stored values, unsmoothed

  // Back to epochs: validation metric is accuracy for a classification.
  await compare(page).getByLabel('X axis').selectOption('epoch');
  await compare(page).getByLabel('Curve').selectOption({ label: 'validation metric (accuracy)' });
  await expect(figure(page).getByRole('img')).toHaveAccessibleName('validation accuracy by epoch');
  await expect(finals(page).locator('tbody tr td:nth-child(6)')).toHaveText([/^\d+(\.\d+)?%$/, /^\d+(\.\d+)?%$/]);

  // Unticking a run removes its series and its row; unticking both hides the comparison.
  await cell(page).getByRole('checkbox', { name: 'Compare Run 1' }).uncheck();
  await expect(figure(page)).toHaveAttribute('data-series', '1');
  await expect(legend(page)).not.toContainText('Run 1');
  await expect(legend(page)).toContainText('Run 2');
  expect(await finalValLosses(page)).toEqual({ 'Run 2': listed[1] });
  await cell(page).getByRole('checkbox', { name: 'Compare Run 2' }).uncheck();
  await expect(compare(page)).toHaveCount(0);
});
