// Screenshot for the README: opens the preview server (npm run build && npm run preview first),
// trains the spiral for a few epochs and saves docs/screenshot.png.
//   node scripts/screenshot.mjs [baseUrl]
import { chromium } from 'playwright-core';
import { mkdir } from 'node:fs/promises';

const baseUrl = process.argv[2] ?? 'http://127.0.0.1:4173/';
const out = new URL('../docs/screenshot.png', import.meta.url);

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--headless=new', '--no-sandbox', '--enable-unsafe-webgpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1100, height: 900 }, deviceScaleFactor: 1 });
  page.on('console', (m) => m.type() === 'error' && console.error('page:', m.text()));
  await page.goto(baseUrl);
  await page.getByLabel('Dataset').selectOption({ label: 'Spiral (2D)' });
  await page.getByLabel('Preset').selectOption('Tiny MLP');
  await page.getByLabel('Epochs', { exact: true }).fill('30');
  await page.getByLabel('Learning rate').fill('0.03');
  await page.getByText('Advanced: schedule, backend, checkpoints').click(); // folded by default
  await page.getByLabel('Backend', { exact: true }).selectOption('wasm'); // fast on any machine
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  const bar = page.getByRole('progressbar', { name: 'Training progress' });
  await page.waitForFunction(
    (el) => el?.getAttribute('aria-valuenow') === el?.getAttribute('aria-valuemax'),
    await bar.elementHandle(),
    { timeout: 120_000 },
  );
  await page.getByText('Evaluation accuracy').waitFor();
  await page.waitForTimeout(500); // lets the last chart frame and the boundary redraw land
  await mkdir(new URL('../docs/', import.meta.url), { recursive: true });
  await page.screenshot({ path: out.pathname, fullPage: true });
  console.log(`saved ${out.pathname}`);
} finally {
  await browser.close();
}
