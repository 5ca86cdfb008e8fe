/*
 * Cross-origin isolation for static hosts that cannot set response headers (GitHub Pages, say):
 * this service worker re-serves every same-origin response with COOP same-origin and COEP
 * require-corp, which is what lets tfjs's WASM backend use threads (SharedArrayBuffer).
 * src/ui/cross-origin-isolation.ts registers it only when the page is not isolated already, so on a
 * host that sends the headers (docs/hosting.md) it is never installed. Cross-origin requests are
 * left alone: the app makes none.
 */
self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (new URL(request.url).origin !== self.location.origin) return;
  event.respondWith(
    fetch(request).then((response) => {
      if (response.type === 'opaque' || response.status === 0) return response;
      const headers = new Headers(response.headers);
      headers.set('Cross-Origin-Opener-Policy', 'same-origin');
      headers.set('Cross-Origin-Embedder-Policy', 'require-corp');
      return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
    }),
  );
});
