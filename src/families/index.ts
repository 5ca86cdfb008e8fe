/**
 * The model families, in the order the Model cell offers them. Adding a family: one folder and one
 * line here (docs/architecture.md). The worker and UI parts are found by file name (worker.ts,
 * Editor.svelte), so this list is the only one.
 */
import type { ModelSpec } from '../shared/config';
import { ModelSpecError } from '../shared/errors';
import type { Family } from './contract';
import { stack } from './stack';
import { gpt } from './gpt';

export const FAMILIES: readonly Family[] = [stack, gpt];

/** The family a spec belongs to; specs saved before families existed are 'stack'. */
export function familyId(spec: Pick<ModelSpec, 'family'>): string {
  return spec.family ?? 'stack';
}

/** @throws ModelSpecError for an id no family has (a file from a newer version, or damaged) */
export function familyOf(spec: Pick<ModelSpec, 'family'>): Family {
  const id = familyId(spec);
  const f = FAMILIES.find((x) => x.id === id);
  if (!f) throw new ModelSpecError(`Unknown model family "${String(id).slice(0, 40)}". This app has ${FAMILIES.map((x) => x.id).join(', ')}; reload the page to get the newest version.`);
  return f;
}

export type { Family, ModelSummary, LayerSummary, TorchModel, TorchTensor } from './contract';
