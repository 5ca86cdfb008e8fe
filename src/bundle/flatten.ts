/*
 * Flat tensor lists <-> nested checkpoint values. Names join dict keys and list indices with dots,
 * the way a PyTorch state dict names parameters (`0.weight`, `optimizer_state_dict.state.0.exp_avg`).
 * A tensor at the root has the name ''.
 */
import { PyDict, PyTensor, type PyValue } from './py-value';
import type { TensorRecord } from './tensor';

/** Every tensor in `root`, depth first in insertion order. A tensor reached twice is listed twice. */
export function flattenTensors(root: PyValue): TensorRecord[] {
  const out: TensorRecord[] = [];
  const visit = (v: PyValue | undefined, name: string) => {
    if (v instanceof PyTensor) {
      out.push({ name, dtype: v.dtype, shape: v.shape, data: v.data });
    } else if (v instanceof PyDict) {
      for (const [k, child] of v) visit(child, name ? `${name}.${String(k)}` : String(k));
    } else if (Array.isArray(v)) {
      v.forEach((child, i) => visit(child, name ? `${name}.${i}` : String(i)));
    }
  };
  visit(root, '');
  return out;
}

/** A flat state dict (an ordered PyDict, as `module.state_dict()` returns) holding `tensors` by name. */
export function stateDictFromTensors(tensors: readonly TensorRecord[]): PyDict {
  return new PyDict(tensors.map((t) => [t.name, new PyTensor(t.dtype, t.shape, t.data)] as const), true);
}
