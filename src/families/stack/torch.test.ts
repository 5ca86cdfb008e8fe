import { describe, expect, it } from 'vitest';
import { presetModel, withHead, type LayerSpec } from './spec';
import { BundleError } from '../../shared/errors';
import { stateDictToTensors } from '../../bundle/state-dict';
import { torchModuleNames } from './torch';

const ramp = (n: number) => Float32Array.from({ length: n }, (_, i) => i + 1);

describe('torchModuleNames', () => {
  it('lists the nn.Sequential of CNN small with PyTorch keys and shapes', () => {
    const layout = torchModuleNames(withHead(presetModel('CNN small', [28, 28, 1]), 10), [28, 28, 1]);
    expect(layout.modules.map((m) => `${m.kind}(${m.args})`)).toEqual([
      'Conv2d(1,8,3)', 'ReLU()', 'MaxPool2d(2)', 'Conv2d(8,16,3)', 'ReLU()', 'MaxPool2d(2)', 'Flatten()', 'Linear(400,64)', 'ReLU()', 'Linear(64,10)',
    ]);
    expect(layout.tensors.map((t) => [t.torchName, t.ourName, t.torchShape])).toEqual([
      ['0.weight', '0.kernel', [8, 1, 3, 3]], ['0.bias', '0.bias', [8]],
      ['3.weight', '2.kernel', [16, 8, 3, 3]], ['3.bias', '2.bias', [16]],
      ['7.weight', '5.kernel', [64, 400]], ['7.bias', '5.bias', [64]],
      ['9.weight', '6.kernel', [10, 64]], ['9.bias', '6.bias', [10]],
    ]);
    expect(layout.torchInputShape).toEqual([1, 28, 28]);
  });

  it('transposes dense and conv kernels and permutes rows after an image flatten, invertibly', () => {
    const layers: LayerSpec[] = [{ type: 'flatten' }, { type: 'batchnorm' }, { type: 'dense', units: 3, activation: 'linear' }];
    const layout = torchModuleNames(layers, [2, 2, 2]); // features h, w, c in tfjs; c, h, w in torch
    const dense = layout.tensors.find((t) => t.torchName === '2.weight')!;
    const k = ramp(8 * 3); // k[j][o] = 3j + o + 1
    const w = dense.toTorch(k);
    // our feature j = (h*2 + w)*2 + c sits at torch column (c*2 + h)*2 + w
    expect(w[0 * 8 + 4]).toBe(k[1 * 3 + 0]); // j=1 (h0 w0 c1) -> column 4
    expect(w[2 * 8 + 1]).toBe(k[2 * 3 + 2]); // j=2 (h0 w1 c0) -> column 1
    expect(dense.fromTorch(w)).toEqual(k);
    const gamma = layout.tensors.find((t) => t.torchName === '1.weight')!;
    expect(Array.from(gamma.toTorch(ramp(8)))).toEqual([1, 3, 5, 7, 2, 4, 6, 8]);
    const conv = torchModuleNames([{ type: 'conv2d', filters: 3, kernelSize: 2, activation: 'relu' }], [4, 4, 2]).tensors[0];
    const ck = ramp(2 * 2 * 2 * 3);
    expect(conv.toTorch(ck)[((2 * 2 + 1) * 2 + 1) * 2 + 0]).toBe(ck[((1 * 2 + 0) * 2 + 1) * 3 + 2]); // [o2,c1,y1,x0] = [y1,x0,c1,o2]
    expect(conv.fromTorch(conv.toTorch(ck))).toEqual(ck);
  });

  it('maps batchnorm by rank and refuses layers that do not fit', () => {
    const layout = torchModuleNames([{ type: 'batchnorm' }, { type: 'dense', units: 2, activation: 'tanh' }], [5]);
    expect(layout.modules.map((m) => m.kind)).toEqual(['BatchNorm1d', 'Linear', 'Tanh']);
    expect(layout.tensors.map((t) => t.torchName)).toEqual(['0.weight', '0.bias', '0.running_mean', '0.running_var', '0.num_batches_tracked', '1.weight', '1.bias']);
    expect(() => torchModuleNames([{ type: 'dense', units: 2, activation: 'relu' }], [4, 4, 1])).toThrow(BundleError);
  });
});

describe('stateDictToTensors', () => {
  const layers = withHead({ name: 'Custom', layers: [{ type: 'dense', units: 16, activation: 'relu' }] }, 3);
  const f32 = (shape: number[]) => ({ dtype: 'float32' as const, shape, data: ramp(shape.reduce((a, b) => a * b, 1)) });
  const good = () => new Map([['0.weight', f32([16, 2])], ['0.bias', f32([16])], ['2.weight', f32([3, 16])], ['2.bias', f32([3])]]);

  it('converts to our names and layouts, float64 to float32', () => {
    const sd = good();
    sd.set('2.bias', { dtype: 'float64', shape: [3], data: Float64Array.of(0.1, 0.2, 0.3) } as never);
    const out = stateDictToTensors(sd, torchModuleNames(layers, [2]));
    expect(out.map((t) => [t.name, t.shape])).toEqual([['0.kernel', [2, 16]], ['0.bias', [16]], ['1.kernel', [16, 3]], ['1.bias', [3]]]); // ours: layer 1 is the head
    expect(out[0].data[1]).toBe(3); // kernel[0][1] = weight[1][0]
    expect(out[3].data).toEqual(Float32Array.of(0.1, 0.2, 0.3));
  });

  it('refuses like load_state_dict(strict=True)', () => {
    const sd = good();
    sd.delete('0.bias');
    sd.set('fc.weight', f32([1]));
    sd.set('0.weight', f32([16, 3]));
    let err: unknown;
    try {
      stateDictToTensors(sd, torchModuleNames(layers, [2]));
    } catch (e) {
      err = e;
    }
    expect((err as Error).name).toBe('BundleError');
    const msg = (err as Error).message;
    expect(msg).toContain('Missing key(s) in state_dict: "0.bias".');
    expect(msg).toContain('Unexpected key(s) in state_dict: "fc.weight".');
    expect(msg).toContain('size mismatch for 0.weight: copying a param with shape torch.Size([16, 3]) from checkpoint, the shape in current model is torch.Size([16, 2]).');
  });

  it('refuses non-finite values and integer weights', () => {
    const sd = good();
    sd.get('2.bias')!.data[1] = NaN;
    expect(() => stateDictToTensors(sd, torchModuleNames(layers, [2]))).toThrow(/2\.bias holds NaN at index 1/);
    const ints = good();
    ints.set('0.bias', { dtype: 'int64', shape: [16], data: new BigInt64Array(16) } as never);
    expect(() => stateDictToTensors(ints, torchModuleNames(layers, [2]))).toThrow(/0\.bias has dtype int64/);
  });
});
