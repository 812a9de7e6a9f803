// Benchmark (not a test): on an emulated 360x800 phone with the CPU throttled x4 and a slow-4G
// link, next to a trivial static page measured in the same run: a first visit until the user
// can sign in (performance.mark('signin-ready'): the page's sign-in form takes typing and a
// press of "Đăng nhập", which signs in once the app is there; public/boot.js) and until the
// app itself runs (performance.mark('app-ready')), and an offline reload of a signed-in phone
// from the service worker until its home is drawn (app-ready). Run: cargo xtask bench startup
//
// The link is throttled by a proxy in front of the server, not by the page's DevTools network
// emulation: that one does not slow the service worker's own requests (its precache at install
// competes with the page for the same link on a real phone), this one slows every byte.
import http from 'node:http';
import { Server, launch, page, signIn, tempDir, sleep } from './harness.mjs';

// Lighthouse's "slow 4G": 150 ms RTT, 1.6 Mbit/s down, 750 kbit/s up.
const RTT_MS = 150;
const DOWN_BYTES_PER_MS = (1.6 * 1024 * 1024) / 8 / 1000;
const RUNS = Number(process.env.RUNS ?? 5);

/**
 * A slow link to `port`: each request waits one round trip before it is sent on, and every
 * response byte of every request shares one downlink of DOWN_BYTES_PER_MS, as on a phone.
 * Bytes pass as the server sent them (brotli stays brotli).
 */
async function slowLink(port) {
  let linkFreeAt = 0;
  const proxy = http.createServer(async (req, res) => {
    // The request is read whole first (a sign-in or a push is small), then sent on after the
    // round trip.
    const parts = [];
    for await (const c of req) parts.push(c);
    const body = Buffer.concat(parts);
    setTimeout(() => {
      // A fresh connection per request: a kept-alive one the server has just closed as idle
      // would fail the request (a reset the phone would not see).
      const up = http.request({ host: '127.0.0.1', port, method: req.method, path: req.url, headers: req.headers, agent: false }, (upRes) => {
        res.writeHead(upRes.statusCode, upRes.headers);
        // Chunks leave in order, each when the shared downlink has carried the ones before it.
        let queue = Promise.resolve();
        const later = (ms) => new Promise((r) => setTimeout(r, ms));
        upRes.on('data', (chunk) => {
          const now = performance.now();
          linkFreeAt = Math.max(now, linkFreeAt) + chunk.length / DOWN_BYTES_PER_MS;
          const at = linkFreeAt;
          queue = queue.then(() => later(at - performance.now())).then(() => { res.write(chunk); });
        });
        upRes.on('end', () => { queue = queue.then(() => res.end()); });
      });
      up.on('error', () => res.socket?.destroy());
      up.end(body);
    }, RTT_MS);
  });
  await new Promise((r) => proxy.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${proxy.address().port}`, close: () => { proxy.closeAllConnections(); proxy.close(); } };
}

/** The trivial page: a title and a paragraph, nothing else. */
async function trivialServer() {
  const html = '<!doctype html><html lang="vi"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Trang tĩnh</title></head><body><h1>Sổ tay</h1><p>Trang tĩnh để so sánh.</p></body></html>';
  const s = http.createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache' });
    res.end(html);
  });
  await new Promise((r) => s.listen(0, '127.0.0.1', r));
  return { port: s.address().port, close: () => s.close() };
}

async function markTime(p, name) {
  await p.waitForFunction((name) => performance.getEntriesByName(name).length > 0, name, { timeout: 120_000 });
  return p.evaluate((name) => performance.getEntriesByName(name)[0].startTime, name);
}

async function loadTime(p) {
  await p.waitForFunction(() => performance.getEntriesByType('navigation')[0]?.loadEventEnd > 0, null, { timeout: 60_000 });
  return p.evaluate(() => performance.getEntriesByType('navigation')[0].loadEventEnd);
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function phone() {
  const ctx = await launch(tempDir('bench'));
  const p = await page(ctx);
  const cdp = await ctx.newCDPSession(p);
  await cdp.send('Network.enable');
  await cdp.send('Emulation.setCPUThrottlingRate', { rate: 4 });
  if (process.env.DEBUG) p.on('console', (m) => console.error('console', m.type(), m.text()));
  return { ctx, p, cdp };
}

const server = await (await Server.create()).start();
const trivial = await trivialServer();
const first = [];
const firstApp = [];
const offline = [];
const plain = [];
try {
  for (let i = 0; i < RUNS; i++) {
    // The trivial page, over its own slow link.
    {
      const link = await slowLink(trivial.port);
      const { ctx, p } = await phone();
      await p.goto(link.url);
      plain.push(await loadTime(p));
      await ctx.close();
      link.close();
    }
    // The app: first visit, then (signed in, the service worker installed) an offline reload.
    const link = await slowLink(server.port);
    const { ctx, p, cdp } = await phone();
    await p.goto(link.url);
    first.push(await markTime(p, 'signin-ready'));
    firstApp.push(await markTime(p, 'app-ready'));
    await signIn(p, link.url, 'totruong');
    // The worker precaches over the same slow link, then is active: a reload is served by it
    // (whether or not it has claimed this page: it registers once the app runs, and the
    // sign-in's navigation may have started while it was still installing).
    await p.waitForFunction(async () => (await navigator.serviceWorker.ready).active?.state === 'activated', null, { timeout: 120_000 }).catch(async (e) => {
      console.error(await p.evaluate(async () => { const r = await navigator.serviceWorker.getRegistration(); return JSON.stringify({ r: !!r, active: r?.active?.state, waiting: r?.waiting?.state, installing: r?.installing?.state, url: location.href }); }));
      throw e;
    });
    await cdp.send('Network.emulateNetworkConditions', { offline: true, latency: 0, downloadThroughput: 0, uploadThroughput: 0 });
    link.close();
    await sleep(200);
    await p.reload();
    offline.push(await markTime(p, 'app-ready'));
    await ctx.close();
  }
} finally {
  trivial.close();
  await server.kill();
}
const fmt = (xs) => `median ${median(xs).toFixed(0)} ms (runs: ${xs.map((x) => x.toFixed(0)).join(', ')})`;
const ratio = median(first) / median(plain);
console.log('360x800 phone, CPU x4, slow 4G (150 ms RTT, 1.6 Mbit/s) for every request, the service worker\'s included:');
console.log(`  trivial static page (load):            ${fmt(plain)}`);
console.log(`  phone first visit, sign-in form works:  ${fmt(first)}   ${ratio.toFixed(1)}× the trivial page, target ≤ 2.5×`);
console.log(`  phone first visit, app running:         ${fmt(firstApp)}   ${(median(firstApp) / median(plain)).toFixed(1)}× the trivial page`);
console.log(`  phone offline reload, home drawn:       ${fmt(offline)}   target ≤ 300 ms (signed in, served by the service worker)`);
