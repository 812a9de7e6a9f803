// The desk's review queue: a search that ignores diacritics, the filter in the address (so it
// can be bookmarked), counts per state, keyboard moves, and many records approved at once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DESKTOP, Server, fileReport, launch, page, signIn, signInAtDesk, tempDir, until, waitForWaiting,
} from './harness.mjs';

test('a supervisor finds, filters, pages by keyboard and approves many records at once', async () => {
  const server = await (await Server.create()).start();
  const phone = await launch(tempDir('phone'));
  const desk = await launch(tempDir('desk'), DESKTOP);
  try {
    const p = await page(phone);
    await signIn(p, server.url, 'totruong');
    for (const location of ['Số 4 phố Nhật Tân', 'Ngõ 7 Tô Ngọc Vân', 'Ngõ 9 Quảng An']) {
      await fileReport(p, { location, description: `Báo cáo về ${location}.` });
    }
    await waitForWaiting(p, 0);

    const d = await page(desk);
    await signInAtDesk(d, server.url, 'truongcong');
    await d.getByRole('link', { name: 'Hồ sơ của phường' }).click();
    const table = d.getByTestId('ward-records');
    await table.locator('tbody tr').nth(2).waitFor();
    const tabs = d.getByTestId('queue-tabs');
    await tabs.getByRole('link', { name: 'Tất cả 3' }).waitFor();

    // Typed without accents, found with them; the filter goes into the address.
    await d.getByLabel(/Tìm trong hồ sơ/).fill('NHAT tan');
    await d.getByRole('button', { name: 'Lọc', exact: true }).click();
    await d.waitForURL(/[?&]q=NHAT%20tan/);
    await tabs.getByRole('link', { name: 'Tất cả 1' }).waitFor();
    assert.equal(await table.locator('tbody tr').count(), 1);
    await table.getByText('Nhật Tân').waitFor();
    // The address alone brings the same list back (a bookmark, a shared link).
    await d.reload();
    await table.getByText('Nhật Tân').waitFor();
    assert.equal(await table.locator('tbody tr').count(), 1);
    assert.equal(await d.getByLabel(/Tìm trong hồ sơ/).inputValue(), 'NHAT tan');
    // Opening the record keeps the filter.
    await table.getByRole('link').click();
    await d.waitForURL(/\/desk\/records\/[0-9a-f-]{36}\?q=NHAT%20tan$/);

    // A date that does not exist is refused in words.
    await d.getByLabel(/Từ ngày/).fill('31/02/2026');
    await d.getByRole('button', { name: 'Lọc', exact: true }).click();
    await d.getByRole('alert').getByText('Ngày phải có dạng dd/mm/yyyy').waitFor();

    // The whole queue again; j and k move through it.
    await d.getByRole('link', { name: 'Bỏ lọc' }).click();
    await d.waitForURL(/\/desk\/records$/);
    await table.locator('tbody tr').nth(2).waitFor();
    const firstId = await table.locator('tbody tr').nth(0).getAttribute('data-id');
    const secondId = await table.locator('tbody tr').nth(1).getAttribute('data-id');
    await d.locator('body').press('j');
    await d.waitForURL(new RegExp(`/desk/records/${firstId}$`));
    await d.locator('body').press('j');
    await d.waitForURL(new RegExp(`/desk/records/${secondId}$`));
    await d.locator('body').press('k');
    await d.waitForURL(new RegExp(`/desk/records/${firstId}$`));
    // r: the open record's note box, ready for what to correct.
    await d.getByTestId('record-detail').getByLabel(/Ghi chú cho người lập/).waitFor();
    await d.locator('body').press('r');
    await d.waitForFunction(() => document.activeElement?.id === 'review-comment');

    // Two approved at once.
    await table.locator(`tr[data-id="${firstId}"]`).getByRole('checkbox').check();
    await table.locator(`tr[data-id="${secondId}"]`).getByRole('checkbox').check();
    await d.getByTestId('approve-selected').click();
    await d.getByTestId('queue-notice').getByText('Đã duyệt: 2').waitFor();
    await tabs.getByRole('link', { name: 'Đã duyệt 2' }).waitFor();
    await tabs.getByRole('link', { name: 'Đã duyệt 2' }).click();
    await d.waitForURL(/status=approved/);
    await until(async () => (await table.locator('tbody tr').count()) === 2, 'the two approved records alone in the list', 30_000);
    await tabs.getByRole('link', { name: 'Đã tiếp nhận 1' }).waitFor();

    // By urgency too (the reports were all filed "Khẩn"), kept in the address with the state.
    await d.getByLabel('Mức độ khẩn').selectOption({ label: 'Khẩn' });
    await d.getByRole('button', { name: 'Lọc', exact: true }).click();
    await d.waitForURL(/status=approved.*urgency=urgent/);
    await until(async () => (await table.locator('tbody tr').count()) === 2, 'the two urgent approved records', 30_000);
    await d.getByLabel('Mức độ khẩn').selectOption({ label: 'Rất khẩn — đang xảy ra' });
    await d.getByRole('button', { name: 'Lọc', exact: true }).click();
    await d.waitForURL(/urgency=emergency/);
    await d.getByText('Chưa có hồ sơ nào.').waitFor();

    // By residential group: the reports' own group finds all three, kept in the address.
    await d.getByRole('link', { name: 'Bỏ lọc' }).click();
    await table.locator('tbody tr').nth(2).waitFor();
    const group = (await table.locator('tbody tr').first().locator('td').nth(2).textContent()).trim();
    await d.getByLabel(/^Tổ dân phố/).selectOption({ label: group });
    await d.getByRole('button', { name: 'Lọc', exact: true }).click();
    await d.waitForURL(/[?&]group=\d+/);
    await tabs.getByRole('link', { name: 'Tất cả 3' }).waitFor();

    // By form and by author: the group leader's reports, none of another form or person.
    await d.getByRole('link', { name: 'Bỏ lọc' }).click();
    await d.waitForURL(/\/desk\/records$/);
    await d.getByLabel(/^Loại hồ sơ/).selectOption({ label: 'Tin báo / phản ánh' });
    await d.getByLabel(/^Người gửi/).selectOption({ label: `Bà Phạm Thị Lan (${group})` });
    await d.getByRole('button', { name: 'Lọc', exact: true }).click();
    await d.waitForURL(/form=neighborhood_report.*author=\d+|author=\d+.*form=neighborhood_report/);
    await tabs.getByRole('link', { name: 'Tất cả 3' }).waitFor();
    await d.getByLabel(/^Người gửi/).selectOption({ label: 'Đại úy Lê Thị Hoa' });
    await d.getByRole('button', { name: 'Lọc', exact: true }).click();
    await tabs.getByRole('link', { name: 'Tất cả 0' }).waitFor();
    await d.getByText('Chưa có hồ sơ nào.').waitFor();
    // The choice survives a reload, read from the address.
    await d.reload();
    await tabs.getByRole('link', { name: 'Tất cả 0' }).waitFor();
    assert.match(await d.getByLabel(/^Người gửi/).locator('option:checked').textContent(), /Lê Thị Hoa/);
  } finally {
    await desk.close();
    await phone.close();
    await server.kill();
  }
});
