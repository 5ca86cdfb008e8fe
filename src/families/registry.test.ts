import { describe, expect, it } from 'vitest';
import { FAMILIES, familyId, familyOf } from './index';
import { WORKER_FAMILY_IDS } from './worker-registry';
import { summarizeModel, withHead, walk, presetModel, PRESET_NAMES } from './stack/spec';
import { torchModuleNames } from './stack/torch';

describe('the family registry', () => {
  it('has a worker part for every listed family, and nothing else', () => {
    expect([...WORKER_FAMILY_IDS].sort()).toEqual(FAMILIES.map((f) => f.id).sort());
  });

  it('reads a spec without a family as a stack (every spec saved before families), and refuses unknown ones', () => {
    expect(familyId({})).toBe('stack');
    expect(familyOf({}).id).toBe('stack');
    expect(() => familyOf({ family: 'lstm' })).toThrow(/Unknown model family "lstm"/);
  });
});

describe('the stack walk', () => {
  it('is the one source of shapes: the summary and the PyTorch mapping agree with it for every preset', () => {
    for (const name of PRESET_NAMES) {
      for (const input of [[2], [28, 28, 1]]) {
        const spec = presetModel(name, input);
        const layers = withHead(spec, 10);
        const { steps, error } = walk(layers, input);
        const summary = summarizeModel(spec, input, 10);
        if (error) {
          expect(summary.error).toContain(`Layer ${error.index + 1}`);
          expect(() => torchModuleNames(layers, input)).toThrow(/cannot be mapped to PyTorch/);
          continue;
        }
        expect(summary.layers.map((l) => l.outputShape)).toEqual(steps.map((s) => s.outShape));
        const torchParams = torchModuleNames(layers, input).params.reduce((n, t) => n + t.torchShape.reduce((a, b) => a * b, 1), 0);
        expect(torchParams).toBe(summary.totalParams);
      }
    }
  });

  it('stops at the first layer that does not fit, naming it', () => {
    const { steps, error } = walk([{ type: 'flatten' }, { type: 'conv2d', filters: 2, kernelSize: 3, activation: 'relu' }], [28, 28, 1]);
    expect(steps).toHaveLength(1);
    expect(error).toEqual({ index: 1, why: 'needs an image input [H, W, C] but gets [784]' });
  });
});
