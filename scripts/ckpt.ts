/**
 * Checkpoint inspector and converter.
 *
 *   npx tsx scripts/ckpt.ts info <file> [--json]    format, epoch/step/best and every tensor's dtype, shape and sum
 *   npx tsx scripts/ckpt.ts convert <in> <out>      .pt <-> .safetensors (tensors flattened to dotted names)
 *
 * Hostile or corrupt files are refused with the decoder's message and exit code 1; nothing is executed.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { flattenTensors, stateDictFromTensors } from '../src/bundle/flatten';
import { decodePt, encodePt, refuse } from '../src/bundle/pt';
import { PyDict, PyFloat, type PyValue } from '../src/bundle/py-value';
import { decodeSafetensors, encodeSafetensors } from '../src/bundle/safetensors';
import { detectFormat } from '../src/bundle/sniff';
import type { TensorData, TensorRecord } from '../src/bundle/tensor';

const USAGE = 'usage: ckpt info <file> [--json] | ckpt convert <in.pt|in.safetensors> <out.safetensors|out.pt>';

interface Loaded {
  format: string;
  epoch?: number;
  step?: number;
  best?: number;
  tensors: TensorRecord[];
}

const asNumber = (v: PyValue | string | undefined): number | undefined => {
  if (v instanceof PyFloat) return v.value;
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'string' && v.trim() !== '' && !Number.isNaN(Number(v))) return Number(v);
  return undefined;
};

/** First of `keys` present in `get`, as a number. */
const firstNumber = (get: (k: string) => PyValue | string | undefined, keys: string[]) =>
  keys.map((k) => asNumber(get(k))).find((v) => v !== undefined);

function load(path: string): Loaded {
  const bytes = new Uint8Array(readFileSync(path));
  const fileName = basename(path);
  let get: (k: string) => PyValue | string | undefined;
  let format: string;
  let tensors: TensorRecord[];
  if (detectFormat(bytes) === 'safetensors') {
    const file = refuse(fileName, () => decodeSafetensors(bytes));
    get = (k) => file.metadata[k];
    format = 'safetensors';
    tensors = file.tensors;
  } else {
    const { root } = decodePt(bytes, { fileName });
    get = (k) => (root instanceof PyDict ? root.get(k) : undefined);
    const name = get('format');
    const version = get('format_version') ?? get('version');
    format = typeof name === 'string' ? `${name}${version === undefined ? '' : ` v${String(version)}`}` : 'PyTorch state_dict';
    tensors = flattenTensors(root);
  }
  return {
    format,
    epoch: firstNumber(get, ['epoch']),
    step: firstNumber(get, ['step', 'global_step']),
    best: firstNumber(get, ['best', 'best_val_loss', 'best_metric', 'best_val_acc']),
    tensors,
  };
}

/** float64 sum; exact for int64 while it stays within 2^53, else the exact decimal string. */
function sumOf(data: TensorData): number | string {
  if (data instanceof BigInt64Array) {
    const total = data.reduce((a, b) => a + b, 0n);
    return Number.isSafeInteger(Number(total)) ? Number(total) : total.toString();
  }
  let total = 0;
  for (let i = 0; i < data.length; i++) total += data[i];
  return total;
}

function info(path: string, json: boolean): void {
  const { tensors, ...summary } = load(path);
  const table = Object.fromEntries(tensors.map((t) => [t.name, { dtype: t.dtype, shape: t.shape, sum: sumOf(t.data) }]));
  if (json) {
    console.log(JSON.stringify({ ...summary, tensors: table }, null, 2));
    return;
  }
  console.log(`format: ${summary.format}`);
  for (const key of ['epoch', 'step', 'best'] as const) if (summary[key] !== undefined) console.log(`${key}: ${summary[key]}`);
  console.log(`tensors: ${tensors.length}`);
  for (const [name, t] of Object.entries(table)) {
    console.log(`  ${name || '(root)'}  ${t.dtype}  [${t.shape.join(', ')}]  sum=${t.sum}`);
  }
}

function convert(input: string, output: string): void {
  const { tensors } = load(input);
  let bytes: Uint8Array;
  if (output.endsWith('.safetensors')) bytes = encodeSafetensors(tensors, { format: 'pt' });
  else if (output.endsWith('.pt')) bytes = encodePt(stateDictFromTensors(tensors), { prefix: basename(output, '.pt').replace(/[^A-Za-z0-9_.-]/g, '_') || 'archive' });
  else throw new Error(`output must end in .pt or .safetensors\n${USAGE}`);
  writeFileSync(output, bytes);
  console.log(`wrote ${tensors.length} tensors to ${output}`);
}

function main(args: string[]): number {
  const [command, ...rest] = args;
  const json = rest.includes('--json');
  const files = rest.filter((a) => a !== '--json');
  try {
    if (command === 'info' && files.length === 1) info(files[0], json);
    else if (command === 'convert' && files.length === 2) convert(files[0], files[1]);
    else {
      console.error(USAGE);
      return 2;
    }
    return 0;
  } catch (err) {
    if (!(err instanceof Error) || (err.name !== 'BundleError' && !/^output must end/.test(err.message))) throw err;
    console.error(err.message);
    return 1;
  }
}

process.exitCode = main(process.argv.slice(2));
