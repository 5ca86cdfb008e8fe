/**
 * The Runs cell's comparison as pure functions: which values a curve takes from a run's stored
 * history, TensorBoard-style smoothing, and one x axis for every selected run (uPlot draws series
 * that share their x values).
 */
import type { RunCurves } from '../shared/checkpoint';

export type CurveKind = 'trainLoss' | 'valLoss' | 'valMetric';
export type XAxis = 'step' | 'epoch';

/** [x, y] points of one run's curve; y is null where the run has no finite value. */
export type Points = [number, number | null][];

/** The validation metric: accuracy for classification, the validation loss (MSE) for regression. */
export const metricOf = (m: { valLoss: number; valAccuracy?: number }): number => m.valAccuracy ?? m.valLoss;

const finite = (y: number): number | null => (Number.isFinite(y) ? y : null);

/**
 * A run's curve: the training loss of each step on the step axis, or the epoch history's value at
 * each epoch (on the step axis, at the step that ended it).
 */
export function pointsOf(c: RunCurves, kind: CurveKind, axis: XAxis): Points {
  if (kind === 'trainLoss' && axis === 'step') return Array.from(c.stepLosses, (y, i) => [i + 1, finite(y)]);
  if (axis === 'step' && c.stepsPerEpoch <= 0) return [];
  const value = kind === 'trainLoss' ? (m: RunCurves['history'][number]) => m.trainLoss : kind === 'valLoss' ? (m: RunCurves['history'][number]) => m.valLoss : metricOf;
  return c.history.map((m) => [axis === 'step' ? m.epoch * c.stepsPerEpoch : m.epoch, finite(value(m))]);
}

/**
 * Exponential moving average as TensorBoard smooths scalars: `weight` in [0, 1) of the previous
 * average, debiased so that the first values are not pulled towards 0. Gaps stay gaps and do not
 * reset the average.
 */
export function smooth(ys: readonly (number | null)[], weight: number): (number | null)[] {
  if (weight <= 0) return [...ys];
  let last = 0;
  let n = 0;
  return ys.map((y) => {
    if (y === null) return null;
    last = last * weight + (1 - weight) * y;
    n++;
    return last / (1 - weight ** n);
  });
}

/**
 * Aligns runs' curves on the union of their x values: [xs, ys of run 1, ys of run 2, …], with null
 * where a run has no point. With `log`, values that a log axis cannot draw (≤ 0) become gaps.
 */
export function align(curves: readonly Points[], smoothing: number, log: boolean): [number[], ...(number | null)[][]] {
  const xs = [...new Set(curves.flatMap((p) => p.map(([x]) => x)))].sort((a, b) => a - b);
  const index = new Map(xs.map((x, i) => [x, i]));
  const series = curves.map((points) => {
    const ys = smooth(points.map(([, y]) => y), smoothing);
    const row = new Array<number | null>(xs.length).fill(null);
    points.forEach(([x], i) => (row[index.get(x)!] = log && ys[i] !== null && ys[i]! <= 0 ? null : ys[i]));
    return row;
  });
  return [xs, ...series];
}
