// Sync rule 12: with the server gone, a group leader exports what the phone has not sent — the
// queued record exactly as the outbox holds it, a draft and its photo — to a file that can be
// kept when the phone must be wiped. The home page also says whether the browser keeps the data.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import {
  Server, fileReport, jpeg, launch, page, signIn, tempDir, waitForServiceWorker, waitForWaiting,
} from './harness.mjs';

/** The phone's outbox, drafts and photos, read straight from IndexedDB. */
async function phoneState(p) {
  return p.evaluate(async () => {
    const db = await new Promise((ok, no) => {
      const r = indexedDB.open('wardbook');
      r.onsuccess = () => ok(r.result);
      r.onerror = () => no(r.error);
    });
    const all = (store) => new Promise((ok, no) => {
      const r = db.transaction(store).objectStore(store).getAll();
      r.onsuccess = () => ok(r.result);
      r.onerror = () => no(r.error);
    });
    const outbox = await all('outbox');
    const drafts = await all('drafts');
    const photos = {};
    for (const ph of await all('photos')) {
      photos[ph.sha256] = { type: ph.type, bytes: Array.from(new Uint8Array(await ph.blob.arrayBuffer())) };
    }
    db.close();
    return { outbox, drafts, photos };
  });
}

test('unsent records, drafts and their photos are exported to a file with no server', async () => {
  const server = await (await Server.create()).start();
  const phone = await launch(tempDir('phone'));
  try {
    const p = await page(phone);
    const blocked = [];
    p.on('console', (m) => { if (/Content Security Policy/i.test(m.text())) blocked.push(m.text()); });
    await signIn(p, server.url, 'totruong');
    await waitForServiceWorker(p);
    // Nothing unsent yet: no export button; the storage line says whether data is kept.
    await p.getByTestId('storage-persisted').waitFor();
    assert.match(
      await p.getByTestId('storage-persisted').textContent(),
      /^(Dữ liệu được trình duyệt giữ lâu dài|Trình duyệt có thể xóa dữ liệu khi máy đầy bộ nhớ)$/,
    );
    assert.equal(await p.getByTestId('export-unsent').count(), 0, 'nothing to export yet');
    const photo = await jpeg(p);

    // The server process is gone: everything below happens on the phone alone.
    await server.kill();
    await p.reload();
    await p.getByTestId('new-report').waitFor();
    await fileReport(p, { location: 'Ngõ 7 Nhật Tân', description: 'Xe máy để chắn lối thoát hiểm.' });
    await waitForWaiting(p, 1);

    // A draft with a photo, left unfinished.
    await p.getByTestId('new-report').click();
    await p.getByLabel('Địa điểm').fill('Chợ Nhật Tân');
    await p.locator('#f-photos').setInputFiles(photo);
    await p.locator('.field:has(#f-photos-label) img.thumb').first().waitFor();
    await p.waitForFunction(async () => {
      const db = await new Promise((ok) => { const r = indexedDB.open('wardbook'); r.onsuccess = () => ok(r.result); });
      const drafts = await new Promise((ok) => { const r = db.transaction('drafts').objectStore('drafts').getAll(); r.onsuccess = () => ok(r.result); });
      db.close();
      return drafts.some((d) => Array.isArray(d.data.photos) && d.data.photos.length === 1);
    }, null, { timeout: 10_000 });
    await p.locator('a.brand').click();
    await p.getByTestId('new-report').waitFor();

    const button = p.getByTestId('export-unsent');
    await button.waitFor();
    assert.equal((await button.textContent()).trim(), 'Xuất hồ sơ chưa gửi ra tệp');
    const [download] = await Promise.all([p.waitForEvent('download'), button.click()]);
    const name = download.suggestedFilename();
    assert.match(name, /^wardbook-chua-gui-totruong-\d{8}-\d{4}\.json$/, name);
    const file = JSON.parse(fs.readFileSync(await download.path(), 'utf8'));

    const { outbox, drafts, photos } = await phoneState(p);
    assert.equal(outbox.length, 1);
    assert.equal(file.user.username, 'totruong');
    assert.ok(!Number.isNaN(Date.parse(file.exported_at)), file.exported_at);
    // The queued record, exactly as the phone would push it.
    assert.equal(file.records.length, 1);
    assert.equal(file.records[0].id, outbox[0].id);
    assert.deepEqual(file.records[0].data, outbox[0].data);
    assert.deepEqual(file.records[0], outbox[0]);
    assert.equal(file.records[0].data.location, 'Ngõ 7 Nhật Tân');
    assert.deepEqual(file.refused, []);
    // The draft and the photo it names, byte for byte.
    assert.equal(file.drafts.length, 1);
    assert.equal(file.drafts[0].id, drafts[0].id);
    assert.deepEqual(file.drafts[0].data, drafts[0].data);
    const [ref] = file.drafts[0].data.photos;
    assert.deepEqual(Object.keys(file.photos), [ref.sha256]);
    const exported = Buffer.from(file.photos[ref.sha256].base64, 'base64');
    assert.equal(file.photos[ref.sha256].type, 'image/jpeg');
    assert.deepEqual([...exported], photos[ref.sha256].bytes);
    assert.equal(crypto.createHash('sha256').update(exported).digest('hex'), ref.sha256);

    // The export takes nothing away: the outbox still waits for the server.
    await waitForWaiting(p, 1);
    await server.start();
    await p.getByRole('button', { name: 'Gửi ngay' }).click();
    await waitForWaiting(p, 0, 90_000);
    // The draft is still unsent, so the button stays.
    await button.waitFor();
    assert.deepEqual(blocked, [], 'the app, its photos and the export run under the CSP');
  } finally {
    await phone.close();
    await server.kill();
  }
});
