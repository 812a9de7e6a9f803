// A phone running the single-bundle app (the build of commit 327da6a, kept in
// tests/fixtures/single-bundle-app.tar.gz) updates to the two-module build: the user is offered
// the update, takes it, and finds the outbox, the draft, the photo and the cached forms as they
// were; the queued record and its photo then reach the server once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {
  DIST, Server, launch, page, signIn, tempDir, until, waitForServiceWorker, waitForWaiting, waitingCount,
} from './harness.mjs';

const FIXTURE = path.join(path.dirname(new URL(import.meta.url).pathname), 'fixtures/single-bundle-app.tar.gz');

/** A small JPEG drawn by the browser itself. */
async function jpeg(p) {
  const bytes = await p.evaluate(async () => {
    const c = new OffscreenCanvas(320, 240);
    const ctx = c.getContext('2d');
    for (let i = 0; i < 30; i++) {
      ctx.fillStyle = `hsl(${(i * 37) % 360} 60% 50%)`;
      ctx.fillRect((i * 53) % 320, (i * 41) % 240, 60, 50);
    }
    const blob = await c.convertToBlob({ type: 'image/jpeg', quality: 0.9 });
    return Array.from(new Uint8Array(await blob.arrayBuffer()));
  });
  return { name: 'anh.jpg', mimeType: 'image/jpeg', buffer: Buffer.from(bytes) };
}

/** What the phone keeps in IndexedDB: photos by SHA-256 with their bytes, and form keys. */
async function phoneData(p) {
  return p.evaluate(async () => {
    const db = await new Promise((ok, no) => {
      const r = indexedDB.open('wardbook');
      r.onsuccess = () => ok(r.result);
      r.onerror = () => no(r.error);
    });
    const all = (store, keys) => new Promise((ok, no) => {
      const os = db.transaction(store).objectStore(store);
      const r = keys ? os.getAllKeys() : os.getAll();
      r.onsuccess = () => ok(r.result);
      r.onerror = () => no(r.error);
    });
    const photos = {};
    for (const ph of await all('photos')) photos[ph.sha256] = Array.from(new Uint8Array(await ph.blob.arrayBuffer()));
    const forms = (await all('forms', true)).map(String).sort();
    db.close();
    return { photos, forms };
  });
}

test('a phone with the single-bundle app updates to the phone module keeping outbox, draft, photo and forms', async () => {
  const staticDir = tempDir('dist');
  execFileSync('tar', ['-xzf', FIXTURE, '-C', staticDir]);
  assert.ok(fs.existsSync(path.join(staticDir, 'index.html')), 'the old build is unpacked');
  const server = await (await Server.create({ staticDir })).start();
  const phone = await launch(tempDir('phone'));
  const requested = [];
  phone.on('request', (r) => requested.push(new URL(r.url()).pathname));
  try {
    const p = await page(phone);
    await signIn(p, server.url, 'totruong');
    await waitForServiceWorker(p);
    assert.ok(requested.some((u) => /^\/assets\/app_bg-.*\.wasm$/.test(u)), 'the old single bundle runs');

    // A record with a photo stuck in the outbox (pushes fail), and a draft half typed.
    await p.route('**/api/sync/push', (route) => route.abort('connectionrefused'));
    await p.getByTestId('new-report').click();
    await p.getByLabel('Trộm cắp').check();
    await p.getByLabel('Khẩn', { exact: true }).check();
    await p.getByLabel('Địa điểm').fill('Ngõ 9 Quảng An');
    await p.getByLabel('Nội dung sự việc').fill('Hồ sơ có ảnh, chờ qua bản cập nhật.');
    await p.locator('#f-photos').setInputFiles(await jpeg(p));
    await p.locator('.field:has(#f-photos-label) img.thumb').first().waitFor();
    await p.getByTestId('submit').click();
    await p.getByTestId('new-report').waitFor();
    assert.equal(await waitingCount(p), 1);
    await p.getByTestId('new-report').click();
    await p.getByLabel('Địa điểm').fill('Bản nháp trước khi cập nhật');
    await p.getByRole('link', { name: /Sổ tay/ }).click();
    await p.getByText('Bản nháp trước khi cập nhật').waitFor();
    const before = await phoneData(p);
    assert.equal(Object.keys(before.photos).length, 1, 'the photo is kept on the phone');
    assert.ok(before.forms.length > 0, 'forms are cached');

    // Deploy the two-module build in place of the old one.
    for (const entry of fs.readdirSync(staticDir)) fs.rmSync(path.join(staticDir, entry), { recursive: true });
    fs.cpSync(DIST, staticDir, { recursive: true });

    await p.reload();
    await p.getByText('Có phiên bản mới của ứng dụng.').waitFor({ timeout: 30_000 });
    await Promise.all([
      p.waitForEvent('load', { timeout: 30_000 }),
      p.getByRole('button', { name: 'Cập nhật' }).click(),
    ]);
    await p.getByTestId('new-report').waitFor();
    await until(() => requested.some((u) => /^\/assets\/phone_bg-.*\.wasm$/.test(u)), 'the phone module', 30_000);
    const cacheNames = await p.evaluate(() => caches.keys());
    assert.equal(cacheNames.filter((k) => k.startsWith('wardbook-shell-')).length, 1, `one shell cache: ${cacheNames}`);
    assert.ok(!cacheNames.some((k) => k.startsWith('wardbook-desk-')), 'a group leader gets no desk');

    // Everything the user had is still there.
    assert.equal(await waitingCount(p), 1, 'the outbox entry survived the update');
    await p.getByText('Bản nháp trước khi cập nhật').waitFor();
    const after = await phoneData(p);
    assert.deepEqual(after.photos, before.photos, 'the photo is kept byte for byte');
    assert.deepEqual(after.forms, before.forms, 'the cached forms are kept');
    await p.getByText('Bản nháp trước khi cập nhật').click();
    assert.equal(await p.getByLabel('Địa điểm').inputValue(), 'Bản nháp trước khi cập nhật');
    await p.getByLabel('Nội dung sự việc').waitFor();

    // The network is back: the record and its photo reach the server once.
    await p.unroute('**/api/sync/push');
    await p.getByRole('link', { name: /Sổ tay/ }).click();
    await p.getByRole('button', { name: 'Gửi ngay' }).click();
    await waitForWaiting(p, 0, 60_000);
    const [sha] = Object.keys(before.photos);
    const boss = await server.login('truongcong');
    await until(async () => {
      const { body } = await server.api(boss, '/api/records');
      const mine = body.filter((r) => r.headline.includes('Ngõ 9 Quảng An'));
      assert.ok(mine.length <= 1, 'never stored twice');
      return mine.length === 1 && mine[0].photos_missing === 0;
    }, 'the record complete with its photo on the server', 60_000);
    const res = await fetch(`${server.url}/api/photos/${sha}`, { headers: { authorization: `Bearer ${boss}` } });
    assert.equal(res.status, 200);
    assert.ok(Buffer.from(await res.arrayBuffer()).equals(Buffer.from(before.photos[sha])), 'byte for byte');
  } finally {
    await phone.close();
    await server.kill();
  }
});
