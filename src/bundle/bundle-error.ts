/**
 * Errors for the bundle codecs. BundleError lives in src/shared/errors.ts (Comlink keeps only
 * `name`, `message` and `stack`, so callers branch on `name === 'BundleError'` and every message
 * must say what happened and what to do).
 */
export { BundleError } from '../shared/errors';

/** What every refusal message ends with: nothing from the file reached the caller. */
export const NOTHING_LOADED = 'Nothing was loaded.';

/** Longest text from a file (a name, key or global) quoted in a message; the rest is elided. */
export const MAX_QUOTED_CHARS = 80;

/**
 * Text the file supplies, made safe to show: control, bidi-override and line-breaking characters
 * become `\u{…}` escapes, and anything past `max` characters is cut and counted, so a 1 MB module
 * name gives a short message that cannot break the page's layout or fake a second line.
 */
export function fromFile(text: string, max = MAX_QUOTED_CHARS): string {
  const chars = Array.from(text.length > 4 * max ? text.slice(0, 4 * max) : text);
  const shown = chars.slice(0, max).map((c) => (UNSAFE.test(c) ? `\\u{${c.codePointAt(0)!.toString(16)}}` : c)).join('');
  return text.length > max && chars.length > max ? `${shown}… (${text.length} characters)` : shown;
}
/** C0/C1 controls, line/paragraph separators, bidi embeddings/overrides/isolates, BOM. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]/u;
