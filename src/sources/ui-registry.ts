/**
 * The UI side of data sources: a source's own controls in the Data cell, found by file name
 * (`src/sources/<id>/Controls.svelte`). Sources without one show their declared settings only.
 */
import type { Component } from 'svelte';
import type { Notebook } from '../ui/notebook.svelte';

const modules = import.meta.glob<{ default: Component<{ notebook: Notebook }> }>('./*/Controls.svelte', { eager: true });
const byId = new Map(Object.entries(modules).map(([path, m]) => [path.split('/')[1], m.default]));

export function sourceControls(id: string): Component<{ notebook: Notebook }> | undefined {
  return byId.get(id);
}
