/** Number and time formatting shared by the cells. */
const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/** 1234.5 → "1,235". */
export function formatInt(n: number): string {
  return integer.format(n);
}

/** 0.9312 → "93.1%". */
export function formatPercent(fraction: number): string {
  return `${(fraction * 100).toFixed(1)}%`;
}

/** Seconds → "0:12", "12:05" or "1:02:03". */
export function formatDuration(totalSec: number): string {
  if (!Number.isFinite(totalSec) || totalSec < 0) return '–';
  const s = Math.round(totalSec);
  const hours = Math.floor(s / 3600);
  const minutes = Math.floor((s % 3600) / 60);
  const seconds = String(s % 60).padStart(2, '0');
  return hours > 0 ? `${hours}:${String(minutes).padStart(2, '0')}:${seconds}` : `${minutes}:${seconds}`;
}

/** Small losses keep their significant digits: 0.0123, 1.23e-5. */
export function formatLoss(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  return Math.abs(x) >= 1e-3 || x === 0 ? x.toFixed(4) : x.toExponential(2);
}

/** [28, 28, 1] → "28×28×1". */
export function formatShape(shape: readonly number[]): string {
  return shape.join('×');
}
