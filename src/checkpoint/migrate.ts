/**
 * Reading checkpoints of earlier formats. Format 1 (the first release) kept an uploaded CSV's text
 * inside every record's config and did not describe its model's input and output (`about`).
 * Its CSV text is moved to the file store here (stored once, by content) and referenced by id;
 * `about` needs the dataset, so the worker works it out when it loads the data (engine/files.ts).
 */
import type { CheckpointRecord } from '../shared/checkpoint';
import type { CsvSource, RunConfig } from '../shared/config';

/** A format-1 config's CSV, which held the file's text. */
type CsvWithText = Omit<CsvSource, 'fileId'> & { text: string };

/**
 * `config` with an inline CSV text (format 1) replaced by a reference to the stored file; other
 * configs come back as they are.
 * @param put stores the bytes and returns their id (store.ts putFile)
 */
export async function migrateConfig(config: RunConfig, put: PutFile): Promise<RunConfig> {
  const csv = config.data.csv as (CsvSource & { text?: unknown }) | undefined;
  if (!csv || typeof csv.text !== 'string') return config;
  const { text, ...rest } = csv as CsvWithText;
  const fileId = await put(rest.fileName, new TextEncoder().encode(text));
  return { ...config, data: { ...config.data, csv: { fileName: rest.fileName, fileId, labelColumn: rest.labelColumn, task: rest.task } } };
}

export type PutFile = (name: string, bytes: Uint8Array) => Promise<string>;

/** A record of any format this app reads as format 2: data by reference, `about` left for the worker to work out. */
export async function migrateRecord(record: CheckpointRecord, put: PutFile): Promise<CheckpointRecord> {
  if (record.formatVersion >= 2) return record;
  return { ...record, formatVersion: 2, config: await migrateConfig(record.config, put) };
}
