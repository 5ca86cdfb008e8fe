/** Settings every generated (synthetic) source shares, with the limits its loader enforces. */
import { DatasetError } from '../shared/errors';
import { settingProblem, type SourceSetting } from './contract';

/** Bounds on `samples` for generated sets: enough to train on, small enough to stay instant. */
export const SAMPLES: SourceSetting = { key: 'samples', label: 'Samples', min: 10, max: 100_000, step: 10, integer: true };
/** Noise beyond 10 swamps every set; it is almost certainly a typo. */
export const NOISE: SourceSetting = { key: 'noise', label: 'Noise', min: 0, max: 10, step: 0.05 };

/** Throws DatasetError unless samples and noise are within the limits the Data cell shows. */
export function checkGenerated(samples: number, noise: number): void {
  const problem = settingProblem(SAMPLES, samples) ?? settingProblem(NOISE, noise);
  if (problem) throw new DatasetError(problem);
}
