/**
 * The engine's API: what the UI may call on the training worker through Comlink. The worker
 * implements it (src/engine/worker.ts); the UI imports this file with `import type` only.
 * Everything that crosses is structured-cloneable; callbacks are passed with Comlink.proxy.
 */
import type { BackendChoice, BackendName, DataConfig, RunConfig } from './config';
import type { CheckpointMeta } from './checkpoint';

export interface BackendMeasurement {
  backend: BackendName;
  /** Samples per second over a few timed steps of the actual model; absent when skipped. */
  samplesPerSec?: number;
  /** Why the backend was not timed (not available, lacks a kernel the model needs…). */
  skipped?: string;
  /** Timing stopped after a step or two: clearly slower than one timed before. */
  stoppedEarly?: boolean;
}

export interface BackendInfo {
  name: BackendName;
  /**
   * forced: the user picked it; fastest: auto measured; only: auto found one usable backend;
   * remembered: auto's earlier measurements for this model shape, batch size, browser and adapter;
   * measuring: auto is timing `name` now (an interim report; the final one follows).
   */
  reason: 'forced' | 'fastest' | 'only' | 'remembered' | 'measuring';
  measurements: BackendMeasurement[];
  /** Adapter description when WebGPU runs, e.g. "SwiftShader". */
  adapter?: string;
  /** Shown as a notice, e.g. "No WebGPU adapter in this browser; using wasm." */
  notice?: string;
  /** While measuring: the place of `name` in the order auto times backends in. */
  measuring?: { index: number; count: number };
  /** When auto's measurements were taken (Date.now()). */
  measuredAt?: number;
  /** When WASM runs: its threads, and why there is only one when the page keeps it to one. */
  wasmThreads?: { count: number; why?: string };
}

export interface DatasetInfo {
  kind: 'classification' | 'regression';
  inputShape: number[];
  /** Number of classes; 1 for regression. */
  outputs: number;
  classNames: string[];
  trainSize: number;
  valSize: number;
}

export type DataPreview = DatasetInfo &
  (
    | { type: 'scatter'; points: Float32Array; labels: Float32Array }
    | { type: 'images'; pixels: Uint8Array; width: number; height: number; labels: Int32Array }
    | { type: 'table'; columns: string[]; rows: number[][] }
  );

export interface EpochMetrics {
  epoch: number;
  trainLoss: number;
  valLoss: number;
  /** Absent for regression. */
  valAccuracy?: number;
  trainAccuracy?: number;
}

export interface ProgressEvent {
  type: 'progress';
  /** Completed epochs (fractional progress is step/stepsPerEpoch). */
  epoch: number;
  epochs: number;
  /** Global step (batches trained since the run began). */
  step: number;
  stepsPerEpoch: number;
  /** Training losses of the steps since the previous event, in order; first one is step `step - losses.length`. */
  losses: number[];
  samplesPerSec: number;
  etaSec: number;
  learningRate: number;
  /** Present when an epoch just ended. */
  epochMetrics?: EpochMetrics;
  state: RunState;
  /** tf.memory().numTensors when the event was made: flat across epochs unless something leaks. */
  numTensors: number;
}

export type RunState = 'idle' | 'measuring' | 'training' | 'paused' | 'stopped' | 'finished' | 'failed';

export interface RunSummary {
  state: RunState;
  epoch: number;
  step: number;
  history: EpochMetrics[];
}

export interface TensorRecord {
  name: string;
  shape: number[];
  data: Float32Array;
}

/** The current run's tensors and counters, read back from the device (for tests and inspection). */
export interface RunStateReadout {
  /** Parameters and buffers (`<layer>.<kind>`), then optimizer slots (`<layer>.<kind>.<slot>`). */
  tensors: TensorRecord[];
  step: number;
  epoch: number;
  batchInEpoch: number;
  rng: readonly number[];
  stepLosses: number[];
  history: EpochMetrics[];
}

export interface EvalResult {
  kind: 'classification' | 'regression';
  /** Validation accuracy (classification) or MSE (regression). */
  accuracy?: number;
  mse?: number;
  /** confusion[true][predicted], classification only. */
  confusion?: number[][];
  classNames: string[];
}

export interface DecisionBoundary {
  /** grid×grid predicted class per cell, row-major from (xMin, yMax) at top-left. */
  classes: Uint8Array;
  grid: number;
  xMin: number;
  xMax: number;
  yMin: number;
  yMax: number;
}

/** How `train` starts: fresh, or from a stored checkpoint of the notebook's run. */
export interface RunOptions {
  /** The notebook's run: checkpoints are stored under it and one tab at a time may train it. */
  runId: string;
  /** The notebook's notes, stored in every checkpoint so a checkpoint restores the notebook. */
  notes: string;
  /** Continue from this checkpoint id of `runId`, or 'latest' for the newest one that validates. */
  resumeFrom?: string;
  /**
   * Start fresh but with these weights (new optimizer, schedule and data order), e.g. to fine-tune:
   * a stored checkpoint ("Load weights only"), or the state_dict last uploaded with importFile.
   */
  weightsFrom?: { runId: string; checkpointId: string } | 'uploaded';
  /** With resumeFrom on a finished run: train this many epochs more (see TrainConfig.scheduleEpochs). */
  extraEpochs?: number;
}

/** What happened to checkpoints during a run. */
export interface CheckpointEvent {
  saved?: CheckpointMeta;
  /** With `saved`: how long training waited (readback), how long the IndexedDB write took, and its size. */
  timings?: { stallMs: number; writeMs: number; bytes: number };
  /** ids removed by retention after `saved` committed. */
  deleted?: string[];
  /** A failed save (StorageFullError, …): training goes on and earlier checkpoints stay. */
  error?: { name: string; message: string };
  /** Set once when a run resumed from a checkpoint; `skipped` lists unreadable newer ones. */
  resumed?: { meta: CheckpointMeta; skipped: { meta: CheckpointMeta; reason: string }[] };
}

/** What the page shows before resuming: the newest valid checkpoint of a run. */
export interface ResumeInfo {
  meta: CheckpointMeta;
  config: RunConfig;
  notes: string;
  history: EpochMetrics[];
  stepLosses: Float32Array;
  best: { valLoss: number; epoch: number } | null;
  /** Newer checkpoints that failed validation, with the reason. */
  skipped: { meta: CheckpointMeta; reason: string }[];
  /** Another tab (or worker) holds this run's lock: it is training there. */
  lockedElsewhere: boolean;
}

export type ExportFormat = 'bundle' | 'weights-pt' | 'weights-safetensors';

export interface ExportedFile {
  fileName: string;
  bytes: Uint8Array;
}

/** What an upload turned out to be, after full validation (nothing live changed before that). */
export type ImportResult =
  /** Our bundle: stored as a new run with one checkpoint, ready to resume exactly or to take weights from. */
  | { kind: 'bundle'; runId: string; meta: CheckpointMeta; config: RunConfig; notes: string; notebookName: string }
  /** A PyTorch state_dict or safetensors matching the current model: used by the next run (weightsFrom 'uploaded'). */
  | { kind: 'weights'; fileName: string; tensorCount: number; parameterCount: number };

export interface StorageStatus {
  usageBytes: number;
  quotaBytes: number;
  persisted: boolean;
}

/** Progress another tab broadcasts for a run it trains. */
export type RemoteRunEvent =
  | { type: 'progress'; progress: ProgressEvent }
  /** A checkpoint was committed there. */
  | { type: 'checkpoint'; meta: CheckpointMeta }
  /** That tab stopped training and released the run: this one may take over. */
  | { type: 'released' };

/**
 * Hooks for the browser tests. Only the test build's worker has them (`npm run build:test`, which
 * the Playwright tests serve); in the production bundle the calls reject as unknown methods.
 */
export interface TestHooks {
  /** Throws an uncaught error in the worker (the Worker's 'error' event fires; the worker goes on). */
  debugCrashWorker(): Promise<void>;
  /** Throws an uncaught error, then blocks the worker's thread for good: it never answers again. */
  debugHangWorker(): Promise<void>;
  /** Destroys the WebGPU device, as a driver reset would. Resolves false when WebGPU is not running. */
  debugDestroyGpuDevice(): Promise<boolean>;
  /**
   * Destroys the WebGPU device when the `nth` evaluate() call from now starts (1 = the next one),
   * before it touches the GPU: a loss at the moment an epoch's evaluation begins.
   */
  debugDestroyGpuDeviceOnEvaluate(nth: number): Promise<void>;
}

export interface EngineApi extends TestHooks {
  /** Describes and previews a dataset (generated or loaded in the worker). Throws DatasetError. */
  previewData(data: DataConfig): Promise<DataPreview>;
  /**
   * Trains a fresh run to completion, stop or failure. Resolves with the final summary.
   * `onProgress` is called after every batch of steps and at every epoch end.
   */
  train(
    config: RunConfig,
    onProgress: (e: ProgressEvent) => void,
    onBackend: (b: BackendInfo) => void,
    options?: RunOptions,
    onCheckpoint?: (e: CheckpointEvent) => void,
  ): Promise<RunSummary>;
  /** Saves a checkpoint at the next step boundary (or now, when no run is going). */
  saveNow(): Promise<void>;
  /** The newest valid checkpoint of `runId`, or null when it has none. */
  resumeInfo(runId: string): Promise<ResumeInfo | null>;
  /** Every checkpoint of `runId`, oldest first. */
  listCheckpoints(runId: string): Promise<CheckpointMeta[]>;
  deleteCheckpoint(runId: string, id: string): Promise<void>;
  /** Deletes all but the last `keepLast` periodic checkpoints (best and final stay). Returns deleted ids. */
  cleanupCheckpoints(runId: string, keepLast: number): Promise<string[]>;
  /** Deletes every checkpoint of `runId` ("Start fresh"). */
  deleteRun(runId: string): Promise<void>;
  /** Forgets auto's remembered backend for the last auto run's situation: its next run measures. False if none. */
  forgetBackendChoice(): Promise<boolean>;
  storageStatus(): Promise<StorageStatus>;
  /**
   * Encodes a stored checkpoint ('latest' = the newest valid one; 'live' = this worker's trained
   * state of the run, paused or stopped, when no save could be stored) as a file: our .pt bundle,
   * or the model's state_dict as .pt or .safetensors. Named `<notebook>-epoch<N>.pt` and so on.
   */
  exportCheckpoint(runId: string, checkpointId: string, format: ExportFormat, notebookName: string): Promise<ExportedFile>;
  /**
   * Reads an uploaded .pt or .safetensors with the restricted reader and validates it completely
   * (against `current`'s model for a state_dict). Throws BundleError naming the reason and entry.
   */
  importFile(fileName: string, bytes: Uint8Array, current: RunConfig): Promise<ImportResult>;
  /**
   * Cancels the importFile being read: its reader is terminated and it rejects with an error named
   * `AbortError` (nothing stored or live changed). Too late once the new run is being written: the
   * import then completes as usual. No-op when nothing is being read.
   */
  cancelImport(): Promise<void>;
  /** Python that rebuilds the equivalent torch.nn model and loads a bundle named `fileName`. */
  pytorchCode(config: RunConfig, fileName: string): Promise<string>;
  /** True when another tab or worker holds `runId`'s lock (trains it), checkpoints or not. */
  runLocked(runId: string): Promise<boolean>;
  /**
   * Follows a run another tab trains (BroadcastChannel); `onEvent` gets its progress. Always ends
   * with the final state, also when that tab's lock frees before its last messages arrive (or the
   * tab closed): the newest committed checkpoint, then exactly one 'released'. Resolves after that
   * 'released' was sent; the callbacks travel on their own port, so they may arrive just after.
   */
  watchRun(runId: string, onEvent: (e: RemoteRunEvent) => void): Promise<void>;
  pause(): Promise<void>;
  resume(): Promise<void>;
  stop(): Promise<void>;
  /** Accuracy and confusion matrix (or MSE) on the validation set of the current model. */
  evaluate(): Promise<EvalResult>;
  /** Predicted class on a grid over the 2-D data's range; null when the data is not 2-D. */
  decisionBoundary(grid: number): Promise<DecisionBoundary | null>;
  /** Class probabilities for one input laid out as the dataset's inputShape (e.g. 28×28 in 0..1). */
  predict(input: Float32Array): Promise<number[]>;
  /** Reads back the current run's weights, optimizer slots and counters. */
  readState(): Promise<RunStateReadout>;
  /** Which backend runs now, or null before the first run. */
  backend(): Promise<BackendInfo | null>;
  /**
   * For `npm run bench`: samples/s of a bare tfjs loop (tf.layers + tf.train.adam) with the same
   * model and data on `backend`, over about `seconds`.
   */
  benchmarkBareLoop(config: RunConfig, backend: BackendName, seconds: number): Promise<number>;
  /** For `npm run bench`: ms to read the current run's tensors back, without building a checkpoint. */
  benchmarkReadback(): Promise<number>;
  /** For `npm run bench`: a raw idb-keyval setMany of the current run's tensors into a scratch store (cleared after). */
  benchmarkRawWrite(): Promise<{ ms: number; bytes: number }>;
  /** Number of live tensors (tf.memory().numTensors), for leak tests. */
  numTensors(): Promise<number>;
}

export type { BackendChoice };
