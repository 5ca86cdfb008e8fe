/**
 * The 'stack' family: an ordered list of hidden layers (dense, conv2d, maxpool2d, flatten, dropout,
 * batchnorm). The output head (a dense layer with one unit per class, or one for regression, no
 * activation: it emits logits) is appended from the data, so one spec fits several datasets.
 *
 * Shapes follow tfjs: images are NHWC, so an input shape is [H, W, C] for images and [F] for
 * tabular data. `walk` is the one pass over the layers that works out every shape: the summary,
 * the worker's variables and the PyTorch mapping all follow it.
 */
import type { ModelIO, ModelSpec } from '../../shared/config';
import type { ModelSummary } from '../contract';

export type Activation = 'relu' | 'tanh' | 'sigmoid' | 'linear';
export const ACTIVATIONS: readonly Activation[] = ['relu', 'tanh', 'sigmoid', 'linear'];

export type LayerSpec =
  | { type: 'dense'; units: number; activation: Activation }
  | { type: 'conv2d'; filters: number; kernelSize: number; activation: Activation }
  | { type: 'maxpool2d'; poolSize: number }
  | { type: 'flatten' }
  | { type: 'dropout'; rate: number }
  | { type: 'batchnorm' };

export type LayerType = LayerSpec['type'];
export const LAYER_TYPES: readonly LayerType[] = ['dense', 'conv2d', 'maxpool2d', 'flatten', 'dropout', 'batchnorm'];

/** The settings each layer type has (numbers, except `activation`), for checking stored specs. */
const LAYER_FIELDS: Record<LayerType, readonly string[]> = {
  dense: ['units', 'activation'],
  conv2d: ['filters', 'kernelSize', 'activation'],
  maxpool2d: ['poolSize'],
  flatten: [],
  dropout: ['rate'],
  batchnorm: [],
};

/** A new layer of each type, as "Add layer" makes it. */
export function newLayer(type: LayerType): LayerSpec {
  switch (type) {
    case 'dense':
      return { type, units: 32, activation: 'relu' };
    case 'conv2d':
      return { type, filters: 8, kernelSize: 3, activation: 'relu' };
    case 'maxpool2d':
      return { type, poolSize: 2 };
    case 'dropout':
      return { type, rate: 0.2 };
    default:
      return { type };
  }
}

export interface StackSpec extends ModelSpec {
  family?: 'stack';
  layers: LayerSpec[];
}

export const PRESET_NAMES = ['Tiny MLP', 'MLP small', 'MLP medium', 'MLP large', 'CNN small'] as const;
export type PresetName = (typeof PRESET_NAMES)[number];

/** The family's view of a spec (the registry only hands it specs of this family). */
export const asStack = (spec: ModelSpec): StackSpec => spec as StackSpec;

/** Builds a preset's hidden layers; MLPs fed images start with a flatten. */
export function presetModel(name: PresetName, inputShape: readonly number[]): StackSpec {
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

/** A stack spec as functions here take it (the name does not matter to them). */
type Layers = { layers: readonly LayerSpec[]; name?: string; family?: string };

/** The head appended to every spec: logits for `outputs` classes (or 1 for regression). */
export function withHead(spec: Layers, outputs: number): LayerSpec[] {
  return [...spec.layers, { type: 'dense', units: outputs, activation: 'linear' }];
}

/** One layer as the walk sees it: its input and output shape and its trained parameters. */
export interface WalkStep {
  /** Index in withHead(spec): the `<i>` of our tensor names. */
  index: number;
  layer: LayerSpec;
  inShape: number[];
  outShape: number[];
  params: number;
}

/**
 * Walks `layers` (hidden layers plus head) over an input of `inputShape`, working out each layer's
 * output shape and parameter count. Stops at the first layer that does not fit its input.
 */
export function walk(layers: readonly LayerSpec[], inputShape: readonly number[]): { steps: WalkStep[]; error?: { index: number; why: string } } {
  const steps: WalkStep[] = [];
  let shape = [...inputShape];
  for (let index = 0; index < layers.length; index++) {
    const layer = layers[index];
    const fail = (why: string) => ({ steps, error: { index, why } });
    let params = 0;
    let out = shape;
    switch (layer.type) {
      case 'dense':
        if (shape.length !== 1) return fail(`needs flat input but gets [${shape}]; add a flatten before it`);
        params = shape[0] * layer.units + layer.units;
        out = [layer.units];
        break;
      case 'conv2d': {
        if (shape.length !== 3) return fail(`needs an image input [H, W, C] but gets [${shape}]`);
        const [h, w, c] = shape;
        const k = layer.kernelSize;
        if (h < k || w < k) return fail(`kernel ${k} is larger than its ${h}×${w} input`);
        params = k * k * c * layer.filters + layer.filters;
        out = [h - k + 1, w - k + 1, layer.filters]; // 'valid' padding, as PyTorch's default
        break;
      }
      case 'maxpool2d': {
        if (shape.length !== 3) return fail(`needs an image input [H, W, C] but gets [${shape}]`);
        const p = layer.poolSize;
        if (shape[0] < p || shape[1] < p) return fail(`pool ${p} is larger than its input`);
        out = [Math.floor(shape[0] / p), Math.floor(shape[1] / p), shape[2]];
        break;
      }
      case 'flatten':
        out = [shape.reduce((a, b) => a * b, 1)];
        break;
      case 'dropout':
        if (!(layer.rate >= 0 && layer.rate < 1)) return fail(`rate must be in [0, 1), got ${layer.rate}`);
        break;
      case 'batchnorm': // weight and bias are trained; running mean and variance are buffers
        if (shape.length !== 1 && shape.length !== 3) return fail(`needs [F] or [H, W, C] input but gets [${shape}]`);
        params = 2 * shape[shape.length - 1];
        break;
    }
    steps.push({ index, layer, inShape: shape, outShape: [...out], params });
    shape = out;
  }
  return { steps };
}

/** Output shape and parameter count of every layer (head included), without tfjs. */
export function summarizeModel(spec: Layers, inputShape: readonly number[], outputs: number): ModelSummary {
  const all = withHead(spec, outputs);
  const { steps, error } = walk(all, inputShape);
  const layers = steps.map((s) => ({ label: s.index === all.length - 1 ? 'output' : s.layer.type, outputShape: s.outShape, params: s.params }));
  const totalParams = layers.reduce((n, l) => n + l.params, 0);
  if (!error) return { layers, totalParams };
  return { layers, totalParams, error: `Layer ${error.index + 1} (${all[error.index].type}): ${error.why}` };
}

/** "dense 16 relu", "conv2d 8 3×3 relu", "dropout 0.2". */
export function describeLayer(layer: LayerSpec): string {
  switch (layer.type) {
    case 'dense':
      return `dense ${layer.units} ${layer.activation}`;
    case 'conv2d':
      return `conv2d ${layer.filters} ${layer.kernelSize}×${layer.kernelSize} ${layer.activation}`;
    case 'maxpool2d':
      return `maxpool2d ${layer.poolSize}×${layer.poolSize}`;
    case 'dropout':
      return `dropout ${layer.rate}`;
    default:
      return layer.type;
  }
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Why `v` is not a stack spec (stored or uploaded), or null. */
export function stackSpecProblem(v: unknown): string | null {
  if (!isObj(v) || typeof v.name !== 'string' || !Array.isArray(v.layers)) return 'model missing';
  const ok = (l: unknown) =>
    isObj(l) && typeof l.type === 'string' && l.type in LAYER_FIELDS &&
    LAYER_FIELDS[l.type as LayerType].every((f) => (f === 'activation' ? (ACTIVATIONS as readonly unknown[]).includes(l[f]) : typeof l[f] === 'number' && Number.isFinite(l[f])));
  return v.layers.every(ok) ? null : 'a model layer is unreadable';
}

/** The io a summary needs from it. */
export type StackIO = Pick<ModelIO, 'inputShape' | 'outputs'>;
