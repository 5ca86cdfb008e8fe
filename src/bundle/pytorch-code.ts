/*
 * The Python a user runs to continue in PyTorch from an exported bundle:
 *   imports; `model` built by the family's code (families/<id>/torch.ts, whose parameter names are
 *   the model_state_dict keys); ckpt = torch.load(…); load_state_dict; the optimizer from
 *   optimizer_state_dict; one forward pass on a zero batch in PyTorch's layout (NCHW for images).
 */
import type { ModelSpec, TrainConfig } from '../shared/config';
import { familyOf } from '../families';
import { MODEL_STATE_DICT, OPTIMIZER_STATE_DICT } from './checkpoint-bundle';

const OPTIMIZER_CLASSES = { adam: 'Adam', adamw: 'AdamW', sgd: 'SGD', rmsprop: 'RMSprop' } as const;

/** Python float literal: 0.001 -> "0.001", 1 -> "1.0". */
const pyFloat = (x: number) => (Number.isInteger(x) ? x.toFixed(1) : String(x));

/**
 * Python source that rebuilds the model of `spec`, loads `fileName` (a bundle from
 * encodeCheckpointBundle) into it and into a matching optimizer, and runs one forward pass.
 * @param inputShape our per-sample shape ([F] or [H, W, C]); the code uses PyTorch's [C, H, W]
 * @param outputs classes of the head (1 for regression)
 * @param options.train when given, the optimizer is named explicitly; else it is read from the file's config
 */
export function pytorchCode(spec: ModelSpec, inputShape: readonly number[], outputs: number, fileName: string, options: { train?: TrainConfig } = {}): string {
  const layout = familyOf(spec).torch(spec, { task: 'classification', inputShape: [...inputShape], inputDtype: 'float32', outputs });
  const file = JSON.stringify(fileName);
  const shape = layout.torchInputShape.join(', ');
  const layoutNote = layout.torchInputDtype === 'long' ? ', dtype=torch.long)  # [batch, time]: token ids' : inputShape.length === 3 ? `)  # NCHW: [batch, channels, height, width]` : ')  # [batch, features]';
  const train = options.train;
  const optimizer = train
    ? `optimizer = torch.optim.${OPTIMIZER_CLASSES[train.optimizer]}(model.parameters(), lr=${pyFloat(train.learningRate)})`
    : [
        `OPTIMIZERS = {"adam": torch.optim.Adam, "adamw": torch.optim.AdamW, "sgd": torch.optim.SGD, "rmsprop": torch.optim.RMSprop}`,
        `optimizer = OPTIMIZERS[ckpt["config"]["train"]["optimizer"]](model.parameters(), lr=ckpt["config"]["train"]["learningRate"])`,
      ].join('\n');
  return `# Rebuilds the model of ${JSON.stringify(spec.name)} in PyTorch and continues from ${fileName}.
import torch
from torch import nn

${layout.python}

# torch >= 2.0 reads the whole bundle with weights_only=True: no code from the file can run.
# torch 1.13's weights_only reader cannot read Python floats (lr, losses; pytorch#94670), so
# there the full unpickler reads it: use that only on a file you downloaded yourself.
if int(torch.__version__.split(".")[0]) >= 2:
    ckpt = torch.load(${file}, weights_only=True)
else:
    ckpt = torch.load(${file})
model.load_state_dict(ckpt[${JSON.stringify(MODEL_STATE_DICT)}])

# load_state_dict restores the hyper-parameters (lr, betas, momentum, ...) and the moment buffers.
${optimizer}
optimizer.load_state_dict(ckpt[${JSON.stringify(OPTIMIZER_STATE_DICT)}])

model.eval()  # dropout off, batchnorm uses its running statistics
x = torch.zeros(1, ${shape}${layoutNote}
with torch.no_grad():
    logits = model(x)
print(logits.shape, "step", ckpt["global_step"], "epoch", ckpt["epoch"])
`;
}
