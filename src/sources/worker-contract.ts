/** What a data source gives the training worker: a loader per source id, in its folder's worker.ts. */
import type { DataConfig } from '../shared/config';
import type { Rng } from '../shared/rng';
import type { Dataset } from '../engine/data/dataset';

export interface SourceContext {
  /** Seeded with DataConfig.seed: generation and the train/validation split draw from it. */
  rng: Rng;
  /** Reads a static file shipped with the app, relative to its base (e.g. 'data/digits.bin'). */
  fetchBytes(url: string): Promise<ArrayBuffer>;
  /** Reads an uploaded file from the file store by id (DataConfig.csv.fileId, …). */
  readFile(id: string): Promise<Uint8Array>;
}

/** Builds the dataset `cfg` describes; the same config always gives the same data. Throws DatasetError. */
export type SourceLoader = (cfg: DataConfig, ctx: SourceContext) => Dataset | Promise<Dataset>;

export interface SourceWorkerModule {
  loaders: Record<string, SourceLoader>;
}
