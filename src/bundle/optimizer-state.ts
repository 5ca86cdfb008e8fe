/**
 * optimizer_state_dict as torch 1.13's Adam, SGD and RMSprop write it, and back:
 *   {state: {[param index]: {step, <slots>}}, param_groups: [{lr, …defaults…, params: [0..n-1]}]}
 * Slots are converted with the same layout functions as the parameters they belong to.
 */
import type { CheckpointRecord, TensorEntry } from '../shared/checkpoint';
import { ADAM_BETA1, ADAM_BETA2, ADAM_EPSILON, RMSPROP_ALPHA, RMSPROP_EPSILON, type TrainConfig } from '../shared/config';
import { BundleError } from './bundle-error';
import { bad, dict, float, need } from './bundle-values';
import { PyDict, PyTensor, tuple, type PyValue } from './py-value';
import { slotNames } from '../shared/optimizer-slots';
import type { TorchModel } from '../families/contract';
import { finiteFloat32 } from './state-dict';

/** The key a PyTorch script reads, in PyTorch's spelling. */
export const OPTIMIZER_STATE_DICT = 'optimizer_state_dict';

/** Per-parameter state keys (PyTorch's spelling), after the step counter. */
const STEP = 'step';

/** param_groups[0] as torch.optim.<X>(…).state_dict() holds it in torch 1.13 (defaults included). */
export function paramGroup(train: TrainConfig, lr: number, params: number[]): PyDict {
  const decay = train.weightDecay === 0 ? 0 : float(train.weightDecay); // PyTorch's default is the int 0
  const momentum = train.momentum === 0 ? 0 : float(train.momentum);
  const common: [string, PyValue][] = [['foreach', null], ['maximize', false], ['differentiable', false]];
  switch (train.optimizer) {
    case 'adam':
    case 'adamw':
      return dict([['lr', float(lr)], ['betas', tuple(float(ADAM_BETA1), float(train.beta2 ?? ADAM_BETA2))], ['eps', float(ADAM_EPSILON)], ['weight_decay', decay],
        ['amsgrad', false], ...common, ['capturable', false], ['fused', false], ['params', params]]);
    case 'sgd':
      return dict([['lr', float(lr)], ['momentum', momentum], ['dampening', 0], ['weight_decay', decay], ['nesterov', false], ...common, ['params', params]]);
    case 'rmsprop':
      return dict([['lr', float(lr)], ['momentum', momentum], ['alpha', float(RMSPROP_ALPHA)], ['eps', float(RMSPROP_EPSILON)], ['centered', false],
        ['weight_decay', decay], ...common, ['params', params]]);
  }
}


/**
 * The parameters in optimizer-state order, by group: one group, or for AdamW nanoGPT's two
 * (tensors of two or more dimensions with the decay, then the rest with none). PyTorch numbers
 * the state across its groups in this order.
 */
function groupsOf(train: TrainConfig, params: Pick<TorchModel, 'params'>['params']): { indices: number[]; decay: boolean }[] {
  const all = params.map((_, i) => i);
  if (train.optimizer !== 'adamw') return [{ indices: all, decay: true }];
  return [{ indices: all.filter((i) => params[i].ourShape.length >= 2), decay: true }, { indices: all.filter((i) => params[i].ourShape.length < 2), decay: false }];
}

/**
 * {state, param_groups}. State is empty before the first step, as in PyTorch; Adam's step is a
 * float32 0-d tensor and RMSprop's an int (torch 1.13), SGD keeps none (momentum_buffer None without momentum).
 */
export function encodeOptimizerState(record: CheckpointRecord, layout: Pick<TorchModel, 'params'>, lr: number): PyDict {
  const { train } = record.config;
  const n = record.trainer.optimizerStep;
  const byName = new Map(record.tensors.map((t) => [t.name, t]));
  const state = new PyDict();
  const groups = groupsOf(train, layout.params);
  const order = groups.flatMap((g) => g.indices);
  if (n > 0) {
    order.forEach((at, i) => {
      const p = layout.params[at];
      const s = new PyDict();
      if (train.optimizer === 'adam' || train.optimizer === 'adamw') s.set(STEP, new PyTensor('float32', [], Float32Array.of(n)));
      if (train.optimizer === 'rmsprop') s.set(STEP, n);
      for (const slot of slotNames(train)) {
        const t = byName.get(`${p.ourName}.${slot}`);
        if (!t || t.shape.join(',') !== p.ourShape.join(',')) {
          throw new BundleError(`optimizer slot "${p.ourName}.${slot}" is ${t ? `[${t.shape}]` : 'missing'}; the model needs [${p.ourShape}]. Save the checkpoint again.`);
        }
        s.set(slot, new PyTensor('float32', p.torchShape, p.toTorch(t.data)));
      }
      if (train.optimizer === 'sgd' && train.momentum === 0) s.set('momentum_buffer', null);
      state.set(i, s);
    });
  }
  let next = 0;
  const paramGroups = groups.map((g) => paramGroup(g.decay ? train : { ...train, weightDecay: 0 }, lr, g.indices.map(() => next++)));
  return dict([['state', state], ['param_groups', paramGroups]]);
}

/** Our slots (zeros before the first step) and the step count, all checked against the model. */
export function decodeOptimizerState(sd: PyDict, train: TrainConfig, layout: Pick<TorchModel, 'params'>, globalStep: number): { slots: TensorEntry[]; step: number } {
  const state = need(sd, ['state'], (v) => v instanceof PyDict, 'a dict', `${OPTIMIZER_STATE_DICT}.state`) as PyDict;
  const groups = groupsOf(train, layout.params);
  need(sd, ['param_groups'], (v) => Array.isArray(v) && v.length === groups.length, groups.length === 1 ? 'a list of one group' : `a list of ${groups.length} groups`, `${OPTIMIZER_STATE_DICT}.param_groups`);
  const order = groups.flatMap((g) => g.indices);
  const names = slotNames(train);
  let step = 0;
  if (state.size > 0 && state.size !== layout.params.length) throw bad(`${OPTIMIZER_STATE_DICT}.state`, `state for ${state.size} parameters; the model has ${layout.params.length}`);
  const slotsOf: TensorEntry[][] = layout.params.map(() => []); // in our params order, whatever the groups' order
  order.forEach((at, i) => {
    const p = layout.params[at];
    const label = `${OPTIMIZER_STATE_DICT}.state.${i}`;
    const s = state.size ? (need(state, [i], (v) => v instanceof PyDict, 'a dict', label) as PyDict) : null;
    if (s && train.optimizer !== 'sgd') {
      const raw = s.get(STEP);
      const value = raw instanceof PyTensor && raw.shape.length === 0 ? Number(raw.data[0]) : raw;
      if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) throw bad(`${label}.step`, 'not a positive step count');
      if (i > 0 && value !== step) throw bad(`${label}.step`, `${value}, unlike parameter 0's ${step}`);
      step = value;
    } else if (s) step = globalStep;
    for (const slot of names) {
      const t = s?.get(slot);
      if (s && !(t instanceof PyTensor && t.shape.join(',') === p.torchShape.join(','))) {
        throw bad(`${label}.${slot}`, t instanceof PyTensor ? `shaped [${t.shape}], the model needs [${p.torchShape}]` : 'missing');
      }
      const data = t instanceof PyTensor ? p.fromTorch(finiteFloat32(`${label}.${slot}`, t)) : new Float32Array(p.ourShape.reduce((a, b) => a * b, 1));
      slotsOf[at].push({ name: `${p.ourName}.${slot}`, shape: [...p.ourShape], dtype: 'float32', data });
    }
  });
  return { slots: slotsOf.flat(), step };
}

/* ---- plain values <-> PyValue, and checked reads ---- */
