// Every network read of the page has a deadline: a server that never answers, or one that
// sends its headers and then stalls the body, ends in a clear error after the page's 30 s
// (src/api.rs, READ_TIMEOUT_MS), never in a page that waits for ever. Driven through the health
// check, whose fetch goes through the same deadline as the Supabase reads.
//
//   CANARY_SITE_URL=http://127.0.0.1:8000/ node --test tests/e2e/network-timeout.test.mjs
//
// The test build's CSP lets the page connect to loopback (scripts/test.sh).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { launchChromium } from './browser.mjs';

const SITE_URL = process.env.CANARY_SITE_URL;
const DEADLINE_S = 30;

let browser;
const servers = [];

/// A loopback server with `handle` for every request; resolves to its base URL.
function serve(handle) {
  const server = http.createServer(handle);
  servers.push(server);
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${server.address().port}`)));
}

before(async () => {
  assert.ok(SITE_URL, 'CANARY_SITE_URL must be set (scripts/test.sh serves the built site)');
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  for (const server of servers) {
    server.closeAllConnections();
    server.close();
  }
});

/// Checks `url` in the health panel of a fresh page and returns the error shown, with the
/// seconds it took to appear.
async function healthError(url) {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await page.goto(SITE_URL, { waitUntil: 'load' });
    await page.waitForSelector('[data-testid="health-url"]', { timeout: 60_000 });
    await page.fill('[data-testid="health-url"]', url);
    const started = Date.now();
    await page.click('[data-testid="health-check"]');
    await page.waitForSelector('[data-testid="health-error"]', { timeout: (DEADLINE_S + 30) * 1000 });
    return { text: await page.textContent('[data-testid="health-error"]'), seconds: (Date.now() - started) / 1000 };
  } finally {
    await context.close();
  }
}

test('a server that never answers, and one that stalls its body, end in a clear timeout', async () => {
  // Accepts the connection and says nothing.
  const silent = await serve(() => {});
  // Sends its headers and the start of a body, then nothing more.
  const stalled = await serve((req, res) => {
    res.writeHead(200, { 'access-control-allow-origin': '*', 'content-type': 'application/json' });
    res.write('{"status": ');
  });
  const [never, partial] = await Promise.all([healthError(`${silent}/health`), healthError(`${stalled}/health`)]);
  assert.match(never.text, new RegExp(`no complete answer within ${DEADLINE_S} s: the server or the network is too slow`), never.text);
  assert.match(partial.text, new RegExp(`the server answered HTTP 200, but no complete answer within ${DEADLINE_S} s`), partial.text);
  for (const { seconds, text } of [never, partial]) {
    assert.ok(seconds >= DEADLINE_S - 1 && seconds < DEADLINE_S + 20, `the error came after ${seconds} s: ${text}`);
  }
});
