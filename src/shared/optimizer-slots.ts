/** The per-parameter state each optimizer keeps, in PyTorch's spelling: our records and PyTorch's state use these names. */
import type { OptimizerName } from './config';

export function slotNames(o: { optimizer?: OptimizerName; name?: OptimizerName; momentum: number }): string[] {
  const name = o.optimizer ?? o.name;
  if (name === 'adam' || name === 'adamw') return ['exp_avg', 'exp_avg_sq'];
  if (name === 'sgd') return o.momentum > 0 ? ['momentum_buffer'] : [];
  return o.momentum > 0 ? ['square_avg', 'momentum_buffer'] : ['square_avg'];
}
