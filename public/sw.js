// Wardbook's service worker: the app shell from the cache, so the app opens with no network.
// Records, drafts and forms live in IndexedDB, never here, so an update cannot lose them.
// Two caches: the phone app, precached at install, and the desk app, cached only on devices
// that asked for it (a desk role signed in, or a desk page was opened).
const VERSION = '__VERSION__';
const PRECACHE = __PRECACHE__;
const DESK = __DESK__;
const CACHE = `wardbook-shell-${VERSION}`;
const DESK_CACHE = `wardbook-desk-${VERSION}`;

async function cacheDesk() {
  const cache = await caches.open(DESK_CACHE);
  const missing = [];
  for (const path of DESK) if (!(await cache.match(path))) missing.push(path);
  if (missing.length) await cache.addAll(missing);
}

// Only this version's caches answer: a build waiting to take over must not leak into a page
// the running build serves. The desk cache is never created by a lookup (its existence marks a
// device that uses the desk).
async function cached(request) {
  const hit = await (await caches.open(CACHE)).match(request);
  if (hit || !(await caches.has(DESK_CACHE))) return hit;
  return (await caches.open(DESK_CACHE)).match(request);
}

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    await (await caches.open(CACHE)).addAll(PRECACHE);
    // A device that had the desk keeps it across updates.
    // Best effort: a desk file that fails to download must not hold back the phone's update
    // (activate tries again).
    const keys = await caches.keys();
    if (keys.some((k) => k.startsWith('wardbook-desk-'))) await cacheDesk().catch(() => {});
  })());
  // No skipWaiting here: a running app switches builds only when its user says so.
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    const keys = await caches.keys();
    // The desk was asked for after this build installed (its message went to the older worker):
    // keep it on this device under this version before the old copy goes.
    const hadDesk = keys.some((k) => k.startsWith('wardbook-desk-'));
    if (hadDesk && !keys.includes(DESK_CACHE)) await cacheDesk().catch(() => {});
    for (const key of keys) {
      const ours = key.startsWith('wardbook-shell-') || key.startsWith('wardbook-desk-');
      if (ours && key !== CACHE && key !== DESK_CACHE) await caches.delete(key);
    }
    await self.clients.claim();
  })());
});

self.addEventListener('message', (event) => {
  if (event.data === 'skip-waiting') self.skipWaiting();
  if (event.data === 'cache-desk') event.waitUntil(cacheDesk());
});

function isDesk(url) {
  return url.pathname === '/desk' || url.pathname.startsWith('/desk/');
}

self.addEventListener('fetch', (event) => {
  const request = event.request;
  const url = new URL(request.url);
  // The API always goes to the network: the app's sync engine handles being offline.
  if (request.method !== 'GET' || url.origin !== self.location.origin || url.pathname.startsWith('/api/')) return;
  if (request.mode === 'navigate') {
    event.respondWith((async () => {
      if (isDesk(url)) {
        const desk = await cached('/desk.html');
        if (desk) return desk;
        // Not cached here: from the server, or (offline) the phone app, which says so.
        try {
          return await fetch(request);
        } catch (e) {
          return (await cached('/index.html')) || Response.error();
        }
      }
      return (await cached('/index.html')) || fetch(request);
    })());
    return;
  }
  event.respondWith((async () => (await cached(request)) || fetch(request))());
});
