/**
 * Errors for the bundle codecs. BundleError lives in src/shared/errors.ts (Comlink keeps only
 * `name`, `message` and `stack`, so callers branch on `name === 'BundleError'` and every message
 * must say what happened and what to do).
 */
export { BundleError } from '../shared/errors';

/** What every refusal message ends with: nothing from the file reached the caller. */
export const NOTHING_LOADED = 'Nothing was loaded.';
