/**
 * A model is a JSON spec: an ordered list of hidden layers. The output head (a dense layer with one
 * unit per class, or one unit for regression, no activation: it emits logits) is appended by the
 * builder from the dataset, so one spec fits several datasets.
 *
 * Shapes follow tfjs: images are NHWC, so an input shape is [H, W, C] for images and [F] for
 * tabular data. Everything here is pure so the UI can show shapes and parameter counts without
 * asking the worker.
 */
export type Activation = 'relu' | 'tanh' | 'sigmoid' | 'linear';

export type LayerSpec =
  | { type: 'dense'; units: number; activation: Activation }
  | { type: 'conv2d'; filters: number; kernelSize: number; activation: Activation }
  | { type: 'maxpool2d'; poolSize: number }
  | { type: 'flatten' }
  | { type: 'dropout'; rate: number }
  | { type: 'batchnorm' };

export type LayerType = LayerSpec['type'];

export interface ModelSpec {
  /** Preset name this spec started from, or 'Custom' once edited. */
  name: string;
  layers: LayerSpec[];
}

export const PRESET_NAMES = ['Tiny MLP', 'MLP small', 'MLP medium', 'MLP large', 'CNN small'] as const;
export type PresetName = (typeof PRESET_NAMES)[number];

/** Builds a preset's hidden layers; MLPs fed images start with a flatten. */
export function presetModel(name: PresetName, inputShape: readonly number[]): ModelSpec {
  const flat: LayerSpec[] = inputShape.length > 1 ? [{ type: 'flatten' }] : [];
  const dense = (units: number): LayerSpec => ({ type: 'dense', units, activation: 'relu' });
  switch (name) {
    case 'Tiny MLP':
      return { name, layers: [...flat, dense(16), dense(16)] };
    case 'MLP small': // 784-128-10 on digits: about 0.1M parameters
      return { name, layers: [...flat, dense(128)] };
    case 'MLP medium': // 784-1024-256-10: about 1.07M
      return { name, layers: [...flat, dense(1024), dense(256)] };
    case 'MLP large': // 784-2048-2048-2048-10: about 10M
      return { name, layers: [...flat, dense(2048), dense(2048), dense(2048)] };
    case 'CNN small':
      return {
        name,
        layers: [
          { type: 'conv2d', filters: 8, kernelSize: 3, activation: 'relu' },
          { type: 'maxpool2d', poolSize: 2 },
          { type: 'conv2d', filters: 16, kernelSize: 3, activation: 'relu' },
          { type: 'maxpool2d', poolSize: 2 },
          { type: 'flatten' },
          dense(64),
        ],
      };
  }
}

export interface LayerSummary {
  /** 'dense', 'conv2d', …, or 'output' for the head. */
  label: string;
  outputShape: number[];
  params: number;
}

export interface ModelSummary {
  layers: LayerSummary[];
  totalParams: number;
  /** Set when the spec cannot be built on this input, e.g. a conv2d after a flatten. */
  error?: string;
}

/** The head appended to every spec: logits for `outputs` classes (or 1 for regression). */
export function withHead(spec: ModelSpec, outputs: number): LayerSpec[] {
  return [...spec.layers, { type: 'dense', units: outputs, activation: 'linear' }];
}

/** Output shape and parameter count of every layer (head included), without tfjs. */
export function summarizeModel(spec: ModelSpec, inputShape: readonly number[], outputs: number): ModelSummary {
  const layers: LayerSummary[] = [];
  let shape = [...inputShape];
  const all = withHead(spec, outputs);
  for (let i = 0; i < all.length; i++) {
    const layer = all[i];
    const label = i === all.length - 1 ? 'output' : layer.type;
    const fail = (why: string): ModelSummary => ({
      layers,
      totalParams: sum(layers.map((l) => l.params)),
      error: `Layer ${i + 1} (${layer.type}): ${why}`,
    });
    let params = 0;
    switch (layer.type) {
      case 'dense': {
        if (shape.length !== 1) return fail(`needs flat input but gets [${shape}]; add a flatten before it`);
        params = shape[0] * layer.units + layer.units;
        shape = [layer.units];
        break;
      }
      case 'conv2d': {
        if (shape.length !== 3) return fail(`needs an image input [H, W, C] but gets [${shape}]`);
        const [h, w, c] = shape;
        const k = layer.kernelSize;
        if (h < k || w < k) return fail(`kernel ${k} is larger than its ${h}×${w} input`);
        params = k * k * c * layer.filters + layer.filters;
        shape = [h - k + 1, w - k + 1, layer.filters]; // 'valid' padding, as PyTorch's default
        break;
      }
      case 'maxpool2d': {
        if (shape.length !== 3) return fail(`needs an image input [H, W, C] but gets [${shape}]`);
        const p = layer.poolSize;
        if (shape[0] < p || shape[1] < p) return fail(`pool ${p} is larger than its input`);
        shape = [Math.floor(shape[0] / p), Math.floor(shape[1] / p), shape[2]];
        break;
      }
      case 'flatten':
        shape = [shape.reduce((a, b) => a * b, 1)];
        break;
      case 'dropout':
        if (!(layer.rate >= 0 && layer.rate < 1)) return fail(`rate must be in [0, 1), got ${layer.rate}`);
        break;
      case 'batchnorm': // weight and bias are trained; running mean and variance are buffers
        params = 2 * shape[shape.length - 1];
        break;
    }
    layers.push({ label, outputShape: [...shape], params });
  }
  return { layers, totalParams: sum(layers.map((l) => l.params)) };
}

function sum(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}
