/**
 * What a model family gives the training worker: tfjs variables it owns (names, layouts and
 * initial values from our seeded Rng, identical on every backend) and a forward pass. The trainer,
 * optimizers and checkpoints work on these alone, whatever the family.
 */
import type * as tf from '@tensorflow/tfjs';
import type { ModelIO, ModelSpec } from '../shared/config';
import type { Rng } from '../shared/rng';

export interface NamedVariable {
  /** Our name, e.g. `0.kernel`, `3.running_mean`: the family's TorchModel maps it to PyTorch's. */
  name: string;
  variable: tf.Variable;
}

/** What a training-mode forward pass wants done after the gradient step (e.g. BatchNorm statistics). */
export interface BufferUpdate {
  variable: tf.Variable;
  value: tf.Tensor;
}

export interface Net {
  io: ModelIO;
  /** Trainable parameters in a fixed order: the optimizer's slots follow it. */
  params: NamedVariable[];
  /** Non-trainable state (e.g. BatchNorm running mean and variance). */
  buffers: NamedVariable[];
  /**
   * Forward pass to logits (or regression outputs). In training mode randomness (dropout) comes
   * from `rng`, and buffer updates are pushed onto `updates` as kept tensors the caller assigns.
   */
  forward(x: tf.Tensor, training: false): tf.Tensor;
  forward(x: tf.Tensor, training: true, rng: Rng, updates: BufferUpdate[]): tf.Tensor;
}

export interface FamilyWorker {
  /** Creates the variables of `spec` for data of `io`, initialised from `rng`. */
  build(spec: ModelSpec, io: ModelIO, rng: Rng): Net;
  /** tfjs kernels a training step needs beyond the basics, so backends that lack one are skipped. */
  requiredKernels(spec: ModelSpec, io: ModelIO): string[];
  /**
   * For `npm run bench` (test build): the same model as tf.layers, to time a bare tfjs loop against
   * ours. Absent when the family has no tf.layers equivalent.
   */
  layersModel?(spec: ModelSpec, io: ModelIO): tf.Sequential;
}

/** What a family's worker.ts exports. */
export interface FamilyWorkerModule {
  familyWorker: FamilyWorker;
}
