/**
 * The data that crosses between the UI and the training worker (structured-cloneable; callbacks
 * are passed with Comlink.proxy). The API itself is derived from the worker's code: `EngineApi`
 * in src/engine/worker.ts, which the UI imports with `import type` only.
 */
import type { BackendChoice, BackendName, RunConfig } from './config';
import type { CheckpointMeta, EpochMetrics } from './checkpoint';
export type { EpochMetrics };

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
    | { type: 'text'; vocab: string[]; windows: string[]; totalTokens: number }
  );


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

/** What the Generate cell asks a language model for. */
export interface GenerateRequest {
  prompt: string;
  /** Characters to generate after the prompt. */
  chars: number;
  /** Logits are divided by it: below 1 sharper, above 1 more random. */
  temperature: number;
  /** Draw among the k likeliest tokens only; 0 = all. */
  topK: number;
  /** Seeds the draws: the same seed and weights give the same text. */
  seed: number;
}

export interface EvalResult {
  kind: 'classification' | 'regression';
  /** Validation accuracy (classification) or MSE (regression). */
  accuracy?: number;
  mse?: number;
  /** Language models: mean cross-entropy (nats) on the fixed validation windows, and its exp. */
  loss?: number;
  perplexity?: number;
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

/** A 1-D regression model's curve over its data, in the data's own units. */
export interface FittedCurve {
  /** Interleaved (x, y) pairs of up to 300 samples (train then validation, evenly strided). */
  points: Float32Array;
  /** The model's prediction at evenly spaced x over the data's range, x ascending. */
  curveX: Float32Array;
  curveY: Float32Array;
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

export type { BackendChoice };
