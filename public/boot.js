// Starts a front end (the phone app or the desk; the build fills in the hashed names) and keeps
// the service worker current. Both pages share the one worker.
import init from './__APP_JS__';

function announceUpdate() {
  window.wardbookUpdateReady = true;
  window.dispatchEvent(new Event('wardbook-update'));
}

async function registerServiceWorker() {
  if (!('serviceWorker' in navigator)) return;
  const reg = await navigator.serviceWorker.register('/sw.js');
  // A new build installed while an old one controls the page: tell the user, let them choose.
  if (reg.waiting && navigator.serviceWorker.controller) announceUpdate();
  reg.addEventListener('updatefound', () => {
    const worker = reg.installing;
    if (!worker) return;
    worker.addEventListener('statechange', () => {
      if (worker.state === 'installed' && navigator.serviceWorker.controller) announceUpdate();
    });
  });
  let reloading = false;
  window.wardbookApplyUpdate = () => {
    if (!reg.waiting) {
      location.reload();
      return;
    }
    navigator.serviceWorker.addEventListener('controllerchange', () => {
      if (reloading) return;
      reloading = true;
      location.reload();
    });
    reg.waiting.postMessage('skip-waiting');
  };
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') reg.update().catch(() => {});
  });
}

// The desk asks for its files to be kept offline (desk roles, or whoever opens a desk page).
window.wardbookCacheDesk = () => {
  if (!('serviceWorker' in navigator)) return;
  navigator.serviceWorker.ready
    // Every worker of the registration: one waiting to take over keeps the desk too.
    .then((reg) => [reg.active, reg.waiting, reg.installing].forEach((w) => w && w.postMessage('cache-desk')))
    .catch((e) => console.warn('desk not cached', e));
};

// The worker registers once the app is running: its install downloads the whole app again for
// the cache, and on a first visit over a slow link that must not compete with the app itself.
// (A failed start still registers it, and still reports its own error.)
init({ module_or_path: new URL('./__APP_WASM__', import.meta.url) }).finally(() => {
  registerServiceWorker().catch((e) => console.warn('service worker not registered', e));
});
