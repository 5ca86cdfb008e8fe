import { test, expect, type Page } from '@playwright/test';
import { ADVANCED_TRAINING, openFold } from './folds';

/**
 * Presses Train (confirming "Start fresh?" when a finished run is shown) and waits for the run to
 * finish. Returns every text the progress line showed meanwhile, recorded by a MutationObserver, so a
 * short measuring phase cannot slip between two polls.
 */
async function trainOnce(page: Page, { startFresh }: { startFresh: boolean }): Promise<string[]> {
  await page.evaluate(() => {
    const seen: string[] = [];
    (window as unknown as { __progressTexts: string[] }).__progressTexts = seen;
    const line = document.querySelector('.progress .text')!;
    new MutationObserver(() => seen.push(line.textContent!.replace(/\s+/g, ' ').trim())).observe(line, { subtree: true, childList: true, characterData: true });
  });
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  if (startFresh) await page.getByRole('dialog', { name: 'Start fresh?' }).getByRole('button', { name: 'Start fresh' }).click();
  const texts = () => page.evaluate(() => (window as unknown as { __progressTexts: string[] }).__progressTexts);
  await expect.poll(async () => (await texts()).some((t) => t.startsWith('Finished')), { timeout: 150_000 }).toBe(true);
  return texts();
}

async function setUpSpiral(page: Page) {
  await page.getByLabel('Dataset', { exact: true }).selectOption({ label: 'Spiral (2D)' });
  await page.getByLabel('Preset', { exact: true }).selectOption('Tiny MLP');
  await page.getByLabel('Epochs', { exact: true }).fill('1');
  await openFold(page, ADVANCED_TRAINING);
  await page.getByLabel('Backend', { exact: true }).selectOption('auto');
}

const measuringTexts = (texts: string[]) => texts.filter((t) => t.startsWith('Measuring backends…'));

test('auto remembers its choice per model shape: the next run starts on it, and Measure again times every backend', async ({ page }) => {
  await page.goto('/');
  await setUpSpiral(page);

  // First run: every backend is timed; the page says which, and shows no ETA meanwhile.
  const first = measuringTexts(await trainOnce(page, { startFresh: false }));
  expect(first.some((t) => /timing (wasm|webgpu|webgl|cpu) \([1-4] of 4\)/.test(t)), JSON.stringify(first)).toBe(true);
  expect(first.filter((t) => t.includes('ETA'))).toEqual([]);
  await expect(page.getByText(/^\(fastest measured/)).toBeVisible();
  const measured = page.getByRole('list', { name: 'Measured backends' });
  await expect(measured).toContainText(/wasm: [\d,]+ samples\/s/);
  const chosen = (await page.getByText(/^Backend: (webgpu|webgl|wasm|cpu)$/).textContent())!;

  // Reopened: the same shape starts on the remembered backend without measuring.
  await page.reload();
  await expect(page.getByLabel('Backend', { exact: true })).toHaveValue('auto');
  expect(measuringTexts(await trainOnce(page, { startFresh: true }))).toEqual([]);
  await expect(page.getByText(chosen, { exact: true })).toBeVisible();
  await expect(page.getByText(/^remembered from /)).toBeVisible();
  await expect(measured).toContainText(/wasm: [\d,]+ samples\/s/);

  // Measure again: the next Train times every backend again.
  await page.getByRole('button', { name: 'Measure again' }).click();
  await expect(page.getByText('· auto measures again at the next Train')).toBeVisible();
  expect(measuringTexts(await trainOnce(page, { startFresh: true })).some((t) => t.includes('timing'))).toBe(true);
  await expect(page.getByText(/^\(fastest measured/)).toBeVisible();
  await expect(page.getByRole('button', { name: 'Measure again' })).toBeHidden();
});

test('a different batch size is a different situation: it is measured, not recalled', async ({ page }) => {
  await page.goto('/');
  await setUpSpiral(page);
  await trainOnce(page, { startFresh: false });
  await page.getByLabel('Batch size', { exact: true }).fill('16');
  expect(measuringTexts(await trainOnce(page, { startFresh: true })).some((t) => t.includes('timing'))).toBe(true);
  await expect(page.getByText(/^\(fastest measured/)).toBeVisible();
});
