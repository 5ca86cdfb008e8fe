import { describe, expect, it } from 'vitest';
import type { CheckpointMeta } from '../shared/checkpoint';
import { lowestValLoss } from './best';

const meta = (id: string, kind: CheckpointMeta['kind'], valLoss: number): CheckpointMeta =>
  ({ id, runId: 'r', kind, epoch: 0, step: 0, valLoss, sizeBytes: 1, createdAt: 0, backend: 'cpu' });

describe('lowestValLoss', () => {
  it('picks the lowest validation loss, whatever the kind', () => {
    expect(lowestValLoss([meta('a', 'best', 0.2476), meta('b', 'periodic', 0.2291), meta('c', 'final', 0.25)])).toBe('b');
  });
  it('keeps the earliest of equal ones and ignores NaN', () => {
    expect(lowestValLoss([meta('a', 'periodic', NaN), meta('b', 'best', 0.3), meta('c', 'final', 0.3)])).toBe('b');
  });
  it('is null when no checkpoint has a validation loss', () => {
    expect(lowestValLoss([meta('a', 'manual', NaN)])).toBeNull();
    expect(lowestValLoss([])).toBeNull();
  });
});
