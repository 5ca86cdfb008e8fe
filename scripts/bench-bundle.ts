/**
 * Codec figures for `npm run bench` (run with tsx): encode and decode MiB/s of an MLP large
 * checkpoint bundle (about 10M parameters, Adam: 3 × 40 MB of float32), and the bundle's size over
 * the raw tensor bytes it stores (target ≤ 1% + 8 KiB). Pure code: the same modules the worker uses.
 */
import { unzipSync } from 'fflate';
import { decodeCheckpointBundle, encodeCheckpointBundle, encodeStateDictPt, encodeStateDictSafetensors } from '../src/bundle';
import { CHECKPOINT_FORMAT_VERSION, type CheckpointRecord, type TensorEntry } from '../src/shared/checkpoint';
import { DEFAULT_DATA, DEFAULT_TRAIN } from '../src/shared/config';
import { presetModel, withHead } from '../src/families/stack/spec';

function mlpLargeRecord(): CheckpointRecord {
  const model = presetModel('MLP large', [28, 28, 1]);
  const tensors: TensorEntry[] = [];
  let inputs = 784;
  withHead(model, 10).forEach((layer, i) => {
    if (layer.type !== 'dense') return;
    const add = (name: string, shape: number[]) => {
      const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
      for (let k = 0; k < data.length; k++) data[k] = Math.sin(k * 0.001 + i);
      tensors.push({ name, shape, dtype: 'float32', data });
    };
    for (const kind of ['kernel', 'bias']) {
      const shape = kind === 'kernel' ? [inputs, layer.units] : [layer.units];
      add(`${i}.${kind}`, shape);
      add(`${i}.${kind}.exp_avg`, shape);
      add(`${i}.${kind}.exp_avg_sq`, shape);
    }
    inputs = layer.units;
  });
  const steps = 1250;
  return {
    formatVersion: CHECKPOINT_FORMAT_VERSION,
    meta: { id: 'e000010-s000001250-periodic', runId: 'bench', kind: 'periodic', epoch: 10, step: steps, valLoss: 0.1, sizeBytes: 0, createdAt: Date.now(), backend: 'wasm' },
    config: { data: { ...DEFAULT_DATA, dataset: 'digits' }, model, train: { ...DEFAULT_TRAIN, batchSize: 64 } },
    notes: '# bench',
    trainer: {
      epoch: 10, step: steps, batchInEpoch: 0, order: null, rng: [1, 2, 3, 4], stepLosses: new Float32Array(steps).fill(0.5),
      history: Array.from({ length: 10 }, (_, e) => ({ epoch: e + 1, trainLoss: 0.5, valLoss: 0.4, valAccuracy: 0.9 })),
      best: { valLoss: 0.4, epoch: 10 }, trainTimeMs: 1000, optimizerStep: steps,
    },
    tensors,
  };
}

/** Bytes of every stored tensor: the zip entries under <prefix>/data/. */
function rawTensorBytes(file: Uint8Array): number {
  const entries = unzipSync(file, { filter: (f) => /\/data\/[^/]+$/.test(f.name) });
  return Object.values(entries).reduce((n, e) => n + e.length, 0);
}

function time<T>(f: () => T, reps = 3): { ms: number; value: T } {
  let best = Infinity;
  let value!: T;
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    value = f();
    best = Math.min(best, performance.now() - t0);
  }
  return { ms: best, value };
}

const record = mlpLargeRecord();
const params = record.tensors.filter((t) => !t.name.includes('.exp_')).reduce((n, t) => n + t.data.length, 0);
const opts = { inputShape: [28, 28, 1] };
const enc = time(() => encodeCheckpointBundle(record, 'bench', opts));
const dec = time(() => decodeCheckpointBundle(enc.value, 'bench.pt'));
const mib = enc.value.length / 2 ** 20;
const raw = rawTensorBytes(enc.value);
const over = enc.value.length - raw;
console.log(`\nBundle codec (Node, best of 3), MLP large: ${params.toLocaleString('en-US')} parameters, Adam state, ${mib.toFixed(1)} MiB bundle`);
console.log(`  export (encode) ${(mib / (enc.ms / 1000)).toFixed(0)} MiB/s (${enc.ms.toFixed(0)} ms); import (decode + convert + check) ${(mib / (dec.ms / 1000)).toFixed(0)} MiB/s (${dec.ms.toFixed(0)} ms)`);
console.log(`  size over raw tensor bytes: ${over.toLocaleString('en-US')} B = ${((over / raw) * 100).toFixed(3)}% (target ≤ 1% + 8 KiB = ${(raw * 0.01 + 8192).toLocaleString('en-US')} B)`);
for (const [label, bytes] of [['weights .pt', encodeStateDictPt(record, opts)], ['weights .safetensors', encodeStateDictSafetensors(record, opts)]] as const) {
  const tensorBytes = label.endsWith('.pt') ? rawTensorBytes(bytes) : bytes.length - 8 - Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  console.log(`  ${label}: ${(bytes.length / 2 ** 20).toFixed(1)} MiB, ${(bytes.length - tensorBytes).toLocaleString('en-US')} B over its tensors`);
}
