/**
 * The training worker: the EngineApi exposed with Comlink. It owns tfjs, the datasets, the
 * checkpoint store and the current Session; the UI only sends plain configs and receives plain
 * progress events.
 */
import * as Comlink from 'comlink';
import * as tf from '@tensorflow/tfjs';
import type { DataConfig, RunConfig } from '../shared/config';
import type { TensorEntry } from '../shared/checkpoint';
import type { DecisionBoundary, EngineApi, EvalResult, RemoteRunEvent, TestHooks } from '../shared/engine-api';
import * as store from '../checkpoint';
import { clear, createStore, setMany } from 'idb-keyval';
import { loadDataset, previewOf, type Dataset } from './data';
import { chooseBackend, prewarmWasm } from './backends';
import { forgetLastChoice } from './backend-memory';
import { bareLoopSamplesPerSec } from './bare-loop';
import { Session } from './session';
import { exportCheckpoint, importFile, pythonFor } from './files';
import type { Trainer } from './trainer';
import { watchRun } from './watch';
import { reportDeviceLoss } from './device-loss';
import { testHooks } from './test-hooks';

let session: Session | null = null;
/** Weights of the last uploaded state_dict, for a run started with weightsFrom 'uploaded'. */
let uploaded: TensorEntry[] | null = null;
/** Cancels the upload being read (importFile), if any. */
let importing: AbortController | null = null;
const loadData = (c: RunConfig) => dataset(c.data);
let cached: { key: string; data: Promise<Dataset> } | null = null;

function dataset(cfg: DataConfig): Promise<Dataset> {
  const key = JSON.stringify(cfg);
  if (cached?.key !== key) {
    const data = loadDataset(cfg, fetchBytes);
    data.catch(() => (cached = null));
    cached = { key, data };
  }
  return cached.data;
}

async function fetchBytes(url: string): Promise<ArrayBuffer> {
  const res = await fetch(new URL(url, self.location.origin + import.meta.env.BASE_URL));
  if (!res.ok) throw new Error(`Could not load ${url}: HTTP ${res.status}`);
  return res.arrayBuffer();
}

function current(): Trainer {
  if (!session?.trainer) throw new Error('No model yet: train first.');
  return session.trainer;
}

const api: Omit<EngineApi, keyof TestHooks> = {
  async previewData(cfg) {
    return previewOf(await dataset(cfg));
  },

  async train(config, onProgress, onBackend, options, onCheckpoint) {
    const state = session?.trainer?.runState;
    if (state === 'training' || state === 'paused' || state === 'measuring') throw new Error('A run is already in progress: stop it first.');
    session?.trainer?.dispose();
    session = new Session(options?.runId ?? `scratch-${Date.now()}`);
    const opts = options ?? { runId: session.runId, notes: '' };
    const settings = options ? config.train.checkpoints : { ...config.train.checkpoints, saveEveryEpochs: 0, saveEverySteps: 0, saveEveryMinutes: 0 };
    return session.run({ ...config, train: { ...config.train, checkpoints: settings } }, opts, { onProgress, onBackend, onCheckpoint }, loadData, uploaded);
  },

  async pause() {
    session?.trainer?.pause();
  },
  async resume() {
    session?.trainer?.resume();
  },
  async stop() {
    session?.trainer?.stop();
  },
  async saveNow() {
    await session?.saveNow();
  },

  evaluate: () => reportDeviceLoss(evaluate),
  decisionBoundary: (grid) => reportDeviceLoss(() => decisionBoundary(grid)),
  predict: (input) => reportDeviceLoss(() => predict(input)),
  readState: () => reportDeviceLoss(async () => current().readout()),


  async resumeInfo(runId) {
    const found = await store.loadLatestValid(runId).catch((e: Error) => {
      console.warn(`No resumable checkpoint for run ${runId}`, e);
      return null;
    });
    if (!found) return null;
    const { record, skipped } = found;
    const lockedElsewhere = await api.runLocked(runId);
    return {
      meta: record.meta,
      config: record.config,
      notes: record.notes,
      history: record.trainer.history,
      stepLosses: record.trainer.stepLosses,
      best: record.trainer.best,
      skipped,
      lockedElsewhere,
    };
  },
  async listCheckpoints(runId) {
    return (await store.loadManifest(runId))?.checkpoints ?? [];
  },
  async deleteCheckpoint(runId, id) {
    await store.deleteCheckpoint(runId, id);
  },
  async cleanupCheckpoints(runId, keepLast) {
    return store.cleanupToLast(runId, keepLast);
  },
  async deleteRun(runId) {
    await store.deleteRun(runId);
  },
  async storageStatus() {
    return store.storageEstimate();
  },
  async exportCheckpoint(runId, checkpointId, format, notebookName) {
    const live = async () => (session?.runId === runId ? session.liveRecord() : null);
    const file = await reportDeviceLoss(() => exportCheckpoint(runId, checkpointId, format, notebookName, loadData, live));
    return Comlink.transfer(file, [file.bytes.buffer]);
  },
  async importFile(fileName, bytes, current) {
    importing?.abort(); // the UI reads one file at a time; a new upload supersedes an old one
    const controller = new AbortController();
    importing = controller;
    try {
      const { result, weights } = await importFile(fileName, bytes, current, loadData, controller.signal);
      if (weights) uploaded = weights;
      return result;
    } finally {
      if (importing === controller) importing = null;
    }
  },
  async cancelImport() {
    importing?.abort();
  },
  async pytorchCode(config, fileName) {
    return pythonFor(config, fileName, loadData);
  },
  async watchRun(runId, onEvent: (e: RemoteRunEvent) => void) {
    return watchRun(runId, onEvent);
  },
  async runLocked(runId) {
    const held = (await navigator.locks?.query())?.held ?? [];
    const mine = session?.runId === runId && ['training', 'paused'].includes(session.trainer?.runState ?? '');
    return !mine && held.some((l) => l.name === store.runLockName(runId));
  },

  async backend() {
    return session?.backend ?? null;
  },
  async forgetBackendChoice() {
    return forgetLastChoice();
  },
  async benchmarkBareLoop(config, backend, seconds) {
    const data = await dataset(config.data);
    await chooseBackend(backend, [], async () => ({ samplesPerSec: 0, stoppedEarly: false }));
    return bareLoopSamplesPerSec(config, data, seconds);
  },
  benchmarkReadback: () => reportDeviceLoss(benchmarkReadback),
  async benchmarkRawWrite() {
    // The current run's own tensor bytes (float data barely compresses, unlike zero-filled buffers).
    const { tensors } = await current().snapshot();
    const scratch = createStore('tab-trainer-bench', 'kv');
    const t0 = performance.now();
    await setMany(tensors.map((t) => [t.name, t.data]), scratch);
    const ms = performance.now() - t0;
    await clear(scratch);
    return { ms, bytes: tensors.reduce((n, t) => n + t.data.byteLength, 0) };
  },
  async numTensors() {
    return tf.memory().numTensors;
  },
};

async function evaluate(): Promise<EvalResult> {
  const t = current();
  const d = t.data;
  const v = await t.validate();
  if (d.kind === 'regression') return { kind: 'regression', mse: v.loss, classNames: d.classNames };
  const confusion = d.classNames.map(() => new Array<number>(d.outputs).fill(0));
  v.predictions?.forEach((p, i) => confusion[d.yVal[i]][p]++);
  return { kind: 'classification', accuracy: v.accuracy, confusion, classNames: d.classNames };
}

async function decisionBoundary(grid: number): Promise<DecisionBoundary | null> {
  const t = current();
  const d = t.data;
  if (d.inputShape.length !== 1 || d.inputShape[0] !== 2 || d.kind !== 'classification') return null;
  const [xMin, xMax, yMin, yMax] = extent2d(d);
  const points = new Float32Array(grid * grid * 2);
  for (let r = 0; r < grid; r++)
    for (let c = 0; c < grid; c++) {
      points[(r * grid + c) * 2] = xMin + ((c + 0.5) / grid) * (xMax - xMin);
      points[(r * grid + c) * 2 + 1] = yMax - ((r + 0.5) / grid) * (yMax - yMin);
    }
  const pred = tf.tidy(() => tf.argMax(t.predictLogits(tf.tensor2d(points, [grid * grid, 2])), 1));
  const classes = Uint8Array.from(await pred.data());
  pred.dispose();
  return { classes, grid, xMin, xMax, yMin, yMax };
}

async function predict(input: Float32Array): Promise<number[]> {
  const t = current();
  const probs = tf.tidy(() => {
    const logits = t.predictLogits(tf.tensor(input, [1, ...t.data.inputShape]));
    return t.data.kind === 'classification' ? tf.softmax(logits) : logits;
  });
  const out = Array.from(await probs.data());
  probs.dispose();
  return out;
}

async function benchmarkReadback(): Promise<number> {
  // Fresh device copies, so no CPU-side cache answers; the small sum waits for them to be computed.
  const copies = current().namedState().map((v) => tf.mul(v.variable, 1));
  const fence = tf.sum(copies[copies.length - 1]);
  await fence.data();
  const t0 = performance.now();
  await Promise.all(copies.map((c) => c.data()));
  const ms = performance.now() - t0;
  tf.dispose([fence, ...copies]);
  return ms;
}

/** Bounding box of the 2-D inputs with a 10% margin. */
function extent2d(d: Dataset): [number, number, number, number] {
  let [x0, x1, y0, y1] = [Infinity, -Infinity, Infinity, -Infinity];
  for (const xs of [d.xTrain, d.xVal])
    for (let i = 0; i < xs.length; i += 2) {
      x0 = Math.min(x0, xs[i]);
      x1 = Math.max(x1, xs[i]);
      y0 = Math.min(y0, xs[i + 1]);
      y1 = Math.max(y1, xs[i + 1]);
    }
  const mx = (x1 - x0) * 0.1;
  const my = (y1 - y0) * 0.1;
  return [x0 - mx, x1 + mx, y0 - my, y1 + my];
}

// Hooks for the browser tests exist only in the test build (`vite build --mode test`): the
// condition is a constant, so the production bundle drops them (test/README.md says how to check).
Comlink.expose(import.meta.env.MODE === 'test' ? { ...api, ...testHooks(api) } : api);
prewarmWasm();
