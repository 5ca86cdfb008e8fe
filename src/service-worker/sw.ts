/**
 * The app's one service worker (vite-plugin-pwa builds it with the `injectManifest` strategy, which
 * writes the build's file list into `self.__WB_MANIFEST`). It does two jobs at the same scope:
 *
 * - Offline: it precaches the app, its workers, the tfjs .wasm binaries and data/digits.bin, and
 *   answers from that cache first (a navigation gets index.html).
 * - Cross-origin isolation on hosts that cannot send headers (docs/hosting.md): every same-origin
 *   response it serves carries COOP same-origin and COEP require-corp, so tfjs's WASM can use threads.
 *   src/ui/cross-origin-isolation.ts reloads the page once when this worker first takes control.
 *
 * Updates: a new version installs beside the running one and waits (no skipWaiting on install) until
 * the page posts SKIP_WAITING, which src/ui/UpdatePrompt.svelte does only when the user presses
 * Reload (after pausing a run and flushing its checkpoint).
 */
export {}; // a module, so `self` below is this file's own declaration

declare const self: ServiceWorkerGlobalScope & { __WB_MANIFEST: { url: string; revision: string | null }[] };

const CACHE = 'tab-trainer-app';
const ISOLATION_HEADERS = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };

/** Absolute URL of each precached file (no query) -> its cache key, which carries the build's revision. */
const precached = new Map(
  self.__WB_MANIFEST.map((e) => {
    const url = new URL(e.url, self.registration.scope);
    const key = new URL(url);
    if (e.revision) key.searchParams.set('__rev', e.revision);
    return [url.href, key.href] as const;
  }),
);
const indexUrl = new URL('index.html', self.registration.scope).href;

self.addEventListener('install', (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE);
      for (const [url, key] of precached) {
        if (await cache.match(key)) continue; // unchanged since the version before
        const response = await fetch(url, { cache: 'reload' });
        if (!response.ok) throw new Error(`Precaching ${url} failed: HTTP ${response.status}`);
        await cache.put(key, response);
      }
    })(),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      // Files of older versions go only now: until this version took over, the old one served them.
      const cache = await caches.open(CACHE);
      const current = new Set(precached.values());
      for (const request of await cache.keys()) if (!current.has(request.url)) await cache.delete(request);
      // The first install takes the open page at once, so it can reload isolated (and works offline).
      await self.clients.claim();
    })(),
  );
});

self.addEventListener('message', (event) => {
  if ((event.data as { type?: unknown } | null)?.type === 'SKIP_WAITING') void self.skipWaiting();
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return; // the app loads nothing from other origins
  url.search = '';
  url.hash = '';
  const key = request.mode === 'navigate' ? precached.get(indexUrl) : precached.get(url.href);
  event.respondWith(respond(request, key));
});

/** The precached copy when there is one (the network if it went missing), else the network; isolated either way. */
async function respond(request: Request, key: string | undefined): Promise<Response> {
  const cached = key ? await caches.match(key, { cacheName: CACHE }) : undefined;
  return isolated(cached ?? (await fetch(request)));
}

function isolated(response: Response): Response {
  if (response.type === 'opaque' || response.type === 'opaqueredirect' || response.status === 0) return response;
  const headers = new Headers(response.headers);
  for (const [name, value] of Object.entries(ISOLATION_HEADERS)) headers.set(name, value);
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}
