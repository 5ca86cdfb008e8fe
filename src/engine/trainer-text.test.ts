import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { DEFAULT_DATA, DEFAULT_TRAIN, type RunConfig } from '../shared/config';
import { loadDataset } from './data';
import { Trainer } from './trainer';

const text = readFileSync('public/text/tinyshakespeare.txt', 'utf8').slice(0, 2000);
const config: RunConfig = {
  data: { ...DEFAULT_DATA, dataset: 'text', validationSplit: 0.1, text: { fileName: 'bit.txt', fileId: 'f' } },
  model: { family: 'gpt', name: 'Custom', nLayer: 2, nHead: 2, nEmbd: 16, blockSize: 16, dropout: 0.1, bias: false },
  train: {
    ...DEFAULT_TRAIN, epochs: 2, batchSize: 4, learningRate: 1e-3, optimizer: 'adamw', weightDecay: 0.1, beta2: 0.99, gradClip: 1,
    schedule: { ...DEFAULT_TRAIN.schedule, name: 'cosine', warmupSteps: 5, minLrFactor: 0.1 }, evalBatches: 3, backend: 'cpu',
  },
};
const load = (cfg = config) => loadDataset(cfg.data, async () => new ArrayBuffer(0), async () => new TextEncoder().encode(text));

async function finalState(t: Trainer) {
  const r = await t.readout();
  return { tensors: r.tensors.map((x) => [x.name, Array.from(x.data)]), losses: r.stepLosses, rng: r.rng, history: r.history };
}

describe('Trainer on text (GPT, tfjs cpu in Node)', () => {
  it('trains on random windows, epochs of train tokens ÷ (batch × block), and resumes exactly mid-epoch', async () => {
    await tf.setBackend('cpu');
    const data = await load();
    const straight = new Trainer(config, data);
    expect(straight.stepsPerEpoch).toBe(Math.floor(1800 / (4 * 16)));
    expect(straight.samplesPerStep).toBe(64);
    await straight.run({ onProgress: () => {} });
    const expected = await finalState(straight);
    expect(expected.losses.length).toBe(2 * 28);
    expect(expected.history.length).toBe(2);
    expect(expected.history[1].valLoss).toBeLessThan(Math.log(data.outputs)); // learned something: below a uniform guess

    const first = new Trainer(config, data);
    await first.run({ onProgress: () => {}, betweenSteps: async () => void (first.state.step === 11 && first.stop()) });
    const snap = await first.snapshot();
    const resumed = new Trainer(config, data);
    resumed.restore(snap);
    await resumed.run({ onProgress: () => {} });
    expect(await finalState(resumed)).toEqual(expected);
    [straight, first, resumed].forEach((t) => t.dispose());
  }, 120_000);

  it('refuses a text shorter than one block, and the wrong model for the data, with what to do', async () => {
    const data = await load();
    expect(() => new Trainer({ ...config, model: { ...config.model, blockSize: 200 } }, data)).toThrow(/validation part has 200 characters, fewer than one block of 200 plus one/);
    expect(() => new Trainer({ ...config, model: { name: 'Tiny MLP', layers: [] } }, data)).toThrow(/Text data needs a language model/);
    const spiral = await loadDataset(DEFAULT_DATA, async () => new ArrayBuffer(0));
    expect(() => new Trainer({ ...config, data: DEFAULT_DATA }, spiral)).toThrow(/learn from text. Pick Tiny Shakespeare or a text upload/);
    const tiny = await loadDataset(config.data, async () => new ArrayBuffer(0), async () => new TextEncoder().encode('abc'));
    expect(() => new Trainer(config, tiny)).toThrow(/training part has 2 characters, fewer than one block of 16 plus one/);
  });
});
