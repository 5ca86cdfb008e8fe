/**
 * A notebook to hand to someone else: its settings (dataset, model, training with their seeds, notes)
 * in a link's hash, or in a notebook file that may also hold the data file and the latest checkpoint.
 * Pure: encoding, decoding and validation. What is read is checked with the saved notebook's own
 * parser (`parseRecord`), so a link or file can never hold more than a saved notebook may.
 */
import type { DataConfig, ModelSpec, TrainConfig } from '../shared/config';
import { parseRecord, RECORD_VERSION } from './notebook-record';

/** The settings a link or file carries: the notebook minus what belongs to this browser (run id, auto-resume). */
export interface SharedNotebook {
  title: string;
  notes: string;
  data: DataConfig;
  model: ModelSpec;
  train: TrainConfig;
}

/** The uploaded files (a CSV, a text) a notebook's data refers to, by the DataConfig key that holds each. */
const FILE_KEYS = ['csv', 'text'] as const;

export function uploadedFiles(data: DataConfig): { fileName: string; fileId: string }[] {
  return FILE_KEYS.flatMap((k) => (data[k] ? [{ fileName: data[k].fileName, fileId: data[k].fileId }] : []));
}

/** `data` with each uploaded file's id replaced through `ids` (old id -> id stored here). */
export function withFileIds(data: DataConfig, ids: Record<string, string>): DataConfig {
  const out = structuredClone(data);
  for (const k of FILE_KEYS) {
    const f = out[k];
    if (f && Object.hasOwn(ids, f.fileId)) f.fileId = ids[f.fileId];
  }
  return out;
}

/** `#notebook=<base64url of the JSON>` */
export const HASH_KEY = 'notebook';
/** A link longer than this is refused unread (notes are text; 1 MB of them is far past any real notebook). */
export const MAX_LINK_CHARS = 1_500_000;
/** A notebook file larger than this is refused unread. */
export const MAX_FILE_BYTES = 512 * 1024 * 1024;
export const FILE_KIND = 'tab-trainer-notebook';
export const FILE_VERSION = 1;
export const FILE_SUFFIX = '.notebook.json';

/** A data file (a CSV) the notebook refers to by id, carried in a notebook file. */
export interface CarriedFile {
  id: string;
  name: string;
  base64: string;
}

/** The notebook file: JSON, readable in any editor. */
export interface NotebookFile {
  kind: typeof FILE_KIND;
  version: typeof FILE_VERSION;
  savedAt: string;
  notebook: SharedNotebook;
  /** The uploaded file the Data cell uses (a CSV, a text), when there is one. */
  files: CarriedFile[];
  /** The run's latest checkpoint as our `.pt` bundle, when the user chose to include it. */
  checkpoint?: { fileName: string; base64: string };
}

export type Read<T> = { ok: true; value: T } | { ok: false; reason: string };

/** The link to share: this page's address with the notebook in the hash. An uploaded file cannot travel in it. */
export function shareLink(pageUrl: string, notebook: SharedNotebook): { url: string; leftOut: string | null } {
  const data = { ...notebook.data };
  for (const k of FILE_KEYS) delete data[k];
  const payload: SharedNotebook = { ...notebook, data };
  const left = uploadedFiles(notebook.data).map((f) => f.fileName);
  const url = new URL(pageUrl);
  url.search = ''; // ?backend=… and the like are this browser's choices, not the notebook's
  url.hash = `${HASH_KEY}=${toBase64Url(new TextEncoder().encode(JSON.stringify(payload)))}`;
  return { url: url.href, leftOut: left.length > 0 ? left.join(', ') : null };
}

/** The notebook in a page's hash: null when the hash holds none, else the notebook or why it is unusable. */
export function readShareHash(hash: string): Read<SharedNotebook> | null {
  const m = /^#?notebook=(.*)$/s.exec(hash);
  if (!m) return null;
  const text = m[1];
  if (text.length > MAX_LINK_CHARS) return { ok: false, reason: `the link is too long (${text.length} characters)` };
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(fromBase64Url(text)));
  } catch {
    return { ok: false, reason: 'the link is cut short or was changed (its notebook part is not readable)' };
  }
  return checkNotebook(json);
}

/** The notebook file's JSON text. */
export function notebookFileText(notebook: SharedNotebook, files: CarriedFile[], checkpoint?: NotebookFile['checkpoint']): string {
  const file: NotebookFile = { kind: FILE_KIND, version: FILE_VERSION, savedAt: new Date().toISOString(), notebook, files, ...(checkpoint ? { checkpoint } : {}) };
  return JSON.stringify(file, null, 1);
}

/** Reads a notebook file's bytes: the notebook, its files and checkpoint, or why it is not one. */
export function readNotebookFile(bytes: Uint8Array): Read<NotebookFile> {
  if (bytes.length > MAX_FILE_BYTES) return { ok: false, reason: `it is ${Math.round(bytes.length / 2 ** 20)} MB, more than a notebook file may be (${MAX_FILE_BYTES / 2 ** 20} MB)` };
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    return { ok: false, reason: `it is not a notebook file (not JSON text); notebook files end in ${FILE_SUFFIX}. A checkpoint (.pt) goes to Upload checkpoint in the Checkpoints cell` };
  }
  if (!isObj(json) || json.kind !== FILE_KIND) return { ok: false, reason: `it is JSON but not a notebook file (no "kind": "${FILE_KIND}")` };
  if (json.version !== FILE_VERSION) return { ok: false, reason: `it was written by a newer version of this app (notebook file version ${String(json.version)}); reload the page to update` };
  const notebook = checkNotebook(json.notebook);
  if (!notebook.ok) return notebook;
  const files: CarriedFile[] = [];
  if (!Array.isArray(json.files)) return { ok: false, reason: 'its list of data files is missing' };
  for (const f of json.files) {
    if (!isObj(f) || typeof f.id !== 'string' || typeof f.name !== 'string' || typeof f.base64 !== 'string' || !BASE64.test(f.base64)) return { ok: false, reason: 'one of its data files is unreadable' };
    files.push({ id: f.id, name: f.name, base64: f.base64 });
  }
  for (const u of uploadedFiles(notebook.value.data)) {
    if (!files.some((f) => f.id === u.fileId)) return { ok: false, reason: `it refers to the data file ${u.fileName} but does not hold it` };
  }
  let checkpoint: NotebookFile['checkpoint'];
  if (json.checkpoint !== undefined) {
    const c = json.checkpoint;
    if (!isObj(c) || typeof c.fileName !== 'string' || typeof c.base64 !== 'string' || !BASE64.test(c.base64)) return { ok: false, reason: 'its checkpoint is unreadable' };
    checkpoint = { fileName: c.fileName, base64: c.base64 };
  }
  return { ok: true, value: { kind: FILE_KIND, version: FILE_VERSION, savedAt: typeof json.savedAt === 'string' ? json.savedAt : '', notebook: notebook.value, files, checkpoint } };
}

/** A few words on what opening the notebook sets, for the confirmation. */
export function describeShared(nb: SharedNotebook, sourceLabel: string): string {
  const t = nb.train;
  const names = uploadedFiles(nb.data).map((f) => f.fileName);
  const data = names.length > 0 ? `${sourceLabel} (${names.join(', ')})` : `${sourceLabel} (seed ${nb.data.seed})`;
  return `${data} · ${nb.model.name} · ${t.epochs} epochs of ${t.optimizer === 'sgd' ? 'SGD' : t.optimizer === 'adam' ? 'Adam' : 'RMSprop'} at learning rate ${t.learningRate}, seed ${t.seed}`;
}

function checkNotebook(v: unknown): Read<SharedNotebook> {
  if (!isObj(v)) return { ok: false, reason: 'it holds no notebook' };
  const record = parseRecord({ version: RECORD_VERSION, notes: v.notes, data: v.data, model: v.model, train: v.train, title: v.title });
  if (typeof record === 'string') return { ok: false, reason: `its notebook is unusable (${record})` };
  const title = typeof record.title === 'string' && record.title.trim() ? record.title.slice(0, 80) : 'shared notebook';
  return { ok: true, value: { title, notes: record.notes, data: record.data, model: record.model, train: record.train } };
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

export function toBase64(bytes: Uint8Array): string {
  let s = '';
  const CHUNK = 0x8000; // String.fromCharCode takes its arguments on the stack
  for (let i = 0; i < bytes.length; i += CHUNK) s += String.fromCharCode(...bytes.subarray(i, i + CHUNK));
  return btoa(s);
}

export function fromBase64(text: string): Uint8Array<ArrayBuffer> {
  const s = atob(text);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

function toBase64Url(bytes: Uint8Array): string {
  return toBase64(bytes).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');
}

function fromBase64Url(text: string): Uint8Array {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) throw new Error('not base64url');
  return fromBase64(text.replaceAll('-', '+').replaceAll('_', '/'));
}
