// Browser benchmark of the page's exact read from Supabase: a whole day of demo events (about
// 1,000,000) in the local stack of scripts/supabase-local.sh (PostgREST 12.0.2, db-max-rows
// 1000, behind nginx with gzip as Supabase serves it), read by the built page in headless
// Chromium, once through the exact read's functions (sql/006_exact_read.sql) and once through
// the table (the functions dropped for that run, then put back). Run by
// `bash scripts/bench-browser.sh supabase`, which loads the rows and serves dist/.
//
// Time: from the click that connects to the window's event count on screen (the page's
// numbers are complete then: the exact read shows nothing before its last page). Requests and
// bytes: the gateway's access log (nginx's $body_bytes_sent, i.e. compressed where gzipped).
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchChromium } from './browser.mjs';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const SITE_URL = process.env.CANARY_SITE_URL;
const PSQL = process.env.CANARY_PSQL || 'psql';
const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run this through bash scripts/bench-browser.sh supabase`);
  return v;
};
const stack = {
  url: env('CANARY_SUPABASE_URL'),
  anon: env('CANARY_SUPABASE_ANON_KEY'),
  user: env('CANARY_SUPABASE_USER_TOKEN'),
  db: env('CANARY_SUPABASE_DB'),
  log: path.join(env('CANARY_SUPA_DIR'), 'nginx-access.log'),
};

const sql = (script) =>
  execFileSync(PSQL, ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-d', stack.db, '-c', script], { encoding: 'utf8' }).trim();

const [fromUs, toUs, events] = sql(
  "select (extract(epoch from min(created_at)) * 1000000)::bigint, (extract(epoch from max(created_at)) * 1000000)::bigint + 1, count(*) from observability_events",
).split('|').map(Number);

/// The gateway's log lines after `offset`: method, status and body bytes of each.
function gatewayRequests(offset) {
  const text = readFileSync(stack.log, 'utf8').slice(offset);
  return text.split('\n').filter(Boolean).map((line) => {
    const m = line.match(/"([A-Z]+) [^"]*" (\d{3}) (\d+)/);
    return { method: m[1], status: Number(m[2]), bytes: Number(m[3]) };
  });
}

async function readOnce(browser) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await page.goto(`${SITE_URL}?range=${fromUs}..${toUs}`, { waitUntil: 'load' });
  await page.waitForSelector('[data-testid="success-metrics"] td.num', { timeout: 120_000 });
  await page.selectOption('[data-testid="source-select"]', 'supabase');
  await page.fill('[data-testid="supabase-url"]', stack.url);
  await page.fill('[data-testid="supabase-key"]', stack.anon);
  await page.$eval('details.advanced', (d) => { d.open = true; });
  await page.fill('[data-testid="supabase-token"]', stack.user);
  const offset = statSync(stack.log).size;
  const started = Date.now();
  await page.click('[data-testid="supabase-form"] button[type="submit"]');
  await page.waitForFunction(
    (n) => document.querySelector('[data-testid="window-info"]')?.textContent.includes(`· ${n} events`),
    events,
    { timeout: 600_000, polling: 50 },
  );
  const seconds = (Date.now() - started) / 1000;
  const memory = await page.evaluate(() => performance.memory?.usedJSHeapSize ?? null);
  await context.close();
  // nginx writes its log line when the answer is sent.
  await new Promise((resolve) => setTimeout(resolve, 200));
  const requests = gatewayRequests(offset);
  const count = (method) => requests.filter((r) => r.method === method).length;
  return {
    seconds,
    bytes: requests.reduce((sum, r) => sum + r.bytes, 0),
    gets: count('GET'),
    posts: count('POST'),
    preflights: count('OPTIONS'),
    errors: requests.filter((r) => r.status >= 400).length,
    memory,
  };
}

const browser = await launchChromium();
try {
  console.log(`[bench-supabase-page] ${events} events (${new Date(fromUs / 1000).toISOString()} to ${new Date(toUs / 1000).toISOString()}), page read in headless Chromium`);
  for (const mode of ['exact read functions', 'table (functions dropped)']) {
    if (mode.startsWith('table')) {
      sql('drop function public.canary_exact_extent(timestamptz, timestamptz); notify pgrst, \'reload schema\';');
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    try {
      const r = await readOnce(browser);
      console.log(
        `[bench-supabase-page] ${mode.padEnd(26)} ${r.seconds.toFixed(1).padStart(6)} s  ${(r.bytes / 1e6).toFixed(1).padStart(6)} MB on the wire  ` +
          `${r.gets} GET + ${r.posts} POST + ${r.preflights} preflights${r.errors ? `, ${r.errors} error answers` : ''}`,
      );
    } finally {
      if (mode.startsWith('table')) {
        execFileSync(PSQL, ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', stack.db, '-f', path.join(REPO_ROOT, 'sql', '006_exact_read.sql')]);
      }
    }
  }
} finally {
  await browser.close();
}
