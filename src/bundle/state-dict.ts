/**
 * A PyTorch state dict mapped onto a model's TorchModel (from its family): the checks
 * load_state_dict(strict=True) makes, with PyTorch's wording, and the conversion to our names and
 * layouts. Family-independent: the family says which keys exist and how each maps.
 */
import type { TensorEntry } from '../shared/checkpoint';
import type { TorchModel, TorchTensor } from '../families/contract';
import { BundleError, NOTHING_LOADED, fromFile } from './bundle-error';
import type { DType, TensorRecord } from './tensor';

/** The most unexpected keys one refusal lists; a hostile file can hold millions. */
const MAX_LISTED_KEYS = 20;

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
 * @param layout the model's TorchModel (its family's torch(spec, io))
 * @throws BundleError listing missing and unexpected keys and size mismatches, or a bad dtype/value
 */
export function stateDictToTensors(stateDict: ReadonlyMap<string, StateDictTensor>, layout: Pick<TorchModel, 'tensors' | 'params'>): TensorEntry[] {
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
