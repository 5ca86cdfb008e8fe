/**
 * The one place that creates the training worker. The UI sees the engine only through this
 * Comlink proxy, typed by the worker's own EngineApi (a type import: no engine code is bundled here).
 *
 * `engine` is a stable handle that forwards to the current worker, so modules may keep it while
 * `restartEngine()` replaces a crashed worker (or one whose GPU device was lost) with a fresh one.
 */
import * as Comlink from 'comlink';
import type { EngineApi, TestEngineApi } from '../engine/worker';

export type Engine = Comlink.Remote<EngineApi>;

declare global {
  interface Window {
    /** Test build only: lets browser tests and the bench drive the engine (with its test hooks) directly. */
    __tabTrainer?: { engine: Comlink.Remote<TestEngineApi>; proxy: typeof Comlink.proxy };
  }
}

/** The worker died (an uncaught error reached its global scope): its pending calls will never answer. */
export class WorkerCrashedError extends Error {
  override readonly name = 'WorkerCrashedError';
}

let worker: Worker;
let remote: Engine;
let crashListeners: ((e: WorkerCrashedError) => void)[] = [];

function startWorker(): void {
  worker = new Worker(new URL('../engine/worker.ts', import.meta.url), { type: 'module' });
  const mine = worker;
  worker.addEventListener('error', async (e) => {
    console.error('Training worker failed:', e.message, e);
    // An uncaught error in a callback does not end a worker: only restart one that stopped answering.
    if (await answers(mine)) return;
    const error = new WorkerCrashedError(`The training worker crashed (${e.message || 'no message'}).`);
    for (const listener of crashListeners) listener(error);
  });
  remote = Comlink.wrap<EngineApi>(worker);
}

/** Whether `w` (still the current worker) answers a trivial call within a few seconds. */
async function answers(w: Worker): Promise<boolean> {
  if (w !== worker) return true; // already replaced
  const timeout = new Promise<boolean>((r) => setTimeout(() => r(false), CRASH_PING_MS));
  return Promise.race([remote.ping().then(() => true, () => false), timeout]);
}
/** A training step answers in well under this, even on SwiftShader WebGPU. */
const CRASH_PING_MS = 5000;

/** Terminates the current worker and starts a fresh one; `engine` forwards to it from now on. */
export function restartEngine(): void {
  remote[Comlink.releaseProxy]();
  worker.terminate();
  crashListeners = [];
  startWorker();
  exposeForTests();
}

/**
 * Rejects when the current worker reports a crash, so a caller can race it against a call that
 * would otherwise never settle. `dispose` stops listening.
 */
export function workerCrash(): { crashed: Promise<never>; dispose: () => void } {
  let listener: (e: WorkerCrashedError) => void = () => {};
  const crashed = new Promise<never>((_, reject) => (listener = reject));
  crashed.catch(() => {}); // only the race that awaits it reports the crash
  crashListeners.push(listener);
  return { crashed, dispose: () => (crashListeners = crashListeners.filter((l) => l !== listener)) };
}

startWorker();

// Only property reads are forwarded: every use of the engine is `engine.method(...)`.
export const engine: Engine = new Proxy({} as Engine, {
  get: (_target, prop) => (prop === 'then' ? undefined : Reflect.get(remote, prop)),
});
export const proxy = Comlink.proxy;

/** The test build's page hands the engine to the browser tests; the production build has no such global. */
function exposeForTests(): void {
  if (import.meta.env.MODE === 'test') window.__tabTrainer = { engine: engine as unknown as Comlink.Remote<TestEngineApi>, proxy };
}
exposeForTests();
