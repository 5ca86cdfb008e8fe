/*
 * A CheckpointRecord as the dict a classic PyTorch training script saves, and back.
 *
 * data.pkl of an exported bundle (a plain dict, keys in this order; [i] = torch state index):
 *   format 'tab-trainer', format_version 1
 *   model_state_dict      OrderedDict  '<seq>.weight' … in PyTorch layout (torch-layout.ts)
 *   optimizer_state_dict  {state: {[i]: {step, exp_avg, …}}, param_groups: [{lr, betas, …, params}]}
 *                         exactly what torch 1.13's Adam/SGD/RMSprop state_dict() holds (see below)
 *   scheduler_state_dict  {name, base_lrs, last_epoch, _last_lr, step_epochs, gamma, warmup_steps, min_lr_factor}
 *   global_step, epoch, best_val_loss (float or None), best_epoch (int or None)
 *   config                the RunConfig as nested dicts/lists (the source of truth on import)
 *   train_history         float32 [steps]: every step's loss
 *   val_history           [{epoch, train_loss, val_loss, val_accuracy?, train_accuracy?}]
 *   rng_state             int64 [4]: xoshiro128** words
 *   batch_in_epoch, epoch_order (int64 [trainSize] or None), train_time_ms
 *   input_shape           PyTorch's per-sample input shape ([C, H, W] or [F]); num_outputs
 *   notebook {name, notes}; checkpoint {id, run_id, kind, created_at, backend, val_loss}
 * format_version 2 (records of checkpoint format 2) adds, at the end:
 *   about                 {family, task, input_dtype, steps_per_epoch} (with input_shape and
 *                         num_outputs above: what the model takes and gives; absent for a record
 *                         migrated from format 1, which does not know it)
 *   data_files            {<sha256>: {name, bytes (uint8 [n])}}: the uploaded files config.data
 *                         refers to by id (a CSV), once each, so the run resumes in another browser
 *   dataset, dataset_note only in the "Continue in PyTorch" zip's bundle (continue-zip.ts): the data as
 *                         tensors, or None and why; written back by its train.py, ignored on upload
 * format_version 1 bundles kept a CSV's text in config.data.csv.text instead.
 * Only allow-listed globals are written (OrderedDict, _rebuild_tensor_v2, storages), but Python
 * floats are, so torch 1.13 needs torch.load(path) without weights_only (pt-format.md §5).
 */
import { CHECKPOINT_FORMAT_VERSION, type CheckpointKind, type CheckpointRecord, type EpochMetrics, type RecordAbout, type TensorEntry } from '../shared/checkpoint';
import type { BackendName, ModelIO, RunConfig } from '../shared/config';
import { dataFileIds } from '../shared/config';
import { familyOf, type TorchModel } from '../families';
import { BundleError, NOTHING_LOADED, fromFile } from './bundle-error';
import { plainDataBudgetFor } from './limits';
import { decodePt, encodePt, refuse } from './pt';
import { PyDict, PyTensor, type PyValue } from './py-value';
import { bad, dict, float, fromPy, int64, need, needCount, needNumber, needString, toPy } from './bundle-values';
import { decodeOptimizerState, encodeOptimizerState, OPTIMIZER_STATE_DICT } from './optimizer-state';
export { OPTIMIZER_STATE_DICT };
import { decodeSafetensors, encodeSafetensors } from './safetensors';
import { detectFormat } from './sniff';
import { ourInputShape, stateDictToTensors, type StateDictTensor } from './state-dict';

export const BUNDLE_FORMAT = 'tab-trainer';
/** Follows the record's format: a format-N record makes a format_version-N bundle. */
export const BUNDLE_FORMAT_VERSION = CHECKPOINT_FORMAT_VERSION;
/** Keys a PyTorch script reads, in PyTorch's spelling. */
export const MODEL_STATE_DICT = 'model_state_dict';
export const SCHEDULER_STATE_DICT = 'scheduler_state_dict';
/** Wrappers that prefix every key: DataParallel ('module.') and torch.compile ('_orig_mod.'). */
const WRAPPER_PREFIXES = ['module.', '_orig_mod.'];
/** The digits are 28x28 grey images (scripts/build-digits.mjs). */
const DIGITS_INPUT_SHAPE = [28, 28, 1];

/** An uploaded file a bundle carries (format 2): its id is the SHA-256 of `bytes`, checked when stored. */
export interface BundledFile {
  id: string;
  name: string;
  bytes: Uint8Array;
}

export type DecodedBundle =
  | { kind: 'bundle'; record: CheckpointRecord; notebookName: string; files?: BundledFile[] }
  | { kind: 'state_dict'; tensors: Map<string, StateDictTensor> };

export interface BundleOptions {
  /** Our per-sample input shape ([F] or [H, W, C]); inferred from the dataset and the first layer when absent. */
  inputShape?: number[];
  /**
   * The scheduled learning rate of the next step (engine/schedule.ts learningRateAt), written as the
   * optimizer's `lr`. Default: the configured rate, which is right for the constant schedule only.
   */
  learningRate?: number;
  /** The stored files the record's config refers to by id (format 2), to carry in the bundle. */
  files?: readonly BundledFile[];
  /** Entries added at the end (the "Continue in PyTorch" zip adds `dataset`); readers ignore keys they do not know. */
  extra?: readonly [string, PyValue][];
}

/**
 * Our input shape for a record of format 1, which does not store it: it comes from the dataset
 * (digits) or the first layer's weights (the other datasets are tabular). Format 2 says it in `about`.
 */
export function recordInputShape(record: CheckpointRecord): number[] {
  if (record.about) return [...record.about.io.inputShape];
  if (record.config.data.dataset === 'digits') return [...DIGITS_INPUT_SHAPE];
  const layers = (record.config.model as { layers?: { type: string }[] }).layers ?? [];
  const i = layers.findIndex((l) => l.type === 'dense' || l.type === 'batchnorm' || l.type === 'conv2d');
  const layer = i < 0 ? layers.length : i; // no hidden layer with weights: the head's kernel tells
  const t = record.tensors.find((e) => e.name === `${layer}.kernel` || e.name === `${layer}.gamma`);
  if (!t || layers[i]?.type === 'conv2d') {
    throw new BundleError('cannot tell the model input shape from this checkpoint. Pass inputShape when exporting.');
  }
  return [t.shape[0]];
}

/** outputs of the head: `about` says it (format 2); else the length of the stack's head bias. */
function recordOutputs(record: CheckpointRecord): number {
  if (record.about) return record.about.io.outputs;
  const layers = (record.config.model as { layers?: unknown[] }).layers ?? [];
  const bias = record.tensors.find((t) => t.name === `${layers.length}.bias`);
  if (!bias) throw new BundleError(`the checkpoint has no output layer bias "${layers.length}.bias". It is incomplete; save it again.`);
  return bias.shape[0];
}

/** What the record's model takes and gives: `about` (format 2), else worked out as format 1 must. */
function recordIO(record: CheckpointRecord, options: BundleOptions): ModelIO {
  if (record.about) return record.about.io;
  const outputs = recordOutputs(record);
  const task = record.config.data.dataset === 'sine' || record.config.data.csv?.task === 'regression' ? 'regression' : 'classification';
  return { task, inputShape: options.inputShape ?? recordInputShape(record), inputDtype: 'float32', outputs };
}

/** The record's model as its family's torch.nn model. */
function torchModel(record: CheckpointRecord, io: ModelIO): TorchModel {
  const { model } = record.config;
  return familyOf(model).torch(model, io);
}

/** model.state_dict() of the equivalent torch.nn model, as an OrderedDict of PyTensors. */
function modelStateDict(record: CheckpointRecord, layout: TorchModel): PyDict {
  const byName = new Map(record.tensors.map((t) => [t.name, t]));
  const entries = layout.tensors.map((t): [string, PyValue] => {
    if (t.role === 'counter') return [t.torchName, new PyTensor('int64', [], BigInt64Array.of(BigInt(record.trainer.optimizerStep)))];
    const ours = byName.get(t.ourName!);
    if (!ours || ours.shape.join(',') !== t.ourShape.join(',')) {
      throw new BundleError(`tensor "${t.ourName}" is ${ours ? `[${ours.shape}]` : 'missing'}; the model needs [${t.ourShape}]. The checkpoint does not match its config; save it again.`);
    }
    return [t.torchName, new PyTensor('float32', t.torchShape, t.toTorch(ours.data))];
  });
  return new PyDict(entries, true);
}


/**
 * The whole record as a torch.save file (see the layout above).
 * @param notebookName saved under notebook.name
 * @throws BundleError when the record's tensors do not match its config
 */
export function encodeCheckpointBundle(record: CheckpointRecord, notebookName: string, options: BundleOptions = {}): Uint8Array {
  const io = recordIO(record, options);
  const layout = torchModel(record, io);
  const t = record.trainer;
  const { train } = record.config;
  const lr = options.learningRate ?? train.learningRate;
  const optimizer = encodeOptimizerState(record, layout, lr);
  const m = record.meta;
  const root = dict([
    ['format', BUNDLE_FORMAT],
    ['format_version', record.formatVersion],
    [MODEL_STATE_DICT, modelStateDict(record, layout)],
    [OPTIMIZER_STATE_DICT, optimizer],
    [SCHEDULER_STATE_DICT, dict([
      ['name', train.schedule.name],
      ['base_lrs', [float(train.learningRate)]],
      ['last_epoch', t.step],
      ['_last_lr', [float(lr)]],
      ['step_epochs', train.schedule.stepEpochs],
      ['gamma', float(train.schedule.gamma)],
      ['warmup_steps', train.schedule.warmupSteps],
      ['min_lr_factor', float(train.schedule.minLrFactor)],
    ])],
    ['global_step', t.step],
    ['epoch', t.epoch],
    ['best_val_loss', t.best ? float(t.best.valLoss) : null],
    ['best_epoch', t.best ? t.best.epoch : null],
    ['config', toPy(record.config)],
    ['train_history', new PyTensor('float32', [t.stepLosses.length], Float32Array.from(t.stepLosses))],
    ['val_history', t.history.map(encodeEpoch)],
    ['rng_state', int64(t.rng)],
    ['batch_in_epoch', t.batchInEpoch],
    ['epoch_order', t.order ? int64(t.order) : null],
    ['train_time_ms', float(t.trainTimeMs)],
    ['input_shape', layout.torchInputShape],
    ['num_outputs', io.outputs],
    ['notebook', dict([['name', notebookName], ['notes', record.notes]])],
    ['checkpoint', dict([['id', m.id], ['run_id', m.runId], ['kind', m.kind], ['created_at', float(m.createdAt)], ['backend', m.backend], ['val_loss', float(m.valLoss)]])],
  ]);
  if (record.formatVersion >= 2) {
    if (record.about) root.set('about', encodeAbout(record.about));
    root.set('data_files', encodeFiles(record, options.files ?? []));
  }
  for (const [key, value] of options.extra ?? []) root.set(key, value);
  return encodePt(root);
}

function encodeAbout(a: RecordAbout): PyDict {
  return dict([['family', a.family], ['task', a.io.task], ['input_dtype', a.io.inputDtype], ['steps_per_epoch', a.stepsPerEpoch]]);
}

/** The files config.data refers to, each once; a reference without its bytes cannot travel. */
function encodeFiles(record: CheckpointRecord, files: readonly BundledFile[]): PyDict {
  const wanted = dataFileIds(record.config.data);
  return dict(wanted.map((id) => {
    const f = files.find((x) => x.id === id);
    const named = [record.config.data.csv, record.config.data.text].find((s) => s?.fileId === id);
    if (!f) throw new BundleError(`the run's data file "${named?.fileName}" is not in browser storage, so the bundle could not carry it. Upload the file again in the Data cell, then download.`);
    return [id, dict([['name', f.name], ['bytes', new PyTensor('uint8', [f.bytes.length], f.bytes)]])];
  }));
}

function encodeEpoch(h: EpochMetrics): PyDict {
  const d = dict([['epoch', h.epoch], ['train_loss', float(h.trainLoss)], ['val_loss', float(h.valLoss)]]);
  if (h.valAccuracy !== undefined) d.set('val_accuracy', float(h.valAccuracy));
  if (h.trainAccuracy !== undefined) d.set('train_accuracy', float(h.trainAccuracy));
  return d;
}

/** model_state_dict alone, as torch.save(model.state_dict(), path) writes it (loads with weights_only=True in 1.13 too). */
export function encodeStateDictPt(record: CheckpointRecord, options: BundleOptions = {}): Uint8Array {
  return encodePt(modelStateDict(record, torchModel(record, recordIO(record, options))));
}

/** model_state_dict alone as safetensors (metadata format=pt, as safetensors.torch.save_file writes). */
export function encodeStateDictSafetensors(record: CheckpointRecord, options: BundleOptions = {}): Uint8Array {
  const sd = modelStateDict(record, torchModel(record, recordIO(record, options)));
  const tensors = [...sd].map(([name, v]) => ({ name: name as string, dtype: (v as PyTensor).dtype, shape: (v as PyTensor).shape, data: (v as PyTensor).data }));
  return encodeSafetensors(tensors, { format: 'pt' });
}

/**
 * Reads a .pt or .safetensors file: our own bundle becomes a CheckpointRecord (fully converted and
 * checked; run validateRecord on it too), anything else a PyTorch state dict by key, to be mapped
 * with stateDictToTensors against the current model. Accepted: a plain state dict, or a dict
 * holding one under `model_state_dict` or `state_dict`; a DataParallel/compile prefix is dropped.
 * @throws BundleError naming the entry at fault
 */
export function decodeCheckpointBundle(bytes: Uint8Array, fileName: string): DecodedBundle {
  if (detectFormat(bytes) === 'safetensors') {
    const file = refuse(fileName, () => decodeSafetensors(bytes));
    return { kind: 'state_dict', tensors: refuse(fileName, () => stripWrapper(new Map(file.tensors.map((t) => [t.name, t])))) };
  }
  const { root } = decodePt(bytes, { fileName });
  return refuse(fileName, () => {
    if (root instanceof PyDict && root.get('format') === BUNDLE_FORMAT) {
      const { record, files } = decodeBundle(root, bytes.length);
      return { kind: 'bundle', record, notebookName: needString(root, ['notebook', 'name']), ...(files.length ? { files } : {}) };
    }
    return { kind: 'state_dict', tensors: stateDictOf(root) };
  });
}

function stateDictOf(root: PyValue): Map<string, StateDictTensor> {
  if (!(root instanceof PyDict)) throw new BundleError(`the file holds ${root instanceof PyTensor ? 'a single tensor' : 'no dict'}, not a state dict. Save model.state_dict() with torch.save. ${NOTHING_LOADED}`);
  const inner = root.get(MODEL_STATE_DICT) ?? root.get('state_dict');
  const sd = inner instanceof PyDict ? inner : root;
  const tensors = new Map<string, StateDictTensor>();
  for (const [key, value] of sd) {
    if (typeof key !== 'string' || !(value instanceof PyTensor)) {
      throw new BundleError(`entry "${fromFile(String(key))}" is not a named tensor, so this is not a state dict. Save model.state_dict() (or a dict with model_state_dict) with torch.save. ${NOTHING_LOADED}`, { entry: fromFile(String(key)) });
    }
    tensors.set(key, value);
  }
  return stripWrapper(tensors);
}

function stripWrapper(tensors: Map<string, StateDictTensor>): Map<string, StateDictTensor> {
  const prefix = WRAPPER_PREFIXES.find((p) => tensors.size > 0 && [...tensors.keys()].every((k) => k.startsWith(p)));
  return prefix ? new Map([...tensors].map(([k, v]) => [k.slice(prefix.length), v])) : tensors;
}

function decodeBundle(root: PyDict, sizeBytes: number): { record: CheckpointRecord; files: BundledFile[] } {
  const version = needCount(root, ['format_version']);
  if (version > BUNDLE_FORMAT_VERSION) {
    throw new BundleError(`this bundle has format_version ${version}, newer than the ${BUNDLE_FORMAT_VERSION} this app reads. Reload the page to get the newest Tab Trainer. ${NOTHING_LOADED}`, { entry: 'format_version' });
  }
  if (version < 1) throw bad('format_version', `${version}, not a version this app wrote`);
  const config = fromPy(need(root, ['config'], (v) => v instanceof PyDict, 'a dict'), 'config', plainDataBudgetFor(sizeBytes)) as RunConfig;
  if (typeof config?.model !== 'object' || config.model === null || typeof config.train?.optimizer !== 'string' || typeof config.data?.dataset !== 'string') {
    throw bad('config', 'not a RunConfig (data, model, train)');
  }
  const family = refuseFamily(config);
  const specProblem = family.specProblem(config.model);
  if (specProblem) throw bad('config.model', specProblem);
  const inputShape = ourInputShape(need(root, ['input_shape'], (v) => Array.isArray(v) && v.every((d) => Number.isSafeInteger(d) && (d as number) > 0), 'a list of positive ints') as number[]);
  const outputs = needCount(root, ['num_outputs']);
  const about = version >= 2 && root.has('about') ? decodeAbout(root, family.id, inputShape, outputs) : undefined;
  const io: ModelIO = about?.io ?? { task: 'classification', inputShape, inputDtype: 'float32', outputs };
  const layout = family.torch(config.model, io);
  const sd = stateDictOf(need(root, [MODEL_STATE_DICT], (v) => v instanceof PyDict, 'a dict'));
  const weights = stateDictToTensors(sd, layout);
  const step = needCount(root, ['global_step']);
  const opt = decodeOptimizerState(need(root, [OPTIMIZER_STATE_DICT], (v) => v instanceof PyDict, 'a dict') as PyDict, config.train, layout, step);
  const trainer = decodeTrainer(root, step, opt.step);
  const tensors: TensorEntry[] = [...weights, ...opt.slots];
  const m = need(root, ['checkpoint'], (v) => v instanceof PyDict, 'a dict') as PyDict;
  const meta = {
    id: needString(m, ['id']),
    runId: needString(m, ['run_id']),
    kind: needOneOf(m, 'kind', CHECKPOINT_KINDS) as CheckpointKind,
    epoch: trainer.epoch,
    step: trainer.step,
    valLoss: needNumber(m, ['val_loss']),
    sizeBytes,
    createdAt: needNumber(m, ['created_at']),
    backend: needOneOf(m, 'backend', BACKEND_NAMES) as BackendName,
  };
  const notes = needString(root, ['notebook', 'notes']);
  const record: CheckpointRecord = { formatVersion: version, meta, config, notes, trainer, tensors };
  if (about) record.about = about;
  return { record, files: version >= 2 ? decodeFiles(root, config) : [] };
}

function refuseFamily(config: RunConfig) {
  try {
    return familyOf(config.model);
  } catch (e) {
    throw bad('config.model.family', (e as Error).message);
  }
}

function decodeAbout(root: PyDict, family: string, inputShape: number[], outputs: number): RecordAbout {
  const a = need(root, ['about'], (v) => v instanceof PyDict, 'a dict') as PyDict;
  if (needString(a, ['family']) !== family) throw bad('about.family', `'${fromFile(needString(a, ['family']), 40)}', not the config's family ${family}`);
  const task = needString(a, ['task']);
  if (task !== 'classification' && task !== 'regression') throw bad('about.task', `'${fromFile(task, 40)}', not classification or regression`);
  if (needString(a, ['input_dtype']) !== 'float32') throw bad('about.input_dtype', 'not float32');
  const stepsPerEpoch = needCount(a, ['steps_per_epoch']);
  if (stepsPerEpoch < 1) throw bad('about.steps_per_epoch', 'not a positive int');
  return { family, io: { task, inputShape, inputDtype: 'float32', outputs }, stepsPerEpoch };
}

/** data_files: exactly the files config.data refers to, as bytes (their ids are checked when stored). */
function decodeFiles(root: PyDict, config: RunConfig): BundledFile[] {
  const files = need(root, ['data_files'], (v) => v instanceof PyDict, 'a dict') as PyDict;
  if (config.data.csv && typeof config.data.csv.fileId !== 'string') throw bad('config.data.csv.fileId', 'missing');
  if (config.data.text && typeof config.data.text.fileId !== 'string') throw bad('config.data.text.fileId', 'missing');
  const wanted = dataFileIds(config.data);
  return wanted.map((id) => {
    const f = need(files, [id], (v) => v instanceof PyDict, 'a dict', `data_files.${fromFile(id, 16)}`) as PyDict;
    const bytes = need(f, ['bytes'], (v) => v instanceof PyTensor && v.dtype === 'uint8' && v.shape.length === 1, 'a 1-d uint8 tensor', `data_files.${fromFile(id, 16)}.bytes`) as PyTensor;
    return { id, name: needString(f, ['name']), bytes: Uint8Array.from(bytes.data as Uint8Array) };
  });
}

const CHECKPOINT_KINDS: readonly CheckpointKind[] = ['periodic', 'best', 'final', 'manual'];
const BACKEND_NAMES: readonly BackendName[] = ['webgpu', 'webgl', 'wasm', 'cpu'];

/** checkpoint.<key> as one of `allowed`; the refusal quotes the file's value safely. */
function needOneOf(m: PyDict, key: string, allowed: readonly string[]): string {
  const v = needString(m, [key]);
  if (!allowed.includes(v)) throw bad(`checkpoint.${key}`, `'${fromFile(v, 40)}', not one of ${allowed.join(', ')}`);
  return v;
}

function decodeTrainer(root: PyDict, step: number, optimizerStep: number): CheckpointRecord['trainer'] {
  const tensorOf = (key: string, dtype: string, length?: number) =>
    need(root, [key], (v) => v instanceof PyTensor && v.dtype === dtype && v.shape.length === 1 && (length === undefined || v.shape[0] === length), `a 1-d ${dtype} tensor${length ? ` of ${length}` : ''}`) as PyTensor;
  const rng = Array.from(tensorOf('rng_state', 'int64', 4).data as BigInt64Array, Number);
  if (!rng.every((w) => w >= 0 && w <= 0xffffffff)) throw bad('rng_state', 'not four uint32 words');
  const orderValue = root.get('epoch_order');
  const order = orderValue === null ? null : Int32Array.from(tensorOf('epoch_order', 'int64').data as BigInt64Array, Number);
  const losses = tensorOf('train_history', 'float32', step).data as Float32Array;
  const history = (need(root, ['val_history'], Array.isArray, 'a list') as PyValue[]).map((h, i) => {
    const e = need(h, [], (v) => v instanceof PyDict, 'a dict', `val_history.${i}`) as PyDict;
    const metrics: EpochMetrics = { epoch: needCount(e, ['epoch']), trainLoss: needNumber(e, ['train_loss']), valLoss: needNumber(e, ['val_loss']) };
    if (e.has('val_accuracy')) metrics.valAccuracy = needNumber(e, ['val_accuracy']);
    if (e.has('train_accuracy')) metrics.trainAccuracy = needNumber(e, ['train_accuracy']);
    return metrics;
  });
  const best = root.get('best_val_loss') === null ? null : { valLoss: needNumber(root, ['best_val_loss']), epoch: needCount(root, ['best_epoch']) };
  return {
    epoch: needCount(root, ['epoch']),
    step,
    batchInEpoch: needCount(root, ['batch_in_epoch']),
    order,
    rng,
    stepLosses: Float32Array.from(losses),
    history,
    best,
    trainTimeMs: needNumber(root, ['train_time_ms']),
    optimizerStep,
  };
}


/* ---- optimizer_state_dict: torch 1.13's Adam / SGD / RMSprop state_dict() ---- */
