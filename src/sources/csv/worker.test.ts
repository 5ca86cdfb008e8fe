import { describe, expect, it } from 'vitest';
import type { CsvText as CsvSource } from './worker';
import { previewOf } from '../../engine/data';
import { parseCsv } from './parse';
import { csvToDataset } from './worker';

const src = (text: string, over: Partial<CsvSource> = {}): CsvSource => ({
  fileName: 'test.csv',
  text,
  labelColumn: 'label',
  task: 'classification',
  ...over,
});

const GOOD = 'a,b,label\n1,10,x\n2,20,y\n3,30,x\n4,40,y\n5,50,x\n6,60,y\n';

/** Runs fn and returns the DatasetError it throws. */
function datasetError(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    expect((e as Error).name).toBe('DatasetError');
    return e as Error;
  }
  throw new Error('expected a DatasetError');
}

describe('parseCsv', () => {
  it('reads a header and rows; a trailing newline adds no row', () => {
    const p = parseCsv('x,y\n1,2\n3,4\n');
    expect(p.columns).toEqual(['x', 'y']);
    expect(p.rows).toEqual([['1', '2'], ['3', '4']]);
    expect(p.lines).toEqual([2, 3]);
  });

  it('handles CRLF, BOM, semicolons, quotes with "" escapes and embedded newlines', () => {
    const p = parseCsv('\uFEFF"na;me";v\r\n"say ""hi""";1\r\n"two\r\nlines";2\r\n\r\nlast;3');
    expect(p.columns).toEqual(['na;me', 'v']);
    expect(p.rows).toEqual([['say "hi"', '1'], ['two\r\nlines', '2'], ['last', '3']]);
    expect(p.lines).toEqual([2, 3, 6]);
  });

  it('keeps empty fields and names empty headers', () => {
    const p = parseCsv('a,,c\n1,,3\n');
    expect(p.columns).toEqual(['a', 'column 2', 'c']);
    expect(p.rows).toEqual([['1', '', '3']]);
  });

  it('rejects empty text, ragged rows, unterminated quotes, duplicate names', () => {
    expect(datasetError(() => parseCsv('')).message).toMatch(/empty/);
    expect(datasetError(() => parseCsv(' \n\n')).message).toMatch(/empty/);
    expect(datasetError(() => parseCsv('a,b\n1,2\n3\n')).message).toMatch(/Line 3 has 1 fields but the header has 2/);
    expect(datasetError(() => parseCsv('a,b\n1,"2\n')).message).toMatch(/Line 2 .*never closes/);
    expect(datasetError(() => parseCsv('a,a\n1,2\n')).message).toMatch(/"a" appears twice/);
  });

  it('rejects absurd sizes', () => {
    expect(datasetError(() => parseCsv(Array.from({ length: 10_001 }, (_, i) => `c${i}`).join(','))).message).toMatch(/10001 columns/);
    const row = Array.from({ length: 100 }, () => '1').join(',');
    const many = [row, ...Array.from({ length: 10_001 }, () => row)].join('\n');
    expect(datasetError(() => parseCsv(many)).message).toMatch(/more than 1,000,000 cells/);
  });
});

describe('csvToDataset', () => {
  it('maps sorted label strings to classes and standardizes features', () => {
    const ds = csvToDataset(src(GOOD), 0, 1);
    expect(ds.kind).toBe('classification');
    expect(ds.classNames).toEqual(['x', 'y']);
    expect(ds.inputShape).toEqual([2]);
    expect(ds.outputs).toBe(2);
    expect([ds.trainSize, ds.valSize]).toEqual([6, 0]);
    const mean = ds.xTrain.reduce((s, v) => s + v, 0) / ds.xTrain.length;
    expect(Math.abs(mean)).toBeLessThan(1e-6);
    for (let i = 0; i < 6; i++) {
      const a = ds.xTrain[2 * i] * ds.standardization!.std[0] + ds.standardization!.mean[0];
      expect(ds.yTrain[i]).toBe(Math.round(a) % 2 === 1 ? 0 : 1); // odd rows are 'x'
    }
  });

  it('sorts numeric labels numerically and keeps the label column anywhere', () => {
    const ds = csvToDataset(src('label;f\n10;1\n9;2\n10;3\n9;4\n2;5\n2;6', { fileName: 'x.csv' }), 0.2, 1);
    expect(ds.classNames).toEqual(['2', '9', '10']);
    expect(ds.trainSize + ds.valSize).toBe(6);
  });

  it('regression keeps the numeric target and accepts decimal commas with ";"', () => {
    const ds = csvToDataset(src('x;label\n1,5;2,5\n2;4\n3;6\n4;8\n', { task: 'regression' }), 0, 1);
    expect([ds.kind, ds.outputs, ds.classNames]).toEqual(['regression', 1, ['label']]);
    expect([...ds.yTrain].sort((p, q) => p - q)).toEqual([2.5, 4, 6, 8]);
  });

  it('previews the first rows in original units with named columns', () => {
    const p = previewOf(csvToDataset(src(GOOD), 0.2, 3));
    if (p.type !== 'table') throw new Error('expected table');
    expect(p.columns).toEqual(['a', 'b', 'label']);
    expect(p.rows.length).toBeGreaterThan(0);
    for (const [a, b, cls] of p.rows) {
      expect(b).toBe(a * 10);
      expect(cls).toBe(a % 2 === 1 ? 0 : 1);
    }
  });

  it('names column, line and value of a non-numeric feature', () => {
    const text = 'petal,label\n1,a\n2,b\n3,a\n4,b\n5,a\nabc,b\n';
    expect(datasetError(() => csvToDataset(src(text), 0.2, 1)).message).toBe(
      'Column "petal" line 7: "abc" is not a number. Feature columns must be numeric; pick the text column as the label or remove it.',
    );
    expect(datasetError(() => csvToDataset(src('a,label\n1,x\n,y\n3,x\n4,y'), 0.2, 1)).message).toMatch(/Column "a" line 3: ""/);
    expect(datasetError(() => csvToDataset(src('a,label\n1,x\n1e99,y\n3,x\n4,y'), 0.2, 1)).message).toMatch(/too large/);
  });

  it('rejects files that cannot make a dataset', () => {
    expect(datasetError(() => csvToDataset(src(''), 0.2, 1)).message).toMatch(/empty/);
    expect(datasetError(() => csvToDataset(src('a,label\n'), 0.2, 1)).message).toMatch(/only a header row/);
    expect(datasetError(() => csvToDataset(src('a,label\n1,x\n2,y\n'), 0.2, 1)).message).toMatch(/only 2 data rows/);
    expect(datasetError(() => csvToDataset(src('label\nx\ny\nx\ny\n'), 0.2, 1)).message).toMatch(/only one column/);
    expect(datasetError(() => csvToDataset(src(GOOD, { labelColumn: 'kind' }), 0.2, 1)).message).toMatch(/"kind" is not in "test.csv"; its columns are "a", "b", "label"/);
    expect(datasetError(() => csvToDataset(src(GOOD, { task: 'regression' }), 0.2, 1)).message).toMatch(/Label column "label" line 2: "x" is not a number/);
    expect(datasetError(() => csvToDataset(src('a,label\n1,x\n2,x\n3,x\n4,x'), 0.2, 1)).message).toMatch(/only one value/);
    expect(datasetError(() => csvToDataset(src('a,label\n1,x\n2,\n3,x\n4,y'), 0.2, 1)).message).toMatch(/line 3 is empty/);
    expect(datasetError(() => csvToDataset(src(GOOD), 0.7, 1)).message).toMatch(/Validation split/);
  });
});
