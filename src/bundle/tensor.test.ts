import { describe, expect, it } from 'vitest';
import { checkView, floatToBfloat16, floatToHalf, halfToFloat, materialize } from './tensor';

const list = (data: ArrayLike<number | bigint>) => Array.from(data);

describe('float16 / bfloat16', () => {
  it('round-trips every finite half exactly', () => {
    for (let h = 0; h < 0x10000; h++) {
      const v = halfToFloat(h);
      if (Number.isNaN(v)) expect(floatToHalf(v) & 0x7c00).toBe(0x7c00);
      else expect(floatToHalf(v)).toBe(h === 0x8000 ? 0x8000 : h);
    }
  });

  it('rounds to nearest even, overflows to infinity and underflows to zero', () => {
    expect(floatToHalf(1 + 2 ** -11)).toBe(0x3c00); // tie -> even
    expect(floatToHalf(1 + 3 * 2 ** -11)).toBe(0x3c02);
    expect(floatToHalf(65520)).toBe(0x7c00);
    expect(floatToHalf(2 ** -26)).toBe(0);
    expect(floatToHalf(6e-8)).toBe(1);
    expect(floatToBfloat16(3.140625)).toBe(0x4049);
    expect(floatToBfloat16(1 + 2 ** -8)).toBe(0x3f80); // tie -> even
    expect(floatToBfloat16(NaN) & 0x7f80).toBe(0x7f80);
  });
});

describe('strided views', () => {
  const storage = new Uint8Array(new Float32Array([0, 1, 2, 3, 4, 5]).buffer);
  it('gathers transposed and offset views row-major', () => {
    expect(list(materialize({ dtype: 'float32', offset: 0, shape: [3, 2], stride: [1, 3] }, storage))).toEqual([0, 3, 1, 4, 2, 5]);
    expect(list(materialize({ dtype: 'float32', offset: 1, shape: [2], stride: [3] }, storage))).toEqual([1, 4]);
  });
  it('refuses views past the storage, negative strides and rank mismatches', () => {
    expect(() => checkView({ dtype: 'float32', offset: 1, shape: [2, 3], stride: [3, 1] }, 6)).toThrow(/out of bounds/);
    expect(() => checkView({ dtype: 'float32', offset: 0, shape: [2], stride: [-1] }, 6)).toThrow(/negative/);
    expect(() => checkView({ dtype: 'float32', offset: 0, shape: [2], stride: [] }, 6)).toThrow(/dims/);
    expect(() => checkView({ dtype: 'float32', offset: 99, shape: [0, 3], stride: [3, 1] }, 6)).not.toThrow();
  });
});
