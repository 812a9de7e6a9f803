// A new build replaces the old one at the next start: the user is told, and no draft, outbox
// entry or cached form is lost across the switch.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {
  DIST, Server, fileReport, launch, page, signIn, tempDir, waitForServiceWorker, waitForWaiting, waitingCount,
} from './harness.mjs';

test('a new build is offered, taken, and keeps drafts, the outbox and cached forms', async () => {
  // Serve a copy of the build that the test can "redeploy".
  const staticDir = tempDir('dist');
  fs.cpSync(DIST, staticDir, { recursive: true });
  const server = await (await Server.create({ staticDir })).start();
  const phone = await launch(tempDir('phone'));
  try {
    const p = await page(phone);
    await signIn(p, server.url, 'totruong');
    await waitForServiceWorker(p);

    // One record stuck in the outbox (pushes fail) and one draft half typed.
    await p.route('**/api/sync/push', (route) => route.abort('connectionrefused'));
    await fileReport(p, { location: 'Chờ gửi qua bản cập nhật', description: 'Hồ sơ trong hàng chờ.' });
    assert.equal(await waitingCount(p), 1);
    await p.getByTestId('new-report').click();
    await p.getByLabel('Địa điểm').fill('Bản nháp dở dang');
    await p.getByRole('link', { name: /Sổ tay/ }).click();
    await p.getByText('Bản nháp dở dang').waitFor();

    // Deploy a new build: the service worker script changes.
    const sw = path.join(staticDir, 'sw.js');
    fs.writeFileSync(sw, fs.readFileSync(sw, 'utf8').replace(/const VERSION = '([^']*)'/, "const VERSION = '$1-next'"));
    for (const ext of ['.br', '.gz']) fs.rmSync(sw + ext, { force: true });

    await p.reload();
    await p.getByText('Có phiên bản mới của ứng dụng.').waitFor({ timeout: 30_000 });
    const before = await p.evaluate(() => navigator.serviceWorker.controller.scriptURL + '|' + performance.timeOrigin);
    await Promise.all([
      p.waitForEvent('load', { timeout: 30_000 }),
      p.getByRole('button', { name: 'Cập nhật' }).click(),
    ]);
    await p.getByTestId('new-report').waitFor();
    const after = await p.evaluate(() => navigator.serviceWorker.controller.scriptURL + '|' + performance.timeOrigin);
    assert.notEqual(after, before, 'the page reloaded under the new worker');
    const cacheNames = await p.evaluate(() => caches.keys());
    assert.ok(cacheNames.some((k) => k.endsWith('-next')), `${cacheNames}`);
    assert.ok(!cacheNames.some((k) => k.startsWith('wardbook-shell-') && !k.endsWith('-next')), 'the old shell cache is gone');

    assert.equal(await waitingCount(p), 1, 'the outbox entry survived the update');
    await p.getByText('Bản nháp dở dang').waitFor();
    // The cached form still opens, offline from the server's point of view.
    await p.getByText('Bản nháp dở dang').click();
    assert.equal(await p.getByLabel('Địa điểm').inputValue(), 'Bản nháp dở dang');
    await p.getByLabel('Nội dung sự việc').waitFor();

    await p.unroute('**/api/sync/push');
    await p.getByRole('link', { name: /Sổ tay/ }).click();
    await p.getByRole('button', { name: 'Gửi ngay' }).click();
    await waitForWaiting(p, 0, 60_000);
  } finally {
    await phone.close();
    await server.kill();
  }
});
