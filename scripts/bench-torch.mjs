/**
 * `npm run bench` sections for issue 11 (speed): samples/s of CNN small and MLP small on digits per
 * backend — WASM with one thread (a page that is not cross-origin isolated) and with every thread —
 * against PyTorch on the same machine with one thread and with every core (torch 2.x with OpenBLAS
 * in the trixie root: Debian's host torch uses the reference BLAS and would flatter us); and the
 * time from pressing Train to the first step, on a first visit (auto measures) and a second one
 * (auto's remembered choice). Figures only; nothing fails on a slow machine.
 */
import { execFileSync } from 'node:child_process';
import { engineRate } from './bench-engine.mjs';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { basename, extname, join, normalize } from 'node:path';

const fmt = (x) => (Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : 'n/a');
const TORCH2_ROOT = process.env.TORCH2_ROOT ?? '/var/cache/tab-trainer/trixie';

const train = (over) => ({
  epochs: 1000, batchSize: 64, learningRate: 0.001, optimizer: 'adam', momentum: 0.9, weightDecay: 0,
  schedule: { name: 'constant', stepEpochs: 10, gamma: 0.5, warmupSteps: 100, minLrFactor: 0 }, backend: 'auto', seed: 1, ...over,
});
const digits = { dataset: 'digits', samples: 1000, noise: 0.05, validationSplit: 0.2, seed: 42 };
const dense = (units) => ({ type: 'dense', units, activation: 'relu' });
export const MODELS = {
  'CNN small': { name: 'CNN small', layers: [{ type: 'conv2d', filters: 8, kernelSize: 3, activation: 'relu' }, { type: 'maxpool2d', poolSize: 2 }, { type: 'conv2d', filters: 16, kernelSize: 3, activation: 'relu' }, { type: 'maxpool2d', poolSize: 2 }, { type: 'flatten' }, dense(64)] },
  'MLP small': { name: 'MLP small', layers: [{ type: 'flatten' }, dense(128)] },
};

/** PyTorch samples/s per model and thread count, run in the trixie root with /proc mounted privately. */
export function torchRates(seconds) {
  if (!existsSync(join(TORCH2_ROOT, 'usr/bin/python3'))) return { skipped: `no torch 2.x root at ${TORCH2_ROOT} (make it with .ci/torch2-root.sh)` };
  const dir = mkdtempSync(join(TORCH2_ROOT, 'tmp', 'bench-'));
  try {
    copyFileSync('scripts/bench_torch.py', join(dir, 'bench_torch.py'));
    const inside = `/tmp/${basename(dir)}/bench_torch.py`;
    // unshare: the /proc mount lives and dies with this process, never left behind in the root.
    const out = execFileSync('unshare', ['-m', 'sh', '-c', `mount -t proc proc "$0/proc" && exec chroot "$0" python3 "$1" "$2"`, TORCH2_ROOT, inside, String(seconds)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return JSON.parse(out.trim().split('\n').pop());
  } catch (e) {
    return { skipped: `PyTorch run failed: ${String(e.stderr ?? e.message).trim().split('\n').pop()}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A plain static server over `root` without COOP/COEP: the page is not isolated, WASM has one thread. */
export async function plainServer(root) {
  const types = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.wasm': 'application/wasm', '.json': 'application/json' };
  const server = createServer((req, res) => {
    const asked = normalize(decodeURIComponent(new URL(req.url, 'http://x').pathname)).replace(/^(\.\.[/\\])+/, '');
    const path = asked === '/' ? '/index.html' : asked;
    try {
      const body = readFileSync(join(root, path));
      res.writeHead(200, { 'Content-Type': types[extname(path)] ?? 'application/octet-stream' });
      res.end(body);
    } catch {
      res.writeHead(404).end('not found');
    }
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${server.address().port}/`, stop: () => server.close() };
}


async function openApp(context, url) {
  const page = await context.newPage();
  await page.goto(url);
  await page.waitForFunction(() => '__tabTrainer' in window);
  return page;
}

/** Samples/s per backend in Chromium vs PyTorch, side by side; prints the table and the CNN target. */
export async function speedVsTorch(browser, isolatedUrl, distDir, seconds) {
  const plain = await plainServer(distDir);
  const isolated = await browser.newContext();
  const single = await browser.newContext({ serviceWorkers: 'block' }); // else the service worker would isolate it
  const rows = [];
  try {
    const pages = { isolated: await openApp(isolated, isolatedUrl), single: await openApp(single, plain.url) };
    for (const [label, model] of Object.entries(MODELS)) {
      for (const [backend, where] of [['webgpu', 'isolated'], ['webgl', 'isolated'], ['wasm', 'single'], ['wasm', 'isolated'], ['cpu', 'isolated']]) {
        const config = { data: digits, model, train: train({ backend }) };
        try {
          const r = await engineRate(pages[where], config, seconds);
          const threads = r.info?.wasmThreads?.count;
          rows.push({ label, name: backend === 'wasm' ? `wasm, ${threads} thread${threads === 1 ? '' : 's'}` : backend, rate: r.rate });
        } catch (e) {
          rows.push({ label, name: backend, error: String(e.message ?? e).split('\n')[0] });
        }
      }
    }
  } finally {
    await isolated.close();
    await single.close();
    plain.stop();
  }
  const torch = torchRates(seconds);
  console.log(`\nSamples/s on digits, batch 64, Adam (${seconds} s each; load average now ${(await import('node:os')).loadavg()[0].toFixed(1)})`);
  if (torch.skipped) console.log(`  PyTorch figures skipped: ${torch.skipped}`);
  else console.log(`  PyTorch ${torch.torch}, ${torch.cores} cores, BLAS loaded: ${torch.blas.join(', ') || 'none found'}`);
  for (const label of Object.keys(MODELS)) {
    console.log(`  ${label}`);
    for (const r of rows.filter((x) => x.label === label)) console.log(`    ${r.name.padEnd(22)}${r.error ? `error: ${r.error}` : fmt(r.rate).padStart(8)}`);
    for (const t of torch.results?.filter((x) => x.model === label) ?? []) console.log(`    ${`PyTorch, ${t.threads} thread${t.threads === 1 ? '' : 's'}`.padEnd(22)}${fmt(t.samplesPerSec).padStart(8)}`);
  }
  const best = rows.filter((r) => r.label === 'CNN small' && r.rate).reduce((a, b) => (b.rate > a.rate ? b : a), { rate: 0 });
  const torch1 = torch.results?.find((t) => t.model === 'CNN small' && t.threads === 1)?.samplesPerSec;
  if (torch1) console.log(`  CNN small: fastest backend (${best.name}) / PyTorch 1 thread = ${(best.rate / torch1).toFixed(2)} (target ≥ 0.33)`);
}

/** Press Train (the engine's train call) to the first progress event, with auto, on a first and a second visit. */
export async function trainToFirstStep(browser, url) {
  const context = await browser.newContext();
  console.log('\nTrain → first step with auto (digits, batch 64; a fresh profile, then a second visit in it; Train pressed once the');
  console.log('page has shown the dataset\'s preview, as the Data cell does at load, and 1 s after load)');
  try {
    for (const [label, model] of Object.entries(MODELS)) {
      const times = [];
      for (const visit of ['first', 'second']) {
        const page = await openApp(context, url);
        const r = await page.evaluate(async (config) => {
          const { engine, proxy } = window.__tabTrainer;
          await engine.previewData(config.data);
          await new Promise((r) => setTimeout(r, 1000));
          const t0 = performance.now();
          let first = null;
          let info;
          const done = engine.train(config, proxy((e) => { if (first === null && e.step >= 1) { first = performance.now() - t0; void engine.stop(); } }), proxy((b) => (info = b)));
          await done;
          return { ms: first, backend: info?.name, reason: info?.reason };
        }, { data: digits, model, train: train({ backend: 'auto' }) });
        times.push(`${visit} visit ${fmt(r.ms)} ms (${r.backend}, ${r.reason})`);
        await page.close();
      }
      console.log(`  ${label.padEnd(10)} ${times.join('; ')}`);
    }
  } finally {
    await context.close();
  }
}
