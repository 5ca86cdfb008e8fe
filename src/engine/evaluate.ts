/**
 * The loss a run minimises and its validation pass: mean cross-entropy of logits for
 * classification (PyTorch's CrossEntropyLoss), mean squared error for regression.
 */
import * as tf from '@tensorflow/tfjs';
import type { Dataset } from './data';
import type { Net } from '../families/worker-contract';
import { Rng } from '../shared/rng';
import { drawWindows } from './data/dataset';

/** Seeds the validation windows of text: the same windows at every evaluation and in every run, never the run's rng. */
const EVAL_WINDOWS_SEED = 0x5eed;

/** Validation batch size: large, since it needs no gradients. */
const EVAL_BATCH = 1024;

export interface Validation {
  loss: number;
  /** Classification only. */
  accuracy?: number;
  /** Predicted class of every validation sample (classification), else null. */
  predictions: Int32Array | null;
}

/** Mean loss of `out` (logits or predictions) against `y` (int32 classes or [n, 1] targets). */
export function lossOf(data: Pick<Dataset, 'kind' | 'outputs'>, out: tf.Tensor, y: tf.Tensor): tf.Tensor {
  if (data.kind === 'regression') return tf.mean(tf.squaredDifference(out, y));
  const oneHot = tf.oneHot(y as tf.Tensor1D, data.outputs);
  return tf.neg(tf.mean(tf.sum(tf.mul(oneHot, tf.logSoftmax(out)), 1)));
}

/** Loss and accuracy of `net` (eval mode) on the validation set, read back once at the end. */
export async function validate(net: Net, d: Dataset): Promise<Validation> {
  const n = d.valSize;
  if (n === 0) return { loss: NaN, predictions: null };
  const per = d.inputShape.reduce((a, b) => a * b, 1);
  let lossSum: tf.Tensor = tf.scalar(0);
  const preds: tf.Tensor[] = [];
  for (let start = 0; start < n; start += EVAL_BATCH) {
    const end = Math.min(n, start + EVAL_BATCH);
    const next = tf.tidy(() => {
      const x = tf.tensor(d.xVal.subarray(start * per, end * per), [end - start, ...d.inputShape]);
      const out = net.forward(x, false);
      const y = d.kind === 'classification' ? tf.tensor1d(Int32Array.from(d.yVal.subarray(start, end)), 'int32') : tf.tensor2d(d.yVal.subarray(start, end), [end - start, 1]);
      if (d.kind === 'classification') preds.push(tf.keep(tf.argMax(out, 1)));
      return tf.add(lossSum, tf.mul(lossOf(d, out, y), end - start));
    });
    lossSum.dispose();
    lossSum = next;
  }
  const loss = (await lossSum.data())[0] / n;
  lossSum.dispose();
  if (d.kind === 'regression') return { loss, predictions: null };
  const all = tf.concat(preds);
  const predictions = (await all.data()) as Int32Array;
  tf.dispose([all, ...preds]);
  let correct = 0;
  for (let i = 0; i < n; i++) if (predictions[i] === d.yVal[i]) correct++;
  return { loss, accuracy: correct / n, predictions };
}

/**
 * A language model's validation loss: mean cross-entropy over `batches` batches of `batchSize`
 * windows of the validation tokens, the same fixed windows each time (as nanoGPT's estimate_loss,
 * but fixed, so the curve compares like with like). Eval mode; read back once.
 */
export async function validateTokens(net: Net, d: Dataset, blockSize: number, batchSize: number, batches: number): Promise<Validation> {
  const rng = new Rng(EVAL_WINDOWS_SEED);
  let lossSum: tf.Tensor = tf.scalar(0);
  for (let k = 0; k < batches; k++) {
    const w = drawWindows(rng, d.tokens!.val, blockSize, batchSize);
    const next = tf.tidy(() => {
      const logits = tf.reshape(net.forward(tf.tensor2d(w.x, [batchSize, blockSize], 'int32'), false), [-1, d.outputs]);
      return tf.add(lossSum, lossOf(d, logits, tf.tensor1d(w.y, 'int32')));
    });
    lossSum.dispose();
    lossSum = next;
  }
  const loss = (await lossSum.data())[0] / Math.max(1, batches);
  lossSum.dispose();
  return { loss, predictions: null };
}
