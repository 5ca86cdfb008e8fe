import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, dirname } from 'node:path';
import { describe, expect, it } from 'vitest';
import { patchBackendWasm, THREADED_GLUE } from './vite-wasm-threads';

const pkgDir = dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/package.json'));

describe('patchBackendWasm', () => {
  it("points tfjs's pthread workers at the glue file instead of the bundled factory's text", () => {
    const original = readFileSync(join(pkgDir, 'dist', 'backend_wasm.js'), 'utf8');
    expect(original).toContain('wasmFactoryThreadedSimd.toString()');
    const patched = patchBackendWasm(original);
    expect(patched).not.toContain('wasmFactoryThreadedSimd.toString()');
    expect(patched).toContain(`factoryConfig.mainScriptUrlOrBlob = (wasmPathPrefix ?? '') + '${THREADED_GLUE}';`);
    // The file the URL names ships with the package (scripts/build-digits.mjs copies it).
    expect(readFileSync(join(pkgDir, 'wasm-out', THREADED_GLUE), 'utf8')).toMatch(/^\s*var WasmBackendModuleThreadedSimd = /);
  });

  it('fails the build, saying what to check, when tfjs changed', () => {
    expect(() => patchBackendWasm('export function init() {}')).toThrow(/tfjs-backend-wasm changed: .*pthread glue/);
  });
});
