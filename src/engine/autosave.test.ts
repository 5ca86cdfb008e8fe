import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import type { CheckpointKind, CheckpointRecord } from '../shared/checkpoint';
import { DEFAULT_DATA, DEFAULT_TRAIN, type RunConfig } from '../shared/config';
import { Autosaver } from './autosave';
import { loadDataset } from './data';
import { Trainer } from './trainer';

const config: RunConfig = {
  data: { ...DEFAULT_DATA, samples: 200 },
  model: { name: 'Custom', layers: [{ type: 'dense', units: 8, activation: 'relu' }] },
  train: { ...DEFAULT_TRAIN, epochs: 1, backend: 'cpu' },
};

/** A write that finishes only when the test says so, recording what was written in order. */
function gatedWriter() {
  const written: string[] = [];
  const gates: (() => void)[] = [];
  const save = async (record: CheckpointRecord) => {
    await new Promise<void>((r) => gates.push(r));
    written.push(`${record.meta.kind}@${record.meta.step}`);
    return { meta: record.meta, deleted: [] };
  };
  const release = async () => {
    while (gates.length === 0) await new Promise((r) => setTimeout(r, 1));
    gates.shift()!();
    await new Promise((r) => setTimeout(r, 1));
  };
  return { written, save, release };
}

describe('Autosaver queue', () => {
  it('keeps a queued best when later snapshots arrive, and drops superseded periodic ones', async () => {
    await tf.setBackend('cpu');
    const data = await loadDataset(config.data, async () => new ArrayBuffer(0));
    const trainer = new Trainer(config, data);
    const w = gatedWriter();
    const saver = new Autosaver('run', config.train.checkpoints, '', 'cpu', trainer.state, () => {}, w.save as never);
    const capture = async (kind: CheckpointKind, step: number) => {
      trainer.state.step = step; // the record's step tells the snapshots apart
      await saver.capture(trainer, kind);
    };
    await capture('periodic', 1); // written at once (blocked on the gate)
    await capture('best', 2); // queued
    await capture('periodic', 3); // queued beside the best
    await capture('manual', 4); // supersedes periodic@3, not best@2
    for (let i = 0; i < 3; i++) await w.release();
    await saver.flush();
    expect(w.written).toEqual(['periodic@1', 'best@2', 'manual@4']);
    trainer.dispose();
  });

  it('takes a periodic snapshot due during a write once the write settles, and a best one at once', async () => {
    await tf.setBackend('cpu');
    const data = await loadDataset(config.data, async () => new ArrayBuffer(0));
    const trainer = new Trainer({ ...config, train: { ...config.train, epochs: 3 } }, data);
    const w = gatedWriter();
    const settings = { ...config.train.checkpoints, saveEveryEpochs: 0, saveEverySteps: 2, saveEveryMinutes: 0 };
    const saver = new Autosaver('run', settings, '', 'cpu', trainer.state, () => {}, w.save as never);
    const dueAt = (step: number) => {
      trainer.state.step = step;
      return saver.due(trainer);
    };
    expect(dueAt(1)).toBeNull();
    expect(dueAt(2)).toBe('periodic');
    await saver.capture(trainer, 'periodic'); // its write is in flight until released
    expect(dueAt(4)).toBeNull(); // due, but it waits for the write instead of stalling beside it
    expect(dueAt(5)).toBeNull();
    await w.release();
    expect(dueAt(6)).toBe('periodic'); // the first boundary after the write settled
    await saver.capture(trainer, 'periodic');
    trainer.state.epoch = 1; // an epoch ends with a new best while that write is in flight
    trainer.state.best = { valLoss: 0.5, epoch: 1 };
    expect(dueAt(7)).toBe('best');
    await saver.capture(trainer, 'best');
    for (let i = 0; i < 2; i++) await w.release();
    await saver.flush();
    expect(w.written).toEqual(['periodic@2', 'periodic@6', 'best@7']);
    trainer.dispose();
  });

  it('a failed write leaves the run unsaved, so Save now and Stop retry it once space is free', async () => {
    await tf.setBackend('cpu');
    const data = await loadDataset(config.data, async () => new ArrayBuffer(0));
    const trainer = new Trainer(config, data);
    let full = true;
    const written: string[] = [];
    const save = async (record: CheckpointRecord) => {
      if (full) throw Object.assign(new Error('The disk is full'), { name: 'StorageFullError' });
      written.push(`${record.meta.kind}@${record.meta.step}`);
      return { meta: record.meta, deleted: [] };
    };
    const outcomes: string[] = [];
    const saver = new Autosaver('run', config.train.checkpoints, '', 'cpu', trainer.state, (o) => outcomes.push(o.error?.name ?? 'saved'), save as never);
    trainer.state.step = 5;
    expect(saver.unsaved(trainer)).toBe(true);
    await saver.capture(trainer, 'periodic');
    await saver.flush();
    expect(outcomes).toEqual(['StorageFullError']);
    expect(saver.unsaved(trainer)).toBe(true); // nothing is on disk for step 5
    expect(saver.due(trainer)).toBeNull(); // the periodic schedule does not retry each step
    full = false;
    await saver.capture(trainer, 'manual'); // Save now
    await saver.flush();
    expect(written).toEqual(['manual@5']);
    expect(saver.unsaved(trainer)).toBe(false);
    trainer.dispose();
  });

  it('a listener that throws after a committed save does not make it a failed one', async () => {
    await tf.setBackend('cpu');
    const data = await loadDataset(config.data, async () => new ArrayBuffer(0));
    const trainer = new Trainer(config, data);
    const save = async (record: CheckpointRecord) => ({ meta: record.meta, deleted: [] });
    const outcomes: string[] = [];
    // As after Stop: the run's BroadcastChannel is closed, so publishing the save throws.
    const onSaved = (o: { error?: { name: string } }) => {
      outcomes.push(o.error?.name ?? 'saved');
      throw new DOMException("Failed to execute 'postMessage' on 'BroadcastChannel': Channel is closed", 'InvalidStateError');
    };
    const saver = new Autosaver('run', config.train.checkpoints, '', 'cpu', trainer.state, onSaved, save as never);
    trainer.state.step = 7;
    await saver.capture(trainer, 'manual');
    await saver.flush();
    expect(outcomes).toEqual(['saved']);
    expect(saver.unsaved(trainer)).toBe(false);
    trainer.dispose();
  });
});
