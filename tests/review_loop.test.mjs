// The review loop, end to end: a supervisor returns a report with a comment; the group leader's
// phone shows it, and with no network corrects it and resubmits it; back online it reaches the
// desk as the record's new revision; the supervisor approves; the phone shows "approved".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DESKTOP, Server, fileReport, launch, page, signIn, signInAtDesk, tempDir, waitForServiceWorker, waitForWaiting,
  waitingCount,
} from './harness.mjs';

const PLACE = 'Số 9 ngõ 3 Nhật Tân';

test('a returned report is corrected offline on the phone, resubmitted and approved', async () => {
  const server = await (await Server.create()).start();
  const phone = await launch(tempDir('phone'));
  const desk = await launch(tempDir('desk'), DESKTOP);
  // The return without a note, refused on purpose.
  desk.allowConsoleError(/status of 422/);
  try {
    const p = await page(phone);
    await signIn(p, server.url, 'totruong');
    await waitForServiceWorker(p);
    await fileReport(p, { location: PLACE, description: 'Cháy nhỏ ở bếp.' });
    await waitForWaiting(p, 0);
    assert.equal(await p.getByTestId('needs-action').count(), 0, 'nothing waits for the leader yet');

    const d = await page(desk);
    await signInAtDesk(d, server.url, 'truongcong');
    await d.getByRole('link', { name: 'Hồ sơ của phường' }).click();
    await d.getByTestId('ward-records').getByText(PLACE).click();
    const detail = d.getByTestId('record-detail');
    await detail.getByText('Cháy nhỏ ở bếp.').waitFor();
    // Returning needs a note: without one the server says what is missing.
    await detail.getByRole('button', { name: 'Trả lại để sửa' }).click();
    await detail.getByRole('alert').getByText('Hãy ghi rõ cần sửa gì.').waitFor();
    await detail.getByLabel(/Ghi chú cho người lập/).fill('Ghi rõ giờ xảy ra.');
    await detail.getByRole('button', { name: 'Trả lại để sửa' }).click();
    await detail.locator('dd', { hasText: 'Trả lại để sửa' }).waitFor();

    // The phone learns of it at its next sync: at the top, with the note, and a count.
    await p.getByRole('button', { name: 'Gửi ngay' }).click();
    const row = p.getByTestId('my-records').locator('li', { hasText: PLACE });
    await row.getByText('Ghi rõ giờ xảy ra.').waitFor({ timeout: 30_000 });
    await row.getByText('Trả lại để sửa').waitFor();
    assert.equal(await p.getByTestId('needs-action').textContent(), '1');

    // No network from here: the correction is made and queued offline, across a reload.
    await phone.setOffline(true);
    await p.reload();
    await row.getByText('Ghi rõ giờ xảy ra.').waitFor();
    await row.getByRole('link', { name: 'Sửa và gửi lại' }).click();
    await p.getByLabel('Địa điểm').waitFor();
    assert.equal(await p.getByLabel('Địa điểm').inputValue(), PLACE, 'the data to correct is there');
    await p.getByLabel('Nội dung sự việc').fill('Cháy nhỏ ở bếp lúc 21 giờ, đã dập tắt.');
    await p.getByTestId('submit').click();
    await p.getByTestId('new-report').waitFor();
    assert.equal(await waitingCount(p), 1);
    assert.equal(await p.getByTestId('needs-action').count(), 0, 'the correction is on its way');

    await phone.setOffline(false);
    await p.getByRole('button', { name: 'Gửi ngay' }).click();
    await waitForWaiting(p, 0, 60_000);
    await row.getByText('Đã tiếp nhận').waitFor({ timeout: 30_000 });

    // On the desk: the new revision, back for review; approved.
    await d.reload();
    await detail.locator('dd', { hasText: 'Cháy nhỏ ở bếp lúc 21 giờ, đã dập tắt.' }).waitFor();
    // Its difference from the first revision, field by field, and how it came to be.
    await d.getByTestId('revision').nth(1)
      .getByText('Nội dung sự việc: Cháy nhỏ ở bếp. → Cháy nhỏ ở bếp lúc 21 giờ, đã dập tắt.').waitFor();
    await d.getByTestId('record-history').getByText('Trả lại để sửa (Đã tiếp nhận → Trả lại để sửa) — “Ghi rõ giờ xảy ra.”', { exact: false }).waitFor();
    await detail.locator('dd', { hasText: 'Đã tiếp nhận' }).waitFor();
    await detail.getByRole('button', { name: 'Duyệt' }).click();
    await detail.locator('dd', { hasText: 'Đã duyệt' }).waitFor();
    // The record's audit trail beside it: its creation, the return, the resubmission, the approval.
    const audit = d.getByTestId('record-audit');
    await audit.getByText('record.review (received -> approved)', { exact: false }).waitFor();
    await audit.getByText('record.resubmit', { exact: false }).waitFor();
    await audit.getByText('record.create', { exact: false }).waitFor();

    await p.getByRole('button', { name: 'Gửi ngay' }).click();
    await row.getByText('Đã duyệt').waitFor({ timeout: 30_000 });
    assert.equal(await row.getByRole('link', { name: 'Sửa và gửi lại' }).count(), 0);
  } finally {
    await desk.close();
    await phone.close();
    await server.kill();
  }
});
