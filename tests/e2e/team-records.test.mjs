// The team's records in the browser (sql/005_team_records.sql), against the local Supabase
// stand-in stack (scripts/supabase-local.sh: PostgreSQL 15 + PostgREST 12.0.2 + nginx; users
// oncall@ and lead@ are approvers, viewer@ a viewer) and the built page, two users in two
// browser contexts:
// - A (an approver) ticks a check and signs Phase 1 off; B (a viewer) sees the tick with who
//   made it, the record in the history and "Phase 1 → 2 approved by …" after a refresh, and
//   cannot submit or tick;
// - a sign-off drafted while the network is down is not lost: it survives a reload and is
//   submitted once the network is back;
// - someone signing while A's form is open is shown to A before A's record is sent;
// - `canary-report signoffs --json` lists the same records the page shows.
//
//   bash scripts/test.sh   (step "browser e2e")
//
// Without the stack's environment (CANARY_SUPABASE_URL and friends) this file FAILS.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchChromium } from './browser.mjs';

const SITE_URL = process.env.CANARY_SITE_URL;
const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const REPORT_BIN = process.env.CANARY_REPORT_BIN || path.join(REPO_ROOT, 'target', 'release', 'canary-report');
const TIMEOUT_MS = 60_000;

function env(name) {
  const value = process.env[name];
  assert.ok(value && value.trim(), `${name} is not set: run bash scripts/test.sh (this test needs the local Supabase stand-in)`);
  return value;
}

let stack;
let browser;
const ROLLOUT = `e2e rollout ${Date.now()}`;

/// One REST call to the stack as `token`.
async function rest(token, method, table, body) {
  const res = await fetch(`${stack.url}/rest/v1/${table}`, {
    method,
    headers: {
      apikey: stack.anon,
      Authorization: `Bearer ${token}`,
      'Content-Type': 'application/json',
      Prefer: 'return=representation',
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  assert.ok(res.ok, `${method} ${table}: ${res.status} ${text}`);
  return JSON.parse(text);
}

before(async () => {
  assert.ok(SITE_URL, 'CANARY_SITE_URL must be set to the URL of the served dist/ directory');
  stack = {
    url: env('CANARY_SUPABASE_URL'),
    anon: env('CANARY_SUPABASE_ANON_KEY'),
    oncall: env('CANARY_SUPABASE_USER_TOKEN'),
    lead: env('CANARY_SUPABASE_LEAD_TOKEN'),
    viewer: env('CANARY_SUPABASE_VIEWER_TOKEN'),
  };
  // The rollout, its Phase 1 started five hours ago (so the checklist has due checks).
  await rest(stack.oncall, 'POST', 'canary_rollouts', { name: ROLLOUT });
  const start = new Date(Date.now() - 5 * 3600_000).toISOString();
  await rest(stack.oncall, 'POST', 'canary_rollout_phases',
    { rollout: ROLLOUT, phase: 1, traffic_pct: 10, starts_at: start, planned_hours: 24 });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
});

/// A page of `context` connected to the stack with `token`, showing ROLLOUT's records.
async function open(context, token) {
  const page = await context.newPage();
  const pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.goto(`${SITE_URL}?range=24h`, { waitUntil: 'load' });
  await page.waitForSelector('[data-testid="success-metrics"]', { timeout: TIMEOUT_MS });
  await page.selectOption('[data-testid="source-select"]', 'supabase');
  await page.fill('[data-testid="supabase-url"]', stack.url);
  await page.fill('[data-testid="supabase-key"]', stack.anon);
  await page.$eval('details.advanced', (d) => { d.open = true; });
  await page.fill('[data-testid="supabase-token"]', token);
  await page.click('[data-testid="supabase-form"] button[type="submit"]');
  await page.waitForFunction(
    () => document.querySelector('[data-testid="source-label"]')?.textContent.startsWith('Supabase'),
    null,
    { timeout: TIMEOUT_MS },
  );
  await showRollout(page);
  return { page, pageErrors };
}

/// Names ROLLOUT in the report form (which picks the records shown) and opens the sign-off tab.
async function showRollout(page) {
  await page.click('[data-testid="report-tab-signoff"]');
  await page.fill('[data-testid="report-name"]', ROLLOUT);
  await page.waitForSelector('[data-testid="signoff-history"]', { timeout: TIMEOUT_MS });
}

async function historyIds(page) {
  return page.$$eval('[data-testid="signoff-record"]', (rows) => rows.map((r) => Number(r.dataset.id)));
}

test('A ticks and signs; B, a viewer, sees both after a refresh and cannot submit', async () => {
  const contextA = await browser.newContext();
  const contextB = await browser.newContext();
  try {
    const a = await open(contextA, stack.oncall);
    await a.page.waitForSelector('[data-testid="signoff-signer"]', { timeout: TIMEOUT_MS });
    assert.match(await a.page.textContent('[data-testid="signoff-signer"]'), /Signing as oncall@example\.com \(approver\)/);

    // A ticks the first due check with a note.
    const firstTick = a.page.locator('[data-testid="check-tick"]').first();
    await a.page.locator('[data-testid="check-note"]').first().fill('dashboards fine, checked by A');
    await a.page.locator('[data-testid="check-note"]').first().dispatchEvent('change');
    // The note is a record of its own (not ticked yet); then the tick, keeping the note.
    await a.page.waitForFunction(
      () => /Unticked by oncall@example\.com at/.test(document.querySelector('[data-testid="check-by"]')?.textContent ?? ''),
      null,
      { timeout: TIMEOUT_MS },
    );
    await firstTick.check();
    await a.page.waitForFunction(
      () => /Ticked by oncall@example\.com at/.test(document.querySelector('[data-testid="check-by"]')?.textContent ?? ''),
      null,
      { timeout: TIMEOUT_MS },
    );

    // A types a note on the second check and ticks it at once: the click records the note too.
    await a.page.locator('[data-testid="check-note"]').nth(1).fill('second check by A');
    await a.page.locator('[data-testid="check-tick"]').nth(1).check();
    await a.page.waitForFunction(
      () => /Ticked by oncall@example\.com at/.test(document.querySelectorAll('li.check-item')[1]?.textContent ?? ''),
      null,
      { timeout: TIMEOUT_MS },
    );

    // A signs: decision, notes, submit; the record comes back from the server.
    await a.page.selectOption('[data-testid="signoff-decision"]', 'approve');
    await a.page.fill('[data-testid="signoff-notes"]', 'Phase 1 looked fine to A');
    await a.page.click('[data-testid="signoff-submit"]');
    await a.page.waitForFunction(
      () => /Recorded sign-off #\d+: Phase 1 → 2 approved by oncall@example\.com at/.test(document.querySelector('.report-status')?.textContent ?? ''),
      null,
      { timeout: TIMEOUT_MS },
    );
    await a.page.waitForSelector('[data-testid="signoff-record"]', { timeout: TIMEOUT_MS });
    assert.equal(await a.page.inputValue('[data-testid="signoff-notes"]'), '', 'the draft goes once recorded');

    // B, a viewer, on another "machine": everything A did, read-only.
    const b = await open(contextB, stack.viewer);
    await b.page.reload({ waitUntil: 'load' });
    await b.page.waitForFunction(
      () => document.querySelector('[data-testid="source-label"]')?.textContent.startsWith('Supabase'),
      null,
      { timeout: TIMEOUT_MS },
    );
    await showRollout(b.page);
    await b.page.waitForSelector('[data-testid="signoff-record"]', { timeout: TIMEOUT_MS });
    assert.deepEqual(await historyIds(b.page), await historyIds(a.page));
    const record = await b.page.textContent('[data-testid="signoff-record"]');
    assert.match(record, /Phase 1 → 2 approved by oncall@example\.com at \d{4}-\d\d-\d\d \d\d:\d\d UTC/);
    assert.match(record, /## Approval Sign-off/, 'the record\'s Markdown is viewable');
    assert.match(record, /\*\*Decision:\*\* Approve the next phase/);
    assert.match(await b.page.textContent('[data-testid="phase-approval"]'), /^Phase 1 → 2 approved by oncall@example\.com at /);
    assert.match(await b.page.textContent('[data-testid="check-by"]'), /Ticked by oncall@example\.com at/);
    assert.equal(await b.page.inputValue('[data-testid="check-note"] >> nth=0'), 'dashboards fine, checked by A');
    assert.equal(await b.page.locator('[data-testid="check-tick"]').first().isChecked(), true);
    assert.equal(await b.page.inputValue('[data-testid="check-note"] >> nth=1'), 'second check by A');
    assert.equal(await b.page.locator('[data-testid="check-tick"]').nth(1).isChecked(), true);
    assert.equal(await b.page.locator('[data-testid="check-tick"]').first().isDisabled(), true, 'a viewer cannot tick');
    assert.match(await b.page.textContent('[data-testid="signoff-signer"]'), /viewer@example\.com, a viewer/);
    assert.equal(await b.page.isDisabled('[data-testid="signoff-submit"]'), true, 'a viewer cannot submit');
    assert.equal(await b.page.isDisabled('[data-testid="signoff-decision"]'), true, 'the form is read-only');
    assert.deepEqual(a.pageErrors, []);
    assert.deepEqual(b.pageErrors, []);
  } finally {
    await contextA.close();
    await contextB.close();
  }
});

test('a sign-off drafted while the network is down survives a reload and submits once back; a concurrent one is shown first', async () => {
  const context = await browser.newContext();
  try {
    const { page } = await open(context, stack.oncall);
    await page.waitForSelector('[data-testid="signoff-signer"]', { timeout: TIMEOUT_MS });
    // The rollout's records (the first test's sign-off), not those of the default rollout the
    // page starts with.
    await page.waitForSelector('[data-testid="signoff-record"]', { timeout: TIMEOUT_MS });
    const before = await historyIds(page);
    await page.selectOption('[data-testid="signoff-decision"]', 'hold');
    await page.fill('[data-testid="signoff-notes"]', 'drafted offline');
    await context.setOffline(true);
    await page.click('[data-testid="signoff-submit"]');
    await page.waitForFunction(
      () => /Not submitted: could not reach/.test(document.querySelector('.report-status')?.textContent ?? ''),
      null,
      { timeout: TIMEOUT_MS },
    );
    await context.setOffline(false);
    await page.reload({ waitUntil: 'load' });
    await page.waitForFunction(
      () => document.querySelector('[data-testid="source-label"]')?.textContent.startsWith('Supabase'),
      null,
      { timeout: TIMEOUT_MS },
    );
    await page.click('[data-testid="report-tab-signoff"]');
    await page.waitForSelector('[data-testid="signoff-history"]', { timeout: TIMEOUT_MS });
    assert.equal(await page.inputValue('[data-testid="signoff-notes"]'), 'drafted offline', 'the draft survived');
    assert.equal(await page.inputValue('[data-testid="signoff-decision"]'), 'hold');
    await page.waitForFunction((n) => document.querySelectorAll('[data-testid="signoff-record"]').length === n, before.length, { timeout: TIMEOUT_MS });
    assert.deepEqual(await historyIds(page), before, 'nothing was recorded while offline');

    // Meanwhile another approver signs through the API: A is told before A's record is sent.
    const markdown = '# Phase 1 sign-off by the lead\n';
    const sha = createHash('sha256').update(markdown, 'utf8').digest('hex');
    const [lead] = await rest(stack.lead, 'POST', 'canary_signoffs',
      { rollout: ROLLOUT, phase: 1, decision: 'approve', criteria: [], markdown, markdown_sha256: sha });
    await page.click('[data-testid="signoff-submit"]');
    await page.waitForSelector('[data-testid="signoff-warning"]', { timeout: TIMEOUT_MS });
    assert.match(await page.textContent('[data-testid="signoff-warning"]'), /Someone signed while this form was open: Phase 1 → 2 approved by lead@example\.com/);
    await page.waitForFunction((id) => [...document.querySelectorAll('[data-testid="signoff-record"]')].some((r) => Number(r.dataset.id) === id), lead.id, { timeout: TIMEOUT_MS });
    assert.equal(await page.inputValue('[data-testid="signoff-notes"]'), 'drafted offline', 'still not sent');

    // Submitted on purpose the second time.
    await page.click('[data-testid="signoff-submit"]');
    await page.waitForFunction(
      () => /Recorded sign-off #\d+: Phase 1 held by oncall@example\.com/.test(document.querySelector('.report-status')?.textContent ?? ''),
      null,
      { timeout: TIMEOUT_MS },
    );
    await page.waitForFunction((n) => document.querySelectorAll('[data-testid="signoff-record"]').length === n, before.length + 2, { timeout: TIMEOUT_MS });

    // The CLI lists the records the page shows.
    const out = execFileSync(REPORT_BIN, ['signoffs', '--supabase-url', stack.url, '--name', ROLLOUT, '--json'], {
      env: { ...process.env, SUPABASE_ANON_KEY: stack.anon, SUPABASE_ACCESS_TOKEN: stack.viewer,
        SUPABASE_EMAIL: '', SUPABASE_PASSWORD: '', SUPABASE_REFRESH_TOKEN_FILE: '' },
      encoding: 'utf8',
    });
    const cli = JSON.parse(out);
    const pageIds = (await historyIds(page)).sort((x, y) => x - y);
    assert.deepEqual(cli.map((r) => r.id), pageIds);
    const texts = await page.$$eval('[data-testid="signoff-record"] pre', (pres) => pres.map((p) => p.textContent));
    assert.deepEqual([...texts].sort(), cli.map((r) => r.markdown).sort(), 'the same Markdown');
    const held = cli.find((r) => r.decision === 'hold');
    assert.equal(held.approver_email, 'oncall@example.com');
    assert.equal(held.notes, 'drafted offline');
  } finally {
    await context.close();
  }
});
