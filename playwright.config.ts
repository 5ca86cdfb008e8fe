import { defineConfig } from '@playwright/test';

/** Debian's Chromium by default; point CHROMIUM_PATH at another build. Never downloads a browser. */
export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const chromiumArgs = [
  '--enable-unsafe-webgpu',
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

/** Preview port; helpers working in parallel clones each pick their own with PREVIEW_PORT. */
export const previewPort = Number(process.env.PREVIEW_PORT ?? 4173);
export const previewOrigin = `http://127.0.0.1:${previewPort}`;

export default defineConfig({
  testDir: 'test',
  testMatch: ['browser/**/*.e2e.ts', 'e2e/**/*.e2e.ts'],
  timeout: 180_000,
  expect: { timeout: 60_000 },
  fullyParallel: false,
  workers: 2,
  retries: 0,
  reporter: [['list']],
  use: {
    baseURL: previewOrigin,
    headless: true,
    launchOptions: { executablePath: chromiumPath, args: ['--headless=new', ...chromiumArgs] },
    trace: 'off',
  },
  // The test build (`npm run build:test`): the production one in dist/ has no test hooks.
  webServer: {
    command: `npx vite preview --outDir dist-test --port ${previewPort} --strictPort --host 127.0.0.1`,
    url: previewOrigin,
    reuseExistingServer: !process.env.CI,
    timeout: 60_000,
  },
});
