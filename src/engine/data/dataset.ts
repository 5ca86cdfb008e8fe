/**
 * The in-worker dataset record and the helpers every loader shares: a seeded, stratified
 * train/validation split and feature standardization with train-set statistics.
 */
import type { ModelIO } from '../../shared/config';
import type { DatasetInfo } from '../../shared/engine-api';
import { DatasetError } from '../../shared/errors';
import { Rng, shuffleInPlace } from '../../shared/rng';

/**
 * A loaded dataset. x arrays are row-major, one row of `product(inputShape)` floats per sample;
 * y arrays hold one float per sample: the class index for classification, the target for regression.
 * Lives in the worker only: previewOf() is what crosses to the UI.
 */
export interface Dataset extends DatasetInfo {
  xTrain: Float32Array;
  yTrain: Float32Array;
  xVal: Float32Array;
  yVal: Float32Array;
  /** How previewOf() shows it: 2-D points, images, a table of the first rows, or text windows. */
  view: 'scatter' | 'images' | 'table' | 'text';
  /** Feature names, one per input column (tables); empty for images. */
  featureNames: string[];
  /** Name of the target column in tables ('class' or the CSV label column). */
  targetName: string;
  /**
   * Present when x was standardized: raw = x × std + mean, per feature. The engine needs it to
   * apply the same transform to raw inputs given to predict().
   */
  standardization?: { mean: Float32Array; std: Float32Array };
  /**
   * Present for text (sources/text): the token streams the trainer draws windows from instead of
   * samples (x and y arrays are then empty; trainSize and valSize count tokens).
   */
  tokens?: TokenStreams;
}

/** A tokenized text split in two: a model learns to predict each next token. */
export interface TokenStreams {
  train: Uint16Array;
  val: Uint16Array;
  /** The text of every token id (characters, for a character-level vocabulary). */
  vocab: string[];
}

/** A batch of `count` windows: x[b, t] = tokens[start_b + t], y[b, t] = tokens[start_b + t + 1]. */
export interface Windows {
  x: Int32Array;
  y: Int32Array;
  starts: number[];
}

/**
 * Draws `count` windows of `blockSize` tokens at random starts (uniform over 0..n - blockSize - 1,
 * as nanoGPT's get_batch) from `rng`: one rng.int per window, so a resumed run draws the same ones.
 * @throws DatasetError when the tokens hold no full window (blockSize + 1 tokens)
 */
export function drawWindows(rng: Rng, tokens: Uint16Array, blockSize: number, count: number): Windows {
  const n = tokens.length;
  if (n <= blockSize) {
    throw new DatasetError(`The text has ${n.toLocaleString('en-US')} tokens in this part, too few for one block of ${blockSize} (it needs ${blockSize + 1}). Use a longer text, or a smaller block size in the Model cell.`);
  }
  const starts = Array.from({ length: count }, () => rng.int(n - blockSize));
  return windowsAt(tokens, blockSize, starts);
}

/** The windows that start at `starts`. */
export function windowsAt(tokens: Uint16Array, blockSize: number, starts: number[]): Windows {
  const x = new Int32Array(starts.length * blockSize);
  const y = new Int32Array(starts.length * blockSize);
  starts.forEach((s, b) => {
    for (let t = 0; t < blockSize; t++) {
      x[b * blockSize + t] = tokens[s + t];
      y[b * blockSize + t] = tokens[s + t + 1];
    }
  });
  return { x, y, starts };
}

/** Samples before splitting: x row-major with `rowSize` floats per sample. */
export interface Samples {
  x: Float32Array;
  y: Float32Array;
  rowSize: number;
}

/** What a loader knows about its data besides the samples. */
export type DatasetMeta = Omit<Dataset, 'xTrain' | 'yTrain' | 'xVal' | 'yVal' | 'trainSize' | 'valSize'>;

/** Throws DatasetError unless `validationSplit` is in [0, 0.5]. */
export function checkValidationSplit(validationSplit: number): void {
  if (!(validationSplit >= 0 && validationSplit <= 0.5)) {
    throw new DatasetError(`Validation split must be between 0 and 0.5, got ${validationSplit}. Pick a value such as 0.2.`);
  }
}

/**
 * Splits samples into train and validation sets with a seeded shuffle. Classification is
 * stratified: samples are grouped by class and validation slots are spread evenly over the groups,
 * so each class keeps about the same share. The validation set has round(n × split) samples
 * (at least 1 when split > 0), and both sets come out shuffled.
 */
export function splitSamples(s: Samples, meta: DatasetMeta, validationSplit: number, rng: Rng): Dataset {
  checkValidationSplit(validationSplit);
  const n = s.y.length;
  const order: number[] = Array.from({ length: n }, (_, i) => i);
  shuffleInPlace(rng, order);
  if (meta.kind === 'classification') {
    const rank = new Map(order.map((idx, pos) => [idx, pos]));
    order.sort((a, b) => s.y[a] - s.y[b] || rank.get(a)! - rank.get(b)!);
  }
  const nVal = validationSplit > 0 && n > 1 ? Math.min(n - 1, Math.max(1, Math.round(n * validationSplit))) : 0;
  const trainIdx: number[] = [];
  const valIdx: number[] = [];
  for (let j = 0; j < n; j++) {
    const isVal = Math.floor(((j + 1) * nVal) / n) > Math.floor((j * nVal) / n);
    (isVal ? valIdx : trainIdx).push(order[j]);
  }
  shuffleInPlace(rng, trainIdx);
  shuffleInPlace(rng, valIdx);
  const [xTrain, yTrain] = gather(s, trainIdx);
  const [xVal, yVal] = gather(s, valIdx);
  return { ...meta, xTrain, yTrain, xVal, yVal, trainSize: trainIdx.length, valSize: valIdx.length };
}

function gather(s: Samples, idx: number[]): [Float32Array, Float32Array] {
  const x = new Float32Array(idx.length * s.rowSize);
  const y = new Float32Array(idx.length);
  idx.forEach((from, to) => {
    x.set(s.x.subarray(from * s.rowSize, (from + 1) * s.rowSize), to * s.rowSize);
    y[to] = s.y[from];
  });
  return [x, y];
}

/**
 * Standardizes every feature to zero mean and unit variance using the train set's statistics
 * (computed in float64), applied in place to both sets. A constant feature gets std 1.
 */
export function standardize(ds: Dataset): Dataset {
  const f = ds.inputShape.reduce((a, b) => a * b, 1);
  const mean = new Float32Array(f);
  const std = new Float32Array(f);
  const n = ds.trainSize;
  for (let j = 0; j < f; j++) {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += ds.xTrain[i * f + j];
    const m = n > 0 ? sum / n : 0;
    let sq = 0;
    for (let i = 0; i < n; i++) sq += (ds.xTrain[i * f + j] - m) ** 2;
    const sd = n > 0 ? Math.sqrt(sq / n) : 0;
    mean[j] = m;
    std[j] = sd > 1e-12 ? sd : 1;
  }
  for (const x of [ds.xTrain, ds.xVal]) {
    for (let i = 0; i < x.length; i++) x[i] = (x[i] - mean[i % f]) / std[i % f];
  }
  return { ...ds, standardization: { mean, std } };
}

/** What the model takes and gives for this dataset: stored in every checkpoint. */
export function ioOf(d: Pick<DatasetInfo, 'kind' | 'inputShape' | 'outputs'>): ModelIO {
  return { task: d.kind, inputShape: [...d.inputShape], inputDtype: 'float32', outputs: d.outputs };
}
