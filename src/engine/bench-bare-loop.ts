/**
 * The yardstick for `npm run bench`: the same model trained the way tfjs examples do it
 * (tf.sequential layers, tf.train.adam, optimizer.minimize), on the same data and backend, with
 * losses read back every 16 steps like the engine does. Our engine should keep ≥ 97% of its speed.
 */
import * as tf from '@tensorflow/tfjs';
import type { RunConfig } from '../shared/config';
import { familyWorker } from '../families/worker-registry';
import { ioOf, type Dataset } from './data';

/** Trains for about `seconds` after `warmupSteps` and returns samples/s. */
export async function bareLoopSamplesPerSec(config: RunConfig, data: Dataset, seconds: number, warmupSteps = 5): Promise<number> {
  const layers = familyWorker(config.model).layersModel;
  if (!layers) throw new Error(`The ${config.model.family} family has no tf.layers equivalent to time.`);
  const model = layers(config.model, ioOf(data));
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
