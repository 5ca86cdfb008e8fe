import { describe, expect, it } from 'vitest';
import { readFixture, refusal } from '../../test/fixtures/torch/load';
import { decodePt, encodePt } from './pt';
import { PyDict, PyFloat, PyTensor, tuple, type PyValue } from './py-value';
import { readZip, scanZip, writeZip } from './zip';

const f32 = (shape: number[], values: number[]) => new PyTensor('float32', shape, new Float32Array(values));

function sampleCheckpoint(): PyDict {
  return new PyDict([
    ['model_state_dict', new PyDict([
      ['0.weight', f32([2, 3], [0.5, -1, 2.25, 3, -4.5, 0.125])],
      ['0.bias', f32([2], [0.25, -0.5])],
      ['1.num_batches_tracked', new PyTensor('int64', [], new BigInt64Array([42n]))],
    ], true)],
    ['optimizer_state_dict', new PyDict([
      ['state', new PyDict([[0, new PyDict([['step', f32([], [3])], ['exp_avg', f32([2], [1e-3, -2e-3])]])]])],
      ['param_groups', [new PyDict([['lr', 0.001], ['betas', tuple(0.9, 0.999)], ['eps', 1e-8], ['weight_decay', 0], ['params', [0]]])]],
    ])],
    ['epoch', 3],
    ['lr_one', new PyFloat(1)],
    ['big', 2n ** 40n],
    ['huge', -(2n ** 70n)],
    ['neg', -7],
    ['name', 'héllo ✓ 𝔘'],
    ['flags', [true, false, null]],
    ['empty', []],
    ['f16', new PyTensor('float16', [3], new Float32Array([1, 0.5, -65504]))],
    ['bf16', new PyTensor('bfloat16', [2], new Float32Array([1, 3.140625]))],
    ['i8', new PyTensor('int8', [2], new Int8Array([-128, 127]))],
    ['mask', new PyTensor('bool', [3], new Uint8Array([1, 0, 1]))],
    ['empty_t', f32([0, 3], [])],
  ]);
}

describe('encodePt -> decodePt', () => {
  it('round-trips values, key order, int keys, tuples, big ints and dtypes', () => {
    const original = sampleCheckpoint();
    const { root } = decodePt(encodePt(original));
    const normalized = (v: PyValue): PyValue =>
      v instanceof PyFloat ? v.value : typeof v === 'bigint' && Number.isSafeInteger(Number(v)) ? Number(v) : v;
    const back = root as PyDict;
    expect([...back.keys()]).toEqual([...original.keys()]);
    for (const [k, v] of original) expect(back.get(k)).toEqual(normalized(v));
    expect((back.get('model_state_dict') as PyDict).ordered).toBe(true);
    expect(Object.isFrozen((back.get('optimizer_state_dict') as PyDict).get('param_groups'))).toBe(false);
  });

  it('re-encodes a torch-written checkpoint to the same pickle bytes as the reference writer', () => {
    const fixture = readFixture('handwritten_checkpoint.pt');
    const ours = readZip(encodePt(decodePt(fixture).root));
    for (const [name, bytes] of readZip(fixture)) expect(ours.get(name)).toEqual(bytes);
  });

  it('round-trips every torch fixture tensor by tensor', () => {
    for (const file of ['training_checkpoint.pt', 'dtypes_and_views.pt', 'cnn_bn_state_dict.pt', 'single_tensor.pt']) {
      const first = decodePt(readFixture(file));
      expect(decodePt(encodePt(first.root)).tensors).toEqual(first.tensors);
    }
  });

  it('aligns every entry to 64 bytes and writes the torch layout', () => {
    const bytes = encodePt(sampleCheckpoint(), { prefix: 'ckpt' });
    const entries = scanZip(bytes);
    expect(entries.map((e) => e.name)).toEqual([
      'ckpt/data.pkl', ...Array.from({ length: 10 }, (_, i) => `ckpt/data/${i}`), 'ckpt/byteorder', 'ckpt/version',
    ]);
    for (const e of entries) expect(e.dataOffset % 64).toBe(0);
    expect(entries.every((e) => e.method === 0)).toBe(true);
  });

  it('refuses values a .pt cannot hold', () => {
    const cyclic: PyValue[] = [];
    cyclic.push(cyclic);
    expect(refusal(() => encodePt(cyclic)).message).toContain('contains itself');
    expect(refusal(() => encodePt({} as unknown as PyValue)).message).toContain('plain object');
    expect(refusal(() => encodePt(new PyTensor('uint16', [1], new Uint16Array(1)))).message).toContain('uint16');
    expect(refusal(() => encodePt(f32([2, 2], [1]))).message).toContain('shape [2,2]');
  });
});

/** Builds a one-entry-per-part archive around a hand-written pickle. */
function withPickle(pickle: number[], storages: Uint8Array[] = []): Uint8Array {
  const base = encodePt(new PyDict(storages.map((s, i) => [`t${i}`, new PyTensor('uint8', [s.length], s)])));
  const files = readZip(base);
  files.set('archive/data.pkl', new Uint8Array(pickle));
  return writeZip([...files]); // the real writer, so only the pickle differs from a valid file
}

const ascii = (s: string) => [...s].map((c) => c.charCodeAt(0));
const str = (s: string) => [0x58, s.length, 0, 0, 0, ...ascii(s)];

describe('restricted unpickler', () => {
  const decode = (pickle: number[]) => decodePt(withPickle(pickle)).root;

  it('reads memo, LONG1, BININT1/2, SHORT_BINSTRING, APPEND and SETITEM', () => {
    const pickle = [0x80, 2, 0x5d, 0x71, 0, 0x4b, 7, 0x61, 0x4d, 0x00, 0x01, 0x61, 0x8a, 6, 0, 0, 0, 0, 0, 1, 0x61,
      0x8a, 1, 0xff, 0x61, 0x55, 2, ...ascii('hi'), 0x71, 1, 0x61, 0x7d, ...str('k'), 0x68, 1, 0x73, 0x61, 0x2e];
    const root = decode(pickle) as PyValue[];
    expect(root.slice(0, 5)).toEqual([7, 256, 2 ** 40, -1, 'hi']);
    expect((root[5] as PyDict).get('k')).toBe('hi');
  });

  it('refuses self-containing containers, unset memo, bad STOP and unknown opcodes', () => {
    expect(refusal(() => decode([0x80, 2, 0x5d, 0x71, 0, 0x68, 0, 0x61, 0x2e])).message).toContain('contains itself');
    expect(refusal(() => decode([0x80, 2, 0x68, 5, 0x2e])).message).toContain('memo entry 5');
    expect(refusal(() => decode([0x80, 2, 0x4e, 0x4e, 0x2e])).message).toContain('STOP');
    expect(refusal(() => decode([0x80, 2, 0x4e])).message).toContain('ends before STOP');
    expect(refusal(() => decode([0x80, 2, 0x93, 0x2e])).message).toContain('opcode 0x93 (STACK_GLOBAL)');
    expect(refusal(() => decode([0x80, 2, 0x81, 0x2e])).message).toContain('NEWOBJ');
    expect(refusal(() => decode([0x80, 2, 0x28, 0x4e, 0x61, 0x2e])).message).toContain('corrupt');
  });

  it('refuses a GLOBAL before any REDUCE, and REDUCE/BUILD on anything not allow-listed', () => {
    const global = (m: string, n: string) => [0x63, ...ascii(`${m}\n${n}\n`)];
    expect(refusal(() => decode([0x80, 2, ...global('posix', 'system')])).message).toContain("global 'posix.system'");
    expect(refusal(() => decode([0x80, 2, ...global('torch', 'FloatStorage'), 0x29, 0x52, 0x2e])).message).toContain('forbidden operation');
    expect(refusal(() => decode([0x80, 2, 0x7d, 0x7d, 0x62, 0x2e])).message).toContain('BUILD');
    expect(refusal(() => decode([0x80, 2, 0x4e, 0x29, 0x52, 0x2e])).message).toContain('not an allowed callable');
  });

  it('bounds the memory a view-heavy file may materialize', () => {
    // 10 000 000 x stride-0 view over a single byte: legal in torch, but far beyond the file size.
    const pid = [0x28, ...str('storage'), 0x63, ...ascii('torch\nByteStorage\n'), ...str('0'), ...str('cpu'), 0x4b, 1, 0x74, 0x51];
    const tensor = [0x63, ...ascii('torch._utils\n_rebuild_tensor_v2\n'), 0x28, ...pid, 0x4b, 0,
      0x4a, 0x80, 0x96, 0x98, 0x00, 0x85, 0x4b, 0, 0x85, 0x89, 0x7d, 0x74, 0x52];
    const bytes = withPickle([0x80, 2, ...tensor, 0x2e], [new Uint8Array([9])]);
    expect(refusal(() => decodePt(bytes)).message).toContain('more memory than the file size justifies');
    expect(decodePt(bytes, { maxTensorBytes: 20_000_000 }).tensors[0].data.length).toBe(10_000_000);
  });
});
