import { test, expect } from '@playwright/test';
import { ADVANCED_TRAINING, openFold } from './folds';

async function trainSpiral(page: import('@playwright/test').Page, epochs: number) {
  await page.getByLabel('Dataset', { exact: true }).selectOption({ label: 'Spiral (2D)' });
  await page.getByLabel('Preset', { exact: true }).selectOption('Tiny MLP');
  await page.getByLabel('Epochs', { exact: true }).fill(String(epochs));
  await expect(page.getByText('Total parameters: 371')).toBeVisible();
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  const progress = page.getByRole('progressbar', { name: 'Training progress' });
  await expect(progress).toHaveAttribute('aria-valuenow', String(epochs), { timeout: 150_000 });
}

test('auto picks a backend and shows what it measured', async ({ page }) => {
  await page.goto('/');
  await expect(page.getByText('Backend: not started')).toBeVisible();
  await openFold(page, ADVANCED_TRAINING);
  await page.getByLabel('Backend', { exact: true }).selectOption('auto');
  await trainSpiral(page, 2);
  await expect(page.getByText(/Backend: (webgpu|webgl|wasm|cpu)\b/)).toBeVisible();
  await expect(page.getByText(/^\((fastest measured|only one available)/)).toBeVisible();
  const measured = page.getByRole('list', { name: 'Measured backends' });
  await expect(measured).toContainText(/samples\/s/);
});

test('?backend=cpu forces the CPU backend', async ({ page }) => {
  await page.goto('/?backend=cpu');
  await expect(page.getByText('cpu, forced by URL')).toBeVisible();
  await expect(page.getByLabel('Backend', { exact: true })).toBeDisabled();
  await trainSpiral(page, 1);
  await expect(page.getByText('Backend: cpu')).toBeVisible();
  await expect(page.getByText('(forced by URL)')).toBeVisible();
});
