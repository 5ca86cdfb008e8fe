/** The seeded synthetic sets (in the spirit of TensorFlow Playground): their definitions and limits. */
import type { Source, SourceSetting } from '../contract';

/** Bounds on `samples` for generated sets: enough to train on, small enough to stay instant. */
export const SAMPLES: SourceSetting = { key: 'samples', label: 'Samples', min: 10, max: 100_000, step: 10, integer: true };
/** Noise beyond 10 swamps every set; it is almost certainly a typo. */
export const NOISE: SourceSetting = { key: 'noise', label: 'Noise', min: 0, max: 10, step: 0.05 };

const synthetic = (id: string, label: string, task: Source['task']): Source => ({ id, label, task, settings: [SAMPLES, NOISE] });

export const spiral = synthetic('spiral', 'Spiral (2D)', 'classification');
export const circles = synthetic('circles', 'Circles (2D)', 'classification');
export const xor = synthetic('xor', 'XOR (2D)', 'classification');
export const gaussian = synthetic('gaussian', 'Gaussian clusters (2D)', 'classification');
export const sine = synthetic('sine', 'Sine regression', 'regression');
