// Starts a front end (the phone app or the desk; the build fills in the hashed names) and keeps
// the service worker current. Both pages share the one worker.
//
// This script runs before the app's own files have arrived (they are imported below, not
// above: a static import would hold this script back until they are here).

// The phone page's static shell: for whoever is signed in, "Đang tải…" until the app shows
// their home; for everybody else a sign-in form that works at once. What is typed stays, and a
// press of "Đăng nhập" before the app is there signs in the moment it is (the app takes both
// over: app/src/browser.rs, take_static_shell).
function startShell() {
  const shell = document.getElementById('shell');
  const button = document.getElementById('shell-submit');
  if (!shell || !button) return;
  let english = false;
  let signedIn = false;
  try {
    english = localStorage.getItem('wardbook.lang') === 'en';
    signedIn = localStorage.getItem('wardbook.signed-in') === '1';
  } catch {
    // Storage refused (a private window): Vietnamese, and the form.
  }
  const texts = shell.querySelectorAll('[data-en]');
  for (const el of texts) el.dataset.vi = el.textContent;
  const labelled = shell.querySelectorAll('[data-en-label]');
  for (const el of labelled) el.dataset.viLabel = el.getAttribute('aria-label');
  const showLanguage = () => {
    document.documentElement.lang = english ? 'en' : 'vi';
    for (const el of texts) el.textContent = english ? el.dataset.en : el.dataset.vi;
    for (const el of labelled) el.setAttribute('aria-label', english ? el.dataset.enLabel : el.dataset.viLabel);
    for (const b of shell.querySelectorAll('[data-lang]')) b.setAttribute('aria-pressed', String((b.dataset.lang === 'en') === english));
    if (window.wardbookSignInRequested) button.textContent = button.dataset[english ? 'enBusy' : 'viBusy'];
  };
  showLanguage();
  if (signedIn) return;
  // The language buttons work already; the app reads the choice when it starts.
  for (const b of shell.querySelectorAll('[data-lang]')) {
    b.addEventListener('click', () => {
      english = b.dataset.lang === 'en';
      try {
        localStorage.setItem('wardbook.lang', b.dataset.lang);
      } catch {
        // Not kept; this page still switches.
      }
      showLanguage();
    });
  }
  const username = document.getElementById('shell-username');
  const password = document.getElementById('shell-password');
  const request = () => {
    if (!username.value.trim()) return username.focus();
    if (!password.value) return password.focus();
    window.wardbookSignInRequested = true;
    button.textContent = button.dataset[english ? 'enBusy' : 'viBusy'];
    button.setAttribute('aria-disabled', 'true');
  };
  button.addEventListener('click', request);
  for (const input of [username, password]) {
    input.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') request();
    });
  }
  shell.classList.add('signin');
  shell.removeAttribute('aria-busy');
  // The app could not start (the connection dropped during its download): an early press
  // must not look as if it were still signing in.
  shellFailed = () => {
    window.wardbookSignInRequested = false;
    button.removeAttribute('aria-disabled');
    showLanguage();
    document.getElementById('shell-failed').hidden = false;
  };
  // For the start-up benchmark: the sign-in form is there and works.
  performance.mark('signin-ready');
}
let shellFailed = () => {};
startShell();

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

// The app's files are fetched once the page has been drawn: on a slow link the page (and its
// working sign-in form) must not wait behind the app's WebAssembly. The glue and the
// WebAssembly then come in parallel, and the WebAssembly compiles while it streams in.
new Promise((resolve) => requestAnimationFrame(resolve))
  .then(() => {
    const wasm = fetch(new URL('./__APP_WASM__', import.meta.url));
    // Reported through init when the glue arrives; not also as an unhandled rejection.
    wasm.catch(() => {});
    return import('./__APP_JS__').then(({ default: init }) => init({ module_or_path: wasm }));
  })
  .catch((e) => {
    shellFailed();
    console.error('Wardbook could not start:', e);
  })
  // The worker registers once the app is running: its install downloads the whole app again
  // for the cache, and on a first visit over a slow link that must not compete with the app
  // itself. (A failed start still registers it.)
  .finally(() => {
    registerServiceWorker().catch((e) => console.warn('service worker not registered', e));
  });
