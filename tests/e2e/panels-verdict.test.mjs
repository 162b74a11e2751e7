// Browser end-to-end test of the verdict panels of the built Canary Console page.
//
//   CANARY_SITE_URL=http://127.0.0.1:8000/ node --test tests/e2e/
//
// Debian's Chromium (/usr/bin/chromium, or CANARY_CHROMIUM) through playwright-core, on the demo
// data with ?range=phase: status banner, alerts timeline, canary vs control, the checklist
// (ticks and notes survive a reload, Markdown export), the Redis panel (a critical paste changes
// the banner) and the health panel (an unreachable port gives the network/CORS message, a
// CORS-enabled loopback server gives its JSON). The health server is a python3 http.server this
// test starts on another loopback port, serving a temporary directory: dist/ is never touched.
// Requests may go to the site and to loopback only; anything else is blocked and fails the test.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import net from 'node:net';
import { spawn } from 'node:child_process';
import { isSameOriginOrInline, launchChromium, saveScreenshot } from './browser.mjs';

const SITE_URL = process.env.CANARY_SITE_URL;
const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const SCREENSHOT = path.join(REPO_ROOT, 'target', 'e2e', 'panels-verdict.png');
const RENDER_TIMEOUT_MS = 30_000;
const PANELS = [
  'status-banner',
  'phase-panel',
  'alerts-timeline',
  'canary-vs-control',
  'phase-comparison',
  'checklist',
  'runbook',
  'redis-panel',
  'health-panel',
];
// A Redis INFO text at 85 % of maxmemory: critical (above 80 %), no evictions.
const REDIS_CRITICAL = '# Memory\r\nused_memory:850\r\nmaxmemory:1000\r\n# Stats\r\nevicted_keys:0\r\n';
// The tiny CORS-enabled server for the health check's success case.
const HEALTH_SERVER = `
import http.server, sys
class H(http.server.SimpleHTTPRequestHandler):
    def end_headers(self):
        self.send_header('Access-Control-Allow-Origin', '*')
        self.send_header('Cache-Control', 'no-store')
        super().end_headers()
    def log_message(self, *args):
        pass
s = http.server.ThreadingHTTPServer(('127.0.0.1', 0), lambda *a, **k: H(*a, directory=sys.argv[1], **k))
print(s.server_address[1], flush=True)
s.serve_forever()
`;

let browser;
let context;
let page;
let origin;
let url;
let healthDir;
let healthServer;
let healthPort;
let deadPort;
const problems = []; // console errors, page errors, failed requests
const offSite = []; // requests that left the site and loopback (all aborted)
const expectedFailures = new Set(); // URLs this test makes fail on purpose

function isLoopback(u) {
  try {
    const { hostname } = new URL(u);
    return hostname === '127.0.0.1' || hostname === 'localhost' || hostname === '[::1]';
  } catch {
    return false;
  }
}

function isAllowed(u) {
  return isSameOriginOrInline(u, origin) || isLoopback(u);
}

/** A loopback port nothing listens on (bound, then released). */
async function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

async function startHealthServer(dir) {
  const child = spawn('python3', ['-c', HEALTH_SERVER, dir], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const line = out.split('\n')[0];
      if (out.includes('\n')) resolve(Number(line));
    });
    child.on('error', reject);
    child.on('exit', (code) => reject(new Error(`health server exited with ${code}`)));
  });
  return { child, port };
}

function clean(text) {
  return (text ?? '').replace(/\s+/gu, ' ').trim();
}

async function panelText(id) {
  return clean(await page.locator(`[data-testid="${id}"]`).first().innerText());
}

async function waitForDashboard() {
  await page
    .locator('[data-testid="status-banner"] [data-testid="status-word"]')
    .first()
    .waitFor({ state: 'visible', timeout: RENDER_TIMEOUT_MS });
  await page.locator('[data-testid="checklist"] [data-testid="check-tick"]').first().waitFor({ timeout: RENDER_TIMEOUT_MS });
}

before(async () => {
  assert.ok(SITE_URL, 'CANARY_SITE_URL must be set to the URL of the served dist/ directory');
  const site = new URL(SITE_URL);
  origin = site.origin;
  site.searchParams.set('range', 'phase');
  url = site.toString();

  healthDir = await mkdtemp(path.join(tmpdir(), 'canary-health-'));
  await writeFile(
    path.join(healthDir, 'health.json'),
    JSON.stringify({ status: 'ok', checks: { redis: 'ok', mem0: 'degraded <b>not html</b>' } }),
  );
  await writeFile(path.join(healthDir, 'not-json.txt'), 'OK\n');
  ({ child: healthServer, port: healthPort } = await startHealthServer(healthDir));
  deadPort = await freePort();

  browser = await launchChromium();
  context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  await context.route('**/*', (route) => {
    const u = route.request().url();
    if (isAllowed(u)) return route.continue();
    offSite.push(u);
    return route.abort('blockedbyclient');
  });
  page = await context.newPage();
  const expected = (text) => [...expectedFailures].some((u) => text.includes(u) || text.includes(`:${deadPort}`));
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    const loc = msg.location();
    const text = `${msg.text()}${loc && loc.url ? ` (${loc.url}:${loc.lineNumber})` : ''}`;
    // The refused connection of the unreachable-port check is logged by Chromium on purpose.
    if (!expected(text)) problems.push(`console error: ${text}`);
  });
  page.on('pageerror', (err) => problems.push(`page error: ${err.stack || err.message || err}`));
  page.on('requestfailed', (req) => {
    if (!expectedFailures.has(req.url())) {
      problems.push(`request failed: ${req.method()} ${req.url()}: ${req.failure()?.errorText}`);
    }
  });
  page.on('response', (res) => {
    if (res.status() >= 400) problems.push(`HTTP ${res.status()}: ${res.request().method()} ${res.url()}`);
  });
  const response = await page.goto(url, { waitUntil: 'load' });
  assert.ok(response?.ok(), `${url} answered HTTP ${response?.status()}`);
  await waitForDashboard();
});

after(async () => {
  if (page) await saveScreenshot(page, SCREENSHOT);
  await context?.close();
  await browser?.close();
  healthServer?.kill();
  if (healthDir) await rm(healthDir, { recursive: true, force: true });
});

test('every verdict panel has a heading and no NaN or undefined', async () => {
  for (const id of PANELS) {
    const panel = page.locator(`[data-testid="${id}"]`);
    assert.equal(await panel.count(), 1, `expected one ${id} panel`);
    assert.ok((await panel.locator('h2').count()) >= 1, `${id} has no heading`);
    const text = await panelText(id);
    assert.ok(text.length > 20, `${id} looks blank: ${JSON.stringify(text)}`);
    assert.ok(!/\bNaN\b/u.test(text), `${id} shows NaN: ${text}`);
    assert.ok(!/\bundefined\b/u.test(text), `${id} shows "undefined": ${text}`);
  }
});

test('the status banner shows one of the guide\'s status words and is a live region', async () => {
  const banner = page.locator('[data-testid="status-banner"]');
  const word = clean(await banner.locator('[data-testid="status-word"]').innerText());
  assert.match(word, /On Track|Issues Detected|Rollback Required/u);
  assert.equal(await banner.getAttribute('role'), 'status');
  assert.ok(await banner.getAttribute('aria-live'));
  const escalation = clean(await banner.locator('[data-testid="escalation"]').innerText());
  assert.ok(escalation.length > 10, `no escalation instruction: ${escalation}`);
  // The demo's day had an emergency that has since resolved.
  const worst = clean(await banner.locator('[data-testid="worst-in-window"]').innerText());
  assert.match(worst, /Rollback Required/u);
});

test('the alerts timeline lists the demo\'s alerts, the error-rate emergency among them', async () => {
  const timeline = page.locator('[data-testid="alerts-timeline"]');
  const rows = timeline.locator('table.alerts-table tbody tr');
  assert.ok((await rows.count()) >= 5, `expected the demo's alerts, got ${await rows.count()} rows`);
  const emergency = timeline.locator('table.alerts-table tr[data-metric="error_rate"][data-level="emergency"]');
  assert.equal(await emergency.count(), 1, 'no error_rate emergency row');
  const cells = clean(await emergency.innerText());
  assert.match(cells, /emergency/u);
  assert.match(cells, /Error rate/u);
  assert.match(cells, /\d+\.\d+ %/u, `no worst value with unit: ${cells}`);
  // Newest first.
  const since = await rows.evaluateAll((trs) => trs.map((tr) => tr.querySelectorAll('td')[2]?.textContent ?? ''));
  const sorted = [...since].sort().reverse();
  assert.deepEqual(since, sorted, 'alerts are not newest first');
  // Each rule's state now.
  const states = clean(await timeline.locator('table.rules-table').innerText());
  assert.match(states, /Normal|Pending|Firing|NoData/u);
});

test('canary vs control shows both cohorts and a verdict', async () => {
  const panel = page.locator('[data-testid="canary-vs-control"]');
  const head = clean(await panel.locator('table.cohort-table thead').innerText());
  assert.match(head, /Canary/u);
  assert.match(head, /Control/u);
  const verdict = clean(await panel.locator('[data-testid="cohort-verdict"]').innerText());
  assert.match(verdict, /Canary faster|Canary slower|No significant difference|Not enough data/u);
  const text = await panelText('canary-vs-control');
  assert.match(text, /\d+\.\d ms/u);
  assert.match(text, /Hodges–Lehmann/u);
  // The demo's canary is faster than control: the cohort rules make no call against it.
  const call = clean(await panel.locator('[data-testid="cohort-call"]').innerText());
  assert.match(call, /Canary not worse than control/u);
});

test('checklist ticks and notes survive a reload, and the export has the tick', async () => {
  const checklist = page.locator('[data-testid="checklist"]');
  const firstTick = checklist.locator('[data-testid="check-tick"]').first();
  const firstNote = checklist.locator('[data-testid="check-note"]').first();
  const note = 'Checked by e2e | <b>not bold</b> `x`';
  await firstTick.check();
  await firstNote.fill(note);
  await page.reload({ waitUntil: 'load' });
  await waitForDashboard();
  assert.equal(await checklist.locator('[data-testid="check-tick"]').first().isChecked(), true, 'the tick was lost');
  assert.equal(await checklist.locator('[data-testid="check-note"]').first().inputValue(), note, 'the note was lost');

  const [download] = await Promise.all([
    page.waitForEvent('download', { timeout: RENDER_TIMEOUT_MS }),
    checklist.locator('[data-testid="checklist-export"]').click(),
  ]);
  assert.match(download.suggestedFilename(), /\.md$/u);
  const md = await readFile(await download.path(), 'utf8');
  assert.ok(md.includes('- [x]'), `the export has no ticked item:\n${md}`);
  assert.ok(md.includes('- [ ]'), 'the export has no open item');
  assert.ok(md.includes('Checked by e2e \\| &lt;b&gt;not bold&lt;/b&gt; \\`x\\`'), `the note is not escaped:\n${md}`);
});

test('a critical Redis INFO paste shows "critical" and changes the status banner', async () => {
  const word = page.locator('[data-testid="status-banner"] [data-testid="status-word"]');
  const before = clean(await word.innerText());
  assert.match(before, /On Track/u, 'the demo ends with nothing firing');
  const redis = page.locator('[data-testid="redis-panel"]');
  await redis.locator('[data-testid="redis-input"]').fill(REDIS_CRITICAL);
  await redis.locator('[data-testid="redis-level"]').waitFor({ timeout: RENDER_TIMEOUT_MS });
  assert.match(await panelText('redis-panel'), /critical/u);
  assert.match(await panelText('redis-panel'), /85\.00 %/u);
  await page.waitForFunction(
    () => !/On Track/u.test(document.querySelector('[data-testid="status-word"]')?.textContent ?? ''),
    null,
    { timeout: RENDER_TIMEOUT_MS },
  );
  assert.match(clean(await word.innerText()), /Issues Detected/u);
  assert.match(await panelText('status-banner'), /Redis memory/u);
  assert.match(await panelText('runbook'), /Redis OOM runbook/u);

  // A broken paste names its line, verbatim.
  await redis.locator('[data-testid="redis-input"]').fill('used_memory 12');
  const error = redis.locator('[data-testid="redis-error"]');
  await error.waitFor({ timeout: RENDER_TIMEOUT_MS });
  assert.match(clean(await error.innerText()), /line 1: expected key:value/u);
  await redis.getByRole('button', { name: 'Clear' }).click();
  await page.waitForFunction(
    () => /On Track/u.test(document.querySelector('[data-testid="status-word"]')?.textContent ?? ''),
    null,
    { timeout: RENDER_TIMEOUT_MS },
  );
});

test('the health panel explains an unreachable server and shows a reachable one\'s JSON', async () => {
  const panel = page.locator('[data-testid="health-panel"]');
  const input = panel.locator('[data-testid="health-url"]');
  const button = panel.locator('[data-testid="health-check"]');
  assert.ok(clean(await panel.innerText()).includes('Nothing is fetched until you do'), 'the panel fetched on its own');

  await input.fill('not a url');
  await button.click();
  await panel.locator('[data-testid="health-error"]').waitFor({ timeout: RENDER_TIMEOUT_MS });
  assert.match(clean(await panel.locator('[data-testid="health-error"]').innerText()), /not a usable URL/u);

  const dead = `http://127.0.0.1:${deadPort}/health`;
  expectedFailures.add(dead);
  await input.fill(dead);
  await button.click();
  await page.waitForFunction(
    () => /failed before any answer/u.test(document.querySelector('[data-testid="health-error"]')?.textContent ?? ''),
    null,
    { timeout: RENDER_TIMEOUT_MS },
  );
  assert.match(
    clean(await panel.locator('[data-testid="health-error"]').innerText()),
    /the request failed before any answer: the server is unreachable, or it does not allow this page's origin \(CORS\)/u,
  );

  await input.fill(`http://127.0.0.1:${healthPort}/not-json.txt`);
  await button.click();
  await page.waitForFunction(
    () => /not with JSON/u.test(document.querySelector('[data-testid="health-error"]')?.textContent ?? ''),
    null,
    { timeout: RENDER_TIMEOUT_MS },
  );

  await input.fill(`http://127.0.0.1:${healthPort}/health.json`);
  await button.click();
  const json = panel.locator('[data-testid="health-json"]');
  await json.waitFor({ timeout: RENDER_TIMEOUT_MS });
  const shown = await json.innerText();
  assert.deepEqual(JSON.parse(shown).checks.mem0, 'degraded <b>not html</b>');
  assert.ok(shown.includes('\n  '), 'the JSON is not pretty-printed');
  assert.equal(await json.locator('b').count(), 0, 'text from the server became HTML');
  assert.match(clean(await panel.locator('[data-testid="health-ok"]').innerText()), /HTTP 200 in \d+ ms/u);
});

test('the page made no unexpected request and reported no error', async () => {
  await page.waitForLoadState('networkidle', { timeout: RENDER_TIMEOUT_MS }).catch(() => {});
  assert.deepEqual(offSite, [], `requests left the site and loopback:\n${offSite.join('\n')}`);
  assert.deepEqual(problems, [], `the page reported problems:\n${problems.join('\n')}`);
});
