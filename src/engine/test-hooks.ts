/**
 * Only in the test build's worker (see worker.ts; `npm run build:test`, which the browser tests and
 * `npm run bench` serve): reading the run's state back, the bench's yardsticks, and fault injection
 * (crash, hang, or lose the GPU device at a chosen moment). The production bundle has none of it.
 */
import * as tf from '@tensorflow/tfjs';
import { clear, createStore, setMany } from 'idb-keyval';
import type { BackendName, DataConfig, RunConfig } from '../shared/config';
import type { EvalResult, RunStateReadout } from '../shared/engine-api';
import { chooseBackend } from './backends';
import { bareLoopSamplesPerSec } from './bench-bare-loop';
import type { Dataset } from './data';
import { reportDeviceLoss } from './device-loss';
import type { Session } from './session';
import type { Trainer } from './trainer';

export interface HookContext {
  /** The current run's trainer; throws when there is none. */
  current(): Trainer;
  session(): Session | null;
  dataset(cfg: DataConfig): Promise<Dataset>;
}

/** The hooks, plus `evaluate` wrapped so a device loss can be armed for the moment it starts. */
export function testHooks(api: { evaluate(): Promise<EvalResult> }, ctx: HookContext) {
  let evaluatesUntilLoss = 0; // 0: not armed
  const destroyDevice = (): boolean => {
    if (tf.getBackend() !== 'webgpu') return false;
    (tf.backend() as unknown as { device: GPUDevice }).device.destroy();
    return true;
  };
  return {
    /** Reads back the current run's weights, optimizer slots and counters. */
    readState: (): Promise<RunStateReadout> => reportDeviceLoss(async () => ctx.current().readout()),
    /** Number of live tensors (tf.memory().numTensors), for leak tests. */
    async numTensors(): Promise<number> {
      return tf.memory().numTensors;
    },
    /** samples/s of a bare tfjs loop (tf.layers + tf.train.adam) with the same model and data on `backend`. */
    async benchmarkBareLoop(config: RunConfig, backend: BackendName, seconds: number): Promise<number> {
      const data = await ctx.dataset(config.data);
      await chooseBackend(backend, [], async () => ({ samplesPerSec: 0, stoppedEarly: false }));
      return bareLoopSamplesPerSec(config, data, seconds);
    },
    /** ms to read the current run's tensors back, without building a checkpoint. */
    benchmarkReadback: (): Promise<number> => reportDeviceLoss(() => readback(ctx.current())),
    /** A raw idb-keyval setMany of the current run's tensors into a scratch store (cleared after). */
    async benchmarkRawWrite(): Promise<{ ms: number; bytes: number }> {
      // The current run's own tensor bytes (float data barely compresses, unlike zero-filled buffers).
      const { tensors } = await ctx.current().snapshot();
      const scratch = createStore('tab-trainer-bench', 'kv');
      const t0 = performance.now();
      await setMany(tensors.map((t) => [t.name, t.data]), scratch);
      const ms = performance.now() - t0;
      await clear(scratch);
      return { ms, bytes: tensors.reduce((n, t) => n + t.data.byteLength, 0) };
    },
    /** Throws an uncaught error in the worker (the Worker's 'error' event fires; the worker goes on). */
    async debugCrashWorker(): Promise<void> {
      setTimeout(() => {
        throw new Error('Simulated worker crash (debugCrashWorker)');
      });
    },
    /** Throws an uncaught error, then blocks the worker's thread for good: it never answers again. */
    async debugHangWorker(): Promise<void> {
      setTimeout(() => {
        // The error is reported (the Worker's 'error' event is queued) as this callback throws; the
        // microtask then blocks the thread before the page's liveness ping can be answered. A busy
        // loop: Atomics.wait needs a SharedArrayBuffer, which a page not cross-origin isolated lacks.
        queueMicrotask(() => {
          let spins = 0;
          while (performance.now() < Infinity) spins++;
          console.error(`unreachable after ${spins} spins`);
        });
        throw new Error('Simulated worker hang (debugHangWorker)');
      });
    },
    /** Destroys the WebGPU device, as a driver reset would. Resolves false when WebGPU is not running. */
    async debugDestroyGpuDevice(): Promise<boolean> {
      return destroyDevice();
    },
    /**
     * Destroys the WebGPU device when the `nth` evaluate() call from now starts (1 = the next one),
     * before it touches the GPU: a loss at the moment an epoch's evaluation begins.
     */
    async debugDestroyGpuDeviceOnEvaluate(nth: number): Promise<void> {
      evaluatesUntilLoss = nth;
    },
    async evaluate(): Promise<EvalResult> {
      if (evaluatesUntilLoss > 0 && --evaluatesUntilLoss === 0) destroyDevice();
      return api.evaluate();
    },
  };
}

async function readback(trainer: Trainer): Promise<number> {
  // Fresh device copies, so no CPU-side cache answers; the small sum waits for them to be computed.
  const copies = trainer.namedState().map((v) => tf.mul(v.variable, 1));
  const fence = tf.sum(copies[copies.length - 1]);
  await fence.data();
  const t0 = performance.now();
  await Promise.all(copies.map((c) => c.data()));
  const ms = performance.now() - t0;
  tf.dispose([fence, ...copies]);
  return ms;
}
