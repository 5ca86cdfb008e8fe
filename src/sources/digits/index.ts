/** MNIST digits from the `mnist` package, packed at build time into public/data/digits.bin. */
import type { Source } from '../contract';

export const digits: Source = { id: 'digits', label: 'Digits (MNIST)', task: 'classification', settings: [] };
