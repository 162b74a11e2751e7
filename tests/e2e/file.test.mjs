// Loading an export file in the browser: a CSV chosen in the source picker is analysed in the page
// to the same numbers `canary-report metrics --input` prints, and a broken file gets an error that
// names the row and column instead of an empty dashboard.
//
//   CANARY_SITE_URL=http://127.0.0.1:8000/ CANARY_REPORT_BIN=target/release/canary-report node --test tests/e2e/
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { launchChromium } from './browser.mjs';
import { assertShowsCliNumbers, seededRandom } from './page-checks.mjs';

const SITE_URL = process.env.CANARY_SITE_URL;
const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const REPORT_BIN = process.env.CANARY_REPORT_BIN || path.join(REPO_ROOT, 'target', 'release', 'canary-report');

let browser;
let page;
let dir;
const problems = [];

/// A deterministic export of two hours: requests on two endpoints (one slow spell), cache
/// accesses and mem0 writes, in PostgreSQL's CSV form.
function exportCsv() {
  const random = seededRandom(42);
  const lines = ['id,event_type,success,cache_hit,processing_time_ms,cache_key,details,created_at'];
  const start = Date.UTC(2026, 0, 5, 9, 0, 0);
  let id = 0;
  for (let second = 0; second < 2 * 3600; second += 2) {
    const at = new Date(start + second * 1000).toISOString().replace('T', ' ').replace('Z', '+00');
    const slow = second > 1800 && second < 2700 ? 3 : 1;
    const endpoint = random() < 0.7 ? '/api/chat' : '/api/memory/search';
    const ok = random() > 0.01;
    const ms = (80 + random() * 300 * slow).toFixed(3);
    const details = ok
      ? `{"endpoint": "${endpoint}"}`
      : `{"endpoint": "${endpoint}", "error_type": "TimeoutError", "error_message": "upstream timed out"}`;
    lines.push(`${++id},request_completed,${ok ? 't' : 'f'},,${ms},,"${details.replaceAll('"', '""')}",${at}`);
    const hit = random() > 0.04;
    lines.push(`${++id},cache_access,,${hit ? 't' : 'f'},${(random() * 20).toFixed(3)},patient:${Math.floor(random() * 50)},"{""cache_key_prefix"": ""patient""}",${at}`);
    if (second % 6 === 0) {
      lines.push(`${++id},mem0_write,${random() > 0.005 ? 't' : 'f'},,${(300 + random() * 600).toFixed(3)},,{},${at}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

before(async () => {
  assert.ok(SITE_URL, 'CANARY_SITE_URL must be set to the URL of the served dist/ directory');
  dir = await mkdtemp(path.join(tmpdir(), 'canary-file-'));
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on('console', (msg) => { if (msg.type() === 'error') problems.push(`console error: ${msg.text()}`); });
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  await page.goto(SITE_URL);
  await page.waitForSelector('[data-testid="success-metrics"] td.num', { timeout: 60_000 });
});

after(async () => {
  await browser?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function pick(name, text) {
  await page.selectOption('[data-testid="source-select"]', 'file');
  await page.setInputFiles('[data-testid="file-input"]', { name, mimeType: 'text/csv', buffer: Buffer.from(text) });
}

test('a CSV export is analysed to the numbers the CLI computes', async () => {
  const text = exportCsv();
  const file = path.join(dir, 'events.csv');
  await writeFile(file, text);
  const json = JSON.parse(execFileSync(REPORT_BIN, ['metrics', '--input', file, '--json'], { encoding: 'utf8' }));
  await pick('events.csv', text);
  await page.waitForFunction(() => document.querySelector('[data-testid="source-label"]')?.textContent.includes('events.csv'));
  // The whole file is two hours: pick "This phase" (from the first event) to cover all of it.
  await page.selectOption('[data-testid="range-select"]', '4h');
  await page.waitForFunction(
    (n) => document.querySelector('[data-testid="window-info"]')?.textContent.includes(`${n} events`),
    json.window.events,
  );
  await assertShowsCliNumbers(page, json);
});

test('a broken file is reported with its row and column, and no dashboard', async () => {
  const bad = 'id,event_type,success,cache_hit,processing_time_ms,cache_key,details,created_at\n'
    + '1,request_completed,t,,12.5,,{},2026-01-05 09:00:00+00\n'
    + '2,request_completed,maybe,,12.5,,{},2026-01-05 09:00:01+00\n';
  await pick('broken.csv', bad);
  await page.waitForSelector('[data-testid="load-error"]', { timeout: 30_000 });
  const message = await page.textContent('[data-testid="load-error"]');
  assert.match(message, /broken\.csv could not be read: row 2 \(line 3\), column success: expected t or f/);
  assert.equal(await page.$('[data-testid="success-metrics"]'), null, 'no dashboard for a broken file');
});

test('no page errors', () => {
  assert.deepEqual(problems, []);
});
