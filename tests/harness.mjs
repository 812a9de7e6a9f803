// Shared pieces of the end-to-end tests: the real server binary and real headless Chromium.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, afterEach } from 'node:test';
import { chromium } from 'playwright-core';

/**
 * What went wrong outside a test's own assertions — the app's page errors, panics and
 * unexpected console errors, a failed check inside a proxy's intercept — is gathered here and
 * fails the test after it has cleaned up (a throw from a cleanup step would skip the rest of
 * the cleanup and leave a browser or a server holding the run).
 */
const watched = [];
// The benchmarks (tests/bench_*.mjs) share this file but are plain scripts: a hook would start
// node's test runner in them and add its report to their figures.
const isBenchmark = path.basename(process.argv[1] ?? '').startsWith('bench_');
if (!isBenchmark) afterEach(() => {
  const problems = watched.splice(0).flatMap((w) => w.problems());
  if (problems.length) {
    throw new Error(`${problems.length} problem(s) besides the test's own checks:\n${problems.join('\n')}`);
  }
});

/**
 * Servers still running and browsers still open: a test that fails before its own `finally`
 * (a browser that cannot start) must not leave a server holding the run until its timeout.
 */
const alive = new Set();
if (!isBenchmark) after(async () => {
  for (const thing of [...alive]) await thing.release();
});

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
export const BIN = process.env.WARDBOOK_BIN ?? path.join(root, 'target/debug/wardbook');
export const DIST = process.env.WARDBOOK_DIST ?? path.join(root, 'dist');
export const PASSWORD = 'wardbook-demo';
export const PHONE = { width: 360, height: 800 };
export const DESKTOP = { width: 1280, height: 800 };
const CHROMIUM_FLAGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

export function tempDir(prefix) {
  return fs.mkdtempSync(path.join(os.tmpdir(), `wardbook-${prefix}-`));
}

export async function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

/** The real `wardbook` binary on a fixed port (the origin must survive restarts) and its own data. */
export class Server {
  constructor({ port, dataDir, staticDir = DIST, demoHistory = false }) {
    this.demoHistory = demoHistory;
    this.port = port;
    this.dataDir = dataDir;
    this.staticDir = staticDir;
    this.url = `http://127.0.0.1:${port}`;
    this.child = null;
  }

  static async create(opts = {}) {
    return new Server({ port: await freePort(), dataDir: tempDir('data'), ...opts });
  }

  async start() {
    // Output goes to a file: a pipe held by a killed child could hang the test run.
    const log = fs.openSync(path.join(this.dataDir, 'server.log'), 'a');
    this.child = spawn(BIN, [
      '--listen', `127.0.0.1:${this.port}`,
      '--database-url', `sqlite://${this.dataDir}/wardbook.db`,
      '--static-dir', this.staticDir,
      '--photo-store', `${this.dataDir}/photos`,
      '--demo',
      ...(this.demoHistory ? ['--demo-history'] : []),
    ], { stdio: ['ignore', log, log], env: { ...process.env, RUST_LOG: 'warn' } });
    alive.add(this);
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      if (this.child.exitCode !== null) throw new Error(`server exited: see ${this.dataDir}/server.log`);
      try {
        const res = await fetch(`${this.url}/api/health`);
        if (res.ok) return this;
      } catch { /* not up yet */ }
      await sleep(100);
    }
    throw new Error('server did not start in 30 s');
  }

  /** Whatever a test left running when its file ends. */
  async release() {
    await this.kill();
  }

  /** SIGKILL: no graceful shutdown, exactly like a crash or a pulled plug. */
  async kill() {
    alive.delete(this);
    // A child killed by a signal has no exit code but a signal code: it is gone all the same
    // (waiting for its 'exit' again would wait for ever).
    if (!this.child || this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.kill('SIGKILL');
    await exited;
  }

  async login(username) {
    const res = await fetch(`${this.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password: PASSWORD }),
    });
    if (!res.ok) throw new Error(`login ${username}: ${res.status}`);
    return (await res.json()).token;
  }

  async api(token, pathname, init = {}) {
    const res = await fetch(`${this.url}${pathname}`, {
      ...init,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...(init.headers ?? {}) },
    });
    return { status: res.status, body: await res.json().catch(() => null) };
  }
}

export function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * Waits until `condition()` is truthy and returns its value; fails after `timeout` ms, naming
 * `what` — never a wait that could hang the run instead of failing it.
 */
export async function until(condition, what, timeout = 60_000) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const value = await condition();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting for ${what}`);
    await sleep(50);
  }
}

/**
 * Console errors any test may cause: the browser's own line for a request that never got an
 * answer (the server killed, the network cut). An error status (401, 413, 503 …) is expected
 * only where a test says so with `context.allowConsoleError(/status of 401/)`. Anything else
 * printed as an error — and every panic, every uncaught exception — fails the test.
 */
const EXPECTED_CONSOLE_ERRORS = [/^Failed to load resource: net::ERR_/];

function watchPage(p, problems, allowed) {
  p.on('pageerror', (e) => problems.push(`uncaught exception: ${e.stack ?? e.message}`));
  p.on('crash', () => problems.push('the page crashed'));
  p.on('console', (m) => {
    if (m.type() !== 'error') return;
    const text = m.text();
    if (text.includes('panicked')) {
      problems.push(`panic: ${text}`);
    } else if (![...EXPECTED_CONSOLE_ERRORS, ...allowed].some((re) => re.test(text))) {
      problems.push(`console error: ${text}`);
    }
  });
}

/** A browser with its own profile; relaunching with the same profile is "closing and reopening". */
export async function launch(profileDir, viewport = PHONE) {
  const mobile = viewport === PHONE;
  const context = await chromium.launchPersistentContext(profileDir, {
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_FLAGS,
    viewport,
    isMobile: mobile,
    hasTouch: mobile,
    deviceScaleFactor: mobile ? 2 : 1,
    locale: 'vi-VN',
    timezoneId: 'Asia/Ho_Chi_Minh',
  });
  // Every page of the browser is watched; what goes wrong fails the test (see `watched`).
  const problems = [];
  const allowed = [];
  for (const p of context.pages()) watchPage(p, problems, allowed);
  context.on('page', (p) => watchPage(p, problems, allowed));
  context.problems = problems;
  /** A console error this test causes on purpose (a regular expression). */
  context.allowConsoleError = (re) => allowed.push(re);
  watched.push({ problems: () => problems.map((p) => `the app: ${p}`) });
  const open = { release: () => context.close() };
  alive.add(open);
  context.on('close', () => alive.delete(open));
  return context;
}

export async function page(context) {
  return context.pages()[0] ?? context.newPage();
}

export async function signIn(p, url, username) {
  await p.goto(url);
  await p.getByLabel('Tên đăng nhập').fill(username);
  await p.getByLabel('Mật khẩu').fill(PASSWORD);
  await p.getByRole('button', { name: 'Đăng nhập' }).click();
  await p.getByText('Đang chờ gửi').first().waitFor();
  // The first sync brings the forms; only then can the phone work without the server.
  await p.waitForFunction(() => document.querySelector('[data-testid=last-sync]')?.textContent.includes('/'), null, { timeout: 30_000 });
}

/** Signs a supervisor or administrator in on the desk app (`/desk`). */
export async function signInAtDesk(p, url, username) {
  await p.goto(`${url}/desk`);
  await p.getByLabel('Tên đăng nhập').fill(username);
  await p.getByLabel('Mật khẩu').fill(PASSWORD);
  await p.getByRole('button', { name: 'Đăng nhập' }).click();
  await p.locator('.desk-nav nav').waitFor();
}

/**
 * Clicks `target` and answers the dialog the click opens (`accept` or `dismiss`); returns the
 * dialog's message. The dialog is answered by a handler registered before the click, since a
 * dialog left open blocks the page and with it the click's own wait for navigations.
 */
export async function clickThroughDialog(p, target, answer) {
  let message = null;
  p.once('dialog', (d) => {
    message = d.message();
    return answer === 'accept' ? d.accept() : d.dismiss();
  });
  await target.click();
  return until(() => message, 'the dialog', 30_000);
}

/** Waits until the service worker controls the page, so it can open with no server. */
export async function waitForServiceWorker(p) {
  await p.waitForFunction(() => navigator.serviceWorker && navigator.serviceWorker.controller !== null, null, { timeout: 30_000 });
}

export async function waitingCount(p) {
  return Number(await p.getByTestId('waiting-count').textContent());
}

export async function waitForWaiting(p, n, timeout = 60_000) {
  await p.waitForFunction((n) => document.querySelector('[data-testid=waiting-count]')?.textContent === String(n), n, { timeout });
}

/** A small JPEG drawn by the browser itself; another `seed` draws another picture. */
export async function jpeg(p, seed = 0) {
  const bytes = await p.evaluate(async (seed) => {
    const c = new OffscreenCanvas(640, 480);
    const ctx = c.getContext('2d');
    for (let i = 0; i < 60; i++) {
      ctx.fillStyle = `hsl(${(i * 37 + seed * 101) % 360} 60% 50%)`;
      ctx.fillRect((i * 53 + seed * 7) % 640, (i * 41 + seed * 13) % 480, 90, 70);
    }
    const blob = await c.convertToBlob({ type: 'image/jpeg', quality: 0.9 });
    return Array.from(new Uint8Array(await blob.arrayBuffer()));
  }, seed);
  return { name: 'anh.jpg', mimeType: 'image/jpeg', buffer: Buffer.from(bytes) };
}

/** Fills and submits a neighborhood report through the form, as a group leader would. */
export async function fileReport(p, { location, description, category = 'Trộm cắp', urgency = 'Khẩn' }) {
  await p.getByTestId('new-report').click();
  await p.getByLabel(category).check();
  await p.getByLabel(urgency, { exact: true }).check();
  await p.getByLabel('Địa điểm').fill(location);
  await p.getByLabel('Nội dung sự việc').fill(description);
  await p.getByTestId('submit').click();
  await p.getByTestId('new-report').waitFor();
}

/**
 * A plain HTTP proxy in front of the server, so a test can act on one exact request: the browser
 * talks to the proxy (a fixed origin), the proxy to the server. `intercept(req, body, forward)`
 * may take over a request; `forward()` sends it on and resolves with the server's full answer.
 */
export class Proxy {
  constructor(target) {
    this.target = target;
    this.intercept = null;
    this.failures = [];
    watched.push({ problems: () => this.failures.map((e) => `the proxy's intercept: ${e.stack ?? e}`) });
  }

  async start() {
    const http = await import('node:http');
    this.server = http.createServer(async (req, res) => {
      const chunks = [];
      for await (const c of req) chunks.push(c);
      const body = Buffer.concat(chunks);
      const forward = () => new Promise((resolve, reject) => {
        const up = http.request({
          host: '127.0.0.1', port: this.target.port, method: req.method, path: req.url,
          headers: { ...req.headers, 'accept-encoding': 'identity' },
        }, (upRes) => {
          const parts = [];
          upRes.on('data', (c) => parts.push(c));
          upRes.on('end', () => resolve({ status: upRes.statusCode, headers: upRes.headers, body: Buffer.concat(parts) }));
        });
        // Tagged: a server that is gone is expected here, unlike a failed check in `intercept`.
        up.on('error', (e) => reject(Object.assign(e, { fromForward: true })));
        up.end(body);
      });
      const reply = (answer) => {
        const headers = { ...answer.headers };
        delete headers['transfer-encoding'];
        res.writeHead(answer.status, headers);
        res.end(answer.body);
      };
      try {
        if (this.intercept && (await this.intercept(req, body, forward, res)) === 'handled') return;
        reply(await forward());
      } catch (e) {
        // A check inside `intercept` that failed is the test's failure (see `watched`).
        if (!e.fromForward) this.failures.push(e);
        // The server is gone: the browser sees the connection drop, as it would without us.
        res.socket?.destroy();
      }
    });
    await new Promise((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${this.server.address().port}`;
    return this;
  }

  async stop() {
    this.server.closeAllConnections?.();
    await new Promise((r) => this.server.close(r));
  }
}
