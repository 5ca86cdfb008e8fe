/**
 * Evaluation of the current model: accuracy and confusion matrix (or MSE), the decision boundary
 * for 2-D data, and digit predictions. Refreshes are coalesced: while one is in flight, further
 * requests collapse into a single follow-up, so a fast run never queues work behind it.
 */
import type { DecisionBoundary, EvalResult } from '../shared/engine-api';
import type { Engine } from './engine-client';
import { describeError, type UiError } from './errors-ui';

const BOUNDARY_GRID = 64;

export class Evaluation {
  result = $state.raw<EvalResult | null>(null);
  boundary = $state.raw<DecisionBoundary | null>(null);
  /** Class probabilities of the last drawn digit. */
  probabilities = $state.raw<number[] | null>(null);
  error = $state.raw<UiError | null>(null);
  predictError = $state<string | null>(null);

  #engine: Engine;
  #inFlight = false;
  #pending = false;

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

  async refresh(): Promise<void> {
    if (this.#inFlight) {
      this.#pending = true;
      return;
    }
    this.#inFlight = true;
    try {
      const [result, boundary] = await Promise.all([this.#engine.evaluate(), this.#engine.decisionBoundary(BOUNDARY_GRID)]);
      this.result = result;
      this.boundary = boundary;
      this.error = null;
    } catch (e) {
      console.error('Evaluation failed:', e);
      this.error = describeError(e);
    } finally {
      this.#inFlight = false;
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
      console.error('Prediction failed:', e);
      this.predictError = describeError(e).message;
    }
  }
}
