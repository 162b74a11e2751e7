//! The core on 1,000,000 demo events (`DemoConfig::with_events(1_000_000)`):
//!
//! - (a) `read::read_csv` of the CSV text `write_csv_row` writes (PostgreSQL's export form),
//! - (b) `metrics::compute` over the whole window (every metric of docs/metrics.md#metrics),
//! - (c) `series::compute_with` with 1-minute buckets over the whole window,
//! - (d) `alerts::evaluate` with the default rules over the whole window (1,440 samples),
//!
//! plus, once, the store's heap bytes per event. With `CANARY_BENCH_PG` (a libpq connection
//! string) set, the same rows are loaded into PostgreSQL and the guide's grouped
//! `percentile_cont` query (latency by endpoint, whole window) is timed with
//! `EXPLAIN (ANALYZE, TIMING OFF)` (median of 5 after a warm-up); the ratio
//! (core all-metrics time) / (PostgreSQL grouped percentile time) is printed, target ≤ 0.2.
//!
//! `bash scripts/bench.sh` starts a throw-away PostgreSQL and runs all of it. Under
//! `cargo test --benches` (criterion's test mode) the data set is 20,000 events and PostgreSQL
//! is skipped. Lines starting with `[bench]` are the figures; scripts/bench.sh collects them.

use std::hint::black_box;
use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use canary_core::alerts;
use canary_core::demo::{self, DemoConfig};
use canary_core::event::MICROS_PER_MINUTE;
use canary_core::metrics::{self, Window};
use canary_core::read::{csv_header, read_csv, write_csv_row};
use canary_core::series;
use canary_core::time::format_postgres;
use canary_core::EventStore;
use criterion::{Criterion, SamplingMode};

/// Events of the benchmark proper, and of criterion's test mode.
const EVENTS: usize = 1_000_000;
const TEST_MODE_EVENTS: usize = 20_000;
/// Runs timed for the PostgreSQL comparison (after one warm-up run), on both sides.
const RUNS: usize = 5;
/// The target of (core all-metrics time) / (PostgreSQL grouped percentile time).
const TARGET_RATIO: f64 = 0.2;

fn main() {
    // Criterion's own rule: benchmarks under `cargo bench`, one quick pass otherwise.
    let args: Vec<String> = std::env::args().collect();
    let bench_mode = args.iter().any(|a| a == "--bench") && !args.iter().any(|a| a == "--test");
    let events = if bench_mode { EVENTS } else { TEST_MODE_EVENTS };

    let started = Instant::now();
    let config = DemoConfig::with_events(events);
    let mut csv = csv_header();
    let mut rows = 0usize;
    for row in demo::rows(&config) {
        write_csv_row(&mut csv, &row);
        rows += 1;
    }
    let mut store = read_csv(&csv).expect("the demo CSV reads back");
    store.shrink_to_fit();
    assert_eq!(store.len(), rows);
    let window = Window::whole(&store).expect("the demo has rows");
    println!(
        "[bench] data: {rows} demo events, CSV {:.1} MB, generated and parsed in {:.1} s",
        csv.len() as f64 / 1e6,
        started.elapsed().as_secs_f64()
    );
    println!(
        "[bench] store: {} heap bytes for {} events = {:.1} bytes/event (after shrink_to_fit)",
        store.heap_bytes(),
        store.len(),
        store.heap_bytes() as f64 / store.len() as f64
    );

    let mut c = Criterion::default().configure_from_args();
    {
        let label = if bench_mode { "1M" } else { "20k" };
        let mut group = c.benchmark_group(format!("core_{label}"));
        // Each iteration of (a) takes about a second: few samples, one iteration each.
        group
            .sample_size(10)
            .sampling_mode(SamplingMode::Flat)
            .warm_up_time(Duration::from_secs(2))
            .measurement_time(Duration::from_secs(8));
        group.bench_function("a_read_csv", |b| {
            b.iter_with_large_drop(|| read_csv(black_box(&csv)).expect("reads"))
        });
        group.bench_function("b_metrics_compute_whole_window", |b| {
            b.iter(|| metrics::compute(black_box(&store), Some(window)))
        });
        group.bench_function("c_series_compute_per_minute", |b| {
            b.iter(|| series::compute_with(black_box(&store), window, MICROS_PER_MINUTE))
        });
        let rules = alerts::default_rules();
        group.bench_function("d_alerts_evaluate_whole_window", |b| {
            b.iter(|| alerts::evaluate(black_box(&store), Some(window), &rules))
        });
        group.finish();
    }

    if bench_mode {
        match std::env::var("CANARY_BENCH_PG") {
            Ok(conninfo) if !conninfo.trim().is_empty() => {
                postgres_comparison(&conninfo, &csv, &store, window);
            }
            _ => println!(
                "[bench] postgres: skipped (CANARY_BENCH_PG is not set; scripts/bench.sh starts a PostgreSQL and sets it)"
            ),
        }
    }
    c.final_summary();
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    let n = xs.len();
    if n % 2 == 1 {
        xs[n / 2]
    } else {
        (xs[n / 2 - 1] + xs[n / 2]) / 2.0
    }
}

/// Runs a psql script (`-A -t`, stop on the first error) and returns its stdout.
fn psql(conninfo: &str, script: &str) -> String {
    let psql = std::env::var("CANARY_PSQL").unwrap_or_else(|_| "psql".to_owned());
    let mut child = Command::new(&psql)
        .args([
            "-X",
            "-q",
            "-v",
            "ON_ERROR_STOP=1",
            "-A",
            "-t",
            "-d",
            conninfo,
            "-f",
            "-",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {psql:?} ({e}); set CANARY_PSQL"));
    let mut stdin = child.stdin.take().expect("psql stdin");
    let script = script.to_owned();
    let writer = std::thread::spawn(move || stdin.write_all(script.as_bytes()));
    let out = child.wait_with_output().expect("psql runs");
    writer.join().expect("stdin writer").expect("write to psql");
    assert!(
        out.status.success(),
        "psql failed ({}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8")
}

/// `Execution Time: X ms` of every `EXPLAIN ANALYZE` in `out`, in milliseconds.
fn execution_times(out: &str) -> Vec<f64> {
    out.lines()
        .filter_map(|l| l.trim().strip_prefix("Execution Time:"))
        .map(|t| {
            t.trim()
                .trim_end_matches("ms")
                .trim()
                .parse::<f64>()
                .expect("a time in ms")
        })
        .collect()
}

/// Loads the rows into PostgreSQL, times the guide's grouped percentile query and the core's
/// whole `metrics::compute` the same way (median of [`RUNS`] after a warm-up), prints the ratio.
fn postgres_comparison(conninfo: &str, csv: &str, store: &EventStore, window: Window) {
    let dir = std::env::temp_dir().join(format!("canary-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("events.csv");
    std::fs::write(&file, csv).expect("write the CSV");
    let path = file.to_str().expect("UTF-8 path");
    assert!(!path.contains('\''));
    let schema = "canary_bench";

    let started = Instant::now();
    psql(
        conninfo,
        &format!(
            "DROP SCHEMA IF EXISTS {schema} CASCADE;\nCREATE SCHEMA {schema};\n\
             SET search_path = {schema};\n\
             create table observability_events (id bigint primary key, event_type text not null, \
             success boolean, cache_hit boolean, processing_time_ms double precision, \
             cache_key text, details jsonb not null default '{{}}', \
             created_at timestamptz not null);\n\
             \\copy observability_events from '{path}' with (format csv, header true)\n\
             vacuum analyze observability_events;\n"
        ),
    );
    let load_s = started.elapsed().as_secs_f64();
    let settings = psql(
        conninfo,
        "select version(); show work_mem; show max_parallel_workers_per_gather; show jit;",
    );
    let settings: Vec<&str> = settings.lines().map(str::trim).collect();
    println!(
        "[bench] postgres: {} rows loaded in {load_s:.1} s; {}",
        store.len(),
        settings.first().copied().unwrap_or("?")
    );
    println!(
        "[bench] postgres settings: work_mem={} max_parallel_workers_per_gather={} jit={}",
        settings.get(1).copied().unwrap_or("?"),
        settings.get(2).copied().unwrap_or("?"),
        settings.get(3).copied().unwrap_or("?")
    );

    // The guide's query, windowed like every test of the product: the whole data set.
    let query = format!(
        "SELECT
           details->>'endpoint' as endpoint,
           COUNT(*) as requests,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY processing_time_ms) as p50_ms,
           percentile_cont(0.95) WITHIN GROUP (ORDER BY processing_time_ms) as p95_ms,
           percentile_cont(0.99) WITHIN GROUP (ORDER BY processing_time_ms) as p99_ms
         FROM observability_events
         WHERE event_type = 'request_completed'
           AND created_at >= '{}' AND created_at < '{}'
         GROUP BY details->>'endpoint'
         ORDER BY requests DESC",
        format_postgres(window.from),
        format_postgres(window.to)
    );
    let mut script = format!("SET search_path = {schema};\n");
    for _ in 0..=RUNS {
        script.push_str("EXPLAIN (ANALYZE, TIMING OFF) ");
        script.push_str(&query);
        script.push_str(";\n");
    }
    let out = psql(conninfo, &script);
    let times = execution_times(&out);
    assert_eq!(times.len(), RUNS + 1, "EXPLAIN output:\n{out}");
    let pg_ms = median(times[1..].to_vec());
    // Whether PostgreSQL used parallel workers or JIT (its defaults decide; nothing is tuned).
    let plan = |needle: &str| if out.contains(needle) { "yes" } else { "no" };
    println!(
        "[bench] postgres: guide's percentile_cont by endpoint, whole window: median {pg_ms:.1} ms of {RUNS} runs {:?} (EXPLAIN ANALYZE execution time; parallel workers: {}, JIT: {})",
        times[1..]
            .iter()
            .map(|t| (t * 10.0).round() / 10.0)
            .collect::<Vec<_>>(),
        plan("Workers Launched"),
        plan("JIT:")
    );

    // The core's all-metrics time, measured the same way.
    black_box(metrics::compute(store, Some(window)));
    let core: Vec<f64> = (0..RUNS)
        .map(|_| {
            let t = Instant::now();
            black_box(metrics::compute(black_box(store), Some(window)));
            t.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    let core_ms = median(core);
    let ratio = core_ms / pg_ms;
    println!("[bench] core: metrics::compute (all metrics), whole window: median {core_ms:.1} ms of {RUNS} runs");
    println!(
        "[bench] ratio core all-metrics / postgres grouped percentiles = {core_ms:.1} / {pg_ms:.1} = {ratio:.3} (target <= {TARGET_RATIO}: {})",
        if ratio <= TARGET_RATIO { "met" } else { "NOT met" }
    );

    psql(conninfo, &format!("DROP SCHEMA {schema} CASCADE;"));
    let _ = std::fs::remove_dir_all(Path::new(&dir));
}
