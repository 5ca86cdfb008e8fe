/**
 * The data sources, in the order the Data cell lists them. Adding a source: one folder and one
 * line here (docs/architecture.md). Its loader (worker.ts) and controls (Controls.svelte) are
 * found by file name, so this list is the only one.
 */
import type { Source } from './contract';
import { circles, gaussian, sine, spiral, xor } from './synthetic';
import { moons } from './moons';
import { iris } from './iris';
import { digits } from './digits';
import { csv } from './csv';
import { shakespeare, text } from './text';

export const SOURCES: readonly Source[] = [spiral, circles, xor, gaussian, moons, sine, iris, digits, csv, shakespeare, text];

/** The source of `id`, or undefined (a notebook or file from a newer version). */
export function sourceOf(id: string): Source | undefined {
  return SOURCES.find((s) => s.id === id);
}

export type { Source, SourceSetting } from './contract';
