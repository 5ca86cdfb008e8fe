import type { CheckpointMeta } from '../shared/checkpoint';

/** Each kind of save in words (accessible names say "best checkpoint at epoch 3"). */
export const KIND_TEXT = { periodic: 'periodic', best: 'best', final: 'final', manual: 'manual' } as const;
/** As the tables show a kind: a 'best' save was the best when it was written; the badge says which one is the lowest now. */
export const KIND_SHOWN = { ...KIND_TEXT, best: 'improved' } as const;

/**
 * The id of the checkpoint with the lowest validation loss (the earliest of equal ones), or null
 * when none has one. The "best" badge goes there, whatever kind of save wrote it: a periodic or
 * final save can hold a lower loss than the last 'best' save that retention kept.
 */
export function lowestValLoss(metas: readonly CheckpointMeta[]): string | null {
  let best: CheckpointMeta | null = null;
  for (const m of metas) if (Number.isFinite(m.valLoss) && (best === null || m.valLoss < best.valLoss)) best = m;
  return best?.id ?? null;
}
