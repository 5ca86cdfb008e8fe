#!/usr/bin/env node
/**
 * npm run bench: drives Debian's Chromium against the built app and prints, for each model and
 * backend, samples/s of the app's engine, samples/s of a bare tfjs loop with the same model in the
 * same browser, and their ratio (target ≥ 0.97); then which backend auto picks (target: within 5%
 * of the fastest). Figures, not assertions: nothing here fails on a slow machine.
 *
 * Env: CHROMIUM_PATH (default /usr/bin/chromium), BENCH_SECONDS per measurement (default 6),
 * BENCH_URL to use an already running server instead of `vite preview`.
 */
import { spawn, execSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 6);
const BACKENDS = ['webgpu', 'webgl', 'wasm', 'cpu'];
const args = ['--headless=new', '--no-sandbox', '--enable-unsafe-webgpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];

const train = (over) => ({
  epochs: 1000, batchSize: 64, learningRate: 0.001, optimizer: 'adam', momentum: 0.9, weightDecay: 0,
  schedule: { name: 'constant', stepEpochs: 10, gamma: 0.5, warmupSteps: 100, minLrFactor: 0 }, backend: 'auto', seed: 1, ...over,
});
const data = (dataset, samples = 1000) => ({ dataset, samples, noise: 0.05, validationSplit: 0.2, seed: 42 });
export const CASES = [
  { label: 'MLP 784-128-10, digits, batch 64', config: { data: data('digits'), model: { name: 'MLP small', layers: [{ type: 'flatten' }, { type: 'dense', units: 128, activation: 'relu' }] }, train: train({}) } },
  { label: 'Tiny MLP, spiral, batch 32', config: { data: data('spiral'), model: { name: 'Tiny MLP', layers: [{ type: 'dense', units: 16, activation: 'relu' }, { type: 'dense', units: 16, activation: 'relu' }] }, train: train({ batchSize: 32, learningRate: 0.01 }) } },
];

async function startServer() {
  if (process.env.BENCH_URL) return { url: process.env.BENCH_URL, stop() {} };
  if (!existsSync('dist/index.html')) execSync('npm run build', { stdio: 'inherit' });
  const server = spawn('npx', ['vite', 'preview', '--port', '4180', '--strictPort', '--host', '127.0.0.1'], { stdio: 'ignore' });
  const url = 'http://127.0.0.1:4180/';
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(url)).ok) return { url, stop: () => server.kill() };
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  server.kill();
  throw new Error('vite preview did not start on port 4180');
}

/** Steady-state samples/s of the app's engine: step rate between progress events, epoch ends excluded. */
async function engineRate(page, config, seconds) {
  return page.evaluate(async ({ config, seconds }) => {
    const { engine, proxy } = window.__tabTrainer;
    const events = [];
    let info;
    const done = engine.train(config, proxy((e) => events.push({ t: performance.now(), step: e.step, end: !!e.epochMetrics })), proxy((b) => (info = b)));
    while (!info) await new Promise((r) => setTimeout(r, 50));
    const start = performance.now();
    while (performance.now() - start < seconds * 1000) await new Promise((r) => setTimeout(r, 100));
    await engine.stop();
    await done;
    let steps = 0, ms = 0;
    const warm = events.filter((e) => e.step >= 5);
    for (let i = 1; i < warm.length; i++) {
      if (warm[i].end || warm[i].step === warm[i - 1].step) continue;
      steps += warm[i].step - warm[i - 1].step;
      ms += warm[i].t - warm[i - 1].t;
    }
    return { rate: ms > 0 ? (steps * config.train.batchSize) / (ms / 1000) : NaN, info };
  }, { config, seconds });
}

const fmt = (x) => (Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : 'n/a');

async function main() {
  const server = await startServer();
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args });
  try {
    const page = await browser.newPage();
    await page.goto(server.url);
    await page.waitForFunction(() => '__tabTrainer' in window);
    const rows = [];
    for (const c of CASES) {
      for (const backend of BACKENDS) {
        const cfg = { ...c.config, train: { ...c.config.train, backend } };
        try {
          const eng = await engineRate(page, cfg, SECONDS);
          const bare = await page.evaluate(({ cfg, backend, s }) => window.__tabTrainer.engine.benchmarkBareLoop(cfg, backend, s), { cfg, backend, s: SECONDS });
          rows.push({ model: c.label, backend, engine: eng.rate, bare, ratio: eng.rate / bare });
        } catch (e) {
          rows.push({ model: c.label, backend, error: String(e.message ?? e).split('\n')[0] });
        }
        printRow(rows[rows.length - 1]);
      }
      const auto = await engineRate(page, { ...c.config, train: { ...c.config.train, backend: 'auto' } }, SECONDS);
      const mine = rows.filter((r) => r.model === c.label && r.engine);
      const fastest = mine.reduce((a, b) => (b.engine > a.engine ? b : a));
      const picked = mine.find((r) => r.backend === auto.info.name);
      const measured = auto.info.measurements.map((m) => `${m.backend} ${m.samplesPerSec ? fmt(m.samplesPerSec) : 'skipped'}`).join(', ');
      console.log(`  auto picked ${auto.info.name} (${auto.info.reason}; measured ${measured}); engine on it ${fmt(auto.rate)} samples/s = ${((picked?.engine ?? NaN) / fastest.engine * 100).toFixed(1)}% of the fastest (${fastest.backend})`);
    }
  } finally {
    await browser.close();
    server.stop();
  }
}

function printRow(r) {
  if (!printRow.header) {
    console.log(`Engine vs bare tfjs loop, ${SECONDS} s per measurement (samples/s)`);
    console.log('model                               backend   engine     bare    engine/bare');
    printRow.header = true;
  }
  if (r.error) console.log(`${r.model.padEnd(36)}${r.backend.padEnd(8)}  error: ${r.error}`);
  else console.log(`${r.model.padEnd(36)}${r.backend.padEnd(8)}${fmt(r.engine).padStart(8)}${fmt(r.bare).padStart(9)}    ${r.ratio.toFixed(3)}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
