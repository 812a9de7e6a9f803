// The ward's indicators on the demo's two years: at a desk and on a 360 px phone, every number
// opening the review queue on its records, and the monthly report printed to one A4 page of
// PDF that says what the page says.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as pdfjs from 'pdfjs-dist/legacy/build/pdf.mjs';
import { DESKTOP, PHONE, Server, launch, page, signInAtDesk, tempDir } from './harness.mjs';

async function pdfText(bytes) {
  const doc = await pdfjs.getDocument({ data: new Uint8Array(bytes) }).promise;
  const pages = [];
  for (let n = 1; n <= doc.numPages; n++) {
    const content = await (await doc.getPage(n)).getTextContent();
    pages.push(content.items.map((i) => i.str).join(' ').replace(/\s+/g, ' '));
  }
  return pages;
}

test('a supervisor reads the month at a desk, opens the records behind a count, and prints one A4 page', async () => {
  const server = await (await Server.create({ demoHistory: true })).start();
  const desk = await launch(tempDir('desk'), DESKTOP);
  try {
    const token = await server.login('truongcong');
    const march = (await server.api(token, '/api/indicators?year=2026&month=3')).body;
    assert.equal(march.ward.name, 'Tây Hồ');

    const d = await page(desk);
    await signInAtDesk(d, server.url, 'truongcong');
    await d.getByRole('link', { name: 'Chỉ tiêu phường kiểu mẫu' }).click();
    await d.getByTestId('report').waitFor();
    // Another month, chosen in the page, goes into the address.
    await d.getByLabel(/^Năm/).selectOption('2026');
    await d.getByLabel(/^Tháng/).selectOption('3');
    await d.waitForURL(/\/desk\/indicators\?year=2026&month=3/);
    const report = d.getByTestId('report');
    await report.getByRole('heading', { name: 'Báo cáo tháng Phường Tây Hồ — tháng 3/2026' }).waitFor();
    assert.equal(await d.getByTestId('zero').locator('li.tile').count(), 4);
    // It says when the figures were counted (a dashboard asked often answers from its last count).
    assert.ok(march.counted_at > 0, `counted_at ${march.counted_at}`);
    assert.match(await report.getByTestId('counted-at').innerText(), /^Số liệu tính lúc \d{2}:\d{2} \d{2}\/\d{2}\/\d{4}$/);
    // The chart has the months' bars; each says what it is.
    assert.ok(await report.locator('figure.chart > svg rect').count() >= 3 * 3);
    assert.match(await report.locator('figure.chart > svg rect title').first().textContent(), /^T1 — .+: \d+$/);

    // The table says what the server counted, as counts: "before → now (change)".
    const top = march.reports.filter((s) => s.year_to_date > 0).sort((a, b) => b.year_to_date - a.year_to_date)[0];
    const row = d.getByTestId('categories-neighborhood_report').locator(`tr[data-category=${top.category}]`);
    const cells = row.locator('td');
    assert.equal(await cells.nth(0).innerText(), String(top.year_to_date));
    assert.equal(await cells.nth(1).innerText(), String(top.last_year_to_date));
    const diff = top.year_to_date - top.last_year_to_date;
    assert.match(await cells.nth(2).innerText(), new RegExp(`^${top.last_year_to_date} → ${top.year_to_date} \\(`));
    assert.doesNotMatch(await cells.nth(2).innerText(), /%/);
    assert.ok(diff !== 0 || (await cells.nth(2).innerText()).includes('±0'));

    // A count opens the queue on exactly those records.
    await cells.nth(0).getByRole('link').click();
    await d.waitForURL(new RegExp(`/desk/records\\?form=neighborhood_report&category=${top.category}&from=01/01/2026&to=31/03/2026`));
    // The chip says the category as the form labels it, not its stored value.
    await d.getByTestId('category-filter').getByText(top.label.vi).waitFor();
    await d.getByTestId('queue-tabs').getByRole('link', { name: `Tất cả ${top.year_to_date}` }).waitFor();

    // Printed: one A4 page, in Vietnamese, with dd/mm/yyyy dates and the table's numbers.
    await d.goBack();
    await report.waitFor();
    await d.emulateMedia({ media: 'print' });
    const pdf = await d.pdf({ format: 'A4', printBackground: true });
    const pages = await pdfText(pdf);
    assert.equal(pages.length, 1, `one page, got ${pages.length}`);
    const text = pages[0];
    assert.match(text, /Báo cáo tháng Phường Tây Hồ — tháng 3\/2026/);
    assert.match(text, /01\/03\/2026 – 31\/03\/2026\s*·\s*Số liệu tính lúc \d{2}:\d{2}/);
    assert.match(text, /Không để xảy ra tội phạm nghiêm trọng/);
    assert.match(text, new RegExp(`${top.last_year_to_date} → ${top.year_to_date}`));
    assert.match(text, /Lập ngày \d{2}\/\d{2}\/\d{4}/);
    // What is for the screen only is not on paper.
    assert.doesNotMatch(text, /In báo cáo tháng/);
  } finally {
    await desk.close();
    await server.kill();
  }
});

test('provincial staff choose a ward of their province and read it on a 360 px phone', async () => {
  const server = await (await Server.create({ demoHistory: true })).start();
  const phone = await launch(tempDir('phone'), PHONE);
  try {
    const p = await page(phone);
    await signInAtDesk(p, server.url, 'congantinh');
    await p.goto(`${server.url}/desk/indicators`);
    const report = p.getByTestId('report');
    await report.waitFor();
    // Their province's wards and communes side by side; a name opens that ward's month.
    const compare = p.getByTestId('province');
    await compare.locator('tbody tr').nth(1).waitFor();
    assert.equal(await compare.locator('tbody tr').count(), 2);
    await compare.getByRole('button', { name: 'Phường Phú Thượng' }).click();
    await report.getByRole('heading', { name: /Báo cáo tháng Phường Phú Thượng/ }).waitFor();
    // The picker says so too, and takes them back.
    await p.getByLabel(/^Phường \/ xã/).selectOption({ label: 'Tây Hồ' });
    await report.getByRole('heading', { name: /Báo cáo tháng Phường Tây Hồ/ }).waitFor();
    // Readable at 360 px: nothing wider than the screen but the tables' own scrolling.
    const { page: wide, screen } = await p.evaluate(() => ({
      page: document.documentElement.scrollWidth,
      screen: window.innerWidth,
    }));
    assert.ok(wide <= screen, `the page is ${wide} px wide on a ${screen} px screen`);
    const chart = await report.locator('figure.chart > svg').boundingBox();
    assert.ok(chart.width > 250 && chart.width <= screen, `chart ${chart.width} px wide`);
    // They read, and change nothing: no review buttons on a record they open.
    await report.getByTestId('categories-neighborhood_report').locator('td a').first().click();
    await p.waitForURL(/\/desk\/records\?/);
    await p.getByTestId('ward-records').locator('tbody tr a').first().click();
    await p.waitForURL(/\/desk\/records\/[0-9a-f-]{36}/);
    await p.getByRole('heading', { level: 2 }).first().waitFor();
    assert.equal(await p.getByRole('button', { name: 'Duyệt' }).count(), 0);
  } finally {
    await phone.close();
    await server.kill();
  }
});
