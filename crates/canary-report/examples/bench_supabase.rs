//! The Supabase read benchmark (scripts/bench-supabase.sh starts the stack and runs it):
//! ~200,000 demo events through the real PostgREST 12.0.2 behind nginx on loopback.
//!
//! - bytes per event on the wire and total time (transfer + parsing into the store) of the
//!   console's read (per-type `select`, one-letter aliases, `text/csv`; and the same as JSON),
//!   against the plain `select=*` JSON read (keyset pages of 1,000, parsed by the JSON reader);
//! - an incremental refresh after 1,000 new rows against the full read.
//!
//! Targets: the console's read ≤ 1/3 of the bytes of `select=*` JSON; the refresh ≤ 1/50 of
//! the full read. Needs the environment of scripts/supabase-local.sh.

use std::io::Write as _;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use canary_core::demo::{rows as demo_rows, DemoConfig};
use canary_core::read::{csv_header, json_row, write_csv_row};
use canary_core::supabase::{PagedRead, Progress, ReadPlan, SupabaseConfig, WireFormat};
use canary_core::EventStore;
use serde_json::value::RawValue;

/// Timed runs of each read; the median is reported.
const RUNS: usize = 5;
const NEW_ROWS: usize = 1000;

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!("{name} is not set: run `bash scripts/bench-supabase.sh` (it starts the stack)")
    })
}

fn psql(db: &str, script: &str) {
    let mut child = Command::new(std::env::var("CANARY_PSQL").unwrap_or_else(|_| "psql".into()))
        .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", db, "-f", "-"])
        .stdin(Stdio::piped())
        .spawn()
        .expect("psql runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(script.as_bytes())
        .expect("write the script");
    assert!(child.wait().expect("psql").success(), "psql failed");
}

fn load(db: &str, rows: &[canary_core::EventRow<'_>], name: &str) {
    let path = std::env::temp_dir().join(format!("canary-bench-{}-{name}.csv", std::process::id()));
    let mut text = csv_header();
    for r in rows {
        write_csv_row(&mut text, r);
    }
    std::fs::write(&path, text).expect("write CSV");
    psql(
        db,
        &format!(
            "\\copy observability_events from '{}' with (format csv, header true)\nvacuum analyze observability_events;",
            path.display()
        ),
    );
    let _ = std::fs::remove_file(path);
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(60)))
        .build()
        .into()
}

struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

fn get(agent: &ureq::Agent, url: &str, headers: &[(&str, String)]) -> Answer {
    let mut call = agent.get(url);
    for (k, v) in headers {
        call = call.header(*k, v);
    }
    let mut response = call.call().expect("the request is answered");
    let status = response.status().as_u16();
    let headers = response
        .headers()
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_owned()))
        .collect();
    let body = response
        .body_mut()
        .with_config()
        .limit(1 << 30)
        .read_to_vec()
        .expect("body");
    Answer {
        status,
        headers,
        body,
    }
}

/// One read with the console's client into `store`.
fn console_read(
    agent: &ureq::Agent,
    config: &SupabaseConfig,
    plan: ReadPlan,
    store: &mut EventStore,
) -> Progress {
    let mut read = PagedRead::new(config, plan);
    let mut batch = store.batch();
    let mut progress = Progress::default();
    while let Some(request) = read.next_request() {
        std::thread::sleep(Duration::from_millis(request.delay_ms));
        let a = get(agent, &request.url, &request.headers);
        let headers: Vec<(&str, &str)> = a
            .headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        progress = read
            .on_response(a.status, &headers, &a.body, &mut batch)
            .unwrap_or_else(|e| panic!("read failed: {e}"));
    }
    progress
}

/// The plain read: `select=*` JSON in keyset pages of 1,000, parsed by the JSON reader.
fn star_read(agent: &ureq::Agent, config: &SupabaseConfig) -> (u64, u64, u32) {
    let mut headers = config.auth_headers();
    headers.push(("Accept", "application/json".into()));
    let mut store = EventStore::new();
    let mut batch = store.batch();
    let (mut bytes, mut rows, mut requests, mut last) = (0u64, 0u64, 0u32, i64::MIN);
    loop {
        let url = format!(
            "{}?select=*&order=id.asc&id=gt.{last}&limit=1000",
            config.table_url()
        );
        let a = get(agent, &url, &headers);
        assert_eq!(a.status, 200, "{}", String::from_utf8_lossy(&a.body));
        requests += 1;
        bytes += a.body.len() as u64;
        let page: Vec<&RawValue> = serde_json::from_slice(&a.body).expect("JSON array");
        if page.is_empty() {
            break;
        }
        for item in &page {
            rows += 1;
            json_row(&mut batch, item, rows).expect("a row");
        }
        let tail: serde_json::Value =
            serde_json::from_str(page[page.len() - 1].get()).expect("row");
        last = tail["id"].as_i64().expect("id");
    }
    drop(batch);
    assert_eq!(store.len() as u64, rows);
    (bytes, rows, requests)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn timed<T>(f: impl FnMut() -> T) -> (T, f64) {
    let mut f = f;
    let mut times = Vec::new();
    let mut last = None;
    for _ in 0..RUNS {
        let start = Instant::now();
        last = Some(f());
        times.push(start.elapsed().as_secs_f64());
    }
    (last.expect("runs"), median(times))
}

fn main() {
    let url = env("CANARY_SUPABASE_URL");
    let db = env("CANARY_SUPABASE_DB");
    let config = SupabaseConfig::new(&url, &env("CANARY_SUPABASE_ANON_KEY"))
        .and_then(|c| c.with_access_token(&env("CANARY_SUPABASE_USER_TOKEN")))
        .expect("the stack's keys");

    // ~203,000 demo rows now, the last 1,000 of the day later.
    let rows: Vec<_> = demo_rows(&DemoConfig::with_events(202_000)).collect();
    let (old, new) = rows.split_at(rows.len() - NEW_ROWS);
    psql(&db, "truncate observability_events;");
    load(&db, old, "old");
    let events = old.len();
    println!("[bench] {events} demo events in observability_events; PostgREST 12.0.2 behind nginx on loopback, db-max-rows 1000; median of {RUNS} runs");

    let agent = agent();
    // Warm up the connection pool and PostgreSQL's caches.
    star_read(&agent, &config);

    let ((star_bytes, star_rows, star_requests), star_time) = timed(|| star_read(&agent, &config));
    assert_eq!(star_rows as usize, events);
    let line = |name: &str, bytes: u64, requests: u32, secs: f64| {
        println!(
            "[bench] {name:<44} {:>8.2} MB {:>6.1} B/event {:>4} requests {:>7.3} s  bytes {:.3} of select=*",
            bytes as f64 / 1e6,
            bytes as f64 / events as f64,
            requests,
            secs,
            bytes as f64 / star_bytes as f64
        );
    };
    line(
        "select=* JSON (keyset pages of 1000)",
        star_bytes,
        star_requests,
        star_time,
    );

    let mut full = EventStore::new();
    let mut results = Vec::new();
    for format in [WireFormat::Json, WireFormat::Csv] {
        let (progress, secs) = timed(|| {
            let mut store = EventStore::new();
            let plan = ReadPlan {
                format,
                ..ReadPlan::window(None, None)
            };
            let p = console_read(&agent, &config, plan, &mut store);
            full = store;
            p
        });
        assert_eq!(progress.rows as usize, events);
        let name = format!("console read, per-type select, {format:?}");
        line(&name, progress.bytes, progress.requests, secs);
        results.push((format, progress, secs));
    }
    let (_, csv, csv_secs) = results.pop().expect("CSV run");

    // 1,000 new rows, then the refresh (repeated on copies of the full store).
    load(&db, new, "new");
    // (The copy of the store each run starts from is made outside the timing.)
    let mut times = Vec::new();
    let mut refresh = Progress::default();
    for _ in 0..RUNS {
        let mut store = full.clone();
        let start = Instant::now();
        // The demo day lies in the past: the refresh's overlap for late commits holds none of it.
        let clock = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("clock")
            .as_micros() as i64;
        let plan = ReadPlan::refresh(None, None, &store, clock);
        refresh = console_read(&agent, &config, plan, &mut store);
        times.push(start.elapsed().as_secs_f64());
    }
    let refresh_secs = median(times);
    assert_eq!(refresh.rows as usize, NEW_ROWS);
    line(
        "incremental refresh after 1000 new rows",
        refresh.bytes,
        refresh.requests,
        refresh_secs,
    );

    let bytes_ratio = csv.bytes as f64 / star_bytes as f64;
    let refresh_bytes = refresh.bytes as f64 / csv.bytes as f64;
    let refresh_time = refresh_secs / csv_secs;
    println!("[bench] console read / select=* JSON, bytes: {bytes_ratio:.3} (target <= 0.333)");
    println!(
        "[bench] console read / select=* JSON, time:  {:.3}",
        csv_secs / star_time
    );
    println!("[bench] refresh / full read, bytes: {refresh_bytes:.4}, time: {refresh_time:.4} (target <= 0.02)");
    let ok = bytes_ratio <= 1.0 / 3.0 && refresh_bytes <= 0.02 && refresh_time <= 0.02;
    println!("[bench] targets {}", if ok { "met" } else { "MISSED" });
}
