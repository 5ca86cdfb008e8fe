/**
 * Seeded mutation fuzzing of the reader, classified by outcome. Bases: the torch fixtures
 * (test/fixtures/torch, read with decodePt), real bundles exported by our codec (read with
 * decodeCheckpointBundle, as an upload is) and the safetensors fixtures (decodeSafetensors).
 *
 * Mutations come in two kinds:
 *   damage   bytes changed in place (bit flips, truncation, zip header fields, bytes inside data.pkl)
 *            as transfer or disk errors would; zip CRCs are NOT fixed up, so for zip files an
 *            accepted file must decode identically ("accepted but different" must be 0).
 *   crafted  data.pkl edited (bytes overwritten, a slice duplicated elsewhere, a slice deleted) and
 *            the zip rewritten with fresh CRCs, as a hostile author would; the reader's own checks
 *            are all that stand, so "different" is expected, anything but a BundleError is not.
 * safetensors has no checksum, so its damage can be accepted and different; it is reported apart.
 *
 * Memory: the whole run's peak RSS (process.resourceUsage().maxRSS) bounds every case's peak.
 */
import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { decodeCheckpointBundle, encodeCheckpointBundle } from '../../src/bundle/checkpoint-bundle';
import { decodePt } from '../../src/bundle/pt';
import { PyDict, PyFloat, PyTensor, TorchRef } from '../../src/bundle/py-value';
import { decodeSafetensors } from '../../src/bundle/safetensors';
import { readZip, scanZip, writeZip } from '../../src/bundle/zip';
import { DEFAULT_TRAIN } from '../../src/shared/config';
import { sampleRecord } from '../fixtures/hostile/sample-record';
import { FIXTURES_DIR, readFixture } from '../fixtures/torch/load';

export type Family = 'torch .pt' | 'bundle .pt' | 'safetensors';
export type MutationKind = 'damage' | 'crafted';
export type Outcome = 'refused' | 'identical' | 'different' | 'untyped';

export interface Base {
  name: string;
  family: Family;
  bytes: Uint8Array;
  decode: (bytes: Uint8Array) => unknown;
}

export interface CaseResult {
  seed: number;
  base: string;
  family: Family;
  kind: MutationKind;
  outcome: Outcome;
  ms: number;
  /** The error's name and message for refused and untyped outcomes. */
  error?: string;
}

/** mulberry32: small seeded PRNG so every case replays from its seed. */
export function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Every valid torch fixture (the reject_/malicious_/legacy ones are refused before any mutation). */
const TORCH_BASES = readdirSync(FIXTURES_DIR).filter((f) => f.endsWith('.pt') && !/^(reject_|malicious_|legacy_)/.test(f)).sort();

/** The bases: torch fixtures, three exported bundles (Adam, SGD with momentum, RMSprop), safetensors fixtures. */
export function fuzzBases(): Base[] {
  const bundles = (['adam', 'sgd', 'rmsprop'] as const).map((optimizer, i): Base => {
    const record = sampleRecord(5 + i);
    record.config = { ...record.config, train: { ...DEFAULT_TRAIN, optimizer, momentum: optimizer === 'adam' ? 0 : 0.9 } };
    const slots = { adam: ['exp_avg', 'exp_avg_sq'], sgd: ['momentum_buffer'], rmsprop: ['square_avg', 'momentum_buffer'] }[optimizer];
    record.tensors = record.tensors.filter((t) => !t.name.includes('.exp_avg')).flatMap((t) => [t, ...slots.map((s) => ({ ...t, name: `${t.name}.${s}` }))]);
    return { name: `bundle-${optimizer}.pt`, family: 'bundle .pt', bytes: encodeCheckpointBundle(record, `Fuzz ${optimizer}`), decode: (b) => decodeCheckpointBundle(b, 'fuzz.pt') };
  });
  return [
    ...TORCH_BASES.map((name): Base => ({ name, family: 'torch .pt', bytes: readFixture(name), decode: (b) => decodePt(b).root })),
    ...bundles,
    ...['handwritten.safetensors', 'mlp_state_dict.safetensors'].map((name): Base => ({ name, family: 'safetensors', bytes: readFixture(name), decode: decodeSafetensors })),
  ];
}

const BOUNDARY = [0, 1, 0x7f, 0x80, 0xff, 0xffff, 0x7fffffff, 0xfffffff0, 0xffffffff];

/** Offsets of length/size/offset fields in every zip header, and the span of data.pkl's bytes. */
function fieldsOf(bytes: Uint8Array) {
  const fields: Array<[number, 2 | 4]> = [];
  for (let p = 0; p + 4 <= bytes.length; p++) {
    const sig = bytes[p] === 0x50 && bytes[p + 1] === 0x4b ? (bytes[p + 2] << 8) | bytes[p + 3] : 0;
    if (sig === 0x0304) fields.push([p + 18, 4], [p + 22, 4], [p + 26, 2], [p + 28, 2]);
    if (sig === 0x0102) fields.push([p + 20, 4], [p + 24, 4], [p + 28, 2], [p + 30, 2], [p + 32, 2], [p + 42, 4]);
    if (sig === 0x0506) fields.push([p + 8, 2], [p + 10, 2], [p + 12, 4], [p + 16, 4], [p + 20, 2]);
  }
  const pkl = scanZip(bytes).find((e) => e.name.endsWith('/data.pkl'))!;
  return { fields, pkl: [pkl.dataOffset, pkl.dataOffset + pkl.sizeBytes] as const };
}

const pick = <T>(random: () => number, xs: readonly T[]) => xs[Math.floor(random() * xs.length)];

/** In-place damage, CRCs untouched (for safetensors: the length field, bit flips, truncation). */
export function damage(base: Uint8Array, family: Family, random: () => number): Uint8Array {
  const bytes = base.slice();
  const flip = (from: number, to: number) => (bytes[from + Math.floor(random() * (to - from))] ^= 1 << Math.floor(random() * 8));
  if (family === 'safetensors') {
    const k = Math.floor(random() * 3);
    if (k === 0) bytes[Math.floor(random() * 8)] = Math.floor(random() * 256);
    else if (k === 1) for (let i = 1 + Math.floor(random() * 4); i > 0; i--) flip(0, bytes.length);
    else return bytes.subarray(0, Math.floor(random() * bytes.length));
    return bytes;
  }
  const { fields, pkl } = fieldsOf(base);
  const kind = Math.floor(random() * 4);
  if (kind === 0) {
    for (let i = 1 + Math.floor(random() * 8); i > 0; i--) flip(0, bytes.length);
  } else if (kind === 1) {
    return bytes.subarray(0, Math.floor(random() * bytes.length));
  } else if (kind === 2) {
    const [at, width] = pick(random, fields);
    const v = random() < 0.5 ? pick(random, BOUNDARY) : Math.floor(random() * 2 ** (8 * width));
    const view = new DataView(bytes.buffer);
    if (width === 2) view.setUint16(at, v & 0xffff, true);
    else view.setUint32(at, v >>> 0, true);
  } else {
    const at = pkl[0] + Math.floor(random() * (pkl[1] - pkl[0]));
    const v = pick(random, BOUNDARY);
    for (let i = 0; i < 1 + Math.floor(random() * 4) && at + i < pkl[1]; i++) bytes[at + i] = (v >>> (8 * i)) & 0xff;
  }
  return bytes;
}

/** A hostile author's edit: data.pkl changed, the zip rewritten with valid CRCs (safetensors: a header byte). */
export function craft(base: Uint8Array, family: Family, random: () => number): Uint8Array {
  if (family === 'safetensors') {
    const bytes = base.slice();
    const n = new DataView(bytes.buffer).getUint32(0, true);
    bytes[8 + Math.floor(random() * n)] = pick(random, [...'0123456789[]{}",:-'].map((c) => c.charCodeAt(0)));
    return bytes;
  }
  const entries = [...readZip(base)];
  const i = entries.findIndex(([name]) => name.endsWith('/data.pkl'));
  const pkl = entries[i][1];
  const at = () => 2 + Math.floor(random() * (pkl.length - 3)); // keep PROTO 2 and the final STOP
  let out: Uint8Array;
  const k = Math.floor(random() * 6);
  if (k >= 3) {
    out = editOpcodes(pkl, random);
  } else if (k === 0) {
    out = pkl.slice();
    for (let j = 1 + Math.floor(random() * 4); j > 0; j--) out[at()] = random() < 0.5 ? pick(random, BOUNDARY) & 0xff : Math.floor(random() * 256);
  } else {
    const from = at();
    const to = Math.min(pkl.length - 1, from + 1 + Math.floor(random() * 64));
    if (k === 1) {
      const into = at(); // duplicate [from, to) at `into`: repeats opcodes, memo puts and gets
      out = Uint8Array.from([...pkl.subarray(0, into), ...pkl.subarray(from, to), ...pkl.subarray(into)]);
    } else {
      out = Uint8Array.from([...pkl.subarray(0, from), ...pkl.subarray(to)]);
    }
  }
  entries[i] = [entries[i][0], out];
  return writeZip(entries);
}

/** Bytes of each opcode's argument in a protocol-2 pickle, for the opcodes torch writes (0 = none). */
function argBytes(pkl: Uint8Array, p: number): number {
  switch (pkl[p]) {
    case 0x80: case 0x4b: case 0x71: case 0x68: return 1;
    case 0x4d: return 2;
    case 0x4a: case 0x72: case 0x6a: return 4;
    case 0x47: return 8;
    case 0x8a: case 0x55: return 1 + pkl[p + 1];
    case 0x58: return 4 + new DataView(pkl.buffer, pkl.byteOffset).getUint32(p + 1, true);
    case 0x63: { const a = pkl.indexOf(0x0a, p + 1); const b = a < 0 ? -1 : pkl.indexOf(0x0a, a + 1); return b < 0 ? pkl.length : b - p; }
    default: return 0;
  }
}

/**
 * Opcode-aware edits that keep the pickle parseable far more often than byte noise does, so the
 * checks behind the parser (REDUCE arguments, views, sharing, the bundle schema) get exercised:
 * an int argument set to a boundary value, a memo GET pointed at another memo entry (new sharing),
 * a run of 1-6 opcodes duplicated elsewhere, or 1-3 opcodes deleted.
 */
function editOpcodes(pkl: Uint8Array, random: () => number): Uint8Array {
  const ops: number[] = []; // start offsets; the last is STOP
  for (let p = 0; p < pkl.length; p += 1 + argBytes(pkl, p)) ops.push(p);
  const bounds = (j: number) => [ops[j], ops[j + 1] ?? pkl.length] as const;
  const inner = () => 1 + Math.floor(random() * (ops.length - 2)); // never PROTO or STOP
  const splice = (from: number, to: number, insert: ArrayLike<number> = []) => Uint8Array.from([...pkl.subarray(0, from), ...Array.from(insert), ...pkl.subarray(to)]);
  const k = Math.floor(random() * 4);
  if (k === 0) {
    const ints = ops.filter((p) => [0x4b, 0x4d, 0x4a].includes(pkl[p]));
    if (!ints.length) return pkl;
    const p = pick(random, ints);
    const out = pkl.slice();
    const width = pkl[p] === 0x4b ? 1 : pkl[p] === 0x4d ? 2 : 4;
    const v = pick(random, [0, 1, 2, 3, 7, 0x7f, 0xff, 0x100, 0xffff, 0x7fffffff, 0xffffffff, Math.floor(random() * 1000)]);
    for (let b = 0; b < width; b++) out[p + 1 + b] = (v >>> (8 * b)) & 0xff;
    return out;
  }
  if (k === 1) {
    const gets = ops.filter((p) => pkl[p] === 0x68);
    const puts = ops.filter((p) => pkl[p] === 0x71).map((p) => pkl[p + 1]);
    if (!gets.length || !puts.length) return pkl;
    const out = pkl.slice();
    out[pick(random, gets) + 1] = pick(random, puts);
    return out;
  }
  if (k === 2) {
    const j = inner();
    const to = bounds(Math.min(ops.length - 2, j + Math.floor(random() * 6)))[1];
    const into = ops[inner()];
    return splice(into, into, pkl.subarray(ops[j], to));
  }
  const j = inner();
  return splice(bounds(j)[0], bounds(Math.min(ops.length - 2, j + Math.floor(random() * 3)))[1]);
}

/** A short, order-sensitive digest of a decoded value; shared objects are digested once. */
export function digest(value: unknown, seen = new Map<object, string>()): string {
  const h = (parts: string[]) => createHash('sha1').update(parts.join('\u0000')).digest('base64');
  if (value === null || value === undefined || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value) ?? 'undefined';
  if (typeof value === 'number') return Object.is(value, -0) ? '-0' : String(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value !== 'object') return typeof value;
  const known = seen.get(value);
  if (known) return known;
  let d: string;
  if (ArrayBuffer.isView(value)) d = h([value.constructor.name, createHash('sha1').update(new Uint8Array(value.buffer, value.byteOffset, value.byteLength)).digest('base64')]);
  else if (value instanceof PyFloat) d = `f${digest(value.value)}`;
  else if (value instanceof TorchRef) d = `${value.kind}:${value.value}`;
  else if (value instanceof PyTensor) d = h(['tensor', value.dtype, value.shape.join(','), digest(value.data, seen)]);
  else if (value instanceof Map) d = h(['map', String(value instanceof PyDict && value.ordered), digest(value instanceof PyDict ? value.metadata : undefined, seen), ...[...value].flatMap(([k, v]) => [digest(k, seen), digest(v, seen)])]);
  else if (Array.isArray(value)) d = h([Object.isFrozen(value) ? 'tuple' : 'list', ...value.map((v) => digest(v, seen))]);
  else d = h(['object', ...Object.entries(value).flatMap(([k, v]) => [k, digest(v, seen)])]);
  seen.set(value, d);
  return d;
}

/** Runs one seeded case against `bases` (case `seed` uses base `seed % bases.length`). */
export function runCase(seed: number, bases: readonly Base[], baseDigests: readonly string[]): CaseResult {
  const random = rng(seed);
  const b = seed % bases.length;
  const base = bases[b];
  const kind: MutationKind = random() < 0.5 ? 'damage' : 'crafted';
  const bytes = kind === 'damage' ? damage(base.bytes, base.family, random) : craft(base.bytes, base.family, random);
  const started = performance.now();
  let outcome: Outcome;
  let error: string | undefined;
  try {
    const decoded = base.decode(bytes);
    outcome = digest(decoded) === baseDigests[b] ? 'identical' : 'different';
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err));
    outcome = e.name === 'BundleError' ? 'refused' : 'untyped';
    error = `${e.name}: ${e.message}`;
  }
  return { seed, base: base.name, family: base.family, kind, outcome, ms: performance.now() - started, error };
}

export interface FuzzSummary {
  results: CaseResult[];
  /** Peak resident memory of the whole run, bytes: an upper bound of every case's peak. */
  peakRssBytes: number;
}

/** Runs seeds `first`..`first + count - 1`. */
export function runFuzz(count: number, first = 1, onCase?: (r: CaseResult) => void): FuzzSummary {
  const bases = fuzzBases();
  const baseDigests = bases.map((b) => digest(b.decode(b.bytes)));
  const results: CaseResult[] = [];
  for (let seed = first; seed < first + count; seed++) {
    const r = runCase(seed, bases, baseDigests);
    results.push(r);
    onCase?.(r);
  }
  return { results, peakRssBytes: process.resourceUsage().maxRSS * 1024 };
}

/** The table by family and mutation kind: outcome counts, cases over 5 s, slowest case. */
export function fuzzTable({ results, peakRssBytes }: FuzzSummary): string {
  const rows: string[] = ['| family | mutation | cases | refused (BundleError) | accepted, identical | accepted, different | untyped error | over 5 s | slowest ms |', '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |'];
  const groups = new Map<string, CaseResult[]>();
  for (const r of results) groups.set(`${r.family}|${r.kind}`, [...(groups.get(`${r.family}|${r.kind}`) ?? []), r]);
  const line = (label: string, rs: CaseResult[]) => {
    const n = (o: Outcome) => rs.filter((r) => r.outcome === o).length;
    const slowest = Math.max(...rs.map((r) => r.ms));
    return `| ${label} | ${rs.length} | ${n('refused')} | ${n('identical')} | ${n('different')} | ${n('untyped')} | ${rs.filter((r) => r.ms > 5000).length} | ${slowest.toFixed(1)} |`;
  };
  for (const key of [...groups.keys()].sort()) rows.push(line(key.replace('|', ' | '), groups.get(key)!));
  rows.push(line('**all** | ', results));
  rows.push('', `Peak RSS of the whole run (bounds every case): ${(peakRssBytes / 2 ** 20).toFixed(0)} MiB; cases over 1 GiB: ${peakRssBytes > 2 ** 30 ? 'possible (peak above 1 GiB)' : 0}.`);
  return rows.join('\n');
}
