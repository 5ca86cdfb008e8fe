import { describe, expect, it } from 'vitest';
import { Rng } from '../shared/rng';
import { encodePrompt, sampleLogits } from './generate';

describe('sampling', () => {
  it('draws only among the top k, and the same seed gives the same draws', () => {
    const logits = [0, 5, 4, 1, 3];
    const draws = (seed: number, k: number) => {
      const rng = new Rng(seed);
      return Array.from({ length: 200 }, () => sampleLogits(logits, 1, k, rng));
    };
    expect(new Set(draws(1, 2))).toEqual(new Set([1, 2]));
    expect(draws(1, 0)).toEqual(draws(1, 0));
    expect(new Set(draws(1, 0)).size).toBeGreaterThan(2);
    expect(new Set(draws(3, 0).map(() => sampleLogits(logits, 1e-3, 0, new Rng(3))))).toEqual(new Set([1])); // near 0: the argmax
  });

  it('encodes a prompt in the vocabulary and names characters it never saw', () => {
    expect(encodePrompt('ba', ['\n', 'a', 'b'])).toEqual([2, 1]);
    expect(encodePrompt('', ['\n', 'a'])).toEqual([0]);
    expect(() => encodePrompt('hé', ['h', 'e'])).toThrow('The prompt has a character the model never saw: "é". Use only characters of the training text.');
  });
});
