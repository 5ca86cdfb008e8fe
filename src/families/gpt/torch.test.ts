/**
 * The GPT family against PyTorch: our own PyTorch GPT (the family's Python, nanoGPT's names) loads
 * our weights with load_state_dict(strict=True), gives the same logits within 1e-5, and one AdamW
 * step (nanoGPT's decay groups, gradients clipped at 1.0) leaves the same weights.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runScript, torchPythons } from '../../../test/python/torch-versions';
import type { ModelIO } from '../../shared/config';
import { Rng } from '../../shared/rng';
import { applyGradients, clipGradNorm, createOptimizer } from '../../engine/optimizer';
import { lossOf } from '../../engine/evaluate';
import { gpt } from './index';
import { presetSpec, type GptSpec } from './spec';
import { buildGpt } from './worker';

const dir = mkdtempSync(join(tmpdir(), 'gpt-oracle-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeAll(async () => {
  await tf.setBackend('cpu');
});

const VOCAB = 11;
const io: ModelIO = { task: 'classification', inputShape: [1], inputDtype: 'float32', outputs: VOCAB };
const small = (bias: boolean): GptSpec => ({ family: 'gpt', name: 'Custom', nLayer: 2, nHead: 2, nEmbd: 16, blockSize: 8, dropout: 0, bias });

interface OracleResult {
  keys: string[];
  params: string[];
  logits: number[];
  loss: number;
  after: Record<string, number[]>;
}

const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

describe.each(torchPythons())('GPT vs our PyTorch GPT on $label', (torch) => {
  it.each([true, false])('same keys, logits within 1e-5 and one AdamW step equal (bias %s)', async (bias) => {
    const spec = small(bias);
    const rng = new Rng(3);
    const net = buildGpt(spec, io, rng);
    const layout = gpt.torch(spec, io);
    const stateDict: Record<string, { shape: number[]; data: number[] }> = {};
    for (const t of layout.tensors) {
      const v = net.params.find((p) => p.name === t.ourName)!;
      stateDict[t.torchName] = { shape: t.torchShape, data: Array.from(t.toTorch((await v.variable.data()) as Float32Array)) };
    }
    const [b, T] = [3, spec.blockSize];
    const ids = Array.from({ length: b * (T + 1) }, () => rng.int(VOCAB));
    const idx = Array.from({ length: b }, (_, i) => ids.slice(i * (T + 1), i * (T + 1) + T));
    const targets = Array.from({ length: b }, (_, i) => ids.slice(i * (T + 1) + 1, (i + 1) * (T + 1)));
    const hyper = { lr: 3e-3, weight_decay: 0.1, beta2: 0.99, clip: 1.0 };
    writeFileSync(join(dir, 'case.json'), JSON.stringify({ python: layout.python, state_dict: stateDict, idx, targets, ...hyper }));
    const oracle = JSON.parse(runScript(torch, dir, 'test/python/gpt_oracle.py', ['case.json'])) as OracleResult;

    expect(oracle.keys).toEqual(layout.tensors.map((t) => t.torchName));
    expect(oracle.params).toEqual(layout.params.map((t) => t.torchName));
    expect(oracle.keys.at(-1)).toBe('lm_head.weight');

    const x = tf.tensor2d(idx.flat(), [b, T], 'int32');
    const y = tf.tensor1d(targets.flat(), 'int32');
    const logits = net.forward(x, false);
    expect(logits.shape).toEqual([b, T, VOCAB]);
    expect(maxDiff((await logits.data()) as Float32Array, oracle.logits)).toBeLessThan(1e-5);

    const opt = createOptimizer({ name: 'adamw', momentum: 0, weightDecay: hyper.weight_decay, beta2: hyper.beta2 }, net.params);
    const vars = net.params.map((p) => p.variable);
    const { value, grads } = tf.variableGrads(() => lossOf({ kind: 'classification', outputs: VOCAB }, tf.reshape(net.forward(x, true, rng, []), [-1, VOCAB]), y) as tf.Scalar, vars);
    expect(Math.abs((await value.data())[0] - oracle.loss)).toBeLessThan(1e-5);
    const clipped = clipGradNorm(vars.map((v) => grads[v.name]), hyper.clip);
    applyGradients(opt, net.params, clipped, hyper.lr);
    // Adam's first step is lr × m / (√v + ε) ≈ ±lr per weight: a gradient near ε amplifies float32 round-off, so allow 1e-3 of a step.
    for (const p of net.params) expect(maxDiff((await p.variable.data()) as Float32Array, oracle.after[p.name]), p.name).toBeLessThan(hyper.lr * 1e-3);
    tf.dispose([x, y, logits, value, ...clipped, ...Object.values(grads)]);
  }, 120_000);
});

describe('GPT family', () => {
  it('has the two presets with their parameter counts and refuses a width the heads do not divide', () => {
    const shakespeare = { ...io, outputs: 65 };
    expect(gpt.summarize(presetSpec('GPT nano'), shakespeare).totalParams).toBe(65 * 128 + 64 * 128 + 4 * (2 * 128 + 128 * 384 + 128 * 128 + 128 * 512 + 512 * 128) + 128);
    expect(gpt.summarize(presetSpec('baby GPT'), shakespeare).totalParams).toBe(10_745_088); // nanoGPT prints 10.65M: the same less the 98,304 position weights
    expect(gpt.specProblem({ ...small(true), nHead: 3 })).toMatch(/multiple of the number of heads/);
    expect(gpt.summarize({ ...small(true), nHead: 3 }, io).error).toMatch(/Fix it in the Model cell/);
  });
});
