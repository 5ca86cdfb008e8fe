import { describe, expect, it } from 'vitest';
import { readFixture } from '../../test/fixtures/torch/load';
import { fuzzBases, fuzzTable, rng, runFuzz } from '../../test/fuzz/fuzz-table';
import { decodeSafetensors } from './safetensors';

/** Decodes and reports only what matters: ok, or the name of the error thrown. */
function outcome(decode: () => unknown): string {
  try {
    decode();
    return 'ok';
  } catch (err) {
    return err instanceof Error ? err.name : typeof err;
  }
}

describe('fuzz: mutated files decode or throw BundleError, never anything else (npm run fuzz runs 10,000)', () => {
  it('1,000 seeded mutations of torch fixtures, exported bundles and safetensors files', () => {
    const summary = runFuzz(1000);
    console.log(fuzzTable(summary));
    const { results } = summary;
    const zipDamage = results.filter((r) => r.kind === 'damage' && r.family !== 'safetensors');
    for (const r of results) {
      expect.soft(r.outcome, `seed ${r.seed} (${r.base}, ${r.kind}): ${r.error}`).not.toBe('untyped');
      expect.soft(r.ms, `seed ${r.seed} (${r.base}, ${r.kind}) took ${r.ms} ms`).toBeLessThan(5000);
    }
    // Damage under a zip CRC is caught: an accepted zip decodes exactly as the original did.
    expect(zipDamage.filter((r) => r.outcome === 'different').map((r) => r.seed)).toEqual([]);
    expect(summary.peakRssBytes).toBeLessThan(2 ** 30);
    // Every family and kind was exercised, and the mutations were not all harmless.
    expect(new Set(results.map((r) => `${r.family}|${r.kind}`)).size).toBe(6);
    expect(results.filter((r) => r.outcome === 'refused').length).toBeGreaterThan(800);
    expect(results.filter((r) => r.family === 'bundle .pt').length).toBeGreaterThan(90);
    expect(fuzzBases().filter((b) => b.family === 'torch .pt').length).toBeGreaterThanOrEqual(9);
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
