/**
 * PyTorch as the oracle: files written by encodePt are loaded by the real torch through
 * test/python/check_pt.py and must contain exactly what we wrote: Debian bookworm's torch 1.13 on the
 * host, and torch 2.x (Debian trixie's 2.6, in the root .ci/torch2-root.sh makes) with
 * torch.load(f, weights_only=True), as users load files.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runScript, torchPythons } from '../../test/python/torch-versions';
import { encodePt } from './pt';
import { PyDict, PyFloat, PyTensor, isTuple, tuple, type PyValue } from './py-value';

const PYTHON = '/usr/bin/python3';
const dir = mkdtempSync(join(tmpdir(), 'bundle-oracle-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function requireTorch(): void {
  const probe = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' });
  if (probe.status !== 0) {
    throw new Error(`${PYTHON} cannot import torch, so the PyTorch oracle cannot run. Install it with \`apt-get install python3-torch\`. (${probe.error?.message ?? probe.stderr.trim()})`);
  }
}

type Tagged = unknown[];

/** The same tagged tree check_pt.py prints, built from our values (floats compared as numbers). */
function tag(v: PyValue, name: string, tensors: Record<string, PyTensor>): Tagged {
  const join = (k: unknown) => (name ? `${name}.${String(k)}` : String(k));
  if (v instanceof PyTensor) {
    tensors[name] = v;
    return ['tensor', name];
  }
  if (v === null) return ['none'];
  if (typeof v === 'boolean') return ['bool', v];
  if (typeof v === 'bigint') return ['int', v.toString()];
  if (typeof v === 'number') return Number.isSafeInteger(v) && !Object.is(v, -0) ? ['int', String(v)] : ['float', v];
  if (v instanceof PyFloat) return ['float', v.value];
  if (typeof v === 'string') return ['str', v];
  if (Array.isArray(v)) return [isTuple(v) ? 'tuple' : 'list', v.map((x, i) => tag(x, join(i), tensors))];
  if (v instanceof PyDict) return [v.ordered ? 'OrderedDict' : 'dict', [...v].map(([k, x]) => [tag(k, '', {}), tag(x, join(k), tensors)])];
  throw new Error(`untaggable ${String(v)}`);
}

/** Python prints floats with repr(); turn them into numbers so 1e-08 equals 1e-8. */
function parseFloats(t: unknown): unknown {
  if (!Array.isArray(t)) return t;
  const special: Record<string, number> = { inf: Infinity, '-inf': -Infinity, nan: NaN };
  if (t[0] === 'float' && typeof t[1] === 'string') return ['float', special[t[1]] ?? Number(t[1])];
  return t.map(parseFloats);
}

const t = (dtype: PyTensor['dtype'], shape: number[], data: PyTensor['data']) => new PyTensor(dtype, shape, data);

const CASES: Record<string, PyValue> = {
  'state_dict.pt': new PyDict([
    ['0.weight', t('float32', [2, 3], new Float32Array([0.5, -1, 2.25, 3, -4.5, 0.125]))],
    ['0.bias', t('float32', [2], new Float32Array([0.25, -0.5]))],
    ['1.running_var', t('float64', [2], new Float64Array([0.1, 1e300]))],
    ['1.num_batches_tracked', t('int64', [], new BigInt64Array([-(2n ** 62n)]))],
  ], true),
  'dtypes.pt': new PyDict([
    ['f16', t('float16', [2, 2], new Float32Array([1, 0.5, -65504, 2 ** -24]))],
    ['bf16', t('bfloat16', [3], new Float32Array([1, -0.5, 3.140625]))],
    ['i32', t('int32', [2], new Int32Array([-7, 2 ** 31 - 1]))],
    ['i16', t('int16', [2], new Int16Array([-300, 300]))],
    ['i8', t('int8', [2], new Int8Array([-128, 127]))],
    ['u8', t('uint8', [3], new Uint8Array([0, 200, 255]))],
    ['bool', t('bool', [3], new Uint8Array([1, 0, 1]))],
    ['scalar', t('float32', [], new Float32Array([2.5]))],
    ['empty', t('float32', [0, 3], new Float32Array(0))],
    ['nested', [t('int64', [2], new BigInt64Array([1n, 1n])), new PyDict([['deep', [tuple(1, 'x')]]])]],
    ['ints', [0, 255, 256, 65535, 65536, -1, -(2 ** 31), 2 ** 31, 2 ** 53 - 1, 2n ** 64n, -(2n ** 100n)]],
    ['text', 'héllo ✓ 𝔘 日本'],
    [7, 'int key'],
    ['none', null],
  ]),
  'training_checkpoint.pt': new PyDict([
    ['model_state_dict', new PyDict([['fc.weight', t('float32', [1, 2], new Float32Array([1, 2]))]], true)],
    ['optimizer_state_dict', new PyDict([
      ['state', new PyDict([[0, new PyDict([
        ['step', t('float32', [], new Float32Array([3]))],
        ['exp_avg', t('float32', [1, 2], new Float32Array([0.1, -0.2]))],
        ['exp_avg_sq', t('float32', [1, 2], new Float32Array([0.01, 0.04]))],
      ])]])],
      ['param_groups', [new PyDict([['lr', 0.001], ['betas', tuple(0.9, 0.999)], ['eps', 1e-8], ['weight_decay', 0],
        ['amsgrad', false], ['foreach', null], ['params', [0]], ['initial_lr', new PyFloat(1)]])]],
    ])],
    ['epoch', 3], ['global_step', 2000], ['best_val_loss', 0.39], ['neg', -7], ['neg_zero', -0], ['inf', Infinity],
    ['train_history', [1.25, 0.875, 0.5]],
  ]),
};

describe('torch.load reads what encodePt writes', () => {
  for (const torch of torchPythons()) {
    it(`every case loads in ${torch.label} with exactly our values, using allow-listed globals only`, () => {
      requireTorch();
      const here = join(dir, `torch${torch.major}`);
      mkdirSync(here, { recursive: true });
      for (const file of Object.keys(CASES)) writeFileSync(join(here, file), encodePt(CASES[file], { prefix: file.replace('.pt', '') }));
      const out = runScript(torch, here, 'test/python/check_pt.py', Object.keys(CASES));
      const { torch: version, files: report } = JSON.parse(out) as {
        torch: string;
        files: Record<string, { error?: string; value: unknown; weights_only: string; tensors: Record<string, { dtype: string; shape: number[]; values: Array<number | string> }> }>;
      };
      expect(version.startsWith(torch.major === 1 ? '1.13' : '2.')).toBe(true);
      for (const [file, value] of Object.entries(CASES)) {
        const got = report[file];
        expect(got.error, file).toBeUndefined();
        const tensors: Record<string, PyTensor> = {};
        expect(parseFloats(got.value), file).toEqual(tag(value, '', tensors));
        for (const [name, ours] of Object.entries(tensors)) {
          const theirs = got.tensors[name];
          expect({ dtype: theirs.dtype, shape: theirs.shape }, `${file} ${name}`).toEqual({ dtype: ours.dtype, shape: ours.shape });
          const expected = Array.from(ours.data as ArrayLike<number | bigint>, (x) => (typeof x === 'bigint' ? x.toString() : x));
          expect(theirs.values, `${file} ${name}`).toEqual(expected);
        }
      }
      expect(report['state_dict.pt'].weights_only).toBe('ok');
      expect(report['dtypes.pt'].weights_only).toBe('ok');
      // torch 1.13's weights_only reader lacks BINFLOAT (pt-format.md §5); torch 2.x loaded every case with it.
      expect(report['training_checkpoint.pt'].weights_only).toBe(torch.major === 1 ? 'skipped (floats)' : 'ok');
    });
  }
});
