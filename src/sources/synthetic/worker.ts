/**
 * Seeded synthetic datasets in the spirit of TensorFlow Playground. The 2-D sets live in about
 * [-1, 1]²; `noise` is the standard deviation of Gaussian noise added to each coordinate (or to the
 * target, for sine). Classes are balanced: sample i belongs to class i mod k.
 */
import type { Rng } from '../../shared/rng';
import { splitSamples, type DatasetMeta, type Samples } from '../../engine/data/dataset';
import { checkGenerated } from '../generated';
import type { SourceLoader } from '../worker-contract';

export type SyntheticId = 'spiral' | 'circles' | 'xor' | 'gaussian' | 'sine';

const SPIRAL_ARMS = 3;
// One turn per arm keeps three arms about 0.3 apart (Playground's two arms with 1.75 turns are as far apart);
// starting at radius 0.1 keeps the arms from all meeting in one blob at the centre.
const SPIRAL_TURNS = 1;
const SPIRAL_START_RADIUS = 0.1;
const GAUSSIAN_CENTERS: readonly [number, number][] = [
  [-0.5, -0.5],
  [0.5, 0.5],
  [-0.5, 0.5],
  [0.5, -0.5],
];
const GAUSSIAN_SPREAD = 0.15; // each cluster's own std before noise

/**
 * Generates one synthetic set.
 * @param samples number of samples, within SAMPLES' limits
 * @param noise Gaussian noise std, within NOISE's limits
 */
export function generateSynthetic(id: SyntheticId, samples: number, noise: number, rng: Rng): { samples: Samples; meta: DatasetMeta } {
  checkGenerated(samples, noise);
  switch (id) {
    case 'spiral':
      return points2d(samples, SPIRAL_ARMS, ['arm 1', 'arm 2', 'arm 3'], (i, c) => spiralPoint(i, c, samples, rng), noise, rng);
    case 'circles':
      return points2d(samples, 2, ['inner', 'ring'], (_i, c) => circlePoint(c, rng), noise, rng);
    case 'xor':
      return points2d(samples, 2, ['x·y > 0', 'x·y < 0'], (_i, c) => xorPoint(c, rng), noise, rng);
    case 'gaussian':
      return points2d(samples, 4, ['cluster 1', 'cluster 2', 'cluster 3', 'cluster 4'], (_i, c) => gaussianPoint(c, rng), noise, rng);
    case 'sine':
      return sine(samples, noise, rng);
  }
}

function points2d(
  n: number,
  classes: number,
  classNames: string[],
  point: (i: number, c: number) => [number, number],
  noise: number,
  rng: Rng,
): { samples: Samples; meta: DatasetMeta } {
  const x = new Float32Array(n * 2);
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % classes;
    const [px, py] = point(i, c);
    x[2 * i] = px + noise * rng.normal();
    x[2 * i + 1] = py + noise * rng.normal();
    y[i] = c;
  }
  const meta: DatasetMeta = {
    kind: 'classification',
    inputShape: [2],
    outputs: classes,
    classNames,
    view: 'scatter',
    featureNames: ['x1', 'x2'],
    targetName: 'class',
  };
  return { samples: { x, y, rowSize: 2 }, meta };
}

/** Arm c, position along the arm from its share of the samples; radius grows from 0.1 to 1. */
function spiralPoint(i: number, c: number, n: number, rng: Rng): [number, number] {
  const perArm = Math.ceil(n / SPIRAL_ARMS);
  const t = Math.floor(i / SPIRAL_ARMS) / perArm + rng.uniform(0, 1 / perArm);
  const angle = t * SPIRAL_TURNS * 2 * Math.PI + (c * 2 * Math.PI) / SPIRAL_ARMS;
  const r = SPIRAL_START_RADIUS + (1 - SPIRAL_START_RADIUS) * t;
  return [r * Math.sin(angle), r * Math.cos(angle)];
}

/** Class 0: a disc of radius 0.5; class 1: a ring between radius 0.7 and 1 (as Playground). */
function circlePoint(c: number, rng: Rng): [number, number] {
  const r = c === 0 ? rng.uniform(0, 0.5) : rng.uniform(0.7, 1);
  const angle = rng.uniform(0, 2 * Math.PI);
  return [r * Math.sin(angle), r * Math.cos(angle)];
}

/** Class 0 in quadrants I and III, class 1 in II and IV; kept 0.05 off the axes. */
function xorPoint(c: number, rng: Rng): [number, number] {
  const ax = rng.uniform(0.05, 1);
  const ay = rng.uniform(0.05, 1);
  const sx = rng.next() < 0.5 ? -1 : 1;
  const sy = c === 0 ? sx : -sx;
  return [sx * ax, sy * ay];
}

function gaussianPoint(c: number, rng: Rng): [number, number] {
  const [cx, cy] = GAUSSIAN_CENTERS[c];
  return [cx + GAUSSIAN_SPREAD * rng.normal(), cy + GAUSSIAN_SPREAD * rng.normal()];
}

/** x uniform in [-π, π], target sin(x) + noise. */
function sine(n: number, noise: number, rng: Rng): { samples: Samples; meta: DatasetMeta } {
  const x = new Float32Array(n);
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    x[i] = rng.uniform(-Math.PI, Math.PI);
    y[i] = Math.sin(x[i]) + noise * rng.normal();
  }
  const meta: DatasetMeta = {
    kind: 'regression',
    inputShape: [1],
    outputs: 1,
    classNames: ['y'],
    view: 'table',
    featureNames: ['x'],
    targetName: 'y',
  };
  return { samples: { x, y, rowSize: 1 }, meta };
}


const generated = (id: SyntheticId): SourceLoader => (cfg, { rng }) => {
  const { samples, meta } = generateSynthetic(id, cfg.samples, cfg.noise, rng);
  return splitSamples(samples, meta, cfg.validationSplit, rng);
};

export const loaders: Record<SyntheticId, SourceLoader> = {
  spiral: generated('spiral'),
  circles: generated('circles'),
  xor: generated('xor'),
  gaussian: generated('gaussian'),
  sine: generated('sine'),
};
