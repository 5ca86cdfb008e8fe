/**
 * Plain data <-> Python values for the bundle, and checked reads that name the key at fault.
 */
import { BundleError, NOTHING_LOADED, fromFile } from './bundle-error';
import { spend, unlimitedBudget, type DecodeBudget } from './limits';
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

interface Frame {
  /** Where this container sits in its parent (the root frame's is `label`). */
  key: string;
  entries: Array<[PyKey, PyValue]>;
  next: number;
  out: Record<string, unknown> | unknown[];
}

/**
 * The inverse of toPy; refuses tensors, non-string keys and `__proto__`. A list or dict the file
 * shares along many paths (pickle memo) becomes a separate copy on each path, so every value and
 * string character produced is paid for from `budget`: a few hundred bytes of shared lists cannot
 * become a config of gigabytes. Iterative (finish() in pickle-read.ts bounds the depth).
 * @throws BundleError naming the key at fault, or saying the value expands too much
 */
export function fromPy(root: PyValue, label: string, budget: DecodeBudget = unlimitedBudget()): unknown {
  const frames: Frame[] = [];
  const labelAt = (key?: PyKey) => [...frames.map((f) => f.key), ...(key === undefined ? [] : [String(key)])].join('.') || label;
  const convert = (v: PyValue, key: string): unknown => {
    spend(budget, 1 + (typeof v === 'string' ? v.length : 0), `the ${label} holds more values than a file of this size can`, label);
    if (v === null || typeof v === 'string' || typeof v === 'boolean' || typeof v === 'number') return v;
    if (v instanceof PyFloat) return v.value;
    if (Array.isArray(v)) {
      const out: unknown[] = [];
      frames.push({ key, entries: v.map((x, i) => [i, x]), next: 0, out });
      return out;
    }
    if (v instanceof PyDict) {
      const out: Record<string, unknown> = {};
      frames.push({ key, entries: [...v], next: 0, out });
      return out;
    }
    throw bad(labelAt(frames.length ? key : undefined), 'not plain data (number, string, list or dict)');
  };
  const result = convert(root, label);
  while (frames.length) {
    const f = frames[frames.length - 1];
    if (f.next === f.entries.length) {
      frames.pop();
      continue;
    }
    const [k, x] = f.entries[f.next++];
    if (Array.isArray(f.out)) {
      f.out.push(convert(x, String(k)));
    } else {
      if (typeof k !== 'string' || k === '__proto__') throw bad(labelAt(k), 'not a plain string key');
      f.out[k] = convert(x, k);
    }
  }
  return result;
}

export function int64(xs: ArrayLike<number>): PyTensor {
  return new PyTensor('int64', [xs.length], BigInt64Array.from(Array.from(xs), (x) => BigInt(x)));
}

export function bad(entry: string, what: string): BundleError {
  const shown = fromFile(entry, 200); // keys come from the file
  return new BundleError(`the bundle's ${shown} is ${what}. The file is corrupt or was not written by Tab Trainer; export it again. ${NOTHING_LOADED}`, { entry: shown });
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
