import { describe, expect, it } from 'vitest';
import type { ScheduleConfig } from '../shared/config';
import { learningRateAt } from './schedule';

const base: ScheduleConfig = { name: 'constant', stepEpochs: 10, gamma: 0.5, warmupSteps: 100, minLrFactor: 0 };

describe('learningRateAt', () => {
  it('constant returns the base rate at every step', () => {
    for (const step of [0, 1, 999, 1e6]) expect(learningRateAt(step, 0.01, base, 10, 1000)).toBe(0.01);
  });

  it('step decay multiplies by gamma every stepEpochs epochs', () => {
    const s: ScheduleConfig = { ...base, name: 'step', stepEpochs: 2, gamma: 0.1 };
    const spe = 5; // steps per epoch
    expect(learningRateAt(0, 1, s, spe, 100)).toBe(1);
    expect(learningRateAt(9, 1, s, spe, 100)).toBe(1); // last step of epoch 1
    expect(learningRateAt(10, 1, s, spe, 100)).toBeCloseTo(0.1, 12); // first step of epoch 2
    expect(learningRateAt(19, 1, s, spe, 100)).toBeCloseTo(0.1, 12);
    expect(learningRateAt(20, 1, s, spe, 100)).toBeCloseTo(0.01, 12);
  });

  it('step decay survives a zero stepEpochs by decaying every epoch', () => {
    const s: ScheduleConfig = { ...base, name: 'step', stepEpochs: 0, gamma: 0.5 };
    expect(learningRateAt(3, 1, s, 3, 100)).toBe(0.5);
  });

  it('cosine warms up linearly, starting above zero', () => {
    const s: ScheduleConfig = { ...base, name: 'cosine', warmupSteps: 10, minLrFactor: 0.1 };
    expect(learningRateAt(0, 1, s, 10, 110)).toBeCloseTo(0.1, 12);
    expect(learningRateAt(4, 1, s, 10, 110)).toBeCloseTo(0.5, 12);
    expect(learningRateAt(9, 1, s, 10, 110)).toBeCloseTo(1, 12);
  });

  it('cosine decays from base to base × minLrFactor at totalSteps and stays there', () => {
    const s: ScheduleConfig = { ...base, name: 'cosine', warmupSteps: 10, minLrFactor: 0.1 };
    expect(learningRateAt(10, 2, s, 10, 110)).toBeCloseTo(2, 12); // first step after warm-up
    expect(learningRateAt(60, 2, s, 10, 110)).toBeCloseTo(0.2 + 1.8 * 0.5, 12); // half way
    expect(learningRateAt(110, 2, s, 10, 110)).toBeCloseTo(0.2, 12);
    expect(learningRateAt(5000, 2, s, 10, 110)).toBeCloseTo(0.2, 12);
    let prev = Infinity;
    for (let k = 10; k <= 110; k++) {
      const lr = learningRateAt(k, 2, s, 10, 110);
      expect(lr).toBeLessThanOrEqual(prev);
      prev = lr;
    }
  });

  it('cosine without warm-up starts at base; warm-up longer than the run ends at the minimum', () => {
    const none: ScheduleConfig = { ...base, name: 'cosine', warmupSteps: 0, minLrFactor: 0 };
    expect(learningRateAt(0, 1, none, 10, 100)).toBe(1);
    expect(learningRateAt(100, 1, none, 10, 100)).toBeCloseTo(0, 12);
    const long: ScheduleConfig = { ...base, name: 'cosine', warmupSteps: 200, minLrFactor: 0.5 };
    expect(learningRateAt(199, 1, long, 10, 100)).toBeCloseTo(1, 12);
    expect(learningRateAt(200, 1, long, 10, 100)).toBeCloseTo(0.5, 12);
  });

  it('depends only on the step, so a resumed run continues the same curve', () => {
    const s: ScheduleConfig = { ...base, name: 'cosine', warmupSteps: 5, minLrFactor: 0 };
    const straight = Array.from({ length: 50 }, (_, k) => learningRateAt(k, 0.1, s, 5, 50));
    const resumed = [...straight.slice(0, 20), ...Array.from({ length: 30 }, (_, k) => learningRateAt(20 + k, 0.1, s, 5, 50))];
    expect(resumed).toEqual(straight);
  });
});
