import { test, expect, type Page } from '@playwright/test';
import { ADVANCED_TRAINING, openFold } from './folds';
import { LONG_SPIRAL, setUpSpiral } from './spiral';

/** The Checkpoints cell (list, delete, cleanup, resume from a row) and a second tab on the same run. */
const setUp = (page: Page, epochs: number) => setUpSpiral(page, epochs, LONG_SPIRAL);

const progress = (page: Page) => page.getByRole('progressbar', { name: 'Training progress' });
const rows = (page: Page) => page.getByRole('table', { name: 'Checkpoints' }).locator('tbody tr[data-checkpoint-id]');
const kinds = (page: Page) => rows(page).locator('td:first-child').allTextContents();

test('lists checkpoints; Delete, Keep only the last K and Resume from here work', async ({ page }) => {
  await setUp(page, 3);
  await openFold(page, ADVANCED_TRAINING);
  await page.getByLabel('Save every N steps', { exact: true }).fill('200'); // periodic ones between epoch ends
  await page.getByLabel('Keep last', { exact: true }).fill('20'); // retention keeps them all
  await expect(page.getByText('All changes saved')).toBeVisible();
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await expect(progress(page)).toHaveAttribute('aria-valuenow', '3');
  await expect.poll(async () => (await kinds(page))[0]).toBe('final'); // newest first
  const listed = await kinds(page);
  expect(listed).toContain('improved'); // saved as the best so far
  // The best badge sits on the lowest validation loss, whatever kind of save holds it.
  const losses = (await rows(page).locator('td:nth-child(4)').allTextContents()).map((t) => parseFloat(t));
  const badged = rows(page).filter({ has: page.getByText('best', { exact: true }) });
  await expect(badged).toHaveCount(1);
  expect(parseFloat((await badged.locator('td:nth-child(4)').textContent()) ?? '')).toBe(Math.min(...losses.filter(Number.isFinite)));
  expect(listed.filter((k) => k === 'periodic').length).toBeGreaterThanOrEqual(3);
  const epochs = (await rows(page).locator('td:nth-child(2)').allTextContents()).map(Number);
  expect(epochs[0]).toBe(3);
  expect(epochs).toEqual([...epochs].sort((a, b) => b - a));
  await expect(page.getByRole('definition').filter({ hasText: new RegExp(`^${listed.length} · [\\d.]+ KB$`) })).toBeVisible();

  // Delete the oldest row.
  await rows(page).last().getByRole('button', { name: /^Delete/ }).click();
  await expect(rows(page)).toHaveCount(listed.length - 1);

  // Keep only the last 2: two periodic ones, plus the latest best and the final one.
  await page.getByLabel('Keep last', { exact: true }).fill('2');
  await page.getByRole('button', { name: 'Keep only the last 2' }).click();
  await expect.poll(async () => (await kinds(page)).filter((k) => k === 'periodic').length).toBe(2);
  expect((await kinds(page)).sort()).toEqual(['final', 'improved', 'periodic', 'periodic']);

  // Resume from the oldest remaining row: the run continues from that row's epoch to the end.
  const oldest = rows(page).last();
  const epoch = Number(await oldest.locator('td:nth-child(2)').textContent());
  expect(epoch).toBeLessThan(3);
  // An earlier checkpoint: rewinding asks first, then continues in a branch that the Runs cell lists.
  await oldest.getByRole('button', { name: /^Resume from here/ }).click();
  await page.getByRole('dialog', { name: `Rewind to epoch ${epoch}?` }).getByRole('button', { name: 'Start branch' }).click();
  await expect(page.getByText(new RegExp(`^Resumed from epoch ${epoch} \\(`))).toBeVisible();
  await expect(progress(page)).toHaveAttribute('aria-valuenow', '3');
  await expect(page.locator('.charts')).toHaveAttribute('data-epochs', '3');
  const runs = page.getByRole('table', { name: 'Runs' }).locator('tbody tr[data-run-id]');
  await expect(runs).toHaveCount(2);
  await expect(runs.nth(1).locator('td:nth-child(9)')).toHaveText(`rewound Run 1 from epoch 3 to ${epoch}`);
});

test('a second tab follows the run read-only, then takes over', async ({ page, context }) => {
  await setUp(page, 10);
  await expect(page.getByText('All changes saved')).toBeVisible();
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await expect.poll(() => rows(page).count(), { timeout: 30_000 }).toBeGreaterThanOrEqual(1);

  const second = await context.newPage();
  await second.goto('/?backend=cpu');
  await expect(second.getByText('Training in another tab')).toBeVisible();
  await expect(second.getByRole('button', { name: /^(Train|Resume training)$/ })).toBeDisabled();
  await expect(second.getByLabel('Epochs', { exact: true })).toBeDisabled();
  await expect(second.getByRole('table', { name: 'Runs' }).locator('tbody tr td:nth-child(2)')).toHaveText(['training (other tab)']);
  const watched = progress(second);
  const before = Number(await watched.getAttribute('aria-valuenow'));
  await expect.poll(async () => Number(await watched.getAttribute('aria-valuenow'))).toBeGreaterThan(before); // live

  await page.getByRole('button', { name: 'Stop' }).click();
  const takeOver = second.getByRole('button', { name: 'Take over here' });
  await expect(takeOver).toBeVisible();
  await takeOver.click();
  await expect(second.getByText(/^Resumed from epoch \d+/)).toBeVisible();
  await expect(second.getByRole('button', { name: 'Stop' })).toBeEnabled();
  await expect(watched).toHaveAttribute('aria-valuenow', '10');
});
