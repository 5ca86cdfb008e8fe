/*
 * The torch.save zip container (torch >= 1.6), STORED entries only.
 *
 * Byte layout written here (all integers little-endian), one block per entry at offset o:
 *   local header  u32 0x04034B50 | u16 20 | u16 flags | u16 0 (stored) | u32 dos time/date 1980-01-01
 *                 u32 crc32 | u32 size | u32 size | u16 nameLen | u16 extraLen
 *   name          UTF-8 "<prefix>/data.pkl", "<prefix>/data/<key>", "<prefix>/byteorder", "<prefix>/version"
 *   extra         'F' 'B' | u16 L | L x 'Z'   -- padding so data starts at a multiple of 64, as torch does
 *   data          size bytes
 * then one central-directory header (u32 0x02014B50, 46 bytes + name + extra) per entry and the
 * end record (u32 0x06054B50, 22 bytes). torch adds zip64 records and data descriptors; we read both.
 *
 * Reading: the central directory is scanned and bounded here before fflate extracts anything,
 * because fflate trusts declared sizes (a deflate bomb would be inflated in full).
 */
import { strFromU8, unzipSync, zipSync, type Zippable } from 'fflate';
import { BundleError, NOTHING_LOADED, fromFile } from './bundle-error';
import { crc32 } from './crc32';

/** torch's loader rejects more entries than this long before we would; it bounds the scan. */
const MAX_ENTRIES = 100_000;
/** torch aligns every record's data to 64 bytes so storages can be mmapped. */
const ALIGNMENT = 64;
const SIG_LOCAL = 0x04034b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_END = 0x06054b50;
const SIG_ZIP64_END = 0x06064b50;
const SIG_ZIP64_LOCATOR = 0x07064b50;

/** One stored entry found in the central directory. */
export interface ZipEntry {
  name: string;
  /** Offset of the entry's first data byte in the file. */
  dataOffset: number;
  sizeBytes: number;
  /** Zip compression method: 0 stored, 8 deflate. Only 0 is ever extracted. */
  method: number;
  /** CRC-32 of the entry's data, from the central directory. */
  crc32: number;
}

function corrupt(what: string, entry?: string): BundleError {
  return new BundleError(
    `the archive is truncated or corrupt (${what}). Re-download or re-save the file. ${NOTHING_LOADED}`,
    { entry: entry === undefined ? undefined : fromFile(entry) },
  );
}

const u16 = (b: Uint8Array, o: number) => b[o] | (b[o + 1] << 8);
const u32 = (b: Uint8Array, o: number) => (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16)) + b[o + 3] * 0x1000000;
/** u64 as a number; values past 2^53 are returned as Infinity so every bound check fails. */
const u64 = (b: Uint8Array, o: number) => {
  const hi = u32(b, o + 4);
  return hi >= 0x200000 ? Infinity : hi * 0x100000000 + u32(b, o);
};

/** Finds the end record exactly where fflate will look for it (the last signature), ending at EOF. */
function findEnd(bytes: Uint8Array): number {
  const last = bytes.length - 22;
  for (let e = last; e >= 0 && last - e <= 65535; e--) {
    if (u32(bytes, e) !== SIG_END) continue;
    if (e + 22 + u16(bytes, e + 20) !== bytes.length) throw corrupt('end record does not end the file');
    return e;
  }
  throw corrupt('end-of-central-directory record not found');
}

/** Reads count and central-directory offset/size, honouring zip64 records the way fflate does. */
function readDirectoryBounds(bytes: Uint8Array, e: number) {
  let count = u16(bytes, e + 10);
  let size = u32(bytes, e + 12);
  let offset = u32(bytes, e + 16);
  if (e >= 20 && u32(bytes, e - 20) === SIG_ZIP64_LOCATOR) {
    const z = u64(bytes, e - 12);
    if (z + 56 > e - 20 || u32(bytes, z) !== SIG_ZIP64_END) throw corrupt('zip64 end record missing');
    count = u64(bytes, z + 32);
    size = u64(bytes, z + 40);
    offset = u64(bytes, z + 48);
  }
  if (count > MAX_ENTRIES) throw corrupt(`${count} entries is more than ${MAX_ENTRIES}`);
  if (offset + size > bytes.length) throw corrupt('central directory runs past the end of the file');
  return { count, size, offset };
}

/** Central-directory sizes and offset, replacing 0xFFFFFFFF with the zip64 extra field values. */
function readSizes(bytes: Uint8Array, p: number, extraStart: number, extraEnd: number) {
  let compressed = u32(bytes, p + 20);
  let uncompressed = u32(bytes, p + 24);
  let localOffset = u32(bytes, p + 42);
  for (let x = extraStart; x + 4 <= extraEnd; x += 4 + u16(bytes, x + 2)) {
    if (u16(bytes, x) !== 1) continue;
    let q = x + 4;
    const take = () => {
      const v = q + 8 <= extraEnd ? u64(bytes, q) : Infinity;
      q += 8;
      return v;
    };
    if (uncompressed === 0xffffffff) uncompressed = take();
    if (compressed === 0xffffffff) compressed = take();
    if (localOffset === 0xffffffff) localOffset = take();
    break;
  }
  return { compressed, uncompressed, localOffset };
}

/**
 * Validates the whole central directory of a zip without extracting anything: entry count, names,
 * sizes and offsets inside the file, no duplicates, no overlapping data.
 * @returns entries in central-directory order.
 */
export function scanZip(bytes: Uint8Array): ZipEntry[] {
  if (bytes.length < 22) throw corrupt('file is too small to be a zip archive');
  const e = findEnd(bytes);
  const dir = readDirectoryBounds(bytes, e);
  const entries: ZipEntry[] = [];
  const seen = new Set<string>();
  const spans: Array<[number, number, string]> = [];
  let p = dir.offset;
  for (let i = 0; i < dir.count; i++) {
    if (p + 46 > dir.offset + dir.size || u32(bytes, p) !== SIG_CENTRAL) throw corrupt('bad central directory header');
    const p0 = p;
    const flags = u16(bytes, p + 8);
    const method = u16(bytes, p + 10);
    const nameEnd = p + 46 + u16(bytes, p + 28);
    const extraEnd = nameEnd + u16(bytes, p + 30);
    if (extraEnd > bytes.length) throw corrupt('central directory entry runs past the end of the file');
    const name = strFromU8(bytes.subarray(p + 46, nameEnd), !(flags & 0x800));
    const { compressed, uncompressed, localOffset } = readSizes(bytes, p, nameEnd, extraEnd);
    p = extraEnd + u16(bytes, p + 32);
    checkEntrySize(name, flags, method, compressed, uncompressed, bytes.length);
    if (localOffset + 30 > bytes.length || u32(bytes, localOffset) !== SIG_LOCAL) {
      throw corrupt(`local header of '${fromFile(name)}' is missing`, name);
    }
    const dataOffset = localOffset + 30 + u16(bytes, localOffset + 26) + u16(bytes, localOffset + 28);
    if (dataOffset + compressed > dir.offset) throw corrupt(`data of '${fromFile(name)}' runs past the entries`, name);
    if (seen.has(name)) throw corrupt(`duplicate entry '${fromFile(name)}'`, name);
    seen.add(name);
    spans.push([localOffset, dataOffset + compressed, name]);
    entries.push({ name, dataOffset, sizeBytes: compressed, method, crc32: u32(bytes, p0 + 16) });
  }
  spans.sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < spans.length; i++) {
    if (spans[i][0] < spans[i - 1][1]) throw corrupt(`entries '${fromFile(spans[i - 1][2])}' and '${fromFile(spans[i][2])}' overlap`);
  }
  return entries;
}

function checkEntrySize(name: string, flags: number, method: number, compressed: number, uncompressed: number, fileBytes: number) {
  if (flags & 1) throw corrupt(`entry '${fromFile(name)}' is encrypted`, name);
  if (compressed > fileBytes || (method === 0 && compressed !== uncompressed)) {
    throw new BundleError(
      `entry '${fromFile(name)}' declares ${Math.max(compressed, uncompressed)} bytes in a ${fileBytes}-byte file ` +
        `(corrupt or a zip bomb). Re-download or re-save the file. ${NOTHING_LOADED}`,
      { entry: fromFile(name) },
    );
  }
}

function refuseCompressed({ name, method }: ZipEntry): void {
  if (method !== 0) {
    throw new BundleError(
      `entry '${fromFile(name)}' is compressed (zip method ${method}); torch.save writes stored entries only and ` +
        `compressed entries can hide a decompression bomb. Re-save the file with torch.save. ${NOTHING_LOADED}`,
      { entry: fromFile(name) },
    );
  }
}

/**
 * Extracts every entry with fflate after `scanZip` has validated the directory.
 * @param inspect sees the entry list before anything is extracted (e.g. to spot TorchScript by name).
 * @returns entry name -> bytes (views into `bytes`, not copies), in central-directory order.
 */
export function readZip(bytes: Uint8Array, inspect?: (entries: ZipEntry[]) => void): Map<string, Uint8Array> {
  const entries = scanZip(bytes);
  inspect?.(entries);
  entries.forEach(refuseCompressed);
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(bytes, {
      filter: (f) => {
        if (f.compression !== 0) throw corrupt(`entry '${fromFile(f.name)}' changed between scans`, f.name);
        return true;
      },
    });
  } catch (err) {
    if (err instanceof BundleError) throw err;
    throw new BundleError(`the zip could not be read (${(err as Error).message}). Re-download or re-save the file. ${NOTHING_LOADED}`, { cause: err });
  }
  const out = new Map<string, Uint8Array>();
  for (const entry of entries) {
    const data = files[entry.name];
    if (!data || data.length !== entry.sizeBytes) throw corrupt(`entry '${fromFile(entry.name)}' could not be extracted`, entry.name);
    if (crc32(data) !== entry.crc32) {
      throw new BundleError(
        `entry ${fromFile(entry.name)} fails its CRC-32 check: the file is damaged (a changed bit in transfer or on disk). ` +
          `Download or export it again. ${NOTHING_LOADED}`,
        { entry: fromFile(entry.name) },
      );
    }
    out.set(entry.name, data);
  }
  return out;
}

/**
 * Writes STORED entries with their data aligned to 64 bytes (torch's "FB" extra-field padding).
 * @param entries full entry names (with prefix) and contents, written in this order.
 */
export function writeZip(entries: ReadonlyArray<readonly [string, Uint8Array]>): Uint8Array {
  const encoder = new TextEncoder();
  const zippable: Zippable = {};
  let offset = 0;
  for (const [name, data] of entries) {
    const nameBytes = encoder.encode(name).length;
    const pad = (ALIGNMENT - ((offset + 30 + nameBytes + 4) % ALIGNMENT)) % ALIGNMENT;
    // fflate places the data right after header + name + extra, and writes no data descriptor.
    zippable[name] = [data, { level: 0, mtime: new Date(1980, 0, 1), extra: { 0x4246: new Uint8Array(pad).fill(0x5a) } }];
    offset += 30 + nameBytes + 4 + pad + data.length;
  }
  if (offset > 0xffffffff || entries.length > 0xffff) {
    throw new BundleError('the bundle is larger than 4 GiB or has more than 65,535 entries, which this writer does not support. Save fewer or smaller tensors.');
  }
  return zipSync(zippable);
}
