import { test, expect, type Browser, type Page } from '@playwright/test';

/**
 * "Never lose a run": reload and resume, start fresh, train more, and recovery from a lost GPU
 * device. Spiral + Tiny MLP, small enough that 6 epochs take seconds on the CPU backend.
 */
const SAMPLES = 5000; // 4,000 training samples: 500 steps per epoch at batch size 8, about 2 s on cpu
const BATCH = 8;

async function setUp(page: Page, epochs: number, backend = 'cpu') {
  await page.goto(`/?backend=${backend}`);
  await page.getByLabel('Dataset', { exact: true }).selectOption({ label: 'Spiral (2D)' });
  await page.getByLabel('Samples', { exact: true }).fill(String(SAMPLES));
  await page.getByLabel('Preset', { exact: true }).selectOption('Tiny MLP');
  await page.getByLabel('Epochs', { exact: true }).fill(String(epochs));
  await page.getByLabel('Batch size', { exact: true }).fill(String(BATCH));
  await expect(page.getByText('Total parameters: 371')).toBeVisible();
  await expect(page.getByText('All changes saved')).toBeVisible();
}

const progress = (page: Page) => page.getByRole('progressbar', { name: 'Training progress' });
const checkpointRows = (page: Page) => page.getByRole('table', { name: 'Checkpoints' }).locator('tbody tr[data-checkpoint-id]');

/** Records every alert that appears, even one a later update removes: `alertsSeen` reads them. */
async function watchAlerts(page: Page) {
  await page.evaluate(() => {
    const seen: string[] = [];
    (window as unknown as { __alerts: string[] }).__alerts = seen;
    new MutationObserver(() => {
      for (const a of document.querySelectorAll('[role="alert"]')) if (!seen.includes(a.textContent ?? '')) seen.push(a.textContent ?? '');
    }).observe(document.body, { childList: true, subtree: true, characterData: true });
  });
}
const alertsSeen = (page: Page) => page.evaluate(() => (window as unknown as { __alerts: string[] }).__alerts);

async function readEngine(page: Page) {
  return page.evaluate(async () => {
    const s = await window.__tabTrainer!.engine.readState();
    return { stepLosses: Array.from(s.stepLosses), epochs: s.history.length, step: s.step };
  });
}

/** The same config trained for `epochs` without interruption, in a fresh context (its own IndexedDB). */
async function straightRun(browser: Browser, epochs: number) {
  const other = await browser.newContext();
  const straight = await other.newPage();
  await setUp(straight, epochs);
  await straight.getByRole('button', { name: 'Train', exact: true }).click();
  await expect(progress(straight)).toHaveAttribute('aria-valuenow', String(epochs));
  const state = await readEngine(straight);
  await other.close();
  return state;
}

test('reload mid-run, then Resume training continues exactly where it stopped', async ({ page, browser }) => {
  await setUp(page, 6);
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  // Pause as soon as two checkpoints are listed (clicked in the page, so no round trip lets it run on
  // to the end), then reload: the worker dies with the page, as when a tab is closed.
  await page.waitForFunction(() => {
    if (document.querySelectorAll('table[aria-label="Checkpoints"] tbody tr[data-checkpoint-id]').length < 2) return false;
    [...document.querySelectorAll('button')].find((b) => b.textContent?.trim() === 'Pause')?.click();
    return true;
  }, undefined, { polling: 'raf', timeout: 30_000 });
  await page.reload();

  const banner = page.getByText(/Resume available: epoch [1-5]\/6 · step [\d,]+ · best val loss \d\.\d{4} \(epoch \d\) · saved just now/);
  await expect(banner).toBeVisible();
  const resumedAt = Number(/epoch (\d)\/6/.exec((await banner.textContent()) ?? '')?.[1]);
  const charts = page.locator('.charts');
  await expect(charts).toHaveAttribute('data-epochs', String(resumedAt)); // charts restored from the checkpoint
  await page.getByRole('button', { name: 'Resume training' }).click();
  await expect(page.getByText(`Resumed from epoch ${resumedAt}`)).toBeVisible();
  await expect(progress(page)).toHaveAttribute('aria-valuenow', '6');
  await expect(page.getByText(/^Finished/)).toBeVisible();
  await expect(charts).toHaveAttribute('data-epochs', '6');
  const resumed = await readEngine(page);
  expect(resumed.epochs).toBe(6);

  const uninterrupted = await straightRun(browser, 6);
  expect(resumed.stepLosses.length).toBe(6 * (SAMPLES * 0.8) / BATCH);
  expect(resumed.stepLosses).toEqual(uninterrupted.stepLosses); // bit-identical on the CPU backend
});

test('Start fresh asks first, then trains a new run from epoch 0', async ({ page }) => {
  await setUp(page, 4);
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await expect.poll(() => checkpointRows(page).count(), { timeout: 30_000 }).toBeGreaterThanOrEqual(1);
  await page.getByRole('button', { name: 'Stop' }).click();
  await expect(page.getByRole('button', { name: 'Resume training' })).toBeEnabled();
  const oldRun = await page.locator('#cell-checkpoints ~ .status code, [aria-labelledby="cell-checkpoints"] header code').first().textContent();

  await page.getByRole('button', { name: 'Start fresh' }).click();
  const dialog = page.getByRole('dialog', { name: 'Start fresh?' });
  await expect(dialog).toBeVisible();
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await expect(dialog).toBeHidden();
  await expect(page.getByRole('button', { name: 'Resume training' })).toBeVisible();

  await page.getByRole('button', { name: 'Start fresh' }).click();
  await dialog.getByRole('button', { name: 'Start fresh' }).click();
  await expect(dialog).toBeHidden();
  await expect(page.getByRole('button', { name: 'Train', exact: true })).toBeDisabled(); // training
  await expect(progress(page)).toHaveAttribute('aria-valuenow', '4');
  const run = await readEngine(page);
  expect(run.epochs).toBe(4); // began at epoch 0, not resumed
  expect(run.stepLosses.length).toBe(4 * (SAMPLES * 0.8) / BATCH);
  const newRun = await page.locator('[aria-labelledby="cell-checkpoints"] header code').first().textContent();
  expect(newRun).not.toBe(oldRun);
});

test('Train N more epochs extends a finished run', async ({ page }) => {
  await setUp(page, 2);
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await expect(progress(page)).toHaveAttribute('aria-valuenow', '2');
  await expect(page.getByText(/The learning-rate schedule continues as planned/)).toBeVisible();
  await page.getByLabel('More epochs', { exact: true }).fill('3');
  await page.getByRole('button', { name: 'Train 3 more epochs' }).click();
  await expect(progress(page)).toHaveAttribute('aria-valuemax', '5');
  await expect(progress(page)).toHaveAttribute('aria-valuenow', '5');
  await expect(page.locator('.charts')).toHaveAttribute('data-epochs', '5');
  expect((await readEngine(page)).epochs).toBe(5);
});

test('a lost GPU device resumes from the last checkpoint in a fresh worker', async ({ page }) => {
  await setUp(page, 3, 'webgpu');
  await page.getByLabel('Samples', { exact: true }).fill('800'); // 640 training samples: 20 steps an epoch
  await page.getByLabel('Batch size', { exact: true }).fill('32');
  await expect(page.getByText('All changes saved')).toBeVisible();
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await expect(page.getByText('Backend: webgpu')).toBeVisible();
  await expect.poll(() => checkpointRows(page).count(), { timeout: 60_000 }).toBeGreaterThanOrEqual(1);
  // Lose the device mid-epoch 2, after epoch 1's checkpoint and evaluation (the moment an epoch's
  // evaluation starts is the next test's).
  const step = async () => Number(/step ([\d,]+)/.exec((await page.getByText(/^Training Epoch/).textContent()) ?? '')?.[1].replace(/,/g, '') ?? 0);
  await expect.poll(step, { timeout: 60_000 }).toBeGreaterThanOrEqual(24);
  expect(await page.evaluate(() => window.__tabTrainer!.engine.debugDestroyGpuDevice())).toBe(true);
  await expect(page.getByText(/The GPU device was lost; resumed from epoch \d+ in a fresh worker\./)).toBeVisible();
  await expect(progress(page)).toHaveAttribute('aria-valuenow', '3');
  await expect(page.getByText('Backend: webgpu')).toBeVisible(); // the user's choice is kept
  await expect(page.getByRole('alert')).toHaveCount(0);
});

// The moment an epoch ends: the Evaluate cell's evaluate() starts while the epoch's checkpoint is
// being written. The 2nd evaluate is epoch 2's (a run that goes on); the 3rd, the last epoch's (the
// train call has finished, so only the evaluation sees the loss).
for (const [nth, when] of [
  [2, 'as epoch 2 ends'],
  [3, 'as the last epoch ends'],
] as const) {
  test(`a GPU device lost ${when}, while its evaluation starts, resumes in a fresh worker with no alert`, async ({ page }) => {
    await setUp(page, 3, 'webgpu');
    await page.getByLabel('Samples', { exact: true }).fill('800'); // 640 training samples: 20 steps an epoch
    await page.getByLabel('Batch size', { exact: true }).fill('32');
    await expect(page.getByText('All changes saved')).toBeVisible();
    await page.evaluate((nth) => window.__tabTrainer!.engine.debugDestroyGpuDeviceOnEvaluate(nth), nth);
    await watchAlerts(page);
    await page.getByRole('button', { name: 'Train', exact: true }).click();
    await expect(page.getByText('Backend: webgpu')).toBeVisible();
    await expect(page.getByText(/^The GPU device was lost; resumed from epoch [1-3] in a fresh worker\.$/)).toBeVisible({ timeout: 120_000 });
    await expect(progress(page)).toHaveAttribute('aria-valuenow', '3', { timeout: 120_000 });
    await expect(page.getByText(/^Finished/)).toBeVisible();
    await expect(page.getByText('Backend: webgpu')).toBeVisible();
    await expect(page.locator('.charts')).toHaveAttribute('data-epochs', '3');
    // The fresh worker holds the whole run, and the Evaluate cell shows its final model's accuracy
    // (not a stale one: no refresh is left stuck on the terminated worker).
    expect((await readEngine(page)).epochs).toBe(3);
    const { accuracy } = await page.evaluate(() => window.__tabTrainer!.engine.evaluate());
    await expect(page.getByText(`Evaluation accuracy: ${(accuracy! * 100).toFixed(1)}%`)).toBeVisible();
    expect(await alertsSeen(page)).toEqual([]);
  });
}

test('a worker that stops answering after an error is restarted and the run resumes from its last checkpoint', async ({ page, browser }) => {
  await setUp(page, 4);
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await expect.poll(() => checkpointRows(page).count(), { timeout: 40_000 }).toBeGreaterThanOrEqual(1);
  await watchAlerts(page);
  await page.evaluate(() => window.__tabTrainer!.engine.debugHangWorker());
  await expect(page.getByText(/^The training worker crashed; resumed from epoch [1-3] in a fresh worker\.$/)).toBeVisible({ timeout: 30_000 });
  await expect(progress(page)).toHaveAttribute('aria-valuenow', '4');
  await expect(page.getByText(/^Finished/)).toBeVisible();
  expect(await alertsSeen(page)).toEqual([]);
  const resumed = await readEngine(page); // the fresh worker: answers, and holds the run from its checkpoint on

  const uninterrupted = await straightRun(browser, 4);
  expect(resumed.stepLosses).toEqual(uninterrupted.stepLosses); // bit-identical on the CPU backend
});

test('an uncaught error in the worker does not stop or restart the run', async ({ page }) => {
  await setUp(page, 4);
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await expect.poll(() => checkpointRows(page).count(), { timeout: 40_000 }).toBeGreaterThanOrEqual(1);
  await page.evaluate(() => window.__tabTrainer!.engine.debugCrashWorker());
  await expect(progress(page)).toHaveAttribute('aria-valuenow', '4');
  await expect(page.getByText(/^Finished/)).toBeVisible();
  await expect(page.getByText(/in a fresh worker/)).toHaveCount(0);
  await expect(page.getByRole('alert')).toHaveCount(0);
  const s = await readEngine(page);
  expect(s.epochs).toBe(4); // the same worker carried on: its state holds the whole run
});
