/**
 * The app's shared state for components that take no props (UploadCheckpoint, ExportPanel): the
 * one Notebook and Run, and a way to refresh the Checkpoints cell. App.svelte provides them once
 * while it initialises; a getter called before that is a programming error and throws.
 */
import type { Notebook } from './notebook.svelte';
import type { Run } from './run.svelte';

export interface AppContext {
  notebook: Notebook;
  run: Run;
  /** Re-reads the current run's checkpoint list (after an upload, a delete, a save). */
  refreshCheckpoints: () => Promise<void>;
}

let context: AppContext | null = null;

export function provideAppContext(value: AppContext): void {
  context = value;
}

function current(): AppContext {
  if (!context) throw new Error('The app context is read before App.svelte provided it.');
  return context;
}

export function getNotebook(): Notebook {
  return current().notebook;
}

export function getRun(): Run {
  return current().run;
}

export function refreshCheckpoints(): Promise<void> {
  return current().refreshCheckpoints();
}
