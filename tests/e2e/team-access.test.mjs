// Team access in the browser, against the local Supabase stand-in stack (scripts/supabase-local.sh:
// PostgreSQL 15 + PostgREST 12.0.2 + nginx, sql/002_team_access.sql applied) and the built page:
// - the Content-Security-Policy refuses a connection to an origin it does not list, and the page
//   keeps working;
// - a crafted link naming another project (`?source=supabase&supabase=<other origin>`) opens the
//   form with that URL and nothing filled in, and no key or token goes to that origin (asserted
//   on the requests the browser made and on what the other origin received);
// - a signed-in user who is not a team member, and the anon key alone, see "not a member of this
//   team" and no rows.
//
//   bash scripts/test.sh   (step "browser e2e")
//
// Without the stack's environment (CANARY_SUPABASE_URL and friends) this file FAILS.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { launchChromium } from './browser.mjs';

const SITE_URL = process.env.CANARY_SITE_URL;
const TIMEOUT_MS = 60_000;

function env(name) {
  const value = process.env[name];
  assert.ok(value && value.trim(), `${name} is not set: run bash scripts/test.sh (this test needs the local Supabase stand-in)`);
  return value;
}

let stack;
let browser;
let decoy;
const decoyRequests = [];

before(async () => {
  assert.ok(SITE_URL, 'CANARY_SITE_URL must be set to the URL of the served dist/ directory');
  stack = {
    url: env('CANARY_SUPABASE_URL'),
    anon: env('CANARY_SUPABASE_ANON_KEY'),
    user: env('CANARY_SUPABASE_USER_TOKEN'),
    outsider: env('CANARY_SUPABASE_OUTSIDER_TOKEN'),
    anonymous: env('CANARY_SUPABASE_ANONYMOUS_TOKEN'),
  };
  // "Another project": a server on another loopback origin that records what reaches it and
  // answers like an open CORS API, so nothing but the page itself could keep a key from it.
  decoy = http.createServer((req, res) => {
    decoyRequests.push({ method: req.method, url: req.url, headers: req.headers });
    res.writeHead(req.method === 'OPTIONS' ? 204 : 200, {
      'Access-Control-Allow-Origin': '*',
      'Access-Control-Allow-Headers': '*',
      'Content-Type': 'application/json',
    });
    res.end(req.method === 'OPTIONS' ? '' : '[]');
  });
  await new Promise((resolve) => decoy.listen(0, '127.0.0.1', resolve));
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await new Promise((resolve) => (decoy ? decoy.close(resolve) : resolve()));
});

/// A page of a fresh context, recording every request it makes (with headers) and CSP reports.
async function open(context, query = '') {
  const page = await context.newPage();
  const requests = [];
  const pageErrors = [];
  page.on('request', (r) => requests.push({ url: r.url(), headers: r.headers() }));
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.addInitScript(() => {
    window.__cspViolations = [];
    document.addEventListener('securitypolicyviolation', (e) =>
      window.__cspViolations.push({ blocked: e.blockedURI, directive: e.effectiveDirective }));
  });
  await page.goto(`${SITE_URL}${query}`, { waitUntil: 'load' });
  return { page, requests, pageErrors };
}

async function connect(page, { url = stack.url, key, token = '', remember = false }) {
  await page.selectOption('[data-testid="source-select"]', 'supabase');
  await page.fill('[data-testid="supabase-url"]', url);
  await page.fill('[data-testid="supabase-key"]', key);
  await page.$eval('details.advanced', (d) => { d.open = true; });
  await page.fill('[data-testid="supabase-token"]', token);
  if (remember) await page.check('[data-testid="supabase-remember"]');
  await page.click('[data-testid="supabase-form"] button[type="submit"]');
}

test('the CSP refuses connections to origins it does not list, and the page still works', async () => {
  const context = await browser.newContext();
  try {
    const { page, requests, pageErrors } = await open(context);
    await page.waitForSelector('[data-testid="success-metrics"] td.num', { timeout: TIMEOUT_MS });
    const policy = await page.getAttribute('meta[http-equiv="Content-Security-Policy"]', 'content');
    assert.ok(policy, 'the page has a CSP <meta>');
    assert.match(policy, /script-src 'self' 'wasm-unsafe-eval' 'sha256-[A-Za-z0-9+/=]+'/);
    assert.match(policy, /connect-src 'self' https:\/\/\*\.supabase\.co http:\/\/127\.0\.0\.1:\*/);
    assert.doesNotMatch(policy, /canary-/, 'the build hook replaced its markers');
    // localhost is loopback too, but the test build lists only 127.0.0.1.
    const outcome = await page.evaluate(async (port) => {
      try {
        await fetch(`http://localhost:${port}/probe`);
        return 'fetched';
      } catch (e) {
        return `refused: ${e.name}`;
      }
    }, new URL(stack.url).port);
    assert.equal(outcome, 'refused: TypeError');
    await page.waitForFunction(() => window.__cspViolations.length > 0, null, { timeout: TIMEOUT_MS });
    const violations = await page.evaluate(() => window.__cspViolations);
    assert.deepEqual(violations.map((v) => v.directive), ['connect-src'], JSON.stringify(violations));
    assert.ok(violations[0].blocked.startsWith('http://localhost:'), JSON.stringify(violations));
    assert.ok(!requests.some((r) => r.url.startsWith('http://localhost:')), 'the refused request was never sent');
    // Still working: a range switch recomputes the dashboard.
    await page.selectOption('[data-testid="range-select"]', '1h');
    assert.ok(await page.$('[data-testid="success-metrics"] td.num'));
    assert.deepEqual(pageErrors, []);
  } finally {
    await context.close();
  }
});

test('a link naming another project opens the form with its URL and sends it no key', async () => {
  const context = await browser.newContext();
  const other = `http://127.0.0.1:${decoy.address().port}`;
  try {
    // Signed in to the real project, with "remember on this device".
    const first = await open(context, `?range=24h`);
    await first.page.waitForSelector('[data-testid="success-metrics"] td.num', { timeout: TIMEOUT_MS });
    await connect(first.page, { key: stack.anon, token: stack.user, remember: true });
    await first.page.waitForFunction(
      () => document.querySelector('[data-testid="source-label"]')?.textContent.startsWith('Supabase'),
      null,
      { timeout: TIMEOUT_MS },
    );
    await first.page.close();

    // The crafted link, in the same browser (same storage).
    const { page, requests } = await open(context, `?source=supabase&supabase=${encodeURIComponent(other)}`);
    await page.waitForSelector('[data-testid="supabase-form"]', { timeout: TIMEOUT_MS });
    await page.waitForTimeout(1000);
    assert.equal(await page.inputValue('[data-testid="supabase-url"]'), other);
    assert.equal(await page.inputValue('[data-testid="supabase-key"]'), '');
    assert.equal(await page.inputValue('[data-testid="supabase-token"]'), '');
    assert.equal(await page.isChecked('[data-testid="supabase-remember"]'), false);
    assert.match(await page.textContent('[data-testid="source-label"]'), /^Demo data/);
    const toOther = requests.filter((r) => r.url.startsWith(other));
    assert.deepEqual(toOther, [], 'the page made requests to the other origin');
    assert.deepEqual(decoyRequests, [], 'the other origin received requests');
    for (const r of requests) {
      const sent = JSON.stringify(r.headers);
      if (!r.url.startsWith(stack.url)) {
        assert.ok(!sent.includes(stack.anon) && !sent.includes(stack.user), `a key went to ${r.url}`);
      }
    }
    // The real project's link still finds its remembered key.
    const back = await open(context, `?source=supabase&supabase=${encodeURIComponent(stack.url)}&range=24h`);
    await back.page.waitForFunction(
      () => document.querySelector('[data-testid="source-label"]')?.textContent.startsWith('Supabase'),
      null,
      { timeout: TIMEOUT_MS },
    );
    assert.ok(back.requests.some((r) => r.url.startsWith(stack.url) && r.headers.apikey === stack.anon));
  } finally {
    await context.close();
  }
});

test('a non-member, an anonymous sign-in and the anon key alone are told they are not members', async () => {
  const context = await browser.newContext();
  try {
    const { page } = await open(context, '?range=24h');
    await page.waitForSelector('[data-testid="success-metrics"] td.num', { timeout: TIMEOUT_MS });
    const cases = [
      [stack.outsider, /not a member of this team: outsider@example\.com is signed in but is not listed/],
      [stack.anonymous, /not a member of this team: you are signed in anonymously/],
      ['', /not a member of this team: no one is signed in \(the anon key alone reads nothing\)/],
    ];
    for (const [token, message] of cases) {
      await connect(page, { key: stack.anon, token });
      await page.waitForFunction(
        (m) => new RegExp(m).test(document.querySelector('[data-testid="load-error"]')?.textContent ?? ''),
        message.source,
        { timeout: TIMEOUT_MS },
      );
      assert.equal(await page.$('[data-testid="success-metrics"]'), null, 'no dashboard, no rows');
    }
  } finally {
    await context.close();
  }
});
