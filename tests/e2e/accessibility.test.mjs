// Accessibility of the built Canary Console page in headless Chromium:
//
//   CANARY_SITE_URL=http://127.0.0.1:8000/ node --test tests/e2e/accessibility.test.mjs
//
// - axe-core (pinned in package.json) against the page in the light and the dark theme
//   (prefers-color-scheme), on the demo day and on a rollback (an export file whose error rate
//   is past the emergency line at its end): WCAG 2.0/2.1 A and AA, no violation. The contrast
//   of chart text, which axe cannot judge inside an SVG, is computed here: every text's fill
//   against the chart's background, at least 4.5:1.
// - The keyboard: Tab reaches every control; the report tabs follow the WAI-ARIA tabs pattern.
// - Charts offer their numbers: "Show data" opens a table of the plotted series, and the chart's
//   label states the latest and the worst values, the same as the table's.
// - Phone (390 px) and tablet (768 px): no sideways scroll of the page, the success metrics'
//   "Measured" and "Status" on screen, the first column of every table on screen, and every
//   scroll container a named region with a tab stop; at 1280 px with 200 % text, no panel
//   wider than its content box and no sideways scroll.
// - Print: nothing wider than the paper; controls hidden and a checklist note printed as text;
//   "Print sign-off" and "Print daily status" print their report alone, on few pages.
// Screenshots (light, dark, 390 px, print) go to target/e2e/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { launchChromium, openGuardedPage, saveScreenshot } from './browser.mjs';
import { seededRandom } from './page-checks.mjs';

const SITE_URL = process.env.CANARY_SITE_URL;
const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const SHOTS = path.join(REPO_ROOT, 'target', 'e2e');
const AXE_SCRIPT = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
const RENDER_TIMEOUT_MS = 60_000;
const WCAG_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];
// The printable width of an A4 page with the print style sheet's 12 mm side margins, in CSS px.
const A4_PRINTABLE_PX = Math.floor(((210 - 2 * 12) / 25.4) * 96);

let browser;
let origin;

/** A deterministic two-hour export (PostgreSQL CSV) whose last 30 minutes fail 15 % of the
 * requests: the error-rate emergency is firing at its end, so the verdict is Rollback Required. */
function rollbackCsv() {
  const random = seededRandom(7);
  const lines = ['id,event_type,success,cache_hit,processing_time_ms,cache_key,details,created_at'];
  const start = Date.UTC(2026, 0, 5, 9, 0, 0);
  let id = 0;
  for (let second = 0; second < 2 * 3600; second += 2) {
    const at = new Date(start + second * 1000).toISOString().replace('T', ' ').replace('Z', '+00');
    const failing = second >= 90 * 60 ? 0.15 : 0.004;
    const ok = random() > failing;
    const ms = (90 + random() * 250).toFixed(3);
    const details = ok
      ? '{"endpoint": "/api/chat"}'
      : '{"endpoint": "/api/chat", "error_type": "UpstreamError", "error_message": "bad gateway"}';
    lines.push(`${++id},request_completed,${ok ? 't' : 'f'},,${ms},,"${details.replaceAll('"', '""')}",${at}`);
    const hit = random() > 0.03;
    lines.push(`${++id},cache_access,,${hit ? 't' : 'f'},${(random() * 20).toFixed(3)},user:${Math.floor(random() * 40)},"{""cache_key_prefix"": ""user""}",${at}`);
    if (second % 6 === 0) {
      lines.push(`${++id},mem0_write,${random() > 0.002 ? 't' : 'f'},,${(300 + random() * 500).toFixed(3)},,{},${at}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/** Waits for the dashboard's numbers and the charts. */
async function waitForDashboard(page) {
  await page.waitForSelector('[data-testid="success-metrics"] td.num', { timeout: RENDER_TIMEOUT_MS });
  await page.waitForSelector('[data-testid="latency-chart"] svg', { timeout: RENDER_TIMEOUT_MS });
  await page.waitForSelector('[data-testid="checklist"] [data-testid="check-tick"]', { timeout: RENDER_TIMEOUT_MS });
}

/** A guarded page on the demo day ("This phase"), or on the rollback file when `rollback`. */
async function openDashboard({ rollback = false, ...contextOptions } = {}) {
  // The page's Content-Security-Policy refuses inline scripts and styles; axe-core and the
  // larger-text style are the test's own tools injected into the page, so its context bypasses
  // the policy (tests/e2e/team-access.test.mjs checks the policy itself).
  const opened = await openGuardedPage(browser, origin, { bypassCSP: true, ...contextOptions });
  const { page } = opened;
  const url = new URL(SITE_URL);
  url.searchParams.set('range', 'phase');
  await page.goto(url.toString(), { waitUntil: 'load' });
  await waitForDashboard(page);
  if (rollback) {
    await page.selectOption('[data-testid="source-select"]', 'file');
    await page.setInputFiles('[data-testid="file-input"]', {
      name: 'rollback.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from(rollbackCsv()),
    });
    await page.waitForFunction(
      () => document.querySelector('[data-testid="source-label"]')?.textContent.includes('rollback.csv'),
      null,
      { timeout: RENDER_TIMEOUT_MS },
    );
    // The last 4 hours end at the file's last event, where the emergency is still firing.
    await page.selectOption('[data-testid="range-select"]', '4h');
    await page.waitForFunction(
      () => /Rollback Required/u.test(document.querySelector('[data-testid="status-word"]')?.textContent ?? ''),
      null,
      { timeout: RENDER_TIMEOUT_MS },
    );
    await waitForDashboard(page);
  }
  return opened;
}

async function closeChecked({ context, problems, offOrigin }) {
  await context.close();
  assert.deepEqual(offOrigin, [], `requests left the site:\n${offOrigin.join('\n')}`);
  assert.deepEqual(problems, [], `the page reported problems:\n${problems.join('\n')}`);
}

/** axe-core's WCAG 2.0/2.1 A and AA run on the whole page. */
async function runAxe(page) {
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) {
    await page.addScriptTag({ path: AXE_SCRIPT });
  }
  return page.evaluate(
    (tags) => window.axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations', 'incomplete'] })
      .then((r) => ({
        version: window.axe.version,
        violations: r.violations.map((v) => ({
          id: v.id,
          help: v.help,
          nodes: v.nodes.map((n) => `${n.target.join(' ')}: ${n.failureSummary?.split('\n').slice(1, 3).join(' ')}`),
        })),
        incompleteContrast: r.incomplete
          .filter((v) => v.id === 'color-contrast')
          .flatMap((v) => v.nodes.map((n) => n.target[0])),
      })),
    WCAG_TAGS,
  );
}

/** The contrast of each element's text (HTML colour or SVG fill) against what it is drawn on:
 * the nearest ancestor with an opaque background (WCAG's relative luminance; a translucent
 * colour is blended over that background first). `selectors` picks the elements; with none,
 * every `<text>` of every chart. */
async function textContrast(page, selectors = null) {
  return page.evaluate((list) => {
    const rgba = (css) => {
      const m = css.match(/rgba?\(([^)]+)\)/u);
      if (!m) return null;
      const [r, g, b, a = 1] = m[1].split(/[\s,/]+/u).filter(Boolean).map(Number);
      return { r, g, b, a };
    };
    const luminance = ({ r, g, b }) => {
      const f = (c) => {
        const s = c / 255;
        return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
      };
      return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
    };
    const ratio = (a, b) => {
      const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
      return (hi + 0.05) / (lo + 0.05);
    };
    const background = (el) => {
      for (let at = el; at; at = at.parentElement) {
        const c = rgba(getComputedStyle(at).backgroundColor);
        if (c && c.a === 1) return c;
      }
      return { r: 255, g: 255, b: 255, a: 1 };
    };
    const elements = list
      ? list.map((sel) => document.querySelector(sel)).filter(Boolean)
      : [...document.querySelectorAll('[data-testid$="-chart"] svg text')].filter((t) => t.textContent.trim());
    return elements.map((el) => {
      const style = getComputedStyle(el);
      const svg = el instanceof SVGElement;
      const colour = rgba(svg ? style.fill : style.color);
      const bg = background(el.parentElement);
      let alpha = colour.a * (svg ? Number(style.fillOpacity || 1) : 1);
      for (let at = el; at; at = at.parentElement) alpha *= Number(getComputedStyle(at).opacity || 1);
      const blended = {
        r: colour.r * alpha + bg.r * (1 - alpha),
        g: colour.g * alpha + bg.g * (1 - alpha),
        b: colour.b * alpha + bg.b * (1 - alpha),
      };
      return {
        text: el.textContent.trim().slice(0, 40),
        colour: svg ? style.fill : style.color,
        bg: `rgb(${bg.r}, ${bg.g}, ${bg.b})`,
        ratio: ratio(blended, bg),
      };
    });
  }, selectors);
}

before(async () => {
  assert.ok(SITE_URL, 'CANARY_SITE_URL must be set to the URL of the served dist/ directory');
  origin = new URL(SITE_URL).origin;
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
});

for (const colorScheme of ['light', 'dark']) {
  for (const rollback of [false, true]) {
    const data = rollback ? 'a rollback' : 'the demo day';
    test(`axe-core: no WCAG 2.1 A/AA violation, ${colorScheme} theme, ${data}`, async () => {
      const opened = await openDashboard({ colorScheme, rollback });
      const { page } = opened;
      assert.equal(
        await page.evaluate(() => matchMedia('(prefers-color-scheme: dark)').matches),
        colorScheme === 'dark',
      );
      // A chart's data table open too, so axe checks it.
      await page.locator('[data-testid="error-chart"] .show-data').click();
      await page.waitForSelector('[data-testid="error-chart"] .chart-table tbody tr');
      const result = await runAxe(page);
      assert.deepEqual(
        result.violations,
        [],
        `axe-core ${result.version}: ${result.violations.length} violated rules:\n${JSON.stringify(result.violations, null, 1)}`,
      );
      // What axe leaves undecided about contrast (text in an SVG, rows scrolled out of a
      // table's region) is measured here, and so is every text of every chart.
      const undecided = await textContrast(page, result.incompleteContrast);
      assert.equal(undecided.length, result.incompleteContrast.length, 'an undecided element was not found');
      assert.deepEqual(undecided.filter((t) => !(t.ratio >= 4.5)), [], 'text axe left undecided is below 4.5:1');
      const texts = await textContrast(page);
      assert.ok(texts.length >= 40, `expected the charts' tick labels and legends, got ${texts.length} texts`);
      assert.deepEqual(texts.filter((t) => !(t.ratio >= 4.5)), [], 'chart text below 4.5:1');
      console.log(`axe-core ${result.version}, ${colorScheme}, ${data}: 0 violations; ${undecided.length} undecided contrasts and ${texts.length} chart texts measured, lowest ${Math.min(...undecided.map((t) => t.ratio), ...texts.map((t) => t.ratio)).toFixed(2)}:1`);
      if (!rollback) {
        await saveScreenshot(page, path.join(SHOTS, `a11y-${colorScheme}.png`));
      } else {
        assert.match(await page.textContent('[data-testid="status-word"]'), /Rollback Required/u);
      }
      await closeChecked(opened);
    });
  }
}

test('Tab reaches every control, and the report tabs move with the arrow keys, Home and End', async () => {
  const opened = await openDashboard();
  const { page } = opened;
  // Every visible control that takes the focus by Tab (a tab that is not selected is reached
  // with the arrow keys instead, as the tabs pattern says).
  const controls = await page.evaluate(() => {
    const selector = 'a[href], button, input, select, textarea, summary, [tabindex]';
    // checkVisibility: not inside a closed <details>, not display:none or visibility:hidden.
    const list = [...document.querySelectorAll(selector)].filter((el) => {
      if (el.disabled || el.getAttribute('tabindex') === '-1' || el.type === 'hidden') return false;
      return el.checkVisibility({ visibilityProperty: true, contentVisibilityAuto: true });
    });
    list.forEach((el, i) => el.setAttribute('data-a11y-control', String(i)));
    return list.map((el) => `${el.tagName.toLowerCase()}${el.dataset.testid ? `[${el.dataset.testid}]` : ''} ${(el.getAttribute('aria-label') || el.textContent || '').trim().slice(0, 40)}`);
  });
  assert.ok(controls.length >= 30, `only ${controls.length} controls found`);
  const reached = new Set();
  await page.evaluate(() => document.activeElement?.blur());
  for (let i = 0; i < controls.length + 20; i += 1) {
    await page.keyboard.press('Tab');
    const at = await page.evaluate(() => document.activeElement?.getAttribute('data-a11y-control'));
    if (at != null) reached.add(Number(at));
  }
  const missed = controls.filter((_, i) => !reached.has(i));
  assert.deepEqual(missed, [], `Tab never reached ${missed.length} of ${controls.length} controls`);

  const state = () => page.evaluate(() => ({
    focused: document.activeElement?.id,
    selected: [...document.querySelectorAll('[role="tab"]')].filter((t) => t.getAttribute('aria-selected') === 'true').map((t) => t.id),
    tabindex: [...document.querySelectorAll('[role="tab"]')].map((t) => `${t.id}:${t.tabIndex}`),
    labelledby: document.querySelector('[role="tabpanel"]')?.getAttribute('aria-labelledby'),
    controls: [...document.querySelectorAll('[role="tab"]')].map((t) => t.getAttribute('aria-controls')),
    panelId: document.querySelector('[role="tabpanel"]')?.id,
    list: document.querySelector('[role="tablist"]')?.getAttribute('aria-label'),
  }));
  await page.focus('#report-tab-email');
  const start = await state();
  assert.equal(start.list, 'Report');
  assert.deepEqual(start.controls, [start.panelId, start.panelId]);
  assert.deepEqual(start.selected, ['report-tab-email']);
  assert.deepEqual(start.tabindex, ['report-tab-email:0', 'report-tab-signoff:-1']);
  const expectAfter = async (key, id) => {
    await page.keyboard.press(key);
    await page.waitForFunction((want) => document.activeElement?.id === want, id);
    const s = await state();
    assert.equal(s.focused, id, key);
    assert.deepEqual(s.selected, [id], key);
    assert.equal(s.labelledby, id, key);
    assert.ok(s.tabindex.includes(`${id}:0`), `${key}: ${s.tabindex}`);
  };
  await expectAfter('ArrowRight', 'report-tab-signoff');
  await page.waitForSelector('[data-testid="signoff-approved-by"]');
  await expectAfter('ArrowRight', 'report-tab-email');
  await expectAfter('ArrowLeft', 'report-tab-signoff');
  await expectAfter('Home', 'report-tab-email');
  await expectAfter('End', 'report-tab-signoff');
  // Tab leaves the tab list for the panel's first field.
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement?.closest('[role="tabpanel"]') != null), true);
  await closeChecked(opened);
});

test('"Show data" tables hold every bucket, and each chart label states the latest and the worst values', async () => {
  const opened = await openDashboard();
  const { page } = opened;
  for (const [id, column, worst] of [
    ['latency-chart', 'P95', 'Highest'],
    ['error-chart', 'Error rate', 'Highest'],
    ['cache-chart', 'Hit rate', 'Lowest'],
    ['mem0-chart', 'Write success', 'Lowest'],
  ]) {
    const panel = page.locator(`[data-testid="${id}"]`);
    const button = panel.locator('.show-data');
    assert.equal(await button.getAttribute('aria-expanded'), 'false');
    assert.equal(await panel.locator('table').count(), 0, `${id}: the table is built before it is asked for`);
    await button.click();
    assert.equal(await button.getAttribute('aria-expanded'), 'true');
    const table = panel.locator('.chart-table table');
    await table.waitFor({ timeout: RENDER_TIMEOUT_MS });
    const { headers, rows, caption, region, label } = await panel.evaluate((el, name) => {
      const t = el.querySelector('.chart-table table');
      const headers = [...t.querySelectorAll('thead th')].map((th) => th.textContent.trim());
      const at = headers.indexOf(name);
      return {
        headers,
        caption: t.querySelector('caption')?.textContent ?? '',
        region: el.querySelector('.chart-table').getAttribute('aria-label'),
        label: el.querySelector('[role="img"]').getAttribute('aria-label'),
        rows: [...t.querySelectorAll('tbody tr')].map((tr) => ({
          time: tr.querySelector('th[scope="row"]')?.textContent ?? '',
          value: tr.children[at]?.textContent ?? '',
        })),
      };
    }, column);
    assert.equal(headers[0], 'Bucket start (UTC)', id);
    assert.ok(headers.includes(column), `${id}: ${headers}`);
    assert.equal(headers.at(-1), 'Threshold crossed', id);
    assert.ok(region && region.endsWith('data'), `${id}: region ${region}`);
    // The demo day ("This phase") is 24 hours of one-minute buckets.
    assert.ok(rows.length >= 1400, `${id}: ${rows.length} rows`);
    assert.match(caption, new RegExp(`${rows.length} buckets from .* UTC to .* UTC\\. Thresholds`, 'u'), id);
    assert.ok(rows.every((r) => /^\d{4}-\d\d-\d\d \d\d:\d\d$/u.test(r.time)), `${id}: bucket times`);
    assert.ok(rows.every((r) => /^(\d+\.\d+ (%|ms)|no data)$/u.test(r.value)), `${id}: values`);
    // The label's worst value is the table's.
    const values = rows.map((r) => Number.parseFloat(r.value)).filter(Number.isFinite);
    const extreme = worst === 'Highest' ? Math.max(...values) : Math.min(...values);
    const unit = id === 'latency-chart' ? 'ms' : '%';
    const text = `${extreme.toFixed(unit === 'ms' ? 1 : 2)} ${unit}`;
    assert.match(label, /Latest, \d{4}-\d\d-\d\d \d\d:\d\d UTC: /u, `${id}: ${label}`);
    const worstPart = label.slice(label.indexOf(`${worst}:`));
    assert.ok(worstPart.includes(`${column} ${text} at `), `${id}: label says ${JSON.stringify(worstPart)}, table's ${worst.toLowerCase()} ${column} is ${text}`);
    const latest = rows.map((r) => r.value).filter((v) => v !== 'no data').at(-1);
    assert.ok(label.includes(`${column} ${latest}`), `${id}: latest ${latest} not in ${JSON.stringify(label)}`);
    await button.click();
    assert.equal(await panel.locator('.chart-table').count(), 0, `${id}: "Hide data" keeps the table`);
  }
  await closeChecked(opened);
});

for (const width of [390, 768]) {
  test(`at ${width} px: no sideways page scroll, key columns on screen, named scroll containers`, async () => {
    const opened = await openDashboard({ viewport: { width, height: 844 }, isMobile: width < 500, hasTouch: width < 500 });
    const { page } = opened;
    const layout = await page.evaluate(() => {
      const vw = document.documentElement.clientWidth;
      const inside = (el) => {
        const r = el.getBoundingClientRect();
        return r.width > 0 && r.left >= -0.5 && r.right <= vw + 0.5;
      };
      const metrics = [...document.querySelectorAll('[data-testid="success-metrics"] tbody tr')].map((tr) => ({
        metric: tr.dataset.metric,
        measured: inside(tr.querySelector('td[data-label="Measured"]')),
        status: inside(tr.querySelector('td[data-label="Status"] .status')),
      }));
      const panels = [...document.querySelectorAll('section.panel')]
        .filter((p) => !inside(p))
        .map((p) => `${p.dataset.testid}: ${Math.round(p.getBoundingClientRect().right)}`);
      // The first cell of every row of every table that scrolls sideways: what the row is.
      const firstColumns = [...document.querySelectorAll('.table-scroll')].flatMap((scroller) => {
        scroller.scrollLeft = scroller.scrollWidth;
        return [...scroller.querySelectorAll('tr > :first-child')]
          .filter((cell) => !inside(cell))
          .map((cell) => `${scroller.getAttribute('aria-label')}: ${cell.textContent.trim().slice(0, 30)}`);
      });
      const scrollers = [...document.querySelectorAll('body *')]
        .filter((el) => !['TEXTAREA', 'SELECT', 'INPUT'].includes(el.tagName))
        .filter((el) => {
          const s = getComputedStyle(el);
          return ['auto', 'scroll'].includes(s.overflowX) || ['auto', 'scroll'].includes(s.overflowY);
        })
        .filter((el) => el.getClientRects().length > 0);
      const unnamed = scrollers
        .filter((el) => !(el.getAttribute('role') === 'region' && el.getAttribute('aria-label')?.trim() && el.getAttribute('tabindex') === '0'))
        .map((el) => `${el.tagName.toLowerCase()}.${el.className} (${el.scrollWidth} > ${el.clientWidth})`);
      return {
        vw,
        pageWidth: document.documentElement.scrollWidth,
        metrics,
        panels,
        firstColumns,
        scrolling: scrollers.filter((el) => el.scrollWidth > el.clientWidth + 1).length,
        unnamed,
      };
    });
    assert.equal(layout.vw, width);
    assert.ok(layout.pageWidth <= width, `the page scrolls sideways: ${layout.pageWidth} px wide at ${width}`);
    assert.ok(layout.metrics.length >= 6, `success metrics: ${JSON.stringify(layout.metrics)}`);
    assert.deepEqual(layout.metrics.filter((m) => !m.measured || !m.status), [], 'Measured or Status off screen');
    assert.deepEqual(layout.panels, [], 'panels wider than the screen');
    assert.deepEqual(layout.firstColumns, [], 'first columns scrolled off screen');
    assert.deepEqual(layout.unnamed, [], 'scroll containers without a name');
    // The accessibility tree keeps the stacked success metrics a table of rows and cells.
    const tree = await page.locator('[data-testid="success-metrics"] table').ariaSnapshot();
    assert.match(tree, /- table/u);
    assert.match(tree, /- row "P50 latency[^"]*ms[^"]*"/iu);
    assert.match(tree, /- rowheader "P50 latency"/iu);
    assert.match(tree, /- cell "[^"]*ms"/u);
    if (width === 390) {
      await saveScreenshot(page, path.join(SHOTS, 'a11y-390.png'));
    }
    await closeChecked(opened);
  });
}

test('with text at 200 % at 1280 px, the page does not scroll sideways and no content sticks out of its panel', async () => {
  const opened = await openDashboard();
  const { page } = opened;
  // The page sets its text size on the root element; twice that is 200 % text.
  const base = await page.evaluate(() => Number.parseFloat(getComputedStyle(document.documentElement).fontSize));
  await page.addStyleTag({ content: `:root { font-size: ${2 * base}px !important; }` });
  const layout = await page.evaluate(() => {
    const vw = document.documentElement.clientWidth;
    return {
      pageWidth: document.documentElement.scrollWidth,
      // Content sticking out of its panel (what scrolls inside a named region is inside it).
      panels: [...document.querySelectorAll('section.panel')].flatMap((p) => {
        const edge = Math.min(p.getBoundingClientRect().right, vw);
        return [...p.querySelectorAll('*')]
          .filter((el) => !el.parentElement.closest('[role="region"]'))
          .filter((el) => {
            const r = el.getBoundingClientRect();
            return r.width > 0 && r.right > edge + 0.5;
          })
          .map((el) => `${p.dataset.testid}: ${el.tagName.toLowerCase()}.${el.className} ends at ${Math.round(el.getBoundingClientRect().right)} > ${Math.round(edge)}`);
      }),
    };
  });
  assert.ok(layout.pageWidth <= 1280, `the page is ${layout.pageWidth} px wide`);
  assert.deepEqual(layout.panels, [], 'content wider than its panel');
  await closeChecked(opened);
});

/** Pages of a PDF that Chromium wrote (its page objects are not compressed). */
function pdfPages(buffer) {
  return (buffer.toString('latin1').match(/\/Type\s*\/Page(?![s\w])/gu) ?? []).length;
}

/** What the print media shows outside `keep` (a selector), beyond its ancestors. */
function visibleOutside(page, keep) {
  return page.evaluate((sel) => {
    const kept = document.querySelector(sel);
    return [...document.body.querySelectorAll('*')]
      .filter((el) => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden')
      .filter((el) => !kept.contains(el) && !el.contains(kept))
      .map((el) => `${el.tagName.toLowerCase()}.${el.className}`);
  }, keep);
}

test('print: the dashboard fits the paper without controls, and each report prints alone on few pages', async () => {
  const opened = await openDashboard({ viewport: { width: A4_PRINTABLE_PX, height: 1000 } });
  const { page } = opened;
  const note = 'Looked at the error spike with the on-call';
  await page.locator('[data-testid="check-note"]').first().fill(note);
  await page.emulateMedia({ media: 'print' });
  const printed = await page.evaluate(() => {
    const vw = document.documentElement.clientWidth;
    const shown = (el) => el.getClientRects().length > 0;
    return {
      vw,
      pageWidth: document.documentElement.scrollWidth,
      wide: [...document.querySelectorAll('body *')]
        .filter((el) => shown(el) && el.getBoundingClientRect().right > vw + 0.5)
        .filter((el) => !el.closest('svg'))
        .map((el) => `${el.tagName.toLowerCase()}.${el.className}: ${Math.round(el.getBoundingClientRect().right)}`)
        .slice(0, 10),
      controls: [...document.querySelectorAll('button, select, textarea, input[type="text"], input[type="url"]')]
        .filter(shown)
        .map((el) => `${el.tagName.toLowerCase()} ${el.textContent.trim().slice(0, 30)}`),
      notes: [...document.querySelectorAll('.check-note-text')].filter(shown).map((el) => el.textContent),
      charts: [...document.querySelectorAll('[data-testid$="-chart"] svg')].filter(shown).length,
    };
  });
  assert.equal(printed.vw, A4_PRINTABLE_PX);
  assert.ok(printed.pageWidth <= A4_PRINTABLE_PX, `the printout is ${printed.pageWidth} px wide`);
  assert.deepEqual(printed.wide, [], 'wider than the paper');
  assert.deepEqual(printed.controls, [], 'form controls on paper');
  assert.deepEqual(printed.notes, [note], 'the checklist note is not printed as text');
  assert.equal(printed.charts, 4, 'every chart is printed');
  await saveScreenshot(page, path.join(SHOTS, 'a11y-print.png'));
  const whole = await page.pdf({ format: 'A4', printBackground: true });
  const wholePages = pdfPages(whole);
  console.log(`print: the dashboard is ${wholePages} A4 pages`);
  assert.ok(wholePages >= 3, `the dashboard printed on ${wholePages} pages`);
  await page.emulateMedia({ media: 'screen' });

  // The browser's print dialog cannot be driven headless: the page's own print() call is
  // recorded instead (with what the page shows at that moment), and the PDF is printed from
  // the state the button leaves.
  await page.evaluate(() => {
    window.printCalls = 0;
    window.print = () => {
      window.printCalls += 1;
      window.printedMode = document.documentElement.dataset.print;
      window.printedHeading = document.querySelector('[data-testid="report-preview"] > :first-child')?.textContent ?? '';
    };
  });
  for (const [button, mode, heading, maxPages] of [
    ['print-signoff', 'signoff', /^Phase 1 Sign-off/u, 2],
    // The daily status carries the canary-against-control section too.
    ['print-email', 'email', /^Subject: \[CANARY\] Day \d\/\d - .* Phase 1 Status/u, 4],
  ]) {
    await page.click(`[data-testid="${button}"]`);
    await page.waitForFunction(() => window.printCalls > 0);
    assert.equal(await page.evaluate(() => window.printCalls), 1);
    assert.equal(await page.evaluate(() => window.printedMode), mode);
    assert.match(await page.evaluate(() => window.printedHeading), heading, `${button}: the preview when print() was called`);
    assert.equal(await page.evaluate(() => document.documentElement.dataset.print), mode);
    await page.emulateMedia({ media: 'print' });
    assert.deepEqual(await visibleOutside(page, '[data-testid="report-preview"]'), [], `${button}: more than the report on paper`);
    if (mode === 'signoff') await saveScreenshot(page, path.join(SHOTS, 'a11y-print-signoff.png'));
    const pdf = await page.pdf({ format: 'A4', printBackground: true });
    const pages = pdfPages(pdf);
    console.log(`print: ${mode} is ${pages} A4 pages`);
    assert.ok(pages >= 1 && pages <= maxPages, `${mode} printed on ${pages} pages (at most ${maxPages})`);
    await page.emulateMedia({ media: 'screen' });
    // When printing ends the page is whole again.
    await page.evaluate(() => {
      window.dispatchEvent(new Event('afterprint'));
      window.printCalls = 0;
    });
    assert.equal(await page.evaluate(() => document.documentElement.dataset.print ?? null), null);
  }
  await closeChecked(opened);
});
