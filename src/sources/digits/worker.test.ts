import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_DATA } from '../../shared/config';
import { Rng } from '../../shared/rng';
import { decodeDigits, digitsDataset, DIGITS_URL } from './worker';
import { loadDataset, previewOf } from '../../engine/data';

let dir: string;
let bytes: ArrayBuffer;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'digits-'));
  execFileSync(process.execPath, ['scripts/build-digits.mjs', '--out', dir, '--no-wasm', '--force'], { stdio: 'pipe' });
  const buf = readFileSync(join(dir, 'digits.bin'));
  bytes = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const copy = () => bytes.slice(0);

describe('digits.bin', () => {
  it('holds 10,000 balanced 28×28 digits with full-range pixels', () => {
    const f = decodeDigits(copy());
    expect([f.count, f.rows, f.cols]).toEqual([10_000, 28, 28]);
    const counts = new Array(10).fill(0);
    for (const l of f.labels) counts[l]++;
    for (const c of counts) expect(c).toBeGreaterThan(800);
    expect(counts.reduce((a, b) => a + b)).toBe(10_000);
    expect(Math.max(...f.pixels.subarray(0, 784 * 50))).toBe(255);
    expect(Math.min(...f.pixels.subarray(0, 784 * 50))).toBe(0);
    expect([...f.labels.subarray(0, 10)]).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]); // interleaved by class
  });

  it('becomes a [28, 28, 1] dataset in 0..1 with classes 0..9, loaded through fetchBytes', async () => {
    const urls: string[] = [];
    const ds = await loadDataset({ ...DEFAULT_DATA, dataset: 'digits', validationSplit: 0.1 }, async (url) => {
      urls.push(url);
      return copy();
    });
    expect(urls).toEqual([DIGITS_URL]);
    expect([ds.inputShape, ds.outputs, ds.trainSize, ds.valSize]).toEqual([[28, 28, 1], 10, 9000, 1000]);
    expect(ds.classNames).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of ds.xVal) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    expect([lo, hi]).toEqual([0, 1]);
    const p = previewOf(ds);
    if (p.type !== 'images') throw new Error('expected images');
    expect([p.width, p.height, p.labels.length, p.pixels.length]).toEqual([28, 28, 32, 32 * 784]);
    expect([...p.labels]).toEqual([...ds.yTrain.subarray(0, 32)]);
    expect(p.pixels[400]).toBe(Math.round(ds.xTrain[400] * 255));
  });

  it('refuses corrupt files with DatasetError', () => {
    const bad = (mutate: (b: Uint8Array) => ArrayBuffer) => {
      const b = new Uint8Array(copy());
      expect(() => decodeDigits(mutate(b))).toThrow(expect.objectContaining({ name: 'DatasetError' }));
    };
    bad((b) => ((b[0] = 0x3c), b.buffer as ArrayBuffer)); // '<' as in an HTML 404 page
    bad((b) => (new DataView(b.buffer).setUint32(4, 2, true), b.buffer as ArrayBuffer));
    bad((b) => b.buffer.slice(0, b.length - 1) as ArrayBuffer);
    bad((b) => ((b[b.length - 1] = 10), b.buffer as ArrayBuffer));
    bad(() => new ArrayBuffer(3));
  });

  it('turns a failed fetch into DatasetError that says how to fix it', async () => {
    await expect(
      loadDataset({ ...DEFAULT_DATA, dataset: 'digits' }, () => Promise.reject(new Error('HTTP 404'))),
    ).rejects.toMatchObject({ name: 'DatasetError', message: expect.stringMatching(/HTTP 404.*npm run build/) });
  });

  it('splits deterministically per seed', () => {
    const f = decodeDigits(copy());
    const a = digitsDataset(f, 0.2, new Rng(1));
    const b = digitsDataset(f, 0.2, new Rng(1));
    expect(a.yTrain).toEqual(b.yTrain);
  });
});
