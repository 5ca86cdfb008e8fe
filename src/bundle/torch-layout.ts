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
import type { TensorEntry } from '../shared/checkpoint';
import type { LayerSpec } from '../shared/model-spec';
import { BundleError, NOTHING_LOADED, fromFile } from './bundle-error';
import type { DType, TensorRecord } from './tensor';

/** The most unexpected keys one refusal lists; a hostile file can hold millions. */
const MAX_LISTED_KEYS = 20;

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

/** One state-dict entry and how its values map between our layout and PyTorch's. */
export interface TorchTensor {
  /** PyTorch's key, e.g. '1.weight'. */
  torchName: string;
  torchShape: number[];
  /** Our name ('0.kernel'), or null for num_batches_tracked, which we do not keep. */
  ourName: string | null;
  ourShape: number[];
  /** 'param': trained (has optimizer slots); 'buffer': BatchNorm running stats; 'counter': num_batches_tracked. */
  role: 'param' | 'buffer' | 'counter';
  /** Our data -> PyTorch's layout (a new array). */
  toTorch(data: Float32Array): Float32Array;
  /** PyTorch's data -> our layout (a new array). */
  fromTorch(data: Float32Array): Float32Array;
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
  const modules: TorchModule[] = [];
  const tensors: TorchTensor[] = [];
  let shape = [...inputShape];
  let perm: Int32Array | null = null; // set between a Flatten of an image and the next Dense
  const add = (kind: string, args: number[], layer: number) => {
    modules.push({ index: modules.length, kind, args, layer });
    return modules.length - 1;
  };
  const tensor = (m: number, key: string, ourName: string | null, role: TorchTensor['role'], ourShape: number[], torchShape: number[], map: Pick<TorchTensor, 'toTorch' | 'fromTorch'>) =>
    tensors.push({ torchName: `${m}.${key}`, torchShape, ourName, ourShape, role, ...map });

  layers.forEach((layer, i) => {
    switch (layer.type) {
      case 'dense': {
        if (shape.length !== 1) throw refuse(i, `dense needs flat input but gets [${shape}]`);
        const [nIn, nOut] = [shape[0], layer.units];
        const m = add('Linear', [nIn, nOut], i);
        tensor(m, 'weight', `${i}.kernel`, 'param', [nIn, nOut], [nOut, nIn], denseKernel(nIn, nOut, perm));
        tensor(m, 'bias', `${i}.bias`, 'param', [nOut], [nOut], permuteVector(null));
        const act = ACTIVATION_MODULES[layer.activation];
        if (act) add(act, [], i);
        shape = [nOut];
        perm = null;
        break;
      }
      case 'conv2d': {
        if (shape.length !== 3) throw refuse(i, `conv2d needs an image input but gets [${shape}]`);
        const [h, w, c] = shape;
        const k = layer.kernelSize;
        if (h < k || w < k) throw refuse(i, `kernel ${k} is larger than its ${h}x${w} input`);
        const m = add('Conv2d', [c, layer.filters, k], i);
        tensor(m, 'weight', `${i}.kernel`, 'param', [k, k, c, layer.filters], [layer.filters, c, k, k], convKernel(k, c, layer.filters));
        tensor(m, 'bias', `${i}.bias`, 'param', [layer.filters], [layer.filters], permuteVector(null));
        const act = ACTIVATION_MODULES[layer.activation];
        if (act) add(act, [], i);
        shape = [h - k + 1, w - k + 1, layer.filters];
        break;
      }
      case 'maxpool2d': {
        if (shape.length !== 3) throw refuse(i, `maxpool2d needs an image input but gets [${shape}]`);
        add('MaxPool2d', [layer.poolSize], i);
        shape = [Math.floor(shape[0] / layer.poolSize), Math.floor(shape[1] / layer.poolSize), shape[2]];
        break;
      }
      case 'flatten':
        add('Flatten', [], i);
        if (shape.length === 3) perm = flattenPermutation(shape);
        shape = [shape.reduce((a, b) => a * b, 1)];
        break;
      case 'dropout':
        add('Dropout', [layer.rate], i);
        break;
      case 'batchnorm': {
        if (shape.length !== 1 && shape.length !== 3) throw refuse(i, `batchnorm needs [F] or [H, W, C] input but gets [${shape}]`);
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
  });
  const torchInputShape = inputShape.length === 3 ? [inputShape[2], inputShape[0], inputShape[1]] : [...inputShape];
  return { modules, tensors, params: tensors.filter((t) => t.role === 'param'), torchInputShape };
}

/** Our per-sample input shape from PyTorch's: [C, H, W] -> [H, W, C]; [F] unchanged. */
export function ourInputShape(torchInputShape: readonly number[]): number[] {
  return torchInputShape.length === 3 ? [torchInputShape[1], torchInputShape[2], torchInputShape[0]] : [...torchInputShape];
}

/** A tensor as read from a .pt or .safetensors file (decoded typed array, row-major). */
export type StateDictTensor = Pick<TensorRecord, 'dtype' | 'shape' | 'data'>;

const FLOAT_DTYPES: readonly DType[] = ['float32', 'float64', 'float16', 'bfloat16'];
const INT_DTYPES: readonly DType[] = ['int64', 'int32', 'int16', 'int8', 'uint8'];
const torchSize = (shape: readonly number[]) => `torch.Size([${shape.join(', ')}])`;

/**
 * A floating-point tensor's values as float32 (float64/float16/bfloat16 are converted), refusing
 * other dtypes and non-finite values. `label` names the tensor in the message.
 */
export function finiteFloat32(label: string, t: StateDictTensor): Float32Array {
  if (!FLOAT_DTYPES.includes(t.dtype)) {
    throw new BundleError(`${label} has dtype ${t.dtype}; weights must be floating point. Save the model's float weights. ${NOTHING_LOADED}`, { entry: label });
  }
  const data = t.data instanceof Float32Array ? Float32Array.from(t.data) : Float32Array.from(t.data as Float64Array);
  for (let i = 0; i < data.length; i++) {
    // x - x is 0 for finite x, NaN for NaN and +-Infinity (float64 values beyond float32 become Infinity here)
    if (data[i] - data[i] !== 0) {
      throw new BundleError(`${label} holds ${data[i]} at index ${i}; only finite values can be loaded. The training that wrote it diverged; pick an earlier checkpoint. ${NOTHING_LOADED}`, { entry: label });
    }
  }
  return data;
}

/**
 * Converts a PyTorch state dict (keys as nn.Sequential names them) to our tensor names and
 * layouts: params then buffers, in Net order. Everything is checked before anything is returned,
 * and a mismatch is reported the way load_state_dict(strict=True) reports it.
 * @param stateDict PyTorch key -> tensor; `num_batches_tracked` is optional and ignored
 * @param layers withHead(spec, outputs)
 * @param inputShape our per-sample shape: [F] or [H, W, C]
 * @throws BundleError listing missing and unexpected keys and size mismatches, or a bad dtype/value
 */
export function stateDictToTensors(stateDict: ReadonlyMap<string, StateDictTensor>, layers: readonly LayerSpec[], inputShape: readonly number[]): TensorEntry[] {
  const layout = torchModuleNames(layers, inputShape);
  const known = new Set(layout.tensors.map((t) => t.torchName));
  const missing = layout.tensors.filter((t) => t.role !== 'counter' && !stateDict.has(t.torchName)).map((t) => t.torchName);
  const unexpected = [...stateDict.keys()].filter((k) => !known.has(k));
  const mismatched = layout.tensors.filter((t) => {
    const got = stateDict.get(t.torchName);
    return got && got.shape.join(',') !== t.torchShape.join(',');
  });
  if (missing.length || unexpected.length || mismatched.length) {
    // Unexpected keys come from the file: at most MAX_LISTED_KEYS of them, each quoted safely.
    const quote = (keys: string[]) =>
      keys.slice(0, MAX_LISTED_KEYS).map((k) => `"${fromFile(k)}"`).join(', ') + (keys.length > MAX_LISTED_KEYS ? ` and ${keys.length - MAX_LISTED_KEYS} more` : '');
    const lines = [
      missing.length ? `Missing key(s) in state_dict: ${quote(missing)}.` : '',
      unexpected.length ? `Unexpected key(s) in state_dict: ${quote(unexpected)}.` : '',
      ...mismatched.map((t) => `size mismatch for ${t.torchName}: copying a param with shape ${torchSize(stateDict.get(t.torchName)!.shape)} from checkpoint, the shape in current model is ${torchSize(t.torchShape)}.`),
    ].filter(Boolean);
    throw new BundleError(
      `the weights do not fit this model. Error(s) in loading state_dict for Sequential:\n\t${lines.join('\n\t')}\n` +
        `Set up the model the file was saved from in the Model cell (same layers and dataset), or choose another file. ${NOTHING_LOADED}`,
      { entry: fromFile(missing[0] ?? unexpected[0] ?? mismatched[0].torchName) },
    );
  }
  const counters = layout.tensors.filter((t) => t.role === 'counter' && stateDict.has(t.torchName));
  for (const t of counters) {
    const got = stateDict.get(t.torchName)!;
    if (!INT_DTYPES.includes(got.dtype)) throw new BundleError(`${t.torchName} has dtype ${got.dtype}, not an integer count. The file is corrupt; re-save it. ${NOTHING_LOADED}`, { entry: t.torchName });
  }
  const convert = (t: TorchTensor): TensorEntry => ({
    name: t.ourName!,
    shape: [...t.ourShape],
    dtype: 'float32',
    data: t.fromTorch(finiteFloat32(t.torchName, stateDict.get(t.torchName)!)),
  });
  return [...layout.params.map(convert), ...layout.tensors.filter((t) => t.role === 'buffer').map(convert)];
}
