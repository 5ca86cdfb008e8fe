import { describe, expect, it } from 'vitest';
import type { RunCurves } from '../shared/checkpoint';
import { align, pointsOf, smooth } from './compare';

const run: RunCurves = {
  runId: 'a',
  checkpointId: 'final',
  history: [
    { epoch: 1, trainLoss: 1, valLoss: 0.9, valAccuracy: 0.5 },
    { epoch: 2, trainLoss: 0.5, valLoss: 0.4, valAccuracy: 0.8 },
  ],
  stepLosses: Float32Array.from([2, 1, 0.5, NaN]),
  stepsPerEpoch: 2,
};

describe('pointsOf', () => {
  it('takes per-step losses on the step axis and the history on the epoch axis', () => {
    expect(pointsOf(run, 'trainLoss', 'step')).toEqual([[1, 2], [2, 1], [3, 0.5], [4, null]]);
    expect(pointsOf(run, 'trainLoss', 'epoch')).toEqual([[1, 1], [2, 0.5]]);
    expect(pointsOf(run, 'valLoss', 'step')).toEqual([[2, 0.9], [4, 0.4]]);
    expect(pointsOf(run, 'valMetric', 'epoch')).toEqual([[1, 0.5], [2, 0.8]]);
  });

  it('uses the validation loss (MSE) as the metric of a regression', () => {
    const regression = { ...run, history: run.history.map(({ valAccuracy: _, ...m }) => m) };
    expect(pointsOf(regression, 'valMetric', 'epoch')).toEqual([[1, 0.9], [2, 0.4]]);
  });
});

describe('smooth', () => {
  it('is a debiased exponential moving average, as TensorBoard draws it', () => {
    const [a, b, c] = smooth([1, 3, null], 0.5) as number[];
    expect(a).toBe(1); // debiased: not pulled towards 0
    expect(b).toBeCloseTo((0.5 * 0.5 * 1 + 0.5 * 3) / (1 - 0.25));
    expect(c).toBeNull();
    expect(smooth([1, 3], 0)).toEqual([1, 3]);
  });
});

describe('align', () => {
  it('puts runs of different lengths on the union of their x values', () => {
    expect(align([[[1, 1], [2, 2]], [[2, 5], [3, 6]]], 0, false)).toEqual([[1, 2, 3], [1, 2, null], [null, 5, 6]]);
  });

  it('leaves values a log axis cannot draw as gaps', () => {
    expect(align([[[1, 0], [2, 0.5]]], 0, true)).toEqual([[1, 2], [null, 0.5]]);
  });
});
