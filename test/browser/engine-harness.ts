/** Drives the app's real training worker from Playwright through `window.__tabTrainer`. */
import type { Page } from '@playwright/test';
import type { RunConfig } from '../../src/shared/config';
import { DEFAULT_DATA, DEFAULT_TRAIN } from '../../src/shared/config';

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
