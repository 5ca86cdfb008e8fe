import { describe, expect, it } from 'vitest';
import { zipSync } from 'fflate';
import { crc32 } from './crc32';

describe('crc32', () => {
  it('matches the standard check value and what fflate writes into zip headers', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
    for (const length of [1, 3, 4, 5, 63, 1000]) {
      const data = Uint8Array.from({ length }, (_, i) => (i * 131 + 7) & 0xff);
      const zip = zipSync({ a: [data, { level: 0 }] });
      expect(crc32(data), `length ${length}`).toBe(new DataView(zip.buffer).getUint32(14, true));
    }
  });
});
