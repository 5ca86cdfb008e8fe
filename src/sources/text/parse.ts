/**
 * Text as a character-level language-modelling set, as nanoGPT's `shakespeare_char` prepares it:
 * the vocabulary is the sorted set of characters (code points), every character is its index in it,
 * the first part is for training and the rest for validation (no shuffling: windows are drawn later).
 */
import { DatasetError } from '../../shared/errors';

/** Token ids are stored as uint16 (nanoGPT's train.bin), so a vocabulary holds at most this many characters. */
export const MAX_VOCAB = 65536;

/**
 * The bytes of a text file as a string.
 * @throws DatasetError for an empty file, a binary one (NUL bytes) or one that is not UTF-8
 */
export function decodeText(bytes: Uint8Array, fileName: string): string {
  if (bytes.length === 0) throw new DatasetError(`${fileName} is empty. Choose a text file with some text in it.`);
  if (bytes.includes(0)) throw new DatasetError(`${fileName} looks like a binary file (it holds NUL bytes), not text. Choose a plain .txt file.`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new DatasetError(`${fileName} is not UTF-8 text. Save it as UTF-8 (e.g. "Save as… UTF-8" in a text editor), then choose it again.`);
  }
  return text.startsWith('\uFEFF') ? text.slice(1) : text;
}

export interface CharCorpus {
  /** Every distinct character, sorted by code point: token id = index. */
  vocab: string[];
  /** The text as token ids. */
  ids: Uint16Array;
}

/** The character vocabulary of `text` (sorted by code point, as Python's sorted(set(text))) and its ids. */
export function encodeChars(text: string): CharCorpus {
  const chars = Array.from(text);
  const vocab = [...new Set(chars)].sort((a, b) => a.codePointAt(0)! - b.codePointAt(0)!);
  if (vocab.length > MAX_VOCAB) throw new DatasetError(`The text has ${vocab.length} distinct characters; at most ${MAX_VOCAB} fit a character vocabulary.`);
  const index = new Map(vocab.map((c, i) => [c, i]));
  const ids = new Uint16Array(chars.length);
  chars.forEach((c, i) => (ids[i] = index.get(c)!));
  return { vocab, ids };
}

/**
 * First (1 − validationSplit) of the ids for training, the rest for validation:
 * nTrain = floor(n × (1 − split)), as nanoGPT's `data[:int(n*0.9)]` for a split of 0.1.
 */
export function splitIds(ids: Uint16Array, validationSplit: number): { train: Uint16Array; val: Uint16Array } {
  const nTrain = Math.floor(ids.length * (1 - validationSplit));
  return { train: ids.subarray(0, nTrain), val: ids.subarray(nTrain) };
}

/** Token ids back to text; ids outside the vocabulary show as U+FFFD. */
export function decodeIds(ids: ArrayLike<number>, vocab: readonly string[]): string {
  let s = '';
  for (let i = 0; i < ids.length; i++) s += vocab[ids[i]] ?? '\uFFFD';
  return s;
}
