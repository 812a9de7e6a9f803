// The ways a push can fail, end to end: the server killed while a push is in flight (before and
// after its commit), a push replayed, and a record the server rejects among good ones.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Proxy, Server, fileReport, launch, page, signIn, tempDir, until, waitForServiceWorker, waitForWaiting,
} from './harness.mjs';

async function wardRecords(server) {
  const token = await server.login('truongcong');
  const { body } = await server.api(token, '/api/records?limit=200');
  return body;
}

for (const when of ['before', 'after']) {
  test(`a server killed ${when} committing an in-flight push ends up holding the record exactly once`, async () => {
    const server = await (await Server.create()).start();
    const proxy = await new Proxy(server).start();
    const phone = await launch(tempDir('phone'));
    try {
      const p = await page(phone);
      await signIn(p, proxy.url, 'totruong');
      await waitForServiceWorker(p);
      let pushed = null;
      proxy.intercept = async (req, body, forward, res) => {
        if (pushed || req.url !== '/api/sync/push') return 'forward';
        pushed = JSON.parse(body.toString());
        if (when === 'after') {
          // The server commits and answers, then dies before the phone hears the answer.
          const answer = await forward();
          assert.equal(answer.status, 200);
        }
        await server.kill();
        res.socket.destroy();
        return 'handled';
      };
      await fileReport(p, { location: `Kiểm thử ${when}`, description: 'Đẩy dữ liệu bị ngắt giữa chừng.' });
      await until(() => pushed, 'the push to reach the proxy');
      assert.equal(pushed.records.length, 1);
      await p.waitForFunction(() => !document.querySelector('.syncbar button')?.disabled);
      assert.equal(Number(await p.getByTestId('waiting-count').textContent()), 1, 'the entry waits until acknowledged');

      await server.start();
      await waitForWaiting(p, 0, 90_000);
      const rows = (await wardRecords(server)).filter((r) => r.id === pushed.records[0].id);
      assert.equal(rows.length, 1);

      // Replaying the very same push answers "duplicate" for every record and changes nothing.
      const token = await server.login('totruong');
      for (let i = 0; i < 3; i++) {
        const { status, body } = await server.api(token, '/api/sync/push', { method: 'POST', body: JSON.stringify(pushed) });
        assert.equal(status, 200);
        assert.deepEqual(body.results.map((r) => r.outcome), ['duplicate']);
      }
      assert.equal((await wardRecords(server)).filter((r) => r.id === pushed.records[0].id).length, 1);
    } finally {
      await phone.close();
      await proxy.stop();
      await server.kill();
    }
  });
}

test('a record the server rejects is shown with its reason and does not block the records behind it', async () => {
  const server = await (await Server.create()).start();
  const phone = await launch(tempDir('phone'));
  try {
    const p = await page(phone);
    await signIn(p, server.url, 'totruong');
    await waitForServiceWorker(p);
    await server.kill();

    await fileReport(p, { location: 'Bản ghi đầu', description: 'Hợp lệ.' });
    // A record an older or faulty app left in the outbox: its description is missing, which
    // today's app would never let through, so it is written straight into IndexedDB.
    const badId = await p.evaluate(async () => {
      const hex = [...crypto.getRandomValues(new Uint8Array(16))].map((b) => b.toString(16).padStart(2, '0')).join('');
      const ms = Date.now().toString(16).padStart(12, '0');
      const id = `${ms.slice(0, 8)}-${ms.slice(8)}-7${hex.slice(1, 4)}-8${hex.slice(5, 8)}-${hex.slice(8, 20)}`;
      const me = await new Promise((res, rej) => {
        const r = indexedDB.open('wardbook');
        r.onsuccess = () => res(r.result);
        r.onerror = () => rej(r.error);
      });
      const session = await new Promise((res) => {
        const r = me.transaction('meta').objectStore('meta').get('session');
        r.onsuccess = () => res(r.result);
      });
      const data = { category: 'theft', urgency: 'normal', occurred_at: '2026-11-25T08:00', location: 'Bản ghi lỗi' };
      const envelope = { id, form_key: 'neighborhood_report', form_version: 1, group_id: session.me.group.id, created_at: new Date().toISOString(), data };
      const record = { id, form_key: 'neighborhood_report', form_version: 1, group_id: session.me.group.id, data, state: 'outbox', status: null, status_note: null, errors: [], message: null, submitted_at: Date.now(), updated_at: Date.now() };
      await new Promise((res, rej) => {
        const tx = me.transaction(['records', 'outbox'], 'readwrite');
        tx.objectStore('records').put(record, id);
        tx.objectStore('outbox').put(envelope, id);
        tx.oncomplete = res;
        tx.onerror = () => rej(tx.error);
      });
      me.close();
      return id;
    });
    await fileReport(p, { location: 'Bản ghi cuối', description: 'Cũng hợp lệ.' });

    await server.start();
    await p.getByText('Bị từ chối — cần sửa').waitFor({ timeout: 90_000 });
    await waitForWaiting(p, 0);
    const rejected = p.locator(`li[data-id="${badId}"]`);
    await rejected.getByText('Nội dung sự việc: Vui lòng điền mục này.').waitFor();
    const stored = (await wardRecords(server)).map((r) => r.headline);
    assert.ok(stored.some((h) => h.includes('Bản ghi đầu')), `${stored}`);
    assert.ok(stored.some((h) => h.includes('Bản ghi cuối')), `${stored}`);
    assert.ok(!stored.some((h) => h.includes('Bản ghi lỗi')));

    // The user corrects it and it goes through.
    await rejected.getByRole('link', { name: 'Sửa' }).click();
    await p.getByLabel('Nội dung sự việc').fill('Đã bổ sung nội dung.');
    await p.getByTestId('submit').click();
    await p.getByTestId('new-report').waitFor();
    await waitForWaiting(p, 0, 60_000);
    await p.waitForFunction(() => !document.body.textContent.includes('Bị từ chối'), null, { timeout: 60_000 });
    const after = (await wardRecords(server)).filter((r) => r.id === badId);
    assert.equal(after.length, 1);
  } finally {
    await phone.close();
    await server.kill();
  }
});

test('a push answered "too large" is split until it fits; a record too large alone comes back to its author', async () => {
  const server = await (await Server.create()).start();
  const proxy = await new Proxy(server).start();
  const phone = await launch(tempDir('phone'));
  // The proxy answers 413 on purpose.
  phone.allowConsoleError(/status of 413/);
  try {
    const p = await page(phone);
    await signIn(p, proxy.url, 'totruong');
    await waitForServiceWorker(p);
    // A proxy in front of the server that takes at most one record per request, and none that
    // mentions "QUÁ LỚN".
    const sizes = [];
    proxy.intercept = async (req, body, forward, res) => {
      if (req.url !== '/api/sync/push') return 'forward';
      const records = JSON.parse(body.toString()).records;
      sizes.push(records.length);
      if (records.length > 1 || body.toString().includes('QUÁ LỚN')) {
        res.writeHead(413, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ code: 'too_large', message: 'Dữ liệu gửi lên quá lớn.', fields: [] }));
        return 'handled';
      }
      return 'forward';
    };
    await phone.setOffline(true);
    for (const n of [1, 2, 3]) {
      await fileReport(p, { location: `Ngõ ${n} chia nhỏ`, description: `Hồ sơ thứ ${n}.` });
    }
    await fileReport(p, { location: 'Ngõ QUÁ LỚN', description: 'Hồ sơ không bao giờ vừa.' });
    await phone.setOffline(false);
    await p.getByRole('button', { name: 'Gửi ngay' }).click();
    await waitForWaiting(p, 0, 60_000);
    assert.ok(sizes[0] > 1 && sizes.includes(1), `batches were split: ${sizes}`);
    const rows = await wardRecords(server);
    for (const n of [1, 2, 3]) assert.equal(rows.filter((r) => r.headline.includes(`Ngõ ${n} chia nhỏ`)).length, 1);
    assert.equal(rows.filter((r) => r.headline.includes('QUÁ LỚN')).length, 0);
    // The one that never fits is handed back with the server's reason, not retried forever.
    await p.locator('li', { hasText: 'Ngõ QUÁ LỚN' }).getByText('Dữ liệu gửi lên quá lớn.').waitFor();
  } finally {
    await phone.close();
    await proxy.stop();
    await server.kill();
  }
});

test('a push whose answer never comes is abandoned after a minute and sent again, once', async () => {
  const server = await (await Server.create()).start();
  const proxy = await new Proxy(server).start();
  const phone = await launch(tempDir('phone'));
  try {
    const p = await page(phone);
    await signIn(p, proxy.url, 'totruong');
    await waitForServiceWorker(p);
    // The first push reaches nowhere: the connection stays open and silent (a dead 3G link).
    let held = null;
    proxy.intercept = async (req, body, forward, res) => {
      if (req.url !== '/api/sync/push' || held) return 'forward';
      held = res;
      return 'handled';
    };
    await fileReport(p, { location: 'Sóng yếu trong hẻm', description: 'Kết nối treo, không trả lời.' });
    await until(() => held, 'the push to reach the proxy');
    // The phone gives up on it by itself and the next attempt goes through.
    await waitForWaiting(p, 0, 120_000);
    held.socket?.destroy();
    const rows = (await wardRecords(server)).filter((r) => r.headline.includes('Sóng yếu trong hẻm'));
    assert.equal(rows.length, 1);
  } finally {
    await phone.close();
    await proxy.stop();
    await server.kill();
  }
});

test('a Wi-Fi sign-in page answering in the server\'s place is not taken for an answer: the record waits, then goes once', async () => {
  const server = await (await Server.create()).start();
  const proxy = await new Proxy(server).start();
  const phone = await launch(tempDir('phone'));
  try {
    const p = await page(phone);
    await signIn(p, proxy.url, 'totruong');
    await waitForServiceWorker(p);
    // A captive portal: every request gets its login page, with 200 OK.
    let portal = true;
    let answered = 0;
    proxy.intercept = async (req, body, forward, res) => {
      if (!portal || !req.url.startsWith('/api/')) return 'forward';
      answered += 1;
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end('<!doctype html><title>Đăng nhập Wi-Fi</title><form>Nhập mã</form>');
      return 'handled';
    };
    await fileReport(p, { location: 'Quán cà phê có Wi-Fi', description: 'Mạng đòi đăng nhập.' });
    await until(() => answered > 0, 'the portal to answer a request');
    await p.getByText('Không đọc được câu trả lời của máy chủ').waitFor({ timeout: 30_000 });
    assert.equal(await p.getByText('Không có mạng').count(), 0, 'the network is there: not "offline"');
    await waitForWaiting(p, 1);

    portal = false;
    await p.getByRole('button', { name: 'Gửi ngay' }).click();
    await waitForWaiting(p, 0, 60_000);
    await p.getByText('Không đọc được câu trả lời của máy chủ').waitFor({ state: 'detached' });
    const rows = (await wardRecords(server)).filter((r) => r.headline.includes('Quán cà phê có Wi-Fi'));
    assert.equal(rows.length, 1);
  } finally {
    await phone.close();
    await proxy.stop();
    await server.kill();
  }
});
