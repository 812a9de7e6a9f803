// A photo still waiting when the sign-in ends is never lost: the record reached the server,
// its photo did not (slow network), then an administrator signed the user out everywhere. The
// phone gets 401, keeps the photo and says it waits; after signing in again it goes through,
// once, byte for byte.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  PASSWORD, Proxy, Server, clickThroughDialog, jpeg, launch, page, signIn, tempDir, until, waitForServiceWorker,
  waitForWaiting,
} from './harness.mjs';

/** The photos the phone keeps, by SHA-256, with their bytes. */
async function phonePhotos(p) {
  return p.evaluate(async () => {
    const db = await new Promise((ok, no) => {
      const r = indexedDB.open('wardbook');
      r.onsuccess = () => ok(r.result);
      r.onerror = () => no(r.error);
    });
    const all = await new Promise((ok, no) => {
      const r = db.transaction('photos').objectStore('photos').getAll();
      r.onsuccess = () => ok(r.result);
      r.onerror = () => no(r.error);
    });
    const out = {};
    for (const ph of all) out[ph.sha256] = Array.from(new Uint8Array(await ph.blob.arrayBuffer()));
    db.close();
    return out;
  });
}

test('a photo waiting when every device is signed out is uploaded byte for byte after signing in again', async () => {
  const server = await (await Server.create()).start();
  const proxy = await new Proxy(server).start();
  const phone = await launch(tempDir('phone'));
  try {
    const p = await page(phone);
    await signIn(p, proxy.url, 'totruong');
    await waitForServiceWorker(p);
    // Photo bytes do not get through (a weak link that only small requests survive): every
    // chunk is refused, while the small question "how much do you hold?" still passes.
    let blocked = true;
    let photoAttempts = 0;
    proxy.intercept = async (req, body, forward, res) => {
      if (!blocked || req.method !== 'PUT' || !req.url.startsWith('/api/photos/')) return 'forward';
      photoAttempts += 1;
      res.writeHead(503, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ code: 'busy', message: 'Máy chủ đang quá tải.', fields: [] }));
      return 'handled';
    };
    // The blocked uploads are answered 503 on purpose: the browser logs each one.
    phone.allowConsoleError(/status of 503/);

    await p.getByTestId('new-report').click();
    await p.getByLabel('Trộm cắp').check();
    await p.getByLabel('Khẩn', { exact: true }).check();
    await p.getByLabel('Địa điểm').fill('Ngõ 12 Nhật Tân');
    await p.getByLabel('Nội dung sự việc').fill('Có ảnh hiện trường.');
    await p.locator('#f-photos').setInputFiles(await jpeg(p));
    await p.locator('.field:has(#f-photos-label) img.thumb').first().waitFor();
    await p.getByTestId('submit').click();
    await p.getByTestId('new-report').waitFor();

    // The record reaches the server; the photo does not.
    await waitForWaiting(p, 0);
    await until(() => photoAttempts > 0, 'a photo upload attempt');
    await p.getByTestId('photos-waiting').waitFor();
    const kept = await phonePhotos(p);
    const shas = Object.keys(kept);
    assert.equal(shas.length, 1, 'the phone keeps the one photo');
    const [sha] = shas;

    // An administrator signs the group leader out of every device.
    const admin = await server.login('admin');
    const users = await server.api(admin, '/api/admin/users');
    const lan = users.body.find((u) => u.username === 'totruong');
    const out = await server.api(admin, `/api/admin/users/${lan.id}/signout`, { method: 'POST' });
    assert.ok(out.status < 300, `sign-out everywhere answered ${out.status}`);
    phone.allowConsoleError(/status of 401/);

    // The next sync meets 401: sync pauses, and the photo still waits.
    await p.getByRole('button', { name: 'Gửi ngay' }).click();
    await p.getByText('Phiên đăng nhập đã hết hạn').waitFor({ timeout: 30_000 });
    await p.getByTestId('photos-waiting').waitFor();
    assert.match(await p.getByTestId('photos-waiting').textContent(), /^1 ảnh chờ gửi$/);
    // After a reload too (the count is read from the phone's store, not kept in memory).
    await p.reload();
    await p.getByText('Phiên đăng nhập đã hết hạn').waitFor({ timeout: 30_000 });
    await p.getByTestId('photos-waiting').waitFor();
    assert.deepEqual(Object.keys(await phonePhotos(p)), [sha], 'the photo is still on the phone');

    // Signing out now would lose the photo: the phone warns first.
    const warning = await clickThroughDialog(p, p.getByRole('button', { name: 'Đăng xuất' }), 'dismiss');
    assert.match(warning, /chưa gửi/);

    // Sign in again: the photo still cannot get through, and still waits.
    const attemptsBefore = photoAttempts;
    await p.locator('.syncbar').getByRole('button', { name: 'Đăng nhập' }).click();
    await p.locator('.syncbar').getByLabel('Mật khẩu').fill(PASSWORD);
    await p.locator('.syncbar').getByRole('button', { name: 'Đăng nhập' }).click();
    await p.getByText('Phiên đăng nhập đã hết hạn').waitFor({ state: 'detached' });
    await until(() => photoAttempts > attemptsBefore, 'an upload attempt after signing in again');
    assert.match(await p.getByTestId('photos-waiting').textContent(), /^1 ảnh chờ gửi$/);

    // The network lets photos through again.
    blocked = false;
    await p.getByRole('button', { name: 'Gửi ngay' }).click();
    await p.getByTestId('photos-waiting').waitFor({ state: 'detached', timeout: 60_000 });

    // The server holds the photo, byte for byte, once; the record is complete.
    const boss = await server.login('truongcong');
    const res = await fetch(`${server.url}/api/photos/${sha}`, { headers: { authorization: `Bearer ${boss}` } });
    assert.equal(res.status, 200);
    assert.ok(Buffer.from(await res.arrayBuffer()).equals(Buffer.from(kept[sha])), 'byte for byte');
    const { body } = await server.api(boss, '/api/records');
    const mine = body.filter((r) => r.headline.includes('Ngõ 12 Nhật Tân'));
    assert.equal(mine.length, 1, 'the record is stored once');
    assert.equal(mine[0].photos_missing, 0, 'no longer "photo still uploading"');
  } finally {
    await phone.close();
    await proxy.stop();
    await server.kill();
  }
});
