/**
 * Evaluation of the current model: accuracy and confusion matrix (or MSE), the decision boundary
 * for 2-D data, and digit predictions. Refreshes are coalesced: while one is in flight, further
 * requests collapse into a single follow-up, so a fast run never queues work behind it.
 *
 * A lost GPU device or a crashed worker is not an evaluation failure: it goes to `onWorkerLost`
 * (the run's recovery) and shows nothing here. When the worker is replaced, `cancel()` drops the
 * refresh in flight and the queued one: their answers would come from (or go to) the wrong worker.
 */
import type { DecisionBoundary, EvalResult } from '../shared/engine-api';
import type { Engine } from './engine-client';
import { describeError, isCancel, type UiError } from './errors-ui';

const BOUNDARY_GRID = 64;
/** Failures that mean the worker (or its GPU) is gone; the run recovers from them in a fresh worker. */
export const WORKER_LOST = ['GpuDeviceLostError', 'WorkerCrashedError'];

export class Evaluation {
  result = $state.raw<EvalResult | null>(null);
  boundary = $state.raw<DecisionBoundary | null>(null);
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

  constructor(engine: Engine) {
    this.#engine = engine;
  }

  reset(): void {
    this.result = null;
    this.boundary = null;
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
      const answer = await Promise.race([Promise.all([this.#engine.evaluate(), this.#engine.decisionBoundary(BOUNDARY_GRID)]), cancelled]);
      if (answer === 'cancelled' || generation !== this.#generation) return;
      [this.result, this.boundary] = answer;
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
