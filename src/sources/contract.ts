/**
 * What a data source is, for the code that does not know it: the pure part every thread uses.
 * A source lives in one folder (`src/sources/<folder>/`, see docs/architecture.md): `index.ts`
 * exports its Source definitions, `worker.ts` its loaders (keyed by source id), and an optional
 * `Controls.svelte` its own controls in the Data cell (keyed by the folder = the source id).
 */
import type { DataConfig, Task } from '../shared/config';

/** A numeric setting the Data cell shows for a source, with the limits its loader enforces. */
export interface SourceSetting {
  key: 'samples' | 'noise';
  label: string;
  min: number;
  max: number;
  step: number;
  /** Whole numbers only. */
  integer?: boolean;
}

export interface Source {
  id: string;
  /** Shown in the Dataset picker. */
  label: string;
  /** What a model learns from it; 'chosen' when the user picks (a CSV's label column). */
  task: Task | 'chosen';
  /** The numeric settings it reads from DataConfig (besides the split and the seed). */
  settings: readonly SourceSetting[];
  /** Why `cfg` cannot be loaded, before asking the worker (a missing file), or null. */
  configProblem?(cfg: DataConfig): string | null;
}

/** Throws with the setting's limits in the message unless cfg[key] is within them. */
export function settingProblem(s: SourceSetting, value: number): string | null {
  const ok = Number.isFinite(value) && value >= s.min && value <= s.max && (!s.integer || Number.isInteger(value));
  if (ok) return null;
  const range = `${s.integer ? 'a whole number ' : ''}from ${s.min.toLocaleString('en-US')} to ${s.max.toLocaleString('en-US')}`;
  return `${s.label} must be ${range}, got ${value}. Change it in the Data cell.`;
}
