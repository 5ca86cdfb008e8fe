/**
 * The WebGPU device's loss, watched once per device (tfjs keeps one device for its webgpu backend).
 * A destroyed device fails pending readbacks (mapAsync's AbortError) before `device.lost` settles,
 * so a failed call waits briefly for it before it can tell a lost device from a bug. Every worker
 * call that touches the GPU goes through `reportDeviceLoss`, so the UI always sees
 * GpuDeviceLostError, whichever call the loss interrupted.
 */
import * as tf from '@tensorflow/tfjs';
import { GpuDeviceLostError } from '../shared/errors';

let watched: GPUDevice | null = null;
let lost: Promise<string> | null = null;
let lostReason: string | null = null;

/** Starts watching the current backend's device; resolves with the reason when it is lost. Null off WebGPU. */
export function watchDevice(): Promise<string> | null {
  if (tf.getBackend() !== 'webgpu') return null;
  const device = (tf.backend() as unknown as { device?: GPUDevice }).device;
  if (!device) return null;
  if (device !== watched) {
    watched = device;
    lost = device.lost.then((info) => (lostReason = info.message || info.reason || 'unknown reason'));
  }
  return lost;
}

/** The reason the watched device was lost, or null while it lives (or off WebGPU). */
export function deviceLostReason(): string | null {
  return lostReason;
}

/** After a failed call: the loss reason if the device was lost, waiting up to `graceMs` for it to settle. */
export async function lossBehindFailure(graceMs = LOST_GRACE_MS): Promise<string | null> {
  const settling = watchDevice();
  if (lostReason || !settling) return lostReason;
  return Promise.race([settling, sleep(graceMs).then(() => null)]);
}

export function lostError(reason: string): GpuDeviceLostError {
  return new GpuDeviceLostError(`The GPU device was lost (${reason}). Training will continue from the last checkpoint in a fresh worker.`);
}

/**
 * Runs a worker call that uses the GPU: refuses at once on a lost device, and turns any failure
 * caused by the device's loss into GpuDeviceLostError.
 */
export async function reportDeviceLoss<T>(call: () => Promise<T>): Promise<T> {
  if (lostReason) throw lostError(lostReason);
  try {
    return await call();
  } catch (e) {
    const reason = await lossBehindFailure();
    if (reason) throw lostError(reason);
    throw e;
  }
}

/** How long a failed WebGPU call waits for `device.lost` to tell a lost device from a bug. */
const LOST_GRACE_MS = 1000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
