import { describe, expect, it } from 'vitest';
import { DEFAULT_DATA } from '../../shared/config';
import { loadDataset, previewOf } from '../../engine/data';

describe('iris', () => {
  it('has 150 flowers, 4 standardized features, 3 stratified classes', async () => {
    const ds = await loadDataset({ ...DEFAULT_DATA, dataset: 'iris', validationSplit: 0.2 }, () => Promise.reject(new Error('unused')));
    expect(ds.classNames).toEqual(['setosa', 'versicolor', 'virginica']);
    expect([ds.inputShape, ds.outputs, ds.trainSize, ds.valSize]).toEqual([[4], 3, 120, 30]);
    for (let c = 0; c < 3; c++) expect(ds.yVal.filter((v) => v === c)).toHaveLength(10);
    for (let j = 0; j < 4; j++) {
      let sum = 0;
      for (let i = 0; i < ds.trainSize; i++) sum += ds.xTrain[4 * i + j];
      expect(Math.abs(sum / ds.trainSize)).toBeLessThan(1e-5);
    }
    const p = previewOf(ds);
    if (p.type !== 'table') throw new Error('expected table');
    expect(p.columns).toEqual(['sepal length', 'sepal width', 'petal length', 'petal width', 'species']);
    expect(p.rows).toHaveLength(20);
    for (const row of p.rows) {
      expect(row[0]).toBeGreaterThan(4); // original centimetres, not z-scores
      expect(row[0] * 10).toBeCloseTo(Math.round(row[0] * 10), 6);
    }
  });
});
