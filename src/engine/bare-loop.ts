/**
 * The yardstick for `npm run bench`: the same model trained the way tfjs examples do it
 * (tf.sequential layers, tf.train.adam, optimizer.minimize), on the same data and backend, with
 * losses read back every 16 steps like the engine does. Our engine should keep ≥ 97% of its speed.
 */
import * as tf from '@tensorflow/tfjs';
import type { RunConfig } from '../shared/config';
import { withHead } from '../shared/model-spec';
import type { Dataset } from './data';

/** Trains for about `seconds` after `warmupSteps` and returns samples/s. */
export async function bareLoopSamplesPerSec(config: RunConfig, data: Dataset, seconds: number, warmupSteps = 5): Promise<number> {
  const model = tf.sequential();
  withHead(config.model, data.outputs).forEach((l, i) => {
    const inputShape = i === 0 ? data.inputShape : undefined;
    if (l.type === 'dense') model.add(tf.layers.dense({ units: l.units, activation: l.activation, inputShape }));
    else if (l.type === 'conv2d') model.add(tf.layers.conv2d({ filters: l.filters, kernelSize: l.kernelSize, activation: l.activation, inputShape }));
    else if (l.type === 'maxpool2d') model.add(tf.layers.maxPooling2d({ poolSize: l.poolSize, inputShape }));
    else if (l.type === 'flatten') model.add(tf.layers.flatten({ inputShape }));
    else if (l.type === 'dropout') model.add(tf.layers.dropout({ rate: l.rate, inputShape }));
    else model.add(tf.layers.batchNormalization({ inputShape }));
  });
  const optimizer = tf.train.adam(config.train.learningRate);
  const x = tf.tensor(data.xTrain, [data.trainSize, ...data.inputShape]);
  const y = tf.oneHot(tf.tensor1d(Int32Array.from(data.yTrain), 'int32'), data.outputs);
  const bs = config.train.batchSize;
  const steps = Math.floor(data.trainSize / bs);
  let pending: tf.Tensor[] = [];
  const step = (i: number) => {
    const idx = tf.tensor1d(Int32Array.from({ length: bs }, (_, k) => ((i % steps) * bs + k) % data.trainSize), 'int32');
    const cost = optimizer.minimize(() => tf.losses.softmaxCrossEntropy(tf.gather(y, idx), model.predict(tf.gather(x, idx)) as tf.Tensor), true);
    idx.dispose();
    pending.push(cost!);
  };
  const drain = async () => {
    const s = tf.stack(pending);
    tf.dispose(pending);
    pending = [];
    await s.data();
    s.dispose();
  };
  for (let i = 0; i < warmupSteps; i++) step(i);
  await drain();
  const t0 = performance.now();
  let n = 0;
  while (performance.now() - t0 < seconds * 1000) {
    step(n++);
    if (pending.length >= 16) await drain();
  }
  if (pending.length) await drain();
  const rate = (n * bs) / ((performance.now() - t0) / 1000);
  tf.dispose([x, y]);
  model.dispose();
  optimizer.dispose();
  return rate;
}
