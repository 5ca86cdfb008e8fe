/**
 * A static host that sends no COOP/COEP headers (a plain file server over dist-test/): the app's
 * service worker (public/coi-sw.js) adds them, the page reloads once, and WASM runs threaded.
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

test('on a host without COOP/COEP, the service worker isolates the page and WASM gets its threads', async ({ page }) => {
  const origin = `http://127.0.0.1:${port}`;
  const plain = await fetch(`${origin}/`);
  expect(plain.headers.get('cross-origin-embedder-policy')).toBeNull(); // the host really sends none

  await page.goto(`${origin}/?backend=wasm`);
  // The page reloads once when the worker takes control; an evaluate cut off by it counts as not yet.
  await expect.poll(() => page.evaluate(() => self.crossOriginIsolated).catch(() => false), { timeout: 30_000 }).toBe(true);
  await page.waitForLoadState();
  expect(await page.evaluate(() => navigator.serviceWorker.controller?.scriptURL)).toBe(`${origin}/coi-sw.js`);
  const cores = await page.evaluate(() => navigator.hardwareConcurrency);

  await page.getByLabel('Dataset', { exact: true }).selectOption({ label: 'Spiral (2D)' });
  await page.getByLabel('Preset', { exact: true }).selectOption('Tiny MLP');
  await page.getByLabel('Epochs', { exact: true }).fill('1');
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await expect(page.getByText('Backend: wasm')).toBeVisible();
  await expect(page.getByText(`WASM threads: ${Math.min(cores, 8)}`, { exact: true })).toBeVisible();
  await expect(page.getByRole('progressbar', { name: 'Training progress' })).toHaveAttribute('aria-valuenow', '1', { timeout: 150_000 });
});
