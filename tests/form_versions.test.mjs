// Form versions end to end: an administrator publishes a new version from the admin page (and
// is told exactly what is wrong with a bad file); a draft started on version 1 keeps version 1
// after version 2 reaches the phone, and is stored on the server as version 1; new records use
// version 2. Drafts survive a reload and can be discarded from the list.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { DESKTOP, Server, launch, page, signIn, signInAtDesk, tempDir, waitForWaiting } from './harness.mjs';

async function fillRequired(p, { location, description }) {
  await p.getByLabel('Trộm cắp').check();
  await p.getByLabel('Khẩn', { exact: true }).check();
  await p.getByLabel('Địa điểm').fill(location);
  await p.getByLabel('Nội dung sự việc').fill(description);
}

test('a draft keeps its form version when a new version is published', async () => {
  const server = await (await Server.create()).start();
  const files = tempDir('files');
  const phone = await launch(tempDir('phone'));
  const desk = await launch(tempDir('desk'), DESKTOP);
  try {
    const p = await page(phone);
    p.on('dialog', (d) => d.accept());
    await signIn(p, server.url, 'totruong');

    // A draft on version 1, left half done; a reload keeps every typed character.
    await p.getByTestId('new-report').click();
    await p.getByLabel('Địa điểm').fill('Ngõ 7 Nhật Tân');
    await p.reload();
    assert.equal(await p.getByLabel('Địa điểm').inputValue(), 'Ngõ 7 Nhật Tân');
    const draftUrl = p.url();
    await p.goto(server.url);
    await p.locator('li.draft', { hasText: 'Ngõ 7 Nhật Tân' }).waitFor();

    // The administrator publishes: first a broken file (answered 422 on purpose), then version 2.
    desk.allowConsoleError(/status of 422/);
    const d = await page(desk);
    await signInAtDesk(d, server.url, 'admin');
    await d.getByRole('link', { name: 'Biểu mẫu' }).click();
    await d.getByTestId('forms-table').locator('tr[data-key=neighborhood_report]').getByText('v1 ·').waitFor();
    const admin = await server.login('admin');
    const v1 = (await server.api(admin, '/api/forms/neighborhood_report/1')).body;
    const broken = { ...v1, fields: [...v1.fields, { key: 'weather', type: 'hologram', label: { vi: 'Thời tiết', en: 'Weather' } }] };
    fs.writeFileSync(path.join(files, 'broken.json'), JSON.stringify(broken));
    await d.getByLabel('Tệp định nghĩa biểu mẫu').setInputFiles(path.join(files, 'broken.json'));
    await d.getByTestId('publish-form').click();
    await d.getByTestId('publish-outcome').getByText('Mục «weather»: không có loại «hologram»').waitFor();

    const v2 = { ...v1, fields: [...v1.fields, { key: 'witnesses', type: 'text', label: { vi: 'Người chứng kiến', en: 'Witnesses' } }] };
    fs.writeFileSync(path.join(files, 'v2.json'), JSON.stringify(v2));
    await d.getByLabel('Tệp định nghĩa biểu mẫu').setInputFiles(path.join(files, 'v2.json'));
    await d.getByTestId('publish-form').click();
    await d.getByTestId('publish-outcome').getByText('Đã đăng neighborhood_report v2').waitFor();
    await d.getByTestId('forms-table').locator('tr[data-key=neighborhood_report]').getByText('v2 ·').waitFor();
    assert.equal(await d.getByTestId('forms-table').locator('tr[data-key=neighborhood_report] li').count(), 2);

    // The phone syncs and receives version 2; the draft still opens on version 1.
    await p.getByRole('button', { name: 'Gửi ngay' }).click();
    await p.waitForFunction(async () => {
      const db = await new Promise((ok) => { const r = indexedDB.open('wardbook'); r.onsuccess = () => ok(r.result); });
      const keys = await new Promise((ok) => { const r = db.transaction('forms').objectStore('forms').getAllKeys(); r.onsuccess = () => ok(r.result); });
      db.close();
      return keys.includes('neighborhood_report@00000002');
    }, null, { timeout: 30_000 });
    await p.goto(draftUrl);
    await p.getByLabel('Địa điểm').waitFor();
    assert.equal(await p.getByLabel('Người chứng kiến').count(), 0, 'the draft keeps version 1');
    await fillRequired(p, { location: 'Ngõ 7 Nhật Tân', description: 'Bản nháp từ phiên bản 1.' });
    await p.getByTestId('submit').click();
    await p.getByTestId('new-report').waitFor();

    // A new report uses version 2.
    await p.getByTestId('new-report').click();
    await fillRequired(p, { location: 'Ngõ 9 Nhật Tân', description: 'Báo cáo theo phiên bản 2.' });
    await p.getByLabel('Người chứng kiến').fill('Bà Lan bán nước');
    await p.getByTestId('submit').click();
    // Back on the list with both records there, then nothing left waiting.
    await p.waitForFunction(() => document.querySelectorAll('[data-testid=my-records] > li').length === 2, null, { timeout: 30_000 });
    await waitForWaiting(p, 0, 60_000);
    assert.equal(await p.locator('[data-testid=my-records] > li.state-rejected').count(), 0,
      await p.getByTestId('my-records').textContent());

    const sup = await server.login('truongcong');
    const list = (await server.api(sup, '/api/records')).body;
    const byHeadline = (t) => list.find((r) => r.headline.includes(t)) ?? assert.fail(`no record like ${t} in ${JSON.stringify(list.map((r) => r.headline))}`);
    assert.equal(byHeadline('Ngõ 7 Nhật Tân').form_version, 1);
    const second = byHeadline('Ngõ 9 Nhật Tân');
    assert.equal(second.form_version, 2);
    const detail = (await server.api(sup, `/api/records/${second.id}`)).body;
    assert.equal(detail.data.witnesses, 'Bà Lan bán nước');

    // A draft can be discarded from the list.
    await p.getByTestId('new-report').click();
    await p.getByLabel('Địa điểm').fill('Bỏ đi');
    // Back to the list inside the app, as a person would (a full page load right after a
    // keystroke could abort that keystroke's save).
    await p.goBack();
    const row = p.locator('li.draft', { hasText: 'Bỏ đi' });
    await row.getByRole('button', { name: 'Xóa bản nháp' }).click();
    await row.waitFor({ state: 'detached' });
  } finally {
    await phone.close();
    await desk.close();
    await server.kill();
  }
});
