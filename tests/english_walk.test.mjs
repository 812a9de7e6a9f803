// One walk through the app in English, the second language: the choice made on the sign-in
// page holds on the phone and survives a reload; the server's messages, the form's labels and
// field errors, the sync bar and the desk all speak English, and nothing Vietnamese is left on
// the way.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DESKTOP, PASSWORD, Server, launch, page, tempDir, waitForWaiting } from './harness.mjs';

/** Vietnamese letters that English text never has: a leftover untranslated string shows them. */
const VIETNAMESE = /[ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ]/i;

async function chooseEnglish(p) {
  await p.getByRole('button', { name: 'EN', exact: true }).click();
  await p.getByRole('button', { name: 'Sign in' }).waitFor();
}

/** The page's visible text, without the language switch and what users typed or filed. */
async function chrome(p, typed) {
  const text = await p.evaluate(() => document.body.innerText);
  return typed.reduce((t, s) => t.replaceAll(s, ''), text);
}

test('a group leader and a supervisor can do their work in English', async () => {
  const server = await (await Server.create()).start();
  const phone = await launch(tempDir('phone-en'));
  // Names of people and places are data, not interface: they stay as they are.
  const typed = [
    'Lane 12, Nhật Tân', 'Bà Phạm Thị Lan', 'Thượng tá Nguyễn Văn Trường', 'Đại úy Lê Thị Hoa', 'Nhật Tân', 'Quảng An', 'Xuân La',
    ...[1, 2, 3, 4].map((n) => `Tổ dân phố số ${n}`),
  ];
  try {
    const p = await page(phone);
    await p.goto(server.url);
    await p.getByRole('button', { name: 'Đăng nhập' }).waitFor();
    assert.match(await chrome(p, typed), VIETNAMESE, 'the check sees Vietnamese where there is');
    await chooseEnglish(p);
    assert.doesNotMatch(await chrome(p, typed), VIETNAMESE, 'the sign-in page is all English');
    assert.equal(await p.evaluate(() => document.documentElement.lang), 'en');

    // The server answers a wrong password in the user's language.
    phone.allowConsoleError(/status of 401/);
    await p.getByLabel('Username').fill('totruong');
    await p.getByLabel('Password').fill('not the password');
    await p.getByRole('button', { name: 'Sign in' }).click();
    await p.getByText('Wrong username or password.').waitFor();

    await p.getByLabel('Password').fill(PASSWORD);
    await p.getByRole('button', { name: 'Sign in' }).click();
    await p.getByText('Waiting to send').first().waitFor();
    await p.waitForFunction(() => document.querySelector('[data-testid=last-sync]')?.textContent.includes('/'), null, { timeout: 30_000 });
    await p.reload();
    await p.getByRole('button', { name: 'Sync now' }).waitFor();
    assert.doesNotMatch(await chrome(p, typed), VIETNAMESE, 'home is all English');

    // The form: labels, choices and the validator's messages in English.
    await p.getByTestId('new-report').click();
    await p.getByText('What happened').first().waitFor();
    await p.getByTestId('submit').click();
    await p.getByText('Please correct the marked fields.').waitFor();
    assert.ok(await p.getByText('Please fill in this field.').count() >= 1);
    assert.doesNotMatch(await chrome(p, typed), VIETNAMESE, 'the form is all English');
    await p.getByLabel('Theft').check();
    await p.getByLabel('Urgent', { exact: true }).check();
    await p.getByLabel('Location').fill('Lane 12, Nhật Tân');
    await p.getByLabel('What happened').fill('Two bicycles taken at night.');
    await p.getByTestId('submit').click();
    await p.getByTestId('new-report').waitFor();
    await waitForWaiting(p, 0);
    await p.locator('li', { hasText: 'Lane 12, Nhật Tân' }).getByText('Received').waitFor();

    // The supervisor at the desk, in English too.
    const desk = await launch(tempDir('desk-en'), DESKTOP);
    try {
      const d = await page(desk);
      await d.goto(`${server.url}/desk`);
      await chooseEnglish(d);
      await d.getByLabel('Username').fill('truongcong');
      await d.getByLabel('Password').fill(PASSWORD);
      await d.getByRole('button', { name: 'Sign in' }).click();
      await d.getByRole('link', { name: 'Ward records' }).click();
      const table = d.getByTestId('ward-records');
      await table.getByText('Lane 12, Nhật Tân').click();
      const detail = d.getByTestId('record-detail');
      await detail.getByText('Two bicycles taken at night.').waitFor();
      assert.ok(await detail.getByText('Theft').isVisible());
      await detail.getByRole('button', { name: 'Start handling' }).click();
      await detail.locator('dd', { hasText: 'Being handled' }).waitFor();
      assert.doesNotMatch(await chrome(d, typed), VIETNAMESE, 'the desk is all English');
    } finally {
      await desk.close();
    }

    // Back on the phone, the new state in English.
    await p.getByRole('button', { name: 'Sync now' }).click();
    await p.locator('li', { hasText: 'Lane 12, Nhật Tân' }).getByText('Being handled').waitFor({ timeout: 30_000 });
  } finally {
    await phone.close();
    await server.kill();
  }
});
