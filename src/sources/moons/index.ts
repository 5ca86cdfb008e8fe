/** Two moons: two interleaving half circles, 2 classes (as scikit-learn's make_moons). */
import type { Source } from '../contract';
import { NOISE, SAMPLES } from '../generated';

export const moons: Source = { id: 'moons', label: 'Two moons (2D)', task: 'classification', settings: [SAMPLES, NOISE] };
