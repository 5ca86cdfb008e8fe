/*
 * The allow-list of pickle GLOBALs (spec pt-format.md §6.2) and what REDUCE does with each.
 * A GLOBAL is matched by exact `module` + `name` strings when the opcode is read; nothing is ever
 * imported, looked up or executed. Anything else is refused at the GLOBAL opcode, before any REDUCE.
 */
import { BundleError, NOTHING_LOADED, fromFile } from './bundle-error';
import { MAX_RANK, spend, type DecodeBudget } from './limits';
import { PyDict, PyTensor, TorchRef, isTuple, type PyValue } from './py-value';
import { DTYPES, checkView, decodedBytes, dtypeOfStorage, isDType, materialize, product, type DType } from './tensor';

/** A resolved, allow-listed global. `storage` carries the dtype a storage class stands for. */
export type GlobalRef =
  | { kind: 'global'; fn: 'OrderedDict' | 'rebuild_v2' | 'rebuild' | 'rebuild_v3' | 'parameter' | 'device' | 'Size'; label: string }
  | { kind: 'global'; fn: 'storage'; dtype: DType | 'untyped'; label: string };

/** A storage loaded through BINPERSID: its record bytes and how many elements of `dtype` it holds. */
export interface StorageRef {
  kind: 'storage';
  key: string;
  dtype: DType | 'untyped';
  numel: number;
  bytes: Uint8Array;
}

const CALLABLES: Record<string, GlobalRef['fn']> = {
  'collections.OrderedDict': 'OrderedDict',
  'torch._utils._rebuild_tensor_v2': 'rebuild_v2',
  'torch._utils._rebuild_tensor': 'rebuild',
  'torch._utils._rebuild_tensor_v3': 'rebuild_v3',
  'torch._utils._rebuild_parameter': 'parameter',
  'torch._utils._rebuild_parameter_with_state': 'parameter',
  'torch.device': 'device',
  'torch.Size': 'Size',
};

/** GLOBAL `module.name` outside the allow-list; both parts come from the file, so they are quoted safely. */
export function forbiddenGlobal(label: string): BundleError {
  const shown = fromFile(label);
  return new BundleError(
    `data.pkl refers to the Python global '${shown}', which a checkpoint never needs (only tensor and container types are allowed): ` +
      `loading it could run code. This file may be malicious; do not open it with torch.load(weights_only=False). ${NOTHING_LOADED}`,
    { entry: shown },
  );
}

function unsupported(what: string): BundleError {
  return new BundleError(`unsupported tensor kind: ${what}. Save plain dense CPU tensors (tensor.contiguous().cpu()). ${NOTHING_LOADED}`);
}

/** Resolves a GLOBAL opcode to an allow-listed reference or a plain value (torch dtypes). */
export function resolveGlobal(module: string, name: string): GlobalRef | TorchRef {
  const label = `${module}.${name}`;
  const fn = CALLABLES[label];
  if (fn) return { kind: 'global', fn, label } as GlobalRef;
  if (module === 'torch' || module === 'torch.cuda') {
    const dtype = dtypeOfStorage(name);
    if (dtype) return { kind: 'global', fn: 'storage', dtype, label };
  }
  if (label === 'torch.storage.UntypedStorage') return { kind: 'global', fn: 'storage', dtype: 'untyped', label };
  if (module === 'torch' && isDType(name)) return new TorchRef('dtype', name);
  throw forbiddenGlobal(label);
}

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v);
const isIntTuple = (v: unknown): v is number[] => isTuple(v) && v.every(isInt);

function forbiddenCall(what: string): BundleError {
  return new BundleError(`data.pkl performs a forbidden operation (${what}). This file may be malicious; nothing was loaded.`, { entry: what });
}

/**
 * REDUCE: applies an allow-listed callable to its argument tuple. The pickle memo lets a file pass
 * one big argument tuple to many REDUCEs for a few bytes each, so every element looked at is paid
 * for from `budget` before it is looked at: the work stays proportional to the file's size.
 */
export function callGlobal(fn: GlobalRef, args: readonly unknown[], budget: DecodeBudget): PyValue {
  spend(budget, 1 + args.length + argumentSize(fn, args), 'arguments of shared tensor and dict constructors', 'data.pkl');
  switch (fn.fn) {
    case 'OrderedDict': return makeOrderedDict(args);
    case 'rebuild_v2': return rebuildTensor(args, 6, undefined, budget);
    case 'rebuild': return rebuildTensor(args, 4, undefined, budget);
    case 'rebuild_v3': {
      const dtype = args[6];
      if (!(dtype instanceof TorchRef) || dtype.kind !== 'dtype') throw unsupported('_rebuild_tensor_v3 without a dtype');
      return rebuildTensor([...args.slice(0, 6), ...args.slice(7)], 6, dtype.value as DType, budget);
    }
    case 'parameter': {
      if (!(args[0] instanceof PyTensor)) throw forbiddenCall(`${fn.label} on a non-tensor`);
      return args[0];
    }
    case 'device': {
      const [type, index] = args;
      if (typeof type !== 'string' || args.length > 2 || (args.length === 2 && !isInt(index))) throw forbiddenCall('torch.device with bad arguments');
      return new TorchRef('device', args.length === 2 ? `${type}:${index}` : type);
    }
    case 'Size': {
      if (args.length !== 1 || !isIntTuple(args[0])) throw forbiddenCall('torch.Size with bad arguments');
      return args[0];
    }
    case 'storage':
      throw forbiddenCall(`call of storage class ${fn.label}`);
  }
}

/** Elements inside the arguments that `callGlobal` walks: OrderedDict's pairs, a tensor's size and stride. */
function argumentSize(fn: GlobalRef, args: readonly unknown[]): number {
  const length = (v: unknown) => (Array.isArray(v) ? v.length : 0);
  switch (fn.fn) {
    case 'OrderedDict': return length(args[0]) * 3; // each pair: the pair, its key, its value
    case 'rebuild_v2': case 'rebuild': case 'rebuild_v3': return length(args[2]) + length(args[3]);
    case 'Size': return length(args[0]);
    default: return 0;
  }
}

function makeOrderedDict(args: readonly unknown[]): PyDict {
  const dict = new PyDict(undefined, true);
  if (args.length === 0) return dict;
  const [pairs] = args;
  if (args.length !== 1 || !Array.isArray(pairs)) throw forbiddenCall('OrderedDict with bad arguments');
  for (const pair of pairs) {
    if (!Array.isArray(pair) || pair.length !== 2) throw forbiddenCall('OrderedDict with bad arguments');
    const [k, v] = pair;
    if (!(k === null || ['string', 'number', 'bigint', 'boolean'].includes(typeof k))) throw forbiddenCall('OrderedDict with an unhashable key');
    dict.set(k, v);
  }
  return dict;
}

/**
 * `_rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks[, metadata])` and friends:
 * validates the view against the storage and gathers it into a contiguous typed array.
 */
function rebuildTensor(args: readonly unknown[], arity: number, v3dtype: DType | undefined, budget: DecodeBudget): PyTensor {
  const [storage, offset, size, stride] = args;
  if (args.length < arity || args.length > arity + 1) throw forbiddenCall(`tensor rebuild with ${args.length} arguments`);
  const meta = args[arity];
  if (args.length > arity && meta !== null && !(meta instanceof PyDict && meta.size === 0)) {
    throw unsupported('tensor with conj/neg or other metadata');
  }
  if (!isStorage(storage)) throw forbiddenCall('tensor rebuild without a storage');
  if (Array.isArray(size) && size.length > MAX_RANK) throw unsupported(`a tensor with ${size.length} dimensions (at most ${MAX_RANK})`);
  if (!isInt(offset) || !isIntTuple(size) || !isIntTuple(stride)) {
    throw new BundleError(`a tensor in data.pkl has a malformed size, stride or offset; the file is corrupt. ${NOTHING_LOADED}`, { entry: `data/${storage.key}` });
  }
  let dtype: DType;
  let numel = storage.numel;
  if (storage.dtype === 'untyped') {
    if (!v3dtype || !isDType(v3dtype)) throw unsupported(`dtype ${v3dtype ?? 'unknown'} on an untyped storage`);
    dtype = v3dtype;
    numel = Math.floor(storage.numel / DTYPES[dtype].itemsize);
  } else {
    dtype = storage.dtype;
    if (v3dtype && v3dtype !== dtype) throw unsupported(`dtype ${v3dtype} on a ${dtype} storage`);
  }
  const view = { dtype, offset, shape: [...size], stride: [...stride] };
  try {
    checkView(view, numel);
  } catch (err) {
    if (err instanceof BundleError) throw new BundleError(err.message, { entry: `data/${storage.key}` });
    throw err;
  }
  const cost = decodedBytes(dtype, product(view.shape));
  if (cost > budget.remainingBytes) {
    throw new BundleError(
      `tensors in data.pkl would need more memory than the file size justifies (views repeat storage data too often). ` +
        `The file is corrupt or hostile: export the checkpoint again, or choose another file. ${NOTHING_LOADED}`,
      { entry: `data/${storage.key}` },
    );
  }
  budget.remainingBytes -= cost;
  return new PyTensor(dtype, view.shape, materialize(view, storage.bytes));
}

export const isStorage = (v: unknown): v is StorageRef =>
  typeof v === 'object' && v !== null && (v as StorageRef).kind === 'storage';

export const isGlobal = (v: unknown): v is GlobalRef =>
  typeof v === 'object' && v !== null && (v as GlobalRef).kind === 'global';
