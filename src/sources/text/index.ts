/**
 * Text for language models: Tiny Shakespeare, shipped with the app (public/text/tinyshakespeare.txt,
 * nothing is downloaded at run time), and the user's own .txt, stored once by content like a CSV.
 * Both are character-level (parse.ts); the trainer draws random windows of the model's block size.
 */
import type { Source } from '../contract';

export const SHAKESPEARE_URL = 'text/tinyshakespeare.txt';

export const shakespeare: Source = { id: 'shakespeare', label: 'Tiny Shakespeare (text)', task: 'classification', settings: [] };

export const text: Source = {
  id: 'text',
  label: 'Text upload (.txt)',
  task: 'classification',
  settings: [],
  configProblem: (cfg) => (cfg.text ? null : 'No text file is selected. Upload a .txt file in the Data cell first.'),
};
