import { defineConfig } from 'vitest/config';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { CROSS_ORIGIN_ISOLATION_HEADERS, wasmThreadsPlugin } from './scripts/vite-wasm-threads.ts';

export default defineConfig({
  plugins: [svelte(), wasmThreadsPlugin()],
  // Cross-origin isolated, so tfjs's threaded WASM can run (docs/hosting.md gives the headers for
  // other hosts; public/coi-sw.js adds them where a host cannot).
  server: { headers: CROSS_ORIGIN_ISOLATION_HEADERS },
  preview: { headers: CROSS_ORIGIN_ISOLATION_HEADERS },
  optimizeDeps: { rolldownOptions: { plugins: [wasmThreadsPlugin()] } },
  worker: { format: 'es', plugins: () => [wasmThreadsPlugin()] },
  build: { target: 'es2022', chunkSizeWarningLimit: 4000 },
  test: {
    include: ['src/**/*.test.ts', 'scripts/**/*.test.ts', 'test/unit/**/*.test.ts'],
    environment: 'node',
    testTimeout: 60_000,
    expect: { requireAssertions: true },
  },
});
