/**
 * Every run stored in this browser, for the Runs cell: list, rename, delete with a short undo.
 * Deleting marks the run (label.deletedAt) and removes it for good once the undo window has
 * passed, so a tab closed meanwhile loses nothing it was not asked to and the next open finishes it.
 */
import type { RunCurves, RunLabel, RunListing } from '../shared/checkpoint';
import type { Engine } from './engine-client';
import { describeError, type UiError } from './errors-ui';

/** How long Undo is offered after Delete. */
export const UNDO_MS = 10_000;

export class Runs {
  /** Every stored run, oldest first, deleted ones (still undoable) included. */
  all = $state.raw<RunListing[]>([]);
  /** The run whose checkpoints are shown, or null. */
  openId = $state<string | null>(null);
  /** The last deleted run while Undo is offered. */
  pending = $state.raw<{ runId: string; name: string } | null>(null);
  error = $state.raw<UiError | null>(null);

  /** Runs ticked for the comparison chart, in the order they were ticked. */
  compared = $state.raw<string[]>([]);
  /** Stored curves of compared runs, by run id (kept while the run's newest checkpoint stays the same). */
  curves = $state.raw<Readonly<Record<string, RunCurves>>>({});

  list = $derived(this.all.filter((r) => r.label.deletedAt === undefined));
  totalBytes = $derived(this.list.reduce((n, r) => n + r.sizeBytes, 0));

  #engine: Engine;
  #keepFiles: () => string[];
  #timer: ReturnType<typeof setTimeout> | undefined;
  #generation = 0;
  /** The listing's updatedAt each run's curves were read at. */
  #curvesAt: Record<string, number> = {};

  /** `keepFiles`: the stored files the notebook uses, which deleting a run must not free. */
  constructor(engine: Engine, keepFiles: () => string[]) {
    this.#engine = engine;
    this.#keepFiles = keepFiles;
  }

  /** The run's name: its own, or "Run N" by its place among the stored runs. */
  nameOf(runId: string): string {
    const i = this.all.findIndex((r) => r.runId === runId);
    return this.all[i]?.label.name || (i >= 0 ? `Run ${i + 1}` : runId);
  }

  /** Re-reads the list. @returns what it read (also when a newer refresh wins), null when that failed */
  async refresh(): Promise<RunListing[] | null> {
    const generation = ++this.#generation;
    try {
      const all = await this.#engine.listRuns();
      if (generation !== this.#generation) return all;
      this.all = all;
      this.error = null;
      // Deletions whose undo window passed while no tab finished them (the tab was closed).
      const stale = all.filter((r) => r.label.deletedAt !== undefined && r.runId !== this.pending?.runId && Date.now() - r.label.deletedAt >= UNDO_MS);
      for (const r of stale) await this.#purge(r.runId);
      return all;
    } catch (e) {
      console.error('Listing the stored runs failed:', e);
      this.error = describeError(e);
      return null;
    }
  }

  toggleCompare(runId: string, on: boolean): void {
    this.compared = on ? [...this.compared.filter((id) => id !== runId), runId] : this.compared.filter((id) => id !== runId);
  }

  /** Reads the curves of the compared runs that are not loaded yet or gained a checkpoint since. */
  async loadCurves(): Promise<void> {
    const stale = this.list.filter((r) => this.compared.includes(r.runId) && this.#curvesAt[r.runId] !== r.updatedAt);
    if (stale.length === 0) return;
    stale.forEach((r) => (this.#curvesAt[r.runId] = r.updatedAt));
    try {
      const read = await this.#engine.runCurves(stale.map((r) => r.runId));
      this.curves = { ...this.curves, ...Object.fromEntries(read.map((c) => [c.runId, c])) };
    } catch (e) {
      stale.forEach((r) => delete this.#curvesAt[r.runId]);
      console.error('Reading the curves of the compared runs failed:', e);
      this.error = describeError(e);
    }
  }

  async rename(runId: string, name: string): Promise<void> {
    await this.#label(runId, { name: name.trim() || undefined });
  }

  async label(runId: string, patch: Partial<RunLabel>): Promise<void> {
    await this.#label(runId, patch);
  }

  /** Hides the run and offers Undo; removes it for good after UNDO_MS. */
  async remove(runId: string): Promise<void> {
    if (this.pending) await this.#finishPending();
    const name = this.nameOf(runId);
    if (this.openId === runId) this.openId = null;
    await this.#label(runId, { deletedAt: Date.now() });
    this.pending = { runId, name };
    this.#timer = setTimeout(() => void this.#finishPending(), UNDO_MS);
  }

  async undo(): Promise<void> {
    const p = this.pending;
    if (!p) return;
    clearTimeout(this.#timer);
    this.pending = null;
    await this.#label(p.runId, { deletedAt: undefined });
  }

  async #finishPending(): Promise<void> {
    const p = this.pending;
    clearTimeout(this.#timer);
    this.pending = null;
    if (p) await this.#purge(p.runId);
    await this.refresh();
  }

  async #purge(runId: string): Promise<void> {
    try {
      await this.#engine.deleteRun(runId, this.#keepFiles());
    } catch (e) {
      console.error(`Deleting run ${runId} failed; it stays in storage:`, e);
      this.error = describeError(e);
    }
  }

  async #label(runId: string, patch: Partial<RunLabel>): Promise<void> {
    try {
      await this.#engine.labelRun(runId, patch);
    } catch (e) {
      console.error(`Changing the label of run ${runId} failed:`, e);
      this.error = describeError(e);
    }
    await this.refresh();
  }
}
