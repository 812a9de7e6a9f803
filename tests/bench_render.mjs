// Benchmark (not a test): the longest built-in form in the browser, on an emulated 360x800 phone
// with the CPU throttled x4. Run: cargo xtask bench render
//
// The longest built-in form is fire_safety_check: 29 fields (24 shown when it opens, 5 behind
// conditions) plus a repeat group of 5 sub-fields per violation and 25 choices to draw, against
// 16-17 fields for field_visit, residence_check and managed_person_visit and 9 for the
// neighborhood report (counted from domain/forms/*.json).
//
// Each run loads the home page afresh as the officer `canbo` and then measures, inside the page
// (performance.now() around the action, a MutationObserver for the DOM, so no Playwright
// round trip is timed):
//   * open:      click on "new fire-safety check" → the form's <h1>, the label of every field
//                shown when it opens (the last is "Cán bộ kiểm tra") and a visible submit button;
//   * keystroke: keydown in "Tên cơ sở" → the app's input handler done, and the next frame;
//   * reveal:    "Có vi phạm?" → Có → the violations group and its "Thêm" button;
//   * add row:   "Thêm" → a violation row with its 5 fields;
//   * reopen:    back home and open the form again in the same page load (code already warm).
// "frame" is the time until the browser has produced the next frame after the change
// (requestAnimationFrame, then a task), so it includes style, layout and paint.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Server, launch, page, signIn, tempDir, sleep } from './harness.mjs';

const RUNS = Number(process.env.RUNS ?? 7);
const CPU = Number(process.env.CPU_THROTTLE ?? 4); // 1 = the machine's own speed
const KEYSTROKES = 'Hoang'; // ASCII: each character is one real keydown/input pair
const FORM = 'fire_safety_check';
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const def = JSON.parse(fs.readFileSync(path.join(root, `domain/forms/${FORM}.json`), 'utf8'));
const shownAtOpen = def.fields.filter((f) => !f.show_if).map((f) => f.key);
const violations = def.fields.find((f) => f.key === 'violations');
const lastLabel = def.fields.at(-1).label.vi;

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

// Installed in every page: afterFrame(cb) calls back once the next frame has been produced;
// waitFor(ready, act) runs act() and resolves with the times until ready() first holds and
// until the frame after that.
const HELPERS = () => {
  window.__afterFrame = (cb) => requestAnimationFrame(() => {
    const ch = new MessageChannel();
    ch.port1.onmessage = cb;
    ch.port2.postMessage(null);
  });
  window.__waitFor = (ready, act) => new Promise((resolve, reject) => {
    let t0 = 0;
    const timer = setTimeout(() => { obs.disconnect(); reject(new Error('not rendered within 30 s')); }, 30_000);
    const obs = new MutationObserver(() => {
      if (!ready()) return;
      const dom = performance.now() - t0;
      obs.disconnect();
      clearTimeout(timer);
      window.__afterFrame(() => resolve({ dom, frame: performance.now() - t0 }));
    });
    obs.observe(document.body, { childList: true, subtree: true, characterData: true, attributes: true });
    t0 = performance.now();
    act();
  });
};

async function openForm(p) {
  await p.getByTestId(`new-${FORM}`).waitFor();
  await sleep(500); // let the home page settle (draft counts, sync status)
  const t = await p.evaluate(({ form, keys }) => window.__waitFor(() => {
    const f = document.querySelector('form.card.form');
    if (!f || !f.querySelector('h1')?.textContent) return false;
    if (!keys.every((k) => document.getElementById(`f-${k}-label`))) return false;
    const submit = f.querySelector('[data-testid=submit]');
    return submit !== null && submit.getBoundingClientRect().height > 0;
  }, () => document.querySelector(`[data-testid=new-${form}]`).click()), { form: FORM, keys: shownAtOpen });
  // It is the right form, whole.
  const seen = await p.evaluate(() => ({
    h1: document.querySelector('form.card.form h1').textContent,
    last: document.getElementById('f-inspector-label').textContent,
    fields: document.querySelectorAll('form.card.form .field').length,
    picker: document.getElementById('f-group') !== null,
    url: location.pathname + location.search,
  }));
  if (seen.h1 !== def.title.vi || !seen.last.startsWith(lastLabel) || !seen.url.endsWith(`form=${FORM}`)) {
    throw new Error(`unexpected form: ${JSON.stringify(seen)}`);
  }
  return { ...t, fields: seen.fields, picker: seen.picker };
}

async function keystrokes(p) {
  await p.evaluate(() => {
    window.__keys = [];
    let start = 0;
    // Capture on window: first of all listeners; the bubble listener on window, added after the
    // app's, runs after the app has handled the input.
    window.addEventListener('keydown', () => { start = performance.now(); }, true);
    window.addEventListener('input', () => {
      const handled = performance.now() - start;
      window.__afterFrame(() => window.__keys.push({ handled, frame: performance.now() - start }));
    });
    document.getElementById('f-premises_name').focus();
  });
  for (let i = 0; i < KEYSTROKES.length; i++) {
    await p.keyboard.press(KEYSTROKES[i]);
    await p.waitForFunction((n) => window.__keys.length >= n, i + 1);
    await sleep(150); // a quick typist
  }
  const value = await p.evaluate(() => document.getElementById('f-premises_name').value);
  if (value !== KEYSTROKES) throw new Error(`typed ${KEYSTROKES}, the field shows ${value}`);
  return p.evaluate(() => window.__keys);
}

async function reveal(p) {
  await sleep(300);
  return p.evaluate((legend) => window.__waitFor(() => {
    const box = [...document.querySelectorAll('fieldset.repeat')].find((f) => f.querySelector('legend')?.textContent.includes(legend));
    return box !== undefined && [...box.querySelectorAll('button')].some((b) => b.textContent.includes('Thêm'));
  }, () => document.querySelector('input[type=radio][name="f-violations_found"]').click()), violations.label.vi);
}

async function addRow(p) {
  await sleep(300);
  const keys = violations.fields.map((f) => `f-violations-0-${f.key}-label`);
  return p.evaluate(({ legend, keys }) => window.__waitFor(
    () => keys.every((k) => document.getElementById(k)),
    () => {
      const box = [...document.querySelectorAll('fieldset.repeat')].find((f) => f.querySelector('legend')?.textContent.includes(legend));
      [...box.querySelectorAll('button')].find((b) => b.textContent.includes('Thêm')).click();
    },
  ), { legend: violations.label.vi, keys });
}

const load = os.loadavg()[0];
const server = await (await Server.create()).start();
const results = { open: [], reopen: [], keyHandled: [], keyFrame: [], reveal: [], addRow: [] };
let fields = 0;
let picker = false;
const ctx = await launch(tempDir('bench-render'));
try {
  const p = await page(ctx);
  await ctx.addInitScript(HELPERS);
  await signIn(p, server.url, 'canbo');
  const cdp = await ctx.newCDPSession(p);
  for (let i = 0; i < RUNS; i++) {
    await cdp.send('Emulation.setCPUThrottlingRate', { rate: 1 });
    await p.goto(server.url);
    await p.getByTestId(`new-${FORM}`).waitFor();
    await cdp.send('Emulation.setCPUThrottlingRate', { rate: CPU });

    const open = await openForm(p);
    ({ fields, picker } = open);
    results.open.push(open);
    for (const k of await keystrokes(p)) {
      results.keyHandled.push(k.handled);
      results.keyFrame.push(k.frame);
    }
    results.reveal.push(await reveal(p));
    results.addRow.push(await addRow(p));

    await sleep(300);
    await p.evaluate(() => history.back());
    results.reopen.push(await openForm(p));
    process.stderr.write(`run ${i + 1}/${RUNS}: open ${open.frame.toFixed(0)} ms\n`);
  }
} finally {
  await ctx.close();
  await server.kill();
}

const ms = (x) => `${x.toFixed(0)} ms`;
const row = (name, xs) => {
  const dom = xs.map((x) => x.dom);
  const frame = xs.map((x) => x.frame);
  console.log(`  ${name.padEnd(44)} ${ms(median(dom)).padStart(7)} ${ms(median(frame)).padStart(9)}   (frame, per run: ${frame.map((x) => x.toFixed(0)).join(', ')})`);
};
console.log(`\n${FORM}: ${def.fields.length} fields (${shownAtOpen.length} shown on opening, ${fields} .field elements drawn${picker ? ' with the residential-group picker' : ''}), a repeat group of ${violations.fields.length}`);
console.log(`360x800 phone, CPU x${CPU}, ${RUNS} runs, each after a fresh load of the home page (load average ${load.toFixed(2)} at the start); medians:\n`);
console.log(`  ${''.padEnd(44)} ${'DOM'.padStart(7)} ${'frame'.padStart(9)}`);
row('open: click → every field drawn', results.open);
row('open again in the same page load', results.reopen);
console.log(`  ${`keystroke in "Tên cơ sở" (${results.keyFrame.length} keys)`.padEnd(44)} ${ms(median(results.keyHandled)).padStart(7)} ${ms(median(results.keyFrame)).padStart(9)}   (keydown → input handled; → next frame; max ${ms(Math.max(...results.keyFrame))})`);
row('"Có vi phạm?" → Có: violations group shown', results.reveal);
row('"Thêm": a violation row (5 fields) drawn', results.addRow);
