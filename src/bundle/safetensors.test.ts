import { describe, expect, it } from 'vitest';
import { readFixture, refusal } from '../../test/fixtures/torch/load';
import { decodePt } from './pt';
import { decodeSafetensors, encodeSafetensors } from './safetensors';

const list = (data: ArrayLike<number | bigint>) => Array.from(data);

/** A safetensors file from a header object (or raw header text) and a data buffer. */
function build(header: unknown, data: number[] = [], raw?: string): Uint8Array {
  const json = new TextEncoder().encode(raw ?? JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setUint32(0, json.length, true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

describe('decodeSafetensors', () => {
  it('handwritten.safetensors: every dtype, 0-d and empty tensors, metadata', () => {
    const { tensors, metadata } = decodeSafetensors(readFixture('handwritten.safetensors'));
    expect(metadata).toEqual({ format: 'pt', note: 'héllo' });
    const byName = Object.fromEntries(tensors.map((t) => [t.name, t]));
    expect(tensors.map((t) => t.name)).toEqual(['layer.weight', 'layer.bias', 'emb', 'steps', 'mask', 'ids', 'empty']);
    expect(list(byName['layer.weight'].data)).toEqual([0.5, -1, 2.25, 3, -4.5, 0.0010000000474974513]);
    expect(byName['layer.weight'].shape).toEqual([2, 3]);
    expect(list(byName['layer.bias'].data)).toEqual([1, -2]);
    expect(byName['emb'].dtype).toBe('bfloat16');
    expect(list(byName['emb'].data)).toEqual([1, -3]);
    expect(byName['steps'].shape).toEqual([]);
    expect(list(byName['steps'].data)).toEqual([1099511627776n]);
    expect(list(byName['mask'].data)).toEqual([1, 0, 1]);
    expect(list(byName['ids'].data)).toEqual([0, 255]);
    expect(byName['empty'].shape).toEqual([0, 4]);
  });

  it('mlp_state_dict.safetensors matches mlp_state_dict.pt, and the writer reproduces it byte for byte', () => {
    const fixture = readFixture('mlp_state_dict.safetensors');
    const pt = decodePt(readFixture('mlp_state_dict.pt')).tensors;
    const st = decodeSafetensors(fixture);
    expect(Object.fromEntries(st.tensors.map((t) => [t.name, t]))).toEqual(Object.fromEntries(pt.map((t) => [t.name, t])));
    expect(encodeSafetensors(pt, { format: 'pt' })).toEqual(fixture);
  });

  it('round-trips integer-like names in order', () => {
    const tensors = [{ name: '1', dtype: 'int32' as const, shape: [2], data: new Int32Array([5, -5]) }, { name: '0', dtype: 'int32' as const, shape: [], data: new Int32Array([1]) }];
    expect(decodeSafetensors(encodeSafetensors(tensors)).tensors.map((t) => t.name)).toEqual(['0', '1']);
  });

  const f32 = (offsets: number[], shape = [1]) => ({ dtype: 'F32', shape, data_offsets: offsets });
  const cases: Array<[string, Uint8Array, string]> = [
    ['short file', new Uint8Array(4), 'shorter than 8 bytes'],
    ['header past EOF', build({}).subarray(0, 9), 'exceeds the file'],
    ['not JSON', build(null, [], '{"a": '), 'not valid UTF-8 JSON'],
    ['NUL padding', build(null, [], '{}\0\0'), 'not valid UTF-8 JSON'],
    ['array header', build([]), 'not a JSON object'],
    ['duplicate key', build(null, [0, 0, 0, 0], '{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}'), "duplicate key 'a'"],
    ['unknown dtype', build({ a: { dtype: 'F8_E8M0', shape: [1], data_offsets: [0, 1] } }, [0]), 'unsupported dtype'],
    ['negative shape', build({ a: f32([0, 4], [-1]) }, [0, 0, 0, 0]), 'malformed shape'],
    ['size mismatch', build({ a: f32([0, 8]) }, new Array(8).fill(0)), 'needs 4 bytes'],
    ['offsets past buffer', build({ a: f32([0, 4]) }), 'needs 4 bytes'],
    ['overlap', build({ a: f32([0, 4]), b: f32([0, 4]) }, [0, 0, 0, 0]), 'gap or overlap'],
    ['gap', build({ a: f32([4, 8]) }, new Array(8).fill(0)), 'gap or overlap'],
    ['trailing bytes', build({ a: f32([0, 4]) }, new Array(6).fill(0)), 'bytes after the last tensor'],
    ['numeric metadata', build({ __metadata__: { n: 1 } }), 'is not a string'],
  ];
  for (const [label, bytes, reason] of cases) {
    it(`refuses ${label}`, () => {
      const err = refusal(() => decodeSafetensors(bytes));
      expect(err.message).toContain(reason);
    });
  }
});
