import { describe, expect, it } from 'vitest';
import type { CheckpointRecord, TensorEntry } from '../shared/checkpoint';
import { DEFAULT_DATA, DEFAULT_TRAIN, type TrainConfig } from '../shared/config';
import type { StackSpec as ModelSpec } from '../families/stack/spec';
import { decodeCheckpointBundle, encodeCheckpointBundle, encodeStateDictPt, encodeStateDictSafetensors, recordInputShape } from './checkpoint-bundle';
import { decodePt, encodePt } from './pt';
import { getPath, PyDict, PyFloat, PyTensor } from './py-value';
import { encodeSafetensors } from './safetensors';

const model: ModelSpec = {
  name: 'Custom',
  layers: [{ type: 'dense', units: 4, activation: 'relu' }, { type: 'batchnorm' }, { type: 'dropout', rate: 0.5 }],
};
/** Our tensors for model + head(3) on [2] inputs, with the slots of `train`. */
function tensorsFor(train: TrainConfig, withSlots: boolean): TensorEntry[] {
  const shapes: [string, number[]][] = [['0.kernel', [2, 4]], ['0.bias', [4]], ['1.gamma', [4]], ['1.beta', [4]], ['3.kernel', [4, 3]], ['3.bias', [3]]];
  const slots = { adam: ['exp_avg', 'exp_avg_sq'], adamw: ['exp_avg', 'exp_avg_sq'], sgd: train.momentum > 0 ? ['momentum_buffer'] : [], rmsprop: ['square_avg', 'momentum_buffer'] }[train.optimizer];
  let seed = 1;
  const entry = (name: string, shape: number[]): TensorEntry => ({
    name, shape, dtype: 'float32', data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => Math.fround(Math.sin(seed++) / 3)),
  });
  return [
    ...shapes.map(([n, s]) => entry(n, s)),
    entry('1.running_mean', [4]), entry('1.running_var', [4]),
    ...shapes.flatMap(([n, s]) => slots.map((slot) => (withSlots ? entry(`${n}.${slot}`, s) : { ...entry(`${n}.${slot}`, s), data: new Float32Array(s.reduce((a, b) => a * b, 1)) }))),
  ];
}

function record(train: TrainConfig, step: number): CheckpointRecord {
  const history = step >= 5 ? [{ epoch: 1, trainLoss: 0.75, valLoss: 0.5, valAccuracy: 0.8125 }] : [];
  return {
    formatVersion: 1,
    meta: { id: 'e1-manual', runId: 'r', kind: 'manual', epoch: history.length, step, valLoss: history[0]?.valLoss ?? NaN, sizeBytes: 0, createdAt: 1_700_000_000_000, backend: 'cpu' },
    config: { data: { ...DEFAULT_DATA, samples: 20 }, model, train },
    notes: 'héllo\nnotes',
    trainer: {
      epoch: history.length, step, batchInEpoch: step % 5, order: step % 5 ? Int32Array.from({ length: 16 }, (_, i) => (i * 7) % 16) : null,
      rng: [1, 0xffffffff, 3, 4], stepLosses: Float32Array.from({ length: step }, (_, i) => 1 / (i + 3)), history,
      best: history.length ? { valLoss: 0.5, epoch: 1 } : null, trainTimeMs: 1234.5, optimizerStep: step,
    },
    tensors: tensorsFor(train, step > 0),
  };
}

const train = (over: Partial<TrainConfig>): TrainConfig => ({ ...DEFAULT_TRAIN, ...over });

describe('encodeCheckpointBundle / decodeCheckpointBundle', () => {
  const cases: [string, TrainConfig, number][] = [
    ['adam mid-epoch', train({}), 7],
    ['adam before the first step', train({}), 0],
    ['sgd with momentum at an epoch boundary', train({ optimizer: 'sgd', momentum: 0.9, weightDecay: 1e-4 }), 5],
    ['sgd without momentum', train({ optimizer: 'sgd', momentum: 0 }), 3],
    ['rmsprop with momentum', train({ optimizer: 'rmsprop', momentum: 0.5 }), 6],
    ['adamw (two groups: matrices decay, vectors do not)', train({ optimizer: 'adamw', weightDecay: 0.1, beta2: 0.99, gradClip: 1 }), 7],
  ];
  it.each(cases)('round-trips %s to an identical record', (_, t, step) => {
    const r = record(t, step);
    const bytes = encodeCheckpointBundle(r, 'My notebook');
    expect(decodeCheckpointBundle(bytes, 'run.pt')).toEqual({ kind: 'bundle', record: { ...r, meta: { ...r.meta, sizeBytes: bytes.length } }, notebookName: 'My notebook' });
  });

  it('writes the keys and optimizer state a PyTorch script expects', () => {
    const { root } = decodePt(encodeCheckpointBundle(record(train({}), 7), 'n', { learningRate: 0.005 }));
    expect([...(root as PyDict).keys()].slice(0, 8)).toEqual(['format', 'format_version', 'model_state_dict', 'optimizer_state_dict', 'scheduler_state_dict', 'global_step', 'epoch', 'best_val_loss']);
    expect([...(getPath(root, 'model_state_dict') as PyDict).keys()]).toEqual(['0.weight', '0.bias', '2.weight', '2.bias', '2.running_mean', '2.running_var', '2.num_batches_tracked', '4.weight', '4.bias']);
    expect(getPath(root, 'model_state_dict', '2.num_batches_tracked')).toEqual(new PyTensor('int64', [], BigInt64Array.of(7n)));
    expect(getPath(root, 'optimizer_state_dict', 'state', 0, 'step')).toEqual(new PyTensor('float32', [], Float32Array.of(7)));
    const group = getPath(root, 'optimizer_state_dict', 'param_groups', 0) as PyDict;
    expect([...group.keys()]).toEqual(['lr', 'betas', 'eps', 'weight_decay', 'amsgrad', 'foreach', 'maximize', 'differentiable', 'capturable', 'fused', 'params']);
    expect(group.get('lr')).toBe(0.005);
    expect(group.get('params')).toEqual([0, 1, 2, 3, 4, 5]);
    expect(getPath(root, 'input_shape')).toEqual([2]);
    expect(getPath(root, 'best_val_loss')).toBe(0.5);
  });

  it('encodes the model state dict alone as .pt and .safetensors, readable back as a state dict', () => {
    const r = record(train({}), 7);
    for (const [bytes, name] of [[encodeStateDictPt(r), 'w.pt'], [encodeStateDictSafetensors(r), 'w.safetensors']] as const) {
      const back = decodeCheckpointBundle(bytes, name);
      expect(back.kind).toBe('state_dict');
      if (back.kind === 'state_dict') expect([...back.tensors.keys()].sort()).toEqual(['0.bias', '0.weight', '2.bias', '2.num_batches_tracked', '2.running_mean', '2.running_var', '2.weight', '4.bias', '4.weight']);
    }
  });
});

describe('decodeCheckpointBundle on files from PyTorch scripts', () => {
  const w = new PyTensor('float32', [2, 2], Float32Array.of(1, 2, 3, 4));
  it('accepts a plain state dict, model_state_dict or state_dict, and drops a module. prefix', () => {
    const roots = [
      new PyDict([['module.0.weight', w]], true),
      new PyDict([['model_state_dict', new PyDict([['0.weight', w]], true)], ['epoch', 3], ['lr', new PyFloat(1)]]),
      new PyDict([['state_dict', new PyDict([['0.weight', w]])]]),
    ];
    for (const root of roots) {
      const back = decodeCheckpointBundle(encodePt(root), 'ckpt.pt');
      expect(back).toEqual({ kind: 'state_dict', tensors: new Map([['0.weight', w]]) });
    }
    const st = decodeCheckpointBundle(encodeSafetensors([{ name: '_orig_mod.0.weight', dtype: 'float32', shape: [2, 2], data: w.data }]), 'w.safetensors');
    expect(st.kind === 'state_dict' && [...st.tensors.keys()]).toEqual(['0.weight']);
  });

  it('refuses what is not a state dict, and bundles from a newer app, naming the entry', () => {
    const refusal = (root: PyDict | PyTensor) => {
      try {
        decodeCheckpointBundle(encodePt(root), 'x.pt');
      } catch (e) {
        return e as Error & { entry?: string };
      }
      throw new Error('accepted');
    };
    const notSd = refusal(new PyDict([['0.weight', w], ['note', 'hi']]));
    expect(notSd.name).toBe('BundleError');
    expect(notSd.message).toMatch(/^Refused x\.pt: entry "note" is not a named tensor.*Nothing was loaded\.$/s);
    expect(refusal(w).message).toMatch(/a single tensor/);
    const newer = refusal(new PyDict([['format', 'tab-trainer'], ['format_version', 99]]));
    expect(newer.entry).toBe('format_version');
    expect(newer.message).toMatch(/newer than the 2 this app reads/);
    const broken = refusal(new PyDict([['format', 'tab-trainer'], ['format_version', 1], ['config', 3]]));
    expect(broken.message).toMatch(/the bundle's config is not a dict/);
  });

  it('refuses a bundle whose optimizer slot has the wrong shape', () => {
    const { root } = decodePt(encodeCheckpointBundle(record(train({}), 7), 'n'));
    (getPath(root, 'optimizer_state_dict', 'state', 1) as PyDict).set('exp_avg', new PyTensor('float32', [5], new Float32Array(5)));
    expect(() => decodeCheckpointBundle(encodePt(root), 'x.pt')).toThrow(/optimizer_state_dict\.state\.1\.exp_avg is shaped \[5\], the model needs \[4\]/);
  });
});

describe('recordInputShape', () => {
  it('uses the digits image shape and the first layer elsewhere', () => {
    const r = record(train({}), 0);
    expect(recordInputShape(r)).toEqual([2]);
    expect(recordInputShape({ ...r, config: { ...r.config, data: { ...r.config.data, dataset: 'digits' } } })).toEqual([28, 28, 1]);
  });
});
