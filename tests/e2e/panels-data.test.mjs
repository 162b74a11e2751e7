// Browser end-to-end test of the data panels on the demo day ("This phase"): the four charts,
// the endpoint table, errors, cache, mem0 and the circuit breaker.
//
//   CANARY_SITE_URL=http://127.0.0.1:8000/ node --test tests/e2e/
//
// Same set-up as page.test.mjs: Debian's Chromium (/usr/bin/chromium, or CANARY_CHROMIUM)
// through playwright-core, every request off the site's origin blocked, and no console error,
// page error or failed request allowed. A full-page screenshot is written to
// target/e2e/panels-data.png.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { launchChromium, openGuardedPage, saveScreenshot } from './browser.mjs';
import { clean } from './page-checks.mjs';

const SITE_URL = process.env.CANARY_SITE_URL;
const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const SCREENSHOT = path.join(REPO_ROOT, 'target', 'e2e', 'panels-data.png');
const RENDER_TIMEOUT_MS = 30_000;
// A chart line of the demo day has one point per minute; require a good many.
const MIN_POINTS_PER_LINE = 10;
// Alert shading colours of src/charts/mod.rs (warning, critical, emergency), as plotters writes them.
const SHADE_FILLS = ['#D98E04', '#D1242F', '#7A0B16'];
// Shading spans the plot's height; the legend's swatches of the same colours are 12 px high.
const MIN_SHADE_HEIGHT = 60;

const PANELS = [
  'latency-chart',
  'error-chart',
  'cache-chart',
  'mem0-chart',
  'endpoint-table',
  'error-breakdown',
  'cache-panel',
  'mem0-panel',
  'breaker-panel',
];
const CHARTS = ['latency-chart', 'error-chart', 'cache-chart', 'mem0-chart'];

let browser;
let context;
let page;
let origin;
let problems;
let offOrigin;

before(async () => {
  assert.ok(SITE_URL, 'CANARY_SITE_URL must be set to the URL of the served dist/ directory');
  origin = new URL(SITE_URL).origin;
  browser = await launchChromium();
  ({ context, page, problems, offOrigin } = await openGuardedPage(browser, origin));
  // The whole demo day: the "This phase" range.
  const url = new URL(SITE_URL);
  url.searchParams.set('range', 'phase');
  const response = await page.goto(url.href, { waitUntil: 'load' });
  assert.ok(response, `no response for ${url.href}`);
  assert.ok(response.ok(), `${url.href} answered HTTP ${response.status()}`);
  await page
    .locator('[data-testid="breaker-panel"] [data-testid="breaker-state"]')
    .first()
    .waitFor({ state: 'visible', timeout: RENDER_TIMEOUT_MS });
});

after(async () => {
  if (page) await saveScreenshot(page, SCREENSHOT);
  await context?.close();
  await browser?.close();
});


function panel(id) {
  return page.locator(`[data-testid="${id}"]`).first();
}

test('the range is the whole demo day', async () => {
  const value = await page.locator('[data-testid="range-select"]').inputValue();
  assert.equal(value, 'phase');
});

test('every data panel has a heading and text, and none shows NaN or undefined', async () => {
  for (const id of PANELS) {
    const section = panel(id);
    await section.waitFor({ state: 'visible', timeout: RENDER_TIMEOUT_MS });
    const { tag, heading, text } = await section.evaluate((el) => ({
      tag: el.tagName.toLowerCase(),
      heading: el.querySelector('h2')?.textContent ?? '',
      text: el.innerText,
    }));
    assert.equal(tag, 'section', `${id} is not a <section>`);
    assert.ok(clean(heading), `${id} has no heading`);
    assert.ok(clean(text).length > clean(heading).length, `${id} shows nothing but its heading`);
    assert.ok(!/\bNaN\b/u.test(text), `${id} shows NaN: ${clean(text)}`);
    assert.ok(!/\bundefined\b/u.test(text), `${id} shows "undefined": ${clean(text)}`);
    assert.ok(!/\bInfinity\b/u.test(text), `${id} shows Infinity: ${clean(text)}`);
  }
});

test('each chart draws its lines and shades at least one alert period of the demo day', async () => {
  for (const id of CHARTS) {
    const svg = panel(id).locator('svg').first();
    await svg.waitFor({ state: 'attached', timeout: RENDER_TIMEOUT_MS });
    const { pointCounts, shades } = await svg.evaluate(
      (root, { fills, minHeight }) => ({
        pointCounts: [...root.querySelectorAll('polyline')].map(
          (el) => (el.getAttribute('points') || '').trim().split(/\s+/u).filter(Boolean).length,
        ),
        shades: [...root.querySelectorAll('rect')].filter((el) => {
          const fill = (el.getAttribute('fill') || '').toUpperCase();
          const opacity = Number.parseFloat(el.getAttribute('opacity') ?? '1');
          const height = Number.parseFloat(el.getAttribute('height') ?? '0');
          return fills.includes(fill) && opacity > 0 && opacity < 1 && height >= minHeight;
        }).length,
      }),
      { fills: SHADE_FILLS, minHeight: MIN_SHADE_HEIGHT },
    );
    const dense = pointCounts.filter((n) => n >= MIN_POINTS_PER_LINE).length;
    assert.ok(dense >= 1, `${id}: no line with >= ${MIN_POINTS_PER_LINE} points (counts ${JSON.stringify(pointCounts)})`);
    assert.ok(shades >= 1, `${id}: no shaded alert period on the demo day`);
    // The shaded periods are also listed in words under the chart.
    const periods = await panel(id).locator('.chart-periods li').allInnerTexts();
    assert.ok(periods.length >= 1 && periods.every((p) => / UTC/u.test(p)), `${id}: periods ${JSON.stringify(periods)}`);
  }
  // The latency chart keeps its three percentile lines and draws the breaker band.
  const latency = await panel('latency-chart').locator('svg').first().evaluate((root) => ({
    dense: [...root.querySelectorAll('polyline')].filter(
      (el) => (el.getAttribute('points') || '').trim().split(/\s+/u).length >= 10,
    ).length,
    band: [...root.querySelectorAll('rect')].filter(
      (el) => ['#2DA44E', '#C91D2A'].includes((el.getAttribute('fill') || '').toUpperCase()),
    ).length,
    text: root.textContent,
  }));
  assert.ok(latency.dense >= 3, `latency chart: ${latency.dense} dense lines`);
  assert.ok(latency.band >= 3, 'latency chart: no breaker band (closed and open blocks)');
  assert.match(latency.text, /Breaker/u);
});

test('the endpoint table sorts by any column header, with aria-sort', async () => {
  const table = panel('endpoint-table');
  const column = async (index) =>
    table.locator('tbody tr').evaluateAll(
      (rows, i) => rows.map((r) => r.children[i].textContent.trim()),
      index,
    );
  const numbers = (cells) => cells.map((c) => Number.parseFloat(c));
  const requests = numbers(await column(1));
  assert.ok(requests.length >= 3, `expected endpoint rows, got ${requests.length}`);
  assert.deepEqual(requests, [...requests].sort((a, b) => b - a), 'starts sorted by requests, most first');
  assert.equal(await table.locator('th', { hasText: 'Requests' }).getAttribute('aria-sort'), 'descending');

  const p95 = table.locator('th button', { hasText: 'P95' });
  await p95.click();
  let values = numbers(await column(3));
  assert.deepEqual(values, [...values].sort((a, b) => b - a), `P95 descending after one click: ${values}`);
  assert.equal(await table.locator('th', { hasText: 'P95' }).getAttribute('aria-sort'), 'descending');
  assert.equal(await table.locator('th', { hasText: 'Requests' }).getAttribute('aria-sort'), 'none');

  // The keyboard works too: the header is a button.
  await p95.focus();
  await page.keyboard.press('Enter');
  values = numbers(await column(3));
  assert.deepEqual(values, [...values].sort((a, b) => a - b), `P95 ascending after a second press: ${values}`);
  assert.equal(await table.locator('th', { hasText: 'P95' }).getAttribute('aria-sort'), 'ascending');

  await table.locator('th button', { hasText: 'Endpoint' }).click();
  const names = await column(0);
  assert.deepEqual(names, [...names].sort(), `endpoints A to Z: ${names}`);
  // Every latency cell carries its unit.
  for (const cell of [...(await column(2)), ...(await column(3)), ...(await column(4))]) {
    assert.match(cell, /^\d+(\.\d+)? ms$|^no data$/u);
  }
});

test('the error breakdown shows the rate and the failures by type and message', async () => {
  const section = panel('error-breakdown');
  const text = clean(await section.innerText());
  assert.match(text, /Error rate \d+\.\d\d %/u);
  assert.match(text, /Last 1000 requests \d+\.\d\d %/u);
  const rows = await section.locator('tbody tr').count();
  assert.ok(rows >= 3, `expected error groups, got ${rows}`);
  assert.match(text, /TimeoutError/u);
});

test('the cache panel shows the stampede on clinic:12:availability with 40 misses', async () => {
  const section = panel('cache-panel');
  assert.match(clean(await section.innerText()), /Hit rate \d+\.\d\d %/u);
  const byPrefix = await section.locator('table tbody tr').count();
  assert.ok(byPrefix >= 3, `expected resource types, got ${byPrefix}`);
  const stampede = section.locator('[data-testid="stampedes"] li[data-key="clinic:12:availability"]');
  assert.equal(await stampede.count(), 1, 'no stampede entry for clinic:12:availability');
  assert.equal(clean(await stampede.locator('[data-testid="stampede-misses"]').innerText()), '40');
  assert.match(clean(await stampede.innerText()), /clinic:12:availability critical/u);
});

test('the mem0 panel shows writes, times and failures by type', async () => {
  const section = panel('mem0-panel');
  const text = clean(await section.innerText());
  assert.match(text, /Success rate \d+\.\d\d %/u);
  assert.match(text, /Max write time \d+\.\d ms/u);
  assert.match(text, /Slow writes \(> 5 s\) \d+/u);
  assert.match(text, /Mem0TimeoutError/u);
});

test('the breaker panel shows its state and three transitions, newest first', async () => {
  const section = panel('breaker-panel');
  assert.equal(clean(await section.locator('[data-testid="breaker-state"]').innerText()), 'closed');
  const states = (await section.locator('[data-testid="breaker-transitions"] tbody tr td:first-child').allInnerTexts()).map(clean);
  assert.deepEqual(states, ['closed', 'half-open', 'open']);
  assert.match(clean(await section.innerText()), /Recovered at \(UTC\) \d\d:\d\d:\d\d/u);
});

test('the page loaded without errors and without leaving its origin', async () => {
  await page.waitForLoadState('networkidle', { timeout: RENDER_TIMEOUT_MS }).catch(() => {});
  assert.deepEqual(offOrigin, [], `requests to other origins were attempted (and blocked):\n${offOrigin.join('\n')}`);
  assert.deepEqual(problems, [], `the page reported problems:\n${problems.join('\n')}`);
});
