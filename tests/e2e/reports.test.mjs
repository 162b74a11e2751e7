// Reports in the browser: the page's daily email equals `canary-report email --demo` byte for
// byte, downloads work, "Copy for email" puts HTML and plain text on the clipboard, the Grafana
// dashboard equals the CLI's, and the sign-off draft survives a reload and can be cleared.
//
//   CANARY_SITE_URL=http://127.0.0.1:8000/ CANARY_REPORT_BIN=target/release/canary-report node --test tests/e2e/
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { launchChromium } from './browser.mjs';

const SITE_URL = process.env.CANARY_SITE_URL;
const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const REPORT_BIN = process.env.CANARY_REPORT_BIN || path.join(REPO_ROOT, 'target', 'release', 'canary-report');

let browser;
let context;
let page;
const problems = [];

before(async () => {
  assert.ok(SITE_URL, 'CANARY_SITE_URL must be set to the URL of the served dist/ directory');
  browser = await launchChromium();
  context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  const origin = new URL(SITE_URL).origin;
  await context.route('**/*', (route) => {
    const url = route.request().url();
    return url.startsWith(origin) || url.startsWith('data:') || url.startsWith('blob:')
      ? route.continue()
      : route.abort('blockedbyclient');
  });
  page = await context.newPage();
  page.on('console', (msg) => { if (msg.type() === 'error') problems.push(`console error: ${msg.text()}`); });
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  await page.goto(`${SITE_URL}?source=demo&range=phase`);
  await page.waitForSelector('[data-testid="report-preview"]', { timeout: 60_000 });
});

after(async () => {
  await context?.close();
  await browser?.close();
});

async function markdown() {
  return page.$eval('[data-testid="report-markdown"]', (el) => el.textContent);
}

test('the daily email equals the CLI output for the same data', async () => {
  await page.click('[data-testid="report-tab-email"]');
  const fromPage = await markdown();
  const fromCli = execFileSync(REPORT_BIN, ['email', '--demo'], { encoding: 'utf8' });
  assert.ok(fromPage.startsWith('Subject: [CANARY] Day 1/3 - mem0-redis Phase 1 Status'), fromPage.slice(0, 200));
  assert.equal(fromPage, fromCli);
  // The preview renders the tables, and nothing raw.
  const tables = await page.$$eval('[data-testid="report-preview"] table', (t) => t.length);
  assert.ok(tables >= 2, `expected rendered tables in the preview, got ${tables}`);
});

test('Download .md saves the same Markdown', async () => {
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.click('[data-testid="report-download"]'),
  ]);
  assert.match(download.suggestedFilename(), /^canary-status-phase-1\.md$/);
  const saved = await readFile(await download.path(), 'utf8');
  assert.equal(saved, await markdown());
});

test('Copy for email puts the rendered report on the clipboard as HTML and plain text', async () => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(SITE_URL).origin });
  await page.click('[data-testid="report-tab-email"]');
  await page.click('[data-testid="report-copy-email"]');
  await page.waitForFunction(() => /Copied the report for email/.test(document.querySelector('.report-status')?.textContent ?? ''));
  const copied = await page.evaluate(async () => {
    const [item] = await navigator.clipboard.read();
    const text = async (type) => (await item.getType(type)).text();
    return { types: [...item.types].sort(), html: await text('text/html'), plain: await text('text/plain') };
  });
  assert.deepEqual(copied.types, ['text/html', 'text/plain']);
  const md = await markdown();
  // The body of the email: the Markdown without its Subject line (a mail has its own subject).
  assert.equal(copied.plain, md.slice(md.indexOf('\n\n') + 2));
  assert.match(copied.html, /<table style="[^"]*border:1px solid/);
  assert.doesNotMatch(copied.html, /<script|<img|<link|<style|src=/i);
  // The same text as the preview shows.
  const previewText = await page.$eval('[data-testid="report-preview"]', (el) => el.textContent.replace(/\s+/g, ' ').trim());
  const copiedText = await page.evaluate((html) => {
    const div = document.createElement('div');
    div.innerHTML = html;
    return div.textContent.replace(/\s+/g, ' ').trim();
  }, copied.html);
  assert.ok(previewText.endsWith(copiedText), `${copiedText.slice(0, 200)} …`);
});

test('the Grafana dashboard download equals `canary-report grafana`', async () => {
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.click('[data-testid="grafana-download"]'),
  ]);
  assert.equal(download.suggestedFilename(), 'canary-grafana-dashboard.json');
  const saved = await readFile(await download.path(), 'utf8');
  const fromCli = execFileSync(REPORT_BIN, ['grafana'], { encoding: 'utf8' });
  assert.equal(saved, fromCli);
  const dashboard = JSON.parse(saved);
  assert.equal(dashboard.__inputs[0].pluginId, 'postgres');
  assert.equal(dashboard.panels.length, 5);
});

test('the sign-off draft survives a reload and is cleared on purpose', async () => {
  await page.click('[data-testid="report-tab-signoff"]');
  await page.fill('[data-testid="signoff-approved-by"]', 'Dana Lead');
  await page.fill('[data-testid="signoff-notes"]', 'Watch | the <cache> *closely*');
  await page.selectOption('[data-testid="override-add"]', 'circuit_breaker');
  // An override without a reason is refused with a clear message.
  await page.waitForSelector('[data-testid="report-error"]');
  assert.match(await page.textContent('[data-testid="report-error"]'), /has no reason/);
  await page.fill('.override-row input[type="text"]', 'breaker opened during a planned mem0 failover');
  await page.waitForSelector('[data-testid="report-markdown"]', { state: 'attached' });
  const before = await markdown();
  assert.match(before, /Dana Lead/);
  assert.match(before, /planned mem0 failover/);
  // Text from people is escaped: it cannot break a table or inject HTML.
  assert.ok(!before.includes('<cache>'), 'notes must be escaped');

  await page.reload();
  await page.waitForSelector('[data-testid="report-tab-signoff"]', { timeout: 60_000 });
  await page.click('[data-testid="report-tab-signoff"]');
  assert.equal(await page.inputValue('[data-testid="signoff-approved-by"]'), 'Dana Lead');
  assert.equal(await page.inputValue('[data-testid="signoff-notes"]'), 'Watch | the <cache> *closely*');
  assert.equal(await markdown(), before);

  await page.click('[data-testid="signoff-clear"]');
  assert.equal(await page.inputValue('[data-testid="signoff-approved-by"]'), '');
  await page.reload();
  await page.waitForSelector('[data-testid="report-tab-signoff"]', { timeout: 60_000 });
  await page.click('[data-testid="report-tab-signoff"]');
  assert.equal(await page.inputValue('[data-testid="signoff-approved-by"]'), '');
});

test('no page errors', () => {
  assert.deepEqual(problems, []);
});
