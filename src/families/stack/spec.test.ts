import { describe, expect, it } from 'vitest';
import { PRESET_NAMES, presetModel, summarizeModel } from './spec';

const DIGITS = [28, 28, 1];

describe('summarizeModel', () => {
  it('gives each layer of MLP small on digits its shape and parameters (784-128-10)', () => {
    const s = summarizeModel(presetModel('MLP small', DIGITS), DIGITS, 10);
    expect(s.error).toBeUndefined();
    expect(s.layers.map((l) => [l.label, l.outputShape, l.params])).toEqual([
      ['flatten', [784], 0],
      ['dense', [128], 784 * 128 + 128],
      ['output', [10], 128 * 10 + 10],
    ]);
    expect(s.totalParams).toBe(101_770);
  });

  it('follows conv and pool shapes with valid padding (CNN small on digits)', () => {
    const s = summarizeModel(presetModel('CNN small', DIGITS), DIGITS, 10);
    expect(s.layers.map((l) => l.outputShape)).toEqual([[26, 26, 8], [13, 13, 8], [11, 11, 16], [5, 5, 16], [400], [64], [10]]);
    expect(s.layers[0].params).toBe(3 * 3 * 1 * 8 + 8);
    expect(s.layers[2].params).toBe(3 * 3 * 8 * 16 + 16);
    expect(s.layers[5].params).toBe(400 * 64 + 64);
    expect(s.totalParams).toBe(80 + 1168 + 25_664 + 650);
  });

  it('sizes the presets about 0.1M / 1M / 10M on digits', () => {
    const total = (name: (typeof PRESET_NAMES)[number]) => summarizeModel(presetModel(name, DIGITS), DIGITS, 10).totalParams;
    expect(total('MLP small')).toBeGreaterThan(90_000);
    expect(total('MLP small')).toBeLessThan(110_000);
    expect(total('MLP medium')).toBeGreaterThan(900_000);
    expect(total('MLP medium')).toBeLessThan(1_100_000);
    expect(total('MLP large')).toBeGreaterThan(9_500_000);
    expect(total('MLP large')).toBeLessThan(10_500_000);
  });

  it('counts batchnorm weight and bias and passes dropout through; MLPs on 2-D data need no flatten', () => {
    const spec = { name: 'Custom', layers: [{ type: 'dense', units: 16, activation: 'relu' }, { type: 'batchnorm' }, { type: 'dropout', rate: 0.5 }] } as const;
    const s = summarizeModel({ ...spec, layers: [...spec.layers] }, [2], 3);
    expect(s.layers.map((l) => l.params)).toEqual([48, 32, 0, 51]);
    expect(presetModel('Tiny MLP', [2]).layers.some((l) => l.type === 'flatten')).toBe(false);
  });

  it('names the layer that cannot be built and why', () => {
    const dense = summarizeModel({ name: 'Custom', layers: [{ type: 'dense', units: 4, activation: 'relu' }] }, DIGITS, 10);
    expect(dense.error).toMatch(/Layer 1 \(dense\).*add a flatten/);
    const conv = summarizeModel({ name: 'Custom', layers: [{ type: 'conv2d', filters: 4, kernelSize: 3, activation: 'relu' }] }, [2], 3);
    expect(conv.error).toMatch(/Layer 1 \(conv2d\).*image input/);
    const big = summarizeModel({ name: 'Custom', layers: [{ type: 'conv2d', filters: 4, kernelSize: 30, activation: 'relu' }] }, DIGITS, 10);
    expect(big.error).toMatch(/kernel 30 is larger/);
    const drop = summarizeModel({ name: 'Custom', layers: [{ type: 'dropout', rate: 1 }] }, [2], 3);
    expect(drop.error).toMatch(/rate must be in \[0, 1\)/);
  });
});
