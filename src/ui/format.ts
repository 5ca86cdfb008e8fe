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

/** 1536 → "1.5 KB", 3e9 → "2.8 GB" (binary units, as browsers report quota). */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

/** How long ago `timeMs` was: "just now", "3 min ago", "2 h ago", or the date. */
export function formatAgo(timeMs: number, nowMs = Date.now()): string {
  const sec = Math.max(0, (nowMs - timeMs) / 1000);
  if (sec < 60) return 'just now';
  if (sec < 3600) return `${Math.floor(sec / 60)} min ago`;
  if (sec < 86400) return `${Math.floor(sec / 3600)} h ago`;
  return new Date(timeMs).toLocaleString();
}

/** Clock time of `timeMs`, e.g. "14:03:27". */
export function formatTime(timeMs: number): string {
  return new Date(timeMs).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

/** Date and clock time of `timeMs`, e.g. "3 Dec 2026, 15:42". */
export function formatDateTime(timeMs: number): string {
  return new Date(timeMs).toLocaleString([], { dateStyle: 'medium', timeStyle: 'short' });
}
