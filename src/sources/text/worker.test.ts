import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_DATA } from '../../shared/config';
import { Rng } from '../../shared/rng';
import { drawWindows } from '../../engine/data/dataset';
import { loadDataset, previewOf } from '../../engine/data';
import { SHAKESPEARE_URL } from './index';
import { decodeIds, decodeText, encodeChars, splitIds } from './parse';

const corpus = readFileSync(`public/${SHAKESPEARE_URL}`);
const fetchCorpus = async (url: string) => {
  if (url !== SHAKESPEARE_URL) throw new Error(`unexpected ${url}`);
  return corpus.buffer.slice(corpus.byteOffset, corpus.byteOffset + corpus.byteLength) as ArrayBuffer;
};
const shakespeareConfig = { ...DEFAULT_DATA, dataset: 'shakespeare', validationSplit: 0.1 };

describe('Tiny Shakespeare', () => {
  it("has nanoGPT's shakespeare_char vocabulary and split: 65 characters, 1,003,854 / 111,540 tokens", async () => {
    const ds = await loadDataset(shakespeareConfig, fetchCorpus);
    expect(ds.tokens!.vocab.length).toBe(65);
    expect(ds.outputs).toBe(65);
    expect(ds.tokens!.vocab.join('')).toBe("\n !$&',-.3:;?ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz");
    expect([ds.trainSize, ds.valSize]).toEqual([1_003_854, 111_540]);
    expect(decodeIds(ds.tokens!.train.subarray(0, 14), ds.tokens!.vocab)).toBe('First Citizen:');
    expect(decodeIds(ds.tokens!.val, ds.tokens!.vocab)).toBe(corpus.toString('utf8').slice(1_003_854));
  });

  it('previews the vocabulary and a few windows of the text', async () => {
    const p = previewOf(await loadDataset(shakespeareConfig, fetchCorpus));
    if (p.type !== 'text') throw new Error(`preview is ${p.type}`);
    expect(p.vocab.length).toBe(65);
    expect(p.windows.length).toBe(4);
    expect(p.windows[0].startsWith('First Citizen:')).toBe(true);
    expect(p.totalTokens).toBe(1_115_394);
  });
});

describe('random windows', () => {
  const ids = Uint16Array.from({ length: 50 }, (_, i) => i);

  it('are next-token pairs at seeded starts, drawn the same from the same rng state', () => {
    const rng = new Rng(7);
    const before = rng.state();
    const w = drawWindows(rng, ids, 8, 5);
    expect(w.starts.every((s) => s >= 0 && s <= 50 - 8 - 1)).toBe(true);
    for (let b = 0; b < 5; b++) {
      for (let t = 0; t < 8; t++) {
        expect(w.x[b * 8 + t]).toBe(w.starts[b] + t);
        expect(w.y[b * 8 + t]).toBe(w.starts[b] + t + 1);
      }
    }
    const again = drawWindows(Rng.fromState(before), ids, 8, 5);
    expect(again.starts).toEqual(w.starts);
    expect(drawWindows(rng, ids, 8, 5).starts).not.toEqual(w.starts); // the rng moved on
  });

  it('reach the last start and refuse a text shorter than one block', () => {
    const rng = new Rng(1);
    const starts = new Set<number>();
    for (let k = 0; k < 200; k++) drawWindows(rng, ids.subarray(0, 5), 3, 1).starts.forEach((s) => starts.add(s));
    expect([...starts].sort()).toEqual([0, 1]);
    expect(() => drawWindows(rng, ids.subarray(0, 3), 3, 1)).toThrow(/too few for one block of 3 \(it needs 4\)/);
  });
});

describe('text files', () => {
  const enc = (s: string) => new TextEncoder().encode(s);

  it('decode UTF-8 (dropping a BOM) and refuse empty, binary and non-UTF-8 files with a reason', () => {
    expect(decodeText(enc('\uFEFFhé llo'), 'a.txt')).toBe('hé llo');
    expect(() => decodeText(new Uint8Array(0), 'a.txt')).toThrow('a.txt is empty. Choose a text file with some text in it.');
    expect(() => decodeText(Uint8Array.of(0x50, 0x4b, 3, 4, 0, 0), 'a.zip')).toThrow(/a\.zip looks like a binary file/);
    expect(() => decodeText(Uint8Array.of(0x63, 0x61, 0x66, 0xe9), 'latin1.txt')).toThrow(/latin1\.txt is not UTF-8 text/);
  });

  it('sorts the vocabulary by code point, beyond the BMP too, and splits first / last', () => {
    const { vocab, ids } = encodeChars('ba😀a\n');
    expect(vocab).toEqual(['\n', 'a', 'b', '😀']);
    expect(Array.from(ids)).toEqual([2, 1, 3, 1, 0]);
    const { train, val } = splitIds(ids, 0.4);
    expect([Array.from(train), Array.from(val)]).toEqual([[2, 1, 3], [1, 0]]);
  });

  it('an uploaded .txt loads by file id; a missing file is refused before loading', async () => {
    const bytes = enc('hello world, hello text');
    const ds = await loadDataset({ ...DEFAULT_DATA, dataset: 'text', validationSplit: 0.1, text: { fileName: 'h.txt', fileId: 'abc' } }, fetchCorpus, async (id) => {
      expect(id).toBe('abc');
      return bytes;
    });
    expect(ds.tokens!.vocab.join('')).toBe(' ,dehlortwx');
    expect(ds.trainSize + ds.valSize).toBe(23);
    await expect(loadDataset({ ...DEFAULT_DATA, dataset: 'text' }, fetchCorpus)).rejects.toThrow('No text file is selected. Upload a .txt file in the Data cell first.');
  });
});
