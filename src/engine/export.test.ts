/**
 * PyTorch as the oracle for exported bundles: train a few steps on tfjs's cpu backend, export with
 * encodeCheckpointBundle, and let the real torch (test/python/torch_oracle.py) rebuild the model from
 * the bundle's config, load it strictly and compute the same logits; then load optimizer_state_dict
 * and take the same optimizer step on the same batch as we do. Every check runs on Debian bookworm's
 * torch 1.13 (host) and on torch 2.x (Debian trixie's 2.6 in the root .ci/torch2-root.sh makes),
 * which loads the bundle with torch.load(f, weights_only=True).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { runScript, torchPythons } from '../../test/python/torch-versions';
import { decodeCheckpointBundle, encodeCheckpointBundle, encodeStateDictPt, encodeStateDictSafetensors } from '../bundle/checkpoint-bundle';
import { torchModuleNames } from '../families/stack/torch';
import type { CheckpointRecord } from '../shared/checkpoint';
import { DEFAULT_DATA, DEFAULT_TRAIN, type RunConfig, type TrainConfig } from '../shared/config';
import { asStack, presetModel, withHead, type LayerSpec, type StackSpec as ModelSpec } from '../families/stack/spec';
import { loadDataset, type Dataset } from './data';
import { readVariables } from './variables';
import { applyGradients } from './optimizer';
import { Trainer } from './trainer';

const PYTHON = '/usr/bin/python3';
const TOLERANCE = 1e-5;
/**
 * Each check starts Python once per torch: a few seconds on the host, 7–13 s in the trixie root on a
 * busy 2-core machine (mostly `import torch`), next to tfjs's cpu training; 60 s is too tight.
 */
const TORCH_TEST_TIMEOUT_MS = 300_000;
const dir = mkdtempSync(join(tmpdir(), 'export-oracle-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeAll(async () => {
  await tf.setBackend('cpu');
});

function requireTorch(): void {
  const probe = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' });
  if (probe.status !== 0) {
    throw new Error(`${PYTHON} cannot import torch, so the PyTorch oracle cannot run. Install it with \`apt-get install python3-torch\`. (${probe.error?.message ?? probe.stderr.trim()})`);
  }
}

const fetchDigits = async () => {
  const b = readFileSync(join(process.cwd(), 'public/data/digits.bin'));
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
};

const datasets = new Map<string, Promise<Dataset>>();
function dataFor(config: RunConfig): Promise<Dataset> {
  const key = JSON.stringify(config.data);
  if (!datasets.has(key)) datasets.set(key, loadDataset(config.data, fetchDigits));
  return datasets.get(key)!;
}

async function trainSteps(config: RunConfig, steps: number): Promise<Trainer> {
  const t = new Trainer(config, await dataFor(config));
  await t.run({ onProgress: () => {}, betweenSteps: async () => void (t.state.step >= steps && t.stop()) });
  return t;
}

async function recordOf(t: Trainer, notes = 'notes ✓'): Promise<CheckpointRecord> {
  const { trainer, tensors } = await t.snapshot();
  const valLoss = trainer.history.at(-1)?.valLoss ?? NaN;
  const meta = { id: `s${trainer.step}-manual`, runId: 'run-1', kind: 'manual' as const, epoch: trainer.epoch, step: trainer.step, valLoss, sizeBytes: 0, createdAt: 1_700_000_000_123, backend: 'cpu' as const };
  return { formatVersion: 1, meta, config: t.config, notes, trainer, tensors };
}

/** The first `n` validation samples: NHWC for us, NCHW (or [N, F]) for torch. */
function batchOf(data: Dataset, n: number) {
  const per = data.inputShape.reduce((a, b) => a * b, 1);
  const x = data.xVal.slice(0, n * per);
  let torchX = Array.from(x);
  let torchShape = [n, ...data.inputShape];
  if (data.inputShape.length === 3) {
    const [h, w, c] = data.inputShape;
    torchX = new Array(x.length);
    for (let s = 0; s < n; s++) for (let y = 0; y < h; y++) for (let z = 0; z < w; z++) for (let k = 0; k < c; k++) torchX[s * per + (k * h + y) * w + z] = x[s * per + (y * w + z) * c + k];
    torchShape = [n, c, h, w];
  }
  return { x: tf.tensor(x, [n, ...data.inputShape]), y: Int32Array.from(data.yVal.slice(0, n)), torchX, torchShape };
}

interface OracleReport {
  torch: string;
  globals: string[];
  logits: number[];
  after_step?: { params: Record<string, number[]>; slots: Record<string, number[]>; steps: number[] };
  state_dict_pt?: number;
  state_dict_safetensors?: number;
}

/** torch_oracle.py on every torch we check against; `files` are names inside `here`. */
function runOracle(here: string, files: string[], inputs: object): Array<{ label: string; report: OracleReport }> {
  writeFileSync(join(here, 'inputs.json'), JSON.stringify(inputs));
  return torchPythons().map((torch) => {
    const report = JSON.parse(runScript(torch, here, 'test/python/torch_oracle.py', [files[0], 'inputs.json', ...files.slice(1)])) as OracleReport;
    expect(report.torch.startsWith(torch.major === 1 ? '1.13' : '2.'), torch.label).toBe(true);
    return { label: torch.label, report };
  });
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** One optimizer step of ours on (x, y): mean cross-entropy of eval-mode logits (no dropout/batchnorm in these models). */
function ourStep(t: Trainer, x: tf.Tensor, y: Int32Array, lr: number): void {
  const vars = t.net.params.map((p) => p.variable);
  const { value, grads } = tf.variableGrads(() => tf.tidy(() => {
    const logits = t.net.forward(x, false);
    return tf.neg(tf.mean(tf.sum(tf.mul(tf.oneHot(tf.tensor1d(y, 'int32'), t.data.outputs), tf.logSoftmax(logits)), 1))) as tf.Scalar;
  }), vars);
  applyGradients(t.opt, t.net.params, vars.map((v) => grads[v.name]), lr);
  tf.dispose([value, ...Object.values(grads)]);
}

const measured: Record<string, number> = {};
afterAll(() => console.log('max abs diffs vs torch:', JSON.stringify(measured, null, 1)));

async function checkAgainstTorch(label: string, config: RunConfig, steps: number, opts: { optimizerStep: boolean; stateDicts?: boolean }) {
  requireTorch();
  const t = await trainSteps(config, steps);
  const record = await recordOf(t);
  const bytes = encodeCheckpointBundle(record, `Notebook ${label}`);
  const here = join(dir, label.replace(/\W+/g, '_'));
  mkdirSync(here, { recursive: true });
  const files = ['bundle.pt'];
  writeFileSync(join(here, files[0]), bytes);
  if (opts.stateDicts) {
    files.push('state_dict.pt', 'state_dict.safetensors');
    writeFileSync(join(here, files[1]), encodeStateDictPt(record));
    writeFileSync(join(here, files[2]), encodeStateDictSafetensors(record));
  }
  const batch = batchOf(t.data, 8);
  const reports = runOracle(here, files, { x: batch.torchX, x_shape: batch.torchShape, y: opts.optimizerStep ? Array.from(batch.y) : null });

  const logits = t.predictLogits(batch.x);
  const ours = (await logits.data()) as Float32Array;
  logits.dispose();
  for (const { label: torch, report } of reports) {
    expect(report.globals.every((g) => g === 'collections.OrderedDict' || g.startsWith('torch.'))).toBe(true);
    measured[`${label} logits, ${torch}`] = maxAbsDiff(ours, report.logits);
    expect(measured[`${label} logits, ${torch}`]).toBeLessThanOrEqual(TOLERANCE);
    if (opts.stateDicts) {
      expect(report.state_dict_pt, torch).toBe(0);
      expect(report.state_dict_safetensors, torch).toBe(0);
    }
  }

  // The bundle reads back as the same record (meta.sizeBytes is rebuilt from the file).
  const back = decodeCheckpointBundle(bytes, 'x.pt');
  expect(back).toEqual({ kind: 'bundle', record: { ...record, meta: { ...record.meta, sizeBytes: bytes.length } }, notebookName: `Notebook ${label}` });

  if (opts.optimizerStep) {
    ourStep(t, batch.x, batch.y, config.train.learningRate);
    const layout = torchModuleNames(withHead(asStack(config.model), t.data.outputs), t.data.inputShape);
    const byName = new Map((await readVariables(t.namedState())).map((v) => [v.name, v.data]));
    for (const { label: torch, report } of reports) {
      const after = report.after_step!;
      let worst = 0;
      layout.params.forEach((p, i) => {
        worst = Math.max(worst, maxAbsDiff(p.toTorch(byName.get(p.ourName!)!), after.params[p.torchName]));
        for (const slot of Object.keys(after.slots).filter((k) => k.startsWith(`${i}.`))) {
          worst = Math.max(worst, maxAbsDiff(p.toTorch(byName.get(`${p.ourName}.${slot.slice(slot.indexOf('.') + 1)}`)!), after.slots[slot]));
        }
      });
      expect(Object.keys(after.slots).length).toBeGreaterThanOrEqual(config.train.optimizer === 'sgd' && config.train.momentum === 0 ? 0 : layout.params.length);
      after.steps.forEach((s) => expect(s).toBe(t.opt.step));
      measured[`${label} after one ${config.train.optimizer} step, ${torch}`] = worst;
      expect(worst).toBeLessThanOrEqual(TOLERANCE);
    }
  }
  batch.x.dispose();
  t.dispose();
}

const train = (over: Partial<TrainConfig> = {}): TrainConfig => ({ ...DEFAULT_TRAIN, epochs: 3, batchSize: 32, backend: 'cpu', ...over });
const spiral = { ...DEFAULT_DATA, samples: 300 };
const digits = { ...DEFAULT_DATA, dataset: 'digits' as const };
const cnnWithBn: ModelSpec = {
  name: 'Custom',
  layers: [
    { type: 'conv2d', filters: 8, kernelSize: 3, activation: 'relu' },
    { type: 'batchnorm' },
    { type: 'maxpool2d', poolSize: 2 },
    { type: 'conv2d', filters: 16, kernelSize: 3, activation: 'tanh' },
    { type: 'maxpool2d', poolSize: 2 },
    { type: 'flatten' },
    { type: 'batchnorm' },
    { type: 'dropout', rate: 0.25 },
    { type: 'dense', units: 32, activation: 'sigmoid' },
  ] satisfies LayerSpec[],
};

describe(`exported bundles match PyTorch (${torchPythons().map((t) => t.label).join(', ')})`, () => {
  it('Tiny MLP on spiral (Adam): logits and one optimizer step', async () => {
    await checkAgainstTorch('Tiny MLP adam', { data: spiral, model: presetModel('Tiny MLP', [2]), train: train() }, 12, { optimizerStep: true });
  }, TORCH_TEST_TIMEOUT_MS);
  it('Tiny MLP on spiral (SGD with momentum and weight decay, RMSprop with momentum)', async () => {
    await checkAgainstTorch('Tiny MLP sgd', { data: spiral, model: presetModel('Tiny MLP', [2]), train: train({ optimizer: 'sgd', learningRate: 0.05, momentum: 0.9, weightDecay: 0.01 }) }, 5, { optimizerStep: true });
    await checkAgainstTorch('Tiny MLP rmsprop', { data: spiral, model: presetModel('Tiny MLP', [2]), train: train({ optimizer: 'rmsprop', learningRate: 0.01, momentum: 0.5 }) }, 5, { optimizerStep: true });
  }, TORCH_TEST_TIMEOUT_MS);
  it('MLP small on digits (Adam): logits and one optimizer step', async () => {
    await checkAgainstTorch('MLP small', { data: digits, model: presetModel('MLP small', [28, 28, 1]), train: train({ learningRate: 0.001 }) }, 3, { optimizerStep: true });
  }, TORCH_TEST_TIMEOUT_MS);
  it('CNN small on digits (Adam): logits and one optimizer step, NCHW flatten order', async () => {
    await checkAgainstTorch('CNN small', { data: digits, model: presetModel('CNN small', [28, 28, 1]), train: train({ learningRate: 0.001 }) }, 3, { optimizerStep: true, stateDicts: true });
  }, TORCH_TEST_TIMEOUT_MS);
  it('CNN with batchnorm (2d and 1d after flatten) and dropout: eval logits, state-dict files', async () => {
    await checkAgainstTorch('CNN batchnorm dropout', { data: digits, model: cnnWithBn, train: train({ learningRate: 0.001 }) }, 4, { optimizerStep: false, stateDicts: true });
  }, TORCH_TEST_TIMEOUT_MS);
});
