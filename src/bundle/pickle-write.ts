/*
 * Pickle protocol-2 writer for `data.pkl`, following pt-format.md §7.2 (no memo):
 *
 *   file    := 80 02 value 2E
 *   None 4E | True 88 | False 89 | int32 4A i32 | other int 8A n bytes(n) | float 47 f64-big-endian
 *   str     58 u32(len) utf8 | tuple 28 value* 74 | list 5D [28 value+ 65] | dict 7D [28 (k v)+ 75]
 *   OrderedDict  63 "collections\nOrderedDict\n" 29 52 [28 (k v)+ 75]
 *   tensor  63 "torch._utils\n_rebuild_tensor_v2\n" 28
 *             28 "storage" 63 "torch\n<X>Storage\n" "<key>" "cpu" numel 74 51
 *             0 (size…) (stride…) 89 OrderedDict() 74 52
 *
 * Every tensor gets its own storage, keyed "0", "1", … in emission order. Only globals that
 * torch.load(weights_only=True) allows are written. Python floats make torch 1.13's weights_only
 * loader fail (it lacks BINFLOAT); plain torch.load and torch 2.x read them.
 */
import { BundleError } from './bundle-error';
import { PyDict, PyFloat, PyTensor, TorchRef, isTuple, type PyValue } from './py-value';
import { DTYPES, product, toStorageBytes } from './tensor';

/** Deeper nesting than this is certainly a mistake (and would overflow the JS stack). */
const MAX_DEPTH = 1000;

export interface PickledObject {
  /** The `data.pkl` bytes. */
  pickle: Uint8Array;
  /** Storage record bytes; index i is written as `data/<i>`. */
  storages: Uint8Array[];
}

class ByteSink {
  private buf = new Uint8Array(1024);
  length = 0;

  private reserve(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.length + n));
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
  }
  bytes(...values: number[]): void {
    this.reserve(values.length);
    for (const v of values) this.buf[this.length++] = v;
  }
  raw(data: Uint8Array): void {
    this.reserve(data.length);
    this.buf.set(data, this.length);
    this.length += data.length;
  }
  u32(v: number): void {
    this.bytes(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff);
  }
  result(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

const encoder = new TextEncoder();

function unwritable(what: string): BundleError {
  return new BundleError(`cannot write ${what} into a .pt file. Convert it to a number, string, list, dict or tensor first.`);
}

/** Pickles `root` as torch.save would (protocol 2) and collects the tensors' storages. */
export function pickleObject(root: PyValue): PickledObject {
  const out = new ByteSink();
  const storages: Uint8Array[] = [];
  const active = new Set<object>();

  const str = (s: string) => {
    const b = encoder.encode(s);
    out.bytes(0x58);
    out.u32(b.length);
    out.raw(b);
  };
  const global = (module: string, name: string) => {
    out.bytes(0x63);
    out.raw(encoder.encode(`${module}\n${name}\n`));
  };
  const emptyOrderedDict = () => {
    global('collections', 'OrderedDict');
    out.bytes(0x29, 0x52);
  };

  const int = (v: number | bigint) => {
    const big = BigInt(v);
    if (big >= -(2n ** 31n) && big < 2n ** 31n) {
      out.bytes(0x4a);
      out.u32(Number(big) >>> 0);
      return;
    }
    const bytes: number[] = [];
    let x = big;
    // Minimal two's complement: stop once the remaining value is the sign extension of the last byte.
    while (!(bytes.length > 0 && ((x === 0n && !(bytes[bytes.length - 1] & 0x80)) || (x === -1n && bytes[bytes.length - 1] & 0x80)))) {
      bytes.push(Number(x & 0xffn));
      x >>= 8n;
    }
    if (bytes.length > 255) throw unwritable('an integer wider than 255 bytes');
    out.bytes(0x8a, bytes.length, ...bytes);
  };
  const float = (v: number) => {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setFloat64(0, v, false);
    out.bytes(0x47);
    out.raw(b);
  };

  const tensor = (t: PyTensor) => {
    const info = DTYPES[t.dtype];
    if (!info?.storage) throw unwritable(`a ${t.dtype} tensor (torch 1.13 has no storage class for it)`);
    const numel = product(t.shape);
    if (!t.shape.every((d) => Number.isSafeInteger(d) && d >= 0) || t.data.length !== numel) {
      throw unwritable(`a tensor of shape [${t.shape}] holding ${t.data.length} elements`);
    }
    const key = String(storages.length);
    storages.push(toStorageBytes(t.dtype, t.data));
    const strides = t.shape.map((_, i) => product(t.shape.slice(i + 1)));
    global('torch._utils', '_rebuild_tensor_v2');
    out.bytes(0x28, 0x28);
    str('storage');
    global('torch', info.storage);
    str(key);
    str('cpu');
    int(numel);
    out.bytes(0x74, 0x51);
    int(0);
    intTuple(t.shape);
    intTuple(strides);
    out.bytes(0x89);
    emptyOrderedDict();
    out.bytes(0x74, 0x52);
  };
  const intTuple = (values: number[]) => {
    out.bytes(0x28);
    values.forEach(int);
    out.bytes(0x74);
  };

  const value = (v: PyValue, depth: number): void => {
    if (depth > MAX_DEPTH) throw unwritable(`values nested more than ${MAX_DEPTH} levels deep`);
    if (v === null) return out.bytes(0x4e);
    if (v === true) return out.bytes(0x88);
    if (v === false) return out.bytes(0x89);
    if (typeof v === 'bigint') return int(v);
    if (typeof v === 'number') return Number.isSafeInteger(v) && !Object.is(v, -0) ? int(v) : float(v);
    if (typeof v === 'string') return str(v);
    if (v instanceof PyFloat) return float(v.value);
    if (v instanceof PyTensor) return tensor(v);
    if (v instanceof TorchRef) throw unwritable(`torch.${v.kind} ${v.value}`);
    if (typeof v !== 'object') throw unwritable(`a value of type ${typeof v}`);
    if (active.has(v)) throw unwritable('a container that contains itself');
    active.add(v);
    if (Array.isArray(v)) container(v, depth, isTuple(v) ? 'tuple' : 'list');
    else if (v instanceof PyDict) dict(v, depth);
    else throw unwritable('a plain object (use PyDict, a Map)');
    active.delete(v);
  };
  const container = (items: readonly PyValue[], depth: number, kind: 'tuple' | 'list') => {
    if (kind === 'list') out.bytes(0x5d);
    if (kind === 'list' && items.length === 0) return;
    out.bytes(0x28);
    for (const item of items) value(item, depth + 1);
    out.bytes(kind === 'tuple' ? 0x74 : 0x65);
  };
  const dict = (d: PyDict, depth: number) => {
    if (d.ordered) emptyOrderedDict();
    else out.bytes(0x7d);
    if (d.size === 0) return;
    out.bytes(0x28);
    for (const [k, item] of d) {
      if (typeof k === 'object' && k !== null) throw unwritable('a dict key that is not a string, number or bool');
      value(k, depth + 1);
      value(item, depth + 1);
    }
    out.bytes(0x75);
  };

  out.bytes(0x80, 0x02);
  value(root, 0);
  out.bytes(0x2e);
  return { pickle: out.result(), storages };
}
