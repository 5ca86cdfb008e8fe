/**
 * The network, built from a ModelSpec with plain tfjs ops rather than tf.layers, so that we own
 * every variable: its name, its layout, its initial values (drawn from our seeded Rng, identical
 * on every backend) and the randomness of dropout. Layouts are tfjs's: dense kernel [in, out],
 * conv2d filter [kh, kw, in, out], activations NHWC; bundle/ maps them to PyTorch's.
 */
import * as tf from '@tensorflow/tfjs';
import { withHead, type Activation, type LayerSpec, type ModelSpec } from '../shared/model-spec';
import { ModelSpecError } from '../shared/errors';
import type { Rng } from './rng';

/** PyTorch's BatchNorm defaults, so running statistics mean the same after export. */
const BN_MOMENTUM = 0.1;
const BN_EPSILON = 1e-5;

export interface NamedVariable {
  /** Our name: `<layer index>.<kind>`, e.g. `0.kernel`, `3.running_mean`. */
  name: string;
  variable: tf.Variable;
}

export interface Net {
  spec: LayerSpec[];
  inputShape: number[];
  /** Trainable parameters in a fixed order: the optimizer's slots follow it. */
  params: NamedVariable[];
  /** Non-trainable state (BatchNorm running mean/variance and batch counter). */
  buffers: NamedVariable[];
}

/** Creates the variables of `spec` + output head for inputs of `inputShape`, initialised from `rng`. */
export function buildNet(model: ModelSpec, inputShape: number[], outputs: number, rng: Rng): Net {
  const spec = withHead(model, outputs);
  const params: NamedVariable[] = [];
  const buffers: NamedVariable[] = [];
  let shape = [...inputShape];
  spec.forEach((layer, i) => {
    const add = (list: NamedVariable[], kind: string, s: number[], values: Float32Array, trainable: boolean) =>
      list.push({ name: `${i}.${kind}`, variable: toVariable(tf.tensor(values, s), trainable) });
    switch (layer.type) {
      case 'dense': {
        if (shape.length !== 1) throw new ModelSpecError(`Layer ${i + 1} (dense) needs flat input; add a flatten before it.`);
        const fanIn = shape[0];
        add(params, 'kernel', [fanIn, layer.units], uniform(rng, fanIn * layer.units, fanIn), true);
        add(params, 'bias', [layer.units], uniform(rng, layer.units, fanIn), true);
        shape = [layer.units];
        break;
      }
      case 'conv2d': {
        if (shape.length !== 3) throw new ModelSpecError(`Layer ${i + 1} (conv2d) needs an image input.`);
        const k = layer.kernelSize;
        const fanIn = k * k * shape[2];
        add(params, 'kernel', [k, k, shape[2], layer.filters], uniform(rng, fanIn * layer.filters, fanIn), true);
        add(params, 'bias', [layer.filters], uniform(rng, layer.filters, fanIn), true);
        shape = [shape[0] - k + 1, shape[1] - k + 1, layer.filters];
        break;
      }
      case 'maxpool2d':
        shape = [Math.floor(shape[0] / layer.poolSize), Math.floor(shape[1] / layer.poolSize), shape[2]];
        break;
      case 'flatten':
        shape = [shape.reduce((a, b) => a * b, 1)];
        break;
      case 'dropout':
        break;
      case 'batchnorm': {
        const c = shape[shape.length - 1];
        add(params, 'gamma', [c], new Float32Array(c).fill(1), true);
        add(params, 'beta', [c], new Float32Array(c), true);
        add(buffers, 'running_mean', [c], new Float32Array(c), false);
        add(buffers, 'running_var', [c], new Float32Array(c).fill(1), false);
        break;
      }
    }
  });
  return { spec, inputShape: [...inputShape], params, buffers };
}

/** What a training-mode forward pass wants done after the gradient step (BatchNorm statistics). */
export interface BufferUpdate {
  variable: tf.Variable;
  value: tf.Tensor;
}

/**
 * Forward pass to logits. In training mode dropout draws one seed per layer from `rng` and
 * BatchNorm normalises with batch statistics, pushing running-stat updates onto `updates`
 * (kept tensors: the caller assigns and disposes them).
 */
export function forward(net: Net, x: tf.Tensor, training: false): tf.Tensor;
export function forward(net: Net, x: tf.Tensor, training: true, rng: Rng, updates: BufferUpdate[]): tf.Tensor;
export function forward(net: Net, x: tf.Tensor, training: boolean, rng?: Rng, updates?: BufferUpdate[]): tf.Tensor {
  const get = (list: NamedVariable[], name: string) => list.find((p) => p.name === name)!.variable;
  let h = x;
  net.spec.forEach((layer, i) => {
    switch (layer.type) {
      case 'dense':
        h = activate(tf.add(tf.matMul(h as tf.Tensor2D, get(net.params, `${i}.kernel`) as tf.Tensor2D), get(net.params, `${i}.bias`)), layer.activation);
        break;
      case 'conv2d':
        h = activate(tf.add(tf.conv2d(h as tf.Tensor4D, get(net.params, `${i}.kernel`) as tf.Tensor4D, 1, 'valid'), get(net.params, `${i}.bias`)), layer.activation);
        break;
      case 'maxpool2d':
        h = tf.maxPool(h as tf.Tensor4D, layer.poolSize, layer.poolSize, 'valid');
        break;
      case 'flatten':
        h = tf.reshape(h, [h.shape[0], -1]);
        break;
      case 'dropout':
        if (training && layer.rate > 0) {
          const seed = rng!.nextUint32();
          const keep = tf.greaterEqual(tf.randomUniform(h.shape, 0, 1, 'float32', seed), layer.rate);
          h = tf.div(tf.mul(h, tf.cast(keep, 'float32')), 1 - layer.rate);
        }
        break;
      case 'batchnorm':
        h = batchNorm(net, i, h, training, updates);
        break;
    }
  });
  return h;
}

function batchNorm(net: Net, i: number, h: tf.Tensor, training: boolean, updates?: BufferUpdate[]): tf.Tensor {
  const find = (list: NamedVariable[], kind: string) => list.find((p) => p.name === `${i}.${kind}`)!.variable;
  const [gamma, beta] = [find(net.params, 'gamma'), find(net.params, 'beta')];
  const [runMean, runVar] = [find(net.buffers, 'running_mean'), find(net.buffers, 'running_var')];
  if (!training) return tf.batchNorm(h, runMean, runVar, beta, gamma, BN_EPSILON);
  const axes = h.shape.map((_, a) => a).slice(0, -1);
  const { mean, variance } = tf.moments(h, axes);
  const n = h.size / h.shape[h.shape.length - 1];
  // PyTorch updates the running variance with the unbiased batch variance.
  const unbiased = tf.mul(variance, n / Math.max(1, n - 1));
  updates!.push(
    { variable: runMean, value: tf.keep(tf.add(tf.mul(runMean, 1 - BN_MOMENTUM), tf.mul(mean, BN_MOMENTUM))) },
    { variable: runVar, value: tf.keep(tf.add(tf.mul(runVar, 1 - BN_MOMENTUM), tf.mul(unbiased, BN_MOMENTUM))) },
  );
  return tf.batchNorm(h, mean, variance, beta, gamma, BN_EPSILON);
}

function activate(t: tf.Tensor, a: Activation): tf.Tensor {
  switch (a) {
    case 'relu':
      return tf.relu(t);
    case 'tanh':
      return tf.tanh(t);
    case 'sigmoid':
      return tf.sigmoid(t);
    case 'linear':
      return t;
  }
}

/** PyTorch's default for Linear and Conv2d (kaiming_uniform with a=√5): U(-1/√fanIn, 1/√fanIn). */
function uniform(rng: Rng, n: number, fanIn: number): Float32Array {
  const bound = 1 / Math.sqrt(fanIn);
  const out = new Float32Array(n);
  for (let k = 0; k < n; k++) out[k] = rng.uniform(-bound, bound);
  return out;
}

/** Kernels a training step of `spec` needs beyond the basics, to skip backends that lack them. */
export function requiredKernels(spec: LayerSpec[]): string[] {
  const kernels = new Set<string>(['BatchMatMul', 'GatherV2']);
  for (const layer of spec) {
    if (layer.type === 'conv2d') ['Conv2D', 'Conv2DBackpropFilter', 'Conv2DBackpropInput'].forEach((k) => kernels.add(k));
    if (layer.type === 'maxpool2d') ['MaxPool', 'MaxPoolGrad'].forEach((k) => kernels.add(k));
  }
  return [...kernels];
}

/** Reads every variable's values (async readback) in the order given. */
export async function readVariables(vars: NamedVariable[]): Promise<{ name: string; shape: number[]; data: Float32Array }[]> {
  return Promise.all(vars.map(async (v) => ({ name: v.name, shape: v.variable.shape, data: (await v.variable.data()) as Float32Array })));
}

export function disposeNet(net: Net): void {
  for (const v of [...net.params, ...net.buffers]) v.variable.dispose();
}

/** A variable holding `t`'s values; disposes `t` (tf.variable shares its data but leaves it registered). */
export function toVariable(t: tf.Tensor, trainable: boolean): tf.Variable {
  const v = tf.variable(t, trainable);
  t.dispose();
  return v;
}
