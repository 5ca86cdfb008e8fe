/** The seeded synthetic sets (in the spirit of TensorFlow Playground): their definitions and limits. */
import type { Source } from '../contract';
import { NOISE, SAMPLES } from '../generated';

const synthetic = (id: string, label: string, task: Source['task']): Source => ({ id, label, task, settings: [SAMPLES, NOISE] });

export const spiral = synthetic('spiral', 'Spiral (2D)', 'classification');
export const circles = synthetic('circles', 'Circles (2D)', 'classification');
export const xor = synthetic('xor', 'XOR (2D)', 'classification');
export const gaussian = synthetic('gaussian', 'Gaussian clusters (2D)', 'classification');
export const sine = synthetic('sine', 'Sine regression', 'regression');
