/*
 * dtypes and storage layout.
 *
 * A torch storage record `data/<key>` is `numel x itemsize` raw little-endian bytes, no header.
 * A tensor is a view on it: element (i0..ik) is storage element `offset + sum(ij * stride[j])`.
 * Here a view is gathered into a fresh contiguous row-major typed array. float16 and bfloat16 are
 * widened to float32 on read (and narrowed, round-to-nearest-even, on write); int64 uses BigInt64Array;
 * bool is a Uint8Array of 0/1.
 */
import { BundleError, NOTHING_LOADED } from './bundle-error';

export type DType =
  | 'float32' | 'float64' | 'float16' | 'bfloat16'
  | 'int64' | 'int32' | 'int16' | 'int8' | 'uint8' | 'uint16' | 'bool';

export type TensorData =
  | Float32Array | Float64Array | BigInt64Array | Int32Array | Int16Array | Int8Array | Uint8Array | Uint16Array;

/** A dense tensor: row-major `data`, `shape` [] for a 0-d tensor. */
export interface TensorRecord {
  /** Dotted path in the checkpoint, e.g. `model_state_dict.0.weight`. */
  name: string;
  dtype: DType;
  shape: number[];
  data: TensorData;
}

interface DTypeInfo {
  /** Bytes per element in the file. */
  itemsize: number;
  /** torch legacy storage class (GLOBAL `torch <name>`); undefined for dtypes only torch 2.x can save. */
  storage?: string;
  safetensors: string;
}

export const DTYPES: Record<DType, DTypeInfo> = {
  float32: { itemsize: 4, storage: 'FloatStorage', safetensors: 'F32' },
  float64: { itemsize: 8, storage: 'DoubleStorage', safetensors: 'F64' },
  float16: { itemsize: 2, storage: 'HalfStorage', safetensors: 'F16' },
  bfloat16: { itemsize: 2, storage: 'BFloat16Storage', safetensors: 'BF16' },
  int64: { itemsize: 8, storage: 'LongStorage', safetensors: 'I64' },
  int32: { itemsize: 4, storage: 'IntStorage', safetensors: 'I32' },
  int16: { itemsize: 2, storage: 'ShortStorage', safetensors: 'I16' },
  int8: { itemsize: 1, storage: 'CharStorage', safetensors: 'I8' },
  uint8: { itemsize: 1, storage: 'ByteStorage', safetensors: 'U8' },
  uint16: { itemsize: 2, safetensors: 'U16' },
  bool: { itemsize: 1, storage: 'BoolStorage', safetensors: 'BOOL' },
};

const BY_STORAGE = new Map(Object.entries(DTYPES).filter(([, i]) => i.storage).map(([d, i]) => [i.storage!, d as DType]));
const BY_SAFETENSORS = new Map(Object.entries(DTYPES).map(([d, i]) => [i.safetensors, d as DType]));

export const dtypeOfStorage = (storageClass: string): DType | undefined => BY_STORAGE.get(storageClass);
export const dtypeOfSafetensors = (code: string): DType | undefined => BY_SAFETENSORS.get(code);
export const isDType = (name: string): name is DType => Object.hasOwn(DTYPES, name);

/** Allocates the typed array that holds `numel` decoded elements of `dtype`. */
export function allocate(dtype: DType, numel: number): TensorData {
  switch (dtype) {
    case 'float32': case 'float16': case 'bfloat16': return new Float32Array(numel);
    case 'float64': return new Float64Array(numel);
    case 'int64': return new BigInt64Array(numel);
    case 'int32': return new Int32Array(numel);
    case 'int16': return new Int16Array(numel);
    case 'int8': return new Int8Array(numel);
    case 'uint16': return new Uint16Array(numel);
    case 'uint8': case 'bool': return new Uint8Array(numel);
  }
}

/** Bytes the decoded typed array of `numel` elements takes in memory (float16 widens to 4). */
export const decodedBytes = (dtype: DType, numel: number) => numel * allocate(dtype, 0).BYTES_PER_ELEMENT;

export const product = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** Decodes IEEE half bits: sign bit 15, exponent bits 10-14, mantissa bits 0-9. */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 31) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

const f32 = new Float32Array(1);
const f32Bits = new Uint32Array(f32.buffer);

/** float32 -> half bits, round to nearest even (what torch's `.half()` does). */
export function floatToHalf(value: number): number {
  f32[0] = value;
  const x = f32Bits[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    const half = mant >> shift;
    const rest = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    return sign | (half + (rest > mid || (rest === mid && half & 1) ? 1 : 0));
  }
  let half = (e << 10) | (mant >> 13);
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && half & 1)) half++; // a carry into the exponent is still correct
  return sign | half;
}

/** float32 -> bfloat16 bits (the upper 16 bits), round to nearest even; NaN stays NaN. */
export function floatToBfloat16(value: number): number {
  f32[0] = value;
  const x = f32Bits[0];
  if (Number.isNaN(value)) return (x >>> 16) | 0x40;
  return ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff;
}

/** Reads element `i` of a little-endian storage into `out[j]`. */
function readerFor(dtype: DType, bytes: Uint8Array, out: TensorData): (i: number, j: number) => void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  switch (dtype) {
    case 'float32': return (i, j) => { out[j] = view.getFloat32(i * 4, true); };
    case 'float64': return (i, j) => { out[j] = view.getFloat64(i * 8, true); };
    case 'float16': return (i, j) => { out[j] = halfToFloat(view.getUint16(i * 2, true)); };
    case 'bfloat16': return (i, j) => { f32Bits[0] = view.getUint16(i * 2, true) << 16; out[j] = f32[0]; };
    case 'int64': return (i, j) => { out[j] = view.getBigInt64(i * 8, true); };
    case 'int32': return (i, j) => { out[j] = view.getInt32(i * 4, true); };
    case 'int16': return (i, j) => { out[j] = view.getInt16(i * 2, true); };
    case 'int8': return (i, j) => { out[j] = view.getInt8(i); };
    case 'uint16': return (i, j) => { out[j] = view.getUint16(i * 2, true); };
    case 'uint8': return (i, j) => { out[j] = bytes[i]; };
    case 'bool': return (i, j) => { out[j] = bytes[i] ? 1 : 0; };
  }
}

/** A strided view on a storage, as torch's `_rebuild_tensor_v2` describes it. */
export interface ViewSpec {
  dtype: DType;
  offset: number;
  shape: number[];
  stride: number[];
}

export function viewError(what: string): BundleError {
  return new BundleError(`a tensor view is out of bounds (${what}); the file is corrupt. Re-save the checkpoint. ${NOTHING_LOADED}`);
}

/**
 * Checks a view against its storage's element count: non-negative integer sizes/strides/offset,
 * same rank, last element inside the storage.
 */
export function checkView(view: ViewSpec, storageNumel: number): void {
  const { offset, shape, stride } = view;
  const ints = [offset, ...shape, ...stride];
  if (!ints.every((v) => Number.isSafeInteger(v) && v >= 0)) throw viewError('negative or non-integer size, stride or offset');
  if (shape.length !== stride.length) throw viewError(`size has ${shape.length} dims but stride has ${stride.length}`);
  if (shape.includes(0)) return;
  let last = offset;
  for (let d = 0; d < shape.length; d++) last += (shape[d] - 1) * stride[d];
  if (!Number.isSafeInteger(last) || last >= storageNumel) {
    throw viewError(`view reaches element ${last} of a ${storageNumel}-element storage`);
  }
}

/** Gathers a checked view from storage bytes into a new contiguous row-major typed array. */
export function materialize(view: ViewSpec, storage: Uint8Array): TensorData {
  const numel = product(view.shape);
  const out = allocate(view.dtype, numel);
  if (numel === 0) return out;
  const read = readerFor(view.dtype, storage, out);
  const rank = view.shape.length;
  const index = new Array<number>(rank).fill(0);
  let src = view.offset;
  for (let j = 0; j < numel; j++) {
    read(src, j);
    for (let d = rank - 1; d >= 0; d--) {
      index[d]++;
      src += view.stride[d];
      if (index[d] < view.shape[d]) break;
      src -= view.stride[d] * view.shape[d];
      index[d] = 0;
    }
  }
  return out;
}

/** Encodes a contiguous typed array as little-endian storage bytes of `dtype`. */
export function toStorageBytes(dtype: DType, data: TensorData): Uint8Array {
  const n = data.length;
  const bytes = new Uint8Array(n * DTYPES[dtype].itemsize);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < n; i++) {
    const v = data[i];
    switch (dtype) {
      case 'float32': view.setFloat32(i * 4, Number(v), true); break;
      case 'float64': view.setFloat64(i * 8, Number(v), true); break;
      case 'float16': view.setUint16(i * 2, floatToHalf(Number(v)), true); break;
      case 'bfloat16': view.setUint16(i * 2, floatToBfloat16(Number(v)), true); break;
      case 'int64': view.setBigInt64(i * 8, BigInt(v), true); break;
      case 'int32': view.setInt32(i * 4, Number(v), true); break;
      case 'int16': view.setInt16(i * 2, Number(v), true); break;
      case 'uint16': view.setUint16(i * 2, Number(v), true); break;
      case 'int8': view.setInt8(i, Number(v)); break;
      case 'uint8': bytes[i] = Number(v); break;
      case 'bool': bytes[i] = v ? 1 : 0; break;
    }
  }
  return bytes;
}
