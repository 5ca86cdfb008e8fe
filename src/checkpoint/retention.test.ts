import { describe, expect, it } from 'vitest';
import type { CheckpointKind, CheckpointMeta } from '../shared/checkpoint';
import { planEmergencyRetention, planRetention } from './retention';

/** Metas from a kind string such as "ppbpmf" (p periodic, b best, m manual, f final), oldest first. */
function metas(kinds: string): CheckpointMeta[] {
  const names: Record<string, CheckpointKind> = { p: 'periodic', b: 'best', m: 'manual', f: 'final' };
  return [...kinds].map((c, i) => ({
    id: `${i}${c}`,
    runId: 'r',
    kind: names[c],
    epoch: i,
    step: i * 10,
    valLoss: 1,
    sizeBytes: 1,
    createdAt: 0,
    backend: 'cpu',
  }));
}

describe('planRetention', () => {
  it('keeps the last K periodic/manual, the latest best and the latest final', () => {
    const plan = planRetention(metas('pbpbpmpbpf'), 2);
    expect(plan.keep).toEqual(['6p', '7b', '8p', '9f']);
    expect(plan.remove).toEqual(['0p', '1b', '2p', '3b', '4p', '5m']);
  });

  it('counts manual checkpoints with periodic ones', () => {
    expect(planRetention(metas('ppmpm'), 3)).toEqual({ keep: ['2m', '3p', '4m'], remove: ['0p', '1p'] });
  });

  it('keeps exactly K periodic + best + final over ten saves', () => {
    const plan = planRetention(metas('pppbpppppf'), 3);
    expect(plan.keep).toEqual(['3b', '6p', '7p', '8p', '9f']);
    expect(plan.remove).toEqual(['0p', '1p', '2p', '4p', '5p']);
  });

  it('never removes the newest checkpoint, even with keepLast 0', () => {
    expect(planRetention(metas('ppp'), 0)).toEqual({ keep: ['2p'], remove: ['0p', '1p'] });
    expect(planRetention(metas('pbf'), 0)).toEqual({ keep: ['1b', '2f'], remove: ['0p'] });
  });

  it('keeps everything when there are fewer than K', () => {
    expect(planRetention(metas('pp'), 5)).toEqual({ keep: ['0p', '1p'], remove: [] });
    expect(planRetention([], 3)).toEqual({ keep: [], remove: [] });
  });

  it('refuses a negative or fractional keepLast', () => {
    expect(() => planRetention(metas('p'), -1)).toThrow(RangeError);
    expect(() => planRetention(metas('p'), 1.5)).toThrow(RangeError);
  });
});

describe('planEmergencyRetention', () => {
  it('drops every periodic but the newest, and keeps manual, best, final and the newest', () => {
    expect(planEmergencyRetention(metas('pmpbpp'))).toEqual({ keep: ['1m', '3b', '5p'], remove: ['0p', '2p', '4p'] });
    expect(planEmergencyRetention(metas('ppf'))).toEqual({ keep: ['1p', '2f'], remove: ['0p'] });
  });
});
