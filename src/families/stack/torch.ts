/*
 * Our model spec as the PyTorch nn.Sequential it is equivalent to, and the tensor layout mapping.
 *
 * Module list (activations count as modules, as in nn.Sequential):
 *   dense(relu)          -> Linear(in, out), ReLU()         (linear activation: Linear only)
 *   conv2d(k, tanh)      -> Conv2d(in, out, k), Tanh()      ('valid' padding, stride 1)
 *   maxpool2d(p)         -> MaxPool2d(p)                    (kernel = stride = p)
 *   flatten / dropout    -> Flatten() / Dropout(rate)
 *   batchnorm            -> BatchNorm1d(c) on [F], BatchNorm2d(c) on [H, W, C]
 *
 * Tensor layouts (ours are tfjs's, activations NHWC; PyTorch's are NCHW):
 *   <i>.kernel  dense [in, out]         <-> <m>.weight [out, in]        (transpose)
 *   <i>.kernel  conv2d [kh, kw, in, out] <-> <m>.weight [out, in, kh, kw]
 *   <i>.bias, <i>.gamma/.beta (-> weight/bias), <i>.running_mean/_var: same values
 *   torch-only  <m>.num_batches_tracked  int64 scalar (we do not keep one)
 * After a Flatten of an image feature map [H, W, C], features are in tfjs order (h, w, c) but in
 * PyTorch order (c, h, w): the next Dense's input rows, and any per-feature vector in between
 * (BatchNorm1d), are permuted. Optimizer slots follow their parameter's layout.
 */
import type { ModelIO, ModelSpec } from '../../shared/config';
import { BundleError } from '../../shared/errors';
import type { TorchModel, TorchTensor } from '../contract';
import { asStack, walk, withHead, type LayerSpec } from './spec';

/** One module of the equivalent nn.Sequential. */
export interface TorchModule {
  /** Index in nn.Sequential, which prefixes its state-dict keys. */
  index: number;
  /** PyTorch class name, e.g. 'Linear', 'BatchNorm2d'. */
  kind: string;
  /** Positional constructor arguments, e.g. [784, 128] for Linear. */
  args: number[];
  /** Index of the layer in withHead(spec) this module comes from. */
  layer: number;
}

export interface TorchLayout {
  modules: TorchModule[];
  /** In state_dict() order: per module weight, bias, running_mean, running_var, num_batches_tracked. */
  tensors: TorchTensor[];
  /** Parameters in model.parameters() order (= our Net.params order, = optimizer state indices). */
  params: TorchTensor[];
  /** PyTorch's per-sample input shape: [C, H, W] for images, [F] for tabular data. */
  torchInputShape: number[];
}

const ACTIVATION_MODULES = { relu: 'ReLU', tanh: 'Tanh', sigmoid: 'Sigmoid', linear: null } as const;

const copy = (d: Float32Array) => Float32Array.from(d);

/** out[perm[j]] = data[j]: a vector in our feature order to PyTorch's. */
function permuteVector(perm: Int32Array | null): Pick<TorchTensor, 'toTorch' | 'fromTorch'> {
  if (!perm) return { toTorch: copy, fromTorch: copy };
  return {
    toTorch: (d) => {
      const out = new Float32Array(d.length);
      for (let j = 0; j < d.length; j++) out[perm[j]] = d[j];
      return out;
    },
    fromTorch: (d) => Float32Array.from(perm, (p) => d[p]),
  };
}

/** Dense kernel [in, out] (rows in our feature order) <-> Linear weight [out, in] (PyTorch's order). */
function denseKernel(nIn: number, nOut: number, perm: Int32Array | null): Pick<TorchTensor, 'toTorch' | 'fromTorch'> {
  const col = (j: number) => (perm ? perm[j] : j);
  return {
    toTorch: (k) => {
      const w = new Float32Array(k.length);
      for (let j = 0; j < nIn; j++) for (let o = 0; o < nOut; o++) w[o * nIn + col(j)] = k[j * nOut + o];
      return w;
    },
    fromTorch: (w) => {
      const k = new Float32Array(w.length);
      for (let j = 0; j < nIn; j++) for (let o = 0; o < nOut; o++) k[j * nOut + o] = w[o * nIn + col(j)];
      return k;
    },
  };
}

/** Conv kernel [kh, kw, in, out] <-> [out, in, kh, kw]. */
function convKernel(k: number, nIn: number, nOut: number): Pick<TorchTensor, 'toTorch' | 'fromTorch'> {
  const ours = (y: number, x: number, c: number, o: number) => ((y * k + x) * nIn + c) * nOut + o;
  const theirs = (y: number, x: number, c: number, o: number) => ((o * nIn + c) * k + y) * k + x;
  const move = (from: (...a: [number, number, number, number]) => number, to: typeof from) => (d: Float32Array) => {
    const out = new Float32Array(d.length);
    for (let y = 0; y < k; y++) for (let x = 0; x < k; x++) for (let c = 0; c < nIn; c++) for (let o = 0; o < nOut; o++) out[to(y, x, c, o)] = d[from(y, x, c, o)];
    return out;
  };
  return { toTorch: move(ours, theirs), fromTorch: move(theirs, ours) };
}

/** perm[j] = PyTorch's (c, h, w) index of our flattened (h, w, c) feature j. */
function flattenPermutation([h, w, c]: number[]): Int32Array | null {
  if (c === 1 || h * w === 1) return null;
  const perm = new Int32Array(h * w * c);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let z = 0; z < c; z++) perm[(y * w + x) * c + z] = (z * h + y) * w + x;
  return perm;
}

function refuse(layer: number, why: string): BundleError {
  return new BundleError(`layer ${layer + 1} cannot be mapped to PyTorch: ${why}. Fix the model in the Model cell.`);
}

/**
 * The nn.Sequential equivalent of `layers` on inputs of `inputShape`, with every state-dict key.
 * @param layers withHead(spec, outputs): hidden layers plus the output dense
 * @param inputShape our per-sample shape: [F] or [H, W, C]
 * @throws BundleError when a layer does not fit its input (the spec summary reports the same)
 */
export function torchModuleNames(layers: readonly LayerSpec[], inputShape: readonly number[]): TorchLayout {
  const { steps, error } = walk(layers, inputShape);
  if (error) throw refuse(error.index, `${layers[error.index].type} ${error.why}`);
  const modules: TorchModule[] = [];
  const tensors: TorchTensor[] = [];
  let perm: Int32Array | null = null; // set between a Flatten of an image and the next Dense
  const add = (kind: string, args: number[], layer: number) => {
    modules.push({ index: modules.length, kind, args, layer });
    return modules.length - 1;
  };
  const tensor = (m: number, key: string, ourName: string | null, role: TorchTensor['role'], ourShape: number[], torchShape: number[], map: Pick<TorchTensor, 'toTorch' | 'fromTorch'>) =>
    tensors.push({ torchName: `${m}.${key}`, torchShape, ourName, ourShape, role, ...map });

  for (const { index: i, layer, inShape: shape, outShape } of steps) {
    switch (layer.type) {
      case 'dense': {
        const [nIn, nOut] = [shape[0], layer.units];
        const m = add('Linear', [nIn, nOut], i);
        tensor(m, 'weight', `${i}.kernel`, 'param', [nIn, nOut], [nOut, nIn], denseKernel(nIn, nOut, perm));
        tensor(m, 'bias', `${i}.bias`, 'param', [nOut], [nOut], permuteVector(null));
        const act = ACTIVATION_MODULES[layer.activation];
        if (act) add(act, [], i);
        perm = null;
        break;
      }
      case 'conv2d': {
        const c = shape[2];
        const k = layer.kernelSize;
        const m = add('Conv2d', [c, layer.filters, k], i);
        tensor(m, 'weight', `${i}.kernel`, 'param', [k, k, c, layer.filters], [layer.filters, c, k, k], convKernel(k, c, layer.filters));
        tensor(m, 'bias', `${i}.bias`, 'param', [layer.filters], [layer.filters], permuteVector(null));
        const act = ACTIVATION_MODULES[layer.activation];
        if (act) add(act, [], i);
        break;
      }
      case 'maxpool2d':
        add('MaxPool2d', [layer.poolSize], i);
        break;
      case 'flatten':
        add('Flatten', [], i);
        if (shape.length === 3) perm = flattenPermutation(shape);
        break;
      case 'dropout':
        add('Dropout', [layer.rate], i);
        break;
      case 'batchnorm': {
        const c = shape[shape.length - 1];
        const m = add(shape.length === 1 ? 'BatchNorm1d' : 'BatchNorm2d', [c], i);
        const map = permuteVector(shape.length === 1 ? perm : null);
        tensor(m, 'weight', `${i}.gamma`, 'param', [c], [c], map);
        tensor(m, 'bias', `${i}.beta`, 'param', [c], [c], map);
        tensor(m, 'running_mean', `${i}.running_mean`, 'buffer', [c], [c], map);
        tensor(m, 'running_var', `${i}.running_var`, 'buffer', [c], [c], map);
        tensor(m, 'num_batches_tracked', null, 'counter', [], [], permuteVector(null));
        break;
      }
    }
    void outShape;
  }
  return { modules, tensors, params: tensors.filter((t) => t.role === 'param'), torchInputShape: torchInputShape(inputShape) };
}

/** PyTorch's per-sample input shape from ours: [H, W, C] -> [C, H, W]; [F] unchanged. */
export function torchInputShape(inputShape: readonly number[]): number[] {
  return inputShape.length === 3 ? [inputShape[2], inputShape[0], inputShape[1]] : [...inputShape];
}

/** Python float literal: 0.001 -> "0.001", 1 -> "1.0". */
const pyFloat = (x: number) => (Number.isInteger(x) ? x.toFixed(1) : String(x));

function moduleLine(m: TorchModule): string {
  const args = m.kind === 'Dropout' ? [`p=${pyFloat(m.args[0])}`] : m.args.map(String);
  return `    nn.${m.kind}(${args.join(', ')}),  # ${m.index}`;
}

/** The family's torch.nn model: an nn.Sequential whose indices are the state_dict keys. */
export function stackTorch(spec: ModelSpec, io: Pick<ModelIO, 'inputShape' | 'outputs'>): TorchModel {
  const layout = torchModuleNames(withHead(asStack(spec), io.outputs), io.inputShape);
  const python = [
    '# The indices in nn.Sequential are the keys of model_state_dict ("0.weight", ...).',
    'model = nn.Sequential(',
    ...layout.modules.map(moduleLine),
    ')',
  ].join('\n');
  return { tensors: layout.tensors, params: layout.params, torchInputShape: layout.torchInputShape, python };
}
