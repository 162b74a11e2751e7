// Browser end-to-end test of the built Canary Console page.
//
//   CANARY_SITE_URL=http://127.0.0.1:8000/ node --test tests/e2e/
//
// Drives Debian's Chromium (/usr/bin/chromium, or CANARY_CHROMIUM) through playwright-core: no
// browser is downloaded. The page must load with no console error, no page error, no failed or
// HTTP-error request and no request to any other origin, then show the success-metrics table and
// the latency chart. A full-page screenshot is written to target/e2e/page.png.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { launchChromium, openGuardedPage, saveScreenshot } from './browser.mjs';
import { assertShowsCliNumbers, clean } from './page-checks.mjs';
import { execFileSync } from 'node:child_process';

const SITE_URL = process.env.CANARY_SITE_URL;
const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const SCREENSHOT = path.join(REPO_ROOT, 'target', 'e2e', 'page.png');
// The native CLI, built by the test command before this runs: the page must show its numbers.
const REPORT_BIN = process.env.CANARY_REPORT_BIN || path.join(REPO_ROOT, 'target', 'release', 'canary-report');
// The app renders after the WASM has been fetched, compiled and run.
const RENDER_TIMEOUT_MS = 30_000;
// Minimum number of data points of a chart line (one per time bucket of the demo data).
const MIN_POINTS_PER_LINE = 10;

// A measured value: a number with an optional unit ("123.4 ms", "98.76 %", "0", "1.2 s",
// "3 keys"), optionally after a comparison sign, or a breaker state word; either may be
// followed by a note in parentheses ("closed (3 transitions)"), which is not checked.
const TRAILING_NOTE = /\s*\([^()]*\)$/u;
const NUMBER_WITH_UNIT = /^[<>≤≥≈~]?\s*[-+]?\d[\d,]*(\.\d+)?\s*(%|[A-Za-zµ/]+(\s[A-Za-z]+)?)?$/u;
const STATE_WORD = /^(closed|open|half[_ -]?open|none)$/i;

let browser;
let context;
let page;
let origin;
let problems; // console errors, page errors, failed requests
let offOrigin; // requests to any other origin (all aborted)

before(async () => {
  assert.ok(SITE_URL, 'CANARY_SITE_URL must be set to the URL of the served dist/ directory');
  origin = new URL(SITE_URL).origin;
  browser = await launchChromium();
  ({ context, page, problems, offOrigin } = await openGuardedPage(browser, origin));
  const response = await page.goto(SITE_URL, { waitUntil: 'load' });
  assert.ok(response, `no response for ${SITE_URL}`);
  assert.ok(response.ok(), `${SITE_URL} answered HTTP ${response.status()}`);
});

after(async () => {
  if (page) await saveScreenshot(page, SCREENSHOT);
  await context?.close();
  await browser?.close();
});


test('the success-metrics table shows a measured value for every criterion', async () => {
  const table = page.locator('[data-testid="success-metrics"]');
  await table.first().waitFor({ state: 'visible', timeout: RENDER_TIMEOUT_MS });
  // Rendered asynchronously: wait until the table has its rows.
  await page.waitForFunction(
    () => {
      const t = document.querySelector('[data-testid="success-metrics"]');
      return t && [...t.querySelectorAll('tr')].filter((tr) => tr.querySelector('td')).length >= 6;
    },
    null,
    { timeout: RENDER_TIMEOUT_MS },
  );
  const { headers, rows } = await table.first().evaluate((t) => {
    const cellsOf = (tr) => [...tr.children].filter((c) => c.tagName === 'TD' || c.tagName === 'TH');
    const trs = [...t.querySelectorAll('tr')];
    const headerRow = trs.find((tr) => !tr.querySelector('td'));
    return {
      headers: headerRow ? cellsOf(headerRow).map((c) => c.textContent) : [],
      rows: trs.filter((tr) => tr.querySelector('td')).map((tr) => cellsOf(tr).map((c) => c.textContent)),
    };
  });
  const names = headers.map((h) => clean(h).toLowerCase());
  for (const want of ['metric', 'target', 'alert threshold', 'measured', 'status']) {
    assert.ok(
      names.some((n) => n.startsWith(want)),
      `success-metrics header lacks "${want}": got ${JSON.stringify(headers.map(clean))}`,
    );
  }
  const measuredAt = names.findIndex((n) => n.startsWith('measured'));
  assert.ok(rows.length >= 6, `expected at least 6 criteria rows, got ${rows.length}`);
  for (const row of rows) {
    const cells = row.map(clean);
    const label = cells[0] || '(unnamed row)';
    assert.equal(cells.length, headers.length, `row "${label}" has ${cells.length} cells, header has ${headers.length}`);
    for (const cell of cells) {
      assert.ok(!/\bNaN\b/u.test(cell), `row "${label}" shows NaN: ${JSON.stringify(cells)}`);
      assert.ok(!/\bundefined\b/u.test(cell), `row "${label}" shows "undefined": ${JSON.stringify(cells)}`);
    }
    const measured = cells[measuredAt];
    assert.ok(measured, `row "${label}" has an empty Measured cell`);
    const value = measured.replace(TRAILING_NOTE, '');
    assert.ok(
      NUMBER_WITH_UNIT.test(value) || STATE_WORD.test(value),
      `row "${label}": Measured "${measured}" is neither a number with a unit nor a state word`,
    );
  }
});

test('the latency chart draws its lines with many points', async () => {
  const svg = page.locator('[data-testid="latency-chart"] svg');
  await svg.first().waitFor({ state: 'attached', timeout: RENDER_TIMEOUT_MS });
  const lines = await svg.first().evaluate((root) =>
    [...root.querySelectorAll('polyline, path')].map((el) => ({
      tag: el.tagName.toLowerCase(),
      data: el.getAttribute(el.tagName.toLowerCase() === 'polyline' ? 'points' : 'd') || '',
    })),
  );
  const pointsOf = ({ tag, data }) => {
    const numbers = data.match(/-?\d*\.?\d+(e[-+]?\d+)?/giu) || [];
    // polyline: x,y pairs; path: about two numbers per vertex of its commands.
    return tag === 'polyline' || tag === 'path' ? Math.floor(numbers.length / 2) : 0;
  };
  const dense = lines.filter((l) => pointsOf(l) >= MIN_POINTS_PER_LINE);
  assert.ok(
    dense.length >= 3,
    `expected at least 3 polyline/path elements with >= ${MIN_POINTS_PER_LINE} points in the latency chart, ` +
      `got ${dense.length} (of ${lines.length}: point counts ${JSON.stringify(lines.map(pointsOf))})`,
  );
});

test('the page loaded without errors and without leaving its origin', async () => {
  // Let late requests and errors surface before judging.
  await page.waitForLoadState('networkidle', { timeout: RENDER_TIMEOUT_MS }).catch(() => {});
  assert.deepEqual(offOrigin, [], `requests to other origins were attempted (and blocked):\n${offOrigin.join('\n')}`);
  assert.deepEqual(problems, [], `the page reported problems:\n${problems.join('\n')}`);
});

test('the page shows the same demo numbers as the native canary-report', async () => {
  const json = JSON.parse(execFileSync(REPORT_BIN, ['metrics', '--demo', '--json'], { encoding: 'utf8' }));
  await assertShowsCliNumbers(page, json);
});
