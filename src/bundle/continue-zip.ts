/*
 * "Continue in PyTorch": one zip that runs as it is.
 *   bundle.pt     the checkpoint (checkpoint-bundle.ts) plus `dataset`: the train and validation
 *                 tensors as the model sees them (standardized; images N, C, H, W), or None with
 *                 `dataset_note` saying why it was left out
 *   train.py      continue-python.ts: python train.py --epochs N, or under torchrun
 *   train.ipynb   the same as a notebook (nbformat 4.5): load, train, plot, save
 *   README.txt    how to run it and how to come back to the tab
 */
import { zipSync } from 'fflate';
import type { CheckpointRecord } from '../shared/checkpoint';
import type { ModelIO } from '../shared/config';
import { familyOf } from '../families';
import { encodeCheckpointBundle, type BundleOptions } from './checkpoint-bundle';
import { trainPy, trainPyParts, type TrainPyParts } from './continue-python';
import { dict } from './bundle-values';
import { PyTensor, type PyDict } from './py-value';

/** The data of a run as the loader made it (engine/data/dataset.ts), our layout: rows of inputShape. */
export interface RunData {
  xTrain: Float32Array;
  yTrain: Float32Array;
  xVal: Float32Array;
  yVal: Float32Array;
  trainSize: number;
  valSize: number;
}

/** Rows of [H, W, C] as [C, H, W] (PyTorch's layout); tabular rows unchanged. */
function toTorchLayout(x: Float32Array, n: number, shape: readonly number[]): Float32Array {
  if (shape.length !== 3) return x;
  const [h, w, c] = shape;
  const out = new Float32Array(x.length);
  const per = h * w * c;
  for (let i = 0; i < n; i++)
    for (let y = 0; y < h; y++)
      for (let z = 0; z < w; z++)
        for (let k = 0; k < c; k++) out[i * per + (k * h + y) * w + z] = x[i * per + (y * w + z) * c + k];
  return out;
}

/** The `dataset` entry: x as float32 [N, …PyTorch's shape], y as int64 classes [N] or float32 targets [N, 1]. */
export function encodeDataset(data: RunData, io: ModelIO, torchInputShape: readonly number[]): PyDict {
  const x = (v: Float32Array, n: number) => new PyTensor('float32', [n, ...torchInputShape], toTorchLayout(v, n, io.inputShape));
  const y = (v: Float32Array, n: number) =>
    io.task === 'classification' ? new PyTensor('int64', [n], BigInt64Array.from(v, (c) => BigInt(c))) : new PyTensor('float32', [n, 1], Float32Array.from(v));
  return dict([
    ['x_train', x(data.xTrain, data.trainSize)],
    ['y_train', y(data.yTrain, data.trainSize)],
    ['x_val', x(data.xVal, data.valSize)],
    ['y_val', y(data.yVal, data.valSize)],
  ]);
}

/** One notebook cell (nbformat 4.5: every cell has an id). */
function cell(kind: 'code' | 'markdown', id: string, source: string): Record<string, unknown> {
  const lines = source.replace(/^\n+|\n+$/g, '').split('\n').map((l, i, all) => (i < all.length - 1 ? `${l}\n` : l));
  return kind === 'code'
    ? { cell_type: 'code', execution_count: null, id, metadata: {}, outputs: [], source: lines }
    : { cell_type: 'markdown', id, metadata: {}, source: lines };
}

/** train.ipynb: upload or find the files, the code, train, plot the losses continuing the tab's, save. */
export function continueNotebook(parts: TrainPyParts, notebookName: string, epochs = 1): string {
  const withoutShebang = parts.header.replace(/^#!.*\n/, '');
  const cells = [
    cell('markdown', 'about', `# Continue ${JSON.stringify(notebookName).slice(1, -1)} in PyTorch

This notebook continues the Tab Trainer run in \`bundle.pt\` exactly as the tab would, then saves a checkpoint
in the tab's format: upload it in the tab's Checkpoints cell to go on there. In Colab, the first cell asks for
\`bundle.pt\` (from the zip); elsewhere keep \`bundle.pt\` next to this notebook.`),
    cell('code', 'files', `import os

try:  # in Colab: upload bundle.pt from the zip
    from google.colab import files as colab_files
except ImportError:
    colab_files = None
if colab_files is not None and not os.path.exists("bundle.pt"):
    colab_files.upload()
print("bundle.pt found" if os.path.exists("bundle.pt") else "Put bundle.pt next to this notebook.")`),
    cell('code', 'code', `${withoutShebang}${parts.model}${parts.library}`),
    cell('markdown', 'train-note', 'Train on: change `--epochs` for more. Each epoch prints its losses as the tab shows them.'),
    cell('code', 'train', `result = continue_run(parse_args(["--epochs", "${epochs}"]))`),
    cell('code', 'plot', `started = len(load(BUNDLE)["train_history"])
try:
    import matplotlib.pyplot as plt
except ImportError:
    plt = None
if plt is None:
    print(f"Loss per step: {started} steps in the tab, {len(result['losses']) - started} here; last {result['losses'][-1]:.4f}.")
else:
    plt.plot(range(started), result["losses"][:started], label="in the tab")
    plt.plot(range(started, len(result["losses"])), result["losses"][started:], label="in PyTorch")
    plt.xlabel("step")
    plt.ylabel("training loss")
    plt.legend()
    plt.show()`),
    cell('code', 'save', `# The last checkpoint, in the tab's format: upload it in the tab's Checkpoints cell.
latest = result["written"][-1]
if colab_files is not None:
    colab_files.download(latest)
print("Saved", latest)`),
  ];
  const nb = {
    cells,
    metadata: {
      kernelspec: { display_name: 'Python 3', language: 'python', name: 'python3' },
      language_info: { name: 'python' },
    },
    nbformat: 4,
    nbformat_minor: 5,
  };
  return `${JSON.stringify(nb, null, 1)}\n`;
}

function readme(notebookName: string, withData: boolean, note: string | null): string {
  return `Continue "${notebookName}" in PyTorch
${'='.repeat(notebookName.length + 23)}

bundle.pt    the run's checkpoint${withData ? ', with its training and validation data as the model sees it' : ' (without its data: see below)'}
train.py     trains on exactly as the tab would; needs only PyTorch 1.13 or newer
train.ipynb  the same as a Jupyter notebook (Colab: upload bundle.pt when asked)

  python train.py --epochs 5
  torchrun --nproc_per_node=4 train.py --epochs 5     (data parallel: each batch split across 4 processes)

If torchrun says "use_libuv was requested but PyTorch was build without libuv support" (Debian's
torch 2.x), rendezvous through a file instead:
  USE_LIBUV=0 TORCH_DISABLE_SHARE_RDZV_TCP_STORE=1 torchrun --rdzv-backend=c10d \\
    --rdzv-endpoint=$PWD/rdzv --rdzv-conf=store_type=file --local-addr=127.0.0.1 --nproc_per_node=4 train.py

Each epoch prints its training and validation loss. Checkpoints go to checkpoints/ (every epoch, or
--save-every N) in the tab's own format: upload one in the tab's Checkpoints cell and press Resume
training or Train N more epochs; the charts show the epochs PyTorch trained.
${note ? `\n${note}\n` : ''}`;
}

export interface ContinueOptions extends BundleOptions {
  /** The run's data (as loaded for the record's config), or null to leave it out (`dataNote` says why). */
  data: RunData | null;
  dataNote?: string;
}

/**
 * The zip's bytes.
 * @throws BundleError when the record does not match its config (as encodeCheckpointBundle)
 */
export function encodeContinueZip(record: CheckpointRecord & { about: NonNullable<CheckpointRecord['about']> }, notebookName: string, options: ContinueOptions): Uint8Array {
  const io = record.about.io;
  const layout = familyOf(record.config.model).torch(record.config.model, io);
  const extra: [string, PyDict | string | null][] = options.data
    ? [['dataset', encodeDataset(options.data, io, layout.torchInputShape)]]
    : [['dataset', null], ['dataset_note', options.dataNote ?? 'The bundle was downloaded without its data.']];
  const bundle = encodeCheckpointBundle(record, notebookName, { ...options, extra });
  const parts = trainPyParts(layout.python, { notebookName, epoch: record.trainer.epoch, step: record.trainer.step, family: record.about.family });
  const text = (s: string) => new TextEncoder().encode(s);
  return zipSync({
    'bundle.pt': [bundle, { level: 0 }],
    'train.py': text(trainPy(parts)),
    'train.ipynb': text(continueNotebook(parts, notebookName)),
    'README.txt': text(readme(notebookName, options.data !== null, options.data ? null : (options.dataNote ?? null))),
  });
}
