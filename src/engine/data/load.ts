/** The one entry point the worker calls to get a dataset from the Data cell's settings. */
import type { DataConfig } from '../../shared/config';
import { DatasetError } from '../../shared/errors';
import { Rng } from '../rng';
import { csvToDataset } from './csv';
import { checkValidationSplit, splitSamples, type Dataset } from './dataset';
import { loadDigits } from './digits';
import { loadIris } from './iris';
import { generateSynthetic } from './synthetic';

/**
 * Generates or loads the dataset `cfg` describes, split by `cfg.validationSplit` with `cfg.seed`.
 * The same config always gives the same data, so a resumed run can rebuild it instead of saving it.
 * @param fetchBytes reads a static file relative to the app base (the digits come from 'data/digits.bin')
 * @throws DatasetError with a message the user can act on
 */
export async function loadDataset(cfg: DataConfig, fetchBytes: (url: string) => Promise<ArrayBuffer>): Promise<Dataset> {
  checkValidationSplit(cfg.validationSplit);
  if (!Number.isFinite(cfg.seed)) throw new DatasetError(`Seed must be a number, got ${cfg.seed}. Change the seed in the Data cell.`);
  const rng = new Rng(cfg.seed);
  switch (cfg.dataset) {
    case 'spiral':
    case 'circles':
    case 'xor':
    case 'gaussian':
    case 'sine': {
      const { samples, meta } = generateSynthetic(cfg.dataset, cfg.samples, cfg.noise, rng);
      return splitSamples(samples, meta, cfg.validationSplit, rng);
    }
    case 'iris':
      return loadIris(cfg.validationSplit, rng);
    case 'digits':
      return loadDigits(fetchBytes, cfg.validationSplit, rng);
    case 'csv':
      if (!cfg.csv) throw new DatasetError('No CSV file is selected. Upload a CSV file in the Data cell first.');
      return csvToDataset(cfg.csv, cfg.validationSplit, cfg.seed);
    default:
      throw new DatasetError(`Unknown dataset "${String(cfg.dataset)}". Pick one of the datasets in the Data cell.`);
  }
}
