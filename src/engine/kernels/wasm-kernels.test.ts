/**
 * Our wasm training kernels (Conv2DBackpropFilter, and the faster Conv2DBackpropInput and
 * MaxPoolGrad) against tfjs's cpu backend and against PyTorch (torch 1.13 on the host, torch 2.x in
 * the trixie root): real WASM, the same binary the browser runs, loaded by tfjs-backend-wasm in
 * Node. Gradients are taken through tf.grad, the path a training step takes.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { runScript, torchPythons } from '../../../test/python/torch-versions';
import { Rng } from '../../shared/rng';
import { registerWasmConv2dBackpropFilter } from './conv2d-backprop-filter';
import { registerWasmTrainingKernels } from './wasm-conv-grads';

interface Case {
  xShape: [number, number, number, number];
  filterShape: [number, number, number, number];
  dyShape: number[];
  x: number[];
  w: number[];
  dy: number[];
}

/** CNN small's two layers on digits (batch 4 to keep it quick), plus odd sizes and 1×1, 2×3 and 5×5 filters. */
const SHAPES: [Case['xShape'], Case['filterShape']][] = [
  [[4, 28, 28, 1], [3, 3, 1, 8]],
  [[4, 13, 13, 8], [3, 3, 8, 16]],
  [[3, 9, 7, 3], [5, 5, 3, 2]],
  [[2, 6, 5, 4], [1, 1, 4, 3]],
  [[1, 5, 6, 2], [2, 3, 2, 1]],
];

const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

function makeCase(xShape: Case['xShape'], filterShape: Case['filterShape'], seed: number): Case {
  const rng = new Rng(seed);
  const [n, h, w] = xShape;
  const [kh, kw, , cout] = filterShape;
  const dyShape = [n, h - kh + 1, w - kw + 1, cout];
  const fill = (s: readonly number[]) => Array.from({ length: size(s) }, () => rng.uniform(-1, 1));
  return { xShape, filterShape, dyShape, x: fill(xShape), w: fill(filterShape), dy: fill(dyShape) };
}

/** dL/dW and dL/dx for L = sum(conv2d(x, W) * dy), through tf.grads on the active backend. */
async function convGrads(c: Case): Promise<{ filter: Float32Array; input: Float32Array }> {
  const x = tf.tensor4d(c.x, c.xShape);
  const w = tf.tensor4d(c.w, c.filterShape);
  const dy = tf.tensor(c.dy, c.dyShape);
  const [gx, gw] = tf.grads((xt: tf.Tensor, wt: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(xt as tf.Tensor4D, wt as tf.Tensor4D, 1, 'valid'), dy)))([x, w]);
  const out = { filter: (await gw.data()) as Float32Array, input: (await gx.data()) as Float32Array };
  tf.dispose([x, dy, w, gx, gw]);
  return out;
}

/** dL/dx for L = sum(maxPool(relu(x)) * dy): relu makes ties (all-zero windows) common. */
async function poolGrad(xShape: number[], pool: number, stride: number, seed: number): Promise<Float32Array> {
  const rng = new Rng(seed);
  const x = tf.tensor4d(Array.from({ length: size(xShape) }, () => rng.uniform(-1, 1)), xShape as [number, number, number, number]);
  const y = tf.maxPool(x, pool, stride, 'valid');
  const dy = tf.tensor(Array.from({ length: y.size }, () => rng.uniform(-1, 1)), y.shape);
  const g = tf.grad((xt: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(tf.relu(xt) as tf.Tensor4D, pool, stride, 'valid'), dy)))(x);
  const out = (await g.data()) as Float32Array;
  tf.dispose([x, y, dy, g]);
  return out;
}
const POOLS: [number[], number, number][] = [
  [[4, 26, 26, 8], 2, 2],
  [[4, 11, 11, 16], 2, 2],
  [[2, 9, 7, 3], 3, 2],
  [[2, 8, 8, 2], 3, 3],
];

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}
const largest = (a: ArrayLike<number>) => Math.max(...Array.from(a, Math.abs));

const cases = SHAPES.map(([xs, fs], i) => makeCase(xs, fs, 100 + i));
const wasm: { filter: Float32Array; input: Float32Array }[] = [];
const wasmPools: Float32Array[] = [];
const dir = mkdtempSync(join(tmpdir(), 'conv-grad-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

beforeAll(async () => {
  registerWasmConv2dBackpropFilter();
  registerWasmTrainingKernels();
  expect(await tf.setBackend('wasm')).toBe(true);
  for (const c of cases) wasm.push(await convGrads(c));
  for (const [i, [s, p, st]] of POOLS.entries()) wasmPools.push(await poolGrad(s, p, st, 200 + i));
});

describe('wasm training kernels', () => {
  it('are ours, and leave no tensors or bytes behind', async () => {
    await tf.setBackend('wasm');
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBeDefined();
    for (const k of ['Conv2DBackpropInput', 'MaxPoolGrad']) expect((tf.getKernel(k, 'wasm')!.kernelFunc as { ours?: boolean }).ours, k).toBe(true);
    const before = tf.memory();
    await convGrads(cases[1]);
    await poolGrad(POOLS[0][0], 2, 2, 1);
    expect(tf.memory().numTensors).toBe(before.numTensors);
    expect(tf.memory().numBytes).toBe(before.numBytes);
  });

  it('match the cpu backend: conv filter and input gradients', async () => {
    await tf.setBackend('cpu');
    for (const [i, c] of cases.entries()) {
      const cpu = await convGrads(c);
      // Sums of up to 4·26·26 products of values in [-1, 1], in another order: float32 rounding.
      expect(maxAbsDiff(wasm[i].filter, cpu.filter), `filter, case ${i} ${JSON.stringify(c.filterShape)}`).toBeLessThan(1e-3);
      expect(maxAbsDiff(wasm[i].input, cpu.input), `input, case ${i} ${JSON.stringify(c.filterShape)}`).toBeLessThan(1e-4);
      expect(largest(cpu.filter)).toBeGreaterThan(0.5); // not trivially zero
      expect(largest(cpu.input)).toBeGreaterThan(0.1);
    }
  });

  it('match the cpu backend: max-pool gradients go to the same position, ties included', async () => {
    await tf.setBackend('cpu');
    for (const [i, [s, p, st]] of POOLS.entries()) {
      const cpu = await poolGrad(s, p, st, 200 + i);
      // A gradient at the wrong position would differ by ~0.5; overlapping windows add in another order.
      expect(maxAbsDiff(wasmPools[i], cpu), `pool case ${i}`).toBeLessThan(1e-6);
      expect(largest(cpu)).toBeGreaterThan(0.5);
    }
  });

  it('refuse a filter gradient our layers never need, saying what and what to do', async () => {
    await tf.setBackend('wasm');
    const x = tf.zeros([1, 8, 8, 2]) as tf.Tensor4D;
    const w = tf.zeros([3, 3, 2, 4]) as tf.Tensor4D;
    const gradOf = (stride: number, pad: 'valid' | 'same') => () => tf.grad((wt: tf.Tensor) => tf.sum(tf.conv2d(x, wt as tf.Tensor4D, stride, pad)))(w);
    expect(gradOf(2, 'valid')).toThrow(/does not support stride 2×2 \(only 1×1\).*pick the webgl or cpu backend/);
    expect(gradOf(1, 'same')).toThrow(/does not support padding "same" \(only 'valid'\)/);
    tf.dispose([x, w]);
  });

  it("leave other input gradients to tfjs's own kernel", async () => {
    await tf.setBackend('wasm');
    const rng = new Rng(5);
    const vals = Array.from({ length: 2 * 8 * 8 * 2 }, () => rng.uniform(-1, 1));
    const wv = Array.from({ length: 3 * 3 * 2 * 4 }, () => rng.uniform(-1, 1));
    const gx = async () => {
      const [x, w] = [tf.tensor4d(vals, [2, 8, 8, 2]), tf.tensor4d(wv, [3, 3, 2, 4])];
      const g = tf.grad((xt: tf.Tensor) => tf.sum(tf.conv2d(xt as tf.Tensor4D, w, 2, 'same')))(x);
      const out = await g.data();
      tf.dispose([x, w, g]);
      return out;
    };
    const onWasm = await gx();
    await tf.setBackend('cpu');
    expect(maxAbsDiff(onWasm, await gx())).toBeLessThan(1e-5);
  });
});

describe.each(torchPythons())('wasm conv gradients against $label', (torch) => {
  it('match conv2d weight and input gradients in PyTorch', { timeout: 300_000 }, () => {
    writeFileSync(join(dir, 'cases.json'), JSON.stringify(cases));
    const out = JSON.parse(runScript(torch, dir, 'test/python/conv_grads.py', ['cases.json']).trim().split('\n').pop()!) as { grads: { filter: number[]; input: number[] }[] };
    expect(out.grads).toHaveLength(cases.length);
    for (const [i, g] of out.grads.entries()) {
      expect(maxAbsDiff(wasm[i].filter, g.filter), `filter, case ${i}`).toBeLessThan(1e-3);
      expect(maxAbsDiff(wasm[i].input, g.input), `input, case ${i}`).toBeLessThan(1e-4);
    }
  });
});
