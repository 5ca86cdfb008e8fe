import { describe, expect, it } from 'vitest';
import { readFixture, refusal, sumOf } from '../../test/fixtures/torch/load';
import { decodePt } from './pt';
import { PyDict, PyTensor, TorchRef, getPath, isTuple } from './py-value';

/** [dotted name, dtype, shape, sum (6 significant digits; int64 exact), first, last] from the fixture README. */
type Row = [string, string, number[], number | bigint, number | bigint, number | bigint];

const MLP: Row[] = [
  ['0.weight', 'float32', [8, 4], -0.778832, -0.003743410110473633, 0.43200039863586426],
  ['0.bias', 'float32', [8], -0.768483, -0.32408982515335083, 0.24233627319335938],
  ['2.weight', 'float32', [3, 8], -0.251697, 0.01859392412006855, 0.10681098699569702],
  ['2.bias', 'float32', [3], 0.162966, 0.19409091770648956, 0.013499214313924313],
];

const TRAINING: Row[] = [
  ['model_state_dict.0.weight', 'float32', [5, 3], 0.120843, 0.13493703305721283, 0.04103073477745056],
  ['model_state_dict.0.bias', 'float32', [5], 0.468947, 0.23691508173942566, 0.5527490973472595],
  ['model_state_dict.2.weight', 'float32', [2, 5], -0.839049, -0.43553626537323, -0.2147762030363083],
  ['model_state_dict.2.bias', 'float32', [2], -0.691485, -0.40375110507011414, -0.2877339720726013],
  ['optimizer_state_dict.state.0.step', 'float32', [], 3, 3, 3],
  ['optimizer_state_dict.state.0.exp_avg', 'float32', [5, 3], -0.158233, -0.004378463141620159, -0.0036480312701314688],
  ['optimizer_state_dict.state.0.exp_avg_sq', 'float32', [5, 3], 0.000245797, 7.849134249227063e-7, 5.428152007880271e-7],
  ['optimizer_state_dict.state.1.step', 'float32', [], 3, 3, 3],
  ['optimizer_state_dict.state.1.exp_avg', 'float32', [5], 0.0842343, 0.060823824256658554, 0.023234786465764046],
  ['optimizer_state_dict.state.1.exp_avg_sq', 'float32', [5], 0.000238802, 0.0001511048903921619, 2.207737270509824e-5],
  ['optimizer_state_dict.state.2.step', 'float32', [], 3, 3, 3],
  ['optimizer_state_dict.state.2.exp_avg', 'float32', [2, 5], -0.143732, -0.06170688942074776, -0.0058094291016459465],
  ['optimizer_state_dict.state.2.exp_avg_sq', 'float32', [2, 5], 0.000292904, 0.0001556139613967389, 1.3924872064308147e-6],
  ['optimizer_state_dict.state.3.step', 'float32', [], 3, 3, 3],
  ['optimizer_state_dict.state.3.exp_avg', 'float32', [2], -0.266281, -0.18206897377967834, -0.08421249687671661],
  ['optimizer_state_dict.state.3.exp_avg_sq', 'float32', [2], 0.0016431, 0.001353536150418222, 0.0002895684156101197],
  ['rng_state', 'uint8', [5056], 318543, 210, 0],
];

const FIXTURES: Record<string, Row[]> = {
  'mlp_state_dict.pt': MLP,
  'mlp_state_dict_torch2.pt': MLP,
  'cnn_bn_state_dict.pt': [
    ['0.weight', 'float32', [4, 3, 3, 3], 0.452049, 0.09916245192289352, 0.010049121454358101],
    ['0.bias', 'float32', [4], 0.377447, 0.13191646337509155, 0.14375224709510803],
    ['1.weight', 'float32', [4], 4, 1, 1],
    ['1.bias', 'float32', [4], 0, 0, 0],
    ['1.running_mean', 'float32', [4], 0.104612, 0.03427141159772873, 0.04529163986444473],
    ['1.running_var', 'float32', [4], 3.13851, 0.7672763466835022, 0.7861456274986267],
    ['1.num_batches_tracked', 'int64', [], 3n, 3n, 3n],
  ],
  'training_checkpoint.pt': TRAINING,
  'training_checkpoint_torch2.pt': TRAINING.map((r): Row => {
    if (r[0] === 'optimizer_state_dict.state.2.exp_avg') return [r[0], r[1], r[2], r[3], -0.061706893146038055, r[5]];
    if (r[0] === 'optimizer_state_dict.state.3.exp_avg') return [r[0], r[1], r[2], r[3], r[4], -0.08421250432729721];
    return r;
  }),
  'dtypes_and_views.pt': [
    ['f32', 'float32', [3], 2.25, 1.5, 3],
    ['f64', 'float64', [2], 0.3, 0.1, 0.2],
    ['f16', 'float16', [3], -65502.5, 1, -65504],
    ['bf16', 'bfloat16', [3], 3.640625, 1, 3.140625],
    ['i64', 'int64', [3], 1099511627778n, -1n, 3n],
    ['i32', 'int32', [2], 0, -7, 7],
    ['i16', 'int16', [2], 0, -300, 300],
    ['i8', 'int8', [2], -1, -128, 127],
    ['u8', 'uint8', [3], 455, 0, 255],
    ['bool', 'bool', [3], 2, 1, 1],
    ['scalar_f32', 'float32', [], 2.5, 2.5, 2.5],
    ['scalar_i64', 'int64', [], 42n, 42n, 42n],
    ['empty_f32', 'float32', [0, 3], 0, NaN, NaN],
    ['base', 'float32', [3, 4], 66, 0, 11],
    ['row1', 'float32', [4], 22, 4, 7],
    ['transposed', 'float32', [4, 3], 66, 0, 11],
    ['col2', 'float32', [3], 18, 2, 10],
    ['nested_list.0', 'int64', [2], 2n, 1n, 1n],
    ['nested_list.1', 'float32', [1], 7, 7, 7],
  ],
  'single_tensor.pt': [['', 'float32', [5], 2.5, 0, 1]],
  'buffer_saved.pt': [['w', 'float32', [2, 2], 10, 1, 4]],
  'handwritten_checkpoint.pt': [
    ['model_state_dict.fc.weight', 'float32', [2, 3], 0.375, 0.5, 0.125],
    ['model_state_dict.fc.bias', 'float32', [2], -0.25, 0.25, -0.5],
    ['model_state_dict.bn.num_batches_tracked', 'int64', [], 42n, 42n, 42n],
    ['steps', 'int64', [3], 1099511627782n, -1n, 7n],
  ],
  'torch2_extras.pt': [
    ['u16', 'uint16', [3], 65836, 1, 300],
    ['param', 'float32', [2], -0.5, 0.25, -0.75],
  ],
};

const sig6 = (v: number | bigint) => (typeof v === 'bigint' ? v : Number(v.toPrecision(6)));

describe('decodePt on torch-written fixtures', () => {
  for (const [file, rows] of Object.entries(FIXTURES)) {
    it(`${file}: names, dtypes, shapes, sums, first and last elements`, () => {
      const { tensors } = decodePt(readFixture(file), { fileName: file });
      expect(tensors.map((t) => t.name)).toEqual(rows.map((r) => r[0]));
      rows.forEach(([name, dtype, shape, sum, first, last], i) => {
        const t = tensors[i];
        expect({ name: t.name, dtype: t.dtype, shape: t.shape }).toEqual({ name, dtype, shape });
        expect(sig6(sumOf(t.data))).toEqual(sig6(sum));
        if (t.data.length) expect([t.data[0], t.data[t.data.length - 1]]).toEqual([first, last]);
      });
    });
  }

  it('keeps the zip folder from the archive, not the file name', () => {
    expect(decodePt(readFixture('mlp_state_dict_torch2.pt')).prefix).toBe('mlp_state_dict');
    expect(decodePt(readFixture('buffer_saved.pt')).prefix).toBe('archive');
    expect(decodePt(readFixture('mlp_state_dict.pt')).entries).toEqual(['data.pkl', 'data/0', 'data/1', 'data/2', 'data/3', 'version']);
  });

  it('training_checkpoint.pt: non-tensor values, int keys, OrderedDict and tuples', () => {
    const { root } = decodePt(readFixture('training_checkpoint.pt'));
    expect(root).toBeInstanceOf(PyDict);
    const dict = root as PyDict;
    expect([...dict.keys()]).toEqual(['model_state_dict', 'optimizer_state_dict', 'scheduler_state_dict', 'global_step', 'epoch', 'best_val_loss', 'config', 'train_history', 'rng_state']);
    expect((dict.get('model_state_dict') as PyDict).ordered).toBe(true);
    expect(dict.ordered).toBe(false);
    const group = getPath(root, 'optimizer_state_dict', 'param_groups', 0) as PyDict;
    expect(group.get('lr')).toBe(0.0005);
    expect(isTuple(group.get('betas'))).toBe(true);
    expect(group.get('betas')).toEqual([0.9, 0.999]);
    expect(group.get('eps')).toBe(1e-8);
    expect(group.get('foreach')).toBeNull();
    expect(group.get('params')).toEqual([0, 1, 2, 3]);
    expect([...(getPath(root, 'optimizer_state_dict', 'state') as PyDict).keys()]).toEqual([0, 1, 2, 3]);
    expect(getPath(root, 'optimizer_state_dict', 'state', 0, 'step')).toBeInstanceOf(PyTensor);
    expect(getPath(root, 'scheduler_state_dict', '_last_lr')).toEqual([0.0005]);
    expect(dict.get('global_step')).toBe(2000);
    expect(dict.get('best_val_loss')).toBe(0.39);
    expect(getPath(root, 'config', 'nested', 'big')).toBe(1099511627776);
    expect(getPath(root, 'config', 'nested', 'neg')).toBe(-7);
    expect(getPath(root, 'config', 'nested', 'beta')).toBe(-1.5);
    expect(getPath(root, 'config', 'nested', 'tags')).toEqual(['a', 'b']);
    expect(getPath(root, 'config', 'use_bias')).toBe(true);
    expect(dict.get('train_history')).toEqual([1.25, 0.875, 0.5, 0.4375]);
  });

  it('torch2_extras.pt: device, dtype value and torch.Size', () => {
    const { root } = decodePt(readFixture('torch2_extras.pt'));
    expect(getPath(root, 'device')).toEqual(new TorchRef('device', 'cpu'));
    expect(getPath(root, 'dtype')).toEqual(new TorchRef('dtype', 'float32'));
    expect(getPath(root, 'size')).toEqual([2, 3]);
  });

  it('module state dicts keep their _metadata', () => {
    const { root } = decodePt(readFixture('mlp_state_dict.pt'));
    expect((root as PyDict).metadata).toBeInstanceOf(PyDict);
  });
});

/** [file, substring of the reason, entry or undefined] */
const REFUSALS: Array<[string, string, string?]> = [
  ['legacy_format.pt', 'legacy torch.save format'],
  ['malicious_os_system.pt', "Python global 'os.system', which a checkpoint never needs", 'os.system'],
  ['reject_builtins_eval.pt', "Python global 'builtins.eval', which a checkpoint never needs", 'builtins.eval'],
  ['reject_numpy_scalar.pt', "global 'numpy.core.multiarray.scalar'", 'numpy.core.multiarray.scalar'],
  ['reject_missing_storage.pt', 'storage record data/0 is missing', 'reject_missing_storage/data/0'],
  ['reject_storage_too_small.pt', 'storage size mismatch', 'reject_storage_too_small/data/0'],
  ['reject_view_out_of_bounds.pt', 'view is out of bounds', 'data/0'],
  ['reject_big_endian.pt', 'big-endian', 'reject_big_endian/byteorder'],
  ['reject_truncated.pt', 'truncated or corrupt'],
  ['reject_absurd_entry_size.pt', 'zip bomb', 'reject_absurd_entry_size/data/0'],
  ['reject_deflate_bomb.pt', 'is compressed', 'reject_deflate_bomb/data.pkl'],
  ['reject_torchscript.pt', 'TorchScript'],
  ['reject_pickle_protocol4.pt', 'pickle protocol 4'],
];

describe('decodePt refuses hostile and unsupported fixtures', () => {
  for (const [file, reason, entry] of REFUSALS) {
    it(`${file}: ${reason}`, () => {
      const err = refusal(() => decodePt(readFixture(file), { fileName: file })) as Error & { entry?: string };
      expect(err.name).toBe('BundleError');
      expect(err.message).toContain(`Refused ${file}: `);
      expect(err.message).toContain(reason);
      expect(err.message).toMatch(/[Nn]othing was loaded\.$/);
      if (entry) expect(err.entry).toBe(entry);
    });
  }

  it('refuses safetensors and unknown bytes with a pointer to the right reader', () => {
    expect(refusal(() => decodePt(readFixture('mlp_state_dict.safetensors'))).message).toContain('safetensors file');
    expect(refusal(() => decodePt(new Uint8Array([1, 2, 3]))).message).toContain('not a PyTorch checkpoint');
  });
});
