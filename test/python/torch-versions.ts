/**
 * The PyTorch versions the tests check our files against: Debian bookworm's torch 1.13 on the host
 * (/usr/bin/python3), and torch 2.x in the Debian trixie root that `.ci/torch2-root.sh` makes
 * (TORCH2_ROOT, default /var/cache/tab-trainer/trixie). TORCH2=skip leaves 2.x out and says so;
 * under CI a missing root without TORCH2=skip is an error, never a silent pass.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';

export interface TorchPython {
  label: string;
  /** 1 for the host's torch 1.13, 2 for the trixie root's torch 2.x. */
  major: 1 | 2;
  /** Runs `python3 <script> ...args` with `dir` as the working directory; returns stdout. */
  run(dir: string, script: string, args?: string[]): string;
}

/**
 * torch.__version__ as the installed package states it (torch/version.py under `root`), read without
 * starting Python, so test names can say which torch ran; 'unknown version' when it cannot be read.
 */
function installedVersion(root: string): string {
  try {
    const text = readFileSync(join(root, 'usr/lib/python3/dist-packages/torch/version.py'), 'utf8');
    return /^__version__ = '([^']+)'/m.exec(text)?.[1] ?? 'unknown version';
  } catch {
    return 'unknown version';
  }
}

const HOST: TorchPython = {
  label: `torch ${installedVersion('/')} (host)`,
  major: 1,
  run: (dir, script, args = []) => execFileSync('/usr/bin/python3', [script, ...args], { cwd: dir, encoding: 'utf8', maxBuffer: 256 << 20 }),
};

function chrooted(root: string): TorchPython {
  return {
    label: `torch ${installedVersion(root)} (trixie root)`,
    major: 2,
    run(dir, script, args = []) {
      // The root sees only its own tree: the files go to a scratch folder inside it, and back.
      const inside = mkdtempSync(join(root, 'tmp', 'tab-trainer-'));
      try {
        cpSync(dir, inside, { recursive: true });
        const cwd = `/tmp/${basename(inside)}`;
        // stderr is kept for a failure's message: without /proc in the root, every torch import
        // prints a harmless "Error in cpuinfo" there.
        const out = execFileSync('chroot', [root, 'sh', '-c', 'cd "$0" && exec python3 "$@"', cwd, script, ...args], {
          encoding: 'utf8',
          maxBuffer: 256 << 20,
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        cpSync(inside, dir, { recursive: true });
        // Without /proc in the root, torch's UCX prints a harmless boot-id line on stdout.
        return out.split('\n').filter((l) => !l.includes('UCX')).join('\n');
      } finally {
        rmSync(inside, { recursive: true, force: true });
      }
    },
  };
}

/** Every torch to check against; throws under CI when torch 2.x should be there and is not. */
export function torchPythons(): TorchPython[] {
  if (process.env.TORCH2 === 'skip') {
    console.warn('torch 2.x checks skipped: TORCH2=skip');
    return [HOST];
  }
  const root = process.env.TORCH2_ROOT ?? '/var/cache/tab-trainer/trixie';
  if (!existsSync(join(root, 'usr/bin/python3'))) {
    const why = `torch 2.x root ${root} is missing: make it with .ci/torch2-root.sh, or set TORCH2=skip`;
    if (process.env.CI) throw new Error(why);
    console.warn(`torch 2.x checks skipped: ${why}`);
    return [HOST];
  }
  return [HOST, chrooted(root)];
}

/**
 * Runs one of the repo's Python scripts (e.g. test/python/check_pt.py) with `torch`: the script is
 * copied into `dir`, which must hold every file named in `args` (paths relative to `dir`).
 * Returns stdout; throws with Python's stdout and stderr when it exits non-zero.
 */
export function runScript(torch: TorchPython, dir: string, script: string, args: string[] = []): string {
  copyFileSync(script, join(dir, basename(script)));
  try {
    return torch.run(dir, basename(script), args);
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string };
    throw new Error(`${basename(script)} ${args.join(' ')} failed on ${torch.label}: ${err.stdout ?? ''}${err.stderr ?? ''}`, { cause: e });
  }
}
