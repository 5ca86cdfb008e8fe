/*
 * Flat tensor lists <-> nested checkpoint values. Names join dict keys and list indices with dots,
 * the way a PyTorch state dict names parameters (`0.weight`, `optimizer_state_dict.state.0.exp_avg`).
 * A tensor at the root has the name ''.
 */
import { expandsTooMuch } from './limits';
import { PyDict, PyTensor, type PyValue } from './py-value';
import type { TensorRecord } from './tensor';

/**
 * Every tensor in `root`, depth first in insertion order. A tensor reached twice is listed twice.
 * Iterative; a subtree without tensors is walked once however often it is shared, and the records
 * and name characters produced are capped by `maxUnits` (a DAG of shared lists names 2^depth paths).
 * The data bytes of all records together are capped by `maxBytes`: whoever reads a state dict
 * converts (copies) each named tensor, so one tensor under a thousand names costs a thousand copies.
 * @throws BundleError once the output would pass `maxUnits` or `maxBytes`
 */
export function flattenTensors(root: PyValue, maxUnits = Infinity, maxBytes = Infinity): TensorRecord[] {
  const out: TensorRecord[] = [];
  const hasTensors = tensorHolders(root);
  let units = 0;
  let bytes = 0;
  const todo: Array<[PyValue | undefined, string]> = [[root, '']];
  while (todo.length) {
    const [v, name] = todo.pop()!;
    if (v instanceof PyTensor) {
      units += 1 + name.length;
      if (units > maxUnits) throw expandsTooMuch('tensors reached along too many paths');
      bytes += v.data.byteLength;
      if (bytes > maxBytes) throw expandsTooMuch('the same tensor data under too many names');
      out.push({ name, dtype: v.dtype, shape: v.shape, data: v.data });
      continue;
    }
    if (!hasTensors.has(v as object)) continue;
    const children: Array<[PyValue | undefined, string]> = [];
    if (v instanceof PyDict) for (const [k, child] of v) children.push([child, name ? `${name}.${String(k)}` : String(k)]);
    else if (Array.isArray(v)) v.forEach((child, i) => children.push([child, name ? `${name}.${i}` : String(i)]));
    for (let i = children.length - 1; i >= 0; i--) todo.push(children[i]);
  }
  return out;
}

/** The containers of `root` that hold a tensor somewhere below them, each object visited once. */
function tensorHolders(root: PyValue): Set<object> {
  const holders = new Set<object>();
  const seen = new Set<object>();
  const order: object[] = [];
  const todo: unknown[] = [root];
  while (todo.length) {
    const v = todo.pop();
    if (!(v instanceof PyDict) && !Array.isArray(v)) continue;
    if (seen.has(v)) continue;
    seen.add(v);
    order.push(v);
    for (const child of v instanceof PyDict ? v.values() : v) todo.push(child);
  }
  // Children are pushed after their parents; deciding in reverse settles every child first
  // (finish() in pickle-read.ts has already refused cycles).
  for (let i = order.length - 1; i >= 0; i--) {
    const v = order[i];
    for (const child of v instanceof PyDict ? (v as PyDict).values() : (v as PyValue[])) {
      if (child instanceof PyTensor || holders.has(child as object)) {
        holders.add(v);
        break;
      }
    }
  }
  return holders;
}

/** A flat state dict (an ordered PyDict, as `module.state_dict()` returns) holding `tensors` by name. */
export function stateDictFromTensors(tensors: readonly TensorRecord[]): PyDict {
  return new PyDict(tensors.map((t) => [t.name, new PyTensor(t.dtype, t.shape, t.data)] as const), true);
}
