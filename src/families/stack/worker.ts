/**
 * The network, built from a ModelSpec with plain tfjs ops rather than tf.layers, so that we own
 * every variable: its name, its layout, its initial values (drawn from our seeded Rng, identical
 * on every backend) and the randomness of dropout. Layouts are tfjs's: dense kernel [in, out],
 * conv2d filter [kh, kw, in, out], activations NHWC; bundle/ maps them to PyTorch's.
 */
import * as tf from '@tensorflow/tfjs';
import type { ModelIO, ModelSpec } from '../../shared/config';
import { ModelSpecError } from '../../shared/errors';
import type { Rng } from '../../shared/rng';
import { toVariable } from '../../engine/variables';
import type { BufferUpdate, FamilyWorker, NamedVariable, Net } from '../worker-contract';
import { asStack, walk, withHead, type Activation, type LayerSpec } from './spec';

/** PyTorch's BatchNorm defaults, so running statistics mean the same after export. */
const BN_MOMENTUM = 0.1;
const BN_EPSILON = 1e-5;

/** Creates the variables of `spec` + output head for data of `io`, initialised from `rng`. */
export function buildNet(model: ModelSpec, io: ModelIO, rng: Rng): Net {
  const spec = withHead(asStack(model), io.outputs);
  const { steps, error } = walk(spec, io.inputShape);
  if (error) throw new ModelSpecError(`Layer ${error.index + 1} (${spec[error.index].type}) ${error.why}. Fix the model in the Model cell.`);
  const params: NamedVariable[] = [];
  const buffers: NamedVariable[] = [];
  for (const { index: i, layer, inShape } of steps) {
    const add = (list: NamedVariable[], kind: string, s: number[], values: Float32Array, trainable: boolean) =>
      list.push({ name: `${i}.${kind}`, variable: toVariable(tf.tensor(values, s), trainable) });
    switch (layer.type) {
      case 'dense': {
        const fanIn = inShape[0];
        add(params, 'kernel', [fanIn, layer.units], uniform(rng, fanIn * layer.units, fanIn), true);
        add(params, 'bias', [layer.units], uniform(rng, layer.units, fanIn), true);
        break;
      }
      case 'conv2d': {
        const k = layer.kernelSize;
        const fanIn = k * k * inShape[2];
        add(params, 'kernel', [k, k, inShape[2], layer.filters], uniform(rng, fanIn * layer.filters, fanIn), true);
        add(params, 'bias', [layer.filters], uniform(rng, layer.filters, fanIn), true);
        break;
      }
      case 'batchnorm': {
        const c = inShape[inShape.length - 1];
        add(params, 'gamma', [c], new Float32Array(c).fill(1), true);
        add(params, 'beta', [c], new Float32Array(c), true);
        add(buffers, 'running_mean', [c], new Float32Array(c), false);
        add(buffers, 'running_var', [c], new Float32Array(c).fill(1), false);
        break;
      }
    }
  }
  const byName = new Map([...params, ...buffers].map((v) => [v.name, v.variable]));
  const net: Net = {
    io: { ...io, inputShape: [...io.inputShape] },
    params,
    buffers,
    forward: ((x: tf.Tensor, training: boolean, rng?: Rng, updates?: BufferUpdate[]) => forward(spec, byName, x, training, rng, updates)) as Net['forward'],
  };
  return net;
}

/**
 * Forward pass to logits. In training mode dropout draws one seed per layer from `rng` and
 * BatchNorm normalises with batch statistics, pushing running-stat updates onto `updates`
 * (kept tensors: the caller assigns and disposes them).
 */
function forward(spec: LayerSpec[], vars: Map<string, tf.Variable>, x: tf.Tensor, training: boolean, rng?: Rng, updates?: BufferUpdate[]): tf.Tensor {
  const get = (name: string) => vars.get(name)!;
  let h = x;
  spec.forEach((layer, i) => {
    switch (layer.type) {
      case 'dense':
        h = activate(tf.add(tf.matMul(h as tf.Tensor2D, get(`${i}.kernel`) as tf.Tensor2D), get(`${i}.bias`)), layer.activation);
        break;
      case 'conv2d':
        h = activate(tf.add(tf.conv2d(h as tf.Tensor4D, get(`${i}.kernel`) as tf.Tensor4D, 1, 'valid'), get(`${i}.bias`)), layer.activation);
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
        h = batchNorm((kind) => get(`${i}.${kind}`), h, training, updates);
        break;
    }
  });
  return h;
}

function batchNorm(find: (kind: string) => tf.Variable, h: tf.Tensor, training: boolean, updates?: BufferUpdate[]): tf.Tensor {
  const [gamma, beta] = [find('gamma'), find('beta')];
  const [runMean, runVar] = [find('running_mean'), find('running_var')];
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
export function requiredKernels(spec: readonly LayerSpec[]): string[] {
  const kernels = new Set<string>(['BatchMatMul', 'GatherV2']);
  for (const layer of spec) {
    if (layer.type === 'conv2d') ['Conv2D', 'Conv2DBackpropFilter', 'Conv2DBackpropInput'].forEach((k) => kernels.add(k));
    if (layer.type === 'maxpool2d') ['MaxPool', 'MaxPoolGrad'].forEach((k) => kernels.add(k));
  }
  return [...kernels];
}

/** The same model as tf.layers, for the bench's bare tfjs loop. */
function layersModel(model: ModelSpec, io: ModelIO): tf.Sequential {
  const m = tf.sequential();
  withHead(asStack(model), io.outputs).forEach((l, i) => {
    const inputShape = i === 0 ? io.inputShape : undefined;
    if (l.type === 'dense') m.add(tf.layers.dense({ units: l.units, activation: l.activation, inputShape }));
    else if (l.type === 'conv2d') m.add(tf.layers.conv2d({ filters: l.filters, kernelSize: l.kernelSize, activation: l.activation, inputShape }));
    else if (l.type === 'maxpool2d') m.add(tf.layers.maxPooling2d({ poolSize: l.poolSize, inputShape }));
    else if (l.type === 'flatten') m.add(tf.layers.flatten({ inputShape }));
    else if (l.type === 'dropout') m.add(tf.layers.dropout({ rate: l.rate, inputShape }));
    else m.add(tf.layers.batchNormalization({ inputShape }));
  });
  return m;
}

export const familyWorker: FamilyWorker = {
  build: buildNet,
  requiredKernels: (spec, io) => requiredKernels(withHead(asStack(spec), io.outputs)),
  layersModel,
};
