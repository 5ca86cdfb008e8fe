/**
 * Typed errors. Comlink keeps only name, message and stack of a thrown Error, so the UI branches on
 * `error.name`, never on instanceof. Every message says what happened, then what to do.
 */
export const ERROR_NAMES = [
  'WebGpuUnavailableError',
  'CorruptCheckpointError',
  'CheckpointNotFoundError',
  'UnknownCheckpointVersionError',
  'BundleError',
  'StorageFullError',
  'TrainingDivergedError',
  'DatasetError',
  'ModelSpecError',
  'RunLockedError',
  'GpuDeviceLostError',
] as const;
export type ErrorName = (typeof ERROR_NAMES)[number];

abstract class AppError extends Error {
  abstract override readonly name: ErrorName;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

export class WebGpuUnavailableError extends AppError {
  readonly name = 'WebGpuUnavailableError';
}
export class CorruptCheckpointError extends AppError {
  readonly name = 'CorruptCheckpointError';
}
/** A checkpoint (or uploaded weights) that is not there: deleted, never saved, or cleared by the browser. */
export class CheckpointNotFoundError extends AppError {
  readonly name = 'CheckpointNotFoundError';
}
export class UnknownCheckpointVersionError extends AppError {
  readonly name = 'UnknownCheckpointVersionError';
}
/** A .pt or .safetensors file that is malformed or refused; `entry` names the part that failed. */
export class BundleError extends AppError {
  readonly name = 'BundleError';
  readonly entry?: string;
  constructor(message: string, options?: { cause?: unknown; entry?: string }) {
    super(message, options);
    this.entry = options?.entry;
  }
}
export class StorageFullError extends AppError {
  readonly name = 'StorageFullError';
}
export class TrainingDivergedError extends AppError {
  readonly name = 'TrainingDivergedError';
}
export class DatasetError extends AppError {
  readonly name = 'DatasetError';
}
export class ModelSpecError extends AppError {
  readonly name = 'ModelSpecError';
}

/** Another tab or worker holds the run's lock: it is training there. */
export class RunLockedError extends AppError {
  readonly name = 'RunLockedError';
}
/** The WebGPU device was lost mid-run (driver reset, device.destroy()); the UI restarts and resumes. */
export class GpuDeviceLostError extends AppError {
  readonly name = 'GpuDeviceLostError';
}

/** True for the errors our code throws on purpose (after crossing Comlink, only the name is left). */
export function isAppError(e: unknown): e is Error & { name: ErrorName } {
  return e instanceof Error && (ERROR_NAMES as readonly string[]).includes(e.name);
}
