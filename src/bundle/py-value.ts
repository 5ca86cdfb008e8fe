/*
 * The plain JS values a checkpoint pickle decodes to, and the writer accepts.
 *
 *   Python          JS
 *   None            null
 *   bool            boolean
 *   int             number (safe integer) or bigint (outside +-2^53)
 *   float           number; the writer emits an integral number as int, so wrap as `new PyFloat(1)` to force float
 *   str             string
 *   list            mutable array
 *   tuple           frozen array (`tuple(...)`, `isTuple`)
 *   dict            PyDict (a Map; keys may be ints, e.g. optimizer `state`), `ordered` marks collections.OrderedDict
 *   torch.Tensor    PyTensor (contiguous row-major copy of the view)
 *   torch.device / torch.<dtype>   TorchRef (read only; the writer refuses them)
 *
 * Maps are used rather than objects because JS objects move integer-like keys first and Python keeps
 * insertion order. Floats decode to plain numbers, so `1.0` reads back as `1`: a decode->encode round
 * trip writes such a value as an int unless the caller wraps it in PyFloat.
 */
import type { DType, TensorData } from './tensor';

export type PyKey = string | number | bigint | boolean | null;

export type PyValue =
  | null | boolean | number | bigint | string | PyFloat
  | PyValue[] | readonly PyValue[]
  | PyDict | PyTensor | TorchRef;

/** A dict; `ordered` is true for `collections.OrderedDict` (what `state_dict()` returns). */
export class PyDict extends Map<PyKey, PyValue> {
  ordered: boolean;
  /** The `_metadata` attribute torch attaches to module state dicts (kept on read, not written). */
  metadata?: PyValue;

  constructor(entries?: Iterable<readonly [PyKey, PyValue]>, ordered = false) {
    super(entries);
    this.ordered = ordered;
  }
}

/** Forces a number to be written as a Python float (BINFLOAT), e.g. `lr: new PyFloat(1)`. */
export class PyFloat {
  constructor(readonly value: number) {}
  valueOf(): number {
    return this.value;
  }
}

/** A tensor value inside a checkpoint: row-major `data`, `shape` [] for 0-d. */
export class PyTensor {
  constructor(
    readonly dtype: DType,
    readonly shape: number[],
    readonly data: TensorData,
  ) {}
}

/** A torch.device or torch.dtype object found in a (torch 2.x) checkpoint. */
export class TorchRef {
  constructor(
    readonly kind: 'device' | 'dtype',
    readonly value: string,
  ) {}
}

/** Builds a Python tuple (a frozen array). */
export const tuple = (...items: PyValue[]): readonly PyValue[] => Object.freeze(items);

export const isTuple = (v: unknown): v is readonly PyValue[] => Array.isArray(v) && Object.isFrozen(v);

/** Key lookup that accepts JS `string` paths for int keys too: `getPath(root, 'state', 0, 'step')`. */
export function getPath(root: PyValue, ...path: PyKey[]): PyValue | undefined {
  let node: PyValue | undefined = root;
  for (const key of path) {
    if (node instanceof PyDict) node = node.get(key);
    else if (Array.isArray(node) && typeof key === 'number') node = node[key];
    else return undefined;
  }
  return node;
}
