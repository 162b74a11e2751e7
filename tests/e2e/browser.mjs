// Headless Chromium for the browser tests and the browser benchmark: Debian's `chromium`
// (CANARY_CHROMIUM overrides the path), launched as this machine needs it (root: no sandbox; no
// GPU; none of Chromium's own network traffic, so every request a test sees is the page's).
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { chromium } from 'playwright-core';

const EXECUTABLE = process.env.CANARY_CHROMIUM || '/usr/bin/chromium';

export function launchChromium() {
  return chromium.launch({
    executablePath: EXECUTABLE,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

// A URL the page may load without leaving its site: its own origin, or inline data.
export function isSameOriginOrInline(url, origin) {
  if (url.startsWith('data:') || url.startsWith('blob:') || url === 'about:blank') {
    return true;
  }
  try {
    return new URL(url).origin === origin;
  } catch {
    return false;
  }
}

// A 1280×900 page of a new context that may load only `origin` (and inline data). Every other
// request is aborted and listed in `offOrigin`; console errors, page errors, failed same-origin
// requests and HTTP errors are listed in `problems`, for a test to assert both empty.
// `contextOptions` go to the new context (e.g. another viewport, `colorScheme: 'dark'`).
export async function openGuardedPage(browser, origin, contextOptions = {}) {
  const problems = [];
  const offOrigin = [];
  const allowed = (url) => isSameOriginOrInline(url, origin);
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, ...contextOptions });
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (allowed(url)) {
      return route.continue();
    }
    offOrigin.push(url);
    return route.abort('blockedbyclient');
  });
  const page = await context.newPage();
  page.on('console', (msg) => {
    if (msg.type() === 'error') {
      const loc = msg.location();
      problems.push(`console error: ${msg.text()}${loc && loc.url ? ` (${loc.url}:${loc.lineNumber})` : ''}`);
    }
  });
  page.on('pageerror', (err) => problems.push(`page error: ${err.stack || err.message || err}`));
  page.on('requestfailed', (req) => {
    if (allowed(req.url())) {
      problems.push(`request failed: ${req.method()} ${req.url()}: ${req.failure()?.errorText}`);
    }
  });
  page.on('response', (res) => {
    if (res.status() >= 400) {
      problems.push(`HTTP ${res.status()}: ${res.request().method()} ${res.url()}`);
    }
  });
  return { context, page, problems, offOrigin };
}

// Saves a full-page screenshot of `page` to `file` (directories made as needed) and says where;
// a failure is reported, not thrown, so it never hides the test's own result.
export async function saveScreenshot(page, file) {
  try {
    await mkdir(path.dirname(file), { recursive: true });
    await page.screenshot({ path: file, fullPage: true });
    console.log(`screenshot: ${path.relative(process.cwd(), file) || file}`);
  } catch (err) {
    console.error(`screenshot failed: ${err}`);
  }
}
