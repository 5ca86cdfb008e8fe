/**
 * A static host that sends no COOP/COEP headers (a plain file server over dist-test/): the app's one
 * service worker (src/service-worker/sw.ts, offline and isolation in one) adds them, the page reloads
 * once, and WASM runs threaded; then the network goes away and the page is still isolated and trains.
 */
import { test, expect } from '@playwright/test';
import { createServer, type Server } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';

const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.wasm': 'application/wasm', '.json': 'application/json' };
const root = join(process.cwd(), 'dist-test');
let server: Server;
let port = 0; // any free one: parallel clones run their own servers

test.beforeAll(async () => {
  server = createServer(async (req, res) => {
    const asked = normalize(decodeURIComponent(new URL(req.url!, 'http://x').pathname)).replace(/^(\.\.[/\\])+/, '');
    const path = asked === '/' ? '/index.html' : asked;
    try {
      const body = await readFile(join(root, path));
      res.writeHead(200, { 'Content-Type': TYPES[extname(path)] ?? 'application/octet-stream' });
      res.end(body);
    } catch {
      res.writeHead(404).end('not found');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as { port: number }).port;
});
test.afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

test('on a host without COOP/COEP, the one service worker isolates the page, WASM gets its threads, and it works offline', async ({ page, context }) => {
  const origin = `http://127.0.0.1:${port}`;
  const plain = await fetch(`${origin}/`);
  expect(plain.headers.get('cross-origin-embedder-policy')).toBeNull(); // the host really sends none

  await page.goto(`${origin}/?backend=wasm`);
  // The page reloads once when the worker takes control; an evaluate cut off by it counts as not yet.
  await expect.poll(() => page.evaluate(() => self.crossOriginIsolated).catch(() => false), { timeout: 30_000 }).toBe(true);
  await page.waitForLoadState();
  // One worker: the offline one (vite-plugin-pwa's sw.js) is also the one that isolates.
  const registrations = await page.evaluate(async () => (await navigator.serviceWorker.getRegistrations()).map((r) => r.active?.scriptURL));
  expect(registrations).toEqual([`${origin}/sw.js`]);
  expect(await page.evaluate(() => navigator.serviceWorker.controller?.scriptURL)).toBe(`${origin}/sw.js`);
  const cores = await page.evaluate(() => navigator.hardwareConcurrency);
  expect(cores).toBeGreaterThan(1); // else "threads" below could not tell one from many

  const trainSpiral = async (again: boolean) => {
    await page.getByLabel('Dataset', { exact: true }).selectOption({ label: 'Spiral (2D)' });
    await page.getByLabel('Preset', { exact: true }).selectOption('Tiny MLP');
    await page.getByLabel('Epochs', { exact: true }).fill('1');
    await page.getByRole('button', { name: 'Train', exact: true }).click();
    // The notebook kept the finished run: Train asks before replacing it.
    if (again) await page.getByRole('dialog', { name: 'Start fresh?' }).getByRole('button', { name: 'Start fresh' }).click();
    await expect(page.getByText('Backend: wasm')).toBeVisible();
    await expect(page.getByText(`WASM threads: ${Math.min(cores, 8)}`, { exact: true })).toBeVisible();
    await expect(page.getByRole('progressbar', { name: 'Training progress' })).toHaveAttribute('aria-valuenow', '1', { timeout: 150_000 });
  };
  await trainSpiral(false);

  await context.setOffline(true);
  expect(await page.evaluate(() => fetch('/not-precached.txt').then(() => 'fetched', () => 'failed'))).toBe('failed');
  await page.goto(`${origin}/?backend=wasm`);
  expect(await page.evaluate(() => self.crossOriginIsolated)).toBe(true);
  await trainSpiral(true);
});
