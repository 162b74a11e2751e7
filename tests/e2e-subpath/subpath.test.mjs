// Browser test of the GitHub Pages layout: the site built with a sub-path public URL and served
// under that sub-path, as GitHub Pages serves a project site at https://OWNER.github.io/REPO/.
//
//   trunk build --release --offline --public-url /canary-console/ --dist target/dist-subpath
//   (serve a directory whose canary-console/ is that dist, e.g. with python3 -m http.server)
//   CANARY_SUBPATH_URL=http://127.0.0.1:8000/canary-console/ node --test tests/e2e-subpath/
//
// scripts/test.sh does all of that. It lives outside tests/e2e/ because `node --test
// tests/e2e/` runs every test file below it, and this one needs a differently built site; it
// borrows playwright-core from tests/e2e/node_modules (installed by scripts/install-tools.sh).
//
// Drives Debian's Chromium (/usr/bin/chromium, or CANARY_CHROMIUM) with the same launch options
// as tests/e2e/page.test.mjs. The page must render the success-metrics table with numbers, and
// every request it makes must stay under the sub-path and succeed: an asset referenced from the
// site root (`/canary-console-….wasm` instead of `/canary-console/canary-console-….wasm`) 404s
// here, as it would on GitHub Pages.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
// Shared with tests/e2e/, whose node_modules hold playwright-core.
import { launchChromium } from '../e2e/browser.mjs';

const SITE_URL = process.env.CANARY_SUBPATH_URL;
// The app renders after the WASM has been fetched, compiled and run.
const RENDER_TIMEOUT_MS = 30_000;

let browser;
let page;
let origin;
let subPath;
const problems = []; // console errors, page errors, failed or HTTP-error requests
const requested = []; // every same-origin URL the page asked for
const offOrigin = []; // requests to any other origin (all aborted)

before(async () => {
  // Fail, never skip: a run without the served sub-path site has tested nothing.
  assert.ok(
    SITE_URL,
    'CANARY_SUBPATH_URL must be set to the sub-path URL of the site built with --public-url ' +
      '(e.g. http://127.0.0.1:8000/canary-console/); scripts/test.sh builds and serves it',
  );
  const url = new URL(SITE_URL);
  origin = url.origin;
  subPath = url.pathname;
  assert.ok(
    subPath.length > 1 && subPath.endsWith('/'),
    `CANARY_SUBPATH_URL must end in a sub-path with a trailing slash, got ${SITE_URL}`,
  );
  browser = await launchChromium();
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  await context.route('**/*', (route) => {
    const u = route.request().url();
    if (isInline(u) || sameOrigin(u)) {
      return route.continue();
    }
    offOrigin.push(u);
    return route.abort('blockedbyclient');
  });
  page = await context.newPage();
  page.on('console', (msg) => {
    if (msg.type() === 'error') {
      problems.push(`console error: ${msg.text()}`);
    }
  });
  page.on('pageerror', (err) => problems.push(`page error: ${err.stack || err.message || err}`));
  page.on('request', (req) => {
    if (sameOrigin(req.url())) {
      requested.push(req.url());
    }
  });
  page.on('requestfailed', (req) => {
    if (sameOrigin(req.url())) {
      problems.push(`request failed: ${req.method()} ${req.url()}: ${req.failure()?.errorText}`);
    }
  });
  page.on('response', (res) => {
    if (res.status() >= 400) {
      problems.push(`HTTP ${res.status()}: ${res.request().method()} ${res.url()}`);
    }
  });
  const response = await page.goto(SITE_URL, { waitUntil: 'load' });
  assert.ok(response, `no response for ${SITE_URL}`);
  assert.ok(response.ok(), `${SITE_URL} answered HTTP ${response.status()}`);
});

after(async () => {
  await browser?.close();
});

function isInline(u) {
  return u.startsWith('data:') || u.startsWith('blob:') || u === 'about:blank';
}

function sameOrigin(u) {
  try {
    return new URL(u).origin === origin;
  } catch {
    return false;
  }
}

// Waits until the success-metrics table shows at least 6 rows whose measured value has a digit.
async function waitForNumbers() {
  await page.locator('[data-testid="success-metrics"]').first().waitFor({
    state: 'visible',
    timeout: RENDER_TIMEOUT_MS,
  });
  await page.waitForFunction(
    () => {
      const t = document.querySelector('[data-testid="success-metrics"]');
      if (!t) return false;
      const rows = [...t.querySelectorAll('tbody tr')];
      const withNumbers = rows.filter((tr) => /\d/.test(tr.querySelector('td.num')?.textContent ?? ''));
      return withNumbers.length >= 5;
    },
    null,
    { timeout: RENDER_TIMEOUT_MS },
  );
}

test('the page built for a sub-path renders the success metrics with numbers there', async () => {
  await waitForNumbers();
  const shown = await page.$$eval('[data-testid="success-metrics"] tbody tr', (rows) =>
    rows.map((r) => [r.dataset.metric, r.querySelector('td.num')?.textContent?.trim() ?? '']),
  );
  const p50 = shown.find(([metric]) => metric === 'p50_latency');
  assert.ok(p50, `no p50_latency row: ${JSON.stringify(shown)}`);
  assert.match(p50[1], /^\d+(\.\d+)?\s*ms$/u, `P50 shows ${JSON.stringify(p50[1])}`);
});

test('every asset is requested under the sub-path and none fails', async () => {
  await page.waitForLoadState('networkidle', { timeout: RENDER_TIMEOUT_MS }).catch(() => {});
  assert.ok(
    requested.some((u) => u.endsWith('.wasm')),
    `the WebAssembly module was never requested: ${requested.join(', ')}`,
  );
  const outside = requested.filter((u) => !new URL(u).pathname.startsWith(subPath));
  assert.deepEqual(outside, [], `requests outside ${subPath}:\n${outside.join('\n')}`);
  assert.deepEqual(offOrigin, [], `requests to other origins were attempted (and blocked):\n${offOrigin.join('\n')}`);
  assert.deepEqual(problems, [], `the page reported problems:\n${problems.join('\n')}`);
});

test('a reload of the page with its state in the URL works under the sub-path too', async () => {
  // The app keeps its state in the query string of the current path; reloading that URL must
  // land on the same page, not on a 404 of the site root.
  const url = page.url();
  assert.ok(new URL(url).pathname.startsWith(subPath), `the page moved out of ${subPath}: ${url}`);
  const response = await page.reload({ waitUntil: 'load' });
  assert.ok(response?.ok(), `reloading ${url} answered HTTP ${response?.status()}`);
  await waitForNumbers();
  assert.deepEqual(problems, [], `the page reported problems after the reload:\n${problems.join('\n')}`);
});
