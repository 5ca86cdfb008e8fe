/*
 * PyTorch `.pt` files (torch.save, torch >= 1.6): public decode/encode API.
 *
 * Layout: a zip (zip.ts) whose entries all sit under one folder `<prefix>/`:
 *   <prefix>/data.pkl     protocol-2 pickle of the saved object (pickle-read.ts / pickle-write.ts)
 *   <prefix>/data/<key>   raw little-endian storage bytes, one record per storage (tensor.ts)
 *   <prefix>/byteorder    "little" (optional; torch 2.x writes it)
 *   <prefix>/version      "3\n"; torch accepts 1..10
 * The prefix is read from the archive, never from the file name (a renamed file keeps its folder).
 */
import { BundleError, NOTHING_LOADED, fromFile } from './bundle-error';
import { flattenTensors } from './flatten';
import { budgetFor } from './limits';
import { unpickle } from './pickle-read';
import { pickleObject } from './pickle-write';
import type { PyValue } from './py-value';
import { DTYPES, type TensorRecord } from './tensor';
import type { StorageRef } from './torch-globals';
import { detectFormat } from './sniff';
import { readZip, writeZip } from './zip';

/** torch's own pickles are tiny; a bigger one is not a checkpoint. */
const MAX_PICKLE_BYTES = 64 << 20;

export interface PtFile {
  /** The saved object: usually a PyDict (state dict or checkpoint dict), sometimes a single PyTensor. */
  root: PyValue;
  /** Zip folder every entry sits under (`archive` when saved to a buffer). */
  prefix: string;
  /** Entry names without the prefix, in archive order. */
  entries: string[];
  /** Every tensor in `root`, depth first, with dotted names (`optimizer_state_dict.state.0.exp_avg`). */
  tensors: TensorRecord[];
}

export interface DecodeOptions {
  /** Used in error messages only. */
  fileName?: string;
  /**
   * Most bytes of tensor data to materialize; views sharing a storage are copied, so this bounds
   * what a hostile file with many overlapping views can allocate. Default 8 x file size + 1 MiB.
   */
  maxTensorBytes?: number;
}

/** Adds "Refused <file>: " in front of a refusal from any layer, keeping entry and cause. */
export function refuse<T>(fileName: string, run: () => T): T {
  try {
    return run();
  } catch (err) {
    if (!(err instanceof BundleError)) throw err;
    throw new BundleError(`Refused ${fromFile(fileName, 120)}: ${err.message}`, { entry: err.entry, cause: err.cause });
  }
}

function notTorch(what: string, todo: string): BundleError {
  return new BundleError(`${what}. ${todo} ${NOTHING_LOADED}`);
}

/**
 * Reads a torch.save checkpoint, refusing anything outside the weights-only subset
 * (see pt-format.md §6.4). Never executes code from the file.
 * @throws BundleError naming the reason and the entry, opcode or global at fault.
 */
export function decodePt(bytes: Uint8Array, options: DecodeOptions = {}): PtFile {
  return refuse(options.fileName ?? 'checkpoint', () => decode(bytes, options));
}

function decode(bytes: Uint8Array, options: DecodeOptions): PtFile {
  const format = detectFormat(bytes);
  if (format === 'legacy-pt') {
    throw notTorch('this is the legacy torch.save format (pre-1.6 or _use_new_zipfile_serialization=False)', 'Re-save it with torch>=1.6: torch.save(torch.load(path), path).');
  }
  if (format === 'safetensors') throw notTorch('this is a safetensors file, not a .pt file', 'Open it as .safetensors.');
  if (format !== 'zip') throw notTorch('this is not a PyTorch checkpoint (no zip signature)', 'Choose a file written by torch.save.');

  let prefix = '';
  const files = readZip(bytes, (zipEntries) => {
    prefix = checkLayout(zipEntries.map((e) => e.name));
  });
  const entries = [...files.keys()].map((n) => n.slice(prefix.length + 1));
  const record = (name: string) => files.get(`${prefix}/${name}`);
  checkVersion(record('version') ?? record('.data/version'));
  const byteorder = record('byteorder');
  if (byteorder && new TextDecoder().decode(byteorder) !== 'little') {
    throw new BundleError(`the checkpoint stores big-endian data, which is not supported. Re-save it on a little-endian machine. ${NOTHING_LOADED}`, { entry: `${prefix}/byteorder` });
  }
  const pickle = record('data.pkl');
  if (!pickle) throw new BundleError(`data.pkl is missing, so this is not a checkpoint. Choose a file written by torch.save. ${NOTHING_LOADED}`, { entry: `${prefix}/data.pkl` });
  if (pickle.length > MAX_PICKLE_BYTES) throw new BundleError(`data.pkl is ${pickle.length} bytes, more than the ${MAX_PICKLE_BYTES}-byte limit. ${NOTHING_LOADED}`, { entry: `${prefix}/data.pkl` });

  const budget = budgetFor(bytes.length, options.maxTensorBytes);
  const storages = new Map<string, StorageRef>();
  const root = unpickle(pickle, {
    budget,
    persistentLoad: (pid) => loadStorage(pid, storages, (key) => record(`data/${key}`), prefix),
  });
  return { root, prefix, entries, tensors: flattenTensors(root, budget.remainingUnits, budgetFor(bytes.length, options.maxTensorBytes).remainingBytes) };
}

/** Returns the common folder of all entries; refuses TorchScript archives before anything is extracted. */
function checkLayout(names: string[]): string {
  const prefix = names[0]?.includes('/') ? names[0].slice(0, names[0].indexOf('/')) : '';
  const outside = names.find((n) => !prefix || !n.startsWith(`${prefix}/`));
  if (outside !== undefined) {
    throw notTorch(`entry '${fromFile(outside)}' is not under the archive's folder, so this is not a torch.save archive`, 'Choose a file written by torch.save.');
  }
  const relative = names.map((n) => n.slice(prefix.length + 1));
  if (relative.some((n) => n === 'constants.pkl' || n.startsWith('code/'))) {
    throw notTorch('this is a TorchScript archive (torch.jit.save), not a checkpoint', 'Save the weights with torch.save(model.state_dict(), path).');
  }
  return prefix;
}

function checkVersion(bytes: Uint8Array | undefined): void {
  const text = bytes ? new TextDecoder().decode(bytes).trim() : '';
  const version = /^[0-9]{1,2}$/.test(text) ? Number(text) : NaN;
  if (!(version >= 1 && version <= 10)) {
    throw new BundleError(
      `the archive version record is ${bytes ? `'${fromFile(text, 20)}'` : 'missing'}; torch.save writes 1 to 10. ` +
        `Re-save the checkpoint with torch.save. ${NOTHING_LOADED}`,
      { entry: 'version' },
    );
  }
}

function badStorage(what: string, entry?: string): BundleError {
  return new BundleError(`invalid storage reference in data.pkl (${what}). The file is corrupt; re-save it. ${NOTHING_LOADED}`, { entry });
}

/** BINPERSID: `('storage', <storage class>, key, location, numel)` -> the record `data/<key>`. */
function loadStorage(pid: readonly unknown[], cache: Map<string, StorageRef>, read: (key: string) => Uint8Array | undefined, prefix: string): StorageRef {
  const [tag, cls, key, location, numel] = pid;
  if (pid.length !== 5 || tag !== 'storage') throw badStorage('not a 5-tuple starting with "storage"');
  if (typeof cls !== 'object' || cls === null || (cls as { fn?: string }).fn !== 'storage') throw badStorage('unknown storage type');
  const dtype = (cls as { dtype: StorageRef['dtype'] }).dtype;
  if (typeof key !== 'string' || !/^[0-9]{1,18}$/.test(key)) throw badStorage('key is not a decimal number');
  if (typeof location !== 'string') throw badStorage('location is not a string');
  if (typeof numel !== 'number' || !Number.isSafeInteger(numel) || numel < 0) throw badStorage('element count is not a non-negative integer');
  const entry = `${prefix}/data/${key}`;
  const cached = cache.get(key);
  if (cached) {
    if (cached.dtype !== dtype || cached.numel !== numel) throw badStorage(`storage ${key} is used with two different types or sizes`, entry);
    return cached;
  }
  const bytes = read(key);
  if (!bytes) {
    throw new BundleError(`storage record data/${key} is missing from the archive. The file is incomplete; re-save it. ${NOTHING_LOADED}`, { entry });
  }
  const expected = numel * (dtype === 'untyped' ? 1 : DTYPES[dtype].itemsize);
  if (bytes.length !== expected) {
    throw new BundleError(
      `storage size mismatch: record data/${key} has ${bytes.length} bytes but data.pkl needs ${expected}. ` +
        `The file is truncated or corrupt; re-save it. ${NOTHING_LOADED}`,
      { entry },
    );
  }
  const ref: StorageRef = { kind: 'storage', key, dtype, numel, bytes };
  cache.set(key, ref);
  return ref;
}

export interface EncodeOptions {
  /** Zip folder name; torch uses the file stem, or `archive` for buffers. Default `archive`. */
  prefix?: string;
}

/**
 * Writes `root` as a torch.save file that torch.load reads (1.13 and 2.x; weights_only=True too when
 * it has no Python floats, see pickle-write.ts). Use an ordered PyDict for a model state dict.
 */
export function encodePt(root: PyValue, options: EncodeOptions = {}): Uint8Array {
  const prefix = options.prefix ?? 'archive';
  if (!/^[A-Za-z0-9_.-]+$/.test(prefix)) throw new BundleError(`the zip folder name '${prefix}' must be letters, digits, '_', '.' or '-'.`);
  const { pickle, storages } = pickleObject(root);
  return writeZip([
    [`${prefix}/data.pkl`, pickle],
    ...storages.map((s, i) => [`${prefix}/data/${i}`, s] as const),
    [`${prefix}/byteorder`, new TextEncoder().encode('little')],
    [`${prefix}/version`, new TextEncoder().encode('3\n')],
  ]);
}
