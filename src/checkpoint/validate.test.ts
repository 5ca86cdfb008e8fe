import { describe, expect, it } from 'vitest';
import type { CheckpointRecord } from '../shared/checkpoint';
import { DEFAULT_DATA, DEFAULT_TRAIN } from '../shared/config';
import { findRecordProblem, validateRecord } from './validate';

/** A small valid record at epoch 2, step 6, mid-epoch with a 5-sample order. */
function makeRecord(): CheckpointRecord {
  return {
    formatVersion: 1,
    meta: { id: 'e000002-s000006-periodic', runId: 'run-a', kind: 'periodic', epoch: 2, step: 6, valLoss: 0.5, sizeBytes: 100, createdAt: 1_700_000_000_000, backend: 'cpu' },
    config: { data: DEFAULT_DATA, model: { name: 'Custom', layers: [] }, train: DEFAULT_TRAIN },
    notes: '# notes',
    trainer: {
      epoch: 2,
      step: 6,
      batchInEpoch: 1,
      order: Int32Array.from([3, 1, 4, 0, 2]),
      rng: [1, 2, 3, 4],
      stepLosses: new Float32Array([1, 0.9, 0.8, 0.7, 0.6, 0.5]),
      history: [{ epoch: 1, trainLoss: 0.8, valLoss: 0.7 }],
      best: { valLoss: 0.5, epoch: 2 },
      trainTimeMs: 1234,
      optimizerStep: 6,
    },
    tensors: [
      { name: '0.kernel', shape: [2, 3], dtype: 'float32', data: new Float32Array([1, 2, 3, 4, 5, 6]) },
      { name: '0.bias', shape: [3], dtype: 'float32', data: new Float32Array(3) },
    ],
  };
}

/** The reason validateRecord gives for a record changed by `edit`. */
function reasonAfter(edit: (r: CheckpointRecord & Record<string, unknown>) => void, expectation?: Parameters<typeof findRecordProblem>[1]) {
  const r = makeRecord() as CheckpointRecord & Record<string, unknown>;
  edit(r);
  return findRecordProblem(r, expectation)?.reason;
}

describe('validateRecord', () => {
  it('accepts a valid record and returns it unchanged', () => {
    const r = makeRecord();
    expect(validateRecord(r)).toBe(r);
    expect(validateRecord({ ...r, trainer: { ...r.trainer, order: null } })).toBeTruthy();
    expect(validateRecord(r, { tensors: [{ name: '0.bias', shape: [3] }, { name: '0.kernel', shape: [2, 3] }], trainSize: 5 })).toBe(r);
  });

  it('refuses an unknown format version with UnknownCheckpointVersionError', () => {
    expect(() => validateRecord({ ...makeRecord(), formatVersion: 3 })).toThrow(
      expect.objectContaining({ name: 'UnknownCheckpointVersionError', message: expect.stringContaining('format version is 3') }),
    );
  });

  it('names the problem in a CorruptCheckpointError whose message says what to do', () => {
    const r = makeRecord();
    r.tensors[0].data[4] = Number.NaN;
    let error: unknown;
    try {
      validateRecord(r);
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ name: 'CorruptCheckpointError' });
    expect((error as Error).message).toBe(
      'Checkpoint "e000002-s000006-periodic" (epoch 2) is unreadable: tensor "0.kernel" holds NaN at index 4. Delete it and resume from an older checkpoint, or start a new run.',
    );
  });

  it.each([
    ['not an object', () => findRecordProblem(null)?.reason, 'the stored value is null, not a checkpoint record'],
    ['version not a number', () => reasonAfter((r) => (r.formatVersion = '1' as never)), 'formatVersion is "1", not an integer'],
    ['missing meta', () => reasonAfter((r) => delete (r as Partial<CheckpointRecord>).meta), 'meta is a undefined, not an object'],
    ['bad kind', () => reasonAfter((r) => (r.meta.kind = 'weekly' as never)), 'meta.kind is "weekly", not one of periodic, best, final, manual'],
    ['negative step', () => reasonAfter((r) => (r.meta.step = -1)), 'meta.step is -1, not a non-negative integer'],
    ['missing config.model', () => reasonAfter((r) => delete (r.config as Partial<CheckpointRecord['config']>).model), 'config.model is a undefined, not an object'],
    ['notes not a string', () => reasonAfter((r) => (r.notes = 3 as never)), 'notes is a number, not a string'],
    ['fractional trainer step', () => reasonAfter((r) => (r.trainer.batchInEpoch = 1.5)), 'trainer.batchInEpoch is 1.5, not a non-negative integer'],
    ['trainer and meta disagree', () => reasonAfter((r) => (r.meta.epoch = 3)), 'trainer is at epoch 2 step 6, but meta says epoch 3 step 6'],
    ['rng of 3 words', () => reasonAfter((r) => (r.trainer.rng = [1, 2, 3])), 'trainer.rng is [1, 2, 3], not four uint32 words'],
    ['rng word too big', () => reasonAfter((r) => (r.trainer.rng = [1, 2, 3, 2 ** 32])), 'trainer.rng is [1, 2, 3, 4294967296], not four uint32 words'],
    ['rng all zero', () => reasonAfter((r) => (r.trainer.rng = [0, 0, 0, 0])), 'trainer.rng is all zero, which is not a valid generator state'],
    ['order as plain array', () => reasonAfter((r) => (r.trainer.order = [0, 1] as never)), 'trainer.order is an array, not an Int32Array or null'],
    ['order not a permutation', () => reasonAfter((r) => (r.trainer.order = Int32Array.from([0, 1, 1]))), 'trainer.order is not a permutation of 0..2 (entry 2 is 1)'],
    ['order of the wrong length', () => reasonAfter(() => {}, { trainSize: 6 }), 'trainer.order has 5 entries, but the training set has 6 samples'],
    ['stepLosses too short', () => reasonAfter((r) => (r.trainer.stepLosses = new Float32Array(5))), 'trainer.stepLosses holds 5 losses, but the run is at step 6'],
    ['stepLosses as array', () => reasonAfter((r) => (r.trainer.stepLosses = [1] as never)), 'trainer.stepLosses is an array, not a Float32Array'],
    ['float64 tensor', () => reasonAfter((r) => (r.tensors[1].data = new Float64Array(3) as never)), 'tensor "0.bias" holds a Float64Array, not a Float32Array'],
    ['dtype int32', () => reasonAfter((r) => (r.tensors[1].dtype = 'int32' as never)), 'tensor "0.bias" has dtype "int32"; only float32 is stored'],
    ['short data', () => reasonAfter((r) => (r.tensors[0].data = new Float32Array(5))), 'tensor "0.kernel" holds 5 values, but its shape [2, 3] needs 6'],
    ['bad shape', () => reasonAfter((r) => (r.tensors[0].shape = [2, -3])), 'tensor "0.kernel" has shape [2, -3], not a list of non-negative integers'],
    ['Infinity', () => reasonAfter((r) => (r.tensors[1].data[2] = -Infinity)), 'tensor "0.bias" holds -Infinity at index 2'],
    ['duplicate name', () => reasonAfter((r) => (r.tensors[1].name = '0.kernel')), 'tensor "0.kernel" appears twice'],
  ])('%s', (_label, reason, expected) => {
    expect(reason()).toBe(expected);
  });

  it('lists every missing, unexpected and mis-shaped tensor against the model', () => {
    const reason = reasonAfter(() => {}, {
      tensors: [
        { name: '0.kernel', shape: [3, 2] },
        { name: '1.kernel', shape: [3, 1] },
        { name: '1.bias', shape: [1] },
      ],
    });
    expect(reason).toBe(
      'its tensors do not fit the model (missing 1.kernel, 1.bias; unexpected 0.bias; shape mismatch: 0.kernel is [2, 3], the model needs [3, 2])',
    );
  });

  it('checks 10 M values in well under a second', () => {
    const r = makeRecord();
    r.tensors.push({ name: 'big', shape: [10_000_000], dtype: 'float32', data: new Float32Array(10_000_000) });
    const t0 = performance.now();
    validateRecord(r);
    expect(performance.now() - t0).toBeLessThan(1000);
  });
});
