/**
 * Checkpoints as files: export a stored checkpoint as our .pt bundle or the model's state_dict
 * (.pt / .safetensors), and import an uploaded one. Everything is decoded and validated in full
 * here, in the worker, before anything stored or live changes.
 */
import type { CheckpointRecord, TensorEntry } from '../shared/checkpoint';
import type { RunConfig } from '../shared/config';
import type { ExportedFile, ExportFormat, ImportResult } from '../shared/engine-api';
import { BundleError } from '../shared/errors';
import { withHead } from '../shared/model-spec';
import { encodeCheckpointBundle, encodeStateDictPt, encodeStateDictSafetensors, pytorchCode, stateDictToTensors } from '../bundle';
import { findRecordProblem, loadCheckpoint, loadLatestValid, saveCheckpoint } from '../checkpoint';
import type { Dataset } from './data';
import { cancelled, readInWorker } from './read-file';
import { learningRateAt } from './schedule';

type LoadData = (c: RunConfig) => Promise<Dataset>;

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
  const data = await loadData(record.config);
  const train = record.config.train;
  const stepsPerEpoch = Math.ceil(data.trainSize / train.batchSize);
  const options = {
    inputShape: data.inputShape,
    learningRate: learningRateAt(record.trainer.step, train.learningRate, train.schedule, stepsPerEpoch, stepsPerEpoch * (train.scheduleEpochs ?? train.epochs)),
  };
  const base = `${safeName(notebookName)}-epoch${record.meta.epoch}`;
  switch (format) {
    case 'bundle':
      return { fileName: `${base}.pt`, bytes: encodeCheckpointBundle(record, notebookName, options) };
    case 'weights-pt':
      return { fileName: `${base}-weights.pt`, bytes: encodeStateDictPt(record, options) };
    case 'weights-safetensors':
      return { fileName: `${base}-weights.safetensors`, bytes: encodeStateDictSafetensors(record, options) };
  }
}

/**
 * Reads an upload. Our bundle is validated and stored as a new run (existing runs are untouched);
 * a state_dict is mapped onto `current`'s model (PyTorch-style refusal on any mismatch) and
 * returned as tensors for the next run. `signal` cancels it up to the moment the new run is
 * written (then the write completes and the import is reported as done).
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
    const { meta } = await saveCheckpoint(record, { keepLast: Number.MAX_SAFE_INTEGER });
    return { result: { kind: 'bundle', runId, meta, config: record.config, notes: record.notes, notebookName: decoded.notebookName }, weights: null };
  }
  const data = await loadData(current);
  if (signal?.aborted) throw cancelled(fileName);
  const tensors = stateDictToTensors(decoded.tensors, withHead(current.model, data.outputs), data.inputShape);
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
