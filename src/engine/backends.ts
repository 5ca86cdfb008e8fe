/**
 * Which tfjs backend runs. `auto` does not blindly prefer WebGPU: on a machine without a GPU,
 * WebGPU is SwiftShader emulation and the slowest of all (measured here for MLP 784-128-10 at
 * batch 64: webgpu ~240 samples/s, webgl ~1,950, wasm ~5,460, cpu ~690). So auto times a few
 * steps of the actual model on every usable backend, picks the fastest, and remembers it for the
 * same model shape, batch size, browser and adapter (backend-memory.ts).
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
import { recallChoice, rememberChoice } from './backend-memory';

export const BACKENDS: readonly BackendName[] = ['webgpu', 'webgl', 'wasm', 'cpu'];

// The wasm binaries are copied to <base>/tfjs-wasm/ by scripts/build-digits.mjs.
setWasmPaths(new URL(`${import.meta.env.BASE_URL}tfjs-wasm/`, self.location.origin).href);
// tfjs-backend-wasm 4.22 lacks the filter gradient of conv2d (ours lets CNNs train on WASM) and runs
// the input and max-pool gradients as one-thread C loops (ours use XNNPACK's conv, or one JS pass).
registerWasmConv2dBackpropFilter();
registerWasmTrainingKernels();

let adapterDescription: string | undefined;
let adapterFallback = false;

/** Switches tfjs to `name`; returns null on success or why it is not usable here. */
export async function activateBackend(name: BackendName): Promise<string | null> {
  if (name === 'webgpu') {
    const gpu = (self.navigator as Navigator & { gpu?: GPU }).gpu;
    if (!gpu) return 'this browser has no WebGPU (navigator.gpu is missing)';
    const adapter = await gpu.requestAdapter();
    if (!adapter) return 'the browser gives no WebGPU adapter';
    adapterDescription = [adapter.info?.vendor, adapter.info?.architecture, adapter.info?.description].filter(Boolean).join(' ') || 'unknown adapter';
    adapterFallback = (adapter as GPUAdapter & { isFallbackAdapter?: boolean }).isFallbackAdapter === true || (adapter.info as { isFallbackAdapter?: boolean } | undefined)?.isFallbackAdapter === true;
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

/**
 * Starts the WASM backend while the page is idle (a worker start): its threaded build spawns and
 * loads 8 pthread workers, ~0.4 s on a busy 2-core machine, which would otherwise come after Train.
 * Runs pick their backend as before; this only makes WASM ready sooner.
 */
export function prewarmWasm(): void {
  warming = activateBackend('wasm').then((why) => why && console.warn(`WASM backend could not start early: ${why}`));
}
/** The early start, which every choice waits for: two tf.setBackend calls must never overlap. */
let warming: Promise<unknown> = Promise.resolve();

/** Kernels of `needed` that `name` lacks (tfjs-wasm 4.22 has no Conv2DBackpropFilter, say). */
export function missingKernels(name: BackendName, needed: string[]): string[] {
  return needed.filter((k) => !tf.getKernel(k, name));
}

/**
 * The order auto times backends in: WASM first, a quick and steady baseline (fastest on machines
 * without a GPU), so the backends that are clearly slower give up after a step or two.
 */
const MEASURE_ORDER: readonly BackendName[] = ['wasm', 'webgpu', 'webgl', 'cpu'];

export interface AutoOptions {
  /** This situation's key in the backend memory (backend-memory.ts); absent: nothing is remembered. */
  memoryKey?: string;
  /** Told, before each backend is timed, which one and what was measured so far. */
  onMeasuring?: (info: BackendInfo) => void;
}

/** Samples/s of the actual model on the active backend, giving up once under `fastestSoFar`. */
export type Measure = (fastestSoFar: number) => Promise<{ samplesPerSec: number; stoppedEarly: boolean }>;

/**
 * Picks the backend for a run. Auto starts at once on a remembered choice for this situation;
 * otherwise it times every usable backend with `measure` (which throws if the model cannot train
 * there), picks the fastest and remembers it.
 */
export async function chooseBackend(choice: BackendChoice, needed: string[], measure: Measure, options: AutoOptions = {}): Promise<BackendInfo> {
  await warming;
  if (choice !== 'auto') {
    const why = (await activateBackend(choice)) ?? kernelReason(choice, needed);
    if (why) {
      if (choice === 'webgpu') throw new WebGpuUnavailableError(`WebGPU was requested but ${why}. Pick another backend (auto, webgl, wasm or cpu).`);
      throw new Error(`Backend ${choice} was requested but ${why}. Pick another backend or auto.`);
    }
    return { name: choice, reason: 'forced', measurements: [], adapter: choice === 'webgpu' ? adapterDescription : undefined, wasmThreads: threadsOf(choice) };
  }
  const { memoryKey, onMeasuring } = options;
  const remembered = memoryKey ? await recallChoice(memoryKey) : null;
  if (remembered && !((await activateBackend(remembered.backend)) ?? kernelReason(remembered.backend, needed))) {
    const { backend: name, measurements, measuredAt } = remembered;
    return { name, reason: 'remembered', measurements, measuredAt, adapter: name === 'webgpu' ? adapterDescription : undefined, wasmThreads: threadsOf(name) };
  }
  const measurements: BackendMeasurement[] = [];
  for (const [index, name] of MEASURE_ORDER.entries()) {
    const why = (await activateBackend(name)) ?? kernelReason(name, needed);
    if (why) {
      measurements.push({ backend: name, skipped: why });
      continue;
    }
    const emulated = softwareRenderer(name);
    if (emulated) {
      measurements.push({ backend: name, skipped: `${emulated} emulates the GPU on the CPU, slower than WASM there (force ${name} to try it)` });
      continue;
    }
    onMeasuring?.({ name, reason: 'measuring', measurements: [...measurements], measuring: { index: index + 1, count: MEASURE_ORDER.length } });
    const fastest = Math.max(0, ...measurements.map((m) => m.samplesPerSec ?? 0));
    try {
      const { samplesPerSec, stoppedEarly } = await measure(fastest);
      measurements.push({ backend: name, samplesPerSec, stoppedEarly: stoppedEarly || undefined });
    } catch (e) {
      measurements.push({ backend: name, skipped: `failed while timing: ${(e as Error).message}` });
    }
  }
  const timed = measurements.filter((m) => m.samplesPerSec !== undefined);
  if (timed.length === 0) throw new Error('No tfjs backend can train this model here. Try a simpler model.');
  const best = timed.reduce((a, b) => (b.samplesPerSec! > a.samplesPerSec! ? b : a));
  await activateBackend(best.backend);
  const measuredAt = Date.now();
  if (memoryKey) await rememberChoice(memoryKey, { backend: best.backend, measurements, measuredAt });
  const noGpu = measurements.find((m) => m.backend === 'webgpu' && m.skipped);
  return {
    name: best.backend,
    reason: timed.length === 1 ? 'only' : 'fastest',
    measurements,
    measuredAt,
    adapter: best.backend === 'webgpu' ? adapterDescription : undefined,
    wasmThreads: threadsOf(best.backend),
    notice: noGpu ? `WebGPU is not available (${noGpu.skipped}); using ${best.backend}.` : undefined,
  };
}

/**
 * The software renderer behind the active GPU backend (SwiftShader, llvmpipe…), or null. Measured
 * on a machine without a GPU, CNN small's first WebGPU step took 49 s of shader compilation and it
 * trained at 1–5 samples/s, WebGL at 21, WASM at 400–480: timing them only costs the user a minute.
 */
function softwareRenderer(name: BackendName): string | null {
  const looksSoftware = (s: string | undefined) => /swiftshader|llvmpipe|softpipe|software/i.exec(s ?? '')?.[0] ?? null;
  if (name === 'webgpu') return adapterFallback ? 'a fallback adapter' : looksSoftware(adapterDescription);
  if (name !== 'webgl') return null;
  const gl = (tf.backend() as unknown as { gpgpu?: { gl?: WebGL2RenderingContext } }).gpgpu?.gl;
  const info = gl?.getExtension('WEBGL_debug_renderer_info');
  return info ? looksSoftware(gl!.getParameter(info.UNMASKED_RENDERER_WEBGL) as string) : null;
}

function threadsOf(name: BackendName): BackendInfo['wasmThreads'] {
  return name === 'wasm' ? wasmThreads() : undefined;
}

function kernelReason(name: BackendName, needed: string[]): string | null {
  const missing = missingKernels(name, needed);
  return missing.length ? `it lacks the ${missing.join(', ')} kernel${missing.length > 1 ? 's' : ''} this model needs` : null;
}
