/**
 * What is stored for the notebook's run: its checkpoints, the newest resumable one, save failures,
 * and the browser storage they live in. Refreshed after every save, delete and run.
 */
import type { CheckpointMeta } from '../shared/checkpoint';
import type { CheckpointEvent, ResumeInfo, StorageStatus } from '../shared/engine-api';
import type { Engine } from './engine-client';
import { describeError, type UiError } from './errors-ui';

export class Checkpoints {
  list = $state.raw<CheckpointMeta[]>([]);
  /** The newest valid checkpoint and what resuming from it restores; null when there is none. */
  info = $state.raw<ResumeInfo | null>(null);
  storage = $state.raw<StorageStatus | null>(null);
  /** Answer of navigator.storage.persist() at the first save; null before it was asked. */
  persistGranted = $state<boolean | null>(null);
  /** The last failed save (training went on). */
  saveError = $state.raw<{ name: string; message: string } | null>(null);
  /**
   * A save succeeded after a full disk. Chromium may then find this site's database damaged at its
   * next start and delete it (test/e2e/full-disk.e2e.ts), so the page asks for a file copy too.
   */
  savedAfterFull = $state(false);
  /** A failed list, delete or cleanup. */
  error = $state.raw<UiError | null>(null);

  totalBytes = $derived(this.list.reduce((sum, m) => sum + m.sizeBytes, 0));
  finished = $derived(this.info !== null && this.info.meta.epoch >= this.info.config.train.epochs);
  resumable = $derived(this.info !== null && !this.finished);

  #engine: Engine;
  #runId: () => string;
  #generation = 0;

  constructor(engine: Engine, runId: () => string) {
    this.#engine = engine;
    this.#runId = runId;
  }

  /** Re-reads the list, the resume point and the storage estimate. */
  async refresh(): Promise<void> {
    const runId = this.#runId();
    const generation = ++this.#generation;
    try {
      const [list, info, storage] = await Promise.all([
        this.#engine.listCheckpoints(runId),
        this.#engine.resumeInfo(runId),
        this.#engine.storageStatus(),
      ]);
      if (generation !== this.#generation) return; // a newer refresh (or another run) won
      this.list = list;
      this.info = info;
      this.storage = storage;
      this.error = null;
    } catch (e) {
      console.error(`Reading the checkpoints of run ${runId} failed:`, e);
      if (generation === this.#generation) this.error = describeError(e);
    }
  }

  /** Handles the worker's report of a save, a failed save or a resume. */
  onEvent(e: CheckpointEvent): void {
    if (e.error) {
      console.warn('Saving a checkpoint failed; training goes on:', e.error);
      this.saveError = e.error;
    }
    if (e.saved) {
      this.clearSaveError();
      if (this.persistGranted === null) void this.#askPersist();
    }
    if (e.saved || e.deleted) void this.refresh();
  }

  /** A save succeeded: the last failure no longer holds. */
  clearSaveError(): void {
    if (this.saveError?.name === 'StorageFullError') this.savedAfterFull = true;
    this.saveError = null;
  }

  async remove(id: string): Promise<void> {
    await this.#change(() => this.#engine.deleteCheckpoint(this.#runId(), id));
  }

  async keepLast(k: number): Promise<void> {
    await this.#change(() => this.#engine.cleanupCheckpoints(this.#runId(), k));
  }

  clear(): void {
    ++this.#generation;
    this.list = [];
    this.info = null;
    this.saveError = null;
    this.savedAfterFull = false;
  }

  async #change(action: () => Promise<unknown>): Promise<void> {
    try {
      await action();
    } catch (e) {
      console.error('Changing checkpoints failed:', e);
      this.error = describeError(e);
    }
    await this.refresh();
  }

  // The page asks, not the worker: navigator.storage.persist() does not exist in workers.
  async #askPersist(): Promise<void> {
    this.persistGranted = false;
    try {
      this.persistGranted = (await navigator.storage?.persist?.()) ?? false;
    } catch (e) {
      console.warn('navigator.storage.persist() failed:', e);
    }
    void this.refresh();
  }
}
