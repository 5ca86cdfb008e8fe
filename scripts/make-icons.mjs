/**
 * Renders the PNG icons of public/icons/ from their SVG sources with the Chromium the tests use
 * (CHROMIUM_PATH, default /usr/bin/chromium). Run by hand after editing an SVG; the PNGs are committed:
 *   node scripts/make-icons.mjs
 * icon.svg (rounded, transparent corners) gives icon-192.png, icon-512.png and apple-touch-icon.png;
 * maskable.svg (full bleed, content inside the 80 % safe zone) gives maskable-512.png.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const dir = join(resolve(dirname(fileURLToPath(import.meta.url)), '..'), 'public', 'icons');
const OUTPUTS = [
  ['icon.svg', 'icon-192.png', 192],
  ['icon.svg', 'icon-512.png', 512],
  ['icon.svg', 'apple-touch-icon.png', 180],
  ['maskable.svg', 'maskable-512.png', 512],
];

const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: ['--no-sandbox'] });
try {
  const page = await browser.newPage();
  for (const [source, target, size] of OUTPUTS) {
    const svg = readFileSync(join(dir, source), 'utf8').replace('<svg ', `<svg width="${size}" height="${size}" `);
    await page.setViewportSize({ width: size, height: size });
    await page.setContent(`<html><body style="margin:0;background:transparent">${svg}</body></html>`);
    await page.locator('svg').screenshot({ path: join(dir, target), omitBackground: true });
    console.log(`make-icons: ${target} (${size}×${size})`);
  }
} finally {
  await browser.close();
}
