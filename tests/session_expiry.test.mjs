// An expired or revoked sign-in pauses sync and never discards: the outbox waits, the user
// signs in again, and the records go through exactly once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  PASSWORD, Server, clickThroughDialog, fileReport, launch, page, signIn, tempDir, waitForServiceWorker,
  waitForWaiting, waitingCount,
} from './harness.mjs';

test('a revoked session keeps the outbox until the user signs in again, then it syncs once', async () => {
  const server = await (await Server.create()).start();
  const phone = await launch(tempDir('phone'));
  // The revoked session's next sync is answered 401 on purpose.
  phone.allowConsoleError(/status of 401/);
  try {
    const p = await page(phone);
    await signIn(p, server.url, 'totruong');
    await waitForServiceWorker(p);

    // The session ends on the server (expiry and revocation look the same to the phone).
    const token = await p.evaluate(() => new Promise((resolve, reject) => {
      const open = indexedDB.open('wardbook');
      open.onerror = () => reject(open.error);
      open.onsuccess = () => {
        const get = open.result.transaction('meta').objectStore('meta').get('session');
        get.onsuccess = () => { resolve(get.result.token); open.result.close(); };
      };
    }));
    const { status } = await server.api(token, '/api/auth/logout', { method: 'POST' });
    assert.equal(status, 204);

    await fileReport(p, { location: 'Sau khi hết phiên', description: 'Hồ sơ phải được giữ lại.' });
    await p.getByText('Phiên đăng nhập đã hết hạn').waitFor({ timeout: 30_000 });
    assert.equal(await waitingCount(p), 1, 'nothing is discarded');
    await p.reload();
    await p.getByText('Phiên đăng nhập đã hết hạn').waitFor({ timeout: 30_000 });
    assert.equal(await waitingCount(p), 1, 'still waiting after a reload');

    await p.locator('.syncbar').getByRole('button', { name: 'Đăng nhập' }).click();
    await p.locator('.syncbar').getByLabel('Mật khẩu').fill(PASSWORD);
    await p.locator('.syncbar').getByRole('button', { name: 'Đăng nhập' }).click();
    await waitForWaiting(p, 0, 60_000);
    assert.equal(await p.getByText('Phiên đăng nhập đã hết hạn').count(), 0);

    const boss = await server.login('truongcong');
    const { body } = await server.api(boss, '/api/records');
    assert.equal(body.filter((r) => r.headline.includes('Sau khi hết phiên')).length, 1);
  } finally {
    await phone.close();
    await server.kill();
  }
});

test('signing out with unsent records warns first, and afterwards nothing of the user is left', async () => {
  const server = await (await Server.create()).start();
  const phone = await launch(tempDir('phone'));
  try {
    const p = await page(phone);
    await signIn(p, server.url, 'totruong');
    await waitForServiceWorker(p);
    await server.kill();
    await fileReport(p, { location: 'Chưa gửi khi đăng xuất', description: 'Cần cảnh báo.' });

    // The warning comes first; cancelling it keeps everything.
    const signOut = p.getByRole('button', { name: 'Đăng xuất' });
    assert.match(await clickThroughDialog(p, signOut, 'dismiss'), /chưa gửi/);
    assert.equal(await waitingCount(p), 1, 'cancelling keeps everything');

    assert.match(await clickThroughDialog(p, signOut, 'accept'), /chưa gửi/);
    await p.getByLabel('Tên đăng nhập').waitFor();
    await p.reload();
    await p.getByLabel('Tên đăng nhập').waitFor();
    // Signing in again finds nothing of before: no waiting record, no record, no draft.
    await server.start();
    await signIn(p, server.url, 'totruong');
    await p.getByText('Chưa có hồ sơ nào.').waitFor();
    assert.equal(await waitingCount(p), 0);
    assert.equal(await p.getByText('Chưa gửi khi đăng xuất').count(), 0);
  } finally {
    await phone.close();
    await server.kill();
  }
});
