/**
 * The training worker: its API, exposed with Comlink. The UI's type for it is `EngineApi`, derived
 * from `api` below (as Squoosh derives its worker API), so a method exists once. It owns tfjs, the
 * datasets, the checkpoint and file store and the current Session; the UI only sends plain configs
 * and receives plain progress events. Bench, debug and inspection calls (test-hooks.ts) exist only
 * in the test build.
 */
import * as Comlink from 'comlink';
import * as tf from '@tensorflow/tfjs';
import type { DataConfig, ModelIO, RunConfig } from '../shared/config';
import type { CheckpointMeta, RunCurves, RunLabel, RunListing, TensorEntry } from '../shared/checkpoint';
import type {
  BackendInfo,
  CheckpointEvent,
  DataPreview,
  DecisionBoundary,
  FittedCurve,
  EvalResult,
  GenerateRequest,
  ExportFormat,
  ImportResult,
  ProgressEvent,
  RemoteRunEvent,
  ResumeInfo,
  RunOptions,
  RunSummary,
} from '../shared/engine-api';
import { DatasetError } from '../shared/errors';
import * as store from '../checkpoint';
import { pytorchCode } from '../bundle';
import { loadDataset, previewOf, type Dataset } from './data';
import { prewarmWasm } from './backends';
import { forgetLastChoice } from './backend-memory';
import { Session } from './session';
import { exportCheckpoint, exportContinue, importFile } from './files';
import type { Trainer } from './trainer';
import { watchRun } from './watch';
import { reportDeviceLoss } from './device-loss';
import { testHooks } from './test-hooks';
import { generateText } from './generate';

let session: Session | null = null;
/** Weights of the last uploaded state_dict, for a run started with weightsFrom 'uploaded'. */
let uploaded: TensorEntry[] | null = null;
/** Cancels the upload being read (importFile), if any. */
let importing: AbortController | null = null;
const loadData = (c: RunConfig) => dataset(c.data);
let cached: { key: string; data: Promise<Dataset> } | null = null;

/** The dataset of `cfg`, kept while the config stays the same (uploaded files are in it by id, so the key is small). */
function dataset(cfg: DataConfig): Promise<Dataset> {
  const key = JSON.stringify(cfg);
  if (cached?.key !== key) {
    const data = loadDataset(cfg, fetchBytes, readStoredFile);
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

async function readStoredFile(id: string): Promise<Uint8Array> {
  const f = await store.readFile(id);
  if (!f) throw new DatasetError('The uploaded data file is no longer in browser storage (the browser may have cleared the site\'s data). Upload the file again in the Data cell.');
  return f.bytes;
}

function current(): Trainer {
  if (!session?.trainer) throw new Error('No model yet: train first.');
  return session.trainer;
}

const api = {
  /** Describes and previews a dataset (generated or loaded in the worker). Throws DatasetError. */
  async previewData(cfg: DataConfig): Promise<DataPreview> {
    return previewOf(await dataset(cfg));
  },

  /** Answers at once: the page's liveness check after a worker error. */
  async ping(): Promise<true> {
    return true;
  },

  /**
   * Trains a fresh run (or resumes one, see RunOptions) to completion, stop or failure. Resolves
   * with the final summary; `onProgress` is called after every batch of steps and at every epoch end.
   */
  async train(
    config: RunConfig,
    onProgress: (e: ProgressEvent) => void,
    onBackend: (b: BackendInfo) => void,
    options?: RunOptions,
    onCheckpoint?: (e: CheckpointEvent) => void,
  ): Promise<RunSummary> {
    const state = session?.trainer?.runState;
    if (state === 'training' || state === 'paused' || state === 'measuring') throw new Error('A run is already in progress: stop it first.');
    session?.trainer?.dispose();
    session = new Session(options?.runId ?? `scratch-${Date.now()}`);
    const opts = options ?? { runId: session.runId, notes: '' };
    const settings = options ? config.train.checkpoints : { ...config.train.checkpoints, saveEveryEpochs: 0, saveEverySteps: 0, saveEveryMinutes: 0 };
    return session.run({ ...config, train: { ...config.train, checkpoints: settings } }, opts, { onProgress, onBackend, onCheckpoint }, loadData, uploaded);
  },

  async pause(): Promise<void> {
    session?.trainer?.pause();
  },
  async resume(): Promise<void> {
    session?.trainer?.resume();
  },
  async stop(): Promise<void> {
    session?.trainer?.stop();
  },
  /** Saves a checkpoint at the next step boundary (or now, when no run is going). */
  async saveNow(): Promise<void> {
    await session?.saveNow();
  },

  /**
   * Text from the current language model (the live one, also while it trains: steps go on between
   * characters), each character passed to `onText` as it is drawn. Throws DatasetError for a bad request.
   */
  generate: (request: GenerateRequest, onText: (s: string) => void): Promise<string> => reportDeviceLoss(() => generate(request, onText)),

  /** Accuracy and confusion matrix (or MSE) on the validation set of the current model. */
  evaluate: (): Promise<EvalResult> => reportDeviceLoss(evaluate),
  /** Predicted class on a grid over the 2-D data's range; null when the data is not 2-D. */
  decisionBoundary: (grid: number): Promise<DecisionBoundary | null> => reportDeviceLoss(() => decisionBoundary(grid)),
  /** The fitted curve at `steps` inputs, for 1-D regression (null otherwise). */
  fittedCurve: (steps: number): Promise<FittedCurve | null> => reportDeviceLoss(() => fittedCurve(steps)),
  /** Class probabilities for one input laid out as the dataset's inputShape (e.g. 28×28 in 0..1). */
  predict: (input: Float32Array): Promise<number[]> => reportDeviceLoss(() => predict(input)),

  /** The newest valid checkpoint of `runId`, or null when it has none. */
  async resumeInfo(runId: string): Promise<ResumeInfo | null> {
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
  /** Every checkpoint of `runId`, oldest first. */
  async listCheckpoints(runId: string) {
    return (await store.loadManifest(runId))?.checkpoints ?? [];
  },
  async deleteCheckpoint(runId: string, id: string): Promise<void> {
    await store.deleteCheckpoint(runId, id);
  },
  /** Deletes all but the last `keepLast` periodic checkpoints (best and final stay). Returns deleted ids. */
  async cleanupCheckpoints(runId: string, keepLast: number): Promise<string[]> {
    return store.cleanupToLast(runId, keepLast);
  },
  /**
   * Deletes every checkpoint of `runId` ("Start fresh"), then every stored file that no run and
   * nothing in `keepFiles` (the notebook's data) uses.
   */
  async deleteRun(runId: string, keepFiles: string[] = []): Promise<void> {
    await store.deleteRun(runId, keepFiles);
  },
  /** Every run with checkpoints, oldest first, for the Runs cell (RunListing). */
  async listRuns(): Promise<RunListing[]> {
    const held = new Set(((await navigator.locks?.query())?.held ?? []).map((l) => l.name));
    const mine = session && ['training', 'paused'].includes(session.trainer?.runState ?? '') ? session.runId : null;
    return store.listRunListings((runId) => runId !== mine && held.has(store.runLockName(runId)));
  },
  /**
   * The stored curves (epoch history, per-step losses) of each of `runIds` that has any, for the
   * Runs cell's comparison; lighter than resumeInfo (nothing validated, no tensors returned).
   */
  async runCurves(runIds: string[]): Promise<RunCurves[]> {
    const curves = (await Promise.all(runIds.map((id) => store.loadRunCurves(id)))).filter((c): c is RunCurves => c !== null);
    return Comlink.transfer(curves, curves.map((c) => c.stepLosses.buffer as ArrayBuffer));
  },
  /** Renames a run, records its lineage or marks it deleted (see RunLabel); fields set to undefined are removed. */
  async labelRun(runId: string, patch: Partial<RunLabel>): Promise<RunLabel> {
    return store.labelRun(runId, patch);
  },
  /**
   * "Resume from here" on an earlier checkpoint: a new run `newRunId` starting from a copy of that
   * checkpoint (train it with resumeFrom 'latest'); the run it came from keeps all its checkpoints.
   */
  async branchRun(fromRunId: string, checkpointId: string, newRunId: string, label: RunLabel): Promise<CheckpointMeta> {
    return store.branchRun(fromRunId, checkpointId, newRunId, label);
  },
  /**
   * Stores an uploaded data file once (by content) and returns its id; then frees the stored files
   * that no run and nothing in `keepFiles` uses (the notebook's previous file, once replaced).
   */
  async storeFile(name: string, bytes: Uint8Array, keepFiles: string[] = []): Promise<string> {
    const id = await store.putFile(name, bytes);
    await store.collectFiles([id, ...keepFiles]);
    return id;
  },
  /** A stored data file's bytes (a notebook file carries the CSV or text its notebook uses). */
  async readFile(id: string): Promise<Uint8Array> {
    return readStoredFile(id);
  },
  /** Ids of the stored data files. */
  async listFiles(): Promise<string[]> {
    return store.listFiles();
  },
  async storageStatus() {
    return store.storageEstimate();
  },
  /**
   * Encodes a stored checkpoint ('latest' = the newest valid one; 'live' = this worker's trained
   * state of the run, paused or stopped, when no save could be stored) as a file: our .pt bundle,
   * or the model's state_dict as .pt or .safetensors. Named `<notebook>-epoch<N>.pt` and so on.
   */
  async exportCheckpoint(runId: string, checkpointId: string, format: ExportFormat, notebookName: string) {
    const live = async () => (session?.runId === runId ? session.liveRecord() : null);
    const file = await reportDeviceLoss(() => exportCheckpoint(runId, checkpointId, format, notebookName, loadData, live));
    return Comlink.transfer(file, [file.bytes.buffer]);
  },
  /**
   * "Continue in PyTorch": a zip of the checkpoint (as exportCheckpoint picks it) with the run's
   * data as tensors (unless `includeData` is false), train.py and train.ipynb.
   */
  async exportContinue(runId: string, checkpointId: string, notebookName: string, includeData: boolean) {
    const live = async () => (session?.runId === runId ? session.liveRecord() : null);
    const file = await reportDeviceLoss(() => exportContinue(runId, checkpointId, notebookName, includeData, loadData, live));
    return Comlink.transfer(file, [file.bytes.buffer]);
  },
  /**
   * Reads an uploaded .pt or .safetensors with the restricted reader and validates it completely
   * (against `current`'s model for a state_dict). Throws BundleError naming the reason and entry.
   */
  async importFile(fileName: string, bytes: Uint8Array, current: RunConfig): Promise<ImportResult> {
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
  /**
   * Cancels the importFile being read: its reader is terminated and it rejects with an error named
   * `AbortError` (nothing stored or live changed). No-op when nothing is being read.
   */
  async cancelImport(): Promise<void> {
    importing?.abort();
  },
  /** Python that rebuilds `config`'s model (on data of `io`) in torch.nn and loads the bundle `fileName`. */
  async pytorchCode(config: RunConfig, io: Pick<ModelIO, 'inputShape' | 'outputs'>, fileName: string): Promise<string> {
    return pytorchCode(config.model, io.inputShape, io.outputs, fileName, { train: config.train });
  },
  /**
   * Follows a run another tab trains (BroadcastChannel); `onEvent` gets its progress, and always
   * the final state (see watch.ts). Resolves after the last 'released'.
   */
  async watchRun(runId: string, onEvent: (e: RemoteRunEvent) => void): Promise<void> {
    return watchRun(runId, onEvent);
  },
  /** True when another tab or worker holds `runId`'s lock (trains it), checkpoints or not. */
  async runLocked(runId: string): Promise<boolean> {
    const held = (await navigator.locks?.query())?.held ?? [];
    const mine = session?.runId === runId && ['training', 'paused'].includes(session.trainer?.runState ?? '');
    return !mine && held.some((l) => l.name === store.runLockName(runId));
  },

  /** Which backend runs now, or null before the first run. */
  async backend() {
    return session?.backend ?? null;
  },
  /** "Measure again": forgets auto's remembered choice for the last run's shape, so the next run times every backend. */
  async forgetBackendChoice(): Promise<boolean> {
    return forgetLastChoice();
  },
};

async function generate(request: GenerateRequest, onText: (s: string) => void): Promise<string> {
  const t = current();
  if (!t.data.tokens || t.blockSize === 0) throw new DatasetError('Generating text needs a language model trained on text. Pick a text dataset and a GPT preset, then train.');
  return generateText(t.net, t.data.tokens.vocab, t.blockSize, request, onText);
}

async function evaluate(): Promise<EvalResult> {
  const t = current();
  const d = t.data;
  const v = await t.validate();
  if (d.tokens) return { kind: 'classification', loss: v.loss, perplexity: Math.exp(v.loss), classNames: [] };
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

const CURVE_POINTS = 300;

async function fittedCurve(steps: number): Promise<FittedCurve | null> {
  const t = current();
  const d = t.data;
  if (d.inputShape.length !== 1 || d.inputShape[0] !== 1 || d.kind !== 'regression' || d.outputs !== 1) return null;
  // The model sees standardized x; the chart shows x in the data's units.
  const mean = d.standardization?.mean[0] ?? 0;
  const std = d.standardization?.std[0] ?? 1;
  const total = d.trainSize + d.valSize;
  const stride = Math.max(1, Math.ceil(total / CURVE_POINTS));
  const points = new Float32Array(Math.ceil(total / stride) * 2);
  let [lo, hi] = [Infinity, -Infinity];
  for (let k = 0; 2 * k < points.length; k++) {
    const i = k * stride;
    const [xs, ys, j] = i < d.trainSize ? [d.xTrain, d.yTrain, i] : [d.xVal, d.yVal, i - d.trainSize];
    [points[2 * k], points[2 * k + 1]] = [xs[j] * std + mean, ys[j]];
  }
  for (const xs of [d.xTrain, d.xVal]) for (const x of xs) [lo, hi] = [Math.min(lo, x), Math.max(hi, x)];
  if (!Number.isFinite(lo)) return null;
  const inputs = Float32Array.from({ length: steps }, (_, i) => lo + ((hi - lo) * i) / Math.max(1, steps - 1));
  const pred = tf.tidy(() => t.predictLogits(tf.tensor2d(inputs, [steps, 1])));
  const curveY = Float32Array.from(await pred.data());
  pred.dispose();
  return { points, curveX: inputs.map((x) => x * std + mean), curveY };
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

/** What the UI may call on the worker (through Comlink: every call returns a promise). */
export type EngineApi = typeof api;
/** The test build's worker: the API plus bench, inspection and fault-injection hooks. */
export type TestEngineApi = EngineApi & ReturnType<typeof testHooks>;

// Hooks for the browser tests and the bench exist only in the test build (`vite build --mode
// test`): the condition is a constant, so the production bundle drops them (scripts/check-no-test-hooks.mjs).
Comlink.expose(import.meta.env.MODE === 'test' ? { ...api, ...testHooks(api, { current, session: () => session, dataset }) } : api);
prewarmWasm();
