/**
 * Reads an uploaded file in a throwaway worker (read-worker.ts) that an AbortSignal terminates:
 * a cancelled read stops at once, whatever the decoder is doing, and its result is never used.
 */
import type { DecodedBundle } from '../bundle';
import { BundleError } from '../shared/errors';

/** An upload the user cancelled: not a failure (the UI shows no error for `AbortError`). */
export class UploadCancelledError extends Error {
  override readonly name = 'AbortError';
}

/** The reason every cancelled upload rejects with. */
export const cancelled = (fileName: string) => new UploadCancelledError(`Reading ${fileName} was cancelled.`);

/**
 * Decodes `bytes` (transferred, so the caller must not use them afterwards) off this thread.
 * @throws BundleError from the reader, or UploadCancelledError once `signal` aborts
 */
export function readInWorker(fileName: string, bytes: Uint8Array, signal?: AbortSignal): Promise<DecodedBundle> {
  if (signal?.aborted) return Promise.reject(cancelled(fileName));
  const worker = new Worker(new URL('./read-worker.ts', import.meta.url), { type: 'module', name: `read ${fileName}` });
  return new Promise<DecodedBundle>((resolve, reject) => {
    const done = () => {
      worker.terminate();
      signal?.removeEventListener('abort', onAbort);
    };
    const onAbort = () => {
      done();
      reject(cancelled(fileName));
    };
    signal?.addEventListener('abort', onAbort);
    worker.onmessage = (e: MessageEvent<{ ok: DecodedBundle } | { error: { name: string; message: string } }>) => {
      done();
      if ('ok' in e.data) return resolve(e.data.ok);
      const { name, message } = e.data.error;
      reject(name === 'BundleError' ? new BundleError(message) : Object.assign(new Error(message), { name }));
    };
    worker.onerror = (e) => {
      done();
      // An out-of-memory or similar crash of the reader: the file, not the app, is at fault.
      reject(new BundleError(`Refused ${fileName}: reading it failed (${e.message || 'the reader stopped'}); it is too large or malformed for this browser. Nothing was loaded.`));
    };
    worker.postMessage({ fileName, bytes }, [bytes.buffer as ArrayBuffer]);
  });
}
