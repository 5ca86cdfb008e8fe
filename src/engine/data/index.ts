/** Datasets for the engine: load one from the Data cell's config, preview it, or parse a CSV. */
export { loadDataset } from './load';
export { previewOf } from './preview';
export { parseCsv, csvToDataset, type ParsedCsv } from './csv';
export type { Dataset } from './dataset';
