/*
 * Hostile pickles built in memory: deep nesting, shared (memo) references in a DAG, and a flipped
 * bit under a zip CRC. Each must be refused with a BundleError, quickly.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { HOSTILE } from '../../test/fixtures/hostile/make-hostile';
import { refusal } from '../../test/fixtures/torch/load';
import { withHead } from '../families/stack/spec';
import { torchModuleNames } from '../families/stack/torch';
import { fromFile } from './bundle-error';
import { decodeCheckpointBundle, encodeCheckpointBundle } from './checkpoint-bundle';
import { sampleRecord } from '../../test/fixtures/hostile/sample-record';
import { MAX_NESTING_DEPTH } from './limits';
import { decodePt, encodePt } from './pt';
import { PyDict, PyTensor } from './py-value';
import { stateDictToTensors } from './state-dict';
import { writeZip } from './zip';

/** A torch.save-shaped zip around a raw pickle body (PROTO 2 and STOP added). */
function ptWith(body: number[]): Uint8Array {
  return writeZip([
    ['archive/data.pkl', Uint8Array.from([0x80, 0x02, ...body, 0x2e])],
    ['archive/version', new TextEncoder().encode('3\n')],
  ]);
}

/** `depth` lists, each the only item of the one around it: EMPTY_LIST x depth, APPEND x (depth - 1). */
const nestedLists = (depth: number) => [...new Array(depth).fill(0x5d), ...new Array(depth - 1).fill(0x61)];

/** levels of TUPLE2(prev, prev) over a leaf, each memoized: 2^levels paths in 5 bytes a level. */
function dag(levels: number, leaf: number[]): number[] {
  const out = [...leaf, 0x71, 0]; // BINPUT 0 (the value stays on the stack)
  for (let i = 0; i < levels; i++) out.push(0x68, i, 0x86, 0x71, i + 1); // BINGET i, TUPLE2, BINPUT i+1
  return out;
}

function timed<T>(fn: () => T): { value: T; ms: number } {
  const t0 = performance.now();
  const value = fn();
  return { value, ms: performance.now() - t0 };
}

describe('hostile pickles', () => {
  it('accepts nesting at the limit and refuses one level past it', () => {
    expect(() => decodePt(ptWith(nestedLists(MAX_NESTING_DEPTH)))).not.toThrow();
    expect(refusal(() => decodePt(ptWith(nestedLists(MAX_NESTING_DEPTH + 1)))).message).toMatch(/nested more than 1000 levels/);
  });

  it('refuses nesting far beyond the limit with a BundleError, not a RangeError', () => {
    for (const body of [nestedLists(100_000), [0x4e, ...new Array(100_000).fill(0x85)]]) {
      const { value, ms } = timed(() => refusal(() => decodePt(ptWith(body))));
      expect(value.message).toMatch(/nested more than/);
      expect(ms).toBeLessThan(1000);
    }
  });

  it('walks a DAG of shared references once: 40 levels of (x, x) decode in linear time', () => {
    const { value, ms } = timed(() => decodePt(ptWith(dag(40, [0x4e]))));
    expect(value.tensors).toEqual([]);
    expect(ms).toBeLessThan(1000);
  });

  it('refuses a DAG that would list one tensor along 2^30 paths', () => {
    const tensor = [...encodePtBody()];
    const { value, ms } = timed(() => refusal(() => decodePt(ptWithTensor(dag(30, tensor)))));
    expect(value.message).toMatch(/expands too much/);
    expect(ms).toBeLessThan(1000);
  });

  it('refuses a flipped bit in tensor data, naming the entry', () => {
    const bytes = encodePt(new PyDict([['w', new PyTensor('float32', [4], Float32Array.of(-0.454, 1, 2, 3))]], true));
    const data = findData(bytes, Float32Array.of(-0.454));
    const flipped = bytes.slice();
    flipped[data + 2] ^= 0x10;
    expect(refusal(() => decodePt(flipped)).message).toMatch(/entry archive\/data\/0 fails its CRC-32 check/);
  });
});

/** Byte offset of `needle`'s bytes in `bytes`. */
function findData(bytes: Uint8Array, needle: Float32Array): number {
  const n = new Uint8Array(needle.buffer);
  for (let i = 0; i + n.length <= bytes.length; i++) if (n.every((b, j) => bytes[i + j] === b)) return i;
  return -1;
}

/** The pickle body of a 1-element float tensor with storage key "0" (from our writer). */
function encodePtBody(): Uint8Array {
  const pkl = unzipPickle(encodePt(new PyTensor('float32', [1], Float32Array.of(1))));
  return pkl.subarray(2, pkl.length - 1);
}

function unzipPickle(zip: Uint8Array): Uint8Array {
  const name = new TextEncoder().encode('archive/data.pkl');
  const at = findBytes(zip, name) + name.length;
  const extra = zip[at - name.length - 2] | (zip[at - name.length - 1] << 8);
  const size = new DataView(zip.buffer).getUint32(at - name.length - 30 + 18, true);
  return zip.subarray(at + extra, at + extra + size);
}

function findBytes(bytes: Uint8Array, needle: Uint8Array): number {
  for (let i = 0; i + needle.length <= bytes.length; i++) if (needle.every((b, j) => bytes[i + j] === b)) return i;
  return -1;
}

function ptWithTensor(body: number[]): Uint8Array {
  return writeZip([
    ['archive/data.pkl', Uint8Array.from([0x80, 0x02, ...body, 0x2e])],
    ['archive/data/0', new Uint8Array(Float32Array.of(1).buffer)],
    ['archive/version', new TextEncoder().encode('3\n')],
  ]);
}

/** The committed reproducers (test/fixtures/hostile/README.md): message, and a bound on time. */
const REPRODUCERS: Array<[file: string, message: RegExp]> = [
  ['deep_nesting.pt', /nested more than 1000 levels deep, deeper than torch\.save can write/],
  ['dag_tensors.pt', /expands too much when read \(tensors reached along too many paths\)/],
  ['dag_config.pt', /expands too much when read \(the config holds more values than a file of this size can\)/],
  ['shared_reduce_args.pt', /expands too much when read \(arguments of shared tensor and dict constructors\)/],
  ['stride0_views.pt', /would need more memory than the file size justifies/],
  ['shared_tensor_keys.pt', /expands too much when read \(the same tensor data under too many names\)/],
  ['forbidden_global_long_name.pt', /Python global 'os\\u\{1b\}\[2J\\u\{d\}\\u\{202e\}x+… \(65551 characters\)', which a checkpoint never needs/],
  ['crc_flip_bundle.pt', /entry archive\/data\/0 fails its CRC-32 check/],
];

describe('committed hostile reproducers (test/fixtures/hostile)', () => {
  const read = (name: string) => new Uint8Array(readFileSync(new URL(`../../test/fixtures/hostile/${name}`, import.meta.url)));

  it('lists every file make-hostile.ts writes, and each is what the script makes today', () => {
    expect(REPRODUCERS.map(([f]) => f).sort()).toEqual(Object.keys(HOSTILE).sort());
    for (const [name, make] of Object.entries(HOSTILE)) expect(read(name), name).toEqual(make());
  });

  it.each(REPRODUCERS)('refuses %s with its message, under 1 s, in a short printable message', (file, message) => {
    const bytes = read(file);
    const { value, ms } = timed(() => refusal(() => decodeCheckpointBundle(bytes, file)));
    expect(value.message).toMatch(new RegExp(`^Refused ${file.replace('.', '\\.')}: `));
    expect(value.message).toMatch(message);
    expect(value.message).toMatch(/Nothing was loaded\.$/);
    expect(value.message.length).toBeLessThan(500);
    expect(value.message).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/); // eslint-disable-line no-control-regex
    expect(ms).toBeLessThan(1000);
  });
});

describe('text from the file in messages, and shared strings', () => {
  it('fromFile escapes control and bidi characters and cuts long text, counting it', () => {
    expect(fromFile('os.system')).toBe('os.system');
    expect(fromFile('a\u0000b\nc\u001b[2J\u202ed\u2028')).toBe('a\\u{0}b\\u{a}c\\u{1b}[2J\\u{202e}d\\u{2028}');
    expect(fromFile('x'.repeat(1_000_000))).toBe(`${'x'.repeat(80)}… (1000000 characters)`);
    expect(fromFile('é'.repeat(10), 4)).toBe('éééé… (10 characters)');
  });

  it('refuses a bundle whose config shares one 1 KB string in 20,000 places (a 20 MB config from 41 KB)', () => {
    const str = (s: string) => [0x58, s.length & 0xff, s.length >> 8, 0, 0, ...new TextEncoder().encode(s)];
    const body = [
      0x7d, 0x28, ...str('format'), ...str('tab-trainer'), ...str('format_version'), 0x4b, 1,
      ...str('config'), 0x7d, ...str('notes'), 0x5d, 0x28, ...str('n'.repeat(1024)), 0x71, 0, ...new Array(19_999).fill([0x68, 0]).flat(), 0x65, 0x73, 0x75,
    ];
    const bytes = ptWith(body);
    expect(bytes.length).toBeLessThan(45_000);
    const { value, ms } = timed(() => refusal(() => decodeCheckpointBundle(bytes, 'shared.pt')));
    expect(value.message).toMatch(/^Refused shared\.pt: the file expands too much when read \(the config holds more values than a file of this size can\)/);
    expect(ms).toBeLessThan(1000);
  });

  it('lists at most 20 unexpected state-dict keys, each cut to 80 characters', () => {
    const w = new PyTensor('float32', [1], Float32Array.of(1));
    const sd = new Map(Array.from({ length: 1000 }, (_, i) => [`${i}.${'k'.repeat(10_000)}\r`, w] as const));
    const message = refusal(() => stateDictToTensors(sd, torchModuleNames(withHead({ name: 'm', layers: [] }, 1), [1]))).message;
    expect(message).toContain('and 980 more.');
    expect(message).toContain(`"0.${'k'.repeat(78)}… (10003 characters)"`);
    expect(message.length).toBeLessThan(3000);
    expect(message).not.toContain('\r');
  });
});

describe('bundle strings checked against their allowed values', () => {
  it('refuses an unknown checkpoint kind, quoting it safely', () => {
    const bytes = encodeCheckpointBundle(sampleRecord(), 'Sample');
    const root = decodePt(bytes).root as PyDict;
    (root.get('checkpoint') as PyDict).set('kind', '\u202eperiodic\u0007');
    const message = refusal(() => decodeCheckpointBundle(encodePt(root), 'kind.pt')).message;
    expect(message).toMatch(/^Refused kind\.pt: the bundle's checkpoint\.kind is '\\u\{202e\}periodic\\u\{7\}', not one of periodic, best, final, manual\./);
  });
});
