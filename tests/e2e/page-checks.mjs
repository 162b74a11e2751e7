// Checks several browser tests make of the page the same way.
import assert from 'node:assert/strict';

/// A deterministic generator of numbers in [0, 1) from `seed` (a linear congruential one), so
/// the tests' generated exports are the same on every run.
export function seededRandom(seed) {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
}

/// Text with its white space folded, as a reader sees it.
export function clean(text) {
  return (text ?? '').replace(/\s+/gu, ' ').trim();
}

/// The success-metrics table shows the numbers `canary-report metrics --json` computed (`json`)
/// for the same rows, to the page's last shown digit, and the same breaker state.
export async function assertShowsCliNumbers(page, json) {
  const shown = await page.$$eval('[data-testid="success-metrics"] tbody tr', (rows) =>
    Object.fromEntries(rows.map((r) => [r.dataset.metric, r.querySelector('td.num')?.textContent ?? ''])));
  const expected = {
    p50_latency: [json.latency.p50_ms, 0.05],
    p95_latency: [json.latency.p95_ms, 0.05],
    error_rate: [json.errors.error_rate_pct, 0.005],
    cache_hit_rate: [json.cache.hit_rate_pct, 0.005],
    mem0_write_success: [json.mem0.success_rate_pct, 0.005],
  };
  for (const [metric, [value, halfUnit]] of Object.entries(expected)) {
    assert.equal(typeof value, 'number', `the CLI has no value for ${metric}: ${JSON.stringify(json)}`);
    const text = shown[metric];
    assert.ok(text !== undefined, `the page has no row data-metric="${metric}"`);
    const number = Number.parseFloat(text);
    // The page rounds to its last shown digit; the CLI gives the full value.
    assert.ok(
      Math.abs(number - value) <= halfUnit + 1e-9,
      `${metric}: the page shows ${JSON.stringify(text)}, the CLI computes ${value}`,
    );
  }
  const breaker = shown.circuit_breaker ?? '';
  assert.ok(breaker.startsWith(json.circuit_breaker.current_state), `breaker: page ${breaker}, CLI ${json.circuit_breaker.current_state}`);
}
