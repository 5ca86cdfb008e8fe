/** What the Data cell shows: a small, structured-cloneable summary of a dataset. */
import type { DataPreview, DatasetInfo } from '../../shared/engine-api';
import type { Dataset } from './dataset';

export const MAX_SCATTER_POINTS = 1000;
export const PREVIEW_IMAGES = 32;
export const PREVIEW_ROWS = 20;
export const PREVIEW_WINDOWS = 4;
export const PREVIEW_WINDOW_TOKENS = 120;

/**
 * Builds the preview. It copies only what it shows, never the dataset's arrays, because the result
 * crosses to the UI by structured clone.
 * - scatter: up to 1000 points of train then validation, evenly strided; points are (x1, x2) pairs.
 * - images: the first 32 training images as bytes 0..255, with their labels.
 * - table: the first 20 training rows, features in their original units, then the target
 *   (class index for classification, see classNames).
 */
export function previewOf(ds: Dataset): DataPreview {
  const info: DatasetInfo = {
    kind: ds.kind,
    inputShape: [...ds.inputShape],
    outputs: ds.outputs,
    classNames: [...ds.classNames],
    trainSize: ds.trainSize,
    valSize: ds.valSize,
  };
  switch (ds.view) {
    case 'scatter':
      return { ...info, type: 'scatter', ...scatterOf(ds) };
    case 'images':
      return { ...info, type: 'images', ...imagesOf(ds) };
    case 'table':
      return { ...info, type: 'table', ...tableOf(ds) };
    case 'text':
      return { ...info, type: 'text', ...textOf(ds) };
  }
}

function scatterOf(ds: Dataset): { points: Float32Array; labels: Float32Array } {
  const total = ds.trainSize + ds.valSize;
  const stride = Math.max(1, Math.ceil(total / MAX_SCATTER_POINTS));
  const count = Math.ceil(total / stride);
  const points = new Float32Array(count * 2);
  const labels = new Float32Array(count);
  for (let k = 0; k < count; k++) {
    const i = k * stride;
    const [x, y, j] = i < ds.trainSize ? [ds.xTrain, ds.yTrain, i] : [ds.xVal, ds.yVal, i - ds.trainSize];
    points[2 * k] = x[2 * j];
    points[2 * k + 1] = x[2 * j + 1];
    labels[k] = y[j];
  }
  return { points, labels };
}

function imagesOf(ds: Dataset): { pixels: Uint8Array; width: number; height: number; labels: Int32Array } {
  const [height, width] = ds.inputShape;
  const size = width * height;
  const count = Math.min(PREVIEW_IMAGES, ds.trainSize);
  const pixels = new Uint8Array(count * size);
  for (let i = 0; i < pixels.length; i++) pixels[i] = Math.round(ds.xTrain[i] * 255);
  const labels = Int32Array.from(ds.yTrain.subarray(0, count));
  return { pixels, width, height, labels };
}

function tableOf(ds: Dataset): { columns: string[]; rows: number[][] } {
  const f = ds.featureNames.length;
  const count = Math.min(PREVIEW_ROWS, ds.trainSize);
  const rows: number[][] = [];
  for (let r = 0; r < count; r++) {
    const row: number[] = [];
    for (let j = 0; j < f; j++) {
      const v = ds.xTrain[r * f + j];
      const s = ds.standardization;
      row.push(s ? round6(v * s.std[j] + s.mean[j]) : round6(v));
    }
    row.push(ds.kind === 'classification' ? ds.yTrain[r] : round6(ds.yTrain[r]));
    rows.push(row);
  }
  return { columns: [...ds.featureNames, ds.targetName], rows };
}

/** The vocabulary and PREVIEW_WINDOWS windows of the train text, evenly spaced. */
function textOf(ds: Dataset): { vocab: string[]; windows: string[]; totalTokens: number } {
  const t = ds.tokens!;
  const n = t.train.length;
  const span = Math.min(PREVIEW_WINDOW_TOKENS, n);
  const windows: string[] = [];
  for (let k = 0; k < PREVIEW_WINDOWS && n > 0; k++) {
    const start = Math.floor((k * (n - span)) / PREVIEW_WINDOWS);
    windows.push(Array.from(t.train.subarray(start, start + span), (id) => t.vocab[id]).join(''));
  }
  return { vocab: [...t.vocab], windows, totalTokens: n + t.val.length };
}

/** Six significant digits: undoes float32 round-off such as 5.0999999 for 5.1. */
function round6(v: number): number {
  return Number(v.toPrecision(6));
}
