/**
 * Full validation of a checkpoint record before anything is restored from it (STYLE.md: validate
 * completely before changing anything). Pure: runs in Node, the worker and the page.
 */
import {
  CHECKPOINT_FORMAT_VERSION,
  type CheckpointKind,
  type CheckpointRecord,
} from '../shared/checkpoint';
import { CorruptCheckpointError, UnknownCheckpointVersionError } from '../shared/errors';

/** What the caller knows about the model that will receive the record. */
export interface RecordExpectation {
  /** Every tensor the model needs, by name and shape; extra or missing ones are refused. */
  tensors?: { name: string; shape: readonly number[] }[];
  /** Training-set size: a saved mid-epoch shuffle order must have exactly this length. */
  trainSize?: number;
}

/** Why a record was refused: `version` problems are UnknownCheckpointVersionError, the rest corrupt. */
export interface RecordProblem {
  version: boolean;
  /** Short and precise, e.g. `tensor "0.kernel" holds NaN at index 3`. */
  reason: string;
}

const KINDS: readonly CheckpointKind[] = ['periodic', 'best', 'final', 'manual'];
const BACKENDS: readonly string[] = ['webgpu', 'webgl', 'wasm', 'cpu'];

/**
 * Checks a value read from storage and returns it typed, or throws.
 * @param r the value as read from IndexedDB (or decoded from a bundle)
 * @param expect optional tensor names/shapes and training-set size to match against
 * @throws UnknownCheckpointVersionError when formatVersion is not one this app reads
 * @throws CorruptCheckpointError naming the first problem found (all tensor-name mismatches at once)
 */
export function validateRecord(r: unknown, expect?: RecordExpectation): CheckpointRecord {
  const problem = findRecordProblem(r, expect);
  if (!problem) return r as CheckpointRecord;
  const label = describeRecord(r);
  if (problem.version) {
    throw new UnknownCheckpointVersionError(
      `Checkpoint ${label} cannot be read: ${problem.reason}. Reload the page to get the newest Tab Trainer, or resume from another checkpoint.`,
    );
  }
  throw new CorruptCheckpointError(
    `Checkpoint ${label} is unreadable: ${problem.reason}. Delete it and resume from an older checkpoint, or start a new run.`,
  );
}

/** The same checks as validateRecord, returning the problem instead of throwing (null when valid). */
export function findRecordProblem(r: unknown, expect?: RecordExpectation): RecordProblem | null {
  if (!isObject(r)) return corrupt(`the stored value is ${typeName(r)}, not a checkpoint record`);
  const v = r.formatVersion;
  if (typeof v !== 'number' || !Number.isInteger(v)) return corrupt(`formatVersion is ${show(v)}, not an integer`);
  if (v < 1 || v > CHECKPOINT_FORMAT_VERSION) {
    return { version: true, reason: `its format version is ${v}, and this app reads versions 1 to ${CHECKPOINT_FORMAT_VERSION}` };
  }
  const reason =
    checkMeta(r.meta) ??
    checkConfig(r.config, v) ??
    (v >= 2 && r.about !== undefined ? checkAbout(r.about) : null) ??
    (typeof r.notes === 'string' ? null : `notes is ${typeName(r.notes)}, not a string`) ??
    checkTrainer(r.trainer, r.meta as Record<string, unknown>, expect?.trainSize) ??
    checkTensors(r.tensors, expect?.tensors);
  return reason === null ? null : corrupt(reason);
}

function checkMeta(m: unknown): string | null {
  if (!isObject(m)) return `meta is ${typeName(m)}, not an object`;
  if (typeof m.id !== 'string' || m.id === '') return 'meta.id is missing';
  if (typeof m.runId !== 'string' || m.runId === '') return 'meta.runId is missing';
  if (!KINDS.includes(m.kind as CheckpointKind)) return `meta.kind is ${show(m.kind)}, not one of ${KINDS.join(', ')}`;
  if (!BACKENDS.includes(m.backend as string)) return `meta.backend is ${show(m.backend)}, not one of ${BACKENDS.join(', ')}`;
  return (
    count(m.epoch, 'meta.epoch') ??
    count(m.step, 'meta.step') ??
    (typeof m.valLoss === 'number' ? null : `meta.valLoss is ${typeName(m.valLoss)}, not a number`) ??
    nonNegative(m.sizeBytes, 'meta.sizeBytes') ??
    nonNegative(m.createdAt, 'meta.createdAt')
  );
}

function checkConfig(c: unknown, version: number): string | null {
  if (!isObject(c)) return `config is ${typeName(c)}, not an object`;
  for (const key of ['data', 'model', 'train'] as const) {
    if (!isObject(c[key])) return `config.${key} is ${typeName(c[key])}, not an object`;
  }
  const text = (c.data as Record<string, unknown>).text;
  if (text !== undefined && !(isObject(text) && typeof text.fileId === 'string')) return `config.data.text.fileId is missing`;
  const csv = (c.data as Record<string, unknown>).csv;
  if (csv === undefined) return null;
  // Format 1 kept the file's text in every record; format 2 refers to the stored file by id.
  if (!isObject(csv)) return `config.data.csv is ${typeName(csv)}, not an object`;
  const field = version >= 2 ? 'fileId' : 'text';
  return typeof csv[field] === 'string' ? null : `config.data.csv.${field} is ${typeName(csv[field])}, not a string`;
}

/** Format 2's self-description (absent only in records migrated from format 1): family, what the model takes and gives, the epoch length. */
function checkAbout(a: unknown): string | null {
  if (!isObject(a)) return `about is ${typeName(a)}, not an object`;
  if (typeof a.family !== 'string' || a.family === '') return `about.family is ${show(a.family)}, not a family id`;
  const io = a.io;
  if (!isObject(io)) return `about.io is ${typeName(io)}, not an object`;
  if (io.task !== 'classification' && io.task !== 'regression') return `about.io.task is ${show(io.task)}`;
  if (!Array.isArray(io.inputShape) || io.inputShape.length === 0 || !io.inputShape.every((d) => Number.isInteger(d) && d > 0)) {
    return `about.io.inputShape is ${show(io.inputShape)}, not a list of positive integers`;
  }
  if (io.inputDtype !== 'float32') return `about.io.inputDtype is ${show(io.inputDtype)}`;
  if (!Number.isInteger(io.outputs) || (io.outputs as number) < 1) return `about.io.outputs is ${show(io.outputs)}, not a positive integer`;
  if (!Number.isInteger(a.stepsPerEpoch) || (a.stepsPerEpoch as number) < 1) return `about.stepsPerEpoch is ${show(a.stepsPerEpoch)}, not a positive integer`;
  return null;
}

function checkTrainer(t: unknown, meta: Record<string, unknown>, trainSize?: number): string | null {
  if (!isObject(t)) return `trainer is ${typeName(t)}, not an object`;
  const counters =
    count(t.epoch, 'trainer.epoch') ??
    count(t.step, 'trainer.step') ??
    count(t.batchInEpoch, 'trainer.batchInEpoch') ??
    count(t.optimizerStep, 'trainer.optimizerStep') ??
    nonNegative(t.trainTimeMs, 'trainer.trainTimeMs');
  if (counters) return counters;
  if (t.epoch !== meta.epoch || t.step !== meta.step) {
    return `trainer is at epoch ${t.epoch} step ${t.step}, but meta says epoch ${meta.epoch} step ${meta.step}`;
  }
  const rng = t.rng;
  if (!Array.isArray(rng) || rng.length !== 4 || !rng.every((w) => Number.isInteger(w) && w >= 0 && w <= 0xffffffff)) {
    return `trainer.rng is ${show(rng)}, not four uint32 words`;
  }
  if (rng.every((w) => w === 0)) return 'trainer.rng is all zero, which is not a valid generator state';
  const order = checkOrder(t.order, trainSize);
  if (order) return order;
  if (!(t.stepLosses instanceof Float32Array)) return `trainer.stepLosses is ${typeName(t.stepLosses)}, not a Float32Array`;
  if (t.stepLosses.length !== t.step) {
    return `trainer.stepLosses holds ${t.stepLosses.length} losses, but the run is at step ${t.step}`;
  }
  if (!Array.isArray(t.history)) return `trainer.history is ${typeName(t.history)}, not an array`;
  if (t.best !== null && !(isObject(t.best) && typeof t.best.valLoss === 'number' && Number.isInteger(t.best.epoch))) {
    return `trainer.best is ${show(t.best)}, not null or { valLoss, epoch }`;
  }
  return null;
}

/** A mid-epoch shuffle order must be a permutation of 0..n-1, or resume would visit other samples. */
function checkOrder(order: unknown, trainSize?: number): string | null {
  if (order === null) return null;
  if (!(order instanceof Int32Array)) return `trainer.order is ${typeName(order)}, not an Int32Array or null`;
  const n = order.length;
  if (trainSize !== undefined && n !== trainSize) {
    return `trainer.order has ${n} entries, but the training set has ${trainSize} samples`;
  }
  const seen = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const k = order[i];
    if (k < 0 || k >= n || seen[k]) return `trainer.order is not a permutation of 0..${n - 1} (entry ${i} is ${k})`;
    seen[k] = 1;
  }
  return null;
}

function checkTensors(tensors: unknown, expected?: RecordExpectation['tensors']): string | null {
  if (!Array.isArray(tensors)) return `tensors is ${typeName(tensors)}, not an array`;
  const names = new Set<string>();
  for (let i = 0; i < tensors.length; i++) {
    const reason = checkTensor(tensors[i], i);
    if (reason) return reason;
    const name = (tensors[i] as { name: string }).name;
    if (names.has(name)) return `tensor "${name}" appears twice`;
    names.add(name);
  }
  return expected ? compareTensors(tensors as { name: string; shape: number[] }[], expected) : null;
}

function checkTensor(t: unknown, index: number): string | null {
  if (!isObject(t)) return `tensors[${index}] is ${typeName(t)}, not an object`;
  if (typeof t.name !== 'string' || t.name === '') return `tensors[${index}] has no name`;
  const label = `tensor "${t.name}"`;
  const shape = t.shape;
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
    return `${label} has shape ${show(shape)}, not a list of non-negative integers`;
  }
  if (t.dtype !== 'float32') return `${label} has dtype ${show(t.dtype)}; only float32 is stored`;
  if (!(t.data instanceof Float32Array)) return `${label} holds ${typeName(t.data)}, not a Float32Array`;
  const size = shape.reduce((a: number, d: number) => a * d, 1);
  if (t.data.length !== size) {
    return `${label} holds ${t.data.length} values, but its shape [${shape.join(', ')}] needs ${size}`;
  }
  const data = t.data;
  for (let i = 0; i < data.length; i++) {
    // x - x is 0 for finite x and NaN for NaN and ±Infinity: one comparison per value.
    if (data[i] - data[i] !== 0) return `${label} holds ${data[i]} at index ${i}`;
  }
  return null;
}

function compareTensors(actual: { name: string; shape: number[] }[], expected: NonNullable<RecordExpectation['tensors']>): string | null {
  const byName = new Map(actual.map((t) => [t.name, t.shape]));
  const wanted = new Set(expected.map((t) => t.name));
  const missing = expected.filter((t) => !byName.has(t.name)).map((t) => t.name);
  const unexpected = actual.filter((t) => !wanted.has(t.name)).map((t) => t.name);
  const mismatched = expected
    .filter((t) => byName.has(t.name) && !sameShape(byName.get(t.name)!, t.shape))
    .map((t) => `${t.name} is [${byName.get(t.name)!.join(', ')}], the model needs [${t.shape.join(', ')}]`);
  const parts = [
    missing.length ? `missing ${missing.join(', ')}` : '',
    unexpected.length ? `unexpected ${unexpected.join(', ')}` : '',
    mismatched.length ? `shape mismatch: ${mismatched.join('; ')}` : '',
  ].filter(Boolean);
  return parts.length ? `its tensors do not fit the model (${parts.join('; ')})` : null;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function count(x: unknown, label: string): string | null {
  return Number.isInteger(x) && (x as number) >= 0 ? null : `${label} is ${show(x)}, not a non-negative integer`;
}

function nonNegative(x: unknown, label: string): string | null {
  return typeof x === 'number' && Number.isFinite(x) && x >= 0 ? null : `${label} is ${show(x)}, not a non-negative number`;
}

function corrupt(reason: string): RecordProblem {
  return { version: false, reason };
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function typeName(x: unknown): string {
  if (x === null) return 'null';
  if (Array.isArray(x)) return 'an array';
  if (ArrayBuffer.isView(x)) return `a ${x.constructor.name}`;
  return typeof x === 'object' ? 'an object' : `a ${typeof x}`;
}

function show(x: unknown): string {
  if (typeof x === 'number' || typeof x === 'boolean' || x === null || x === undefined) return String(x);
  if (typeof x === 'string') return JSON.stringify(x.length > 40 ? `${x.slice(0, 40)}…` : x);
  if (Array.isArray(x) && x.length <= 8) return `[${x.map(show).join(', ')}]`;
  return typeName(x);
}

/** "e000025-s012000-periodic" (epoch 25), or "(unnamed)" when the record has no usable meta. */
function describeRecord(r: unknown): string {
  const meta = isObject(r) && isObject(r.meta) ? r.meta : null;
  if (!meta || typeof meta.id !== 'string') return '(unnamed)';
  return Number.isInteger(meta.epoch) ? `"${meta.id}" (epoch ${meta.epoch})` : `"${meta.id}"`;
}
