// Benchmark (not a test): Lighthouse's mobile performance score of the phone app's first visit
// (its default: a Moto G Power class phone, CPU x4 and slow 4G, simulated), run RUNS times on a
// fresh profile each, with Debian's Chromium. Run: cargo xtask bench lighthouse
//
// LIGHTHOUSE is the path of the lighthouse command (xtask installs the pinned npm package into
// target/lighthouse, outside the project's own node_modules).
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Server, tempDir } from './harness.mjs';

const RUNS = Number(process.env.RUNS ?? 3);
const LIGHTHOUSE = process.env.LIGHTHOUSE;
if (!LIGHTHOUSE) throw new Error('LIGHTHOUSE (the lighthouse command) is not set');

function lighthouse(url, out) {
  return new Promise((resolve, reject) => {
    execFile(LIGHTHOUSE, [
      url,
      '--only-categories=performance',
      '--output=json',
      `--output-path=${out}`,
      '--quiet',
      `--chrome-flags=--headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking --disable-component-update --disable-sync --user-data-dir=${tempDir('lighthouse')}`,
    ], { env: { ...process.env, CHROME_PATH: process.env.CHROMIUM ?? '/usr/bin/chromium' }, maxBuffer: 1 << 26 }, (err, _stdout, stderr) => {
      if (err) reject(new Error(`lighthouse failed: ${err.message}\n${stderr}`));
      else resolve(JSON.parse(fs.readFileSync(out, 'utf8')));
    });
  });
}

const METRICS = [
  ['first-contentful-paint', 'First Contentful Paint'],
  ['largest-contentful-paint', 'Largest Contentful Paint'],
  ['total-blocking-time', 'Total Blocking Time'],
  ['cumulative-layout-shift', 'Cumulative Layout Shift'],
  ['speed-index', 'Speed Index'],
];

const server = await (await Server.create()).start();
const runs = [];
try {
  const dir = tempDir('lighthouse-out');
  for (let i = 0; i < RUNS; i++) {
    runs.push(await lighthouse(`${server.url}/`, path.join(dir, `run-${i}.json`)));
  }
} finally {
  await server.kill();
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const scores = runs.map((r) => Math.round(r.categories.performance.score * 100));
console.log(`Lighthouse ${runs[0].lighthouseVersion}, mobile (simulated slow 4G, CPU x4), the phone app's first visit:`);
console.log(`  performance score: median ${median(scores)} (runs: ${scores.join(', ')})   target ≥ 95`);
for (const [id, title] of METRICS) {
  const values = runs.map((r) => r.audits[id]);
  const mid = median(values.map((a) => a.numericValue));
  const shown = values.find((a) => a.numericValue === mid).displayValue;
  console.log(`  ${title.padEnd(26)} ${shown.padStart(8)}   (score ${Math.round(median(values.map((a) => a.score)) * 100)})`);
}
