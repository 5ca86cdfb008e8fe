import { expect, type Page } from '@playwright/test';

/** 4,000 training samples: 500 steps per epoch at batch size 8, about 2 s an epoch on cpu. */
export const LONG_SPIRAL = { samples: 5000, batchSize: 8 };

/**
 * Sets the notebook up through the UI as a user would: Spiral (2D), the Tiny MLP preset, `epochs`
 * epochs, on the CPU backend (forced by URL, for speed and bit-exact losses); `sizes` sets the
 * number of samples and the batch size (default: the notebook's own).
 */
export async function setUpSpiral(page: Page, epochs: number, sizes?: { samples: number; batchSize: number }): Promise<void> {
  await page.goto('/?backend=cpu');
  await page.getByLabel('Dataset', { exact: true }).selectOption({ label: 'Spiral (2D)' });
  if (sizes) await page.getByLabel('Samples', { exact: true }).fill(String(sizes.samples));
  await page.getByLabel('Preset', { exact: true }).selectOption('Tiny MLP');
  await page.getByLabel('Epochs', { exact: true }).fill(String(epochs));
  if (sizes) await page.getByLabel('Batch size', { exact: true }).fill(String(sizes.batchSize));
  await expect(page.getByText('Total parameters: 371')).toBeVisible();
}
