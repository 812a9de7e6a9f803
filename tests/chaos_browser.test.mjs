// The fault-injection run's part in the real app (cargo xtask chaos drives simulated phones;
// this drives the app in Chromium): reports with photos are filed while, at a random request of
// their sync (seeded, so a failure replays), the page is reloaded, the browser closed and opened
// again, or the server killed before or after it answers. In the end the server holds every
// report exactly once and every photo whole.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import {
  Proxy, Server, jpeg, launch, page, signIn, tempDir, until, waitForServiceWorker, waitForWaiting,
} from './harness.mjs';

const SEED = Number(process.env.WARDBOOK_CHAOS_SEED ?? 20261206);
const ROUNDS = 16;
const ACTIONS = ['reload', 'close the browser', 'kill before the answer', 'kill after the answer'];

/** SplitMix64's little sibling: a seeded generator, so a failing run can be replayed. */
function rng(seed) {
  let s = seed >>> 0;
  return (n) => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) % n);
  };
}

/** The requests that carry what the phone holds: pushes and photo chunks. */
function carriesData(req) {
  return req.url === '/api/sync/push' || (req.method === 'PUT' && req.url.startsWith('/api/photos/'));
}

test(`reports with photos survive reloads, closed browsers and server kills mid-sync (seed ${SEED})`, async () => {
  const server = await (await Server.create()).start();
  const proxy = await new Proxy(server).start();
  const profile = tempDir('phone');
  let phone = null;
  const draw = rng(SEED);
  const done = [];
  const faults = [];
  try {
    phone = await launch(profile);
    let p = await page(phone);
    await signIn(p, proxy.url, 'totruong');
    await waitForServiceWorker(p);

    // One fault per round, at the `at`-th request carrying data after it is armed.
    let armed = null;
    proxy.intercept = async (req, body, forward, res) => {
      if (!armed || armed.taken || !carriesData(req)) return 'forward';
      armed.seen += 1;
      if (armed.seen < armed.at) return 'forward';
      const fault = armed;
      fault.taken = true;
      if (fault.action === 'kill before the answer') {
        await server.kill();
      } else {
        // The server takes it (and commits); the phone never hears the answer.
        await forward();
        if (fault.action === 'kill after the answer') await server.kill();
      }
      res.socket.destroy();
      // Only now, with the server down if it is to be: the test goes on from here.
      fault.fired = `${req.method} ${req.url.split('?')[0]}`;
      return 'handled';
    };

    for (let round = 0; round < ROUNDS; round++) {
      const action = ACTIONS[draw(ACTIONS.length)];
      armed = { action, at: 1 + draw(3), seen: 0, taken: false, fired: null };
      const location = `Chaos vòng ${round + 1}, ngõ ${10 + round}`;
      await p.getByTestId('new-report').click();
      await p.getByLabel('Trộm cắp').check();
      await p.getByLabel('Khẩn', { exact: true }).check();
      await p.getByLabel('Địa điểm').fill(location);
      await p.getByLabel('Nội dung sự việc').fill(`Vòng ${round + 1}: ${action}.`);
      await p.locator('#f-photos').setInputFiles(await jpeg(p, SEED % 97 + round));
      await p.locator('.field:has(#f-photos-label) img.thumb').first().waitFor();
      await p.getByTestId('submit').click();
      await p.getByTestId('new-report').waitFor();
      done.push(location);

      // A round whose report went through in fewer requests than drawn has no fault: its
      // report is synced, the phone idle, and the fault disarmed.
      const fired = await until(
        async () => armed.fired || ((await synced(p)) && 'nothing'),
        `round ${round + 1}: its fault (${action}) or the sync's end`,
        60_000,
      );
      if (fired === 'nothing') {
        armed = null;
        continue;
      }
      faults.push(`${action} at ${fired}`);
      if (action === 'reload') {
        await p.reload();
      } else if (action === 'close the browser') {
        await phone.close();
        phone = await launch(profile);
        p = await page(phone);
        await p.goto(proxy.url);
      } else {
        await server.start();
      }
      await p.getByTestId('new-report').waitFor({ timeout: 30_000 });
      armed = null;
    }

    console.log(`${faults.length} faults: ${faults.join('; ')}`);
    // Most rounds met their fault (a round's report and photo take at least two requests).
    assert.ok(faults.length >= ROUNDS / 2, `only ${faults.length} faults: ${faults.join('; ')}`);

    // Nothing in the way any more: everything drains.
    await p.getByRole('button', { name: 'Gửi ngay' }).click();
    await waitForWaiting(p, 0, 120_000);
    await p.getByTestId('photos-waiting').waitFor({ state: 'detached', timeout: 120_000 });

    const boss = await server.login('truongcong');
    const { body: list } = await server.api(boss, '/api/records?limit=200');
    for (const location of done) {
      const mine = list.filter((r) => r.headline.includes(location));
      assert.equal(mine.length, 1, `"${location}" is stored once`);
      assert.equal(mine[0].photos_missing, 0, `"${location}" has its photo`);
      const { body: detail } = await server.api(boss, `/api/records/${mine[0].id}`);
      const photos = detail.data.photos;
      assert.equal(photos.length, 1, `"${location}" names one photo`);
      const res = await fetch(`${server.url}/api/photos/${photos[0].sha256}`, { headers: { authorization: `Bearer ${boss}` } });
      assert.equal(res.status, 200);
      const bytes = Buffer.from(await res.arrayBuffer());
      assert.equal(bytes.length, photos[0].bytes, `"${location}": the whole photo`);
      assert.equal(crypto.createHash('sha256').update(bytes).digest('hex'), photos[0].sha256, `"${location}": byte for byte`);
    }
  } finally {
    await phone?.close();
    await proxy.stop();
    await server.kill();
  }
});

/** Whether the phone has sent everything: no sync running, no record or photo waiting. */
async function synced(p) {
  return p.evaluate(() => {
    const b = document.querySelector('.syncbar button');
    return b !== null && !b.disabled
      && document.querySelector('[data-testid=waiting-count]')?.textContent === '0'
      && document.querySelector('[data-testid=photos-waiting]') === null;
  });
}
