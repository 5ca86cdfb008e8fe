/*
 * safetensors files (pt-format.md §9).
 *
 * Byte layout:
 *   u64 N (little-endian) | N bytes UTF-8 JSON header | data buffer (rest of the file)
 * Header: {"__metadata__": {str: str}?, "<name>": {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}, …}
 * Offsets are relative to the data buffer (file byte 8 + N), end exclusive; sorted by begin the
 * tensors must tile the buffer exactly. Data is dense, row-major, little-endian.
 * The writer matches the `safetensors` package byte for byte: tensors ordered by dtype size rank,
 * then by name; compact JSON padded with spaces so the data buffer starts 8-aligned.
 */
import { BundleError, NOTHING_LOADED, fromFile } from './bundle-error';
import { scanJsonKeys } from './json-keys';
import { MAX_RANK } from './limits';
import { DTYPES, dtypeOfSafetensors, materialize, product, toStorageBytes, type TensorRecord } from './tensor';

/** The reference implementation's header limit. */
const MAX_HEADER_BYTES = 100_000_000;
/** Write order of the safetensors package: 8-byte types first, so every tensor stays aligned. */
const DTYPE_RANK = ['U64', 'I64', 'F64', 'C64', 'F32', 'U32', 'I32', 'BF16', 'F16', 'U16', 'I16', 'F8_E4M3', 'F8_E5M2', 'I8', 'U8', 'BOOL'];

export interface SafetensorsFile {
  tensors: TensorRecord[];
  /** The `__metadata__` map (string to string), empty when absent. */
  metadata: Record<string, string>;
}

function bad(what: string, entry?: string): BundleError {
  return new BundleError(`the safetensors header is invalid (${what}). The file is corrupt; re-export it. ${NOTHING_LOADED}`, { entry: entry === undefined ? undefined : fromFile(entry) });
}

const isSize = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/**
 * Reads and fully validates a safetensors file; tensors come back in header order (data copied).
 * @throws BundleError for any malformed header, unknown dtype or bad offsets.
 */
export function decodeSafetensors(bytes: Uint8Array): SafetensorsFile {
  if (bytes.length < 8) throw bad('file shorter than 8 bytes');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = view.getUint32(4, true) * 0x100000000 + view.getUint32(0, true);
  if (n > MAX_HEADER_BYTES || 8 + n > bytes.length) throw bad(`header length ${n} exceeds the file`);
  let header: unknown;
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n));
    header = JSON.parse(text);
  } catch (err) {
    throw new BundleError(`the safetensors header is not valid UTF-8 JSON. The file is corrupt; re-export it. ${NOTHING_LOADED}`, { cause: err });
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw bad('not a JSON object');
  const keys = scanJsonKeys(text);
  if (keys.duplicate !== undefined) throw bad(`duplicate key '${fromFile(keys.duplicate)}'`, keys.duplicate);

  const buffer = bytes.subarray(8 + n);
  const metadata = readMetadata((header as Record<string, unknown>).__metadata__);
  const tensors: TensorRecord[] = [];
  const spans: Array<[number, number, string]> = [];
  for (const name of keys.topLevel) {
    if (name === '__metadata__') continue;
    const entry = (header as Record<string, unknown>)[name];
    const { dtype: code, shape, data_offsets: offsets } = (entry ?? {}) as Record<string, unknown>;
    const dtype = typeof code === 'string' ? dtypeOfSafetensors(code) : undefined;
    if (!dtype) throw bad(`tensor '${fromFile(name)}' has unsupported dtype ${fromFile(JSON.stringify(code) ?? 'none', 20)}`, name);
    if (!Array.isArray(shape) || shape.length > MAX_RANK || !shape.every(isSize)) throw bad(`tensor '${fromFile(name)}' has a malformed shape`, name);
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isSize) || offsets[0] > offsets[1]) {
      throw bad(`tensor '${fromFile(name)}' has malformed data_offsets`, name);
    }
    const [begin, end] = offsets as [number, number];
    const numel = product(shape);
    if (end > buffer.length || numel * DTYPES[dtype].itemsize !== end - begin) {
      throw bad(`tensor '${fromFile(name)}' needs ${numel * DTYPES[dtype].itemsize} bytes but data_offsets give ${end - begin}`, name);
    }
    spans.push([begin, end, name]);
    tensors.push({ name, dtype, shape: [...shape], data: materialize({ dtype, offset: 0, shape: [numel], stride: [1] }, buffer.subarray(begin, end)) });
  }
  checkTiling(spans, buffer.length);
  return { tensors, metadata };
}

function readMetadata(raw: unknown): Record<string, string> {
  if (raw === undefined) return {};
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw bad('__metadata__ is not an object');
  for (const [k, v] of Object.entries(raw)) if (typeof v !== 'string') throw bad(`__metadata__ value '${fromFile(k)}' is not a string`, k);
  return { ...(raw as Record<string, string>) };
}

/** Sorted by begin, the spans must cover [0, bufferLength) with no hole, overlap or trailing bytes. */
function checkTiling(spans: Array<[number, number, string]>, bufferLength: number): void {
  spans.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let expected = 0;
  for (const [begin, end, name] of spans) {
    if (begin !== expected) throw bad(`tensor '${fromFile(name)}' starts at ${begin}, expected ${expected} (gap or overlap)`, name);
    expected = end;
  }
  if (expected !== bufferLength) throw bad(`${bufferLength - expected} bytes after the last tensor`);
}

const utf8 = new TextEncoder();

function compareBytes(a: string, b: string): number {
  const x = utf8.encode(a);
  const y = utf8.encode(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] - y[i];
  return x.length - y.length;
}

/**
 * Writes tensors (names must be unique) and optional string metadata as safetensors, in the
 * canonical order of the `safetensors` package.
 */
export function encodeSafetensors(tensors: readonly TensorRecord[], metadata?: Record<string, string>): Uint8Array {
  const names = new Set<string>();
  for (const t of tensors) {
    if (names.has(t.name) || t.name === '__metadata__') throw new BundleError(`cannot write two tensors named '${t.name}' into a safetensors file. Rename one.`);
    names.add(t.name);
    if (t.data.length !== product(t.shape)) throw new BundleError(`tensor '${t.name}' has shape [${t.shape}] but ${t.data.length} elements. Fix the tensor before saving.`);
  }
  const rank = (t: TensorRecord) => DTYPE_RANK.indexOf(DTYPES[t.dtype].safetensors);
  const ordered = [...tensors].sort((a, b) => rank(a) - rank(b) || compareBytes(a.name, b.name));
  // Built as text, not an object: JS objects would move integer-like names ("0") first.
  const fields: string[] = [];
  if (metadata && Object.keys(metadata).length) fields.push(`"__metadata__":${JSON.stringify(metadata)}`);
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const t of ordered) {
    const data = toStorageBytes(t.dtype, t.data);
    const entry = { dtype: DTYPES[t.dtype].safetensors, shape: t.shape, data_offsets: [offset, offset + data.length] };
    fields.push(`${JSON.stringify(t.name)}:${JSON.stringify(entry)}`);
    chunks.push(data);
    offset += data.length;
  }
  const json = utf8.encode(`{${fields.join(',')}}`);
  const n = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + n + offset);
  new DataView(out.buffer).setUint32(0, n, true);
  out.fill(0x20, 8, 8 + n);
  out.set(json, 8);
  let at = 8 + n;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
