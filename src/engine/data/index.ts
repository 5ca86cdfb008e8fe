/** Datasets for the engine: load one from the Data cell's config (through the source registry), preview it. */
export { loadDataset } from './load';
export { previewOf } from './preview';
export { ioOf, type Dataset } from './dataset';
