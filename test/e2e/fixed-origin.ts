/**
 * The app at one fixed origin, whatever port the preview server has. IndexedDB belongs to an origin
 * (scheme, host and port), so a stored Chromium profile shows its data only at the origin it was made
 * at, while the preview port differs between CI (4173) and helpers (PREVIEW_PORT).
 *
 * Chromium's own resolver maps the fixed host to the preview server, port included
 * (`--host-resolver-rules`), so every request goes there: the page's, the training worker's, and the
 * nested worker that reads an upload. Playwright's `context.route` does not do for this: it never
 * sees the nested worker's script request, which then fails (net::ERR_ABORTED, Chromium 156,
 * Playwright 1.65), and an upload is refused with "the reader stopped".
 *
 * `*.localhost` is a secure context in Chromium, as 127.0.0.1 is, and the app needs one (Web Locks,
 * crypto.randomUUID); a made-up `.test` host would not be.
 */
import { chromium, type BrowserContext, type Page } from '@playwright/test';
import { chromiumArgs, chromiumPath, previewPort } from '../../playwright.config';

const FIXED_HOST = 'tab-trainer.localhost';
export const FIXED_ORIGIN = `http://${FIXED_HOST}`;

/** Chromium on the profile in `profileDir` (made if empty), as the e2e tests launch it, with FIXED_ORIGIN served by the preview. */
export async function launchAtFixedOrigin(profileDir: string): Promise<{ context: BrowserContext; page: Page }> {
  const context = await chromium.launchPersistentContext(profileDir, {
    executablePath: chromiumPath,
    headless: true,
    args: ['--headless=new', ...chromiumArgs, `--host-resolver-rules=MAP ${FIXED_HOST} 127.0.0.1:${previewPort}`],
    baseURL: FIXED_ORIGIN,
    acceptDownloads: true,
  });
  const page = context.pages()[0] ?? (await context.newPage());
  return { context, page };
}
