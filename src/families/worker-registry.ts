/**
 * The worker side of every family, found by file name: `src/families/<id>/worker.ts` exporting
 * `familyWorker` (Squoosh finds its codecs' workers the same way). The family list itself is
 * src/families/index.ts.
 */
import type { ModelSpec } from '../shared/config';
import { ModelSpecError } from '../shared/errors';
import { familyId } from './index';
import type { FamilyWorker, FamilyWorkerModule } from './worker-contract';

const modules = import.meta.glob<FamilyWorkerModule>('./*/worker.ts', { eager: true });
const byId = new Map(Object.entries(modules).map(([path, m]) => [path.split('/')[1], m.familyWorker]));

/** @throws ModelSpecError when no family of that id has a worker part */
export function familyWorker(spec: Pick<ModelSpec, 'family'>): FamilyWorker {
  const id = familyId(spec);
  const w = byId.get(id);
  if (!w) throw new ModelSpecError(`The model family "${String(id).slice(0, 40)}" cannot train in this version. Reload the page to get the newest one.`);
  return w;
}

/** Ids of the families that have a worker part (a test checks it is every family). */
export const WORKER_FAMILY_IDS = [...byId.keys()];
