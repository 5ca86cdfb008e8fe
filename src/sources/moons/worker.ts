/**
 * Two moons: class 0 on the upper half circle of radius 1 around (0, 0), class 1 on the lower
 * half circle around (1, 0.5), shifted and scaled into about [-1, 1]²; Gaussian noise of std
 * `noise` (in those units) on each coordinate. Sample i belongs to class i mod 2.
 */
import { splitSamples, type DatasetMeta } from '../../engine/data/dataset';
import type { SourceLoader } from '../worker-contract';
import { checkGenerated } from '../generated';

/** Centre and scale of the two moons' bounding box [-1, 2] × [-0.5, 1]. */
const CENTRE = [0.5, 0.25];
const SCALE = 1 / 1.5;

export const loaders: Record<string, SourceLoader> = {
  moons(cfg, { rng }) {
    checkGenerated(cfg.samples, cfg.noise);
    const n = cfg.samples;
    const x = new Float32Array(n * 2);
    const y = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const c = i % 2;
      const t = rng.uniform(0, Math.PI);
      const [px, py] = c === 0 ? [Math.cos(t), Math.sin(t)] : [1 - Math.cos(t), 0.5 - Math.sin(t)];
      x[2 * i] = (px - CENTRE[0]) * SCALE + cfg.noise * rng.normal();
      x[2 * i + 1] = (py - CENTRE[1]) * SCALE + cfg.noise * rng.normal();
      y[i] = c;
    }
    const meta: DatasetMeta = { kind: 'classification', inputShape: [2], outputs: 2, classNames: ['upper', 'lower'], view: 'scatter', featureNames: ['x1', 'x2'], targetName: 'class' };
    return splitSamples({ x, y, rowSize: 2 }, meta, cfg.validationSplit, rng);
  },
};
