/**
 * Optimizers with PyTorch's update rules (torch.optim.Adam, SGD with momentum, RMSprop), written
 * with tfjs ops over our own slot variables. Adam's bias corrections are computed in float64 from
 * the step number, as PyTorch does, so a resumed run needs only the step and the slots: nothing
 * accumulates across steps outside the slots (unlike tfjs's built-in Adam and its accBeta1/2).
 */
import * as tf from '@tensorflow/tfjs';
import {
  ADAM_BETA1,
  ADAM_BETA2,
  ADAM_EPSILON,
  RMSPROP_ALPHA,
  RMSPROP_EPSILON,
  type OptimizerName,
} from '../shared/config';
import { slotNames } from '../shared/optimizer-slots';
import type { NamedVariable } from '../families/worker-contract';
import { toVariable } from './variables';


export interface OptimizerSettings {
  name: OptimizerName;
  momentum: number;
  weightDecay: number;
  /** Adam's and AdamW's second-moment rate; absent = ADAM_BETA2. */
  beta2?: number;
}

/** The decay AdamW applies to `p`: `weightDecay` for tensors of two or more dimensions, 0 for the rest (nanoGPT's groups). */
export function adamwDecay(p: NamedVariable, weightDecay: number): number {
  return p.variable.rank >= 2 ? weightDecay : 0;
}

/**
 * Scales `grads` so that their global L2 norm is at most `maxNorm`, as torch.nn.utils.clip_grad_norm_:
 * every gradient times min(1, maxNorm / (norm + 1e-6)), computed on the device (no readback).
 * Returns new tensors; the caller disposes them and the old ones.
 */
export function clipGradNorm(grads: tf.Tensor[], maxNorm: number): tf.Tensor[] {
  return tf.tidy(() => {
    const norm = tf.sqrt(tf.addN(grads.map((g) => tf.sum(tf.square(g)))));
    const coef = tf.minimum(tf.div(maxNorm, tf.add(norm, 1e-6)), 1);
    return grads.map((g) => tf.mul(g, coef));
  });
}

export interface Optimizer {
  settings: OptimizerSettings;
  /** slots[p][k]: slot SLOT_NAMES[k] of parameter p, shaped like the parameter. */
  slots: tf.Variable[][];
  /** Steps taken so far (PyTorch's `step` in each parameter's state). */
  step: number;
}

/** Creates zeroed slots for `params`. */
export function createOptimizer(settings: OptimizerSettings, params: NamedVariable[]): Optimizer {
  const names = slotNames(settings);
  const slots = params.map((p) => names.map(() => toVariable(tf.zerosLike(p.variable), false)));
  return { settings, slots, step: 0 };
}

/**
 * Applies one update with learning rate `lr` to `params` from `grads` (same order), and
 * increments `opt.step`. Disposes nothing it did not create; call inside no tidy.
 */
export function applyGradients(opt: Optimizer, params: NamedVariable[], grads: tf.Tensor[], lr: number): void {
  opt.step += 1;
  const { name, momentum, weightDecay } = opt.settings;
  const beta2 = opt.settings.beta2 ?? ADAM_BETA2;
  const t = opt.step;
  tf.tidy(() => {
    params.forEach((p, i) => {
      const w = p.variable;
      let g = grads[i];
      const slots = opt.slots[i];
      if (name === 'adam' || name === 'adamw') {
        // Adam adds the decay to the gradient; AdamW shrinks the weight first (PyTorch: param.mul_(1 - lr × decay)).
        if (name === 'adam' && weightDecay > 0) g = tf.add(g, tf.mul(w, weightDecay));
        const decay = name === 'adamw' ? adamwDecay(p, weightDecay) : 0;
        const w0 = decay > 0 ? tf.mul(w, 1 - lr * decay) : w;
        const [m, v] = slots;
        const m2 = tf.add(tf.mul(m, ADAM_BETA1), tf.mul(g, 1 - ADAM_BETA1));
        const v2 = tf.add(tf.mul(v, beta2), tf.mul(tf.square(g), 1 - beta2));
        const bc1 = 1 - Math.pow(ADAM_BETA1, t);
        const bc2 = 1 - Math.pow(beta2, t);
        const denom = tf.add(tf.div(tf.sqrt(v2), Math.sqrt(bc2)), ADAM_EPSILON);
        w.assign(tf.sub(w0, tf.mul(tf.div(m2, denom), lr / bc1)));
        m.assign(m2);
        v.assign(v2);
      } else if (name === 'sgd') {
        if (weightDecay > 0) g = tf.add(g, tf.mul(w, weightDecay));
        if (momentum > 0) {
          const buf = tf.add(tf.mul(slots[0], momentum), g);
          w.assign(tf.sub(w, tf.mul(buf, lr)));
          slots[0].assign(buf);
        } else {
          w.assign(tf.sub(w, tf.mul(g, lr)));
        }
      } else {
        if (weightDecay > 0) g = tf.add(g, tf.mul(w, weightDecay));
        const sq = tf.add(tf.mul(slots[0], RMSPROP_ALPHA), tf.mul(tf.square(g), 1 - RMSPROP_ALPHA));
        const scaled = tf.div(g, tf.add(tf.sqrt(sq), RMSPROP_EPSILON));
        if (momentum > 0) {
          const buf = tf.add(tf.mul(slots[1], momentum), scaled);
          w.assign(tf.sub(w, tf.mul(buf, lr)));
          slots[1].assign(buf);
        } else {
          w.assign(tf.sub(w, tf.mul(scaled, lr)));
        }
        slots[0].assign(sq);
      }
    });
  });
}

export function disposeOptimizer(opt: Optimizer): void {
  opt.slots.flat().forEach((s) => s.dispose());
}
