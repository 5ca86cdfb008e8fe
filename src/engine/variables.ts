/** tfjs variables as the trainer, optimizers and families hold them. */
import * as tf from '@tensorflow/tfjs';
import type { NamedVariable, Net } from '../families/worker-contract';

/** A variable holding `t`'s values; disposes `t` (tf.variable shares its data but leaves it registered). */
export function toVariable(t: tf.Tensor, trainable: boolean): tf.Variable {
  const v = tf.variable(t, trainable);
  t.dispose();
  return v;
}

/** Reads every variable's values (async readback) in the order given. */
export async function readVariables(vars: NamedVariable[]): Promise<{ name: string; shape: number[]; data: Float32Array }[]> {
  return Promise.all(vars.map(async (v) => ({ name: v.name, shape: v.variable.shape, data: (await v.variable.data()) as Float32Array })));
}

export function disposeNet(net: Net): void {
  for (const v of [...net.params, ...net.buffers]) v.variable.dispose();
}
