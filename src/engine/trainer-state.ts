/**
 * A trainer's plain state between two steps, as the checkpoint copies it and a resume puts it back,
 * and the progress event made from it.
 */
import * as tf from '@tensorflow/tfjs';
import type { EpochMetrics, TrainerSnapshot } from '../shared/checkpoint';
import type { RunConfig } from '../shared/config';
import type { ProgressEvent, RunState } from '../shared/engine-api';
import type { RngState } from '../shared/rng';
import { learningRateAt } from './schedule';

/** Everything about a run that is not a tensor, between two steps. */
export interface TrainerState {
  /** Completed epochs. */
  epoch: number;
  /** Global step: batches trained since the run began. */
  step: number;
  /** Next batch within the current epoch (0 = the epoch has not started; its order is drawn then). */
  batchInEpoch: number;
  /** The current epoch's shuffle order, or null before its first batch. */
  order: Int32Array | null;
  rng: RngState;
  /** Training loss of every step, in order. */
  stepLosses: number[];
  history: EpochMetrics[];
  best: { valLoss: number; epoch: number } | null;
  /** Wall time spent training (pauses excluded), in ms. */
  trainTimeMs: number;
}

/** A copy of `s` for a checkpoint (nothing shared with the live state). */
export function snapshotOf(s: TrainerState, optimizerStep: number): TrainerSnapshot {
  return {
    epoch: s.epoch,
    step: s.step,
    batchInEpoch: s.batchInEpoch,
    order: s.order ? s.order.slice() : null,
    rng: [...s.rng],
    stepLosses: Float32Array.from(s.stepLosses),
    history: s.history.map((h) => ({ ...h })),
    best: s.best ? { ...s.best } : null,
    trainTimeMs: s.trainTimeMs,
    optimizerStep,
  };
}

/** The live state of a snapshot (copied), with the generator's state `rng`. */
export function stateOf(t: TrainerSnapshot, rng: RngState): TrainerState {
  return {
    epoch: t.epoch,
    step: t.step,
    batchInEpoch: t.batchInEpoch,
    order: t.order ? t.order.slice() : null,
    rng,
    stepLosses: Array.from(t.stepLosses),
    history: t.history.map((h) => ({ ...h })),
    best: t.best ? { ...t.best } : null,
    trainTimeMs: t.trainTimeMs,
  };
}

/** What a progress event needs of the trainer. */
interface ProgressSource {
  state: TrainerState;
  config: RunConfig;
  runState: RunState;
  stepsPerEpoch: number;
  totalSteps: number;
  scheduleSteps: number;
  /** Samples (on text: tokens) one step trains on. */
  samplesPerStep: number;
}

/**
 * The progress event for the steps since `started` (rate and ETA from training time only, pauses
 * excluded); `losses` are the steps' losses not reported yet.
 */
export function progressEvent(t: ProgressSource, losses: number[], started: { step: number; trainTimeMs: number }, epochMetrics?: EpochMetrics): ProgressEvent {
  const s = t.state;
  const elapsedSec = (s.trainTimeMs - started.trainTimeMs) / 1000;
  const steps = s.step - started.step;
  const stepsPerSec = elapsedSec > 0 ? steps / elapsedSec : 0;
  const train = t.config.train;
  const lr = learningRateAt(Math.max(0, s.step - 1), train.learningRate, train.schedule, t.stepsPerEpoch, t.scheduleSteps);
  return {
    type: 'progress',
    epoch: s.epoch,
    epochs: train.epochs,
    step: s.step,
    stepsPerEpoch: t.stepsPerEpoch,
    losses,
    samplesPerSec: stepsPerSec * t.samplesPerStep,
    etaSec: stepsPerSec > 0 ? (t.totalSteps - s.step) / stepsPerSec : NaN,
    learningRate: lr,
    epochMetrics,
    state: t.runState,
    numTensors: tf.memory().numTensors,
  };
}
