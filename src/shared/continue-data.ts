/** How large a run's data makes the "Continue in PyTorch" zip (bundle/continue-zip.ts), and the limits the panel shows. */
import type { ModelIO } from './config';

/** Above this the panel says how large the data makes the zip (it still goes in unless unticked). */
export const LARGE_DATA_BYTES = 100 * 1024 * 1024;
/** Above this the data cannot go in at all: a browser download of one Blob this large may fail. */
export const MAX_DATA_BYTES = 1536 * 1024 * 1024;

/** Bytes the data adds to the bundle: float32 inputs, int64 classes or float32 targets. */
export function dataBytes(io: Pick<ModelIO, 'task' | 'inputShape'>, samples: number): number {
  const per = io.inputShape.reduce((a, b) => a * b, 1) * 4 + (io.task === 'classification' ? 8 : 4);
  return samples * per;
}
