import { test, expect } from '@playwright/test';
import { ADVANCED_TRAINING, openFold } from './folds';

test('served cross-origin isolated, WASM trains a CNN on every core and the page says how many threads', async ({ page }) => {
  const errors: string[] = [];
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  await page.goto('/');
  expect(await page.evaluate(() => self.crossOriginIsolated)).toBe(true);
  const cores = await page.evaluate(() => navigator.hardwareConcurrency);
  await page.getByLabel('Dataset', { exact: true }).selectOption({ label: 'Digits (MNIST)' });
  await page.getByLabel('Preset', { exact: true }).selectOption('CNN small');
  await page.getByLabel('Epochs', { exact: true }).fill('1');
  await openFold(page, ADVANCED_TRAINING);
  await page.getByLabel('Backend', { exact: true }).selectOption('wasm');
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await expect(page.getByText('Backend: wasm')).toBeVisible();
  await expect(page.getByText(`WASM threads: ${Math.min(cores, 8)}`, { exact: true })).toBeVisible();
  const progress = page.getByRole('progressbar', { name: 'Training progress' });
  await expect(progress).toHaveAttribute('aria-valuenow', '1', { timeout: 150_000 });
  await expect(page.getByText(/Validation accuracy: [\d.]+%/)).toBeVisible();
  console.log(`${await page.getByText(/samples\/s/).first().textContent()}`);
  expect(errors.filter((e) => /is not defined|Training worker failed/.test(e))).toEqual([]);
});
