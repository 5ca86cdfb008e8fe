/** Drives the app's real training worker from Playwright through `window.__tabTrainer`. */
import type { Page } from '@playwright/test';
import type { CheckpointSettings, RunConfig } from '../../src/shared/config';
import { DEFAULT_DATA, DEFAULT_TRAIN } from '../../src/shared/config';
import type { CheckpointMeta } from '../../src/shared/checkpoint';
import type { CheckpointEvent, EpochMetrics, ResumeInfo, RunOptions } from '../../src/shared/engine-api';

export interface RunResult {
  state: string;
  steps: number;
  epochEndTensors: number[];
  tensors: Record<string, number[]>;
  rng: number[];
  losses: number[];
  valAccuracy: number | undefined;
  backend: string;
}

/** A small run that exercises every random part: init, shuffling, dropout, and BatchNorm. */
export function smallRun(overrides: { backend?: RunConfig['train']['backend']; seed?: number; epochs?: number } = {}): RunConfig {
  return {
    data: { ...DEFAULT_DATA, dataset: 'spiral', samples: 300 },
    model: {
      name: 'Custom',
      layers: [
        { type: 'dense', units: 16, activation: 'relu' },
        { type: 'batchnorm' },
        { type: 'dropout', rate: 0.1 },
        { type: 'dense', units: 16, activation: 'tanh' },
      ],
    },
    train: { ...DEFAULT_TRAIN, epochs: overrides.epochs ?? 3, batchSize: 32, backend: overrides.backend ?? 'cpu', seed: overrides.seed ?? 7 },
  };
}

export async function openApp(page: Page): Promise<void> {
  await page.goto('/');
  await page.waitForFunction(() => '__tabTrainer' in window);
}

/** Trains `config` in the page's worker; pauses once at `pauseAtStep` for `pauseMs` if given. */
export async function train(page: Page, config: RunConfig, pauseAtStep?: number, pauseMs = 300): Promise<RunResult> {
  return page.evaluate(
    async ({ config, pauseAtStep, pauseMs }) => {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      const { engine, proxy } = (window as any).__tabTrainer;
      const epochEndTensors: number[] = [];
      let paused = false;
      const onProgress = proxy((e: { step: number; numTensors: number; epochMetrics?: unknown }) => {
        if (e.epochMetrics) epochEndTensors.push(e.numTensors);
        if (pauseAtStep !== undefined && !paused && e.step >= pauseAtStep) {
          paused = true;
          void engine.pause().then(() => setTimeout(() => void engine.resume(), pauseMs));
        }
      });
      let backend = '';
      const summary = await engine.train(config, onProgress, proxy((b: { name: string }) => (backend = b.name)));
      const s = await engine.readState();
      const tensors: Record<string, number[]> = {};
      for (const t of s.tensors) tensors[t.name] = Array.from(t.data as Float32Array);
      const last = summary.history[summary.history.length - 1];
      return { state: summary.state, steps: s.step, epochEndTensors, tensors, rng: [...s.rng], losses: s.stepLosses, valAccuracy: last?.valAccuracy, backend };
    },
    { config, pauseAtStep, pauseMs },
  );
}

// ---------------------------------------------------------------------------------------------
// Checkpointed runs: train with RunOptions, collect CheckpointEvents, stop or destroy the GPU at a
// given point, and read back the state. Everything below runs the real app's worker.


/** The app's IndexedDB database and object store (src/checkpoint/store.ts). */
export const CKPT_DB = 'tab-trainer-checkpoints';
export const CKPT_STORE = 'kv';

/** `base` with checkpoint settings (and optionally other train fields) replaced. */
export function withCheckpoints(base: RunConfig, checkpoints: Partial<CheckpointSettings>, train: Partial<RunConfig['train']> = {}): RunConfig {
  return { ...base, train: { ...base.train, ...train, checkpoints: { ...base.train.checkpoints, saveEveryEpochs: 0, saveEverySteps: 0, saveEveryMinutes: 0, ...checkpoints } } };
}

/**
 * Spiral with two wide hidden layers: ~0.27M parameters, so an Adam checkpoint is ~3.2 MB and a
 * cpu epoch takes a fraction of a second on this machine.
 */
export function wideRun(overrides: { epochs?: number; samples?: number; units?: number } = {}): RunConfig {
  const units = overrides.units ?? 512;
  return {
    data: { ...DEFAULT_DATA, dataset: 'spiral', samples: overrides.samples ?? 600 },
    model: { name: 'Custom', layers: [{ type: 'dense', units, activation: 'relu' }, { type: 'dense', units, activation: 'relu' }] },
    train: { ...DEFAULT_TRAIN, epochs: overrides.epochs ?? 10, batchSize: 32, learningRate: 0.003, backend: 'cpu', seed: 3 },
  };
}

export interface StateReadout {
  step: number;
  epoch: number;
  batchInEpoch: number;
  rng: number[];
  stepLosses: number[];
  history: EpochMetrics[];
  /** Tensor values by name (absent with `digestOnly`). */
  tensors: Record<string, number[]>;
  /** SHA-256 of each tensor's bytes, by name. */
  digests: Record<string, string>;
}

export interface CheckpointedResult {
  /** The RunSummary's state, or 'rejected'. */
  state: string;
  error?: { name: string; message: string };
  backend: string;
  events: CheckpointEvent[];
  /** Steps at which onProgress reported an epoch end. */
  epochEnds: number[];
  /** Step of the progress event that triggered `stopAtStep` / `destroyGpuAtEpoch`. */
  triggeredAt?: number;
  readout?: StateReadout;
}

export interface TrainControl {
  /** Calls engine.stop() from the first progress event whose step ≥ this. */
  stopAtStep?: number;
  /** Calls engine.stop() from the first 'saved' CheckpointEvent whose step ≥ this (mid-epoch with saveEverySteps). */
  stopAtSavedStep?: number;
  /** Calls engine.stop() from the end-of-epoch event of this epoch. */
  stopAtEpoch?: number;
  /** Calls engine.debugDestroyGpuDevice() once this epoch has ended and its checkpoint was saved. */
  destroyGpuAtEpoch?: number;
  /** Read back the state after the run (default true); digests only (no values) with 'digest'. */
  readout?: boolean | 'digest';
  /**
   * Forward every checkpoint and epoch-end event to `window.__report` (an exposed binding); with
   * 'progress', every progress event's step too.
   */
  report?: boolean | 'progress';
}

/**
 * Trains `config` in the page's worker with RunOptions, collecting every CheckpointEvent. Never
 * throws for a rejected train: the error's name and message come back in the result.
 */
export async function trainCheckpointed(page: Page, config: RunConfig, options: RunOptions, control: TrainControl = {}): Promise<CheckpointedResult> {
  return page.evaluate(
    async ({ config, options, control }) => {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      const w = window as any;
      const { engine, proxy } = w.__tabTrainer;
      const report = (m: unknown) => (control.report && typeof w.__report === 'function' ? w.__report(m) : undefined);
      const events: CheckpointEvent[] = [];
      const epochEnds: number[] = [];
      let triggeredAt: number | undefined;
      let savedEpochs = new Set<number>();
      let destroyPending = false;
      const maybeDestroy = () => {
        if (destroyPending && control.destroyGpuAtEpoch !== undefined && savedEpochs.has(control.destroyGpuAtEpoch)) {
          destroyPending = false;
          void engine.debugDestroyGpuDevice();
        }
      };
      const onProgress = proxy((e: { step: number; epoch: number; epochMetrics?: unknown }) => {
        if (control.report === 'progress') report({ type: 'progress', step: e.step });
        if (e.epochMetrics) {
          epochEnds.push(e.step);
          report({ type: 'epoch', epoch: e.epoch, step: e.step });
        }
        if (triggeredAt !== undefined) return;
        if ((control.stopAtStep !== undefined && e.step >= control.stopAtStep) || (control.stopAtEpoch !== undefined && e.epochMetrics && e.epoch >= control.stopAtEpoch)) {
          triggeredAt = e.step;
          void engine.stop();
        }
        if (control.destroyGpuAtEpoch !== undefined && e.epochMetrics && e.epoch >= control.destroyGpuAtEpoch) {
          triggeredAt = e.step;
          destroyPending = true;
          maybeDestroy();
        }
      });
      const onCheckpoint = proxy((e: CheckpointEvent) => {
        events.push(e);
        if (e.saved) savedEpochs.add(e.saved.epoch);
        if (triggeredAt === undefined && e.saved && control.stopAtSavedStep !== undefined && e.saved.step >= control.stopAtSavedStep) {
          triggeredAt = e.saved.step;
          void engine.stop();
        }
        report({ type: 'checkpoint', event: e });
        maybeDestroy();
      });
      let backend = '';
      let state = 'rejected';
      let error: { name: string; message: string } | undefined;
      try {
        const summary = await engine.train(config, onProgress, proxy((b: { name: string }) => (backend = b.name)), options, onCheckpoint);
        state = summary.state;
      } catch (e) {
        error = { name: (e as Error).name, message: (e as Error).message };
      }
      let readout: StateReadout | undefined;
      if (control.readout !== false && !error) {
        const s = await engine.readState();
        const tensors: Record<string, number[]> = {};
        const digests: Record<string, string> = {};
        for (const t of s.tensors as { name: string; data: Float32Array }[]) {
          if (control.readout !== 'digest') tensors[t.name] = Array.from(t.data);
          const hash = new Uint8Array(await crypto.subtle.digest("SHA-256", t.data as unknown as ArrayBuffer));
          digests[t.name] = Array.from(hash, (b) => b.toString(16).padStart(2, '0')).join('');
        }
        readout = { step: s.step, epoch: s.epoch, batchInEpoch: s.batchInEpoch, rng: [...s.rng], stepLosses: [...s.stepLosses], history: s.history, tensors, digests };
      }
      savedEpochs = new Set();
      return { state, error, backend, events, epochEnds, triggeredAt, readout };
    },
    { config, options, control },
  );
}

/** engine.resumeInfo with the Float32Array step losses turned into a plain array. */
export async function resumeInfo(page: Page, runId: string): Promise<(Omit<ResumeInfo, 'stepLosses'> & { stepLosses: number[] }) | null> {
  return page.evaluate(async (runId) => {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const info = await (window as any).__tabTrainer.engine.resumeInfo(runId);
    return info ? { ...info, stepLosses: Array.from(info.stepLosses as Float32Array) } : null;
  }, runId);
}

export async function listCheckpoints(page: Page, runId: string): Promise<CheckpointMeta[]> {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  return page.evaluate((runId) => (window as any).__tabTrainer.engine.listCheckpoints(runId), runId);
}

/** Calls an engine method by name in the page; a rejection comes back as { error: { name, message } }. */
export async function engineCall<T = unknown>(page: Page, method: string, ...args: unknown[]): Promise<{ value?: T; error?: { name: string; message: string } }> {
  return page.evaluate(
    async ({ method, args }) => {
      try {
        // eslint-disable-next-line @typescript-eslint/no-explicit-any
        return { value: await (window as any).__tabTrainer.engine[method](...args) };
      } catch (e) {
        return { error: { name: (e as Error).name, message: (e as Error).message } };
      }
    },
    { method, args },
  );
}

/** Edits the stored record `ckpt:<runId>:<id>` in place with `edit` (runs in the page). */
export async function tamperRecord(page: Page, runId: string, id: string, edit: string): Promise<void> {
  await page.evaluate(
    async ({ key, edit, db, storeName }) => {
      const database = await new Promise<IDBDatabase>((resolve, reject) => {
        const r = indexedDB.open(db);
        r.onsuccess = () => resolve(r.result);
        r.onerror = () => reject(r.error);
      });
      const req = <T>(r: IDBRequest<T>) => new Promise<T>((res, rej) => ((r.onsuccess = () => res(r.result)), (r.onerror = () => rej(r.error))));
      try {
        const record = await req(database.transaction(storeName, 'readonly').objectStore(storeName).get(key));
        if (record === undefined) throw new Error(`no record ${key}`);
        new Function('record', edit)(record);
        const tx = database.transaction(storeName, 'readwrite');
        await req(tx.objectStore(storeName).put(record, key));
        await new Promise<void>((res, rej) => ((tx.oncomplete = () => res()), (tx.onabort = () => rej(tx.error))));
      } finally {
        database.close();
      }
    },
    { key: `ckpt:${runId}:${id}`, edit, db: CKPT_DB, storeName: CKPT_STORE },
  );
}

/** Raw keys of the checkpoint database (strings), sorted. */
export async function rawKeys(page: Page): Promise<string[]> {
  return page.evaluate(
    async ({ db, storeName }) => {
      const database = await new Promise<IDBDatabase>((resolve, reject) => {
        const r = indexedDB.open(db);
        r.onsuccess = () => resolve(r.result);
        r.onerror = () => reject(r.error);
      });
      try {
        if (!database.objectStoreNames.contains(storeName)) return [];
        const r = database.transaction(storeName, 'readonly').objectStore(storeName).getAllKeys();
        const keys = await new Promise<IDBValidKey[]>((res, rej) => ((r.onsuccess = () => res(r.result)), (r.onerror = () => rej(r.error))));
        return keys.map(String).sort();
      } finally {
        database.close();
      }
    },
    { db: CKPT_DB, storeName: CKPT_STORE },
  );
}

/** Reads one raw value of the checkpoint database, summarised by `pick` (a function body given `value`). */
export async function rawGet<T>(page: Page, key: string, pick = 'return value;'): Promise<T> {
  return page.evaluate(
    async ({ key, pick, db, storeName }) => {
      const database = await new Promise<IDBDatabase>((resolve, reject) => {
        const r = indexedDB.open(db);
        r.onsuccess = () => resolve(r.result);
        r.onerror = () => reject(r.error);
      });
      try {
        const r = database.transaction(storeName, 'readonly').objectStore(storeName).get(key);
        const value = await new Promise<unknown>((res, rej) => ((r.onsuccess = () => res(r.result)), (r.onerror = () => rej(r.error))));
        return new Function('value', pick)(value);
      } finally {
        database.close();
      }
    },
    { key, pick, db: CKPT_DB, storeName: CKPT_STORE },
  ) as Promise<T>;
}

/** Saved metas of a run's events, in order. */
export const savedMetas = (r: CheckpointedResult): CheckpointMeta[] => r.events.flatMap((e) => (e.saved ? [e.saved] : []));
