// Fails when a production build contains the browser tests' hooks (src/engine/test-hooks.ts).
// Usage: node scripts/check-no-test-hooks.mjs dist
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2] ?? 'dist';
const MARKERS = ['debugCrashWorker', 'debugHangWorker', 'debugDestroyGpuDevice', 'Simulated worker', 'benchmarkBareLoop', 'benchmarkReadback', 'benchmarkRawWrite', 'readState', '__tabTrainer'];
const found = [];
const walk = (d) => {
  for (const name of readdirSync(d)) {
    const path = join(d, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (/\.(js|mjs|html)$/.test(name)) {
      const text = readFileSync(path, 'utf8');
      for (const m of MARKERS) if (text.includes(m)) found.push(`${path}: ${m}`);
    }
  }
};
walk(dir);
if (found.length) {
  console.error(`The production build in ${dir}/ contains test hooks; build them only with --mode test:\n  ${found.join('\n  ')}`);
  process.exit(1);
}
console.log(`${dir}/: no test hooks (checked ${MARKERS.join(', ')})`);
