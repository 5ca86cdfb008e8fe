import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { DEFAULT_DATA, DEFAULT_TRAIN, type RunConfig } from '../shared/config';
import { loadDataset } from './data';
import { Trainer } from './trainer';

const config: RunConfig = {
  data: { ...DEFAULT_DATA, samples: 300 },
  model: {
    name: 'Custom',
    layers: [
      { type: 'dense', units: 12, activation: 'relu' },
      { type: 'batchnorm' },
      { type: 'dropout', rate: 0.2 },
      { type: 'dense', units: 8, activation: 'tanh' },
    ],
  },
  train: { ...DEFAULT_TRAIN, epochs: 3, batchSize: 32, backend: 'cpu' },
};

async function finalState(t: Trainer) {
  const r = await t.readout();
  return { tensors: r.tensors.map((x) => [x.name, Array.from(x.data)]), losses: r.stepLosses, rng: r.rng, history: r.history };
}

describe('Trainer (tfjs cpu in Node)', () => {
  it('continues exactly after snapshot and restore mid-epoch', async () => {
    await tf.setBackend('cpu');
    const data = await loadDataset(config.data, async () => new ArrayBuffer(0));
    const straight = new Trainer(config, data);
    await straight.run({ onProgress: () => {} });
    const expected = await finalState(straight);

    const first = new Trainer(config, data);
    await first.run({ onProgress: () => {}, betweenSteps: async () => void (first.state.step === 11 && first.stop()) });
    expect(first.state.batchInEpoch).toBeGreaterThan(0); // stopped inside an epoch
    const snap = await first.snapshot();
    const resumed = new Trainer(config, data);
    resumed.restore(snap);
    await resumed.run({ onProgress: () => {} });
    expect(await finalState(resumed)).toEqual(expected);
    for (const t of [straight, first, resumed]) t.dispose();
  });

  it('keeps the tensor count flat and refuses a snapshot of another model', async () => {
    await tf.setBackend('cpu');
    const data = await loadDataset(config.data, async () => new ArrayBuffer(0));
    const before = tf.memory().numTensors;
    const t = new Trainer(config, data);
    const counts: number[] = [];
    await t.run({ onProgress: (e) => e.epochMetrics && counts.push(e.numTensors) });
    expect(new Set(counts).size).toBe(1);
    const snap = await t.snapshot();
    t.dispose();
    expect(tf.memory().numTensors).toBe(before);
    const other = new Trainer({ ...config, model: { name: 'Custom', layers: [{ type: 'dense', units: 5, activation: 'relu' }] } }, data);
    expect(() => other.restore(snap)).toThrow(/has no tensor|shape/);
    other.dispose();
  });
});
