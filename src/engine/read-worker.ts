/**
 * A throwaway worker that reads one uploaded file with the restricted reader (decodeCheckpointBundle)
 * and posts the decoded value back. It runs apart from the engine worker so that cancelling an
 * upload can terminate it mid-read (a decode is synchronous and cannot be interrupted otherwise),
 * and so that a hostile file costs this worker, never the engine's live run.
 *
 * In:  { fileName: string, bytes: Uint8Array }            (bytes transferred)
 * Out: { ok: DecodedBundle } | { error: { name, message } }
 */
import { decodeCheckpointBundle } from '../bundle';

self.onmessage = (e: MessageEvent<{ fileName: string; bytes: Uint8Array }>) => {
  const { fileName, bytes } = e.data;
  try {
    self.postMessage({ ok: decodeCheckpointBundle(bytes, fileName) });
  } catch (err) {
    // Only name and message cross; the engine rebuilds a BundleError from them.
    const { name, message } = err instanceof Error ? err : new Error(String(err));
    if (name !== 'BundleError') console.error(`Reading ${fileName} failed:`, err);
    self.postMessage({ error: { name, message } });
  }
};
