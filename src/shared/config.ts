/** Settings the user picks in the notebook, and their defaults. Plain data: it crosses Comlink and is saved. */

/** What a model learns to do; a data source declares its own. */
export type Task = 'classification' | 'regression';

/**
 * What the data gives a model and wants back: the contract between a data source and a model
 * family. Stored in every checkpoint, so nothing has to load the data to learn it.
 */
export interface ModelIO {
  task: Task;
  /** Per-sample input shape, tfjs order: [F] for tables, [H, W, C] for images. */
  inputShape: number[];
  inputDtype: 'float32';
  /** Classes (classification) or 1 (regression): the head's width. */
  outputs: number;
}

/**
 * A model: which family (absent = 'stack', as every spec saved before families existed) and the
 * family's own settings, which only the family's folder reads (src/families/<id>/).
 */
export interface ModelSpec {
  family?: string;
  /** Preset name this spec started from, or 'Custom' once edited. */
  name: string;
  [setting: string]: unknown;
}

/** A data source's id (src/sources/index.ts lists them). */
export type DatasetId = string;

export interface CsvSource {
  /** File name, shown to the user. */
  fileName: string;
  /**
   * The file's id in the file store (its SHA-256, hex): the bytes are stored once and referenced
   * from the notebook and every checkpoint. Records and notebooks of format 1 held `text` instead.
   */
  fileId: string;
  /** The file's column names, as the parser reads its header (for the Label picker); absent in format 1. */
  columns?: string[];
  /** Header name of the column holding the label. */
  labelColumn: string;
  /** 'classification' treats distinct label values as classes; 'regression' predicts the number. */
  task: Task;
}

/** The user's own text file (the 'text' source): stored once in the file store, referenced by id like a CSV. */
export interface TextFileSource {
  /** File name, shown to the user. */
  fileName: string;
  /** The file's id in the file store (its SHA-256, hex). */
  fileId: string;
}

export interface DataConfig {
  dataset: DatasetId;
  /** Samples generated for the synthetic sets (spiral, circles, xor, gaussian, sine). */
  samples: number;
  /** Gaussian noise (standard deviation) added by the synthetic generators. */
  noise: number;
  /** Fraction of samples held out for validation, 0..0.5. */
  validationSplit: number;
  /** Seed for generation and the train/validation split. */
  seed: number;
  csv?: CsvSource;
  /** The uploaded text of the 'text' source. */
  text?: TextFileSource;
}

/** Ids of the uploaded files `data` refers to (a CSV, a text), each once. */
export function dataFileIds(data: Pick<DataConfig, 'csv' | 'text'>): string[] {
  const ids = [data.csv?.fileId, data.text?.fileId].filter((id): id is string => typeof id === 'string');
  return [...new Set(ids)];
}

export const DEFAULT_DATA: DataConfig = {
  dataset: 'spiral',
  samples: 1000, // enough for a spiral to be learnable in a few seconds
  noise: 0.05, // mild: the spiral's arms stay separable (a 1-NN classifier reaches ~100%)
  validationSplit: 0.2, // the usual 80/20
  seed: 42,
};

/** 'adamw': Adam with decoupled weight decay on tensors of two or more dimensions only (nanoGPT's two groups). */
export type OptimizerName = 'adam' | 'adamw' | 'sgd' | 'rmsprop';
export type ScheduleName = 'constant' | 'step' | 'cosine';
export type BackendChoice = 'auto' | 'webgpu' | 'webgl' | 'wasm' | 'cpu';
export type BackendName = Exclude<BackendChoice, 'auto'>;
export const BACKEND_CHOICES: readonly BackendChoice[] = ['auto', 'webgpu', 'webgl', 'wasm', 'cpu'];

export interface ScheduleConfig {
  name: ScheduleName;
  /** step decay: multiply the rate by `gamma` every `stepEpochs` epochs. */
  stepEpochs: number;
  gamma: number;
  /** cosine: linear warm-up over this many steps, then cosine decay to `minLrFactor`×lr at the planned end. */
  warmupSteps: number;
  minLrFactor: number;
}

export interface TrainConfig {
  epochs: number;
  batchSize: number;
  learningRate: number;
  optimizer: OptimizerName;
  /** SGD and RMSprop momentum (PyTorch's meaning). */
  momentum: number;
  /**
   * L2 weight decay added to the gradient, as PyTorch's `weight_decay`; for AdamW the decoupled decay
   * (w -= lr × decay × w) of matrices and embeddings, none for vectors (biases, LayerNorm).
   */
  weightDecay: number;
  /** Adam's and AdamW's second-moment rate; absent = PyTorch's 0.999. */
  beta2?: number;
  /** Clip the gradients' global norm to this (torch.nn.utils.clip_grad_norm_); absent or 0 = off. */
  gradClip?: number;
  /** Text data: batches of validation windows (fixed ones, the same every time) the validation loss averages. */
  evalBatches?: number;

  schedule: ScheduleConfig;
  /**
   * Epochs the LR schedule is planned over; absent = `epochs`. "Train N more epochs" raises
   * `epochs` but keeps this, so the schedule continues as planned (a cosine stays at its floor).
   */
  scheduleEpochs?: number;
  backend: BackendChoice;
  /** Seed for weight init, shuffling and dropout. */
  seed: number;
  checkpoints: CheckpointSettings;
}

/** When the worker saves checkpoints to IndexedDB while training. 0 turns an interval off. */
export interface CheckpointSettings {
  saveEveryEpochs: number;
  saveEverySteps: number;
  saveEveryMinutes: number;
  /** Periodic checkpoints kept; best and final are kept besides. */
  keepLast: number;
}

export const DEFAULT_CHECKPOINTS: CheckpointSettings = {
  saveEveryEpochs: 1, // a closed tab costs at most one epoch
  saveEverySteps: 0, // off: epochs of the shipped datasets take seconds
  saveEveryMinutes: 0, // off
  keepLast: 3,
};

export const DEFAULT_TRAIN: TrainConfig = {
  epochs: 20,
  batchSize: 32,
  learningRate: 0.01, // Adam at 1e-2 trains the 2-D sets in seconds; digits prefer 1e-3
  optimizer: 'adam',
  momentum: 0.9,
  weightDecay: 0,
  schedule: { name: 'constant', stepEpochs: 10, gamma: 0.5, warmupSteps: 100, minLrFactor: 0 },
  backend: 'auto',
  seed: 1,
  checkpoints: DEFAULT_CHECKPOINTS,
};

/** Adam's constants: PyTorch's defaults, so an exported optimizer state means the same thing there. */
export const ADAM_BETA1 = 0.9;
export const ADAM_BETA2 = 0.999;
export const ADAM_EPSILON = 1e-8;
/** RMSprop smoothing constant (PyTorch's `alpha`) and epsilon. */
export const RMSPROP_ALPHA = 0.99;
export const RMSPROP_EPSILON = 1e-8;

/** Everything a run needs: what the notebook's Data, Model and Train cells say. */
export interface RunConfig {
  data: DataConfig;
  model: ModelSpec;
  train: TrainConfig;
}
