/**
 * The GPT family in the worker: variables with nanoGPT's names and PyTorch's layouts (spec.ts), and
 * the forward pass on int32 token ids [batch, time] to logits [batch, time, vocab]. Only kernels
 * every backend has: the token embedding is a one-hot matmul (its gradient a matmul, where
 * tf.gather's would need UnsortedSegmentSum, which WASM lacks), exact GELU uses Erf.
 */
import * as tf from '@tensorflow/tfjs';
import type { ModelIO, ModelSpec } from '../../shared/config';
import { ModelSpecError } from '../../shared/errors';
import type { Rng } from '../../shared/rng';
import { toVariable } from '../../engine/variables';
import type { FamilyWorker, NamedVariable, Net } from '../worker-contract';
import { asGpt, gptSpecProblem, gptTensors, vocabOf, type GptSpec } from './spec';

const LN_EPSILON = 1e-5;
const INIT_STD = 0.02;
/** Added to the scores of future positions: exp() of it is exactly 0 in float32, like PyTorch's -inf. */
const MASKED = -1e9;

/** The variables of `spec`, initialised as nanoGPT's _init_weights from `rng`, in gptTensors order. */
export function buildGpt(model: ModelSpec, io: ModelIO, rng: Rng): Net {
  const problem = gptSpecProblem(model);
  if (problem) throw new ModelSpecError(`The GPT model is not usable: ${problem}. Fix it in the Model cell.`);
  const spec = asGpt(model);
  const projStd = INIT_STD / Math.sqrt(2 * spec.nLayer);
  const params: NamedVariable[] = gptTensors(spec, vocabOf(io)).map((t) => {
    const n = t.shape.reduce((a, b) => a * b, 1);
    const values = new Float32Array(n);
    if (t.init === 'ones') values.fill(1);
    else if (t.init === 'normal' || t.init === 'proj') {
      const std = t.init === 'proj' ? projStd : INIT_STD;
      for (let k = 0; k < n; k++) values[k] = rng.normal() * std;
    }
    return { name: t.name, variable: toVariable(tf.tensor(values, t.shape), true) };
  });
  const vars = new Map(params.map((p) => [p.name, p.variable]));
  const forward = (x: tf.Tensor, training: boolean, r?: Rng) => gptForward(spec, (name) => vars.get(name), x, training, r);
  return { io: { ...io, inputShape: [...io.inputShape] }, params, buffers: [], forward: forward as Net['forward'] };
}

type Lookup = (name: string) => tf.Variable | undefined;

/**
 * Logits [B, T, vocab] for token ids x [B, T] (int32, T ≤ blockSize). In training mode dropout
 * draws one seed per dropout site from `rng`, in a fixed order.
 */
export function gptForward(spec: GptSpec, get: Lookup, x: tf.Tensor, training: boolean, rng?: Rng): tf.Tensor {
  const [b, t] = x.shape;
  const c = spec.nEmbd;
  const wte = get('transformer.wte.weight')!;
  const vocab = wte.shape[0];
  const drop = (h: tf.Tensor): tf.Tensor => {
    if (!training || spec.dropout <= 0) return h;
    const keep = tf.greaterEqual(tf.randomUniform(h.shape, 0, 1, 'float32', rng!.nextUint32()), spec.dropout);
    return tf.div(tf.mul(h, tf.cast(keep, 'float32')), 1 - spec.dropout);
  };
  /** x [..., in] @ W [out, in]^T (+ bias). */
  const linear = (h: tf.Tensor, name: string): tf.Tensor => {
    const w = get(`${name}.weight`)!;
    const flat = tf.reshape(h, [-1, w.shape[1]!]);
    let out: tf.Tensor = tf.matMul(flat as tf.Tensor2D, w as tf.Tensor2D, false, true);
    const bias = get(`${name}.bias`);
    if (bias) out = tf.add(out, bias);
    return tf.reshape(out, [...h.shape.slice(0, -1), w.shape[0]]);
  };
  const layerNorm = (h: tf.Tensor, name: string): tf.Tensor => {
    const { mean, variance } = tf.moments(h, -1, true);
    let out = tf.mul(tf.div(tf.sub(h, mean), tf.sqrt(tf.add(variance, LN_EPSILON))), get(`${name}.weight`)!);
    const bias = get(`${name}.bias`);
    if (bias) out = tf.add(out, bias);
    return out;
  };
  const d = c / spec.nHead;
  const heads = (z: tf.Tensor) => tf.transpose(tf.reshape(z, [b, t, spec.nHead, d]), [0, 2, 1, 3]);
  const maskValues = new Float32Array(t * t);
  for (let i = 0; i < t; i++) for (let j = i + 1; j < t; j++) maskValues[i * t + j] = MASKED;
  const mask = tf.tensor2d(maskValues, [t, t]);

  const tok = tf.matMul(tf.oneHot(tf.reshape(x, [-1]) as tf.Tensor1D, vocab), wte as tf.Tensor2D);
  const pos = tf.slice(get('transformer.wpe.weight')!, [0, 0], [t, c]);
  let h = drop(tf.add(tf.reshape(tok, [b, t, c]), pos));
  for (let i = 0; i < spec.nLayer; i++) {
    const p = `transformer.h.${i}`;
    const [q, k, v] = tf.split(linear(layerNorm(h, `${p}.ln_1`), `${p}.attn.c_attn`), 3, 2).map(heads);
    const scores = tf.add(tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(d)), mask);
    const att = drop(tf.softmax(scores, -1));
    const y = tf.reshape(tf.transpose(tf.matMul(att, v), [0, 2, 1, 3]), [b, t, c]);
    h = tf.add(h, drop(linear(y, `${p}.attn.c_proj`)));
    const m = linear(layerNorm(h, `${p}.ln_2`), `${p}.mlp.c_fc`);
    const gelu = tf.mul(tf.mul(m, 0.5), tf.add(tf.erf(tf.mul(m, Math.SQRT1_2)), 1));
    h = tf.add(h, drop(linear(gelu, `${p}.mlp.c_proj`)));
  }
  h = layerNorm(h, 'transformer.ln_f');
  const logits = tf.matMul(tf.reshape(h, [-1, c]) as tf.Tensor2D, wte as tf.Tensor2D, false, true);
  return tf.reshape(logits, [b, t, vocab]);
}

export const familyWorker: FamilyWorker = {
  build: buildGpt,
  requiredKernels: () => ['BatchMatMul', 'OneHot', 'Erf', 'Softmax', 'Transpose', 'Slice', 'PadV2', 'SplitV', 'Concat'],
};
