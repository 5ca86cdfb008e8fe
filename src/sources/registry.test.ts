import { describe, expect, it } from 'vitest';
import { DEFAULT_DATA } from '../shared/config';
import { loadDataset, previewOf } from '../engine/data';
import { SOURCES, sourceOf } from './index';
import { LOADERS } from './worker-registry';
import { csvColumns, parseCsv } from './csv/parse';
import { SAMPLES, NOISE } from './generated';

const noFetch = () => Promise.reject(new Error('no network in this test'));

describe('the source registry', () => {
  it('has a loader for every listed source, and no loader without a listing', () => {
    expect([...LOADERS.keys()].sort()).toEqual(SOURCES.map((s) => s.id).sort());
    expect(new Set(SOURCES.map((s) => s.id)).size).toBe(SOURCES.length);
  });

  it('the limits a source declares (and the Data cell shows) are the ones its loader enforces', async () => {
    for (const id of ['spiral', 'moons']) {
      const load = (over: object) => loadDataset({ ...DEFAULT_DATA, dataset: id, ...over }, noFetch);
      await expect(load({ samples: SAMPLES.min })).resolves.toBeTruthy();
      await expect(load({ samples: SAMPLES.min - 1 })).rejects.toMatchObject({ name: 'DatasetError', message: expect.stringContaining('Samples must be a whole number from 10 to 100,000') });
      await expect(load({ noise: NOISE.max })).resolves.toBeTruthy();
      await expect(load({ noise: NOISE.max + 0.01 })).rejects.toMatchObject({ name: 'DatasetError', message: expect.stringContaining('Noise must be from 0 to 10') });
    }
  });
});

describe('two moons', () => {
  it('makes two balanced, seeded, interleaved classes in about [-1, 1]²', async () => {
    const cfg = { ...DEFAULT_DATA, dataset: 'moons', samples: 400, noise: 0 };
    const a = await loadDataset(cfg, noFetch);
    const b = await loadDataset(cfg, noFetch);
    expect([a.kind, a.inputShape, a.outputs, a.classNames, a.trainSize + a.valSize]).toEqual(['classification', [2], 2, ['upper', 'lower'], 400]);
    expect(a.xTrain).toEqual(b.xTrain);
    const all = [...a.xTrain, ...a.xVal];
    expect(Math.max(...all.map(Math.abs))).toBeLessThanOrEqual(1.01);
    const counts = [0, 0];
    for (const y of [...a.yTrain, ...a.yVal]) counts[y]++;
    expect(counts).toEqual([200, 200]);
    // Interleaved: some class-0 points lie below some class-1 points' height and the other way round (not linearly split by y).
    const ys = (c: number) => a.yTrain.reduce<number[]>((out, y, i) => (y === c ? [...out, a.xTrain[2 * i + 1]] : out), []);
    expect(Math.min(...ys(0))).toBeLessThan(Math.max(...ys(1)));
    expect(previewOf(a).type).toBe('scatter');
    expect(sourceOf('moons')?.label).toBe('Two moons (2D)');
  });
});

describe('CSV columns for the Label picker', () => {
  it('are the columns the dataset will see, also for a ";"-separated file', () => {
    const text = 'label;f\n10;1\n9;2\n';
    expect(csvColumns(text)).toEqual(['label', 'f']);
    expect(csvColumns(text)).toEqual(parseCsv(text).columns);
    expect(csvColumns('"a,b",c\n1,2\n')).toEqual(['a,b', 'c']);
    expect(csvColumns('')).toEqual([]);
  });
});
