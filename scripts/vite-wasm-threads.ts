/**
 * Lets tfjs-backend-wasm's threaded SIMD build start its pthread workers from our bundled module
 * worker.
 *
 * Why it fails without this: tfjs hands each pthread worker the Emscripten glue as a Blob made from
 * `wasmFactoryThreadedSimd.toString()` (tfjs-backend-wasm/src/backend_wasm.ts, `init`), which the
 * worker loads with importScripts. That works only while the factory's source is self-contained.
 * In our bundle it is not: the glue's factory reads `_scriptDir`, a variable of the IIFE around it;
 * the minifier renames it (to `e`) and, seeing it declared, drops the `typeof` guard. In the pthread
 * worker only the inner function exists, so it throws "ReferenceError: e is not defined" and the
 * pool never starts: the app hung at "Measuring backends…" when served cross-origin isolated.
 *
 * The fix: pthread workers import the glue exactly as tfjs ships it (copied next to the .wasm files
 * by scripts/build-digits.mjs), by URL, instead of the minified function's text. The bundled glue
 * still runs in our worker; both come from the same file of the same package version.
 */
import type { Plugin } from 'vite';

/** The glue file name, served from setWasmPaths' prefix (public/tfjs-wasm/). */
export const THREADED_GLUE = 'tfjs-backend-wasm-threaded-simd.js';

const BLOB_SOURCE = /factoryConfig\.mainScriptUrlOrBlob\s*=\s*new Blob\(\[`var WasmBackendModuleThreadedSimd = `\s*\+\s*wasmFactoryThreadedSimd\.toString\(\)\],\s*\{\s*type:\s*'text\/javascript'\s*\}\);/;

/** Rewrites tfjs-backend-wasm's backend_wasm.js; throws if tfjs changed so the rewrite cannot apply. */
export function patchBackendWasm(code: string): string {
  if (!BLOB_SOURCE.test(code)) {
    throw new Error(
      'tfjs-backend-wasm changed: scripts/vite-wasm-threads.ts no longer finds where init() builds the pthread glue Blob. Check that threaded WASM still starts in a worker, then update or remove the plugin.',
    );
  }
  return code.replace(BLOB_SOURCE, `factoryConfig.mainScriptUrlOrBlob = (wasmPathPrefix ?? '') + '${THREADED_GLUE}';`);
}

const TARGET = /@tensorflow[\\/]tfjs-backend-wasm[\\/]dist[\\/]backend_wasm\.js$/;

/** For Vite's build and for its dependency pre-bundling in dev (rolldown takes the same hook). */
export function wasmThreadsPlugin(): Plugin {
  return {
    name: 'tab-trainer:tfjs-wasm-threads',
    transform(code, id) {
      if (!TARGET.test(id.split('?')[0])) return null;
      return { code: patchBackendWasm(code), map: null };
    },
  };
}

/**
 * What makes a page cross-origin isolated, so SharedArrayBuffer (and WASM threads) exist. Every
 * response needs them: a worker script without COEP starts a worker that is not isolated.
 */
export const CROSS_ORIGIN_ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
} as const;
