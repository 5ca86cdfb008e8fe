/** The one entry point the worker calls to get a dataset from the Data cell's settings. */
import type { DataConfig } from '../../shared/config';
import { DatasetError } from '../../shared/errors';
import { Rng } from '../../shared/rng';
import { sourceOf } from '../../sources';
import { LOADERS } from '../../sources/worker-registry';
import { checkValidationSplit, type Dataset } from './dataset';

const noFiles = (id: string) => Promise.reject(new DatasetError(`The uploaded file ${id.slice(0, 12)}… is not available here. Upload it again in the Data cell.`));

/**
 * Generates or loads the dataset `cfg` describes, split by `cfg.validationSplit` with `cfg.seed`.
 * The same config always gives the same data, so a resumed run can rebuild it instead of saving it.
 * @param fetchBytes reads a static file relative to the app base (the digits come from 'data/digits.bin')
 * @param readFile reads an uploaded file from the file store by id
 * @throws DatasetError with a message the user can act on
 */
export async function loadDataset(
  cfg: DataConfig,
  fetchBytes: (url: string) => Promise<ArrayBuffer>,
  readFile: (id: string) => Promise<Uint8Array> = noFiles,
): Promise<Dataset> {
  checkValidationSplit(cfg.validationSplit);
  if (!Number.isFinite(cfg.seed)) throw new DatasetError(`Seed must be a number, got ${cfg.seed}. Change the seed in the Data cell.`);
  const source = sourceOf(cfg.dataset);
  const load = LOADERS.get(cfg.dataset);
  if (!source || !load) throw new DatasetError(`Unknown dataset "${String(cfg.dataset).slice(0, 40)}". Pick one of the datasets in the Data cell.`);
  const problem = source.configProblem?.(cfg);
  if (problem) throw new DatasetError(problem);
  return load(cfg, { rng: new Rng(cfg.seed), fetchBytes, readFile });
}
