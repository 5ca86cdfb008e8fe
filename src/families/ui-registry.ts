/**
 * The UI side of model families: each family's editor in the Model cell, found by file name
 * (`src/families/<id>/Editor.svelte`). The family list itself is src/families/index.ts.
 */
import type { Component } from 'svelte';
import type { ModelSummary } from './contract';
import type { ModelSpec } from '../shared/config';
import type { DataPreview } from '../shared/engine-api';

/** What the Model cell hands a family's editor: the spec to edit in place, and what it needs to show it. */
export interface EditorProps {
  spec: ModelSpec;
  summary: ModelSummary | null;
  preview: DataPreview | null;
  /** Marks the model as edited (its name becomes 'Custom'). */
  onedit: () => void;
}

const modules = import.meta.glob<{ default: Component<EditorProps> }>('./*/Editor.svelte', { eager: true });
const byId = new Map(Object.entries(modules).map(([path, m]) => [path.split('/')[1], m.default]));

export function familyEditor(id: string): Component<EditorProps> | undefined {
  return byId.get(id);
}
