/**
 * One training run's UI state, fed by the worker's progress events (or another tab's, while it
 * trains this notebook's run). Step losses are appended in place to plain arrays and published as a
 * fresh `$state.raw` wrapper per chunk, so charts can redraw cheaply past 10,000 points without
 * copying. A resumed run starts from the checkpoint's history, so the charts continue.
 */
import type { BackendChoice, RunConfig } from '../shared/config';
import type { BackendInfo, CheckpointEvent, EpochMetrics, ProgressEvent, RunOptions, RunState } from '../shared/engine-api';
import { proxy, workerCrash, type Engine } from './engine-client';
import { describeError, isCancel, type UiError } from './errors-ui';
import { Evaluation } from './evaluation.svelte';

export interface LossSeries {
  /** Global step (1-based) of each point. */
  x: number[];
  loss: (number | null)[];
  /** Validation loss at epoch ends, null elsewhere (the chart spans the gaps). */
  val: (number | null)[];
}

export interface TrainRequest {
  config: RunConfig;
  regression: boolean;
  options?: RunOptions;
  onCheckpoint?: (e: CheckpointEvent) => void;
  /** Error names the caller recovers from itself: returned, not shown. */
  recoverable?: readonly string[];
}

const ACTIVE: readonly RunState[] = ['measuring', 'training', 'paused'];

export class Run {
  state = $state<RunState>('idle');
  epoch = $state(0);
  epochs = $state(0);
  step = $state(0);
  samplesPerSec = $state(0);
  etaSec = $state(0);
  losses = $state.raw<LossSeries>({ x: [], loss: [], val: [] });
  history = $state.raw<EpochMetrics[]>([]);
  backend = $state.raw<BackendInfo | null>(null);
  error = $state.raw<UiError | null>(null);
  /** "Measure again" was pressed: the next auto run times every backend. */
  choiceForgotten = $state(false);
  /** Whether the dataset of this run is a regression (chooses accuracy vs MSE wording). */
  regression = $state(false);

  measuring = $derived(this.state === 'measuring');
  active = $derived(ACTIVE.includes(this.state));
  latest = $derived(this.history.at(-1) ?? null);

  readonly evaluation: Evaluation;
  readonly forcedBackend: BackendChoice | null;
  #engine: Engine;

  constructor(engine: Engine, forcedBackend: BackendChoice | null) {
    this.#engine = engine;
    this.forcedBackend = forcedBackend;
    this.evaluation = new Evaluation(engine);
  }

  /** Trains to the end, a stop or a failure. Returns the error of a failure, null otherwise. */
  async train({ config, regression, options, onCheckpoint, recoverable = [] }: TrainRequest): Promise<Error | null> {
    if (this.active) return null;
    if (options?.resumeFrom) this.error = null;
    else this.#reset(config.train.epochs, regression);
    this.state = config.train.backend === 'auto' ? 'measuring' : 'training';
    this.choiceForgotten = false;
    const crash = workerCrash();
    try {
      const summary = await Promise.race([
        this.#engine.train(
          config,
          proxy((e: ProgressEvent) => this.#onProgress(e, true)),
          proxy((b: BackendInfo) => (this.backend = b)),
          options,
          onCheckpoint && proxy(onCheckpoint),
        ),
        crash.crashed,
      ]);
      this.state = summary.state;
      this.epoch = summary.epoch;
      if (summary.history.length >= this.history.length) this.history = summary.history;
      if (summary.state !== 'failed') await this.evaluation.refresh();
      return null;
    } catch (e) {
      if (isCancel(e)) {
        this.state = 'stopped';
        return null;
      }
      this.state = 'failed';
      const error = e instanceof Error ? e : new Error(String(e));
      if (recoverable.includes(error.name)) return error;
      console.error('Training failed:', e);
      this.error = describeError(e);
      return error;
    } finally {
      crash.dispose();
    }
  }

  /** Shows a stored run: its epoch history and per-step losses, as the charts had them. */
  restore(history: EpochMetrics[], stepLosses: ArrayLike<number>, at: { epoch: number; epochs: number; step: number; stepsPerEpoch: number }): void {
    this.#reset(at.epochs, this.regression);
    const x = Array.from({ length: stepLosses.length }, (_, i) => i + 1);
    const loss = Array.from(stepLosses, (l) => (Number.isFinite(l) ? l : null));
    const val = x.map((): number | null => null);
    for (const m of history) {
      const i = Math.min(m.epoch * at.stepsPerEpoch, x.length) - 1;
      if (i >= 0) val[i] = m.valLoss;
    }
    this.losses = { x, loss, val };
    this.history = history;
    this.epoch = at.epoch;
    this.step = at.step;
    this.state = at.epoch >= at.epochs ? 'finished' : 'stopped';
  }

  /** Shows no run (another notebook with a new run was opened). */
  clear(): void {
    if (this.active) return;
    this.#reset(0, false);
    this.state = 'idle';
  }

  /** Drops what came after `step` (resuming from an earlier checkpoint). */
  truncate(epoch: number, step: number): void {
    const n = this.losses.x.findIndex((s) => s > step);
    if (n >= 0) this.losses = { x: this.losses.x.slice(0, n), loss: this.losses.loss.slice(0, n), val: this.losses.val.slice(0, n) };
    this.history = this.history.filter((m) => m.epoch <= epoch);
  }

  /** Progress of this run trained in another tab: same charts, no evaluation here. */
  showRemote(e: ProgressEvent): void {
    this.#onProgress(e, false);
  }

  /** Forgets auto's remembered backend for this situation, so the next Train measures again. */
  async measureAgain(): Promise<void> {
    try {
      this.choiceForgotten = await this.#engine.forgetBackendChoice();
    } catch (e) {
      console.error('Could not forget the remembered backend choice:', e);
      this.error = describeError(e);
    }
  }

  async pause(): Promise<void> {
    await this.#call(() => this.#engine.pause(), 'paused');
  }

  async resume(): Promise<void> {
    await this.#call(() => this.#engine.resume(), 'training');
  }

  async stop(): Promise<void> {
    await this.#call(() => this.#engine.stop());
  }

  async #call(action: () => Promise<void>, next?: RunState): Promise<void> {
    try {
      await action();
      if (next && this.active) this.state = next;
    } catch (e) {
      console.error('Run control failed:', e);
      this.error = describeError(e);
    }
  }

  #reset(epochs: number, regression: boolean): void {
    this.epoch = 0;
    this.epochs = epochs;
    this.step = 0;
    this.samplesPerSec = 0;
    this.etaSec = 0;
    this.losses = { x: [], loss: [], val: [] };
    this.history = [];
    this.error = null;
    this.regression = regression;
    this.evaluation.reset();
  }

  #onProgress(e: ProgressEvent, local: boolean): void {
    // A late event must not undo a pause the user just asked for.
    if (!(this.state === 'paused' && e.state === 'training')) this.state = e.state;
    this.epoch = e.epoch;
    this.epochs = e.epochs;
    this.step = e.step;
    this.samplesPerSec = e.samplesPerSec;
    this.etaSec = e.etaSec;
    const { x, loss, val } = this.losses;
    const first = e.step - e.losses.length + 1;
    // Steps already shown (restored from a checkpoint another tab saved meanwhile) are skipped.
    const last = x.at(-1) ?? 0;
    e.losses.forEach((l, i) => {
      if (first + i <= last) return;
      x.push(first + i);
      loss.push(Number.isFinite(l) ? l : null);
      val.push(null);
    });
    if (e.epochMetrics && e.epochMetrics.epoch > (this.history.at(-1)?.epoch ?? 0)) {
      if (x.at(-1) !== e.step) {
        x.push(e.step);
        loss.push(null);
        val.push(null);
      }
      val[val.length - 1] = e.epochMetrics.valLoss;
      this.history = [...this.history, e.epochMetrics];
      if (local) void this.evaluation.refresh();
    } else if (local && e.state === 'training') {
      void this.evaluation.refreshBoundaryLive(); // throttled: see Evaluation
    }
    this.losses = { x, loss, val };
  }
}
