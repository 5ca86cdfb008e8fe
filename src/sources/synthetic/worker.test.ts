import { describe, expect, it } from 'vitest';
import { DEFAULT_DATA, type DataConfig } from '../../shared/config';
import { loadDataset, previewOf } from '../../engine/data';

const noFetch = () => Promise.reject(new Error('no network in this test'));
const load = (over: Partial<DataConfig>) => loadDataset({ ...DEFAULT_DATA, ...over }, noFetch);

function classCounts(y: Float32Array, k: number): number[] {
  const c = new Array(k).fill(0);
  for (const v of y) c[v]++;
  return c;
}

describe('synthetic datasets', () => {
  for (const [id, classes] of [['spiral', 3], ['circles', 2], ['xor', 2], ['gaussian', 4]] as const) {
    it(`${id}: ${classes} balanced classes of 2-D points in about [-1, 1]`, async () => {
      const ds = await load({ dataset: id, samples: 600, noise: 0.05 });
      expect(ds.kind).toBe('classification');
      expect(ds.inputShape).toEqual([2]);
      expect(ds.outputs).toBe(classes);
      expect(ds.classNames).toHaveLength(classes);
      expect(ds.trainSize + ds.valSize).toBe(600);
      expect(ds.valSize).toBe(120);
      expect(ds.xTrain).toHaveLength(ds.trainSize * 2);
      const all = [...ds.yTrain, ...ds.yVal];
      const counts = classCounts(Float32Array.from(all), classes);
      for (const c of counts) expect(c).toBe(600 / classes);
      const xs = [...ds.xTrain, ...ds.xVal];
      expect(Math.max(...xs.map(Math.abs))).toBeLessThan(1.4);
      expect(Math.max(...xs.map(Math.abs))).toBeGreaterThan(0.5);
    });
  }

  it('labels follow the geometry (circles by radius, xor by sign)', async () => {
    const circles = await load({ dataset: 'circles', samples: 400, noise: 0 });
    for (let i = 0; i < circles.trainSize; i++) {
      const r = Math.hypot(circles.xTrain[2 * i], circles.xTrain[2 * i + 1]);
      expect(circles.yTrain[i]).toBe(r < 0.6 ? 0 : 1);
    }
    const xor = await load({ dataset: 'xor', samples: 400, noise: 0 });
    for (let i = 0; i < xor.trainSize; i++) {
      expect(xor.yTrain[i]).toBe(xor.xTrain[2 * i] * xor.xTrain[2 * i + 1] > 0 ? 0 : 1);
    }
  });

  it('every 2-D set is learnable (1-nearest-neighbour validation accuracy)', async () => {
    // At noise 0.1 the three spiral arms (0.3 apart) overlap somewhat: about 87% is the best possible.
    const cases = [['spiral', 0.05, 0.95], ['spiral', 0.1, 0.7], ['circles', 0.1, 0.9], ['xor', 0.1, 0.9], ['gaussian', 0.1, 0.9]] as const;
    for (const [dataset, noise, minAccuracy] of cases) {
      const ds = await load({ dataset, noise });
      let correct = 0;
      for (let i = 0; i < ds.valSize; i++) {
        let best = Infinity;
        let label = -1;
        for (let j = 0; j < ds.trainSize; j++) {
          const d = (ds.xVal[2 * i] - ds.xTrain[2 * j]) ** 2 + (ds.xVal[2 * i + 1] - ds.xTrain[2 * j + 1]) ** 2;
          if (d < best) [best, label] = [d, ds.yTrain[j]];
        }
        if (label === ds.yVal[i]) correct++;
      }
      expect(correct / ds.valSize, `${dataset} at noise ${noise}`).toBeGreaterThan(minAccuracy);
    }
  });

  it('sine is a regression on x in [-π, π]', async () => {
    const ds = await load({ dataset: 'sine', samples: 200, noise: 0 });
    expect([ds.kind, ds.outputs, ds.inputShape]).toEqual(['regression', 1, [1]]);
    for (let i = 0; i < ds.trainSize; i++) {
      expect(Math.abs(ds.xTrain[i])).toBeLessThanOrEqual(Math.PI + 1e-6);
      expect(ds.yTrain[i]).toBeCloseTo(Math.sin(ds.xTrain[i]), 5);
    }
  });

  it('the same config gives the same data; another seed gives other data', async () => {
    const a = await load({ dataset: 'spiral', seed: 9 });
    const b = await load({ dataset: 'spiral', seed: 9 });
    const c = await load({ dataset: 'spiral', seed: 10 });
    expect(a.xTrain).toEqual(b.xTrain);
    expect(a.yVal).toEqual(b.yVal);
    expect(a.xTrain).not.toEqual(c.xTrain);
  });

  it('rejects bad samples, noise, split and missing CSV with DatasetError', async () => {
    for (const bad of [{ samples: 3 }, { samples: 1e7 }, { samples: 10.5 }, { noise: -1 }, { noise: NaN }, { validationSplit: 0.9 }, { seed: NaN }]) {
      await expect(load({ dataset: 'xor', ...bad })).rejects.toMatchObject({ name: 'DatasetError' });
    }
    await expect(load({ dataset: 'csv' })).rejects.toMatchObject({ name: 'DatasetError', message: expect.stringMatching(/CSV/) });
  });
});

describe('previewOf', () => {
  it('scatter: at most 1000 labelled points from train and validation', async () => {
    const big = previewOf(await load({ dataset: 'gaussian', samples: 5000 }));
    expect(big.type).toBe('scatter');
    if (big.type !== 'scatter') return;
    expect(big.labels.length).toBeLessThanOrEqual(1000);
    expect(big.labels.length).toBeGreaterThan(900);
    expect(big.points).toHaveLength(big.labels.length * 2);
    expect(new Set(big.labels).size).toBe(4);
    const small = previewOf(await load({ dataset: 'spiral', samples: 300 }));
    if (small.type !== 'scatter') throw new Error('expected scatter');
    expect(small.labels).toHaveLength(300);
  });

  it('carries only DatasetInfo and preview fields (no training arrays cross to the UI)', async () => {
    const p = previewOf(await load({ dataset: 'sine', samples: 100 }));
    expect(Object.keys(p).sort()).toEqual(['classNames', 'columns', 'inputShape', 'kind', 'outputs', 'rows', 'trainSize', 'type', 'valSize']);
    if (p.type !== 'table') throw new Error('expected table');
    expect(p.columns).toEqual(['x', 'y']);
    expect(p.rows).toHaveLength(20);
    expect(p.rows[0]).toHaveLength(2);
  });
});
