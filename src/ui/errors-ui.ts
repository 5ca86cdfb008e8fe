/**
 * Turns an error from the worker into something the user can act on. Comlink keeps only name and
 * message, so this branches on `name` (see shared/errors.ts).
 */
import type { ErrorName } from '../shared/errors';

export interface UiError {
  name: string;
  title: string;
  message: string;
  /** What to do next, when the message alone does not say. */
  hint?: string;
}

const TITLES: Record<ErrorName, [title: string, hint?: string]> = {
  WebGpuUnavailableError: ['WebGPU is not available', 'Pick another backend in the Train cell, or Auto to use the fastest one.'],
  TrainingDivergedError: ['Training diverged', 'Lower the learning rate (try 10× smaller) or switch the optimizer, then train again.'],
  DatasetError: ['The dataset cannot be used', 'Check the Data cell settings.'],
  ModelSpecError: ['The model cannot be built', 'Check the layers in the Model cell.'],
  StorageFullError: ['Browser storage is full', 'Free some space for this site (site settings) and try again.'],
  CorruptCheckpointError: ['The checkpoint is damaged'],
  CheckpointNotFoundError: ['The checkpoint is not there'],
  UnknownCheckpointVersionError: ['The checkpoint is from another version'],
  BundleError: ['The model file cannot be read'],
  RunLockedError: ['This notebook is training in another tab', 'Stop it in that tab to train here.'],
  GpuDeviceLostError: ['The GPU device was lost', 'Train again; if it keeps happening, pick WASM or CPU as the backend.'],
};

/** True for a cancelled or superseded call: not a failure, so no error UI. */
export function isCancel(e: unknown): boolean {
  return e instanceof Error && (e.name === 'AbortError' || e.name === 'CancelledError');
}

export function describeError(e: unknown): UiError {
  const name = e instanceof Error ? e.name : 'Error';
  const message = e instanceof Error ? e.message : String(e);
  const known = TITLES[name as ErrorName];
  if (known) return { name, title: known[0], message, hint: known[1] };
  return { name, title: 'Something went wrong', message, hint: 'Reload the page and try again; details are in the console.' };
}
