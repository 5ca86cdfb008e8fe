/**
 * Which checkpoints to keep. Pure, so the rules are unit-tested in Node; store.ts applies the plan.
 * Order is the manifest's (oldest first), not createdAt, because clocks can step backwards.
 */
import type { CheckpointMeta } from '../shared/checkpoint';

export interface RetentionPlan {
  /** ids to keep, in manifest order. */
  keep: string[];
  /** ids to delete, in manifest order. */
  remove: string[];
}

/**
 * Keeps the last `keepLast` periodic/manual checkpoints, the latest `best`, the latest `final`, and
 * always the newest checkpoint of any kind (the last good one, which resume depends on).
 * @param metas the manifest's checkpoints, oldest first
 * @param keepLast how many periodic/manual checkpoints to keep; an integer ≥ 0
 */
export function planRetention(metas: readonly CheckpointMeta[], keepLast: number): RetentionPlan {
  if (!Number.isInteger(keepLast) || keepLast < 0) {
    throw new RangeError(`keepLast must be an integer ≥ 0, got ${keepLast}`);
  }
  const keep = new Set<string>();
  const rolling = metas.filter((m) => m.kind === 'periodic' || m.kind === 'manual');
  for (const m of rolling.slice(Math.max(0, rolling.length - keepLast))) keep.add(m.id);
  addLatest(keep, metas, 'best');
  addLatest(keep, metas, 'final');
  if (metas.length > 0) keep.add(metas[metas.length - 1].id);
  return split(metas, keep);
}

/**
 * The plan used when storage is full: drop every periodic checkpoint but the newest one. Manual,
 * best and final checkpoints stay (the user or the run chose them), and so does the newest of any kind.
 * @param metas the manifest's checkpoints, oldest first
 */
export function planEmergencyRetention(metas: readonly CheckpointMeta[]): RetentionPlan {
  const keep = new Set(metas.filter((m) => m.kind !== 'periodic').map((m) => m.id));
  addLatest(keep, metas, 'periodic');
  if (metas.length > 0) keep.add(metas[metas.length - 1].id);
  return split(metas, keep);
}

function addLatest(keep: Set<string>, metas: readonly CheckpointMeta[], kind: CheckpointMeta['kind']): void {
  for (let i = metas.length - 1; i >= 0; i--) {
    if (metas[i].kind === kind) {
      keep.add(metas[i].id);
      return;
    }
  }
}

function split(metas: readonly CheckpointMeta[], keep: Set<string>): RetentionPlan {
  return {
    keep: metas.filter((m) => keep.has(m.id)).map((m) => m.id),
    remove: metas.filter((m) => !keep.has(m.id)).map((m) => m.id),
  };
}
