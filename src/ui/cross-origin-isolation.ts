/**
 * Makes the page cross-origin isolated where the host does not send COOP/COEP, so tfjs's WASM
 * backend can use threads: registers public/coi-sw.js, which adds the headers, and reloads once
 * when it takes control (a page's isolation is fixed when it loads). Nothing happens when the page
 * is isolated already, or when another service worker controls it (we never replace one).
 */
const SCRIPT = 'coi-sw.js';
/** Set before our one reload, so a browser that still will not isolate never reloads in a loop. */
const RELOADED_KEY = 'tab-trainer:coi-reloaded';

export async function isolateWithServiceWorker(): Promise<void> {
  if (self.crossOriginIsolated || !('serviceWorker' in navigator) || !self.isSecureContext) return;
  const container = navigator.serviceWorker;
  const controller = container.controller;
  if (controller && !controller.scriptURL.endsWith(`/${SCRIPT}`)) {
    console.warn(`Not cross-origin isolated, and ${controller.scriptURL} controls this page: WASM runs on one thread. Serve COOP/COEP headers (docs/hosting.md).`);
    return;
  }
  if (controller) {
    // Ours controls the page and it is still not isolated: the browser does not honour it here.
    console.warn('Not cross-origin isolated even under coi-sw.js: WASM runs on one thread.');
    return;
  }
  if (sessionStorage.getItem(RELOADED_KEY)) {
    console.warn('coi-sw.js was installed but does not control this page after a reload: WASM runs on one thread.');
    return;
  }
  try {
    await container.register(`${import.meta.env.BASE_URL}${SCRIPT}`);
  } catch (e) {
    console.warn('Could not register coi-sw.js (cross-origin isolation for WASM threads):', e);
    return;
  }
  container.addEventListener('controllerchange', () => {
    sessionStorage.setItem(RELOADED_KEY, '1');
    location.reload();
  });
}
