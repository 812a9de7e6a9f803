// Two phones correct the same returned report: the first correction becomes the record's new
// revision; the second, made on a base that is no longer current, is a conflict the phone is told
// about in words; the supervisor sees both copies side by side and keeps the second.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DESKTOP, Server, fileReport, launch, page, signIn, signInAtDesk, tempDir, until, waitForWaiting,
} from './harness.mjs';

const PLACE = 'Số 15 ngõ 2 Nhật Tân';

async function correct(p, description) {
  const row = p.getByTestId('my-records').locator('li', { hasText: PLACE });
  await row.getByRole('link', { name: 'Sửa và gửi lại' }).click();
  await p.getByLabel('Nội dung sự việc').fill(description);
  await p.getByTestId('submit').click();
  await p.getByTestId('new-report').waitFor();
}

test('a correction made on a stale base is a conflict the supervisor settles side by side', async () => {
  const server = await (await Server.create()).start();
  const phoneA = await launch(tempDir('phone-a'));
  const phoneB = await launch(tempDir('phone-b'));
  const desk = await launch(tempDir('desk'), DESKTOP);
  try {
    const a = await page(phoneA);
    await signIn(a, server.url, 'totruong');
    await fileReport(a, { location: PLACE, description: 'Ống nước vỡ.' });
    await waitForWaiting(a, 0);

    const d = await page(desk);
    await signInAtDesk(d, server.url, 'truongcong');
    await d.getByRole('link', { name: 'Hồ sơ của phường' }).click();
    await d.getByTestId('ward-records').getByText(PLACE).click();
    const detail = d.getByTestId('record-detail');
    await detail.getByLabel(/Ghi chú cho người lập/).fill('Ghi rõ tầng mấy.');
    await detail.getByRole('button', { name: 'Trả lại để sửa' }).click();
    await detail.locator('dd', { hasText: 'Trả lại để sửa' }).waitFor();

    // The second phone never had the record: it comes with the data to correct.
    const b = await page(phoneB);
    await signIn(b, server.url, 'totruong');
    const rowB = b.getByTestId('my-records').locator('li', { hasText: PLACE });
    await rowB.getByText('Ghi rõ tầng mấy.').waitFor({ timeout: 30_000 });
    await a.getByRole('button', { name: 'Gửi ngay' }).click();
    const rowA = a.getByTestId('my-records').locator('li', { hasText: PLACE });
    await rowA.getByText('Ghi rõ tầng mấy.').waitFor({ timeout: 30_000 });

    // Both correct it; the first to arrive is the new revision.
    await correct(a, 'Ống nước vỡ ở tầng 3.');
    await waitForWaiting(a, 0, 60_000);
    await correct(b, 'Ống nước vỡ ở tầng 4, nước tràn xuống tầng 3.');
    await waitForWaiting(b, 0, 60_000);
    await rowB.getByText('Hồ sơ đã thay đổi trên máy chủ').waitFor({ timeout: 30_000 });

    // The queue finds what waits for a decision.
    await d.getByLabel('Chỉ hồ sơ có bản xung đột chờ quyết định').check();
    await d.getByRole('button', { name: 'Lọc', exact: true }).click();
    await d.waitForURL(/conflict=open/);
    const table = d.getByTestId('ward-records');
    await table.getByText(PLACE).waitFor();
    assert.equal(await table.locator('tbody tr').count(), 1);

    // The supervisor sees the two copies side by side and keeps the second.
    await table.getByRole('link').click();
    await detail.getByText('Ống nước vỡ ở tầng 3.').first().waitFor();
    const conflict = d.getByTestId('conflict');
    await conflict.getByText('Ống nước vỡ ở tầng 4, nước tràn xuống tầng 3.').waitFor();
    await conflict.getByRole('button', { name: 'Dùng bản xung đột' }).click();
    await conflict.getByText('Đã dùng bản xung đột').waitFor();
    await detail.locator('dd', { hasText: 'Ống nước vỡ ở tầng 4, nước tràn xuống tầng 3.' }).waitFor();
    // The history tells how it came to be: three revisions; nothing waits any more.
    // (The history is read again after the choice: wait for it, with a deadline.)
    await until(async () => (await d.getByTestId('revision').count()) === 3, 'three revisions in the history', 30_000);
    await d.getByText('Chưa có hồ sơ nào.').waitFor();

    // The second phone learns its copy was settled: no conflict any more, back for review.
    await b.getByRole('button', { name: 'Gửi ngay' }).click();
    await rowB.getByText('Hồ sơ đã thay đổi trên máy chủ').waitFor({ state: 'detached', timeout: 30_000 });
    await rowB.getByText('Đã tiếp nhận').waitFor();
  } finally {
    await desk.close();
    await phoneB.close();
    await phoneA.close();
    await server.kill();
  }
});
