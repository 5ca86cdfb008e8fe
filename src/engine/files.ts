/**
 * Checkpoints as files: export a stored checkpoint as our .pt bundle or the model's state_dict
 * (.pt / .safetensors), and import an uploaded one. Everything is decoded and validated in full
 * here, in the worker, before anything stored or live changes. A record says what its model takes
 * and gives (`about`, format 2), so exporting never loads the data; a record migrated from format 1
 * does not know, and its data is loaded once to work it out.
 */
import type { CheckpointRecord, RecordAbout, TensorEntry } from '../shared/checkpoint';
import type { RunConfig } from '../shared/config';
import type { ExportedFile, ExportFormat, ImportResult } from '../shared/engine-api';
import { BundleError } from '../shared/errors';
import { familyId, familyOf } from '../families';
import { encodeCheckpointBundle, encodeStateDictPt, encodeStateDictSafetensors, pytorchCode, stateDictToTensors, type BundledFile } from '../bundle';
import { encodeContinueZip } from '../bundle/continue-zip';
import { dataBytes, MAX_DATA_BYTES } from '../shared/continue-data';
import { findRecordProblem, loadCheckpoint, loadLatestValid, migrateConfig, putFile, readFile, recordFiles, saveCheckpoint } from '../checkpoint';
import { ioOf, type Dataset } from './data';
import { cancelled, readInWorker } from './read-file';
import { learningRateAt } from './schedule';

type LoadData = (c: RunConfig) => Promise<Dataset>;

/** `record.about`, or for a record migrated from format 1 the same worked out from its data. */
export async function aboutOf(record: CheckpointRecord, loadData: LoadData): Promise<RecordAbout> {
  if (record.about) return record.about;
  const data = await loadData(record.config);
  return { family: familyId(record.config.model), io: ioOf(data), stepsPerEpoch: Math.ceil(data.trainSize / record.config.train.batchSize) };
}

/**
 * Encodes a checkpoint: a stored one by id, 'latest' for the newest valid one, or 'live' for the
 * trained state that could not be stored (`live` reads it from the session; a full disk must not
 * cost the epochs trained since the last save).
 */
export async function exportCheckpoint(
  runId: string,
  checkpointId: string,
  format: ExportFormat,
  notebookName: string,
  loadData: LoadData,
  live: () => Promise<CheckpointRecord | null> = async () => null,
): Promise<ExportedFile> {
  const record =
    checkpointId === 'live' ? await live() : checkpointId === 'latest' ? (await loadLatestValid(runId))?.record : await loadCheckpoint(runId, checkpointId);
  if (!record && checkpointId === 'live') throw new BundleError('There is no trained state to download: pause or stop the run first, then Download.');
  if (!record) throw new BundleError('This notebook has no checkpoint yet: train until one is saved, or press Save now.');
  const about = await aboutOf(record, loadData);
  const train = record.config.train;
  const options = {
    inputShape: about.io.inputShape,
    learningRate: learningRateAt(record.trainer.step, train.learningRate, train.schedule, about.stepsPerEpoch, about.stepsPerEpoch * (train.scheduleEpochs ?? train.epochs)),
    files: await storedFiles(record),
  };
  const described = { ...record, about };
  const base = `${safeName(notebookName)}-epoch${record.meta.epoch}`;
  switch (format) {
    case 'bundle':
      return { fileName: `${base}.pt`, bytes: encodeCheckpointBundle(described, notebookName, options) };
    case 'weights-pt':
      return { fileName: `${base}-weights.pt`, bytes: encodeStateDictPt(described, options) };
    case 'weights-safetensors':
      return { fileName: `${base}-weights.safetensors`, bytes: encodeStateDictSafetensors(described, options) };
  }
}

/**
 * The "Continue in PyTorch" zip of a checkpoint (as exportCheckpoint finds it): the bundle with the
 * run's data as tensors (unless `includeData` is false, or the data is too large to download in one
 * file), train.py, train.ipynb and a README. The data is loaded from the record's own config.
 */
export async function exportContinue(
  runId: string,
  checkpointId: string,
  notebookName: string,
  includeData: boolean,
  loadData: LoadData,
  live: () => Promise<CheckpointRecord | null> = async () => null,
): Promise<ExportedFile> {
  const record =
    checkpointId === 'live' ? await live() : checkpointId === 'latest' ? (await loadLatestValid(runId))?.record : await loadCheckpoint(runId, checkpointId);
  if (!record) throw new BundleError('This notebook has no checkpoint yet: train until one is saved, or press Save now.');
  const family = familyOf(record.config.model);
  if (family.input === 'tokens') {
    throw new BundleError(`Continue in PyTorch does not cover ${family.label} runs yet (their nanoGPT download is still to come). Download the checkpoint (.pt) instead: PyTorch loads it with the model code in the panel.`);
  }
  const about = await aboutOf(record, loadData);
  const train = record.config.train;
  let data = null;
  let dataNote: string | undefined;
  if (includeData) {
    data = await loadData(record.config);
    const bytes = dataBytes(about.io, data.trainSize + data.valSize);
    if (Math.ceil(data.trainSize / train.batchSize) !== about.stepsPerEpoch) {
      throw new BundleError(`the run's data now has ${data.trainSize} training samples, not the ${about.stepsPerEpoch} batches an epoch the run was trained on. Download without the dataset and pass train.py --data.`);
    }
    if (bytes > MAX_DATA_BYTES) {
      dataNote = `The data (${Math.round(bytes / 2 ** 20)} MB) is too large for one download, so the bundle was made without it.`;
      data = null;
    }
  } else {
    dataNote = 'The bundle was downloaded without its data ("Include the dataset" was unticked).';
  }
  const options = {
    inputShape: about.io.inputShape,
    learningRate: learningRateAt(record.trainer.step, train.learningRate, train.schedule, about.stepsPerEpoch, about.stepsPerEpoch * (train.scheduleEpochs ?? train.epochs)),
    files: await storedFiles(record),
    data,
    dataNote,
  };
  const bytes = encodeContinueZip({ ...record, about }, notebookName, options);
  return { fileName: `${safeName(notebookName)}-epoch${record.meta.epoch}-pytorch.zip`, bytes };
}

/** The stored files a record refers to, for its bundle to carry. */
async function storedFiles(record: CheckpointRecord): Promise<BundledFile[]> {
  const files: BundledFile[] = [];
  for (const id of recordFiles(record)) {
    const f = await readFile(id);
    if (f) files.push({ id, name: f.name, bytes: f.bytes });
  }
  return files;
}

/**
 * Reads an upload. Our bundle is validated and stored as a new run (existing runs are untouched),
 * with the data file it carries stored once; a state_dict is mapped onto `current`'s model
 * (PyTorch-style refusal on any mismatch) and returned as tensors for the next run. `signal`
 * cancels it up to the moment the new run is written (then the write completes and the import is
 * reported as done).
 * @throws BundleError, or UploadCancelledError (name `AbortError`) once cancelled
 */
export async function importFile(
  fileName: string,
  bytes: Uint8Array,
  current: RunConfig,
  loadData: LoadData,
  signal?: AbortSignal,
): Promise<{ result: ImportResult; weights: TensorEntry[] | null }> {
  const decoded = await readInWorker(fileName, bytes, signal);
  if (signal?.aborted) throw cancelled(fileName);
  if (decoded.kind === 'bundle') {
    const runId = `import-${Date.now().toString(36)}`;
    const record: CheckpointRecord = { ...decoded.record, meta: { ...decoded.record.meta, runId } };
    const problem = findRecordProblem(record);
    if (problem) throw new BundleError(`Refused ${fileName}: ${problem.reason}. Nothing was loaded.`);
    if (signal?.aborted) throw cancelled(fileName);
    for (const f of decoded.files ?? []) {
      const id = await putFile(f.name, f.bytes);
      if (id !== f.id) throw new BundleError(`Refused ${fileName}: its data file "${f.name.slice(0, 80)}" is damaged (its contents do not match its id). Nothing was loaded.`);
    }
    // A format-1 bundle holds a CSV's text in its config: stored once now, referenced by id.
    const config = await migrateConfig(record.config, putFile);
    const stored: CheckpointRecord = { ...record, formatVersion: Math.max(2, record.formatVersion), config };
    const { meta } = await saveCheckpoint(stored, { keepLast: Number.MAX_SAFE_INTEGER });
    return { result: { kind: 'bundle', runId, meta, config, notes: record.notes, notebookName: decoded.notebookName }, weights: null };
  }
  const data = await loadData(current);
  if (signal?.aborted) throw cancelled(fileName);
  const tensors = stateDictToTensors(decoded.tensors, familyOf(current.model).torch(current.model, ioOf(data)));
  const parameterCount = tensors.reduce((n, t) => n + t.data.length, 0);
  return { result: { kind: 'weights', fileName, tensorCount: tensors.length, parameterCount }, weights: tensors };
}

/** Python that rebuilds `config`'s model in torch.nn and loads the bundle `fileName`. */
export async function pythonFor(config: RunConfig, fileName: string, loadData: LoadData): Promise<string> {
  const data = await loadData(config);
  return pytorchCode(config.model, data.inputShape, data.outputs, fileName, { train: config.train });
}

function safeName(name: string): string {
  return name.trim().replace(/[^\w.-]+/g, '-').replace(/^-+|-+$/g, '') || 'notebook';
}
