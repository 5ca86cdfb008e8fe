/**
 * Turns a drawing into an MNIST-style input: the ink is cropped to its bounding box, scaled so its
 * longer side is 20 px, and placed in a 28×28 field with its centre of mass at the centre, the
 * way the MNIST digits were prepared (LeCun et al., "Gradient-based learning…", 1998).
 */
const SIZE = 28;
const BOX = 20;

/** Reads the canvas's ink (alpha) and returns 28×28 values in 0..1, or null when it is blank. */
export function canvasToDigit(source: HTMLCanvasElement): Float32Array | null {
  const ctx = source.getContext('2d', { willReadFrequently: true })!;
  const { width, height } = source;
  const alpha = ctx.getImageData(0, 0, width, height).data;
  let x0 = width, y0 = height, x1 = -1, y1 = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (alpha[4 * (y * width + x) + 3] > 24) {
        x0 = Math.min(x0, x); x1 = Math.max(x1, x);
        y0 = Math.min(y0, y); y1 = Math.max(y1, y);
      }
    }
  }
  if (x1 < 0) return null;
  const bw = x1 - x0 + 1, bh = y1 - y0 + 1;
  const scale = BOX / Math.max(bw, bh);
  const tw = Math.max(1, Math.round(bw * scale)), th = Math.max(1, Math.round(bh * scale));
  const small = scaleDown(source, x0, y0, bw, bh, tw, th);
  return centreByMass(small, tw, th);
}

/** Downscales in halving passes: one big drawImage step aliases thin strokes away. */
function scaleDown(src: HTMLCanvasElement, sx: number, sy: number, sw: number, sh: number, tw: number, th: number): Float32Array {
  let canvas = document.createElement('canvas');
  canvas.width = sw;
  canvas.height = sh;
  canvas.getContext('2d')!.drawImage(src, sx, sy, sw, sh, 0, 0, sw, sh);
  while (canvas.width / 2 > tw && canvas.height / 2 > th) {
    const next = document.createElement('canvas');
    next.width = Math.ceil(canvas.width / 2);
    next.height = Math.ceil(canvas.height / 2);
    next.getContext('2d')!.drawImage(canvas, 0, 0, next.width, next.height);
    canvas = next;
  }
  const out = document.createElement('canvas');
  out.width = tw;
  out.height = th;
  const ctx = out.getContext('2d', { willReadFrequently: true })!;
  ctx.imageSmoothingQuality = 'high';
  ctx.drawImage(canvas, 0, 0, tw, th);
  const data = ctx.getImageData(0, 0, tw, th).data;
  const values = new Float32Array(tw * th);
  for (let i = 0; i < values.length; i++) values[i] = data[4 * i + 3] / 255;
  return values;
}

function centreByMass(img: Float32Array, w: number, h: number): Float32Array {
  let mass = 0, mx = 0, my = 0;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const v = img[y * w + x];
      mass += v; mx += v * x; my += v * y;
    }
  }
  const cx = mass > 0 ? mx / mass : (w - 1) / 2, cy = mass > 0 ? my / mass : (h - 1) / 2;
  const clamp = (v: number, max: number) => Math.min(Math.max(v, 0), max);
  const ox = clamp(Math.round((SIZE - 1) / 2 - cx), SIZE - w);
  const oy = clamp(Math.round((SIZE - 1) / 2 - cy), SIZE - h);
  const out = new Float32Array(SIZE * SIZE);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) out[(y + oy) * SIZE + x + ox] = Math.min(1, img[y * w + x]);
  }
  return out;
}
