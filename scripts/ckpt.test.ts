import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FIXTURES_DIR } from '../test/fixtures/torch/load';

const dir = mkdtempSync(join(tmpdir(), 'ckpt-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ckpt = (...args: string[]) =>
  spawnSync('node_modules/.bin/tsx', ['scripts/ckpt.ts', ...args], { encoding: 'utf8' });
const fixture = (name: string) => join(FIXTURES_DIR, name);

describe('scripts/ckpt.ts', () => {
  it('info --json reports format, epoch, step, best and tensors', () => {
    const run = ckpt('info', fixture('training_checkpoint.pt'), '--json');
    expect(run.status, run.stderr).toBe(0);
    const out = JSON.parse(run.stdout);
    expect(out).toMatchObject({ format: 'PyTorch state_dict', epoch: 3, step: 2000, best: 0.39 });
    expect(Object.keys(out.tensors)).toHaveLength(17);
    expect(out.tensors['model_state_dict.0.weight']).toMatchObject({ dtype: 'float32', shape: [5, 3] });
    expect(out.tensors['rng_state'].sum).toBe(318543);
  });

  it('info prints a readable table, also for safetensors and a root tensor', () => {
    const st = ckpt('info', fixture('handwritten.safetensors'));
    expect(st.stdout).toContain('format: safetensors');
    expect(st.stdout).toContain('steps  int64  []  sum=1099511627776');
    expect(ckpt('info', fixture('single_tensor.pt')).stdout).toContain('(root)  float32  [5]  sum=2.5');
  });

  it('refuses hostile files with the decoder message and exit code 1', () => {
    for (const [file, reason] of [['malicious_os_system.pt', "global 'os.system'"], ['reject_torchscript.pt', 'TorchScript'], ['legacy_format.pt', 'legacy']]) {
      const run = ckpt('info', fixture(file));
      expect(run.status).toBe(1);
      expect(run.stderr).toContain(`Refused ${file}: `);
      expect(run.stderr).toContain(reason);
    }
  });

  it('converts .pt -> .safetensors (byte-identical to the safetensors package) -> .pt', () => {
    const st = join(dir, 'mlp.safetensors');
    expect(ckpt('convert', fixture('mlp_state_dict.pt'), st).status).toBe(0);
    expect(readFileSync(st)).toEqual(readFileSync(fixture('mlp_state_dict.safetensors')));
    const pt = join(dir, 'mlp.pt');
    expect(ckpt('convert', st, pt).status).toBe(0);
    const back = JSON.parse(ckpt('info', pt, '--json').stdout);
    const orig = JSON.parse(ckpt('info', fixture('mlp_state_dict.pt'), '--json').stdout);
    expect(back.tensors).toEqual(orig.tensors);
  });

  it('prints usage for bad arguments', () => {
    expect(ckpt('frobnicate').status).toBe(2);
  });
});
