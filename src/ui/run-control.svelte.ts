/**
 * What the Train and Checkpoints cells do with the notebook's run: train fresh, resume (latest, a
 * chosen checkpoint, or N more epochs), start over, follow another tab that trains the same run and
 * take over from it, and recover from a lost GPU device or a crashed worker by resuming in a fresh
 * worker. Create it while a component initialises: it starts its own effects.
 */
import type { CheckpointMeta } from '../shared/checkpoint';
import type { CheckpointEvent, RemoteRunEvent, RunOptions } from '../shared/engine-api';
import type { RunLineage } from '../shared/checkpoint';
import { Checkpoints } from './checkpoints.svelte';
import { proxy, restartEngine, type Engine } from './engine-client';
import { describeError } from './errors-ui';
import { takeUploadedWeights, uploads } from './files.svelte';
import { formatInt } from './format';
import { WORKER_LOST } from './evaluation.svelte';
import { diffModels } from './model-diff';
import { newRunId, type Notebook } from './notebook.svelte';
import type { Run } from './run.svelte';
import type { SharedNotebook } from './share';
import { Runs } from './runs.svelte';

const RECOVERABLE = WORKER_LOST;
const HANDLED = ['RunLockedError']; // shown as "Training in another tab", not as a failure
const MAX_RECOVERIES = 3; // in a row without a completed run: past that the failure is shown
const LOCK_POLL_MS = 3000; // a tab closed mid-run sends no 'released'; its lock goes, though

export class RunControl {
  readonly checkpoints: Checkpoints;
  /** Every stored run (the Runs cell). */
  readonly runs: Runs;
  /** A checkpoint whose weights "Load weights only" would start a new run from, while that is being confirmed. */
  confirmingWeights = $state.raw<CheckpointMeta | null>(null);
  /** An earlier checkpoint "Resume from here" would branch from, while that is being confirmed. */
  confirmingRewind = $state.raw<CheckpointMeta | null>(null);
  /** Another tab trains this run: the notebook is read-only and shows that tab's progress. */
  remote = $state(false);
  /** That tab released the run: this one may take over. */
  released = $state(false);
  /** A one-off message: a recovery, skipped checkpoints. */
  notice = $state<string | null>(null);
  /** The Start fresh confirmation is open. */
  confirmingFresh = $state(false);

  /** Layers where the stored run's model differs from the Model cell (empty when they agree). */
  modelDiff = $derived.by(() => {
    const info = this.checkpoints.info;
    return info ? diffModels(info.config.model, this.notebook.model) : [];
  });
  readOnly = $derived(this.remote);

  readonly notebook: Notebook;
  readonly run: Run;
  #engine: Engine;
  #recoveries = 0;
  #recovering: string | null = null;
  #autoResume = $state(false);
  #lockPoll: ReturnType<typeof setInterval> | undefined;
  /** While following another tab: whether it sent progress (it trained, rather than only holding the lock). */
  #sawRemoteProgress = false;

  constructor(engine: Engine, notebook: Notebook, run: Run) {
    this.#engine = engine;
    this.notebook = notebook;
    this.run = run;
    this.checkpoints = new Checkpoints(engine, () => this.notebook.runId);
    this.runs = new Runs(engine, () => (this.notebook.data.csv ? [this.notebook.data.csv.fileId] : []));
    $effect(() => {
      void this.checkpoints.list; // a new list after every save, delete and run: the Runs cell follows
      void this.notebook.runId;
      void this.runs.refresh();
    });
    run.evaluation.onWorkerLost = (e) => this.#onWorkerLost(e);
    $effect(() => {
      if (!notebook.loaded) return;
      void notebook.runId; // reopen when the run changes (an uploaded bundle was adopted)
      void this.#open();
    });
    $effect(() => {
      if (this.#autoResume && notebook.blocker === null && this.modelDiff.length === 0) {
        this.#autoResume = false;
        void this.resume();
      }
    });
    const onHidden = () => {
      // Best effort: the tab may be closed next, and a save at the next step boundary is cheap.
      if (document.visibilityState === 'hidden' && run.active && !this.remote) void this.saveNow();
    };
    document.addEventListener('visibilitychange', onHidden);
    $effect(() => () => document.removeEventListener('visibilitychange', onHidden));
  }

  /**
   * The Train button: after a state_dict upload, a new run from those weights (the old run's
   * checkpoints stay stored); else resume an interrupted run; else train from scratch.
   */
  async trainOrResume(): Promise<void> {
    if (uploads.weights && this.checkpoints.info) {
      const fileName = uploads.weights.fileName;
      this.#switchRun(newRunId());
      await this.#label({ kind: 'upload', fileName });
      return this.#train({ weightsFrom: takeUploadedWeights() });
    }
    if (this.checkpoints.resumable) return this.resume();
    if (this.checkpoints.info) this.confirmingFresh = true; // a finished run: Start fresh leaves it for a new one
    else {
      if (uploads.weights) await this.#label({ kind: 'upload', fileName: uploads.weights.fileName });
      await this.#train({ weightsFrom: takeUploadedWeights() });
    }
  }

  async resume(from = 'latest', extraEpochs?: number): Promise<void> {
    if (this.modelDiff.length > 0) return; // the cell shows the difference and the way out
    const earlier = from === 'latest' || from === this.checkpoints.info?.meta.id ? null : this.checkpoints.list.find((m) => m.id === from);
    if (earlier) {
      this.confirmingRewind = earlier; // rewinding branches: the later checkpoints stay with their run
      return;
    }
    await this.#train({ resumeFrom: from, extraEpochs });
  }

  /** Continues from an earlier checkpoint in a new run (a branch); the run it leaves keeps every checkpoint. */
  async rewind(meta: CheckpointMeta): Promise<void> {
    this.confirmingRewind = null;
    const from = this.notebook.runId;
    const fromEpoch = Math.max(...this.checkpoints.list.map((m) => m.epoch));
    const branch = newRunId();
    try {
      await this.#engine.branchRun(from, meta.id, branch, { lineage: { kind: 'rewind', runId: from, epoch: meta.epoch, fromEpoch } });
    } catch (e) {
      console.error(`Branching from checkpoint ${meta.id} of run ${from} failed:`, e);
      this.run.error = describeError(e);
      return;
    }
    this.#switchRun(branch);
    await this.#train({ resumeFrom: 'latest' });
  }

  /** Trains a new run from scratch; the run it leaves stays stored and listed in the Runs cell. */
  async startFresh(): Promise<void> {
    this.confirmingFresh = false;
    this.#switchRun(newRunId());
    await this.#train({});
  }

  /** Fine-tuning: a new run that starts from a stored checkpoint's weights (after confirmWeights). */
  async loadWeights(meta: CheckpointMeta): Promise<void> {
    this.confirmingWeights = null;
    this.#switchRun(newRunId());
    await this.#label({ kind: 'weights', runId: meta.runId, checkpointId: meta.id, epoch: meta.epoch });
    await this.#train({ weightsFrom: { runId: meta.runId, checkpointId: meta.id } });
  }

  /**
   * Opens a shared notebook (a link or a notebook file) in place of this one, with a new run or the
   * run of the checkpoint it brought. This notebook and its run stay stored (Back to my notebook).
   */
  async openShared(shared: SharedNotebook, runId = newRunId()): Promise<void> {
    this.#refuseWhileTraining();
    await this.notebook.replace(shared, runId, () => this.#beforeSwitch());
  }

  async backToPrevious(): Promise<void> {
    this.#refuseWhileTraining();
    await this.notebook.backToPrevious(() => this.#beforeSwitch());
  }

  #refuseWhileTraining(): void {
    if (this.run.active || this.remote) throw new Error('A run is training in this notebook. Stop it first (Train cell), then open the notebook again; nothing was changed.');
  }

  /** The notebook's run is about to change: forget the old run's view; #open then shows the new one's. */
  #beforeSwitch(): void {
    this.checkpoints.clear();
    this.notice = null;
    this.run.clear();
  }

  /**
   * Makes a stored run the notebook's (Runs cell): its settings and notes replace the notebook's,
   * so Resume continues it; the run left stays stored and listed.
   */
  async switchTo(runId: string): Promise<void> {
    if (this.run.active || runId === this.notebook.runId) return;
    try {
      const info = await this.#engine.resumeInfo(runId);
      if (!info) throw new Error(`Run ${this.runs.nameOf(runId)} has no checkpoint that can be read.`);
      this.checkpoints.clear();
      this.notebook.adoptRun(runId, info.config, info.notes);
    } catch (e) {
      console.error(`Switching to run ${runId} failed:`, e);
      this.runs.error = describeError(e);
    }
  }

  async #label(lineage: RunLineage): Promise<void> {
    await this.runs.label(this.notebook.runId, { lineage });
  }

  adoptCheckpointModel(): void {
    const info = this.checkpoints.info;
    if (info) this.notebook.model = structuredClone(info.config.model);
  }

  async saveNow(): Promise<void> {
    try {
      await this.#engine.saveNow();
    } catch (e) {
      console.error('Save now failed:', e);
    }
    if (this.run.active) return; // the run's own checkpoint events report the outcome
    // Between runs no event comes back: the stored list says whether the state was saved.
    await this.checkpoints.refresh();
    if (this.checkpoints.info?.meta.step === this.run.step) this.checkpoints.clearSaveError();
  }

  /** After the other tab released the run: check it is free, then continue it here. */
  async takeOver(): Promise<void> {
    await this.checkpoints.refresh();
    const info = this.checkpoints.info;
    if (info?.lockedElsewhere) {
      this.released = false;
      return;
    }
    this.remote = false;
    this.released = false;
    if (info) this.#showStored();
    if (this.checkpoints.resumable) await this.resume();
  }

  async #open(): Promise<void> {
    this.notice = null;
    const runId = this.notebook.runId;
    const [, runs] = await Promise.all([this.checkpoints.refresh(), this.runs.refresh()]);
    const info = this.checkpoints.info;
    if (!info || this.run.active) return;
    const paused = runs?.find((r) => r.runId === runId)?.label.pausedAt !== undefined;
    this.#showStored();
    const s = info.skipped[0];
    if (s) this.notice = `Latest checkpoint (epoch ${s.meta.epoch}) is unreadable: ${s.reason}. Resumes from epoch ${info.meta.epoch}.`;
    if (info.lockedElsewhere) void this.#watch();
    else if (this.notebook.autoResume && this.checkpoints.resumable && !paused) this.#autoResume = true; // a paused run stays paused
  }

  #showStored(): void {
    const info = this.checkpoints.info;
    if (!info) return;
    const batches = Math.ceil((this.notebook.preview?.trainSize ?? 0) / info.config.train.batchSize);
    const stepsPerEpoch = batches > 0 ? batches : Math.max(1, Math.round(info.meta.step / Math.max(1, info.meta.epoch)));
    this.run.regression = this.notebook.preview?.kind === 'regression';
    this.run.restore(info.history, info.stepLosses, { epoch: info.meta.epoch, epochs: info.config.train.epochs, step: info.meta.step, stepsPerEpoch });
  }

  #switchRun(runId: string): void {
    this.checkpoints.clear();
    this.notice = null;
    this.notebook.runId = runId;
  }

  async #train(extra: Partial<RunOptions>): Promise<void> {
    const backend = this.run.forcedBackend ?? this.notebook.train.backend;
    const options: RunOptions = { runId: this.notebook.runId, notes: this.notebook.notes, ...extra };
    const error = await this.run.train({
      config: this.notebook.runConfig(backend),
      regression: this.notebook.preview?.kind === 'regression',
      options,
      onCheckpoint: (e) => this.#onCheckpoint(e),
      recoverable: this.#recoveries < MAX_RECOVERIES ? [...HANDLED, ...RECOVERABLE] : HANDLED,
    });
    if (error?.name === 'RunLockedError') return this.#watch();
    if (error && RECOVERABLE.includes(error.name) && !this.run.error) return this.#recover(error);
    if (!error) this.#recoveries = 0;
    await this.checkpoints.refresh();
  }

  #onCheckpoint(e: CheckpointEvent): void {
    this.checkpoints.onEvent(e);
    if (!e.resumed) return;
    const { meta, skipped } = e.resumed;
    this.run.truncate(meta.epoch, meta.step);
    if (this.#recovering) this.notice = `${this.#recovering}; resumed from epoch ${meta.epoch} in a fresh worker.`;
    else if (skipped[0]) this.notice = `Latest checkpoint (epoch ${skipped[0].meta.epoch}) is unreadable: ${skipped[0].reason}. Resumed from epoch ${meta.epoch}.`;
    else this.notice = `Resumed from epoch ${meta.epoch} (${meta.kind} checkpoint, step ${formatInt(meta.step)}).`;
    this.#recovering = null;
  }

  /**
   * A lost GPU device or crashed worker met outside a train call (the Evaluate cell's calls, e.g.
   * as the last epoch ends). While a run trains, its own train call fails the same way and recovers.
   */
  #onWorkerLost(error: Error): void {
    if (this.run.active || this.#recovering || this.remote) return;
    if (this.#recoveries >= MAX_RECOVERIES) {
      this.run.error = describeError(error);
      return;
    }
    void this.#recover(error);
  }

  async #recover(error: Error): Promise<void> {
    this.#recoveries++;
    console.warn('Restarting the training worker after:', error);
    this.#recovering = error.name === 'GpuDeviceLostError' ? 'The GPU device was lost' : 'The training worker crashed';
    this.run.evaluation.cancel(); // its calls went to the old worker
    restartEngine();
    await this.checkpoints.refresh();
    if (this.checkpoints.info) return this.#train({ resumeFrom: 'latest' });
    this.notice = `${this.#recovering} before the first checkpoint; started again from scratch in a fresh worker.`;
    this.#recovering = null;
    await this.#train({});
  }

  async #watch(): Promise<void> {
    if (this.remote) return;
    this.remote = true;
    this.released = false;
    const runId = this.notebook.runId;
    await this.checkpoints.refresh();
    this.#showStored();
    this.run.state = 'training';
    this.#sawRemoteProgress = false;
    const onEvent = (e: RemoteRunEvent) => {
      if (e.type === 'progress') {
        this.#sawRemoteProgress = true;
        this.run.showRemote(e.progress);
      }
      else if (e.type === 'checkpoint') void this.checkpoints.refresh();
      else this.#released();
    };
    this.#lockPoll = setInterval(async () => {
      const info = await this.#engine.resumeInfo(runId).catch(() => null);
      if (info && !info.lockedElsewhere) this.#released();
    }, LOCK_POLL_MS);
    try {
      await this.#engine.watchRun(runId, proxy(onEvent));
      this.#released();
    } catch (e) {
      console.error(`Following run ${runId} in the other tab failed:`, e);
    } finally {
      clearInterval(this.#lockPoll);
    }
  }

  #released(): void {
    if (!this.remote || this.released) return;
    clearInterval(this.#lockPoll);
    if (!this.#sawRemoteProgress) {
      // Nothing trained elsewhere while we watched: the lock was a closing page's (this tab's own,
      // reloaded while it paused and saved). No other tab to take over from: show the stored run.
      this.remote = false;
      this.run.state = 'idle';
      void this.checkpoints.refresh().then(() => this.#showStored());
      return;
    }
    this.released = true;
    if (this.run.active) this.run.state = 'stopped';
    void this.checkpoints.refresh();
  }
}

/** "epoch 25/50 · step 12,000 · best val loss 0.3961 (epoch 22)". */
export function describeStoredRun(info: NonNullable<Checkpoints['info']>, formatLoss: (x: number) => string): string {
  const parts = [`epoch ${info.meta.epoch}/${info.config.train.epochs}`, `step ${formatInt(info.meta.step)}`];
  if (info.best) parts.push(`best val loss ${formatLoss(info.best.valLoss)} (epoch ${info.best.epoch})`);
  return parts.join(' · ');
}
