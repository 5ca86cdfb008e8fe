import { describe, expect, it } from 'vitest';
import { Rng } from '../../shared/rng';
import { splitSamples, standardize, type DatasetMeta } from './dataset';

const meta = (kind: 'classification' | 'regression'): DatasetMeta => ({
  kind,
  inputShape: [2],
  outputs: kind === 'classification' ? 3 : 1,
  classNames: kind === 'classification' ? ['a', 'b', 'c'] : ['y'],
  view: 'table',
  featureNames: ['f1', 'f2'],
  targetName: 't',
});

function samples(n: number, classes: number) {
  const x = new Float32Array(n * 2);
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    x[2 * i] = i; // the row index, so we can trace where each row went
    x[2 * i + 1] = -i;
    y[i] = i % classes;
  }
  return { x, y, rowSize: 2 };
}

describe('splitSamples', () => {
  it('keeps every row once, with its label, and stratifies the classes', () => {
    const ds = splitSamples(samples(300, 3), meta('classification'), 0.2, new Rng(1));
    expect(ds.trainSize).toBe(240);
    expect(ds.valSize).toBe(60);
    const seen = new Set<number>();
    for (const [x, y, n] of [[ds.xTrain, ds.yTrain, ds.trainSize], [ds.xVal, ds.yVal, ds.valSize]] as const) {
      for (let i = 0; i < n; i++) {
        const id = x[2 * i];
        expect(x[2 * i + 1]).toBe(-id);
        expect(y[i]).toBe(id % 3);
        seen.add(id);
      }
    }
    expect(seen.size).toBe(300);
    const valPerClass = [0, 1, 2].map((c) => ds.yVal.filter((v) => v === c).length);
    expect(valPerClass).toEqual([20, 20, 20]);
  });

  it('is deterministic per seed and shuffles', () => {
    const a = splitSamples(samples(100, 2), meta('classification'), 0.3, new Rng(5));
    const b = splitSamples(samples(100, 2), meta('classification'), 0.3, new Rng(5));
    const c = splitSamples(samples(100, 2), meta('classification'), 0.3, new Rng(6));
    expect(a.xTrain).toEqual(b.xTrain);
    expect(a.xVal).toEqual(b.xVal);
    expect(a.xVal).not.toEqual(c.xVal);
    const firstIds = Array.from({ length: 10 }, (_, i) => a.xTrain[2 * i]);
    expect(firstIds).not.toEqual([...firstIds].sort((p, q) => p - q));
  });

  it('handles split 0, small sets and regression', () => {
    expect(splitSamples(samples(10, 2), meta('classification'), 0, new Rng(1)).valSize).toBe(0);
    expect(splitSamples(samples(4, 2), meta('classification'), 0.1, new Rng(1)).valSize).toBe(1);
    const r = splitSamples(samples(50, 50), meta('regression'), 0.5, new Rng(1));
    expect([r.trainSize, r.valSize]).toEqual([25, 25]);
  });

  it('rejects a split outside [0, 0.5] with DatasetError', () => {
    for (const bad of [-0.1, 0.6, NaN]) {
      expect(() => splitSamples(samples(10, 2), meta('classification'), bad, new Rng(1))).toThrow(
        expect.objectContaining({ name: 'DatasetError' }),
      );
    }
  });
});

describe('standardize', () => {
  it('gives train features mean 0 and std 1, and records the transform', () => {
    const ds = standardize(splitSamples(samples(200, 2), meta('classification'), 0.25, new Rng(2)));
    for (let j = 0; j < 2; j++) {
      let sum = 0;
      let sq = 0;
      for (let i = 0; i < ds.trainSize; i++) sum += ds.xTrain[2 * i + j];
      for (let i = 0; i < ds.trainSize; i++) sq += ds.xTrain[2 * i + j] ** 2;
      expect(Math.abs(sum / ds.trainSize)).toBeLessThan(1e-5);
      expect(sq / ds.trainSize).toBeCloseTo(1, 4);
    }
    const s = ds.standardization!;
    const raw = ds.xVal[0] * s.std[0] + s.mean[0];
    expect(Math.abs(raw - Math.round(raw))).toBeLessThan(1e-3);
  });

  it('leaves a constant feature at zero instead of dividing by zero', () => {
    const s = samples(20, 2);
    for (let i = 0; i < 20; i++) s.x[2 * i + 1] = 3;
    const ds = standardize(splitSamples(s, meta('classification'), 0.2, new Rng(1)));
    expect(ds.standardization!.std[1]).toBe(1);
    expect(ds.xTrain.filter((_, i) => i % 2 === 1).every((v) => v === 0)).toBe(true);
  });
});
