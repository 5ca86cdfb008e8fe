/**
 * MNIST digits from public/data/digits.bin, written by scripts/build-digits.mjs.
 *
 * Layout (little-endian):
 *   0   4 bytes  magic 'DIGT'
 *   4   uint32   version (1)
 *   8   uint32   count
 *   12  uint32   rows (28)
 *   16  uint32   cols (28)
 *   20  count × rows × cols uint8 pixels, 0..255, row-major, image after image
 *   …   count uint8 labels, 0..9
 */
import { DatasetError } from '../../shared/errors';
import type { Rng } from '../../shared/rng';
import { splitSamples, type Dataset } from '../../engine/data/dataset';
import type { SourceLoader } from '../worker-contract';

export const DIGITS_URL = 'data/digits.bin';
export const DIGITS_MAGIC = 'DIGT';
export const DIGITS_VERSION = 1;
const HEADER_BYTES = 20;
const REBUILD_HINT = 'Rebuild it with `npm run build` (or restart `npm run dev`) and reload the page.';

/** Raw digits as stored in the file. */
export interface DigitsFile {
  count: number;
  rows: number;
  cols: number;
  /** count × rows × cols bytes. */
  pixels: Uint8Array;
  /** count labels 0..9. */
  labels: Uint8Array;
}

/** Decodes and fully validates digits.bin; throws DatasetError if anything is off. */
export function decodeDigits(buf: ArrayBuffer): DigitsFile {
  const fail = (what: string): never => {
    throw new DatasetError(`The digits file (${DIGITS_URL}) is invalid: ${what}. ${REBUILD_HINT}`);
  };
  if (buf.byteLength < HEADER_BYTES) fail(`it has only ${buf.byteLength} bytes`);
  const view = new DataView(buf);
  const magic = String.fromCharCode(...new Uint8Array(buf, 0, 4));
  if (magic !== DIGITS_MAGIC) fail('it does not start with DIGT (is the server returning an HTML page instead?)');
  const version = view.getUint32(4, true);
  if (version !== DIGITS_VERSION) fail(`version ${version} is not supported (expected ${DIGITS_VERSION})`);
  const count = view.getUint32(8, true);
  const rows = view.getUint32(12, true);
  const cols = view.getUint32(16, true);
  if (count < 1 || rows !== 28 || cols !== 28) fail(`unexpected header (count ${count}, ${rows}×${cols})`);
  const expected = HEADER_BYTES + count * rows * cols + count;
  if (buf.byteLength !== expected) fail(`it has ${buf.byteLength} bytes but its header promises ${expected}`);
  const pixels = new Uint8Array(buf, HEADER_BYTES, count * rows * cols);
  const labels = new Uint8Array(buf, HEADER_BYTES + count * rows * cols, count);
  const bad = labels.findIndex((l) => l > 9);
  if (bad >= 0) fail(`label ${labels[bad]} of image ${bad} is not a digit`);
  return { count, rows, cols, pixels, labels };
}

/** Digits as a dataset: inputShape [28, 28, 1], pixels scaled to 0..1, classes '0'..'9'. */
export function digitsDataset(file: DigitsFile, validationSplit: number, rng: Rng): Dataset {
  const size = file.rows * file.cols;
  const x = new Float32Array(file.count * size);
  for (let i = 0; i < x.length; i++) x[i] = file.pixels[i] / 255;
  return splitSamples(
    { x, y: Float32Array.from(file.labels), rowSize: size },
    {
      kind: 'classification',
      inputShape: [file.rows, file.cols, 1],
      outputs: 10,
      classNames: Array.from({ length: 10 }, (_, d) => String(d)),
      view: 'images',
      featureNames: [],
      targetName: 'digit',
    },
    validationSplit,
    rng,
  );
}

/** Fetches, decodes and splits the digits; network and format problems become DatasetError. */
export async function loadDigits(
  fetchBytes: (url: string) => Promise<ArrayBuffer>,
  validationSplit: number,
  rng: Rng,
): Promise<Dataset> {
  let buf: ArrayBuffer;
  try {
    buf = await fetchBytes(DIGITS_URL);
  } catch (cause) {
    const why = cause instanceof Error ? cause.message : String(cause);
    throw new DatasetError(`Could not load the digits file (${DIGITS_URL}): ${why}. ${REBUILD_HINT}`, { cause });
  }
  return digitsDataset(decodeDigits(buf), validationSplit, rng);
}

export const loaders: Record<string, SourceLoader> = {
  digits: (cfg, { fetchBytes, rng }) => loadDigits(fetchBytes, cfg.validationSplit, rng),
};
