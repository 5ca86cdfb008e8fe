/**
 * Auto's measurements, remembered per (model shape, batch size, browser, adapter): a later run of the
 * same shape starts at once on the backend that was fastest, instead of timing every backend again
 * (12–60 s before this). Kept in IndexedDB, apart from checkpoints; "Measure again" forgets one.
 */
import { createStore, del, get, set, type UseStore } from 'idb-keyval';
import type { BackendName } from '../shared/config';
import type { BackendMeasurement } from '../shared/engine-api';

export interface RememberedChoice {
  backend: BackendName;
  measurements: BackendMeasurement[];
  /** Date.now() when measured. */
  measuredAt: number;
}

/** What decides which backend is fastest for a run. */
export interface ChoiceSituation {
  /** The model as built (layers with head) and its input shape. */
  shape: unknown;
  batchSize: number;
}

let kv: UseStore | undefined;
const store = () => (kv ??= createStore('tab-trainer-backends', 'choices'));
/** The key of the choice the last auto run used, for "Measure again". */
let lastKey: string | null = null;

/**
 * The memory key: the situation plus what else changes the ranking here — the browser (its user
 * agent, with version), the WebGPU adapter (or none), and the threads WASM can get.
 */
export async function choiceKey(situation: ChoiceSituation): Promise<string> {
  const nav = self.navigator;
  let adapter = 'no WebGPU';
  try {
    const a = await (nav as { gpu?: GPU }).gpu?.requestAdapter();
    if (a) adapter = [a.info?.vendor, a.info?.architecture, a.info?.description].filter(Boolean).join(' ') || 'unknown adapter';
  } catch (e) {
    console.warn('Could not ask for a WebGPU adapter to key the backend choice', e);
  }
  const threads = self.crossOriginIsolated ? nav.hardwareConcurrency : 1;
  return JSON.stringify({ ...situation, browser: nav.userAgent, adapter, wasmThreads: threads });
}

/** The remembered choice for `key`, or null; a failing IndexedDB is logged and means "measure". */
export async function recallChoice(key: string): Promise<RememberedChoice | null> {
  lastKey = key;
  try {
    return (await get<RememberedChoice>(key, store())) ?? null;
  } catch (e) {
    console.warn('Could not read the remembered backend choice; measuring instead', e);
    return null;
  }
}

export async function rememberChoice(key: string, choice: RememberedChoice): Promise<void> {
  lastKey = key;
  try {
    await set(key, choice, store());
  } catch (e) {
    console.warn('Could not remember the backend choice; the next run measures again', e);
  }
}

/** Forgets the choice of the last auto run ("Measure again"): its next run measures. */
export async function forgetLastChoice(): Promise<boolean> {
  if (!lastKey) return false;
  await del(lastKey, store());
  return true;
}
