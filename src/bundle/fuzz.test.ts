import { describe, expect, it } from 'vitest';
import { readFixture } from '../../test/fixtures/torch/load';
import { decodePt } from './pt';
import { decodeSafetensors } from './safetensors';
import { scanZip } from './zip';

/** mulberry32: small seeded PRNG so every failure replays from its seed. */
function rng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const BOUNDARY = [0, 1, 0x7f, 0x80, 0xff, 0xffff, 0x7fffffff, 0xfffffff0, 0xffffffff];

/** Offsets of length/size/offset fields in every zip header, and of the data.pkl bytes. */
function fieldsOf(bytes: Uint8Array) {
  const fields: Array<[number, 2 | 4]> = [];
  const entries = scanZip(bytes);
  for (let p = 0; p + 4 <= bytes.length; p++) {
    const sig = bytes[p] === 0x50 && bytes[p + 1] === 0x4b ? (bytes[p + 2] << 8) | bytes[p + 3] : 0;
    if (sig === 0x0304) fields.push([p + 18, 4], [p + 22, 4], [p + 26, 2], [p + 28, 2]);
    if (sig === 0x0102) fields.push([p + 20, 4], [p + 24, 4], [p + 28, 2], [p + 30, 2], [p + 32, 2], [p + 42, 4]);
    if (sig === 0x0506) fields.push([p + 8, 2], [p + 10, 2], [p + 12, 4], [p + 16, 4], [p + 20, 2]);
  }
  const pkl = entries.find((e) => e.name.endsWith('/data.pkl'))!;
  return { fields, pkl: [pkl.dataOffset, pkl.dataOffset + pkl.sizeBytes] as const };
}

function mutate(base: Uint8Array, random: () => number): Uint8Array {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)];
  const bytes = base.slice();
  const { fields, pkl } = fieldsOf(base);
  const kind = Math.floor(random() * 4);
  if (kind === 0) {
    for (let i = 1 + Math.floor(random() * 8); i > 0; i--) bytes[Math.floor(random() * bytes.length)] ^= 1 << Math.floor(random() * 8);
  } else if (kind === 1) {
    return bytes.subarray(0, Math.floor(random() * bytes.length));
  } else if (kind === 2) {
    const [at, width] = pick(fields);
    const v = random() < 0.5 ? pick(BOUNDARY) : Math.floor(random() * 2 ** (8 * width));
    const view = new DataView(bytes.buffer);
    if (width === 2) view.setUint16(at, v & 0xffff, true);
    else view.setUint32(at, v >>> 0, true);
  } else {
    // Pickle length fields and arguments: overwrite 1-4 bytes inside data.pkl with boundary values.
    const at = pkl[0] + Math.floor(random() * (pkl[1] - pkl[0]));
    const v = pick(BOUNDARY);
    for (let i = 0; i < 1 + Math.floor(random() * 4) && at + i < pkl[1]; i++) bytes[at + i] = (v >>> (8 * i)) & 0xff;
  }
  return bytes;
}

/** Decodes and reports only what matters: ok, or the name of the error thrown. */
function outcome(decode: () => unknown): string {
  try {
    decode();
    return 'ok';
  } catch (err) {
    return err instanceof Error ? err.name : typeof err;
  }
}

describe('fuzz: mutated bundles decode or throw BundleError, never anything else', () => {
  const bases = ['training_checkpoint.pt', 'dtypes_and_views.pt', 'handwritten_checkpoint.pt', 'training_checkpoint_torch2.pt'];

  it('1,000 seeded mutations of valid .pt files', () => {
    const tally: Record<string, number> = {};
    for (let seed = 1; seed <= 1000; seed++) {
      const random = rng(seed);
      const base = readFixture(bases[seed % bases.length]);
      const bytes = mutate(base, random);
      const started = performance.now();
      const result = outcome(() => decodePt(bytes));
      const elapsedMs = performance.now() - started;
      tally[result] = (tally[result] ?? 0) + 1;
      expect.soft(result, `seed ${seed}`).toMatch(/^(ok|BundleError)$/);
      expect.soft(elapsedMs, `seed ${seed} took ${elapsedMs} ms`).toBeLessThan(2000);
    }
    expect(tally.BundleError).toBeGreaterThan(300);
  });

  it('300 seeded mutations of a safetensors file', () => {
    const base = readFixture('handwritten.safetensors');
    for (let seed = 1; seed <= 300; seed++) {
      const random = rng(seed);
      const bytes = base.slice();
      if (seed % 2) bytes[Math.floor(random() * 8)] = Math.floor(random() * 256);
      else for (let i = 0; i < 4; i++) bytes[Math.floor(random() * bytes.length)] ^= 1 << Math.floor(random() * 8);
      expect.soft(outcome(() => decodeSafetensors(seed % 5 ? bytes : bytes.subarray(0, Math.floor(random() * bytes.length)))), `seed ${seed}`).toMatch(/^(ok|BundleError)$/);
    }
  });
});
