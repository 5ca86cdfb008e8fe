/** The user's own CSV file: one label column (classification or regression), numeric features. */
import type { Source } from '../contract';

export const csv: Source = {
  id: 'csv',
  label: 'CSV upload',
  task: 'chosen',
  settings: [],
  configProblem: (cfg) => (cfg.csv ? null : 'No CSV file is selected. Upload a CSV file in the Data cell first.'),
};
