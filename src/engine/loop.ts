/** Small pieces of the training loop that touch the device or the event loop. */
import * as tf from '@tensorflow/tfjs';
import { TrainingDivergedError } from '../shared/errors';

/** Reads kept loss scalars back in one batch (async) and disposes them. */
export async function readLosses(pending: tf.Tensor[]): Promise<number[]> {
  if (pending.length === 0) return [];
  const stacked = tf.stack(pending);
  tf.dispose(pending);
  const values = await stacked.data();
  stacked.dispose();
  return Array.from(values);
}

export function divergedError(step: number, lr: number): TrainingDivergedError {
  return new TrainingDivergedError(
    `Training diverged at step ${step}: the loss became NaN or infinite. Lower the learning rate (now ${lr}) and start fresh.`,
  );
}

/** Lets queued messages (pause, stop, evaluate) in between two steps; a macrotask, unlike `await`. */
const channel = typeof MessageChannel !== 'undefined' ? new MessageChannel() : null;
export function yieldToEventLoop(): Promise<void> {
  if (!channel) return new Promise((r) => setTimeout(r, 0));
  return new Promise((resolve) => {
    channel.port1.onmessage = () => resolve();
    channel.port2.postMessage(null);
  });
}
