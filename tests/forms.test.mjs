// The form engine end to end: an officer fills each built-in form with the server gone — every
// field type, conditional fields, repeat rows, a GPS point and photos — and after the server
// returns, each record is on the server field by field as the phone queued it, and each photo
// byte for byte as the phone kept it (resized to at most 1600 px).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { Server, launch, page, signIn, tempDir, waitForServiceWorker, waitForWaiting } from './harness.mjs';

const FORMS = ['neighborhood_report', 'field_visit', 'fire_safety_check', 'residence_check', 'managed_person_visit'];
const POSITION = { latitude: 21.078123, longitude: 105.812345, accuracy: 8 };

/** A JPEG bigger than the phone keeps (2400 x 1800 of noise), drawn by the browser itself. */
async function bigJpeg(p) {
  const bytes = await p.evaluate(async () => {
    const c = new OffscreenCanvas(2400, 1800);
    const ctx = c.getContext('2d');
    for (let i = 0; i < 300; i++) {
      ctx.fillStyle = `hsl(${(i * 47) % 360} 70% 50%)`;
      ctx.fillRect((i * 97) % 2400, (i * 61) % 1800, 160, 120);
    }
    const blob = await c.convertToBlob({ type: 'image/jpeg', quality: 0.95 });
    return Array.from(new Uint8Array(await blob.arrayBuffer()));
  });
  return { name: 'anh.jpg', mimeType: 'image/jpeg', buffer: Buffer.from(bytes) };
}

/** Fills one field (top level, or `row` of a repeat group) the way a person would. */
async function fillField(p, field, id, photo) {
  const el = p.locator(`#${id}`);
  switch (field.type) {
    case 'text':
    case 'long_text':
      await el.fill(`Thử «${field.key}» <b>'; DROP TABLE records; --`);
      return;
    case 'integer': {
      const n = Math.min(Math.max(field.min ?? 1, 1), field.max ?? Infinity);
      await el.fill(String(n));
      return;
    }
    case 'decimal':
      await el.fill('12,5');
      await el.blur();
      return;
    case 'date':
      await el.fill('2026-11-20');
      return;
    case 'time':
      await el.fill('08:30');
      return;
    case 'date_time':
      await el.fill('2026-11-25T08:30');
      return;
    case 'phone':
      await el.fill('0912 345 678');
      return;
    case 'citizen_id':
      await el.fill('001203012345');
      return;
    case 'single_choice':
      await p.locator(`input[type=radio][name="${id}"]`).first().check();
      return;
    case 'yes_no':
      // "Có" opens the conditional fields that depend on this answer.
      await p.locator(`input[type=radio][name="${id}"]`).first().check();
      return;
    case 'multiple_choice': {
      const boxes = p.locator(`.field:has(#${id}-label) input[type=checkbox]`);
      const n = Math.min(2, field.max_selected ?? 2);
      for (let i = 0; i < n; i++) await boxes.nth(i).check();
      return;
    }
    case 'gps':
      await el.click();
      await p.getByTestId(`${id}-value`).filter({ hasText: '21.078123' }).waitFor();
      return;
    case 'photo':
      await el.setInputFiles(photo);
      await p.locator(`.field:has(#${id}-label) img.thumb`).first().waitFor();
      return;
    default:
      throw new Error(`no filler for ${field.type}`);
  }
}

async function fillForm(p, def, photo) {
  for (const field of def.fields) {
    const id = `f-${field.key}`;
    if (field.type === 'repeat') {
      const box = p.locator(`fieldset.repeat:has(legend:text-is("${field.label.vi}")), fieldset.repeat:has(legend:has-text("${field.label.vi}"))`).first();
      if (!(await box.count())) continue; // hidden by its condition
      await box.getByRole('button', { name: 'Thêm' }).click();
      for (const sub of field.fields) {
        const subId = `${id}-0-${sub.key}`;
        if (await p.locator(`#${subId}-label`).count()) await fillField(p, sub, subId, photo);
      }
      continue;
    }
    if (!(await p.locator(`#${id}-label`).count())) continue; // hidden by its condition
    await fillField(p, field, id, photo);
  }
}

/** The phone's outbox and its photos, read straight from IndexedDB. */
async function phoneState(p) {
  return p.evaluate(async () => {
    const db = await new Promise((ok, no) => {
      const r = indexedDB.open('wardbook');
      r.onsuccess = () => ok(r.result);
      r.onerror = () => no(r.error);
    });
    const all = (store) => new Promise((ok, no) => {
      const r = db.transaction(store).objectStore(store).getAll();
      r.onsuccess = () => ok(r.result);
      r.onerror = () => no(r.error);
    });
    const outbox = await all('outbox');
    const photos = {};
    for (const ph of await all('photos')) {
      photos[ph.sha256] = Array.from(new Uint8Array(await ph.blob.arrayBuffer()));
    }
    db.close();
    return { outbox, photos };
  });
}

test('each built-in form, filled offline with GPS and photos, reaches the server intact', async () => {
  const server = await (await Server.create()).start();
  const phone = await launch(tempDir('phone'));
  try {
    await phone.grantPermissions(['geolocation'], { origin: server.url });
    await phone.setGeolocation(POSITION);
    const p = await page(phone);
    await signIn(p, server.url, 'canbo');
    await waitForServiceWorker(p);
    const admin = await server.login('admin');
    const defs = {};
    for (const key of FORMS) {
      const res = await server.api(admin, `/api/forms/${key}/1`);
      assert.equal(res.status, 200, `form ${key}`);
      defs[key] = res.body;
    }
    const photo = await bigJpeg(p);

    await server.kill();
    await p.reload();
    for (const key of FORMS) {
      await p.getByTestId(key === 'neighborhood_report' ? 'new-report' : `new-${key}`).click();
      await p.locator('form.form h1').waitFor();
      await fillForm(p, defs[key], photo);
      await p.getByTestId('submit').click();
      await p.getByTestId('new-report').waitFor();
    }
    await waitForWaiting(p, FORMS.length);

    const { outbox, photos } = await phoneState(p);
    assert.equal(outbox.length, FORMS.length);
    assert.ok(Object.keys(photos).length >= 1, 'photos are kept on the phone until uploaded');
    for (const [sha, bytes] of Object.entries(photos)) {
      assert.equal(crypto.createHash('sha256').update(Buffer.from(bytes)).digest('hex'), sha);
    }
    // What the phone queued is what was typed and picked.
    const fire = outbox.find((r) => r.form_key === 'fire_safety_check');
    assert.equal(fire.data.floor_area_m2, 12.5, 'a Vietnamese decimal comma is a number');
    assert.equal(fire.data.violations.length, 1);
    assert.equal(fire.data.has_extinguishers, true);
    assert.equal(fire.data.recheck_on, undefined, 'a field whose condition does not hold is not sent');
    const report = outbox.find((r) => r.form_key === 'neighborhood_report');
    assert.deepEqual(Object.keys(report.data.position).sort(), ['accuracy_m', 'at', 'lat', 'lon']);
    assert.equal(report.data.position.lat, POSITION.latitude);
    const [ref] = report.data.photos;
    assert.ok(ref.width <= 1600 && ref.height <= 1600 && Math.max(ref.width, ref.height) === 1600, JSON.stringify(ref));
    assert.equal(ref.type, 'image/jpeg');

    await server.start();
    // After this long offline the engine is deep in its back-off; the user presses "sync now".
    await p.getByRole('button', { name: 'Gửi ngay' }).click();
    await waitForWaiting(p, 0, 90_000);
    const sup = await server.login('truongcong');
    for (const queued of outbox) {
      const res = await server.api(sup, `/api/records/${queued.id}`);
      assert.equal(res.status, 200, queued.form_key);
      assert.equal(res.body.summary.form_version, queued.form_version);
      for (const [k, v] of Object.entries(queued.data)) {
        assert.deepEqual(res.body.data[k], v, `${queued.form_key}.${k}`);
      }
      assert.deepEqual(Object.keys(res.body.data).sort(), Object.keys(queued.data).sort());
    }
    // Photos arrive after their records; wait for the last one, then compare bytes.
    for (const [sha, bytes] of Object.entries(photos)) {
      let got = null;
      for (let i = 0; i < 100 && !got; i++) {
        const res = await fetch(`${server.url}/api/photos/${sha}`, { headers: { authorization: `Bearer ${sup}` } });
        if (res.ok) got = Buffer.from(await res.arrayBuffer());
        else await new Promise((r) => setTimeout(r, 300));
      }
      assert.ok(got, `photo ${sha} reached the server`);
      assert.ok(got.equals(Buffer.from(bytes)), `photo ${sha} is byte for byte what the phone kept`);
    }
  } finally {
    await phone.close();
    await server.kill();
  }
});

test('adding a repeat row leaves the rows above as they are: the same inputs, their text and the focus', async () => {
  const server = await (await Server.create()).start();
  const phone = await launch(tempDir('phone'));
  try {
    const p = await page(phone);
    await signIn(p, server.url, 'canbo');
    await p.getByTestId('new-fire_safety_check').click();
    await p.locator('form.form h1').waitFor();
    await p.locator('input[type=radio][name="f-violations_found"]').first().check();
    const violations = p.locator('fieldset.repeat', { hasText: 'Các vi phạm' });
    await violations.getByRole('button', { name: /Thêm/ }).click();
    const first = p.locator('#f-violations-0-description');
    await first.fill('Lối thoát hiểm bị khóa');
    // Mark the very element, keep the caret in it, and add a row from the keyboard's side
    // (a script press, so the focus is not moved by a click).
    await p.evaluate(() => {
      const el = document.getElementById('f-violations-0-description');
      el.dataset.marker = 'same-element';
      el.focus();
      const add = [...document.querySelectorAll('fieldset.repeat button')].find((b) => b.textContent.includes('Thêm'));
      add.dispatchEvent(new MouseEvent('click', { bubbles: true }));
    });
    await p.locator('#f-violations-1-description').waitFor();
    const after = await p.evaluate(() => {
      const el = document.getElementById('f-violations-0-description');
      return { marker: el.dataset.marker, value: el.value, focused: document.activeElement === el };
    });
    assert.deepEqual(after, { marker: 'same-element', value: 'Lối thoát hiểm bị khóa', focused: true });
  } finally {
    await phone.close();
    await server.kill();
  }
});
