/**
 * Plain data <-> Python values for the bundle, and checked reads that name the key at fault.
 */
import { BundleError, NOTHING_LOADED } from './bundle-error';
import { PyDict, PyFloat, PyTensor, getPath, type PyKey, type PyValue } from './py-value';

export const float = (x: number) => new PyFloat(x);
export const dict = (entries: [string, PyValue][]) => new PyDict(entries);

/** JSON-like data as Python values: objects become dicts (undefined fields left out), arrays lists. */
export function toPy(v: unknown): PyValue {
  if (v === null || typeof v === 'string' || typeof v === 'boolean' || typeof v === 'number') return v;
  if (Array.isArray(v)) return v.map(toPy);
  if (typeof v === 'object') return new PyDict(Object.entries(v).filter(([, x]) => x !== undefined).map(([k, x]) => [k, toPy(x)]));
  throw new BundleError(`cannot export a ${typeof v} value in the config.`);
}

/** The inverse of toPy; refuses tensors, non-string keys and `__proto__`. */
export function fromPy(v: PyValue, label: string): unknown {
  if (v === null || typeof v === 'string' || typeof v === 'boolean' || typeof v === 'number') return v;
  if (v instanceof PyFloat) return v.value;
  if (Array.isArray(v)) return v.map((x, i) => fromPy(x, `${label}.${i}`));
  if (v instanceof PyDict) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of v) {
      if (typeof k !== 'string' || k === '__proto__') throw bad(`${label}.${String(k)}`, 'not a plain string key');
      out[k] = fromPy(x, `${label}.${k}`);
    }
    return out;
  }
  throw bad(label, 'not plain data (number, string, list or dict)');
}

export function int64(xs: ArrayLike<number>): PyTensor {
  return new PyTensor('int64', [xs.length], BigInt64Array.from(Array.from(xs), (x) => BigInt(x)));
}

export function bad(entry: string, what: string): BundleError {
  return new BundleError(`the bundle's ${entry} is ${what}. The file is corrupt or was not written by Tab Trainer; export it again. ${NOTHING_LOADED}`, { entry });
}

/** root[path…] if `ok` accepts it, else a BundleError naming the key. */
export function need(root: PyValue, path: PyKey[], ok: (v: PyValue) => boolean, expected: string, label = path.join('.')): PyValue {
  const v = path.length ? getPath(root, ...path) : root;
  if (v === undefined || !ok(v)) throw bad(label, v === undefined ? 'missing' : `not ${expected}`);
  return v;
}
export const needCount = (root: PyValue, path: PyKey[]) => need(root, path, (v) => Number.isSafeInteger(v) && (v as number) >= 0, 'a non-negative int') as number;
export const needNumber = (root: PyValue, path: PyKey[]) => Number(need(root, path, (v) => typeof v === 'number' || v instanceof PyFloat, 'a number'));
export const needString = (root: PyValue, path: PyKey[]) => need(root, path, (v) => typeof v === 'string', 'a string') as string;
