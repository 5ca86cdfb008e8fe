import { describe, expect, it } from 'vitest';
import { continueNotebook, encodeDataset } from './continue-zip';
import { trainPy, trainPyParts } from './continue-python';

const parts = trainPyParts('model = nn.Sequential(\n    nn.Linear(2, 3),  # 0\n)', { notebookName: 'my "run"', epoch: 2, step: 50, family: 'stack' });

describe('train.py', () => {
  it('puts the family model inside build_model and ends with main', () => {
    const py = trainPy(parts);
    expect(py).toContain('def build_model():\n    """The run\'s model (family "stack") in torch.nn."""\n    model = nn.Sequential(\n        nn.Linear(2, 3),  # 0\n    )\n    return model');
    expect(py).toContain('from epoch 2 (step 50)');
    expect(py.trimEnd().endsWith('main()')).toBe(true);
  });
});

describe('train.ipynb', () => {
  it('is an nbformat 4.5 notebook whose cells have ids and line lists', () => {
    const nb = JSON.parse(continueNotebook(parts, 'my "run"')) as { nbformat: number; nbformat_minor: number; cells: { id: string; cell_type: string; source: string[] }[] };
    expect([nb.nbformat, nb.nbformat_minor]).toEqual([4, 5]);
    expect(new Set(nb.cells.map((c) => c.id)).size).toBe(nb.cells.length);
    const code = nb.cells.filter((c) => c.cell_type === 'code').map((c) => c.source.join(''));
    expect(code).toHaveLength(5);
    expect(code[1]).toContain('def continue_run(args):');
    expect(code[1]).not.toContain('#!/usr/bin/env');
    expect(code[2]).toBe('result = continue_run(parse_args(["--epochs", "1"]))');
  });
});

describe('the dataset entry', () => {
  it('stores images as N, C, H, W and classes as int64', () => {
    // two 1×2 images with 2 channels: our rows are (h, w, c)
    const x = Float32Array.of(1, 2, 3, 4, 5, 6, 7, 8);
    const d = encodeDataset(
      { xTrain: x, yTrain: Float32Array.of(0, 2), xVal: new Float32Array(0), yVal: new Float32Array(0), trainSize: 2, valSize: 0 },
      { task: 'classification', inputShape: [1, 2, 2], inputDtype: 'float32', outputs: 3 },
      [2, 1, 2],
    );
    const xt = d.get('x_train') as { shape: number[]; data: Float32Array };
    expect(xt.shape).toEqual([2, 2, 1, 2]);
    expect(Array.from(xt.data)).toEqual([1, 3, 2, 4, 5, 7, 6, 8]);
    const yt = d.get('y_train') as { dtype: string; data: BigInt64Array };
    expect(yt.dtype).toBe('int64');
    expect(Array.from(yt.data)).toEqual([0n, 2n]);
  });
});
