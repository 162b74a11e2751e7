// A canary-only regression in the browser: an export in which the canary cohort (about 10 % of
// requests, details.canary = true) is 1.8 times slower and fails 3 % of its requests while
// control is normal turns the banner to "Issues Detected" and the canary-vs-control panel names
// the cohort rule and the endpoints behind it; the same hours with identical cohorts stay
// "On Track".
//
//   CANARY_SITE_URL=http://127.0.0.1:8000/ node --test tests/e2e/cohort.test.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchChromium } from './browser.mjs';

const SITE_URL = process.env.CANARY_SITE_URL;
const RENDER_TIMEOUT_MS = 60_000;

let browser;
let page;
const problems = [];

/// Three hours at 200 requests a minute on two endpoints, in PostgreSQL's CSV form; with
/// `regression`, the canary cohort is 1.8 times slower and fails 3 % of its requests.
function exportCsv(regression) {
  let seed = 7;
  const random = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  const lines = ['id,event_type,success,cache_hit,processing_time_ms,cache_key,details,created_at'];
  const start = Date.UTC(2026, 0, 5, 9, 0, 0);
  let id = 0;
  for (let minute = 0; minute < 180; minute += 1) {
    for (let i = 0; i < 200; i += 1) {
      const at = new Date(start + minute * 60_000 + i * 300).toISOString().replace('T', ' ').replace('Z', '+00');
      const canary = random() < 0.1;
      const endpoint = random() < 0.6 ? '/api/chat' : '/api/appointments';
      const slow = canary && regression ? 1.8 : 1;
      const failureRate = canary && regression ? 0.03 : 0.003;
      const ok = random() >= failureRate;
      const ms = ((120 + 160 * random() * random()) * slow).toFixed(2);
      const details = ok
        ? `{"endpoint": "${endpoint}", "canary": ${canary}}`
        : `{"endpoint": "${endpoint}", "canary": ${canary}, "error_type": "UpstreamTimeout", "error_message": "upstream timed out"}`;
      lines.push(`${++id},request_completed,${ok ? 't' : 'f'},,${ms},,"${details.replaceAll('"', '""')}",${at}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

before(async () => {
  assert.ok(SITE_URL, 'CANARY_SITE_URL must be set to the URL of the served dist/ directory');
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on('console', (msg) => { if (msg.type() === 'error') problems.push(`console error: ${msg.text()}`); });
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  await page.goto(SITE_URL);
  await page.waitForSelector('[data-testid="success-metrics"] td.num', { timeout: RENDER_TIMEOUT_MS });
});

after(async () => {
  await browser?.close();
});

async function load(name, text) {
  await page.selectOption('[data-testid="source-select"]', 'file');
  await page.setInputFiles('[data-testid="file-input"]', { name, mimeType: 'text/csv', buffer: Buffer.from(text) });
  await page.waitForFunction(
    (n) => document.querySelector('[data-testid="source-label"]')?.textContent.includes(n),
    name,
    { timeout: RENDER_TIMEOUT_MS },
  );
  // The file is three hours: the last 4 hours cover all of it.
  await page.selectOption('[data-testid="range-select"]', '4h');
  await page.waitForSelector('[data-testid="cohort-call"]', { timeout: RENDER_TIMEOUT_MS });
}

const text = (selector) => page.locator(selector).first().innerText();

test('a canary-only regression is Issues Detected, with the rule and the endpoints behind it', async () => {
  await load('canary-regression.csv', exportCsv(true));
  await page.waitForFunction(
    () => document.querySelector('[data-testid="cohort-call"]')?.textContent.includes('Canary worse than control'),
    null,
    { timeout: RENDER_TIMEOUT_MS },
  );
  assert.match(await text('[data-testid="status-banner"] [data-testid="status-word"]'), /Issues Detected|Rollback Required/u);
  const panel = page.locator('[data-testid="canary-vs-control"]');
  const alerts = await panel.locator('[data-testid="cohort-alert"]').allInnerTexts();
  assert.ok(alerts.some((a) => /Canary P50 latency vs control > 25 % slower/u.test(a)), alerts.join('\n'));
  const evidence = await panel.locator('[data-testid="cohort-evidence"]').first().innerText();
  assert.match(evidence, /\/api\/chat/u);
  assert.match(await panel.innerText(), /UpstreamTimeout/u);
  assert.deepEqual(problems, []);
});

test('identical cohorts stay On Track', async () => {
  await load('canary-identical.csv', exportCsv(false));
  await page.waitForFunction(
    () => document.querySelector('[data-testid="cohort-call"]')?.textContent.includes('Canary not worse than control'),
    null,
    { timeout: RENDER_TIMEOUT_MS },
  );
  assert.match(await text('[data-testid="status-banner"] [data-testid="status-word"]'), /On Track/u);
  assert.deepEqual(problems, []);
});
