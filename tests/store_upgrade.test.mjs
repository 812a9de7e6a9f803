// A phone that ran the first release (IndexedDB version 1, no photo store) updates to this one:
// the database is upgraded in place and the user's session, draft and queued record survive,
// and the queued record still reaches the server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Server, launch, page, tempDir, waitForWaiting } from './harness.mjs';

test('upgrading the phone database keeps the session, drafts and the outbox', async () => {
  const server = await (await Server.create()).start();
  const phone = await launch(tempDir('phone'));
  try {
    const token = await server.login('totruong');
    const me = (await server.api(token, '/api/me')).body;
    const p = await page(phone);
    // A same-origin page that is not the app, so the app does not open the database first.
    await p.goto(`${server.url}/api/health`);
    const id = '01938d2a-7b00-7000-8000-00000000a001';
    const draftId = '01938d2a-7b00-7000-8000-00000000a002';
    const queued = {
      id, form_key: 'neighborhood_report', form_version: 1, group_id: me.group.id,
      created_at: '2026-11-25T08:00:00.000Z',
      data: { category: 'noise', urgency: 'normal', occurred_at: '2026-11-25T07:30', location: 'Ngõ 3 Xuân La cũ', description: 'Hàng xóm mở nhạc to.' },
    };
    await p.evaluate(async ({ token, me, queued, draftId }) => {
      const db = await new Promise((ok, no) => {
        const r = indexedDB.open('wardbook', 1);
        r.onupgradeneeded = () => { for (const s of ['meta', 'forms', 'drafts', 'records', 'outbox']) r.result.createObjectStore(s); };
        r.onsuccess = () => ok(r.result);
        r.onerror = () => no(r.error);
      });
      const tx = db.transaction(['meta', 'drafts', 'records', 'outbox'], 'readwrite');
      tx.objectStore('meta').put({ token, expires_at: Date.now() + 86400000, me }, 'session');
      tx.objectStore('meta').put(me.username, 'owner');
      tx.objectStore('drafts').put({ id: draftId, form_key: 'neighborhood_report', form_version: 1, group_id: me.group.id, data: { location: 'Bản nháp cũ trước khi cập nhật' }, updated_at: Date.now() }, draftId);
      tx.objectStore('records').put({ ...queued, state: 'outbox', status: null, status_note: null, errors: [], message: null, submitted_at: Date.now(), updated_at: Date.now() }, queued.id);
      tx.objectStore('outbox').put(queued, queued.id);
      await new Promise((ok, no) => { tx.oncomplete = ok; tx.onerror = () => no(tx.error); });
      db.close();
    }, { token, me, queued, draftId });

    await p.goto(server.url);
    await p.locator('li.draft', { hasText: 'Bản nháp cũ trước khi cập nhật' }).waitFor();
    await waitForWaiting(p, 0, 60_000);
    const upgraded = await p.evaluate(async () => {
      const db = await new Promise((ok) => { const r = indexedDB.open('wardbook'); r.onsuccess = () => ok(r.result); });
      const out = { version: db.version, stores: [...db.objectStoreNames] };
      db.close();
      return out;
    });
    assert.equal(upgraded.version, 2);
    assert.ok(upgraded.stores.includes('photos'));
    const sup = await server.login('truongcong');
    const rec = await server.api(sup, `/api/records/${id}`);
    assert.equal(rec.status, 200);
    assert.equal(rec.body.data.location, 'Ngõ 3 Xuân La cũ');

    // A later build in another tab upgrades again: this tab's open connection steps aside
    // instead of blocking it.
    const other = await phone.newPage();
    await other.goto(`${server.url}/api/health`);
    const outcome = await other.evaluate(() => new Promise((ok) => {
      const r = indexedDB.open('wardbook', 3);
      r.onblocked = () => ok('blocked');
      r.onsuccess = () => { r.result.close(); ok('upgraded'); };
      r.onerror = () => ok(`error ${r.error}`);
    }));
    assert.equal(outcome, 'upgraded');
  } finally {
    await phone.close();
    await server.kill();
  }
});
