/**
 * The one place that creates the training worker. The UI sees the engine only through this
 * Comlink proxy, typed by the shared EngineApi (never by importing engine code).
 */
import * as Comlink from 'comlink';
import type { EngineApi } from '../shared/engine-api';

export type Engine = Comlink.Remote<EngineApi>;

declare global {
  interface Window {
    /** Lets browser tests drive the engine directly. */
    __tabTrainer?: { engine: Engine; proxy: typeof Comlink.proxy };
  }
}

function createEngine(): Engine {
  const worker = new Worker(new URL('../engine/worker.ts', import.meta.url), { type: 'module' });
  worker.addEventListener('error', (e) => console.error('Training worker failed:', e.message, e));
  return Comlink.wrap<EngineApi>(worker);
}

export const engine: Engine = createEngine();
export const proxy = Comlink.proxy;

window.__tabTrainer = { engine, proxy };
