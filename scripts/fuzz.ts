/**
 * The reader's fuzz table: FUZZ_N seeded mutations (default 10,000) of the torch fixtures, exported
 * bundles and safetensors files (test/fuzz/fuzz-table.ts), classified by outcome.
 *   npm run fuzz                      # 10,000 cases from seed 1
 *   FUZZ_N=500 FUZZ_SEED=9001 npm run fuzz
 * Exits 1 when a zip file is accepted but different after damage, or any case throws something
 * other than a BundleError, takes over 5 s, or the run's peak memory passes 1 GiB.
 */
import { fuzzTable, runFuzz } from '../test/fuzz/fuzz-table';

const count = Number(process.env.FUZZ_N ?? 10_000);
const first = Number(process.env.FUZZ_SEED ?? 1);
const started = performance.now();
const summary = runFuzz(count, first, (r) => {
  if (r.seed % 1000 === 0) process.stderr.write(`${r.seed - first + 1} cases…\n`);
});
console.log(`${count} cases (seeds ${first}..${first + count - 1}) in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
console.log(fuzzTable(summary));

const failures = summary.results.filter(
  (r) => r.outcome === 'untyped' || r.ms > 5000 || (r.outcome === 'different' && r.kind === 'damage' && r.family !== 'safetensors'),
);
const reasons = new Map<string, number>();
for (const r of summary.results) {
  if (r.outcome !== 'refused') continue;
  const reason = r.error!.replace(/^BundleError: (Refused [^:]+: )?/, '').replace(/[0-9]+/g, 'N').slice(0, 70);
  reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
}
console.log('\nMost common refusals:');
for (const [reason, n] of [...reasons].sort((a, b) => b[1] - a[1]).slice(0, 12)) console.log(`${String(n).padStart(6)}  ${reason}`);
for (const r of failures.slice(0, 20)) console.log(`FAIL seed ${r.seed} (${r.base}, ${r.kind}): ${r.outcome} in ${r.ms.toFixed(0)} ms ${r.error ?? ''}`);
if (failures.length || summary.peakRssBytes > 2 ** 30) process.exit(1);
