/**
 * Makes the page cross-origin isolated where the host does not send COOP/COEP, so tfjs's WASM
 * backend can use threads. The app's one service worker (src/service-worker/sw.ts, registered by
 * UpdatePrompt.svelte for offline use) adds the two headers to everything it serves; a page's
 * isolation is fixed when it loads, so this reloads once when that worker first takes control of a
 * page that loaded without it. Nothing happens when the page is isolated already, or when the worker
 * controlled it from the start (an update's Reload is UpdatePrompt's).
 */
/** Set before our one reload, so a browser that still will not isolate never reloads in a loop. */
const RELOADED_KEY = 'tab-trainer:coi-reloaded';

export function reloadIsolatedWhenControlled(): void {
  if (self.crossOriginIsolated || !('serviceWorker' in navigator) || !self.isSecureContext) return;
  const container = navigator.serviceWorker;
  if (container.controller) {
    console.warn(`Not cross-origin isolated even under the service worker (${container.controller.scriptURL}): WASM runs on one thread.`);
    return;
  }
  if (sessionStorage.getItem(RELOADED_KEY)) {
    console.warn('The service worker was installed but does not control this page after a reload: WASM runs on one thread.');
    return;
  }
  container.addEventListener(
    'controllerchange',
    () => {
      sessionStorage.setItem(RELOADED_KEY, '1');
      location.reload();
    },
    { once: true },
  );
}
