/**
 * Fault injection for the browser tests: crash, hang, or lose the GPU device at a chosen moment.
 * Only the test build's worker includes this (see worker.ts); the production bundle has none of it.
 */
import * as tf from '@tensorflow/tfjs';
import type { EngineApi, TestHooks } from '../shared/engine-api';

/** The hooks, plus `evaluate` wrapped so a device loss can be armed for the moment it starts. */
export function testHooks(api: Pick<EngineApi, 'evaluate'>): TestHooks & Pick<EngineApi, 'evaluate'> {
  let evaluatesUntilLoss = 0; // 0: not armed
  const destroyDevice = (): boolean => {
    if (tf.getBackend() !== 'webgpu') return false;
    (tf.backend() as unknown as { device: GPUDevice }).device.destroy();
    return true;
  };
  return {
    async debugCrashWorker() {
      setTimeout(() => {
        throw new Error('Simulated worker crash (debugCrashWorker)');
      });
    },
    async debugHangWorker() {
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
    async debugDestroyGpuDevice() {
      return destroyDevice();
    },
    async debugDestroyGpuDeviceOnEvaluate(nth) {
      evaluatesUntilLoss = nth;
    },
    async evaluate() {
      if (evaluatesUntilLoss > 0 && --evaluatesUntilLoss === 0) destroyDevice();
      return api.evaluate();
    },
  };
}
