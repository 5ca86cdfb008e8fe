/** Layer-by-layer comparison of two model specs (a checkpoint's and the Model cell's), as their families describe them. */
import type { ModelSpec } from '../shared/config';
import { familyId, familyOf } from '../families';

export interface LayerDiff {
  /** 1-based layer number. */
  n: number;
  checkpoint: string | null;
  current: string | null;
  same: boolean;
}

/** One line per layer ("dense 16 relu"); a spec of another family is its own first difference. */
function lines(spec: ModelSpec): string[] {
  try {
    return familyOf(spec).describe(spec);
  } catch (e) {
    return [`${familyId(spec)} (${(e as Error).message})`];
  }
}

/** Every layer position of either model; empty when they are the same. */
export function diffModels(checkpoint: ModelSpec, current: ModelSpec): LayerDiff[] {
  const family = familyId(checkpoint) === familyId(current) ? [] : [`family ${familyId(checkpoint)}`, `family ${familyId(current)}`];
  const a = [...family.slice(0, 1), ...lines(checkpoint)];
  const b = [...family.slice(1), ...lines(current)];
  const rows: LayerDiff[] = [];
  for (let i = 0; i < Math.max(a.length, b.length); i++) rows.push({ n: i + 1, checkpoint: a[i] ?? null, current: b[i] ?? null, same: a[i] === b[i] });
  return rows.every((r) => r.same) ? [] : rows;
}
