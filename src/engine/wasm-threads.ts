/**
 * How many threads tfjs's WASM backend runs, and making it use every core.
 *
 * Threads need a cross-origin isolated page (SharedArrayBuffer); without it tfjs loads its
 * one-thread SIMD build. With it, the threaded build sizes XNNPACK's pool as
 * min(requested, 8, hardwareConcurrency / 2) (tfjs-backend-wasm/src/cc/backend.cc: it assumes two
 * hyper-threads per core), which on a 2-core machine is one thread. We ask for every logical core:
 * the halving reads navigator.hardwareConcurrency once, while the module starts, so during that start
 * our worker reports twice the real count; the pool is then min(cores, 8).
 */
import { getThreadsCount, setThreadsCount } from '@tensorflow/tfjs-backend-wasm';

/** tfjs's wasm build starts 8 pthread workers and never uses more. */
const MAX_THREADS = 8;

/** Runs `start` (tf.setBackend('wasm')) so that the threaded build uses every logical core. */
export async function startWasmOnAllCores<T>(start: () => Promise<T>): Promise<T> {
  const nav = self.navigator;
  const cores = nav.hardwareConcurrency || 1;
  if (!self.crossOriginIsolated) return start();
  setThreadsCount(Math.min(cores, MAX_THREADS));
  Object.defineProperty(nav, 'hardwareConcurrency', { configurable: true, get: () => cores * 2 });
  try {
    return await start();
  } finally {
    delete (nav as { hardwareConcurrency?: number }).hardwareConcurrency; // the prototype's getter again
  }
}

/** Threads the wasm backend runs (after it started), and why it is one when it is. */
export function wasmThreads(): { count: number; why?: string } {
  const count = getThreadsCount();
  if (!self.crossOriginIsolated) return { count, why: 'the page is not cross-origin isolated' };
  return { count };
}
