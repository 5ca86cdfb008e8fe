import { test, expect } from '@playwright/test';
import { ADVANCED_TRAINING, openFold } from './folds';

test('trains an MLP on digits with wasm and predicts a drawn digit', async ({ page }) => {
  await page.goto('/');
  await page.getByLabel('Dataset', { exact: true }).selectOption({ label: 'Digits (MNIST)' });
  await page.getByLabel('Preset', { exact: true }).selectOption('MLP small');
  await expect(page.getByText(/Total parameters: 101,770/)).toBeVisible(); // 784·128+128 + 128·10+10
  await page.getByLabel('Epochs', { exact: true }).fill('2');
  await page.getByLabel('Learning rate', { exact: true }).fill('0.002');
  await openFold(page, ADVANCED_TRAINING);
  await page.getByLabel('Backend', { exact: true }).selectOption('wasm');
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await expect(page.getByText('Backend: wasm')).toBeVisible();
  const progress = page.getByRole('progressbar', { name: 'Training progress' });
  await expect(progress).toHaveAttribute('aria-valuenow', '2', { timeout: 150_000 });
  await expect(page.getByText(/Validation accuracy: [\d.]+%/)).toBeVisible();

  // A "7": a bar across the top, then a stroke down to the lower left.
  const pad = page.getByLabel('Digit drawing pad');
  await pad.scrollIntoViewIfNeeded();
  const box = (await pad.boundingBox())!;
  const at = (fx: number, fy: number) => [box.x + fx * box.width, box.y + fy * box.height] as const;
  await page.mouse.move(...at(0.3, 0.25));
  await page.mouse.down();
  for (const [fx, fy] of [[0.5, 0.25], [0.7, 0.25], [0.62, 0.45], [0.55, 0.6], [0.48, 0.78]]) {
    await page.mouse.move(...at(fx, fy), { steps: 8 });
  }
  await page.mouse.up();
  const prediction = page.getByText(/^Prediction: \d$/);
  await expect(prediction).toBeVisible();
  console.log(`drew a 7, model says ${await prediction.textContent()}`);
  await expect(page.getByRole('list', { name: 'Class probabilities' }).getByRole('listitem')).toHaveCount(10);

  await page.getByRole('button', { name: 'Clear' }).click();
  await expect(prediction).toBeHidden();
});

test('trains CNN small on digits with wasm (its conv filter gradient is ours)', async ({ page }) => {
  await page.goto('/');
  await page.getByLabel('Dataset', { exact: true }).selectOption({ label: 'Digits (MNIST)' });
  await page.getByLabel('Preset', { exact: true }).selectOption('CNN small');
  await page.getByLabel('Epochs', { exact: true }).fill('1');
  await page.getByLabel('Learning rate', { exact: true }).fill('0.002');
  await openFold(page, ADVANCED_TRAINING);
  await page.getByLabel('Backend', { exact: true }).selectOption('wasm');
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await expect(page.getByText('Backend: wasm')).toBeVisible();
  const progress = page.getByRole('progressbar', { name: 'Training progress' });
  await expect(progress).toHaveAttribute('aria-valuenow', '1', { timeout: 150_000 });
  // One epoch of a CNN that learns: far above chance (10%).
  const accuracy = page.getByText(/Validation accuracy: [\d.]+%/);
  await expect(accuracy).toBeVisible();
  const percent = Number(/([\d.]+)%/.exec((await accuracy.textContent()) ?? '')?.[1]);
  console.log(`CNN small on wasm, 1 epoch: ${percent}% (${await page.getByText(/samples\/s/).first().textContent()})`);
  expect(percent).toBeGreaterThan(70);
});
