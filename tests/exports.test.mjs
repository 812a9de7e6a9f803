// Exports at the desk: a supervisor exports the queue's filtered records as Excel and as a zip
// of CSV files, watches the progress while the server builds the file, gets it saved by the
// browser when it is done, and finds both exports again after a reload.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { DESKTOP, Server, launch, page, signInAtDesk, tempDir } from './harness.mjs';

test('a supervisor exports the filtered queue as Excel and CSV, with progress, and the browser saves each file', async () => {
  const server = await (await Server.create({ demoHistory: true })).start();
  const desk = await launch(tempDir('desk'), DESKTOP);
  try {
    const token = await server.login('truongcong');
    const counts = (await server.api(token, '/api/records/counts?form=field_visit')).body;
    const visits = counts.reduce((n, c) => n + c.count, 0);
    assert.ok(visits > 100, `the demo has field visits in the ward (${visits})`);

    const d = await page(desk);
    await signInAtDesk(d, server.url, 'truongcong');
    await d.goto(`${server.url}/desk/records?form=field_visit`);
    const panel = d.getByTestId('exports');
    // Folded away under the filter until asked for.
    await panel.getByRole('heading', { name: 'Xuất dữ liệu' }).click();

    // The first two answers about the job say it is a third of the way (as a large export
    // would); then the real answers come through.
    let held = 2;
    await d.route(/\/api\/exports\/[0-9a-f-]{36}$/, async (route) => {
      if (held <= 0) return route.continue();
      held -= 1;
      const response = await route.fetch();
      const job = await response.json();
      await route.fulfill({ response, json: { ...job, state: 'running', done: Math.floor(job.total / 3) } });
    });
    const saved = d.waitForEvent('download', { timeout: 60_000 });
    await panel.getByRole('button', { name: 'Excel (.xlsx)' }).click();
    const third = Math.floor(visits / 3).toLocaleString('vi-VN');
    const all = visits.toLocaleString('vi-VN');
    const running = panel.locator('li[data-state=running]');
    await running.getByText(`${third} / ${all} hồ sơ`).waitFor();
    const bar = running.locator('progress');
    assert.equal(await bar.getAttribute('max'), String(visits));
    assert.equal(await bar.getAttribute('value'), String(Math.floor(visits / 3)));

    // Done: the browser saves the workbook by itself.
    const xlsx = await saved;
    assert.match(xlsx.suggestedFilename(), /^wardbook-field_visit-\d{4}-\d{2}-\d{2}\.xlsx$/);
    const bytes = fs.readFileSync(await xlsx.path());
    assert.equal(bytes.subarray(0, 4).toString('latin1'), 'PK\x03\x04', 'an xlsx is a zip');
    const jobs = (await server.api(token, '/api/exports')).body;
    assert.equal(jobs.length, 1);
    assert.equal(jobs[0].total, visits, 'every record of the filter, no other');
    assert.equal(jobs[0].bytes, bytes.length);
    const done = panel.locator('li[data-state=done]');
    await done.getByText(`${all} hồ sơ`).waitFor();

    // The CSV zip: a file per form and per repeat group.
    const zipSaved = d.waitForEvent('download', { timeout: 60_000 });
    await panel.getByRole('button', { name: 'CSV (.zip)' }).click();
    const zip = await zipSaved;
    assert.match(zip.suggestedFilename(), /^wardbook-field_visit-\d{4}-\d{2}-\d{2}\.csv\.zip$/);
    const zipBytes = fs.readFileSync(await zip.path());
    assert.ok(zipBytes.includes('field_visit.csv'), 'the records file is in the zip');
    assert.ok(!zipBytes.includes('neighborhood_report.csv'), 'only the filtered form');

    // After a reload both are still there, and the first can be downloaded again.
    await d.reload();
    await panel.getByText('2 tệp sẵn sàng').waitFor();
    await panel.getByRole('heading', { name: 'Xuất dữ liệu' }).click();
    await panel.locator('li[data-state=done]').nth(1).waitFor();
    assert.equal(await panel.locator('li[data-state=done]').count(), 2);
    const again = d.waitForEvent('download', { timeout: 60_000 });
    await panel.locator('li[data-state=done]').nth(1).getByRole('button', { name: /^Tải xuống/ }).click();
    assert.equal((await again).suggestedFilename(), xlsx.suggestedFilename());

    // Both exports and the three downloads are in the ward's audit trail.
    const made = (await server.api(token, '/api/audit?action=export.create')).body;
    const taken = (await server.api(token, '/api/audit?action=export.download')).body;
    assert.equal(made.length, 2);
    assert.equal(taken.length, 3);
  } finally {
    await desk.close();
    await server.kill();
  }
});
