/** Layer-by-layer comparison of two model specs (a checkpoint's and the Model cell's). */
import type { LayerSpec } from '../shared/model-spec';

export interface LayerDiff {
  /** 1-based layer number. */
  n: number;
  checkpoint: string | null;
  current: string | null;
  same: boolean;
}

/** "dense 16 relu", "conv2d 8 3×3 relu", "dropout 0.2". */
export function describeLayer(layer: LayerSpec): string {
  switch (layer.type) {
    case 'dense':
      return `dense ${layer.units} ${layer.activation}`;
    case 'conv2d':
      return `conv2d ${layer.filters} ${layer.kernelSize}×${layer.kernelSize} ${layer.activation}`;
    case 'maxpool2d':
      return `maxpool2d ${layer.poolSize}×${layer.poolSize}`;
    case 'dropout':
      return `dropout ${layer.rate}`;
    default:
      return layer.type;
  }
}

/** Every layer position of either model; empty when they are the same. */
export function diffLayers(checkpoint: readonly LayerSpec[], current: readonly LayerSpec[]): LayerDiff[] {
  const rows: LayerDiff[] = [];
  for (let i = 0; i < Math.max(checkpoint.length, current.length); i++) {
    const a = checkpoint[i] ? describeLayer(checkpoint[i]) : null;
    const b = current[i] ? describeLayer(current[i]) : null;
    rows.push({ n: i + 1, checkpoint: a, current: b, same: a === b });
  }
  return rows.every((r) => r.same) ? [] : rows;
}
