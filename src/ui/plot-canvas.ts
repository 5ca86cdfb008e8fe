/** Canvas drawing for dataset previews and decision boundaries. Pure functions of their inputs. */
import type { DecisionBoundary } from '../shared/engine-api';

/** Class colours (Tableau 10): distinct and readable on white. */
export const CLASS_COLORS = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];

export function classColor(k: number): string {
  return CLASS_COLORS[((k % CLASS_COLORS.length) + CLASS_COLORS.length) % CLASS_COLORS.length];
}

export interface Bounds {
  xMin: number;
  xMax: number;
  yMin: number;
  yMax: number;
}

/** Range of interleaved [x0, y0, x1, y1, …] points, padded by 5% so edge points stay visible. */
export function boundsOf(points: Float32Array): Bounds {
  let xMin = Infinity, xMax = -Infinity, yMin = Infinity, yMax = -Infinity;
  for (let i = 0; i + 1 < points.length; i += 2) {
    xMin = Math.min(xMin, points[i]);
    xMax = Math.max(xMax, points[i]);
    yMin = Math.min(yMin, points[i + 1]);
    yMax = Math.max(yMax, points[i + 1]);
  }
  if (!Number.isFinite(xMin)) return { xMin: -1, xMax: 1, yMin: -1, yMax: 1 };
  const px = (xMax - xMin || 1) * 0.05, py = (yMax - yMin || 1) * 0.05;
  return { xMin: xMin - px, xMax: xMax + px, yMin: yMin - py, yMax: yMax + py };
}

/**
 * Points coloured by class; for regression (`regression`), a single colour, as the points are
 * (input, target) pairs.
 */
export function drawScatter(ctx: CanvasRenderingContext2D, points: Float32Array, labels: Float32Array, b: Bounds, regression: boolean): void {
  const { width, height } = ctx.canvas;
  const r = Math.max(2, width / 160);
  for (let i = 0; 2 * i + 1 < points.length; i++) {
    const x = ((points[2 * i] - b.xMin) / (b.xMax - b.xMin)) * width;
    const y = (1 - (points[2 * i + 1] - b.yMin) / (b.yMax - b.yMin)) * height;
    ctx.beginPath();
    ctx.arc(x, y, r, 0, 2 * Math.PI);
    ctx.fillStyle = regression ? CLASS_COLORS[0] : classColor(Math.round(labels[i]));
    ctx.fill();
    ctx.strokeStyle = 'rgba(255,255,255,0.8)';
    ctx.lineWidth = 0.75;
    ctx.stroke();
  }
}

/** Each grid cell tinted with its predicted class; returns the bounds to overlay points with. */
export function drawBoundary(ctx: CanvasRenderingContext2D, d: DecisionBoundary): Bounds {
  const { width, height } = ctx.canvas;
  const cw = width / d.grid, ch = height / d.grid;
  ctx.globalAlpha = 0.35;
  for (let row = 0; row < d.grid; row++) {
    for (let col = 0; col < d.grid; col++) {
      ctx.fillStyle = classColor(d.classes[row * d.grid + col]);
      ctx.fillRect(Math.floor(col * cw), Math.floor(row * ch), Math.ceil(cw), Math.ceil(ch));
    }
  }
  ctx.globalAlpha = 1;
  return { xMin: d.xMin, xMax: d.xMax, yMin: d.yMin, yMax: d.yMax };
}

/** Copies one greyscale image (0..255, ink bright) into an ImageData as dark ink on white. */
export function grayToImageData(pixels: Uint8Array, offset: number, w: number, h: number): ImageData {
  const img = new ImageData(w, h);
  for (let i = 0; i < w * h; i++) {
    const v = 255 - pixels[offset + i];
    img.data.set([v, v, v, 255], 4 * i);
  }
  return img;
}

/** A line through (xs[i], ys[i]) in bounds `b`: the fitted curve over a regression's points. */
export function drawCurve(ctx: CanvasRenderingContext2D, xs: Float32Array, ys: Float32Array, b: Bounds, color = '#e15759'): void {
  const { width, height } = ctx.canvas;
  ctx.beginPath();
  for (let i = 0; i < xs.length; i++) {
    const x = ((xs[i] - b.xMin) / (b.xMax - b.xMin)) * width;
    const y = (1 - (ys[i] - b.yMin) / (b.yMax - b.yMin)) * height;
    if (i === 0) ctx.moveTo(x, y);
    else ctx.lineTo(x, y);
  }
  ctx.strokeStyle = color;
  ctx.lineWidth = Math.max(2, width / 120);
  ctx.stroke();
}
