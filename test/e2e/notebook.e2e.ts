import { test, expect } from '@playwright/test';
import { ADVANCED_TRAINING, openFold } from './folds';

test('trains the spiral on WebGPU, then restores the notebook after a reload', async ({ page }) => {
  await page.goto('/');
  await expect(page.getByText('Backend: not started')).toBeVisible();
  const notes = page.getByRole('textbox', { name: /Notes/ });
  await notes.fill('# Spiral on WebGPU\n\nSmall **Tiny MLP** run from the e2e test.');
  await page.getByLabel('Dataset', { exact: true }).selectOption({ label: 'Spiral (2D)' });
  await page.getByLabel('Validation split', { exact: true }).fill('0.25');
  await page.getByLabel('Preset', { exact: true }).selectOption('Tiny MLP');
  // WebGPU here is SwiftShader (CPU emulation), so few epochs; a higher rate makes them count.
  await page.getByLabel('Epochs', { exact: true }).fill('8');
  await page.getByLabel('Batch size', { exact: true }).fill('16');
  await page.getByLabel('Learning rate', { exact: true }).fill('0.03');
  await openFold(page, ADVANCED_TRAINING);
  await page.getByLabel('Backend', { exact: true }).selectOption('webgpu');
  await expect(page.getByText('Total parameters: 371')).toBeVisible();

  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await expect(page.getByText('Backend: webgpu')).toBeVisible();
  const progress = page.getByRole('progressbar', { name: 'Training progress' });
  await expect(progress).toHaveAttribute('aria-valuemax', '8');
  await expect(progress).toHaveAttribute('aria-valuenow', '8', { timeout: 150_000 });
  const accuracy = await page.getByText(/Validation accuracy: [\d.]+%/).textContent();
  console.log(`WebGPU spiral: ${accuracy}`);
  expect(Number(/([\d.]+)%/.exec(accuracy ?? '')?.[1])).toBeGreaterThan(60); // chance is 33% on 3 arms
  await expect(page.getByRole('table', { name: 'Confusion matrix' })).toBeVisible();

  await expect(page.getByText('All changes saved')).toBeVisible();
  await page.reload();
  await expect(page.getByLabel('Dataset', { exact: true })).toHaveValue('spiral');
  await expect(page.getByLabel('Validation split', { exact: true })).toHaveValue('0.25');
  await expect(page.getByLabel('Epochs', { exact: true })).toHaveValue('8');
  await expect(page.getByLabel('Backend', { exact: true })).toHaveValue('webgpu');
  await expect(notes).toHaveValue(/Small \*\*Tiny MLP\*\* run from the e2e test\./);
  await expect(page.getByRole('heading', { name: 'Spiral on WebGPU' })).toBeVisible();
});
