#!/usr/bin/env node
/**
 * npm run bench: drives Debian's Chromium against the built app and prints, for each model and
 * backend, samples/s of the app's engine, samples/s of a bare tfjs loop with the same model in the
 * same browser, and their ratio (target ≥ 0.97); then which backend auto picks (target: within 5%
 * of the fastest). Figures, not assertions: nothing here fails on a slow machine.
 *
 * Env: CHROMIUM_PATH (default /usr/bin/chromium), BENCH_SECONDS per measurement (default 6),
 * BENCH_URL to use an already running server instead of `vite preview`, BENCH_ONLY to run some
 * sections (comma-separated: speed, checkpoint, resume, overhead, live, bundle, torch, first-step, runs; torch
 * and first-step are in bench-torch.mjs, runs (IndexedDB usage after 20 runs, 10 deleted) in bench-runs.mjs).
 */
import { spawn, execSync } from 'node:child_process';
import { engineRate } from './bench-engine.mjs';
import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { speedVsTorch, trainToFirstStep } from './bench-torch.mjs';
import { runsStorageBench } from './bench-runs.mjs';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 6);
const ONLY = process.env.BENCH_ONLY?.split(',').map((x) => x.trim());
const want = (section) => !ONLY || ONLY.includes(section);
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
  // The bench drives the engine's test hooks (benchmark*, window.__tabTrainer): only the test build has them.
  if (!existsSync('dist-test/index.html')) execSync('npm run build:test', { stdio: 'inherit' });
  const server = spawn('npx', ['vite', 'preview', '--outDir', 'dist-test', '--port', process.env.PREVIEW_PORT ?? '4180', '--strictPort', '--host', '127.0.0.1'], { stdio: 'ignore' });
  const url = `http://127.0.0.1:${process.env.PREVIEW_PORT ?? 4180}/`;
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(url)).ok) return { url, stop: () => server.kill() };
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  server.kill();
  throw new Error(`vite preview did not start on port ${process.env.PREVIEW_PORT ?? 4180}`);
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
    for (const c of want('speed') ? CASES : []) {
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
    if (want('checkpoint')) for (const backend of ['webgpu', 'wasm']) await checkpointBench(page, backend);
    if (want('resume')) for (const backend of ['webgpu', 'wasm']) await resumeBench(page, server.url, backend);
    if (want('overhead')) await overheadBench(page, 'wasm');
    if (want('live')) for (const backend of ['wasm', 'cpu']) await liveViewBench(page, backend);
    if (want('bundle')) await bundleBrowserBench(page);
    if (want('torch')) await speedVsTorch(browser, server.url, 'dist-test', SECONDS);
    if (want('first-step')) await trainToFirstStep(browser, server.url);
    if (want('runs')) await runsStorageBench(browser, server.url);
  } finally {
    await browser.close();
    server.stop();
  }
}

const digitsMlp = (units) => ({ name: 'MLP', layers: [{ type: 'flatten' }, ...units.map((u) => ({ type: 'dense', units: u, activation: 'relu' }))] });
const CHECKPOINT_MODELS = [
  ['MLP small', [128]],
  ['MLP medium', [1024, 256]],
  ['MLP large', [2048, 2048, 2048]],
];
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Trains with a save every few steps until `saves` checkpoints committed; returns their timings. */
async function savesDuring(page, config, runId, saves) {
  return page.evaluate(async ({ config, runId, saves }) => {
    const { engine, proxy } = window.__tabTrainer;
    await engine.deleteRun(runId);
    const timings = [];
    const errors = [];
    const done = engine.train(config, proxy(() => {}), proxy(() => {}), { runId, notes: '' }, proxy((e) => {
      if (e.timings) timings.push(e.timings);
      if (e.error) errors.push(e.error.message);
      if (timings.length === saves || errors.length) void engine.stop();
    }));
    await done;
    const readback = [];
    for (let i = 0; i < 3; i++) readback.push(await engine.benchmarkReadback());
    const raw = [];
    for (let i = 0; i < 3; i++) raw.push(await engine.benchmarkRawWrite());
    return { timings, readback, raw, errors };
  }, { config, runId, saves });
}

async function checkpointBench(page, backend) {
  console.log(`\nCheckpoint cost on ${backend} (digits, batch 64; median of the saves)`);
  console.log('model        params    size MiB  stall ms  bare readback ms  stall/readback  write MiB/s: while training  idle  raw setMany');
  for (const [label, units] of CHECKPOINT_MODELS) {
    const config = { data: data('digits'), model: digitsMlp(units), train: train({ backend, checkpoints: { saveEveryEpochs: 0, saveEverySteps: 3, saveEveryMinutes: 0, keepLast: 2 } }) };
    try {
      const r = await savesDuring(page, config, `bench-${label}`, 4);
      if (r.errors.length || !r.timings.length) throw new Error(r.errors[0] ?? 'no checkpoint saved');
      const mib = r.timings[0].bytes / 2 ** 20;
      // The last save is the one taken at stop, written while nothing trains.
      const during = r.timings.slice(0, -1);
      const idle = r.timings[r.timings.length - 1];
      const stall = median(during.map((t) => t.stallMs));
      const write = median(during.map((t) => t.writeMs));
      const params = units.reduce((acc, u, i, a) => acc + (i ? a[i - 1] : 784) * u + u, 0) + units[units.length - 1] * 10 + 10;
      console.log(`${label.padEnd(12)}${fmt(params).padStart(10)}${mib.toFixed(1).padStart(10)}${stall.toFixed(0).padStart(10)}${median(r.readback).toFixed(0).padStart(18)}${(stall / median(r.readback)).toFixed(2).padStart(16)}${(mib / (write / 1000)).toFixed(0).padStart(29)}${(mib / (idle.writeMs / 1000)).toFixed(0).padStart(6)}${median(r.raw.map((x) => x.bytes / 2 ** 20 / (x.ms / 1000))).toFixed(0).padStart(13)}`);
    } catch (e) {
      console.log(`${label.padEnd(12)} error: ${String(e.message ?? e).split('\n')[0]}`);
    }
  }
}

/** Page load to first resumed step; first-step time (shader compile included) vs a steady step. */
async function resumeBench(page, url, backend) {
  const runId = `bench-resume-${backend}`;
  const config = { data: data('digits'), model: digitsMlp([128]), train: train({ backend, epochs: 2, checkpoints: { saveEveryEpochs: 1, saveEverySteps: 0, saveEveryMinutes: 0, keepLast: 2 } }) };
  await page.evaluate(async ({ config, runId }) => {
    const { engine, proxy } = window.__tabTrainer;
    await engine.deleteRun(runId);
    await engine.train({ ...config, train: { ...config.train, epochs: 1 } }, proxy(() => {}), proxy(() => {}), { runId, notes: '' });
  }, { config, runId });
  await page.goto('about:blank');
  const t0 = Date.now();
  await page.goto(url);
  await page.waitForFunction(() => '__tabTrainer' in window);
  const r = await page.evaluate(async ({ config, runId }) => {
    const { engine, proxy } = window.__tabTrainer;
    const marks = { ready: performance.now() };
    const events = [];
    let settled = null;
    // The stored run planned one epoch and finished it: resume it with one more.
    const done = engine.train(config, proxy((e) => events.push({ t: performance.now(), step: e.step })), proxy(() => (marks.backend = performance.now())), { runId, notes: '', resumeFrom: 'latest', extraEpochs: 1 });
    done.then(() => (settled = new Error('the resumed run ended before three progress events')), (e) => (settled = e));
    while (events.length < 3 && !settled) await new Promise((r) => setTimeout(r, 20));
    if (events.length < 3) throw settled;
    await engine.stop();
    await done;
    const [first, second] = events;
    return { origin: performance.timeOrigin, ready: marks.ready, backend: marks.backend, first: first.t, steady: (events[2].t - second.t) / Math.max(1, events[2].step - second.step), firstStep: first.step };
  }, { config, runId });
  const loadMs = r.origin - t0 + r.ready;
  const firstStepMs = r.first - r.backend;
  console.log(`\nResume on ${backend}: page load → app ready ${(loadMs).toFixed(0)} ms; checkpoint read + validate + backend ${(r.backend - r.ready).toFixed(0)} ms; restore + first step ${firstStepMs.toFixed(0)} ms (a steady step takes ${r.steady.toFixed(1)} ms, so shader compile and upload ≈ ${(firstStepMs - r.steady).toFixed(0)} ms); load → first resumed step ${(loadMs + r.first - r.ready).toFixed(0)} ms`);
}

/** Total training time with a checkpoint every epoch vs none (best of 2 each, alternating). */
async function overheadBench(page, backend) {
  const config = (every) => ({ data: data('digits'), model: digitsMlp([128]), train: train({ backend, epochs: 4, checkpoints: { saveEveryEpochs: every, saveEverySteps: 0, saveEveryMinutes: 0, keepLast: 3 } }) });
  const time = (cfg) => page.evaluate(async (cfg) => {
    const { engine, proxy } = window.__tabTrainer;
    await engine.deleteRun('bench-overhead');
    const t0 = performance.now();
    await engine.train(cfg, proxy(() => {}), proxy(() => {}), { runId: 'bench-overhead', notes: '' });
    return performance.now() - t0;
  }, cfg);
  const off = [], on = [];
  for (let i = 0; i < 2; i++) {
    off.push(await time(config(0)));
    on.push(await time(config(1)));
  }
  const [a, b] = [Math.min(...off), Math.min(...on)];
  console.log(`\nSave every epoch on ${backend}, 4 epochs of MLP small on digits: ${(b / 1000).toFixed(2)} s vs ${(a / 1000).toFixed(2)} s without checkpoints: overhead ${(((b - a) / a) * 100).toFixed(1)}% (target ≤ 3%)`);
}

/**
 * What the live decision boundary (Spiral) and fitted curve (Sine) cost training: samples/s with the
 * Evaluate cell's throttled redraws against without, alternating, best of 2 each (target ≤ 5%).
 */
async function liveViewBench(page, backend) {
  const tiny = CASES[1].config;
  const sets = [['boundary', 'Spiral, Tiny MLP', tiny], ['curve', 'Sine, Tiny MLP', { ...tiny, data: data('sine') }]];
  for (const [live, label, base] of sets) {
    const config = { ...base, train: { ...base.train, backend } };
    const off = [], on = [];
    let redraws = 0;
    for (let i = 0; i < 2; i++) {
      off.push((await engineRate(page, config, SECONDS)).rate);
      const r = await engineRate(page, config, SECONDS, live);
      on.push(r.rate);
      redraws += r.redraws;
    }
    const [a, b] = [Math.max(...off), Math.max(...on)];
    console.log(`\nLive ${live} on ${backend}, ${label}, batch 32: ${fmt(b)} samples/s with ${redraws} redraws vs ${fmt(a)} without: cost ${(((a - b) / a) * 100).toFixed(1)}% (target ≤ 5%)`);
  }
}

/** Export and import of an MLP large checkpoint end to end in the worker (IndexedDB read/write included). */
async function bundleBrowserBench(page) {
  const config = { data: data('digits'), model: digitsMlp([2048, 2048, 2048]), train: train({ backend: 'wasm', checkpoints: { saveEveryEpochs: 0, saveEverySteps: 2, saveEveryMinutes: 0, keepLast: 1 } }) };
  const r = await page.evaluate(async (config) => {
    const { engine, proxy } = window.__tabTrainer;
    const runId = 'bench-bundle';
    await engine.deleteRun(runId);
    let saved = false;
    await engine.train(config, proxy(() => {}), proxy(() => {}), { runId, notes: '' }, proxy((e) => {
      if (e.saved && !saved) {
        saved = true;
        void engine.stop();
      }
    }));
    const t0 = performance.now();
    const file = await engine.exportCheckpoint(runId, 'latest', 'bundle', 'bench');
    const exportMs = performance.now() - t0;
    const size = file.bytes.length;
    const t1 = performance.now();
    const imported = await engine.importFile(file.fileName, file.bytes, config);
    const importMs = performance.now() - t1;
    await engine.deleteRun(runId);
    if (imported.kind === 'bundle') await engine.deleteRun(imported.runId);
    return { exportMs, importMs, size };
  }, config);
  const mib = r.size / 2 ** 20;
  console.log(`\nBundle in the browser (wasm worker), MLP large, ${mib.toFixed(1)} MiB: export (IndexedDB read + encode) ${(mib / (r.exportMs / 1000)).toFixed(0)} MiB/s (${r.exportMs.toFixed(0)} ms); import (decode + validate + IndexedDB write) ${(mib / (r.importMs / 1000)).toFixed(0)} MiB/s (${r.importMs.toFixed(0)} ms)`);
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

async function all() {
  await main();
  if (want('bundle')) execSync('npx tsx scripts/bench-bundle.ts', { stdio: 'inherit' });
}

all().catch((e) => {
  console.error(e);
  process.exit(1);
});
