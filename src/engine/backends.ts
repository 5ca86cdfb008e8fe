/**
 * Which tfjs backend runs. `auto` does not blindly prefer WebGPU: on a machine without a GPU,
 * WebGPU is SwiftShader emulation and the slowest of all (measured here for MLP 784-128-10 at
 * batch 64: webgpu ~240 samples/s, webgl ~1,950, wasm ~5,460, cpu ~690). So auto times a few
 * steps of the actual model on every usable backend and picks the fastest.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import type { BackendChoice, BackendName } from '../shared/config';
import type { BackendInfo, BackendMeasurement } from '../shared/engine-api';
import { WebGpuUnavailableError } from '../shared/errors';
import { registerWasmConv2dBackpropFilter } from './kernels/conv2d-backprop-filter';
import { registerWasmTrainingKernels } from './kernels/wasm-conv-grads';
import { startWasmOnAllCores, wasmThreads } from './wasm-threads';

export const BACKENDS: readonly BackendName[] = ['webgpu', 'webgl', 'wasm', 'cpu'];

// The wasm binaries are copied to <base>/tfjs-wasm/ by scripts/build-digits.mjs.
setWasmPaths(new URL(`${import.meta.env.BASE_URL}tfjs-wasm/`, self.location.origin).href);
// tfjs-backend-wasm 4.22 lacks the filter gradient of conv2d (ours lets CNNs train on WASM) and runs
// the input and max-pool gradients as one-thread C loops (ours use XNNPACK's conv, or one JS pass).
registerWasmConv2dBackpropFilter();
registerWasmTrainingKernels();

let adapterDescription: string | undefined;

/** Switches tfjs to `name`; returns null on success or why it is not usable here. */
export async function activateBackend(name: BackendName): Promise<string | null> {
  if (name === 'webgpu') {
    const gpu = (self.navigator as Navigator & { gpu?: GPU }).gpu;
    if (!gpu) return 'this browser has no WebGPU (navigator.gpu is missing)';
    const adapter = await gpu.requestAdapter();
    if (!adapter) return 'the browser gives no WebGPU adapter';
    adapterDescription = [adapter.info?.vendor, adapter.info?.architecture, adapter.info?.description].filter(Boolean).join(' ') || 'unknown adapter';
  }
  if (tf.getBackend() === name) return null;
  let ok: boolean;
  try {
    ok = await (name === 'wasm' ? startWasmOnAllCores(() => tf.setBackend(name)) : tf.setBackend(name));
    await tf.ready();
  } catch (e) {
    return `could not start: ${(e as Error).message}`;
  }
  return ok ? null : 'could not start in this browser';
}

/** Kernels of `needed` that `name` lacks (tfjs-wasm 4.22 has no Conv2DBackpropFilter, say). */
export function missingKernels(name: BackendName, needed: string[]): string[] {
  return needed.filter((k) => !tf.getKernel(k, name));
}

/**
 * Picks the backend for a run. `measure` times the actual model on the active backend and
 * returns samples/s (or throws if the model cannot train there).
 */
export async function chooseBackend(choice: BackendChoice, needed: string[], measure: () => Promise<number>): Promise<BackendInfo> {
  if (choice !== 'auto') {
    const why = (await activateBackend(choice)) ?? kernelReason(choice, needed);
    if (why) {
      if (choice === 'webgpu') throw new WebGpuUnavailableError(`WebGPU was requested but ${why}. Pick another backend (auto, webgl, wasm or cpu).`);
      throw new Error(`Backend ${choice} was requested but ${why}. Pick another backend or auto.`);
    }
    return { name: choice, reason: 'forced', measurements: [], adapter: choice === 'webgpu' ? adapterDescription : undefined, wasmThreads: threadsOf(choice) };
  }
  const measurements: BackendMeasurement[] = [];
  for (const name of BACKENDS) {
    const why = (await activateBackend(name)) ?? kernelReason(name, needed);
    if (why) {
      measurements.push({ backend: name, skipped: why });
      continue;
    }
    try {
      measurements.push({ backend: name, samplesPerSec: await measure() });
    } catch (e) {
      measurements.push({ backend: name, skipped: `failed while timing: ${(e as Error).message}` });
    }
  }
  const timed = measurements.filter((m) => m.samplesPerSec !== undefined);
  if (timed.length === 0) throw new Error('No tfjs backend can train this model here. Try a simpler model.');
  const best = timed.reduce((a, b) => (b.samplesPerSec! > a.samplesPerSec! ? b : a));
  await activateBackend(best.backend);
  const noGpu = measurements.find((m) => m.backend === 'webgpu' && m.skipped);
  return {
    name: best.backend,
    reason: timed.length === 1 ? 'only' : 'fastest',
    measurements,
    adapter: best.backend === 'webgpu' ? adapterDescription : undefined,
    wasmThreads: threadsOf(best.backend),
    notice: noGpu ? `WebGPU is not available (${noGpu.skipped}); using ${best.backend}.` : undefined,
  };
}

function threadsOf(name: BackendName): BackendInfo['wasmThreads'] {
  return name === 'wasm' ? wasmThreads() : undefined;
}

function kernelReason(name: BackendName, needed: string[]): string | null {
  const missing = missingKernels(name, needed);
  return missing.length ? `it lacks the ${missing.join(', ')} kernel${missing.length > 1 ? 's' : ''} this model needs` : null;
}
