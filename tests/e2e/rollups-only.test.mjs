// A window of more rows than the page reads one by one, against the real local stack of
// scripts/supabase-local.sh (PostgreSQL 15 with sql/004_rollups.sql and sql/006_exact_read.sql,
// PostgREST 12.0.2, nginx) and the built page in headless Chromium. The page's limit is lowered
// with ?exact_limit= so a small table is past it:
// - every panel is drawn from the rollups: the verdict, the success metrics, the charts, the
//   alerts, the error breakdown, the endpoint table, cache, mem0, the breaker, canary against
//   control, the phase; every percentile worded "≈ … (±… %)" and within its bound of
//   PostgreSQL's percentile_cont, the counts exact; no NaN anywhere;
// - the cohort rules come from the per-cohort minutes, labelled; what the rollups cannot give
//   (an alert's evidence, the previous phase, the hourly checks, the reports) says so, with a
//   button that reads the rows;
// - not one request reads the table or the exact read's functions, until that button is used:
//   then the rows are read and the exact numbers replace the bounded ones.
//
//   bash scripts/test.sh   (step "browser e2e": the Supabase step's stack is still running)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { launchChromium } from './browser.mjs';

const SITE_URL = process.env.CANARY_SITE_URL;
const PSQL = process.env.CANARY_PSQL || 'psql';
const TIMEOUT_MS = 120_000;
// This file's rows: its own id range and hours.
const ID_BASE = 960_000_000;
const FROM = Date.parse('2025-03-02T10:00:00Z');
const TO = Date.parse('2025-03-02T12:00:00Z');
// The page's limit for this test: the window holds more rows than this.
const EXACT_LIMIT = 10_000;

function env(name) {
  const value = process.env[name];
  assert.ok(value, `${name} is not set: run through bash scripts/test.sh (or scripts/supabase-local.sh run)`);
  return value;
}

let stack;
let browser;

const sql = (script) =>
  execFileSync(PSQL, ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-d', stack.db, '-c', script], { encoding: 'utf8' }).trim();

before(async () => {
  stack = {
    url: env('CANARY_SUPABASE_URL'),
    anon: env('CANARY_SUPABASE_ANON_KEY'),
    user: env('CANARY_SUPABASE_USER_TOKEN'),
    db: env('CANARY_SUPABASE_DB'),
  };
  assert.ok(SITE_URL, 'CANARY_SITE_URL is not set');
  browser = await launchChromium();
});

after(async () => {
  if (stack) sql(`delete from observability_events where id >= ${ID_BASE} and id < ${ID_BASE + 1_000_000}; select canary_private.refresh_rollups();`);
  await browser?.close();
});

/// Two hours of a canary: 24,000 requests on two endpoints (one in ten on the canary, one in
/// nine a failure with its error type, latencies over four decades), 6,000 cache accesses, 1,200
/// mem0 writes (one in twenty failing) and the breaker opening and closing; then the rollups
/// brought up to date. Returns PostgreSQL's own numbers for the window.
function loadRows() {
  const start = `'${new Date(FROM).toISOString()}'::timestamptz`;
  sql(`delete from observability_events where id >= ${ID_BASE} and id < ${ID_BASE + 1_000_000};
    insert into observability_events (id, event_type, success, processing_time_ms, details, created_at)
    select ${ID_BASE} + g, 'request_completed', g % 9 <> 0, round((exp((g * 7919 % 1000) / 1000.0 * 9.2) * 0.1)::numeric, 3),
      jsonb_build_object('endpoint', case when g % 3 = 0 then '/api/search' else '/api/chat' end, 'canary', g % 10 = 0)
        || case when g % 9 = 0 then jsonb_build_object('error_type', case when g % 2 = 0 then 'Timeout' else 'UpstreamError' end, 'error_message', 'failed') else '{}'::jsonb end,
      ${start} + (g - 1) * interval '300 ms'
    from generate_series(1, 24000) g;
    insert into observability_events (id, event_type, cache_hit, processing_time_ms, details, created_at)
    select ${ID_BASE + 100_000} + g, 'cache_access', g % 4 <> 0, 1 + g % 20, '{"cache_key_prefix": "user"}',
      ${start} + (g - 1) * interval '1200 ms'
    from generate_series(1, 6000) g;
    insert into observability_events (id, event_type, success, processing_time_ms, details, created_at)
    select ${ID_BASE + 200_000} + g, 'mem0_write', g % 20 <> 0, 50 + g % 300,
      case when g % 20 = 0 then '{"error_type": "QuotaExceeded"}'::jsonb else '{}'::jsonb end,
      ${start} + (g - 1) * interval '6 s'
    from generate_series(1, 1200) g;
    insert into observability_events (id, event_type, details, created_at) values
      (${ID_BASE + 300_001}, 'circuit_breaker_state_change', '{"state": "open", "failure_count": 5}', ${start} + interval '30 minutes'),
      (${ID_BASE + 300_002}, 'circuit_breaker_state_change', '{"state": "closed"}', ${start} + interval '40 minutes');
    select canary_private.refresh_rollups();`);
  const window = `created_at >= '${new Date(FROM).toISOString()}' and created_at < '${new Date(TO).toISOString()}'`;
  const [requests, failures, p95] = sql(`select count(*), count(*) filter (where not success),
      percentile_cont(0.95) within group (order by processing_time_ms)
    from observability_events where event_type = 'request_completed' and ${window}`).split('|');
  const events = Number(sql(`select count(*) from observability_events where ${window}`));
  const search = Number(sql(`select percentile_cont(0.5) within group (order by processing_time_ms)
    from observability_events where event_type = 'request_completed' and details->>'endpoint' = '/api/search' and ${window}`));
  return { events, requests: Number(requests), failures: Number(failures), p95: Number(p95), searchP50: search };
}

/// "≈ 512 ms (±1 %)" → [512, 0.01].
function bounded(text) {
  const m = text.match(/≈ ([\d.,]+) ms \(±([\d.]+) %\)/);
  assert.ok(m, `not a bounded number: ${text}`);
  return [Number(m[1].replace(/,/g, '')), Number(m[2]) / 100];
}

function assertWithin(text, exact, what) {
  const [value, bound] = bounded(text);
  assert.ok(bound <= 0.01, `${what}: bound ${bound}`);
  // Shown rounded to whole milliseconds.
  assert.ok(Math.abs(value - exact) <= bound * exact + 0.5, `${what}: ≈ ${value}, percentile_cont ${exact}`);
}

/// Records in `reads` every request for rows: the table, or the exact read's functions
/// (canary_exact_rows is the rollups' small read of breaker and stampede rows).
function recordRowReads(page, reads) {
  page.on('request', (r) => {
    const url = r.url();
    if (url.includes('/rest/v1/observability_events') || /\/rpc\/canary_exact_(page|extent)/.test(url)) {
      reads.push(`${r.method()} ${url}`);
    }
  });
}

/// Opens the page on this file's window and limit and fills in the local project's settings;
/// the caller submits them.
async function openAndFill(page) {
  await page.goto(`${SITE_URL}?range=${FROM * 1000}..${TO * 1000}&exact_limit=${EXACT_LIMIT}`, { waitUntil: 'load' });
  await page.waitForSelector('[data-testid="success-metrics"] td.num', { timeout: TIMEOUT_MS });
  await page.selectOption('[data-testid="source-select"]', 'supabase');
  await page.fill('[data-testid="supabase-url"]', stack.url);
  await page.fill('[data-testid="supabase-key"]', stack.anon);
  await page.$eval('details.advanced', (d) => { d.open = true; });
  await page.fill('[data-testid="supabase-token"]', stack.user);
}

const submit = (page) => page.click('[data-testid="supabase-form"] button[type="submit"]');

test('past the exact limit every panel comes from the rollups, labelled, with no read of the rows', async () => {
  const expected = loadRows();
  assert.ok(expected.events > EXACT_LIMIT);
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const reads = [];
  recordRowReads(page, reads);
  try {
    await openAndFill(page);
    const clicked = Date.now();
    await submit(page);
    await page.waitForSelector('[data-testid="from-rollups"]', { timeout: TIMEOUT_MS });
    const shownMs = Date.now() - clicked;
    await page.waitForFunction(
      (n) => document.querySelector('[data-testid="window-info"]')?.textContent.includes(`· ${n} events`),
      expected.events,
      { timeout: TIMEOUT_MS },
    );
    const text = async (selector) => (await page.textContent(selector)).trim();
    // The note says where the numbers come from, with the limit.
    assert.match(await text('[data-testid="from-rollups"]'), /more than 10000 rows/);

    // The success metrics: percentiles bounded and within the bound, rates exact.
    assertWithin(await text('[data-testid="success-metrics"] tr[data-metric="p95_latency"] td.measured'), expected.p95, 'P95');
    const errorRate = (100 * expected.failures / expected.requests).toFixed(2);
    assert.equal(await text('[data-testid="success-metrics"] tr[data-metric="error_rate"] td.measured'), `${errorRate} %`);

    // The verdict: a status word, no NaN.
    assert.match(await text('[data-testid="status-word"]'), /On Track|Issues Detected|Rollback Required/);

    // The endpoint table: exact counts, bounded percentiles.
    const search = await page.$$eval('[data-testid="endpoint-table"] tbody tr', (rows) =>
      rows.map((r) => [...r.querySelectorAll('th, td')].map((c) => c.textContent.trim()))
        .find((cells) => cells[0].includes('/api/search')));
    assert.ok(search, 'no /api/search row');
    assert.equal(search[1], String(expected.requests / 3));
    assertWithin(search[2], expected.searchP50, 'P50 of /api/search');

    // The charts: drawn, their words carry the bound.
    for (const id of ['latency-chart', 'error-chart', 'cache-chart', 'mem0-chart']) {
      assert.ok(await page.$(`[data-testid="${id}"] svg`), `${id} has no chart`);
    }
    assert.match(await page.getAttribute('[data-testid="latency-chart"] [role="img"]', 'aria-label'), /≈ [\d.]+ ms \(±1 %\)/);

    // The error breakdown and mem0: exact groups from the database.
    const breakdown = await text('[data-testid="error-breakdown"]');
    assert.match(breakdown, /Timeout/);
    assert.match(breakdown, /UpstreamError/);
    assert.match(await text('[data-testid="mem0-panel"]'), /QuotaExceeded/);
    assert.match(await text('[data-testid="cache-panel"]'), /75\.00 %/);
    // The breaker opened and closed in the window.
    assert.match(await text('[data-testid="breaker-panel"]'), /open/);
    // Alerts: evaluated per minute from the rollups (the error rate of 11 % fires).
    assert.match(await text('[data-testid="alerts-timeline"]'), /Error rate/);

    // Canary against control: binned, labelled; the cohort rules from the per-cohort minutes.
    const cohorts = await text('[data-testid="canary-vs-control"]');
    assert.match(cohorts, /≈ [\d.]+ ms \(±1 %\)/);
    assert.ok(await page.$('[data-testid="cohort-test-binned"]'));
    assert.ok(await page.$('[data-testid="cohort-rules-from-rollups"]'));
    assert.match(await text('[data-testid="cohort-call"]'), /\S/u);

    // The phase: judged on this window, or said why not; the rest say what they need.
    assert.ok(await page.$('[data-testid="phase-panel"]'));
    for (const id of ['phase-comparison', 'checklist', 'report-panel']) {
      const panel = await page.$(`[data-testid="${id}"][data-from="rollups"]`);
      assert.ok(panel, `${id} does not say what it needs`);
      assert.ok(await panel.$('[data-testid="read-rows"]'), `${id} has no button to read the rows`);
    }

    // Nothing reads NaN or undefined, and no panel is empty.
    const main = await text('main');
    assert.doesNotMatch(main, /NaN|undefined/);
    const empty = await page.$$eval('main section.panel', (panels) =>
      panels.filter((p) => p.textContent.trim().length < 20).map((p) => p.dataset.testid));
    assert.deepEqual(empty, []);
    assert.deepEqual(reads, [], 'the rows were read');
    console.log(`from the rollups on screen ${shownMs} ms after connecting`);

    // The button reads every row, and the exact numbers replace the bounded ones.
    await page.click('[data-testid="from-rollups"] [data-testid="read-rows"]');
    await page.waitForFunction(
      () => !document.querySelector('[data-testid="from-rollups"]')
        && document.querySelector('[data-testid="success-metrics"] tr[data-metric="p95_latency"] td.measured')?.textContent.includes(' ms')
        && !document.querySelector('[data-testid="success-metrics"] tr[data-metric="p95_latency"] td.measured')?.textContent.includes('≈'),
      null,
      { timeout: TIMEOUT_MS },
    );
    assert.equal(await text('[data-testid="success-metrics"] tr[data-metric="p95_latency"] td.measured'), `${expected.p95.toFixed(1)} ms`);
    assert.ok(reads.length > 0, 'the button read no row');
    assert.ok(await page.isChecked('[data-testid="exact-only"]'));
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

test('a failed rollup read is said, and no row is read in its place', async () => {
  loadRows();
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  // The database answers the other rollup requests; this one fails as a gateway would.
  await page.route('**/rest/v1/rpc/canary_rollup_minutes*', (route) =>
    route.fulfill({ status: 503, contentType: 'text/plain', body: 'upstream unavailable' }));
  const reads = [];
  recordRowReads(page, reads);
  try {
    await openAndFill(page);
    await submit(page);
    await page.waitForSelector('[data-testid="load-error"]', { timeout: TIMEOUT_MS });
    const message = (await page.textContent('[data-testid="load-error"]')).trim();
    assert.match(message, /503|unavailable/u, message);
    assert.equal(await page.$('[data-testid="from-rollups"]'), null);
    assert.deepEqual(reads, [], 'the rows were read in place of the rollups');
  } finally {
    await context.close();
  }
});
