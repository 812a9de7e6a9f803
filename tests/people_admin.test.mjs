// People and access in the browser: an administrator adds a group leader on the admin page
// (and is told why a short password is refused), the leader works offline, the administrator
// signs out every device of that leader (a lost phone), and the phone keeps its outbox until
// the leader signs in again — then the record arrives exactly once. The leader sees their
// devices, and the administrator finds the sign-out in the audit trail.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DESKTOP, Server, fileReport, signInAtDesk, launch, page, tempDir, waitForServiceWorker, waitForWaiting, waitingCount } from './harness.mjs';

const NEW_PASSWORD = 'ngõ năm mươi hai Nhật Tân';

test('an administrator adds a user and cuts off a lost phone without losing its records', async () => {
  const server = await (await Server.create()).start();
  const desk = await launch(tempDir('desk'), DESKTOP);
  const phone = await launch(tempDir('phone'));
  // The lost phone is cut off: its next sync is answered 401 on purpose; the desk's first try
  // with a too-short password is answered 422 on purpose.
  phone.allowConsoleError(/status of 401/);
  desk.allowConsoleError(/status of 422/);
  try {
    const d = await page(desk);
    d.on('dialog', (dialog) => dialog.accept());
    await signInAtDesk(d, server.url, 'admin');
    await d.getByRole('link', { name: 'Người dùng và địa bàn' }).click();
    await d.getByTestId('users').waitFor();

    await d.getByTestId('add-user').click();
    const form = d.getByTestId('user-form');
    await form.getByLabel('Tên đăng nhập').fill('tothu2');
    await form.getByLabel('Họ và tên').fill('Trần Thị <b>Hoa</b>');
    await form.getByLabel('Vai trò').selectOption('group_leader');
    await form.getByLabel('Phường / xã').selectOption({ label: 'Nhật Tân' });
    await form.getByLabel('Tổ dân phố').selectOption({ index: 2 });
    await form.getByLabel('Mật khẩu').fill('ngắn');
    await form.getByRole('button', { name: 'Lưu' }).click();
    await form.getByText('Mật khẩu cần ít nhất 10 ký tự').first().waitFor();
    await form.getByLabel('Mật khẩu').fill(NEW_PASSWORD);
    await form.getByRole('button', { name: 'Lưu' }).click();
    const row = d.locator('tr[data-username=tothu2]');
    await row.waitFor();
    // An HTML-looking name is shown as the text it is.
    assert.equal(await row.locator('td').nth(1).textContent(), 'Trần Thị <b>Hoa</b>');

    // The new leader signs in on a phone and files a report with no network.
    const p = await page(phone);
    await p.goto(server.url);
    await p.getByLabel('Tên đăng nhập').fill('tothu2');
    await p.getByLabel('Mật khẩu').fill(NEW_PASSWORD);
    await p.getByRole('button', { name: 'Đăng nhập' }).click();
    await p.waitForFunction(() => document.querySelector('[data-testid=last-sync]')?.textContent.includes('/'), null, { timeout: 30_000 });
    await waitForServiceWorker(p);
    await p.getByTestId('devices-link').click();
    await p.getByTestId('devices').getByText('Thiết bị này').waitFor();
    await p.goto(server.url);
    await p.getByTestId('new-report').waitFor();
    await fileReport(p, { location: 'Đã gửi trước khi mất máy', description: 'Hồ sơ đã lên máy chủ.' });
    await waitForWaiting(p, 0, 30_000);
    await phone.setOffline(true);
    await fileReport(p, { location: 'Điện thoại bị mất', description: 'Hồ sơ gửi trước khi mất máy.' });
    assert.equal(await waitingCount(p), 1);

    // The phone is lost: the administrator signs out all its devices.
    await d.goto(`${server.url}/desk/people`);
    await d.locator('tr[data-username=tothu2]').getByRole('button', { name: 'Đăng xuất mọi thiết bị' }).click();
    await d.locator('tr[data-username=tothu2] td').nth(4).filter({ hasText: '0' }).waitFor();

    await phone.setOffline(false);
    await p.getByRole('button', { name: 'Gửi ngay' }).click();
    await p.getByText('Phiên đăng nhập đã hết hạn').waitFor({ timeout: 30_000 });
    assert.equal(await waitingCount(p), 1, 'the outbox is kept');
    // What is already on the server leaves the cut-off phone; what waits stays.
    await p.getByTestId('my-records').getByText('Đã gửi trước khi mất máy').waitFor({ state: 'detached' });
    await p.getByTestId('my-records').getByText('Điện thoại bị mất').waitFor();

    // Found again: the leader signs in and the record goes through once.
    await p.locator('.syncbar').getByRole('button', { name: 'Đăng nhập' }).click();
    await p.locator('.syncbar').getByLabel('Mật khẩu').fill(NEW_PASSWORD);
    await p.locator('.syncbar').getByRole('button', { name: 'Đăng nhập' }).click();
    await waitForWaiting(p, 0, 60_000);
    // Signed in again, the phone pulls its sent records back (their status; the content stays
    // on the server).
    await p.waitForFunction(() => document.querySelectorAll('[data-testid=my-records] > li').length === 2, null, { timeout: 30_000 });
    const boss = await server.login('truongcong');
    const { body } = await server.api(boss, '/api/records');
    assert.equal(body.filter((r) => r.headline.includes('Điện thoại bị mất')).length, 1);

    // The administrator finds the sign-out in the audit trail.
    await d.goto(`${server.url}/desk/audit`);
    await d.getByTestId('audit').locator('tr[data-action="user.signout"]').first().waitFor();
    await d.getByTestId('audit').locator('tr[data-action="user.create"]').first().waitFor();

    // Places are renamed on the same page (a prompt asks for the new name).
    d.removeAllListeners('dialog');
    d.on('dialog', (dialog) => dialog.accept(dialog.type() === 'prompt' ? 'Tổ dân phố số 9' : undefined));
    await d.goto(`${server.url}/desk/people`);
    const quangAn = d.getByTestId('wards').locator('li', { hasText: 'Quảng An' }).first();
    await quangAn.locator('ul.groups > li').first().getByRole('button', { name: 'Đổi tên' }).click();
    await d.getByTestId('wards').getByText('Tổ dân phố số 9').waitFor();
  } finally {
    await phone.close();
    await desk.close();
    await server.kill();
  }
});
