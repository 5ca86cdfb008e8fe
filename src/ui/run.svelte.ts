/**
 * One training run's UI state, fed by the worker's progress events. Step losses are appended in
 * place to plain arrays and published as a fresh `$state.raw` wrapper per chunk, so charts can
 * redraw cheaply past 10,000 points without copying.
 */
import type { BackendChoice, RunConfig } from '../shared/config';
import type { BackendInfo, EpochMetrics, ProgressEvent, RunState } from '../shared/engine-api';
import { proxy, type Engine } from './engine-client';
import { describeError, isCancel, type UiError } from './errors-ui';
import { Evaluation } from './evaluation.svelte';

export interface LossSeries {
  /** Global step (1-based) of each point. */
  x: number[];
  loss: (number | null)[];
  /** Validation loss at epoch ends, null elsewhere (the chart spans the gaps). */
  val: (number | null)[];
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

  async train(config: RunConfig, regression: boolean): Promise<void> {
    if (this.active) return;
    this.#reset(config.train.epochs, regression);
    this.state = config.train.backend === 'auto' ? 'measuring' : 'training';
    try {
      const summary = await this.#engine.train(
        config,
        proxy((e: ProgressEvent) => this.#onProgress(e)),
        proxy((b: BackendInfo) => (this.backend = b)),
      );
      this.state = summary.state;
      this.epoch = summary.epoch;
      if (summary.history.length >= this.history.length) this.history = summary.history;
      if (summary.state !== 'failed') await this.evaluation.refresh();
    } catch (e) {
      if (isCancel(e)) {
        this.state = 'stopped';
        return;
      }
      console.error('Training failed:', e);
      this.error = describeError(e);
      this.state = 'failed';
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

  #onProgress(e: ProgressEvent): void {
    // A late event must not undo a pause the user just asked for.
    if (!(this.state === 'paused' && e.state === 'training')) this.state = e.state;
    this.epoch = e.epoch;
    this.epochs = e.epochs;
    this.step = e.step;
    this.samplesPerSec = e.samplesPerSec;
    this.etaSec = e.etaSec;
    const { x, loss, val } = this.losses;
    const first = e.step - e.losses.length + 1;
    e.losses.forEach((l, i) => {
      x.push(first + i);
      loss.push(Number.isFinite(l) ? l : null);
      val.push(null);
    });
    if (e.epochMetrics) {
      if (x.at(-1) !== e.step) {
        x.push(e.step);
        loss.push(null);
        val.push(null);
      }
      val[val.length - 1] = e.epochMetrics.valLoss;
      this.history = [...this.history, e.epochMetrics];
      void this.evaluation.refresh();
    }
    this.losses = { x, loss, val };
  }
}
