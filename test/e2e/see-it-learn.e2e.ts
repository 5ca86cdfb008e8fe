import { test, expect } from '@playwright/test';
import { LONG_SPIRAL, setUpSpiral } from './spiral';

/**
 * See it learn: on 2-D data the decision boundary redraws while the network trains. Its cost (at most
 * 5% of the worker's time by design) is printed, not asserted: timings belong in `npm run bench`.
 */
test('the decision boundary redraws during the first epoch and keeps changing, at a throttled cost', async ({ page }) => {
  await setUpSpiral(page, 3, LONG_SPIRAL);
  const progress = page.getByRole('progressbar', { name: 'Training progress' });
  const boundary = page.getByLabel('Decision boundary');
  const pixels = () => boundary.evaluate((c: HTMLCanvasElement) => c.toDataURL());
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await expect(boundary).toBeVisible();
  expect(await progress.getAttribute('aria-valuenow')).toBe('0'); // before the first epoch ended
  const early = await pixels();
  await expect.poll(pixels, { timeout: 20_000 }).not.toBe(early); // redrawn as the weights change
  await expect(page.getByText(/^Finished/)).toBeVisible();

  const panels = page.locator('section[aria-labelledby="cell-evaluate"] .panels');
  const redraws = Number(await panels.getAttribute('data-live-redraws'));
  const busyMs = Number(await panels.getAttribute('data-live-busy-ms'));
  const sinceMs = Number(await panels.getAttribute('data-live-since-ms'));
  const elapsedMs = (await page.evaluate(() => performance.now())) - sinceMs;
  const share = busyMs / elapsedMs;
  console.log(`live boundary: ${redraws} redraws in ${(elapsedMs / 1000).toFixed(1)} s, ${busyMs} ms in flight (${(share * 100).toFixed(1)}% of the run, round trips included)`);
  expect(redraws).toBeGreaterThanOrEqual(1);
  expect(busyMs).toBeGreaterThan(0);
  expect(Number.isFinite(share)).toBe(true);
});

test('regression shows the fitted curve over the data, redrawn while it trains', async ({ page }) => {
  await page.goto('/?backend=cpu');
  await page.getByLabel('Dataset', { exact: true }).selectOption({ label: 'Sine regression' });
  await page.getByLabel('Samples', { exact: true }).fill(String(LONG_SPIRAL.samples));
  await page.getByLabel('Preset', { exact: true }).selectOption('Tiny MLP');
  await page.getByLabel('Epochs', { exact: true }).fill('3');
  await page.getByLabel('Batch size', { exact: true }).fill(String(LONG_SPIRAL.batchSize));
  const progress = page.getByRole('progressbar', { name: 'Training progress' });
  const curve = page.getByLabel('Fitted curve over the data');
  const pixels = () => curve.evaluate((c: HTMLCanvasElement) => c.toDataURL());
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await expect(curve).toBeVisible();
  expect(await progress.getAttribute('aria-valuenow')).toBe('0'); // shown before the first epoch ended
  const early = await pixels();
  await expect.poll(pixels, { timeout: 20_000 }).not.toBe(early); // redrawn as the weights change
  await expect(page.getByText(/^Finished/)).toBeVisible();
  // Its red line is drawn: the canvas holds curve-coloured pixels, not only the blue data points.
  const red = await curve.evaluate((c: HTMLCanvasElement) => {
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 0; i < d.length; i += 4) if (d[i] > 200 && d[i + 1] < 120 && d[i + 2] < 120 && d[i + 3] > 200) n++;
    return n;
  });
  expect(red).toBeGreaterThan(100);
  await expect(page.getByLabel('Decision boundary')).toHaveCount(0); // not a classification
});
