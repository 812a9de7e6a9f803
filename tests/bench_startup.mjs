// Benchmark (not a test): time until the app is ready (performance.mark('app-ready')) on an
// emulated 360x800 phone with the CPU throttled x4 and a slow-4G network, for a first visit and
// an offline reload from the service worker. Run: cargo xtask bench startup
import { Server, launch, page, signIn, tempDir, waitForServiceWorker, sleep } from './harness.mjs';

// Lighthouse's "slow 4G": 150 ms RTT, 1.6 Mbit/s down, 750 kbit/s up.
const SLOW_4G = { offline: false, latency: 150, downloadThroughput: (1.6 * 1024 * 1024) / 8, uploadThroughput: (750 * 1024) / 8 };
const RUNS = Number(process.env.RUNS ?? 5);

async function readyTime(p) {
  await p.waitForFunction(() => performance.getEntriesByName('app-ready').length > 0, null, { timeout: 60_000 });
  return p.evaluate(() => performance.getEntriesByName('app-ready')[0].startTime);
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

const server = await (await Server.create()).start();
const first = [];
const offline = [];
try {
  for (let i = 0; i < RUNS; i++) {
    const ctx = await launch(tempDir('bench'));
    const p = await page(ctx);
    const cdp = await ctx.newCDPSession(p);
    await cdp.send('Network.enable');
    await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
    await cdp.send('Emulation.setCPUThrottlingRate', { rate: 4 });
    await cdp.send('Network.emulateNetworkConditions', SLOW_4G);
    await p.goto(server.url);
    first.push(await readyTime(p));

    await cdp.send('Network.setCacheDisabled', { cacheDisabled: false });
    await cdp.send('Network.emulateNetworkConditions', { ...SLOW_4G, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
    await signIn(p, server.url, 'totruong');
    await waitForServiceWorker(p);
    await cdp.send('Network.emulateNetworkConditions', { offline: true, latency: 0, downloadThroughput: 0, uploadThroughput: 0 });
    await sleep(200);
    await p.reload();
    offline.push(await readyTime(p));
    await ctx.close();
  }
} finally {
  await server.kill();
}
const fmt = (xs) => `median ${median(xs).toFixed(0)} ms (runs: ${xs.map((x) => x.toFixed(0)).join(', ')})`;
console.log(`app-ready, 360x800 phone, CPU x4, slow 4G (150 ms RTT, 1.6 Mbit/s):`);
console.log(`  first visit:    ${fmt(first)}   target ≤ 2000 ms`);
console.log(`  offline reload: ${fmt(offline)}   target ≤ 300 ms (signed in, served by the service worker)`);
