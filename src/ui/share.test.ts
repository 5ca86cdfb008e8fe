import { describe, expect, it } from 'vitest';
import { DEFAULT_DATA, DEFAULT_TRAIN } from '../shared/config';
import { FAMILIES } from '../families';
import { notebookFileText, readNotebookFile, readShareHash, shareLink, toBase64, type SharedNotebook } from './share';

const io = { task: 'classification' as const, inputShape: [2], inputDtype: 'float32' as const, outputs: 2 };
const notebook = (over: Partial<SharedNotebook> = {}): SharedNotebook => ({
  title: 'Moons for class 3',
  notes: '# Try it\n\nÜber-noisy moons — 🌙',
  data: { ...DEFAULT_DATA, dataset: 'moons', noise: 0.3, seed: 7 },
  model: FAMILIES[0].preset('Tiny MLP', io),
  train: { ...structuredClone(DEFAULT_TRAIN), epochs: 3, seed: 11, learningRate: 0.003 },
  ...over,
});
const bytes = (text: string) => new TextEncoder().encode(text);

describe('share link', () => {
  it('round-trips the settings, seeds and notes through the hash, and drops ?backend', () => {
    const nb = notebook();
    const { url, leftOut } = shareLink('https://example.org/app/?backend=cpu#old', nb);
    expect(leftOut).toBeNull();
    const u = new URL(url);
    expect(u.search).toBe('');
    expect(u.pathname).toBe('/app/');
    const read = readShareHash(u.hash);
    expect(read).toEqual({ ok: true, value: nb });
  });

  it('leaves a CSV file out and says so', () => {
    const nb = notebook({ data: { ...DEFAULT_DATA, dataset: 'csv', csv: { fileName: 'flowers.csv', fileId: 'file:abc', labelColumn: 'y', task: 'classification' } } });
    const { url, leftOut } = shareLink('https://example.org/', nb);
    expect(leftOut).toBe('flowers.csv');
    const read = readShareHash(new URL(url).hash);
    expect(read?.ok && read.value.data.csv).toBeUndefined();
    expect(url).not.toContain('file:abc');
  });

  it('ignores a hash without a notebook and refuses a changed or hostile one', () => {
    expect(readShareHash('')).toBeNull();
    expect(readShareHash('#cell-train')).toBeNull();
    const { url } = shareLink('https://example.org/', notebook());
    const hash = new URL(url).hash;
    expect(readShareHash(hash.slice(0, hash.length - 20))).toMatchObject({ ok: false });
    expect(readShareHash('#notebook=%%%')).toMatchObject({ ok: false, reason: expect.stringContaining('not readable') });
    expect(readShareHash(`#notebook=${'A'.repeat(1_500_001)}`)).toMatchObject({ ok: false, reason: expect.stringContaining('too long') });
    const evil = (v: unknown) => `#notebook=${toBase64(bytes(JSON.stringify(v))).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '')}`;
    expect(readShareHash(evil({ ...notebook(), model: { family: 'rocket', name: 'x' } }))).toMatchObject({ ok: false, reason: expect.stringContaining('unknown model family') });
    expect(readShareHash(evil({ ...notebook(), data: { dataset: 'nope' } }))).toMatchObject({ ok: false, reason: expect.stringContaining('dataset') });
    expect(readShareHash(evil([1, 2]))).toMatchObject({ ok: false });
  });
});

describe('notebook file', () => {
  it('round-trips the notebook, its CSV file and a checkpoint', () => {
    const nb = notebook({ data: { ...DEFAULT_DATA, dataset: 'csv', csv: { fileName: 'f.csv', fileId: 'file:1', labelColumn: 'y', task: 'regression' } } });
    const csv = { id: 'file:1', name: 'f.csv', base64: toBase64(bytes('x,y\n1,2\n')) };
    const checkpoint = { fileName: 'run.pt', base64: toBase64(new Uint8Array([80, 75, 3, 4, 255])) };
    const read = readNotebookFile(bytes(notebookFileText(nb, [csv], checkpoint)));
    expect(read.ok).toBe(true);
    if (!read.ok) return;
    expect(read.value.notebook).toEqual(nb);
    expect(read.value.files).toEqual([csv]);
    expect(read.value.checkpoint).toEqual(checkpoint);
  });

  it('refuses what is not a usable notebook file, saying why', () => {
    const reason = (b: Uint8Array) => {
      const r = readNotebookFile(b);
      return r.ok ? 'accepted' : r.reason;
    };
    expect(reason(new Uint8Array([0x80, 0x02, 0xff]))).toContain('not JSON');
    expect(reason(bytes('{"kind":"something"}'))).toContain('not a notebook file');
    expect(reason(bytes('{"kind":"tab-trainer-notebook","version":9}'))).toContain('newer version');
    const text = JSON.parse(notebookFileText(notebook(), []));
    expect(reason(bytes(JSON.stringify({ ...text, files: undefined })))).toContain('data files');
    expect(reason(bytes(JSON.stringify({ ...text, checkpoint: { fileName: 'a.pt', base64: '<script>' } })))).toContain('checkpoint');
    const csvNb = notebook({ data: { ...DEFAULT_DATA, dataset: 'csv', csv: { fileName: 'f.csv', fileId: 'file:1', labelColumn: 'y', task: 'regression' } } });
    expect(reason(bytes(notebookFileText(csvNb, [])))).toContain('does not hold it');
    expect(reason(bytes(JSON.stringify({ ...text, notebook: { ...text.notebook, train: { epochs: 'many' } } })))).toContain('unusable');
  });
});
