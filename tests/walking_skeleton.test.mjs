// Steps 2–5 of the walking skeleton: a group leader files reports online and with the server
// gone, nothing is lost across reloads and browser restarts, the outbox drains by itself when
// the server returns, and only the right ward's supervisor sees the reports.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DESKTOP, Server, fileReport, launch, page, signIn, signInAtDesk, tempDir, waitForServiceWorker, waitForWaiting,
  waitingCount,
} from './harness.mjs';

test('a report filed offline reaches the ward exactly once', async () => {
  const server = await (await Server.create()).start();
  const profile = tempDir('phone');
  let phone = await launch(profile);
  try {
    let p = await page(phone);
    await signIn(p, server.url, 'totruong');
    await waitForServiceWorker(p);

    await fileReport(p, { location: 'Số 3 ngõ 12 Nhật Tân', description: 'Mất trộm xe máy lúc đêm.' });
    await waitForWaiting(p, 0);

    // The server process is gone, not "offline mode".
    await server.kill();
    await p.reload();
    await p.getByTestId('new-report').waitFor();
    await fileReport(p, { location: 'Ngõ 52 Tô Ngọc Vân', description: 'Nhóm thanh niên tụ tập gây ồn ào.', category: 'Tiếng ồn', urgency: 'Bình thường' });
    assert.equal(await waitingCount(p), 1);
    await p.reload();
    await p.getByTestId('new-report').waitFor();
    assert.equal(await waitingCount(p), 1, 'a reload keeps the outbox');

    // Closing and reopening the browser keeps the user and the outbox.
    await phone.close();
    phone = await launch(profile);
    p = await page(phone);
    await p.goto(server.url);
    await p.getByTestId('new-report').waitFor();
    assert.equal(await waitingCount(p), 1, 'a browser restart keeps the outbox');
    await p.getByText('Ngõ 52 Tô Ngọc Vân').waitFor();

    // The server returns; the outbox drains with no click.
    await server.start();
    await waitForWaiting(p, 0, 90_000);
    await p.getByText('Đã tiếp nhận').first().waitFor();

    const sup = await launch(tempDir('desk'), DESKTOP);
    try {
      const d = await page(sup);
      await signInAtDesk(d, server.url, 'truongcong');
      await d.getByRole('link', { name: 'Hồ sơ của phường' }).click();
      const table = d.getByTestId('ward-records');
      await table.waitFor();
      assert.equal(await table.getByText('Ngõ 52 Tô Ngọc Vân').count(), 1);
      assert.equal(await table.getByText('Số 3 ngõ 12 Nhật Tân').count(), 1);
      await table.getByText('Ngõ 52 Tô Ngọc Vân').click();
      const detail = d.getByTestId('record-detail');
      await detail.getByText('Nhóm thanh niên tụ tập gây ồn ào.').waitFor();
      assert.ok(await detail.getByText('Tiếng ồn').isVisible());

      // The supervisor takes it on; the reporter's phone shows that after its next sync.
      await detail.getByRole('button', { name: 'Bắt đầu xử lý' }).click();
      await detail.locator('dd', { hasText: 'Đang xử lý' }).waitFor();
      // What it offers now: what the review state machine allows from "being handled".
      await detail.getByRole('button', { name: 'Đã giải quyết xong' }).waitFor();
      assert.equal(await detail.getByRole('button', { name: 'Bắt đầu xử lý' }).count(), 0);
      assert.equal(await detail.getByRole('button', { name: 'Duyệt' }).count(), 0);
      await p.getByRole('button', { name: 'Gửi ngay' }).click();
      await p.locator('li', { hasText: 'Ngõ 52 Tô Ngọc Vân' }).getByText('Đang xử lý').waitFor({ timeout: 30_000 });
    } finally {
      await sup.close();
    }

    const other = await launch(tempDir('desk2'), DESKTOP);
    try {
      const d = await page(other);
      await signInAtDesk(d, server.url, 'truongxuanla');
      await d.getByRole('link', { name: 'Hồ sơ của phường' }).click();
      await d.getByText('Chưa có hồ sơ nào.').waitFor();
    } finally {
      await other.close();
    }
  } finally {
    await phone.close();
    await server.kill();
  }
});
