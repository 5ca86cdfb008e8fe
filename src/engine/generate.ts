/**
 * Sampling text from a language model, one character at a time, as nanoGPT's `generate`: the last
 * `blockSize` tokens in, the last position's logits divided by the temperature, all but the top k
 * dropped, one token drawn. Draws come from an Rng of the request's seed (never the run's), and each
 * character is read back asynchronously, so a run training in this worker goes on in between.
 */
import * as tf from '@tensorflow/tfjs';
import type { GenerateRequest } from '../shared/engine-api';
import { DatasetError } from '../shared/errors';
import { Rng } from '../shared/rng';
import type { Net } from '../families/worker-contract';

/** Token ids of `prompt` in `vocab`; an empty prompt starts from a newline (or the first token). */
export function encodePrompt(prompt: string, vocab: readonly string[]): number[] {
  const index = new Map(vocab.map((c, i) => [c, i]));
  const chars = Array.from(prompt.length > 0 ? prompt : index.has('\n') ? '\n' : vocab[0]);
  const unknown = [...new Set(chars.filter((c) => !index.has(c)))];
  if (unknown.length) {
    throw new DatasetError(`The prompt has ${unknown.length === 1 ? 'a character' : 'characters'} the model never saw: ${unknown.slice(0, 5).map((c) => JSON.stringify(c)).join(', ')}. Use only characters of the training text.`);
  }
  return chars.map((c) => index.get(c)!);
}

/** Index drawn from `logits` at `temperature` among the `topK` largest (0 = all), with one rng.next(). */
export function sampleLogits(logits: ArrayLike<number>, temperature: number, topK: number, rng: Rng): number {
  const scaled = Array.from(logits, (l) => l / Math.max(temperature, 1e-6));
  const k = topK > 0 ? Math.min(topK, scaled.length) : scaled.length;
  const floor = [...scaled].sort((a, b) => b - a)[k - 1];
  const max = Math.max(...scaled);
  const weights = scaled.map((l) => (l >= floor ? Math.exp(l - max) : 0));
  const total = weights.reduce((a, b) => a + b, 0);
  let u = rng.next() * total;
  for (let i = 0; i < weights.length; i++) {
    u -= weights[i];
    if (u < 0 && weights[i] > 0) return i;
  }
  for (let i = weights.length - 1; i >= 0; i--) if (weights[i] > 0) return i; // round-off left u ≥ 0
  return 0;
}

/** Checks a request's numbers; throws DatasetError naming the field. */
export function checkRequest(r: GenerateRequest): void {
  if (!(Number.isInteger(r.chars) && r.chars >= 1 && r.chars <= 10_000)) throw new DatasetError(`Characters must be a whole number from 1 to 10,000, got ${r.chars}.`);
  if (!(r.temperature > 0 && r.temperature <= 10)) throw new DatasetError(`Temperature must be above 0 and at most 10, got ${r.temperature}.`);
  if (!(Number.isInteger(r.topK) && r.topK >= 0)) throw new DatasetError(`Top-k must be a whole number (0 = all tokens), got ${r.topK}.`);
  if (!Number.isFinite(r.seed)) throw new DatasetError(`Seed must be a number, got ${r.seed}.`);
}

/**
 * Generates `req.chars` characters after the prompt, calling `onText` with each one as it is drawn.
 * @returns the generated characters (without the prompt)
 */
export async function generateText(net: Net, vocab: readonly string[], blockSize: number, req: GenerateRequest, onText: (s: string) => void): Promise<string> {
  checkRequest(req);
  const ids = encodePrompt(req.prompt, vocab);
  const rng = new Rng(req.seed);
  let out = '';
  for (let n = 0; n < req.chars; n++) {
    const ctx = ids.slice(-blockSize);
    const last = tf.tidy(() => {
      const logits = net.forward(tf.tensor2d(Int32Array.from(ctx), [1, ctx.length], 'int32'), false);
      return tf.reshape(tf.slice(logits, [0, ctx.length - 1, 0], [1, 1, vocab.length]), [vocab.length]);
    });
    const values = (await last.data()) as Float32Array;
    last.dispose();
    const id = sampleLogits(values, req.temperature, req.topK, rng);
    ids.push(id);
    out += vocab[id];
    onText(vocab[id]);
  }
  return out;
}
