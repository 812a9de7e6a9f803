// The phone app and the desk app are two separate modules: a group leader's phone never
// downloads the desk (not its page, script, WebAssembly or style, not even into the service
// worker's cache), while a supervisor who signs in is taken to the desk, has it cached, and
// opens it again with no network. The desk is laid out for a 1280 px screen: navigation at the
// side, the opened record in a panel beside the list.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DESKTOP, Server, fileReport, launch, page, signIn, tempDir, until, waitForServiceWorker, waitForWaiting,
} from './harness.mjs';

const isDeskFile = (url) => /\/desk(\.html|\/|$)|\/assets\/desk/.test(new URL(url).pathname);

/** The names of the service worker's caches and the paths each holds. */
async function cacheContents(p) {
  return p.evaluate(async () => {
    const out = {};
    for (const key of await caches.keys()) {
      const cache = await caches.open(key);
      out[key] = (await cache.keys()).map((r) => new URL(r.url).pathname);
    }
    return out;
  });
}

test('a group leader phone never downloads the desk app', async () => {
  const server = await (await Server.create()).start();
  const phone = await launch(tempDir('phone'));
  const requested = [];
  phone.on('request', (r) => requested.push(r.url()));
  try {
    const p = await page(phone);
    await signIn(p, server.url, 'totruong');
    await waitForServiceWorker(p);
    await fileReport(p, { location: 'Ngõ 3 Nhật Tân', description: 'Đèn đường hỏng.' });
    await waitForWaiting(p, 0, 30_000);
    await p.reload();
    await p.getByTestId('new-report').waitFor();
    // The phone's home offers no desk page to a group leader.
    assert.equal(await p.locator('a[href^="/desk"]').count(), 0);

    const caches = await cacheContents(p);
    const names = Object.keys(caches);
    assert.ok(names.some((n) => n.startsWith('wardbook-shell-')), `the phone app is cached: ${names}`);
    assert.deepEqual(names.filter((n) => n.startsWith('wardbook-desk-')), [], 'no desk cache');
    const cachedDesk = Object.values(caches).flat().filter((path) => isDeskFile(`http://x${path}`));
    assert.deepEqual(cachedDesk, [], 'nothing of the desk in any cache');
    assert.ok(requested.some((u) => /\/assets\/phone_bg-.*\.wasm$/.test(u)), 'the phone module was loaded');
    assert.deepEqual(requested.filter(isDeskFile), [], 'no request for the desk');

    // An old address of a desk page takes a group leader home, still without the desk.
    await p.goto(`${server.url}/audit`);
    await p.waitForURL(`${server.url}/`);
    await p.getByTestId('new-report').waitFor();
    assert.deepEqual(requested.filter(isDeskFile), [], 'no request for the desk after an old address');
  } finally {
    await phone.close();
    await server.kill();
  }
});

test('an officer opens a desk page when needed, and the phone does not keep the desk', async () => {
  const server = await (await Server.create()).start();
  const phone = await launch(tempDir('phone'));
  try {
    const p = await page(phone);
    await signIn(p, server.url, 'canbo');
    await waitForServiceWorker(p);
    await p.getByTestId('desk-records').click();
    await p.waitForURL(/\/desk\/records$/);
    await p.getByTestId('ward-records').or(p.getByText('Chưa có hồ sơ nào.')).waitFor();
    const names = Object.keys(await cacheContents(p));
    assert.deepEqual(names.filter((n) => n.startsWith('wardbook-desk-')), [], `no desk cache on an officer's phone: ${names}`);
    // Back to the phone app, which is as it was.
    await p.locator('.desk-nav').getByRole('link', { name: 'Ứng dụng điện thoại' }).click();
    await p.getByTestId('new-report').waitFor();
  } finally {
    await phone.close();
    await server.kill();
  }
});

test('a supervisor is taken to the desk, which is cached and opens again offline', async () => {
  const server = await (await Server.create()).start();
  const phone = await launch(tempDir('phone'));
  const desk = await launch(tempDir('desk'), DESKTOP);
  try {
    // A record for the desk to show.
    const p = await page(phone);
    await signIn(p, server.url, 'totruong');
    await fileReport(p, { location: 'Số 8 ngõ 40 Nhật Tân', description: 'Xe máy để chắn lối thoát hiểm.' });
    await waitForWaiting(p, 0, 30_000);

    const d = await page(desk);
    await d.goto(server.url);
    await d.getByLabel('Tên đăng nhập').fill('truongcong');
    await d.getByLabel('Mật khẩu').fill('wardbook-demo');
    await d.getByRole('button', { name: 'Đăng nhập' }).click();
    // Signing in on the phone app takes a supervisor to the desk, on its first page.
    await d.waitForURL(/\/desk\/records$/, { timeout: 30_000 });
    const table = d.getByTestId('ward-records');
    await table.getByText('Số 8 ngõ 40 Nhật Tân').click();
    await d.waitForURL(/\/desk\/records\/[0-9a-f-]{36}$/);
    const detail = d.getByTestId('record-detail');
    await detail.getByText('Xe máy để chắn lối thoát hiểm.').waitFor();

    // Laid out for the wide screen: the navigation at the side, the record beside the list.
    const nav = await d.locator('.desk-nav').boundingBox();
    const list = await d.locator('.split-list').boundingBox();
    const panel = await d.locator('.split-panel').boundingBox();
    assert.ok(nav.x + nav.width <= list.x, `navigation left of the list: ${JSON.stringify({ nav, list })}`);
    assert.ok(list.x + list.width <= panel.x, `panel right of the list: ${JSON.stringify({ list, panel })}`);
    assert.ok(Math.abs(list.y - panel.y) < 40, 'the list and the panel start side by side');

    // The desk's files are kept for offline use.
    await waitForServiceWorker(d);
    const cached = await until(async () => {
      const all = await cacheContents(d);
      const deskCache = Object.entries(all).find(([name]) => name.startsWith('wardbook-desk-'));
      return deskCache && deskCache[1].includes('/desk.html') && deskCache[1].some((x) => /desk_bg-.*\.wasm$/.test(x)) && deskCache[1];
    }, 'the desk in the service worker cache', 30_000);
    // Every file the worker lists for the desk is in its cache, none missing.
    const swText = await (await fetch(`${server.url}/sw.js`)).text();
    const deskList = JSON.parse(swText.match(/const DESK = (\[[^\]]*\])/)[1].replaceAll("'", '"'));
    assert.ok(deskList.length >= 5, `the desk's files: ${deskList}`);
    await until(async () => {
      const all = await cacheContents(d);
      const [, paths] = Object.entries(all).find(([name]) => name.startsWith('wardbook-desk-'));
      return deskList.every((x) => paths.includes(x));
    }, `every desk file in the cache (${deskList})`, 30_000);

    // The sign-in is revoked (a lost laptop, say): the desk asks for the password again and,
    // signed in, shows the list; nothing on the device is wiped.
    const admin = await server.login('admin');
    const { body: users } = await server.api(admin, '/api/admin/users');
    const boss = users.find((u) => u.username === 'truongcong');
    assert.equal((await server.api(admin, `/api/admin/users/${boss.id}/signout`, { method: 'POST' })).status, 204);
    desk.allowConsoleError(/status of 401/);
    await d.reload();
    const again = d.getByTestId('desk-expired');
    await again.getByLabel('Mật khẩu').fill('wardbook-demo');
    await again.getByRole('button', { name: 'Đăng nhập' }).click();
    await again.waitFor({ state: 'detached' });
    await table.getByText('Số 8 ngõ 40 Nhật Tân').waitFor();

    // No network, no server: the desk still opens from the cache, signed in.
    await server.kill();
    await desk.setOffline(true);
    await d.reload();
    await d.locator('.desk-nav nav').getByRole('link', { name: 'Hồ sơ của phường' }).waitFor();
    await d.getByText('Không tải được').first().waitFor();
  } finally {
    await phone.close();
    await desk.close();
    await server.kill();
  }
});
