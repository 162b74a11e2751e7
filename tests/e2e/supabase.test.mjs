// The page reading Supabase, against the real local stack of scripts/supabase-local.sh
// (PostgreSQL 15 + PostgREST 12.0.2 + nginx as Supabase's gateway) on another loopback origin
// than the site, so CORS applies exactly as with a hosted project:
// - the dashboard shows the numbers `canary-report metrics --supabase-url … --json` computes for
//   the same rows (more than one page of 1,000), with the read's progress shown while it pages;
// - a reload keeps the source (the URL has the project, sessionStorage the key), the URL and the
//   page never hold the key, and a refresh fetches only the new rows (two requests);
// - a service_role or sb_secret_ key is refused before any request reaches the gateway;
// - a wrong key shows the 401 message in `load-error`; a read that RLS leaves empty says so in
//   `data-warning` instead of showing a silently empty dashboard.
//
//   bash scripts/test.sh   (step "browser e2e": the Supabase step's stack is still running)
//
// Without the stack's environment (CANARY_SUPABASE_URL and friends) this file FAILS, never
// passes silently.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, writeFile, rm } from 'node:fs/promises';
import { statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { launchChromium } from './browser.mjs';
import { assertShowsCliNumbers, seededRandom } from './page-checks.mjs';

const SITE_URL = process.env.CANARY_SITE_URL;
const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const REPORT_BIN = process.env.CANARY_REPORT_BIN || path.join(REPO_ROOT, 'target', 'release', 'canary-report');
const PSQL = process.env.CANARY_PSQL || 'psql';
const TIMEOUT_MS = 60_000;

// This file's own piece of the shared table, ids and times no Rust test uses: the tests of
// crates/canary-report/tests/supabase.rs work in slots of 10,000,000 ids from 10,000,000 on,
// dated from 2025-10-26 on, and some read "from a start up to the newest row", so these rows
// are older than every slot (and deleted again afterwards).
const ID_BASE = 900_000_000;
const START = Date.UTC(2025, 0, 6, 9, 0, 0); // 2025-01-06T09:00:00Z
const HOURS = 2;
const END = START + HOURS * 3600_000;

function env(name) {
  const value = process.env[name];
  assert.ok(
    value && value.trim(),
    `${name} is not set: this test needs the local Supabase stand-in. Run bash scripts/test.sh, or by hand: ` +
      'bash scripts/supabase-local.sh run env CANARY_SITE_URL=http://127.0.0.1:PORT/ node --test tests/e2e/supabase.test.mjs',
  );
  return value;
}

let stack;
let browser;
let dir;

before(async () => {
  assert.ok(SITE_URL, 'CANARY_SITE_URL must be set to the URL of the served dist/ directory');
  stack = {
    url: env('CANARY_SUPABASE_URL'),
    anon: env('CANARY_SUPABASE_ANON_KEY'),
    user: env('CANARY_SUPABASE_USER_TOKEN'),
    service: env('CANARY_SUPABASE_SERVICE_KEY'),
    secret: env('CANARY_SUPABASE_SECRET_KEY'),
    foreign: env('CANARY_SUPABASE_FOREIGN_TOKEN'),
    db: env('CANARY_SUPABASE_DB'),
    dir: env('CANARY_SUPA_DIR'),
  };
  assert.notEqual(new URL(stack.url).origin, new URL(SITE_URL).origin, 'the gateway must be another origin (CORS)');
  dir = await mkdtemp(path.join(tmpdir(), 'canary-supabase-e2e-'));
  browser = await launchChromium();
});

const deleteOurRows = () => sql(`delete from observability_events where id >= ${ID_BASE} and id < ${ID_BASE + 10_000_000}`);

after(async () => {
  if (stack) deleteOurRows();
  await browser?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

// -------------------------------------------------------------------------------------------
// Data

function sql(script) {
  return execFileSync(PSQL, ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-d', stack.db, '-c', script], {
    encoding: 'utf8',
  });
}

const pgTime = (ms) => new Date(ms).toISOString().replace('T', ' ').replace('Z', '+00');
const quoted = (json) => `"${json.replaceAll('"', '""')}"`;

/// Deterministic events from `firstId` on, every `step` seconds of [from, to): requests on two
/// endpoints with a slow spell and errors, cache accesses and misses, mem0 writes.
function eventsCsv(firstId, from, to, seed, step = 2) {
  const random = seededRandom(seed);
  const lines = ['id,event_type,success,cache_hit,processing_time_ms,cache_key,details,created_at'];
  let id = firstId;
  for (let at = from; at < to; at += step * 1000) {
    const t = pgTime(at);
    const slow = (at - START) % (3600_000) < 900_000 ? 3 : 1;
    const endpoint = random() < 0.7 ? '/api/chat' : '/api/memory/search';
    const ok = random() > 0.01;
    const ms = (80 + random() * 300 * slow).toFixed(3);
    const details = ok
      ? `{"endpoint": "${endpoint}"}`
      : `{"endpoint": "${endpoint}", "error_type": "TimeoutError", "error_message": "upstream timed out"}`;
    lines.push(`${id++},request_completed,${ok ? 't' : 'f'},,${ms},,${quoted(details)},${t}`);
    const hit = random() > 0.05;
    const key = `patient:${Math.floor(random() * 50)}`;
    lines.push(`${id++},cache_access,,${hit ? 't' : 'f'},${(random() * 20).toFixed(3)},${key},${quoted('{"cache_key_prefix": "patient"}')},${t}`);
    if (!hit) lines.push(`${id++},cache_miss,,,,${key},{},${t}`);
    if ((at / 1000) % 6 === 0) {
      lines.push(`${id++},mem0_write,${random() > 0.01 ? 't' : 'f'},,${(300 + random() * 600).toFixed(3)},,{},${t}`);
    }
  }
  return { text: `${lines.join('\n')}\n`, next: id };
}

async function load(name, text) {
  const file = path.join(dir, name);
  await writeFile(file, text);
  sql(`\\copy observability_events from '${file}' with (format csv, header true)`);
  sql('analyze observability_events');
}

/// The CLI's numbers for the window, read through the same gateway with the same keys.
function cliMetrics() {
  const out = execFileSync(
    REPORT_BIN,
    ['metrics', '--supabase-url', stack.url, '--from', new Date(START).toISOString(), '--to', new Date(END).toISOString(), '--json'],
    { encoding: 'utf8', env: { ...process.env, SUPABASE_ANON_KEY: stack.anon, SUPABASE_ACCESS_TOKEN: stack.user }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  return JSON.parse(out);
}

// -------------------------------------------------------------------------------------------
// The page

/// A fresh browser context (its own sessionStorage), with the requests that reach the gateway
/// counted and the texts of the loading bar recorded as they appear.
async function open(query = '') {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const gateway = new URL(stack.url).origin;
  const seen = { gateway: [], pageErrors: [], httpErrors: [] };
  page.on('request', (r) => {
    if (new URL(r.url()).origin === gateway) seen.gateway.push(`${r.method()} ${r.url()}`);
  });
  page.on('response', (r) => {
    if (r.status() >= 400) seen.httpErrors.push(`${r.status()} ${r.url()}`);
  });
  page.on('pageerror', (e) => seen.pageErrors.push(e.message));
  await page.addInitScript(() => {
    window.__loadingTexts = [];
    new MutationObserver(() => {
      const text = document.querySelector('[data-testid="loading"]')?.textContent?.trim();
      if (text && window.__loadingTexts.at(-1) !== text) window.__loadingTexts.push(text);
    }).observe(document, { childList: true, subtree: true, characterData: true });
  });
  await page.goto(`${SITE_URL}${query}`, { waitUntil: 'load' });
  return { context, page, seen };
}

const CUSTOM_RANGE = `?range=${START * 1000}..${END * 1000}`;

async function connect(page, { url = stack.url, key, token = '' }) {
  await page.selectOption('[data-testid="source-select"]', 'supabase');
  await page.fill('[data-testid="supabase-url"]', url);
  await page.fill('[data-testid="supabase-key"]', key);
  await page.$eval('details.advanced', (d) => { d.open = true; });
  await page.fill('[data-testid="supabase-token"]', token);
  await page.click('[data-testid="supabase-form"] button[type="submit"]');
}

async function waitForEvents(page, events) {
  await page.waitForFunction(
    (n) => document.querySelector('[data-testid="window-info"]')?.textContent.includes(`· ${n} events`),
    events,
    { timeout: TIMEOUT_MS },
  );
}


/// Neither the page's URL nor its markup holds a key (inputs keep theirs as a property only).
async function assertNoKeyExposed(page) {
  const url = page.url();
  const html = await page.content();
  for (const [name, secret] of [['anon key', stack.anon], ['user token', stack.user]]) {
    assert.ok(!url.includes(secret), `the page URL holds the ${name}: ${url}`);
    assert.ok(!html.includes(secret), `the page's markup holds the ${name}`);
  }
}

// -------------------------------------------------------------------------------------------
// Tests

test('the dashboard shows the CLI numbers for the same Supabase rows; reload and refresh keep them equal', async () => {
  deleteOurRows();
  // A breaker transition before the window (its state carries over) and one inside it.
  const breaker = (id, at, state) =>
    `${id},circuit_breaker_state_change,,,,,${quoted(`{"state": "${state}", "failure_count": 5, "success_count": 0}`)},${pgTime(at)}`;
  const { text, next } = eventsCsv(ID_BASE + 10, START, END - 600_000, 7);
  await load('rows.csv', `${text}${breaker(ID_BASE + 1, START - 600_000, 'open')}\n${breaker(next, START + 3600_000, 'half_open')}\n`);
  const json = cliMetrics();
  assert.ok(json.window.events > 5000, `more rows than a few pages: ${json.window.events}`);

  const { context, page, seen } = await open(CUSTOM_RANGE);
  try {
    await page.waitForSelector('[data-testid="success-metrics"] td.num', { timeout: TIMEOUT_MS });
    await connect(page, { key: stack.anon, token: stack.user });
    await waitForEvents(page, json.window.events);
    await assertShowsCliNumbers(page, json);
    assert.match(await page.textContent('[data-testid="source-label"]'), /^Supabase http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(await page.$('[data-testid="data-warning"]'), null, 'no warning for a read with rows');
    // The read's progress was on screen while it paged (above the demo's dashboard).
    const texts = await page.evaluate(() => window.__loadingTexts);
    assert.ok(texts.some((t) => /Reading Supabase: [\d,]+ rows of about [\d,]+/.test(t)), `progress texts: ${JSON.stringify(texts)}`);

    // The URL has the project, never the key; the key is in this tab's storage only.
    const params = new URL(page.url()).searchParams;
    assert.equal(params.get('source'), 'supabase');
    assert.equal(params.get('supabase'), stack.url);
    await assertNoKeyExposed(page);
    // Kept under the exact project URL: a link naming another project finds nothing.
    const stored = await page.evaluate((project) => ({
      session: sessionStorage.getItem(`canary-console.supabase-key:${project}`),
      local: localStorage.getItem(`canary-console.supabase-key:${project}`),
    }), stack.url);
    assert.ok(stored.session?.includes(stack.anon) && stored.session.includes(stack.user), 'the keys are in sessionStorage');
    assert.equal(stored.local, null, 'nothing in localStorage without "remember"');

    // A reload reads the same project with the stored key, and shows the progress in the
    // first load's place.
    await page.reload({ waitUntil: 'load' });
    await waitForEvents(page, json.window.events);
    await assertShowsCliNumbers(page, json);
    assert.match(await page.textContent('[data-testid="source-label"]'), /^Supabase /);
    await assertNoKeyExposed(page);
    const afterReload = await page.evaluate(() => window.__loadingTexts);
    assert.ok(afterReload.some((t) => /Loading events: [\d,]+ rows/.test(t)), `progress texts: ${JSON.stringify(afterReload)}`);

    // New rows inside the window: a refresh appends only them, in two requests.
    await load('more.csv', eventsCsv(next + 1, END - 600_000, END, 11).text);
    const json2 = cliMetrics();
    assert.ok(json2.window.events > json.window.events);
    // The events' requests: the team's records (sql/005_team_records.sql) are read once per
    // page load, not per refresh, and that read may still be finishing here.
    const eventGets = () => seen.gateway.filter((r) => r.startsWith('GET ') && r.includes('/observability_events'));
    const before = eventGets().length;
    await page.click('[data-testid="toolbar"] button:has-text("Refresh")');
    await waitForEvents(page, json2.window.events);
    await assertShowsCliNumbers(page, json2);
    const refreshGets = eventGets().slice(before);
    assert.ok(refreshGets.length <= 2, `the refresh made ${refreshGets.length} requests:\n${refreshGets.join('\n')}`);
    assert.ok(refreshGets.every((r) => r.includes(`id=gt.`)), `the refresh asked only for newer ids:\n${refreshGets.join('\n')}`);

    assert.deepEqual(seen.pageErrors, []);
    assert.deepEqual(seen.httpErrors, []);
  } finally {
    await context.close();
  }
});

test('a service_role or sb_secret_ key is refused before any request', async () => {
  const log = path.join(stack.dir, 'nginx-access.log');
  // nginx creates its log with the first request it serves.
  const logSize = () => statSync(log, { throwIfNoEntry: false })?.size ?? 0;
  const logBefore = logSize();
  const { context, page, seen } = await open();
  try {
    await page.waitForSelector('[data-testid="success-metrics"] td.num', { timeout: TIMEOUT_MS });
    for (const [key, what] of [[stack.service, 'a service_role key'], [stack.secret, 'an sb_secret_ key']]) {
      await connect(page, { key });
      await page.waitForFunction(
        (w) => document.querySelector('[data-testid="supabase-error"]')?.textContent.includes(`refusing ${w}`),
        what,
        { timeout: TIMEOUT_MS },
      );
      const message = await page.textContent('[data-testid="supabase-error"]');
      assert.match(message, /it bypasses Row Level Security .* must never be in a browser/);
    }
    // A secret key in the access-token field is refused too.
    await connect(page, { key: stack.anon, token: stack.service });
    await page.waitForFunction(
      () => document.querySelector('[data-testid="supabase-error"]')?.textContent.includes('(here: the Access token field)'),
      null,
      { timeout: TIMEOUT_MS },
    );
    await page.waitForTimeout(500);
    assert.deepEqual(seen.gateway, [], 'requests reached the gateway');
    assert.equal(logSize(), logBefore, 'the gateway logged requests');
    assert.match(await page.textContent('[data-testid="source-label"]'), /^Demo data/, 'the source stays the demo');
    assert.equal(new URL(page.url()).searchParams.get('source'), 'demo');
    const stored = await page.evaluate(() => [...Object.keys(sessionStorage), ...Object.keys(localStorage)]
      .filter((k) => k.startsWith('canary-console.supabase-key')));
    assert.deepEqual(stored, [], 'a refused key is not stored');
  } finally {
    await context.close();
  }
});

test('a wrong key shows the 401 message', async () => {
  const { context, page } = await open(CUSTOM_RANGE);
  try {
    await page.waitForSelector('[data-testid="success-metrics"] td.num', { timeout: TIMEOUT_MS });
    // A JWT signed with another project's secret: PostgREST's 401 (PGRST301).
    await connect(page, { key: stack.foreign });
    await page.waitForSelector('[data-testid="load-error"]', { timeout: TIMEOUT_MS });
    assert.match(
      await page.textContent('[data-testid="load-error"]'),
      /the key was not accepted \(401: PGRST301 JWSError JWSInvalidSignature\): use this project's anon or publishable key .* \(here: the Anon key field\)/,
    );
    // An unknown publishable key: the gateway's own 401, which must pass CORS as well.
    await connect(page, { key: 'sb_publishable_notThisProject_123' });
    await page.waitForFunction(
      () => document.querySelector('[data-testid="load-error"]')?.textContent.includes('401: Invalid API key'),
      null,
      { timeout: TIMEOUT_MS },
    );
    assert.equal(await page.$('[data-testid="success-metrics"]'), null, 'no dashboard for a refused read');
  } finally {
    await context.close();
  }
});

test('a read that Row Level Security leaves empty says so instead of an empty dashboard', async () => {
  // The "rls" scenario: 50 rows from 2025-10-16 18:35:01 on, readable by signed-in users only.
  const from = Date.UTC(2025, 9, 16, 18, 0, 0);
  const { context, page } = await open(`?range=${from * 1000}..${(from + 3600_000) * 1000}`);
  try {
    await page.waitForSelector('[data-testid="success-metrics"] td.num', { timeout: TIMEOUT_MS });
    await connect(page, { url: `${stack.url}/scenario/rls`, key: stack.anon });
    await page.waitForSelector('[data-testid="data-warning"]', { timeout: TIMEOUT_MS });
    assert.match(
      await page.textContent('[data-testid="data-warning"]'),
      /no rows in the window for the role "anon": either observability_events has none there, or Row Level Security hides them .*\(here: also enter a signed-in user's access token in the Access token field\)/,
    );
    await waitForEvents(page, 0);
    // Signed in, the same project shows its rows and no warning.
    await connect(page, { url: `${stack.url}/scenario/rls`, key: stack.anon, token: stack.user });
    await waitForEvents(page, 50);
    assert.equal(await page.$('[data-testid="data-warning"]'), null);
  } finally {
    await context.close();
  }
});
