import { defineConfig } from 'vitest/config';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { VitePWA } from 'vite-plugin-pwa';
import { CROSS_ORIGIN_ISOLATION_HEADERS, wasmThreadsPlugin } from './scripts/vite-wasm-threads.ts';

export default defineConfig({
  plugins: [
    svelte(),
    wasmThreadsPlugin(),
    // One service worker of our own (src/service-worker/sw.ts): it precaches the app, its workers,
    // the tfjs .wasm binaries and data/digits.bin for offline use, and adds COOP/COEP to what it serves
    // (cross-origin isolation on static hosts without headers). 'prompt': a new version waits for the
    // user's Reload (src/ui/UpdatePrompt.svelte).
    VitePWA({
      strategies: 'injectManifest',
      srcDir: 'src/service-worker',
      filename: 'sw.ts',
      registerType: 'prompt',
      injectRegister: false,
      manifest: false, // public/manifest.webmanifest is committed and linked from index.html
      injectManifest: {
        globPatterns: ['**/*.{js,css,html,svg,png,webmanifest,wasm,bin,txt}'],
        maximumFileSizeToCacheInBytes: 16 * 1024 * 1024, // digits.bin is 7.9 MB, the worker chunk 2.4 MB
      },
    }),
  ],
  // Cross-origin isolated, so tfjs's threaded WASM can run (docs/hosting.md gives the headers for
  // other hosts; the service worker adds them where a host cannot).
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
