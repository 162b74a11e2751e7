// Fast first, exact next, against the real local stack of scripts/supabase-local.sh (PostgreSQL
// 15 with sql/004_rollups.sql and sql/006_exact_read.sql, PostgREST 12.0.2, nginx) and the
// built page in headless Chromium:
// - connecting shows the window's success metrics from the rollups within 2 s, the percentiles
//   worded "≈ … (±… %)" and within their bound of PostgreSQL's percentile_cont, the counts
//   exact; the exact read goes on with its progress on screen, and its numbers (no "≈") replace
//   them;
// - with "Exact numbers only" ticked, a read shows no rollup numbers, only the exact ones.
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
const ID_BASE = 950_000_000;
const FROM = Date.parse('2025-03-01T10:00:00Z');
const TO = Date.parse('2025-03-01T12:00:00Z');

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

/// 30,000 requests over the two hours (latencies spread over four decades, one in nine a
/// failure, two endpoints) and 6,000 cache accesses; then the rollups brought up to date.
function loadRows() {
  sql(`delete from observability_events where id >= ${ID_BASE} and id < ${ID_BASE + 1_000_000};
    insert into observability_events (id, event_type, success, processing_time_ms, details, created_at)
    select ${ID_BASE} + g, 'request_completed', g % 9 <> 0, round((exp((g * 7919 % 1000) / 1000.0 * 9.2) * 0.1)::numeric, 3),
      jsonb_build_object('endpoint', case when g % 3 = 0 then '/api/search' else '/api/chat' end),
      '${new Date(FROM).toISOString()}'::timestamptz + (g - 1) * interval '240 ms'
    from generate_series(1, 30000) g;
    insert into observability_events (id, event_type, cache_hit, processing_time_ms, details, created_at)
    select ${ID_BASE + 100_000} + g, 'cache_access', g % 4 <> 0, 1 + g % 20, '{"cache_key_prefix": "user"}',
      '${new Date(FROM).toISOString()}'::timestamptz + (g - 1) * interval '1200 ms'
    from generate_series(1, 6000) g;
    select canary_private.refresh_rollups();`);
  const window = `created_at >= '${new Date(FROM).toISOString()}' and created_at < '${new Date(TO).toISOString()}'`;
  const [requests, p95] = sql(`select count(*), percentile_cont(0.95) within group (order by processing_time_ms)
    from observability_events where event_type = 'request_completed' and ${window}`).split('|');
  return { events: 36_000, requests: Number(requests), p95: Number(p95) };
}

async function openAndConnect() {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  // Every text the rollups' panel shows, with when it first showed it.
  await page.addInitScript(() => {
    window.__estimates = [];
    new MutationObserver(() => {
      const panel = document.querySelector('[data-testid="fast-estimate"]');
      const text = panel?.textContent?.trim();
      if (text && window.__estimates.at(-1)?.text !== text) {
        window.__estimates.push({ at: performance.now(), text, p95: panel.querySelector('tr[data-metric="p95_latency"] td.measured')?.textContent });
      }
    }).observe(document, { childList: true, subtree: true, characterData: true });
  });
  await page.goto(`${SITE_URL}?range=${FROM * 1000}..${TO * 1000}`, { waitUntil: 'load' });
  await page.waitForSelector('[data-testid="success-metrics"] td.num', { timeout: TIMEOUT_MS });
  return { context, page, errors };
}

async function connect(page) {
  await page.selectOption('[data-testid="source-select"]', 'supabase');
  await page.fill('[data-testid="supabase-url"]', stack.url);
  await page.fill('[data-testid="supabase-key"]', stack.anon);
  await page.$eval('details.advanced', (d) => { d.open = true; });
  await page.fill('[data-testid="supabase-token"]', stack.user);
  const clicked = await page.evaluate(() => performance.now());
  await page.click('[data-testid="supabase-form"] button[type="submit"]');
  return clicked;
}

async function waitForEvents(page, events) {
  await page.waitForFunction(
    (n) => document.querySelector('[data-testid="window-info"]')?.textContent.includes(`· ${n} events`),
    events,
    { timeout: TIMEOUT_MS },
  );
}

/// "≈ 512 ms (±1 %)" → [512, 0.01].
function bounded(text) {
  const m = text.match(/≈ ([\d.,]+) ms \(±([\d.]+) %\)/);
  assert.ok(m, `not a bounded number: ${text}`);
  return [Number(m[1].replace(/,/g, '')), Number(m[2]) / 100];
}

test('the rollups show first, within 2 s and labelled with their bound; the exact numbers replace them', async () => {
  const expected = loadRows();
  const { context, page, errors } = await openAndConnect();
  try {
    const clicked = await connect(page);
    await waitForEvents(page, expected.events);
    const estimates = await page.evaluate(() => window.__estimates);
    assert.ok(estimates.length > 0, 'the rollups\' numbers never showed');
    const first = estimates[0];
    assert.ok(first.at - clicked <= 2000, `the first numbers took ${Math.round(first.at - clicked)} ms`);
    assert.match(first.text, /First numbers, from the rollups/);
    assert.match(first.text, /36000 events/);
    const [p95, bound] = bounded(first.p95);
    assert.ok(bound <= 0.01, `bound ${bound}`);
    // The shown number is rounded to whole milliseconds.
    assert.ok(Math.abs(p95 - expected.p95) <= bound * expected.p95 + 0.5, `p95 ≈ ${p95}, percentile_cont ${expected.p95}`);
    // The exact numbers replaced them: no panel of the rollups, no "≈" in the dashboard.
    assert.equal(await page.$('[data-testid="fast-estimate"]'), null);
    const exactP95 = await page.textContent('[data-testid="success-metrics"] tr[data-metric="p95_latency"] td.measured');
    // format_ms: one decimal, exactly PostgreSQL's value rounded.
    assert.equal(exactP95.trim(), `${expected.p95.toFixed(1)} ms`);
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

test('"Exact numbers only" skips the rollups', async () => {
  const expected = loadRows();
  const { context, page, errors } = await openAndConnect();
  try {
    await page.check('[data-testid="exact-only"]');
    await connect(page);
    await waitForEvents(page, expected.events);
    // Give a late panel the time to show, if it were to.
    await page.waitForTimeout(300);
    assert.deepEqual(await page.evaluate(() => window.__estimates), []);
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});
