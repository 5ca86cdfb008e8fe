/**
 * Learning-rate schedules as a pure function of the global step. Nothing is stateful, so a resumed
 * run needs only the step it stopped at (plus the unchanged config) to continue on the same curve.
 */
import type { ScheduleConfig } from '../shared/config';

/**
 * The learning rate for the step about to be taken.
 *
 * - constant: `base`.
 * - step: `base × gamma^floor(epoch / stepEpochs)` with `epoch = floor(step / stepsPerEpoch)`.
 * - cosine: linear warm-up `base × (step + 1) / warmupSteps` while `step < warmupSteps`, then a
 *   half cosine from `base` down to `base × minLrFactor`, reached at `totalSteps`; steps past the
 *   end stay at that minimum.
 *
 * @param step 0-based global step (batches already trained since the run began)
 * @param base the configured learning rate
 * @param s schedule settings
 * @param stepsPerEpoch batches per epoch (≥ 1)
 * @param totalSteps planned steps for the whole run (epochs × stepsPerEpoch)
 */
export function learningRateAt(
  step: number,
  base: number,
  s: ScheduleConfig,
  stepsPerEpoch: number,
  totalSteps: number,
): number {
  const k = Math.max(0, Math.floor(step));
  switch (s.name) {
    case 'constant':
      return base;
    case 'step': {
      const epoch = Math.floor(k / Math.max(1, Math.floor(stepsPerEpoch)));
      const every = Math.max(1, Math.floor(s.stepEpochs)); // 0 would divide by zero; treat as every epoch
      return base * Math.pow(s.gamma, Math.floor(epoch / every));
    }
    case 'cosine': {
      const warmup = Math.max(0, Math.floor(s.warmupSteps));
      if (k < warmup) return (base * (k + 1)) / warmup;
      const min = base * s.minLrFactor;
      const span = totalSteps - warmup;
      const progress = span > 0 ? Math.min(1, (k - warmup) / span) : 1;
      return min + (base - min) * 0.5 * (1 + Math.cos(Math.PI * progress));
    }
  }
}
