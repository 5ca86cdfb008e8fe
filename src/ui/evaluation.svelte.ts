/**
 * Evaluation of the current model: accuracy and confusion matrix (or MSE), the decision boundary
 * for 2-D data, and digit predictions. Refreshes are coalesced: while one is in flight, further
 * requests collapse into a single follow-up, so a fast run never queues work behind it.
 *
 * A lost GPU device or a crashed worker is not an evaluation failure: it goes to `onWorkerLost`
 * (the run's recovery) and shows nothing here. When the worker is replaced, `cancel()` drops the
 * refresh in flight and the queued one: their answers would come from (or go to) the wrong worker.
 */
import type { DecisionBoundary, EvalResult, FittedCurve } from '../shared/engine-api';
import type { Engine } from './engine-client';
import { describeError, isCancel, type UiError } from './errors-ui';

const BOUNDARY_GRID = 64;
const CURVE_STEPS = 200;
/**
 * Live decision boundary (or fitted curve) while training: the next redraw waits at least this many times as long
 * as the last one took, so the worker spends at most 1/(1+19) = 5% of its time on it.
 */
const LIVE_WAIT_FACTOR = 19;
const LIVE_MIN_INTERVAL_MS = 250; // no more than 4 redraws a second, however cheap
/** Failures that mean the worker (or its GPU) is gone; the run recovers from them in a fresh worker. */
export const WORKER_LOST = ['GpuDeviceLostError', 'WorkerCrashedError'];

export class Evaluation {
  result = $state.raw<EvalResult | null>(null);
  boundary = $state.raw<DecisionBoundary | null>(null);
  /** The fitted curve of a 1-D regression model. */
  curve = $state.raw<FittedCurve | null>(null);
  /** Class probabilities of the last drawn digit. */
  probabilities = $state.raw<number[] | null>(null);
  error = $state.raw<UiError | null>(null);
  predictError = $state<string | null>(null);
  /** Called when a refresh found the worker or its GPU device lost (set by the run's recovery). */
  onWorkerLost: ((e: Error) => void) | null = null;

  #engine: Engine;
  #inFlight = false;
  #pending = false;
  /** Bumped by cancel(): a refresh started under an older generation is stale. */
  #generation = 0;
  #cancelled: () => void = () => {};
  /** Live view: in flight, when the last ended and what it cost; false once neither view applies. */
  #liveInFlight = false;
  #liveEndedAt = -Infinity;
  #liveCostMs = 0;
  #liveApplies = true;
  /** Redraws during training and their total time, for the e2e test and the bench (data-* on the figure). */
  live = $state({ redraws: 0, busyMs: 0, sinceMs: 0 });

  constructor(engine: Engine) {
    this.#engine = engine;
  }

  reset(): void {
    this.#liveApplies = true;
    this.#liveEndedAt = -Infinity;
    this.live = { redraws: 0, busyMs: 0, sinceMs: performance.now() };
    this.result = null;
    this.boundary = null;
    this.curve = null;
    this.probabilities = null;
    this.error = null;
    this.predictError = null;
  }

  /** Drops the refresh in flight (its promise settles at once) and the queued one. */
  cancel(): void {
    this.#generation++;
    this.#pending = false;
    this.#inFlight = false;
    this.#cancelled();
  }

  async refresh(): Promise<void> {
    if (this.#inFlight) {
      this.#pending = true;
      return;
    }
    this.#inFlight = true;
    const generation = this.#generation;
    // A terminated worker never answers: cancel() settles the wait instead.
    const cancelled = new Promise<'cancelled'>((r) => (this.#cancelled = () => r('cancelled')));
    try {
      const answer = await Promise.race([Promise.all([this.#engine.evaluate(), this.#engine.decisionBoundary(BOUNDARY_GRID), this.#engine.fittedCurve(CURVE_STEPS)]), cancelled]);
      if (answer === 'cancelled' || generation !== this.#generation) return;
      [this.result, this.boundary, this.curve] = answer;
      this.error = null;
    } catch (e) {
      if (generation !== this.#generation || isCancel(e)) return;
      if (e instanceof Error && WORKER_LOST.includes(e.name)) {
        console.warn('Evaluation interrupted; the run recovers in a fresh worker:', e);
        this.#pending = false;
        this.onWorkerLost?.(e);
        return;
      }
      console.error('Evaluation failed:', e);
      this.error = describeError(e);
    } finally {
      if (generation === this.#generation) this.#inFlight = false;
    }
    if (this.#pending) {
      this.#pending = false;
      await this.refresh();
    }
  }

  /**
   * The decision boundary (2-D classification) or the fitted curve (1-D regression) alone, between
   * epoch ends, so it changes as the network learns. Skipped while a redraw or a full refresh is in
   * flight and until the throttle allows.
   */
  async refreshBoundaryLive(): Promise<void> {
    const now = performance.now();
    if (!this.#liveApplies || this.#liveInFlight || this.#inFlight) return;
    if (now - this.#liveEndedAt < Math.max(LIVE_MIN_INTERVAL_MS, LIVE_WAIT_FACTOR * this.#liveCostMs)) return;
    this.#liveInFlight = true;
    const generation = this.#generation;
    try {
      const boundary = this.curve ? null : await this.#engine.decisionBoundary(BOUNDARY_GRID);
      const curve = boundary ? null : await this.#engine.fittedCurve(CURVE_STEPS);
      if (generation !== this.#generation || this.#inFlight) return; // a full refresh answers instead
      if (boundary) this.boundary = boundary;
      else if (curve) this.curve = curve;
      else this.#liveApplies = false; // neither 2-D classification nor 1-D regression: never ask again this run
    } catch (e) {
      // The run's own events report a lost worker; a live redraw failing is not worth an alert.
      if (!isCancel(e)) console.warn('Live decision boundary skipped:', e);
    } finally {
      const ended = performance.now();
      this.#liveCostMs = ended - now;
      this.#liveEndedAt = ended;
      this.#liveInFlight = false;
      this.live = { redraws: this.live.redraws + 1, busyMs: this.live.busyMs + this.#liveCostMs, sinceMs: this.live.sinceMs };
    }
  }

  async predict(input: Float32Array): Promise<void> {
    try {
      this.probabilities = await this.#engine.predict(input);
      this.predictError = null;
    } catch (e) {
      if (e instanceof Error && WORKER_LOST.includes(e.name)) return this.onWorkerLost?.(e);
      console.error('Prediction failed:', e);
      this.predictError = describeError(e).message;
    }
  }
}
