/**
 * The generated Python is checked as text, and run by the real torch (1.13) on a bundle we export.
 * The code runs verbatim on torch 1.13 (host) and torch 2.x (trixie root): it uses weights_only=True
 * on torch >= 2, and the full unpickler on 1.13, whose weights_only reader rejects Python floats.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { torchPythons } from '../../test/python/torch-versions';
import type { CheckpointRecord } from '../shared/checkpoint';
import { DEFAULT_DATA, DEFAULT_TRAIN } from '../shared/config';
import { presetModel, withHead } from '../families/stack/spec';
import { encodeCheckpointBundle } from './checkpoint-bundle';
import { pytorchCode } from './pytorch-code';
import { torchModuleNames } from '../families/stack/torch';

const PYTHON = '/usr/bin/python3';
const dir = mkdtempSync(join(tmpdir(), 'pytorch-code-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('pytorchCode', () => {
  const spec = presetModel('CNN small', [28, 28, 1]);

  it('rebuilds the Sequential, loads the bundle and shows an NCHW forward pass', () => {
    const code = pytorchCode(spec, [28, 28, 1], 10, 'run.pt', { train: { ...DEFAULT_TRAIN, optimizer: 'sgd', learningRate: 1 } });
    expect(code).toContain('    nn.Conv2d(1, 8, 3),  # 0\n    nn.ReLU(),  # 1\n    nn.MaxPool2d(2),  # 2');
    expect(code).toContain('    nn.Linear(64, 10),  # 9\n)');
    expect(code).toContain('ckpt = torch.load("run.pt", weights_only=True)');
    expect(code).toContain('if int(torch.__version__.split(".")[0]) >= 2:\n    ckpt = torch.load("run.pt", weights_only=True)\nelse:\n    ckpt = torch.load("run.pt")');
    expect(code).toContain('model.load_state_dict(ckpt["model_state_dict"])');
    expect(code).toContain('optimizer = torch.optim.SGD(model.parameters(), lr=1.0)');
    expect(code).toContain('optimizer.load_state_dict(ckpt["optimizer_state_dict"])');
    expect(code).toContain('x = torch.zeros(1, 1, 28, 28)  # NCHW');
    expect(pytorchCode({ name: 'Custom', layers: [{ type: 'dropout', rate: 0.5 }] }, [2], 3, 'a.pt')).toContain('nn.Dropout(p=0.5),  # 0');
  });

  it(`runs verbatim against an exported bundle in ${torchPythons().map((t) => t.label).join(' and ')}`, () => {
    const probe = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' });
    if (probe.status !== 0) throw new Error(`${PYTHON} cannot import torch. Install it with \`apt-get install python3-torch\`.`);
    const layers = withHead(spec, 10);
    const layout = torchModuleNames(layers, [28, 28, 1]);
    const tensors = layout.tensors.filter((t) => t.ourName).map((t) => ({ name: t.ourName!, shape: t.ourShape, dtype: 'float32' as const, data: new Float32Array(t.ourShape.reduce((a, b) => a * b, 1)).fill(0.01) }));
    const slots = layout.params.flatMap((p) => ['exp_avg', 'exp_avg_sq'].map((s) => ({ name: `${p.ourName}.${s}`, shape: p.ourShape, dtype: 'float32' as const, data: new Float32Array(p.ourShape.reduce((a, b) => a * b, 1)) })));
    const record: CheckpointRecord = {
      formatVersion: 1,
      meta: { id: 'x', runId: 'r', kind: 'manual', epoch: 0, step: 2, valLoss: NaN, sizeBytes: 0, createdAt: 0, backend: 'cpu' },
      config: { data: { ...DEFAULT_DATA, dataset: 'digits' }, model: spec, train: DEFAULT_TRAIN },
      notes: '',
      trainer: { epoch: 0, step: 2, batchInEpoch: 2, order: Int32Array.of(1, 0, 2), rng: [1, 2, 3, 4], stepLosses: Float32Array.of(2.3, 2.2), history: [], best: null, trainTimeMs: 5, optimizerStep: 2 },
      tensors: [...tensors, ...slots],
    };
    writeFileSync(join(dir, 'run.pt'), encodeCheckpointBundle(record, 'nb'));
    const code = pytorchCode(spec, [28, 28, 1], 10, 'run.pt');
    writeFileSync(join(dir, 'continue.py'), code);
    // Verbatim, on every torch we check against: the code picks its loader by version.
    for (const torch of torchPythons()) expect(torch.run(dir, 'continue.py').trim(), torch.label).toBe('torch.Size([1, 10]) step 2 epoch 0');
  });
});
