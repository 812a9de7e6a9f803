// Wards merged on the administrator's page: the groups, their leaders and staff move, the old
// wards close, and a group leader's phone shows the new place after its next sync and goes on
// filing there.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DESKTOP, Server, fileReport, launch, page, signIn, signInAtDesk, tempDir, until, waitForWaiting,
} from './harness.mjs';

/** Today in the ward, dd/mm/yyyy. */
function today() {
  return new Intl.DateTimeFormat('en-GB', { timeZone: 'Asia/Ho_Chi_Minh' }).format(new Date());
}

test('an administrator merges two wards; the group leader\'s phone follows at its next sync', async () => {
  const server = await (await Server.create()).start();
  const phone = await launch(tempDir('phone'));
  const desk = await launch(tempDir('desk'), DESKTOP);
  try {
    const p = await page(phone);
    await signIn(p, server.url, 'totruong');
    await p.locator('.who').getByText('Tổ dân phố số 1 · Phường Nhật Tân').waitFor();

    const admin = await server.login('admin');
    const created = await server.api(admin, '/api/admin/wards', {
      method: 'POST',
      body: JSON.stringify({ name: 'Tây Hồ', city: 'Hà Nội' }),
    });
    assert.equal(created.status, 201);

    const d = await page(desk);
    await signInAtDesk(d, server.url, 'admin');
    const form = d.getByTestId('reorganise');
    await form.waitFor();
    await form.getByLabel(/^Có hiệu lực từ ngày/).fill(today());
    for (const ward of ['Nhật Tân', 'Quảng An']) {
      const set = form.locator(`fieldset[data-ward="${ward}"]`);
      for (let n = 1; n <= 4; n++) {
        await set.getByLabel(new RegExp(`^Tổ dân phố số ${n} — Chuyển đến`)).selectOption({ label: 'Tây Hồ' });
      }
      await set.getByLabel('Giải thể phường / xã này').check();
    }
    await form.getByRole('button', { name: 'Thực hiện' }).click();
    await form.getByTestId('reorganised').getByText(/^Đã sắp xếp lại: 8 · /).waitFor();
    // The merged wards are marked closed in the list.
    const wards = d.getByTestId('wards');
    const nhatTan = wards.locator('li', { has: d.locator('strong', { hasText: /^Nhật Tân$/ }) });
    await nhatTan.getByText(/Đã sáp nhập \/ chia tách từ/).waitFor();
    // What was done is still shown once the list has been drawn again.
    assert.ok(
      await form.getByTestId('reorganised').getByText(/^Đã sắp xếp lại: 8 · /).isVisible(),
      'the outcome of the reorganisation stays on the page after the wards reload',
    );

    // The phone learns its new place at the next sync (a reload syncs at once).
    await p.reload();
    await until(
      async () => (await p.locator('.who').textContent())?.includes('Tổ dân phố số 1 (Nhật Tân) · Phường Tây Hồ'),
      'the phone showing its group in Tây Hồ',
    );
    // And files there; Tây Hồ's supervisor (Nhật Tân's before) reads it.
    await fileReport(p, { location: 'Số 3 ngõ 12 Âu Cơ', description: 'Sau sáp nhập.' });
    await waitForWaiting(p, 0);
    const boss = await server.login('truongcong');
    const me = await server.api(boss, '/api/me');
    assert.equal(me.body.ward.name, 'Tây Hồ');
    const list = await server.api(boss, '/api/records?q=sau%20sap%20nhap');
    assert.equal(list.body.length, 1);
    const detail = await server.api(boss, `/api/records/${list.body[0].id}`);
    assert.equal(detail.body.ward.name, 'Tây Hồ');
    assert.equal(detail.body.filed_ward, undefined);
  } finally {
    await desk.close();
    await phone.close();
    await server.kill();
  }
});
