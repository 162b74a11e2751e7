// Signing in from the page, on the GitHub Pages layout (the site built with a sub-path public
// URL, served under it), against the local Supabase stand-in stack of scripts/supabase-local.sh:
// PostgREST 12.0.2 with sql/002_team_access.sql for the data, and tests/auth-standin (a
// STAND-IN for Supabase Auth, shaped by its OpenAPI description) for /auth/v1 on the same
// project URL. Covered:
// - email + password (and the messages for a wrong password and an unconfirmed email);
// - a one-time code by email (the code read from the stand-in), the rate limit on asking again,
//   and closed sign-ups for an unknown address;
// - the emailed link, asked for with a PKCE challenge, landing back on the sub-path with ?code=
//   (exchanged, removed from the address bar); the same link again says it is used up; a link
//   of the implicit flow (#access_token=…, e.g. asked for by another client) signs in too and
//   leaves no token in the address bar;
// - GitHub through OAuth with PKCE: S256 challenge, redirect_to the page's own sub-path URL,
//   the ?code= exchanged and removed from the address bar;
// - refresh across expiry with 12-second tokens in two tabs sharing a remembered session: the
//   single-use refresh tokens rotate with none reused, both tabs stay signed in;
// - a refresh that fails (the session revoked elsewhere) signs out with a message and leaves
//   the page (and what was typed) as it was;
// - sign-out calls /auth/v1/logout, forgets the session, and the page no longer reads rows.
//
//   bash scripts/test.sh   (step "sub-path build + browser e2e"; the Supabase stack is up)
//
// Without the stack's environment this file FAILS, never passes silently.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchChromium } from '../e2e/browser.mjs';

const SITE_URL = process.env.CANARY_SUBPATH_URL;
const TIMEOUT_MS = 60_000;
const MEMBER = { email: 'oncall@example.com', password: 'canary-oncall-password' };

function env(name) {
  const value = process.env[name];
  assert.ok(value && value.trim(), `${name} is not set: run bash scripts/test.sh (this test needs the local Supabase stand-in and the Auth stand-in)`);
  return value;
}

let stack;
let browser;

before(async () => {
  assert.ok(SITE_URL, 'CANARY_SUBPATH_URL must be set (scripts/test.sh builds and serves the sub-path site)');
  stack = {
    url: env('CANARY_SUPABASE_URL'),
    anon: env('CANARY_SUPABASE_ANON_KEY'),
    auth: env('CANARY_AUTH_STANDIN_URL'),
    shortAuth: env('CANARY_AUTH_SHORT_STANDIN_URL'),
    lifetime: Number(env('CANARY_AUTH_SHORT_LIFETIME')),
  };
  stack.short = `${stack.url}/scenario/shortlived`;
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
});

const stats = async (base) => (await fetch(`${base}/standin/stats`)).json();

async function open(context, query = '') {
  const page = await context.newPage();
  const requests = [];
  const pageErrors = [];
  page.on('request', (r) => requests.push(r.url()));
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.goto(`${SITE_URL}${query}`, { waitUntil: 'load' });
  await page.waitForSelector('[data-testid="source-select"]', { timeout: TIMEOUT_MS });
  return { page, requests, pageErrors };
}

async function fillProject(page, { url = stack.url, remember = false } = {}) {
  await page.selectOption('[data-testid="source-select"]', 'supabase');
  await page.fill('[data-testid="supabase-url"]', url);
  await page.fill('[data-testid="supabase-key"]', stack.anon);
  if (remember) await page.check('[data-testid="supabase-remember"]');
}

async function signInWithPassword(page, { email = MEMBER.email, password = MEMBER.password } = {}) {
  await page.fill('[data-testid="sign-in-email"]', email);
  await page.fill('[data-testid="sign-in-password"]', password);
  await page.click('[data-testid="sign-in-submit"]');
}

async function waitSignedIn(page, email = MEMBER.email) {
  await page.waitForFunction(
    (e) => document.querySelector('[data-testid="signed-in-as"]')?.textContent.includes(e),
    email,
    { timeout: TIMEOUT_MS },
  );
}

async function waitMessage(page, pattern) {
  await page.waitForFunction(
    (p) => new RegExp(p).test(document.querySelector('[data-testid="sign-in-message"]')?.textContent ?? ''),
    pattern.source,
    { timeout: TIMEOUT_MS },
  );
}

/// The page read the project without an error (rows or the "no rows" note: never a load error).
async function waitRead(page) {
  await page.waitForFunction(
    () => document.querySelector('[data-testid="source-label"]')?.textContent.startsWith('Supabase') &&
      document.querySelector('[data-testid="window-info"]') && !document.querySelector('[data-testid="load-error"]'),
    null,
    { timeout: TIMEOUT_MS },
  );
}

test('email and password: wrong password, unconfirmed email, then signed in and reading', async () => {
  const context = await browser.newContext();
  try {
    const { page, pageErrors } = await open(context, '?range=24h');
    await fillProject(page);
    await signInWithPassword(page, { password: 'not-it' });
    await waitMessage(page, /wrong email or password/);
    await signInWithPassword(page, { email: 'unconfirmed@example.com', password: 'canary-unconfirmed-pw' });
    await waitMessage(page, /this email address is not confirmed yet: open the confirmation email/);
    await signInWithPassword(page);
    await waitSignedIn(page);
    await waitRead(page);
    // The session is this tab's (not remembered), under the exact project URL.
    const kept = await page.evaluate((p) => [
      sessionStorage.getItem(`canary-console.supabase-session:${p}`) !== null,
      localStorage.getItem(`canary-console.supabase-session:${p}`),
    ], stack.url);
    assert.deepEqual(kept, [true, null]);
    assert.deepEqual(pageErrors, []);
  } finally {
    await context.close();
  }
});

test('a one-time code by email: rate limited when asked again at once; closed sign-ups', async () => {
  const context = await browser.newContext();
  try {
    const { page } = await open(context, '?range=24h');
    await fillProject(page);
    await page.fill('[data-testid="sign-in-email"]', 'nobody@example.com');
    await page.click('[data-testid="sign-in-send-code"]');
    await waitMessage(page, /this project does not let new users sign up .*ask a team admin to invite/);
    await page.fill('[data-testid="sign-in-email"]', MEMBER.email);
    await page.click('[data-testid="sign-in-send-code"]');
    await waitMessage(page, /A code is on its way to oncall@example\.com/);
    await page.click('[data-testid="sign-in-send-code"]');
    await waitMessage(page, /Supabase Auth is rate limiting sign-ins .*wait a minute/);
    const { code } = await (await fetch(`${stack.auth}/standin/codes?email=${encodeURIComponent(MEMBER.email)}`)).json();
    assert.match(code, /^\d{6}$/);
    await page.fill('[data-testid="sign-in-code"]', code === '000000' ? '111111' : '000000');
    await page.click('[data-testid="sign-in-verify"]');
    await waitMessage(page, /the code is wrong or has expired/);
    await page.fill('[data-testid="sign-in-code"]', code);
    await page.click('[data-testid="sign-in-verify"]');
    await waitSignedIn(page);
    await waitRead(page);
  } finally {
    await context.close();
  }
});

/// Asks for a code and link from the form, past the stand-in's per-email rate limit.
async function sendCode(page) {
  await page.fill('[data-testid="sign-in-email"]', MEMBER.email);
  for (let attempt = 0; ; attempt += 1) {
    await page.click('[data-testid="sign-in-send-code"]');
    await page.waitForFunction(
      () => /A code is on its way|rate limiting/.test(document.querySelector('[data-testid="sign-in-message"]')?.textContent ?? ''),
      null,
      { timeout: TIMEOUT_MS },
    );
    const text = await page.textContent('[data-testid="sign-in-message"]');
    if (/A code is on its way/.test(text)) return;
    assert.ok(attempt < 3, text);
    await page.waitForTimeout(2_000);
  }
}

const lastLink = async () => {
  const answer = await fetch(`${stack.auth}/standin/links?email=${encodeURIComponent(MEMBER.email)}`);
  assert.equal(answer.status, 200, 'the stand-in sent a link');
  return `${stack.url}${(await answer.json()).path}`;
};

test('the emailed link lands back on the sub-path and signs in; used again, it says so', async () => {
  const context = await browser.newContext();
  try {
    const { page, requests } = await open(context, '?range=24h');
    await fillProject(page);
    await sendCode(page);
    const otp = requests.filter((u) => u.includes('/auth/v1/otp')).pop();
    assert.equal(new URL(otp).searchParams.get('redirect_to'), SITE_URL, 'the link comes back to the page itself');
    const link = await lastLink();
    assert.match(new URL(link).searchParams.get('token'), /^pkce_/, 'asked for with a PKCE challenge');
    const before = (await stats(stack.auth)).pkce;
    // The link opened from the email: a navigation through Supabase Auth back to the page.
    await page.goto(link, { waitUntil: 'load' });
    await waitSignedIn(page);
    await waitRead(page);
    assert.ok(!page.url().includes('code='), `the code stays in the address bar: ${page.url()}`);
    assert.ok(page.url().startsWith(SITE_URL), page.url());
    assert.equal((await stats(stack.auth)).pkce, before + 1, 'the code was exchanged with the kept verifier');
    assert.equal(await page.evaluate(() => localStorage.getItem('canary-console.supabase-pkce')), null, 'the verifier is not kept');

    // The same link again (links work once): a clear message, nothing in the address bar.
    const again = await context.newPage();
    await again.goto(link, { waitUntil: 'load' });
    await again.waitForFunction(
      () => /Signing in did not finish: the sign-in link is invalid or has expired \(Email link is invalid or has expired\): a link works once/
        .test(document.querySelector('[data-testid="auth-notice"]')?.textContent ?? ''),
      null,
      { timeout: TIMEOUT_MS },
    );
    assert.ok(!/error|code=/.test(again.url()), `the error stays in the address bar: ${again.url()}`);
  } finally {
    await context.close();
  }
});

test('a link of the implicit flow (#access_token=…) signs in and leaves no token in the address bar', async () => {
  const context = await browser.newContext();
  try {
    const { page } = await open(context, '?range=24h');
    await fillProject(page);
    await sendCode(page);
    // Another client of the project asks for a link without a challenge (the implicit flow).
    let sent;
    for (let attempt = 0; attempt < 10; attempt += 1) {
      sent = await fetch(`${stack.url}/auth/v1/otp?redirect_to=${encodeURIComponent(SITE_URL)}`, {
        method: 'POST',
        headers: { apikey: stack.anon, 'content-type': 'application/json' },
        body: JSON.stringify({ email: MEMBER.email, create_user: false }),
      });
      if (sent.status !== 429) break;
      await new Promise((r) => setTimeout(r, 1_000));
    }
    assert.equal(sent.status, 200, await sent.text());
    const link = await lastLink();
    assert.doesNotMatch(new URL(link).searchParams.get('token'), /^pkce_/);
    const before = (await stats(stack.auth)).refresh_ok;
    await page.goto(link, { waitUntil: 'load' });
    await waitSignedIn(page);
    await waitRead(page);
    assert.ok(!/access_token|refresh_token/.test(page.url()), `a token stays in the address bar: ${page.url()}`);
    assert.equal((await stats(stack.auth)).refresh_ok, before + 1, "the link's refresh token was exchanged for the page's own session");
  } finally {
    await context.close();
  }
});

test('GitHub through OAuth with PKCE comes back to the sub-path and leaves no code in the URL', async () => {
  const context = await browser.newContext();
  try {
    const { page, requests } = await open(context, '?range=24h');
    await fillProject(page);
    const before = (await stats(stack.auth)).pkce;
    await page.click('[data-testid="sign-in-github"]');
    await waitSignedIn(page);
    await waitRead(page);
    const authorize = new URL(requests.find((u) => u.includes('/auth/v1/authorize')));
    assert.equal(authorize.searchParams.get('provider'), 'github');
    assert.equal(authorize.searchParams.get('code_challenge_method'), 's256');
    assert.match(authorize.searchParams.get('code_challenge'), /^[A-Za-z0-9_-]{43}$/);
    assert.equal(authorize.searchParams.get('redirect_to'), SITE_URL, 'back to the page itself, sub-path included');
    const back = requests.find((u) => u.startsWith(SITE_URL) && u.includes('code='));
    assert.ok(back, 'the provider sent the browser back with ?code=');
    assert.ok(!page.url().includes('code='), `the code stays in the address bar: ${page.url()}`);
    assert.equal((await stats(stack.auth)).pkce, before + 1, 'one PKCE exchange (S256 verifier accepted)');
    assert.equal(await page.evaluate(() => localStorage.getItem('canary-console.supabase-pkce')), null, 'the verifier is not kept');
  } finally {
    await context.close();
  }
});

test('two tabs stay signed in across several token lifetimes; refresh tokens are never reused', async () => {
  const context = await browser.newContext();
  try {
    const before = await stats(stack.shortAuth);
    const first = await open(context, '?range=24h');
    await fillProject(first.page, { url: stack.short, remember: true });
    await signInWithPassword(first.page);
    await waitSignedIn(first.page);
    await waitRead(first.page);
    const second = await open(context, `?source=supabase&supabase=${encodeURIComponent(stack.short)}&range=24h`);
    await waitSignedIn(second.page);
    await waitRead(second.page);
    const initial = await first.page.evaluate((p) => JSON.parse(localStorage.getItem(`canary-console.supabase-session:${p}`)).refresh_token, stack.short);
    // Three lifetimes: each token is refreshed before it expires, by one tab at a time.
    await first.page.waitForTimeout(stack.lifetime * 3 * 1000);
    for (const { page } of [first, second]) {
      assert.equal(await page.$('[data-testid="auth-notice"]'), null, await page.textContent('[data-testid="account-status"]'));
      await waitSignedIn(page);
    }
    const after = await stats(stack.shortAuth);
    assert.equal(after.refresh_reused - before.refresh_reused, 0, 'a refresh token was used twice');
    assert.ok(after.refresh_ok - before.refresh_ok >= 2, `refreshes: ${after.refresh_ok - before.refresh_ok}`);
    const [a, b] = await Promise.all([first, second].map(({ page }) =>
      page.evaluate((p) => JSON.parse(localStorage.getItem(`canary-console.supabase-session:${p}`)).refresh_token, stack.short)));
    assert.equal(a, b);
    assert.notEqual(a, initial, 'the refresh token rotated');
    // Reading after the first token expired uses the current one.
    await second.page.click('[data-testid="toolbar"] button:has-text("Refresh")');
    await waitRead(second.page);
    assert.equal(await second.page.$('[data-testid="data-warning"]:has-text("refresh")'), null);
  } finally {
    await context.close();
  }
});

test('a refresh that fails signs out with a message and keeps what was typed', async () => {
  const context = await browser.newContext();
  try {
    const { page } = await open(context, '?range=24h');
    await fillProject(page, { url: stack.short });
    await signInWithPassword(page);
    await waitSignedIn(page);
    await page.evaluate(() => { window.__notReloaded = true; });
    await page.fill('[data-testid="sign-in-email"]', 'draft@example.com');
    // Revoked elsewhere (another device signed this session out).
    const token = await page.evaluate((p) => JSON.parse(sessionStorage.getItem(`canary-console.supabase-session:${p}`)).access_token, stack.short);
    const out = await fetch(`${stack.short}/auth/v1/logout`, { method: 'POST', headers: { apikey: stack.anon, Authorization: `Bearer ${token}` } });
    assert.equal(out.status, 204);
    await page.waitForSelector('[data-testid="auth-notice"]', { timeout: TIMEOUT_MS });
    assert.match(await page.textContent('[data-testid="auth-notice"]'), /You were signed out: the session ended .*sign in again/);
    assert.equal(await page.$('[data-testid="signed-in-as"]'), null);
    assert.equal(await page.evaluate(() => window.__notReloaded), true, 'the page was not reloaded');
    assert.equal(await page.inputValue('[data-testid="sign-in-email"]'), 'draft@example.com');
  } finally {
    await context.close();
  }
});

test('sign-out ends the session on the server and here', async () => {
  const context = await browser.newContext();
  try {
    const { page } = await open(context, '?range=24h');
    await fillProject(page);
    await signInWithPassword(page);
    await waitSignedIn(page);
    await waitRead(page);
    const before = (await stats(stack.auth)).logout;
    await page.click('[data-testid="sign-out"]');
    await page.waitForFunction(() => !document.querySelector('[data-testid="signed-in-as"]'), null, { timeout: TIMEOUT_MS });
    await page.waitForFunction(
      () => /not a member of this team: no one is signed in/.test(document.querySelector('[data-testid="load-error"]')?.textContent ?? ''),
      null,
      { timeout: TIMEOUT_MS },
    );
    assert.equal((await stats(stack.auth)).logout, before + 1);
    assert.equal(await page.evaluate((p) => sessionStorage.getItem(`canary-console.supabase-session:${p}`), stack.url), null);
  } finally {
    await context.close();
  }
});
