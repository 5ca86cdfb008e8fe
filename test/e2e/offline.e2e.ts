import { test, expect, type BrowserContext, type Page } from '@playwright/test';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LONG_SPIRAL, setUpSpiral } from './spiral';

/**
 * Offline, as in a classroom with no Wi-Fi: the page is loaded once online (the service worker
 * precaches the app, its workers, the tfjs .wasm binaries and data/digits.bin), then the network
 * goes away and everything else happens offline: set up, train, checkpoint, reload, resume.
 */
const progress = (page: Page) => page.getByRole('progressbar', { name: 'Training progress' });
const checkpointRows = (page: Page) => page.getByRole('table', { name: 'Checkpoints' }).locator('tbody tr[data-checkpoint-id]');

/** First visit online; resolves once the service worker is active, i.e. its precache is complete. */
async function installOnline(page: Page, context: BrowserContext): Promise<void> {
  await page.goto('/');
  const cached = await page.evaluate(async () => {
    await navigator.serviceWorker.ready;
    const urls: string[] = [];
    for (const name of await caches.keys()) for (const r of await (await caches.open(name)).keys()) urls.push(new URL(r.url).pathname);
    return urls;
  });
  console.log(`precached ${cached.length} files: ${cached.filter((u) => /\.(wasm|bin)$|worker/.test(u)).join(', ')}`);
  expect(cached).toContain('/data/digits.bin');
  expect(cached).toContain('/tfjs-wasm/tfjs-backend-wasm-simd.wasm');
  expect(cached.some((u) => /\/assets\/worker-[\w-]+\.js$/.test(u))).toBe(true);
  await context.setOffline(true);
  // Offline really is offline: a file the app never precached cannot be fetched.
  expect(await page.evaluate(() => fetch('/not-precached.txt').then(() => 'fetched', () => 'failed'))).toBe('failed');
}

/** Clicks Pause in the page once `count` checkpoints are listed, then reloads (offline). */
async function pauseAfterCheckpoints(page: Page, count: number): Promise<void> {
  await page.waitForFunction((n) => {
    if (document.querySelectorAll('table[aria-label="Checkpoints"] tbody tr[data-checkpoint-id]').length < n) return false;
    [...document.querySelectorAll('button')].find((b) => b.textContent?.trim() === 'Pause')?.click();
    return true;
  }, count, { polling: 'raf', timeout: 150_000 });
}

test('offline after one visit: Spiral trains, checkpoints, reloads and resumes', async ({ page, context }) => {
  await installOnline(page, context);
  await setUpSpiral(page, 6, LONG_SPIRAL); // navigates to /?backend=cpu: served by the service worker
  await expect(page.getByText('All changes saved')).toBeVisible();
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await pauseAfterCheckpoints(page, 2);
  await page.reload();
  const banner = page.getByText(/Resume available: epoch [1-5]\/6/);
  await expect(banner).toBeVisible();
  await page.getByRole('button', { name: 'Resume training' }).click();
  await expect(progress(page)).toHaveAttribute('aria-valuenow', '6');
  await expect(page.getByText(/^Finished/)).toBeVisible();
  await expect(checkpointRows(page).first()).toBeVisible();
  await page.reload();
  await expect(checkpointRows(page).first()).toBeVisible(); // the finished run's checkpoints, read offline
  await expect(page.getByText(/Validation accuracy: [\d.]+%/)).toBeVisible();
});

test('offline after one visit: Digits trains on wasm (binary and data from the cache) and resumes after a reload', async ({ page, context }) => {
  test.setTimeout(400_000);
  await installOnline(page, context);
  await page.goto('/?backend=wasm');
  await page.getByLabel('Dataset', { exact: true }).selectOption({ label: 'Digits (MNIST)' });
  await page.getByLabel('Preset', { exact: true }).selectOption('MLP small');
  await expect(page.getByText(/Total parameters: 101,770/)).toBeVisible();
  await page.getByLabel('Epochs', { exact: true }).fill('2');
  await page.getByLabel('Learning rate', { exact: true }).fill('0.002');
  await expect(page.getByText('All changes saved')).toBeVisible();
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await expect(page.getByText('Backend: wasm')).toBeVisible();
  await pauseAfterCheckpoints(page, 1);
  await page.reload();
  await expect(page.getByText(/Resume available: epoch 1\/2/)).toBeVisible();
  await page.getByRole('button', { name: 'Resume training' }).click();
  await expect(page.getByText('Resumed from epoch 1')).toBeVisible();
  await expect(progress(page)).toHaveAttribute('aria-valuenow', '2', { timeout: 200_000 });
  await expect(page.getByText('Backend: wasm')).toBeVisible();
  await expect(page.getByText(/Validation accuracy: [\d.]+%/)).toBeVisible();
});

test('an update waits for Reload while training; Reload pauses, saves a checkpoint, then reloads into Resume', async ({ page }) => {
  const swPath = join(process.cwd(), 'dist-test', 'sw.js');
  const original = readFileSync(swPath, 'utf8');
  try {
    await page.goto('/?backend=cpu');
    await page.evaluate(() => navigator.serviceWorker.ready);
    await setUpSpiral(page, 20, LONG_SPIRAL);
    await page.getByRole('button', { name: 'Train', exact: true }).click();
    await expect(progress(page)).toHaveAttribute('aria-valuenow', '1');
    await page.evaluate(() => ((window as unknown as { marker: string }).marker = 'same page'));

    // A new version on the server: a different service worker script.
    writeFileSync(swPath, `${original}\n// next version\n`);
    await page.evaluate(async () => (await navigator.serviceWorker.getRegistration())?.update());
    const prompt = page.getByRole('region', { name: 'App update' });
    await expect(prompt).toContainText('Update ready');
    await expect(page.getByText('Training', { exact: true })).toBeVisible();
    await page.waitForTimeout(2000); // it does not reload by itself
    expect(await page.evaluate(() => (window as unknown as { marker?: string }).marker)).toBe('same page');
    const before = Number(await progress(page).getAttribute('aria-valuenow'));
    expect(before).toBeLessThan(20);

    await Promise.all([page.waitForEvent('load'), prompt.getByRole('button', { name: 'Reload' }).click()]);
    await expect(page.getByText(/Resume available: epoch \d+\/20/)).toBeVisible();
    expect(await page.evaluate(() => (window as unknown as { marker?: string }).marker)).toBeUndefined();
    await expect(page.getByRole('region', { name: 'App update' })).toHaveCount(0);
  } finally {
    writeFileSync(swPath, original);
  }
});
