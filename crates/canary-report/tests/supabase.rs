//! Reading from Supabase, against real components: PostgreSQL 15, PostgREST 12.0.2 (the npm
//! binary) with `db-max-rows = 1000` and Supabase's roles, behind nginx acting as Supabase's
//! gateway (401 without an `apikey`), all on loopback, started by `scripts/supabase-local.sh`.
//!
//! - A 30,000-row demo day: `canary-report metrics --supabase-url … --json` prints the same
//!   bytes as the file path on PostgreSQL's own `\copy` export, whole day and a part of it, and
//!   its headline numbers equal PostgreSQL's SQL (percentiles and counts exactly, means to
//!   1e-9; `postgres_exactness` checks every number of the file path bit for bit).
//! - Paging past the server's cap, and rows inserted while a read pages: none lost or doubled.
//! - An incremental refresh fetches only the new rows and then equals a full read.
//! - Every error of `canary_core::supabase`, produced for real, and its message.
//! - RLS: the anon key sees nothing where only `authenticated` may read, and the CLI says why.
//! - Team access (`sql/002_team_access.sql`) with real JWTs: a member reads; a non-member, an
//!   anonymous sign-in and the anon key alone are told "not a member of this team" (and RLS
//!   gives them no rows); an expired token is told to sign in again.
//! - The CLI's sign-in through the Supabase Auth stand-in (tests/auth-standin) on the same
//!   gateway: password, a rotating refresh-token file, and what each failure says.
//!
//! They are `#[ignore]`d so a plain `cargo test` skips them; run them with
//!
//! ```text
//! bash scripts/test.sh            # step "supabase" starts the stack
//! # or by hand:
//! bash scripts/supabase-local.sh run \
//!   cargo test -p canary-report --test supabase -- --include-ignored
//! ```
//!
//! Without the stack's environment (`CANARY_SUPABASE_URL` and friends) they FAIL, never pass
//! silently. Each test works in its own time slot and id range of the one shared table, so
//! they run in parallel.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use canary_core::demo::{rows as demo_rows, DemoConfig};
use canary_core::event::{EventRow, Micros, MICROS_PER_HOUR};
use canary_core::read::{csv_header, write_csv_row};
use canary_core::supabase::team::{membership_request, read_membership, Membership};
use canary_core::supabase::{
    exact_extent_request, read_exact_extent, ExactExtent, PagedRead, Progress, ReadPlan, Request,
    SupabaseConfig, SupabaseError, WireFormat,
};
use canary_core::time::{format_postgres, format_rfc3339};
use canary_core::EventStore;
use serde::Deserialize;
use serde_json::value::RawValue;

const H: Micros = MICROS_PER_HOUR;
/// Slots are this far apart in time; slot k's ids start at k * ID_STRIDE.
const SLOT_SPAN: Micros = 10 * 24 * H;
const ID_STRIDE: i64 = 10_000_000;

// -------------------------------------------------------------------------------------------
// The stack

struct Stack {
    url: String,
    anon: String,
    user: String,
    service: String,
    secret: String,
    publishable: String,
    expired: String,
    foreign: String,
    /// A signed-in user who is not a team member, and an anonymous sign-in.
    outsider: String,
    anonymous: String,
    db: String,
    psql: String,
}

/// What to do when `name` is not set.
fn how_to(name: &str) -> String {
    format!(
        "{name} is not set: these tests need the local Supabase stand-in (PostgreSQL 15 + \
         PostgREST 12.0.2 + nginx on loopback). Run `bash scripts/test.sh` (step \"Supabase REST \
         path\"), or by hand: `bash scripts/install-tools.sh test && bash \
         scripts/supabase-local.sh run cargo test -p canary-report --test supabase -- \
         --include-ignored`"
    )
}

impl Stack {
    /// The environment `scripts/supabase-local.sh` exports; panics (the test fails) without it.
    fn from_env() -> Stack {
        let var = |name: &str| match std::env::var(name) {
            Ok(v) if !v.trim().is_empty() => v,
            _ => panic!("{}", how_to(name)),
        };
        Stack {
            url: var("CANARY_SUPABASE_URL"),
            anon: var("CANARY_SUPABASE_ANON_KEY"),
            user: var("CANARY_SUPABASE_USER_TOKEN"),
            service: var("CANARY_SUPABASE_SERVICE_KEY"),
            secret: var("CANARY_SUPABASE_SECRET_KEY"),
            publishable: var("CANARY_SUPABASE_PUBLISHABLE_KEY"),
            expired: var("CANARY_SUPABASE_EXPIRED_TOKEN"),
            foreign: var("CANARY_SUPABASE_FOREIGN_TOKEN"),
            outsider: var("CANARY_SUPABASE_OUTSIDER_TOKEN"),
            anonymous: var("CANARY_SUPABASE_ANONYMOUS_TOKEN"),
            db: var("CANARY_SUPABASE_DB"),
            psql: std::env::var("CANARY_PSQL").unwrap_or_else(|_| "psql".to_owned()),
        }
    }

    /// The signed-in configuration (anon key + user token) for a project URL.
    fn user_config(&self, url: &str) -> SupabaseConfig {
        SupabaseConfig::new(url, &self.anon)
            .and_then(|c| c.with_access_token(&self.user))
            .expect("the stack's keys are valid")
    }

    /// Runs an SQL script as the superuser; returns psql's unaligned, tuples-only output.
    fn sql(&self, script: &str) -> String {
        let mut child = Command::new(&self.psql)
            .args([
                "-X",
                "-q",
                "-A",
                "-t",
                "-v",
                "ON_ERROR_STOP=1",
                "-d",
                &self.db,
            ])
            .args(["-c", "SET TIME ZONE 'UTC'", "-f", "-"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {:?} ({e}): set CANARY_PSQL", self.psql));
        let mut stdin = child.stdin.take().expect("psql stdin");
        let text = script.to_owned();
        let writer = std::thread::spawn(move || stdin.write_all(text.as_bytes()));
        let out = child.wait_with_output().expect("psql runs");
        writer.join().expect("writer").expect("write the script");
        assert!(
            out.status.success(),
            "psql failed: {}\n{script}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("UTF-8")
    }
}

/// A test's own piece of the shared table: a time span and an id range.
struct Slot {
    k: i64,
    dir: PathBuf,
}

impl Slot {
    /// Slot `k`, emptied of what an earlier run against the same stack left in it.
    fn new(stack: &Stack, k: i64) -> Slot {
        let dir = std::env::temp_dir().join(format!("canary-supabase-{}-{k}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("scratch dir");
        let slot = Slot { k, dir };
        stack.sql(&format!(
            "delete from observability_events where id >= {} and id < {};",
            slot.id_base(),
            slot.id_base() + ID_STRIDE
        ));
        slot
    }

    fn shift(&self) -> Micros {
        self.k * SLOT_SPAN
    }

    fn id_base(&self) -> i64 {
        self.k * ID_STRIDE
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// A demo day of about `events` rows moved into this slot.
    fn rows(&self, events: usize) -> Vec<EventRow<'static>> {
        demo_rows(&DemoConfig::with_events(events))
            .map(|mut r| {
                r.id += self.id_base();
                r.created_at += self.shift();
                r
            })
            .collect()
    }

    /// Loads rows into the table (as the superuser: RLS does not apply).
    fn load(&self, stack: &Stack, rows: &[EventRow<'_>]) {
        let path = self.path("load.csv");
        let mut text = csv_header();
        for r in rows {
            write_csv_row(&mut text, r);
        }
        std::fs::write(&path, text).expect("write CSV");
        stack.sql(&format!(
            "\\copy observability_events from '{}' with (format csv, header true)\nanalyze observability_events;",
            path.display()
        ));
    }

    /// PostgreSQL's own export of this slot's rows: the file path's input.
    fn export(&self, stack: &Stack) -> PathBuf {
        let path = self.path("export.csv");
        stack.sql(&format!(
            "\\copy (select * from observability_events where id >= {} and id < {} order by id) to '{}' with (format csv, header true)",
            self.id_base(),
            self.id_base() + ID_STRIDE,
            path.display()
        ));
        path
    }

    /// The ids of this slot's rows in `store`, sorted.
    fn ids_in(&self, store: &EventStore) -> Vec<i64> {
        let range = self.id_base()..self.id_base() + ID_STRIDE;
        let mut ids: Vec<i64> = store
            .ids()
            .iter()
            .copied()
            .filter(|id| range.contains(id))
            .collect();
        ids.sort_unstable();
        ids
    }

    /// `created_at >= from and created_at < to` in SQL.
    fn between(from: Micros, to: Micros) -> String {
        format!(
            "created_at >= '{}' and created_at < '{}'",
            format_postgres(from),
            format_postgres(to)
        )
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

// -------------------------------------------------------------------------------------------
// Two ways to read: the CLI, and the core driven here with ureq

/// Runs `canary-report` with only the given Supabase variables set.
fn cli(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_canary-report"));
    cmd.args(args)
        .env_remove("SUPABASE_ANON_KEY")
        .env_remove("SUPABASE_ACCESS_TOKEN")
        .env_remove("SUPABASE_EMAIL")
        .env_remove("SUPABASE_PASSWORD")
        .env_remove("SUPABASE_REFRESH_TOKEN_FILE");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("canary-report runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// What one read through the core did.
struct Read {
    result: Result<Progress, SupabaseError>,
    read: PagedRead,
}

/// Drives a [`PagedRead`] with a blocking client, into `store`. `tamper` may change each
/// request before it is sent (to produce errors the client never makes by itself).
fn read_into(
    store: &mut EventStore,
    config: &SupabaseConfig,
    plan: ReadPlan,
    tamper: &dyn Fn(&mut Request),
) -> Read {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into();
    let mut read = PagedRead::new(config, plan);
    let mut batch = store.batch();
    let mut result = Ok(Progress::default());
    while let Some(mut request) = read.next_request() {
        tamper(&mut request);
        std::thread::sleep(Duration::from_millis(request.delay_ms));
        let answer = match &request.body {
            None => {
                let mut call = agent.get(&request.url);
                for (name, value) in &request.headers {
                    call = call.header(*name, value);
                }
                call.call()
            }
            Some(body) => {
                let mut call = agent.post(&request.url);
                for (name, value) in &request.headers {
                    call = call.header(*name, value);
                }
                call.send(body.as_str())
            }
        };
        result = match answer {
            Ok(mut response) => {
                let status = response.status().as_u16();
                let headers: Vec<(String, String)> = response
                    .headers()
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_owned()))
                    .collect();
                let body = response.body_mut().read_to_vec().expect("read the body");
                let headers: Vec<(&str, &str)> = headers
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_str()))
                    .collect();
                read.on_response(status, &headers, &body, &mut batch)
            }
            Err(e) => read.on_transport_error(&e.to_string(), &mut batch),
        };
        if result.is_err() {
            break;
        }
    }
    drop(batch);
    Read { result, read }
}

fn no_tamper(_: &mut Request) {}

// -------------------------------------------------------------------------------------------
// The metrics JSON, with exact numbers

#[derive(Deserialize)]
struct Out<'a> {
    #[serde(borrow)]
    latency: Latency<'a>,
    #[serde(borrow)]
    latency_by_endpoint: Vec<Endpoint<'a>>,
    #[serde(borrow)]
    errors: Errors<'a>,
    #[serde(borrow)]
    cache: Cache<'a>,
    #[serde(borrow)]
    mem0: Mem0<'a>,
}

#[derive(Deserialize)]
struct Latency<'a> {
    requests: u64,
    #[serde(borrow)]
    p50_ms: &'a RawValue,
    #[serde(borrow)]
    p95_ms: &'a RawValue,
    #[serde(borrow)]
    p99_ms: &'a RawValue,
    #[serde(borrow)]
    mean_ms: &'a RawValue,
}

#[derive(Deserialize)]
struct Endpoint<'a> {
    endpoint: Option<String>,
    requests: u64,
    #[serde(borrow)]
    p50_ms: &'a RawValue,
    #[serde(borrow)]
    p95_ms: &'a RawValue,
    #[serde(borrow)]
    p99_ms: &'a RawValue,
}

#[derive(Deserialize)]
struct Errors<'a> {
    requests: u64,
    failures: u64,
    #[serde(borrow)]
    error_rate_pct: &'a RawValue,
}

#[derive(Deserialize)]
struct Cache<'a> {
    accesses: u64,
    hits: u64,
    #[serde(borrow)]
    hit_rate_pct: &'a RawValue,
}

#[derive(Deserialize)]
struct Mem0<'a> {
    total_writes: u64,
    #[serde(borrow)]
    success_rate_pct: &'a RawValue,
    #[serde(borrow)]
    avg_write_time_ms: &'a RawValue,
    #[serde(borrow)]
    max_write_time_ms: &'a RawValue,
    slow_writes_over_5s: u64,
}

/// A JSON number (or null) as f64, parsed from its text (correctly rounded).
fn num(raw: &RawValue) -> Option<f64> {
    let t = raw.get();
    (t != "null").then(|| t.parse().expect("a JSON number"))
}

/// A PostgreSQL float8's text (shortest exact output) as f64.
fn pg_num(text: &str) -> Option<f64> {
    (!text.is_empty()).then(|| text.parse().expect("a float8"))
}

/// `what` equal exactly, or to 1e-9 relative where `close` (sums in another order).
fn same(what: &str, core: Option<f64>, pg: Option<f64>, close: bool, problems: &mut Vec<String>) {
    let ok = match (core, pg) {
        (Some(a), Some(b)) if close => (a - b).abs() <= 1e-9 * a.abs().max(b.abs()),
        (Some(a), Some(b)) => a.to_bits() == b.to_bits(),
        (None, None) => true,
        _ => false,
    };
    if !ok {
        problems.push(format!("{what}: canary-report {core:?}, PostgreSQL {pg:?}"));
    }
}

/// The headline numbers of `json` against the guide's SQL on `[from, to)`.
fn check_against_sql(stack: &Stack, json: &str, from: Micros, to: Micros) {
    let out: Out = serde_json::from_str(json).expect("metrics JSON");
    let w = Slot::between(from, to);
    // docs/metrics.md#data: a NaN latency is skipped from the metric it would corrupt.
    let ok = "processing_time_ms <> 'NaN'::float8";
    let pct = |p: &str| {
        format!(
            "percentile_cont({p}) within group (order by processing_time_ms) filter (where {ok})"
        )
    };
    let script = format!(
        "select count(*), {}, {}, {}, avg(processing_time_ms) filter (where {ok}), \
           count(*) filter (where success = false), \
           count(*) filter (where success = false)::float / nullif(count(*), 0) * 100 \
         from observability_events where event_type = 'request_completed' and {w};\n\
         select count(*), count(*) filter (where cache_hit), \
           count(*) filter (where cache_hit)::float / nullif(count(*), 0) * 100 \
         from observability_events where event_type = 'cache_access' and {w};\n\
         select count(*), count(*) filter (where success)::float / nullif(count(*), 0) * 100, \
           avg(processing_time_ms) filter (where {ok}), max(processing_time_ms) filter (where {ok}), \
           count(*) filter (where processing_time_ms > 5000) \
         from observability_events where event_type = 'mem0_write' and {w};\n\
         select coalesce(details->>'endpoint', '<null>'), count(*), {}, {}, {} \
         from observability_events where event_type = 'request_completed' and {w} group by 1;",
        pct("0.5"),
        pct("0.95"),
        pct("0.99"),
        pct("0.5"),
        pct("0.95"),
        pct("0.99"),
    );
    let output = stack.sql(&script);
    let lines: Vec<Vec<&str>> = output.lines().map(|l| l.split('|').collect()).collect();
    let count = |s: &str| s.parse::<u64>().expect("a count");
    let mut problems = Vec::new();
    let (req, cache, mem0) = (&lines[0], &lines[1], &lines[2]);
    let counts = [
        ("requests", out.latency.requests, count(req[0])),
        ("errors.requests", out.errors.requests, count(req[0])),
        ("failures", out.errors.failures, count(req[5])),
        ("cache accesses", out.cache.accesses, count(cache[0])),
        ("cache hits", out.cache.hits, count(cache[1])),
        ("mem0 writes", out.mem0.total_writes, count(mem0[0])),
        ("slow writes", out.mem0.slow_writes_over_5s, count(mem0[4])),
    ];
    for (what, core, pg) in counts {
        if core != pg {
            problems.push(format!("{what}: canary-report {core}, PostgreSQL {pg}"));
        }
    }
    let l = &out.latency;
    same("p50", num(l.p50_ms), pg_num(req[1]), false, &mut problems);
    same("p95", num(l.p95_ms), pg_num(req[2]), false, &mut problems);
    same("p99", num(l.p99_ms), pg_num(req[3]), false, &mut problems);
    same("mean", num(l.mean_ms), pg_num(req[4]), true, &mut problems);
    let e = num(out.errors.error_rate_pct);
    same("error rate", e, pg_num(req[6]), false, &mut problems);
    let c = num(out.cache.hit_rate_pct);
    same("hit rate", c, pg_num(cache[2]), false, &mut problems);
    let m = &out.mem0;
    same(
        "mem0 success",
        num(m.success_rate_pct),
        pg_num(mem0[1]),
        false,
        &mut problems,
    );
    same(
        "mem0 avg",
        num(m.avg_write_time_ms),
        pg_num(mem0[2]),
        true,
        &mut problems,
    );
    same(
        "mem0 max",
        num(m.max_write_time_ms),
        pg_num(mem0[3]),
        false,
        &mut problems,
    );
    let by_endpoint: BTreeMap<String, &Vec<&str>> =
        lines[3..].iter().map(|r| (r[0].to_owned(), r)).collect();
    assert_eq!(
        out.latency_by_endpoint.len(),
        by_endpoint.len(),
        "endpoint groups"
    );
    for ep in &out.latency_by_endpoint {
        let name = ep.endpoint.clone().unwrap_or_else(|| "<null>".into());
        let row = by_endpoint[&name];
        if ep.requests != count(row[1]) {
            problems.push(format!("{name} requests"));
        }
        same(
            &format!("{name} p50"),
            num(ep.p50_ms),
            pg_num(row[2]),
            false,
            &mut problems,
        );
        same(
            &format!("{name} p95"),
            num(ep.p95_ms),
            pg_num(row[3]),
            false,
            &mut problems,
        );
        same(
            &format!("{name} p99"),
            num(ep.p99_ms),
            pg_num(row[4]),
            false,
            &mut problems,
        );
    }
    assert!(
        problems.is_empty(),
        "differences from SQL:\n{}",
        problems.join("\n")
    );
    assert!(out.latency.requests > 1000, "the window holds requests");
}

// -------------------------------------------------------------------------------------------
// Tests

#[test]
#[ignore = "needs the local Supabase stack: scripts/test.sh starts one"]
fn rest_metrics_equal_the_file_path_and_sql() {
    let stack = Stack::from_env();
    let slot = Slot::new(&stack, 1);
    let rows = slot.rows(30_000);
    assert!(rows.len() > 25_000);
    slot.load(&stack, &rows);
    let export = slot.export(&stack);
    let export = export.to_str().expect("UTF-8 path");
    let start = rows[0].created_at;
    let end = rows.iter().map(|r| r.created_at).max().expect("rows") + 1;
    let env = [
        ("SUPABASE_ANON_KEY", stack.anon.as_str()),
        ("SUPABASE_ACCESS_TOKEN", stack.user.as_str()),
    ];
    // The whole day, and a part of it that starts after a circuit-breaker cycle began.
    for (from, to) in [(start, end), (start + 5 * H, start + 17 * H)] {
        let (f, t) = (format_rfc3339(from), format_rfc3339(to));
        let common = [
            "--from",
            &f,
            "--to",
            &t,
            "--phase-start",
            &f,
            "--now",
            &t,
            "--json",
        ];
        let rest = cli(
            &[&["metrics", "--supabase-url", &stack.url][..], &common[..]].concat(),
            &env,
        );
        let stderr = text(&rest.stderr);
        assert!(rest.status.success(), "REST read failed: {stderr}");
        let file = cli(
            &[&["metrics", "--input", export][..], &common[..]].concat(),
            &[],
        );
        assert!(file.status.success(), "{}", text(&file.stderr));
        assert_eq!(
            text(&rest.stdout),
            text(&file.stdout),
            "REST and file path differ for {f}..{t}"
        );
        check_against_sql(&stack, &text(&rest.stdout), from, to);
        // Progress went to stderr; more than one page was read; the key never shows.
        assert!(stderr.contains("rows of ~"), "{stderr}");
        for secret in [&stack.anon, &stack.user] {
            assert!(
                !stderr.contains(secret.as_str()) && !text(&rest.stdout).contains(secret.as_str())
            );
        }
    }
    // The text report and the one-line check read the same way.
    let check = cli(
        &[
            "check",
            "--supabase-url",
            &stack.url,
            "--from",
            &format_rfc3339(start),
            "--to",
            &format_rfc3339(end),
        ],
        &env,
    );
    assert!(
        matches!(check.status.code(), Some(0..=2)),
        "{}",
        text(&check.stderr)
    );
}

#[test]
#[ignore = "needs the local Supabase stack: scripts/test.sh starts one"]
fn paging_past_the_cap_and_during_inserts_loses_and_doubles_nothing() {
    let stack = Stack::from_env();
    let slot = Slot::new(&stack, 2);
    let rows = slot.rows(20_000);
    slot.load(&stack, &rows);
    let start = rows[0].created_at;
    let end = start + 30 * H;
    let config = stack.user_config(&stack.url);
    let in_slot = |extra: &str| {
        let ids = stack.sql(&format!(
            "select id from observability_events where {} {extra} order by id",
            Slot::between(start, end)
        ));
        ids.lines()
            .map(|l| l.parse::<i64>().expect("id"))
            .collect::<Vec<_>>()
    };
    // The slot's rows, sorted (a read with a start also holds the newest circuit-breaker
    // transition before it, which may be another slot's).
    let sorted = |store: &EventStore| slot.ids_in(store);

    // Asking for more than db-max-rows: every page comes back capped at 1000 and is not taken
    // for the last one.
    let plan = ReadPlan {
        page_size: 2500,
        ..ReadPlan::window(Some(start), Some(end))
    };
    let mut store = EventStore::new();
    let read = read_into(&mut store, &config, plan, &no_tamper);
    let progress = read.result.expect("read");
    assert_eq!(sorted(&store), in_slot(""));
    assert!(
        progress.requests as usize > rows.len() / 1000,
        "{progress:?}"
    );

    // Rows arrive while the read pages: before every third request (the first included) the
    // backend commits 50 more, one transaction each, ids in commit order. The read covers the
    // ids up to the newest its first request saw: the first batch, whole; later ones are left
    // whole to the next refresh, none half read by some streams.
    let last = rows.last().expect("rows");
    let batches = std::sync::atomic::AtomicI64::new(0);
    let requests = std::sync::atomic::AtomicI64::new(0);
    let insert_batch = |i: i64| {
        stack.sql(&format!(
            "insert into observability_events (id, event_type, success, processing_time_ms, details, created_at) \
             select {} + g, 'request_completed', g % 9 <> 0, 50 + g % 400, '{{\"endpoint\": \"/api/chat\"}}', \
             '{}'::timestamptz + g * interval '1 ms' from generate_series({}, {}) g;",
            last.id,
            format_postgres(last.created_at),
            i * 50 + 1,
            i * 50 + 50
        ))
    };
    let insert_between_pages = |_: &mut Request| {
        use std::sync::atomic::Ordering::SeqCst;
        if requests.fetch_add(1, SeqCst) % 3 == 0 && batches.load(SeqCst) < 30 {
            insert_batch(batches.fetch_add(1, SeqCst));
        }
    };
    let plan = ReadPlan {
        page_size: 300,
        ..ReadPlan::window(Some(start), Some(end))
    };
    let mut store = EventStore::new();
    let read = read_into(&mut store, &config, plan, &insert_between_pages);
    read.result.expect("read during inserts");
    let newest = read.read.newest_id().expect("rows");
    let during = sorted(&store);
    assert!(
        during.windows(2).all(|w| w[0] < w[1]),
        "a row was read twice"
    );
    assert_eq!(during, in_slot(&format!("and id <= {newest}")), "rows lost");
    let seen_new = during.iter().filter(|&&id| id > last.id).count();
    assert_eq!(
        seen_new, 50,
        "the read covers what was committed when it began"
    );
    let overlapped = batches.load(std::sync::atomic::Ordering::SeqCst);
    assert!(
        overlapped > 5,
        "only {overlapped} batches overlapped the read"
    );
    // The remaining batches; the refresh reads them and the later ones of the read.
    for i in batches.load(std::sync::atomic::Ordering::SeqCst)..30 {
        insert_batch(i);
    }
    // A refresh picks up the rest, exactly.
    let plan = ReadPlan::refresh(Some(start), Some(end), &store, now_micros());
    let refresh = read_into(&mut store, &config, plan, &no_tamper);
    refresh.result.expect("refresh");
    assert_eq!(sorted(&store), in_slot(""));
    assert_eq!(sorted(&store).len(), rows.len() + 1500);
}

#[test]
#[ignore = "needs the local Supabase stack: scripts/test.sh starts one"]
fn an_incremental_refresh_reads_only_the_new_rows() {
    let stack = Stack::from_env();
    let slot = Slot::new(&stack, 3);
    let rows = slot.rows(30_000);
    let (old, new): (Vec<_>, Vec<_>) = rows
        .iter()
        .cloned()
        .partition(|r| r.id < rows[rows.len() - 1000].id);
    slot.load(&stack, &old);
    let config = stack.user_config(&stack.url);
    let start = rows[0].created_at;
    let mut store = EventStore::new();
    let full = read_into(
        &mut store,
        &config,
        ReadPlan::window(Some(start), None),
        &no_tamper,
    );
    let full = full.result.expect("full read");
    assert_eq!(slot.ids_in(&store).len(), old.len());

    // 1,000 new rows; the window moves an hour on.
    slot.load(&stack, &new);
    let from = start + H;
    let plan = ReadPlan::refresh(Some(from), None, &store, now_micros());
    let refresh = read_into(&mut store, &config, plan, &no_tamper);
    let refresh = refresh.result.expect("refresh");
    store.retain_from(from);
    assert_eq!(refresh.rows, 1000);
    // The probe (which counts them) and one page; bytes in proportion to the new rows.
    assert_eq!(refresh.requests, 2, "{refresh:?}");
    let per_row = full.bytes as f64 / full.rows as f64;
    assert!(
        (refresh.bytes as f64) < 3.0 * per_row * 1000.0,
        "refresh {} bytes, full read {} bytes for {} rows",
        refresh.bytes,
        full.bytes,
        full.rows
    );
    // The refreshed store is what a full read of the new window gives.
    let mut fresh = EventStore::new();
    read_into(
        &mut fresh,
        &config,
        ReadPlan::window(Some(from), None),
        &no_tamper,
    )
    .result
    .expect("fresh read");
    let window = canary_core::Window::new(from, Micros::MAX);
    assert_eq!(
        serde_json::to_string(&canary_core::metrics::compute(&store, window)).unwrap(),
        serde_json::to_string(&canary_core::metrics::compute(&fresh, window)).unwrap()
    );
    assert_eq!(store.ids(), fresh.ids());
}

/// Asks `canary_exact_extent` (sql/006_exact_read.sql) through the gateway.
fn exact_extent(
    config: &SupabaseConfig,
    from: Option<Micros>,
    to: Option<Micros>,
) -> Option<ExactExtent> {
    let request = exact_extent_request(config, from, to);
    let mut call = ureq::post(&request.url)
        .config()
        .http_status_as_error(false)
        .build();
    for (name, value) in &request.headers {
        call = call.header(*name, value);
    }
    let mut response = call
        .send(request.body.as_deref().unwrap_or(""))
        .expect("an answer");
    let status = response.status().as_u16();
    let body = response.body_mut().read_to_vec().expect("body");
    read_exact_extent(config, status, Some("application/json"), &body).expect("extent")
}

#[test]
#[ignore = "needs the local Supabase stack: scripts/test.sh starts one"]
fn the_exact_read_through_the_functions_equals_the_table_read() {
    let stack = Stack::from_env();
    let slot = Slot::new(&stack, 7);
    let rows = slot.rows(120_000);
    slot.load(&stack, &rows);
    let config = stack.user_config(&stack.url);
    let start = rows[0].created_at;
    let end = rows.iter().map(|r| r.created_at).max().expect("rows") + 1;
    let mut parts_seen = Vec::new();
    for (from, to) in [(start, end), (start + 5 * H, start + 17 * H)] {
        let mut table = EventStore::new();
        let read = read_into(
            &mut table,
            &config,
            ReadPlan::window(Some(from), Some(to)),
            &no_tamper,
        );
        let table_read = read.result.expect("table read");
        let extent = exact_extent(&config, Some(from), Some(to)).expect("the functions exist");
        assert_eq!(extent.rows, table_read.rows, "{extent:?}");
        let plans = extent.plans(Some(from), Some(to), 4);
        // Parts of at least 50,000 rows, at most the four asked for.
        assert_eq!(plans.len() as u64, extent.rows.div_ceil(50_000).min(4));
        // The parts one after the other here; the page reads them at the same time.
        parts_seen.push(plans.len());
        let mut exact = EventStore::new();
        let (mut requests, mut bytes, mut got) = (0, 0, 0);
        for plan in plans {
            let part = read_into(&mut exact, &config, plan, &no_tamper);
            let progress = part.result.expect("exact part");
            assert!(part.read.warnings().is_empty() || progress.rows == 0);
            requests += progress.requests;
            bytes += progress.bytes;
            got += progress.rows;
        }
        assert_eq!(got, extent.rows);
        assert_eq!(exact.ids(), table.ids(), "the same rows, in the same order");
        assert_eq!(exact.load_notes(), table.load_notes());
        let window = canary_core::Window::new(from, to);
        assert_eq!(
            serde_json::to_string(&canary_core::metrics::compute(&exact, window)).unwrap(),
            serde_json::to_string(&canary_core::metrics::compute(&table, window)).unwrap()
        );
        // Pages of 10,000 rows, not the project's 1,000; fewer bytes than the table's CSV.
        assert!(
            requests * 4 < table_read.requests,
            "{requests} requests, the table read {}",
            table_read.requests
        );
        assert!(
            bytes < table_read.bytes,
            "{bytes} bytes, the table read {}",
            table_read.bytes
        );
        eprintln!(
            "exact read of {} rows: {requests} requests, {bytes} bytes; table read: {} requests, {} bytes",
            extent.rows, table_read.requests, table_read.bytes
        );
    }
    assert!(parts_seen[0] >= 2, "the whole day in parts: {parts_seen:?}");
    // A project without the functions: the caller reads the table instead.
    let missing = stack.user_config(&format!("{}/scenario/missing", stack.url));
    assert_eq!(exact_extent(&missing, None, None), None);
}

/// Starts `psql` on `script` in the background (a writer of the table), as the superuser.
fn spawn_sql(stack: &Stack, script: String) -> std::thread::JoinHandle<()> {
    let (psql, db) = (stack.psql.clone(), stack.db.clone());
    std::thread::spawn(move || {
        let mut child = Command::new(&psql)
            .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", &db, "-f", "-"])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("psql runs");
        let mut stdin = child.stdin.take().expect("stdin");
        stdin.write_all(script.as_bytes()).expect("script");
        drop(stdin);
        let out = child.wait_with_output().expect("psql ends");
        assert!(
            out.status.success(),
            "a writer failed: {}",
            text(&out.stderr)
        );
    })
}

#[test]
#[ignore = "needs the local Supabase stack: scripts/test.sh starts one"]
fn refreshes_lose_no_row_of_transactions_that_commit_late() {
    let stack = Stack::from_env();
    let slot = Slot::new(&stack, 6);
    // Ids from a sequence, handed out at insert as the table's identity does; `created_at`
    // the table's default, now(): the transaction's start.
    let seq = "canary_test_late_commit_seq";
    stack.sql(&format!(
        "drop sequence if exists {seq}; create sequence {seq} start {};\n\
         insert into observability_events (id, event_type, success, processing_time_ms, details, created_at) \
         select nextval('{seq}'), 'request_completed', true, g % 300, '{{\"endpoint\": \"/old\"}}', \
         now() - interval '40 minutes' + g * interval '10 ms' from generate_series(1, 3000) g;",
        slot.id_base() + 1
    ));
    let insert = |rows: u32, endpoint: &str| {
        format!(
            "insert into observability_events (id, event_type, success, processing_time_ms, details) \
             select nextval('{seq}'), 'request_completed', g % 7 <> 0, g % 500, '{{\"endpoint\": \"{endpoint}\"}}' \
             from generate_series(1, {rows}) g;\n"
        )
    };
    let committed = || -> Vec<i64> {
        stack
            .sql(&format!(
                "select id from observability_events where id > {} and id < {} order by id",
                slot.id_base(),
                slot.id_base() + ID_STRIDE
            ))
            .lines()
            .map(|l| l.parse().expect("id"))
            .collect()
    };
    let config = stack.user_config(&stack.url);
    let from = now_micros() - H;
    let small_pages = |plan: ReadPlan| ReadPlan {
        page_size: 150,
        ..plan
    };
    // The page's read: a full read, then refreshes with the core's cursor. Beside it, the
    // cursor refreshes used to take (the newest id held), to show the race is real.
    let mut started = now_micros();
    let mut store = EventStore::new();
    let full = read_into(
        &mut store,
        &config,
        small_pages(ReadPlan::window(Some(from), None)),
        &no_tamper,
    );
    full.result.expect("full read");
    let mut newest_only = store.clone();
    assert_eq!(slot.ids_in(&store), committed());

    // Writers: three steady ones committing 20 rows at a time, and six transactions that each
    // insert, stay open across several refreshes (2 to 7 s), insert more, then commit.
    let mut writers = Vec::new();
    for w in 0..3 {
        let mut script = String::new();
        for i in 0..60 {
            script.push_str(&insert(20, &format!("/steady{w}")));
            script.push_str(&format!("select pg_sleep(0.{});\n", 1 + (i + w) % 3));
        }
        writers.push(spawn_sql(&stack, script));
    }
    for t in 0..6 {
        let script = format!(
            "select pg_sleep({});\nbegin;\n{}select pg_sleep({});\n{}commit;\n",
            t,
            insert(30, &format!("/late{t}")),
            2 + t,
            insert(10, &format!("/late{t}"))
        );
        writers.push(spawn_sql(&stack, script));
    }
    let refresh = |store: &mut EventStore, plan: ReadPlan| {
        read_into(store, &config, small_pages(plan), &no_tamper)
            .result
            .expect("refresh");
        store.retain_from(from);
    };
    let mut refreshes = 0;
    let mut checked_late = false;
    while writers.iter().any(|w| !w.is_finished()) || refreshes < 3 {
        std::thread::sleep(Duration::from_millis(700));
        // Every row committed before the refresh begins must be held after it.
        let before = committed();
        let this_start = now_micros();
        let plan = ReadPlan::refresh(Some(from), None, &store, started);
        refresh(&mut store, plan);
        started = this_start;
        let held = slot.ids_in(&store);
        let missing: Vec<&i64> = before
            .iter()
            .filter(|id| held.binary_search(id).is_err())
            .collect();
        assert!(missing.is_empty(), "refresh {refreshes} lost {missing:?}");
        assert_eq!(
            store.load_notes().duplicate_ids,
            0,
            "the overlap is not a data problem"
        );
        let plan = ReadPlan {
            after_id: newest_only.max_id(),
            estimate: false,
            ..ReadPlan::window(Some(from), None)
        };
        refresh(&mut newest_only, plan);
        refreshes += 1;
        checked_late |= before.len() > 3000 + 6 * 40;
    }
    for w in writers {
        w.join().expect("writer");
    }
    let plan = ReadPlan::refresh(Some(from), None, &store, started);
    refresh(&mut store, plan);
    let plan = ReadPlan {
        after_id: newest_only.max_id(),
        estimate: false,
        ..ReadPlan::window(Some(from), None)
    };
    refresh(&mut newest_only, plan);
    let all = committed();
    assert_eq!(all.len(), 3000 + 3 * 60 * 20 + 6 * 40);
    assert!(refreshes >= 8 && checked_late, "{refreshes} refreshes");
    assert_eq!(slot.ids_in(&store), all, "rows lost or doubled");
    let lost = all.len() - slot.ids_in(&newest_only).len();
    assert!(
        lost > 0,
        "the newest-id cursor lost nothing: the writers did not race the refreshes"
    );
    // The refreshed store equals a full read now.
    let mut fresh = EventStore::new();
    read_into(
        &mut fresh,
        &config,
        ReadPlan::window(Some(from), None),
        &no_tamper,
    )
    .result
    .expect("fresh read");
    let window = canary_core::Window::new(from, Micros::MAX);
    assert_eq!(
        serde_json::to_string(&canary_core::metrics::compute(&store, window)).unwrap(),
        serde_json::to_string(&canary_core::metrics::compute(&fresh, window)).unwrap()
    );
    eprintln!(
        "{refreshes} refreshes during the writes; the newest-id cursor lost {lost} of {} rows",
        all.len()
    );
    stack.sql(&format!("drop sequence {seq};"));
}

/// One error case: the project URL, the key (and user token), how the request is tampered
/// with, the wire format, and the start of the message expected.
fn check_error(
    stack: &Stack,
    url: &str,
    key: &str,
    token: Option<&str>,
    tamper: &(dyn Fn(&mut Request) + Sync),
    format: WireFormat,
    expected: &str,
) {
    let mut config = SupabaseConfig::new(url, key).expect("config");
    if let Some(token) = token {
        config = config.with_access_token(token).expect("token");
    }
    let plan = ReadPlan {
        format,
        ..ReadPlan::window(None, None)
    };
    let mut store = EventStore::new();
    let read = read_into(&mut store, &config, plan, tamper);
    let message = match read.result {
        Err(e) => e.to_string(),
        Ok(p) => panic!("{url}: expected an error, the read gave {p:?}"),
    };
    assert!(
        message.starts_with(expected),
        "{url}:\n  got      {message}\n  expected {expected}…"
    );
    assert!(store.is_empty(), "a failed read left rows behind");
    for secret in [key, token.unwrap_or(key), &stack.service] {
        assert!(!message.contains(secret), "the message shows a key");
    }
}

#[test]
#[ignore = "needs the local Supabase stack: scripts/test.sh starts one"]
fn every_error_is_produced_for_real_and_says_what_to_do() {
    let stack = Stack::from_env();
    let url = stack.url.as_str();
    let scenario = |name: &str| format!("{url}/scenario/{name}");
    let user = Some(stack.user.as_str());
    let anon = stack.anon.as_str();
    let csv = WireFormat::Csv;
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        format!("http://{}", l.local_addr().expect("addr"))
    };
    let unreachable = format!("could not reach {closed}/rest/v1/observability_events (");
    let strip_key = |r: &mut Request| r.headers.retain(|(k, _)| *k != "apikey");
    let break_filter =
        |r: &mut Request| r.url = r.url.replace("select=i:id", "select=i:id&id=gtx.5");
    #[allow(clippy::type_complexity)]
    let cases: Vec<(String, &str, Option<&str>, &(dyn Fn(&mut Request) + Sync), WireFormat, &str)> = vec![
        (url.into(), anon, user, &strip_key, csv,
         "the gateway got no API key (401: No API key found in request"),
        (url.into(), anon, Some(stack.foreign.as_str()), &no_tamper, csv,
         "the key was not accepted (401: PGRST301 JWSError JWSInvalidSignature)"),
        (url.into(), "sb_publishable_notThisProjectsKey", None, &no_tamper, csv,
         "the key was not accepted (401: Invalid API key"),
        (url.into(), anon, Some(stack.expired.as_str()), &no_tamper, csv,
         "the token has expired (401: PGRST301 JWT expired): sign in again"),
        (url.into(), anon, None, &no_tamper, csv,
         "permission denied for the role \"anon\" (401: 42501 permission denied for table observability_events): sql/001_observability_events.sql lets only signed-in users"),
        (url.into(), stack.publishable.as_str(), None, &no_tamper, csv,
         "permission denied for the role \"anon\" (401: 42501"),
        (scenario("missing"), anon, user, &no_tamper, csv,
         "the table observability_events does not exist in this project (42P01"),
        (scenario("old"), anon, user, &no_tamper, csv,
         "observability_events lacks a column the console reads (42703 column observability_events.details does not exist)"),
        (url.into(), anon, user, &break_filter, csv,
         "PostgREST could not parse the request's filter (PGRST100:"),
        (closed.clone(), anon, user, &no_tamper, csv,
         &unreachable),
        (scenario("busy"), anon, user, &no_tamper, csv,
         "the server answered 429 4 times in a row (Too many requests): Supabase is rate limiting this client"),
        (scenario("down"), anon, user, &no_tamper, csv,
         "the server answered 502 4 times in a row (a web page (HTML) came back): Supabase is unavailable"),
        (scenario("html"), anon, user, &no_tamper, csv,
         "the answer is not observability_events data from PostgREST (a web page (HTML) came back)"),
        (scenario("garbled"), anon, user, &no_tamper, WireFormat::Json,
         "the answer is not observability_events data from PostgREST (not the expected JSON array (EOF while parsing"),
    ];
    // Failures that are retried take seconds each: run the cases side by side.
    std::thread::scope(|s| {
        for (url, key, token, tamper, format, expected) in &cases {
            let stack = &stack;
            s.spawn(move || check_error(stack, url, key, *token, *tamper, *format, expected));
        }
    });
    // Refused before any request: secret keys, expired tokens, a wrong URL.
    let refused = [
        (
            SupabaseConfig::new(url, &stack.service).map(|_| ()),
            "refusing a service_role key: it bypasses Row Level Security",
        ),
        (
            SupabaseConfig::new(url, &stack.secret).map(|_| ()),
            "refusing an sb_secret_ key: it bypasses Row Level Security",
        ),
        (
            SupabaseConfig::new(url, anon)
                .and_then(|c| c.with_access_token(&stack.expired))
                .and_then(|c| c.check_not_expired(now())),
            "the access token expired at ",
        ),
        (
            SupabaseConfig::new("http://db.example.com", anon).map(|_| ()),
            "the project URL \"http://db.example.com\" is not usable: plain http",
        ),
    ];
    for (result, expected) in refused {
        let message = result.expect_err(expected).to_string();
        assert!(message.starts_with(expected), "{message}");
    }
}

/// The clock, as the core's times (the demo slots lie in the past: no refresh overlap holds them).
fn now_micros() -> Micros {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_micros() as Micros
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64
}

/// One CLI run: the Supabase environment, the exit status, and what stderr must say.
fn check_cli(
    stack: &Stack,
    url: &str,
    env: &[(&str, &str)],
    code: i32,
    stderr_has: &[&str],
) -> Output {
    let out = cli(&["metrics", "--supabase-url", url, "--json"], env);
    let stderr = text(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(code),
        "{url} {:?}: {stderr}",
        env.iter().map(|(k, _)| k).collect::<Vec<_>>()
    );
    for needle in stderr_has {
        assert!(
            stderr.contains(needle),
            "{url}: stderr lacks {needle:?}:\n{stderr}"
        );
    }
    let all = format!("{stderr}{}", text(&out.stdout));
    for secret in [
        &stack.anon,
        &stack.user,
        &stack.service,
        &stack.secret,
        &stack.publishable,
        &stack.expired,
    ] {
        assert!(!all.contains(secret.as_str()), "the output shows a key");
    }
    out
}

#[test]
#[ignore = "needs the local Supabase stack: scripts/test.sh starts one"]
fn the_cli_says_why_rls_hides_rows_and_refuses_secret_keys() {
    let stack = Stack::from_env();
    let rls = format!("{}/scenario/rls", stack.url);
    let (key, token) = ("SUPABASE_ANON_KEY", "SUPABASE_ACCESS_TOKEN");
    // RLS on, anon granted, no policy for anon: 200 and no rows. The CLI still prints the
    // (empty) metrics, and says why they may be empty.
    let out = check_cli(&stack, &rls, &[(key, &stack.anon)], 0, &[
        "canary-report: warning: no rows in the window for the role \"anon\": either observability_events has none there, or Row Level Security hides them from this role",
        "set SUPABASE_ACCESS_TOKEN to a signed-in user's access token",
    ]);
    assert!(text(&out.stdout).contains("\"events\": 0"));
    // Signed in, the same table shows its rows.
    let out = check_cli(
        &stack,
        &rls,
        &[(key, &stack.anon), (token, &stack.user)],
        0,
        &["50 rows"],
    );
    assert!(text(&out.stdout).contains("\"events\": 50"));
    // The publishable key works like the anon key.
    check_cli(
        &stack,
        &rls,
        &[(key, &stack.publishable), (token, &stack.user)],
        0,
        &["50 rows"],
    );
    let url = stack.url.as_str();
    let cases: [(&[(&str, &str)], &str); 6] = [
        (&[(key, &stack.service)], "refusing a service_role key: it bypasses Row Level Security"),
        (&[(key, &stack.secret)], "refusing an sb_secret_ key: it bypasses Row Level Security"),
        (&[(key, &stack.anon), (token, &stack.expired)], "the access token expired at "),
        (&[], "--supabase-url needs the project's anon or publishable key in the environment variable SUPABASE_ANON_KEY"),
        (&[(token, &stack.user)], "SUPABASE_ACCESS_TOKEN is a signed-in user's token, but Supabase also needs the project's anon or publishable key"),
        (&[(key, &stack.anon)], "not a member of this team: no one is signed in (the anon key alone reads nothing)"),
    ];
    for (env, message) in cases {
        check_cli(
            &stack,
            url,
            env,
            3,
            &[&format!("canary-report: error: {url}: {message}")],
        );
    }
    check_cli(
        &stack,
        url,
        &[(key, &stack.anon)],
        3,
        &["(here: sign in: set SUPABASE_EMAIL and SUPABASE_PASSWORD, or SUPABASE_REFRESH_TOKEN_FILE)"],
    );
}

/// The membership answer and a read through the core, for one key and optional token.
fn membership_and_rows(
    stack: &Stack,
    token: Option<&str>,
    slot: &Slot,
) -> (Result<Membership, SupabaseError>, Vec<i64>) {
    let mut config = SupabaseConfig::new(&stack.url, &stack.anon).expect("config");
    if let Some(token) = token {
        config = config.with_access_token(token).expect("token");
    }
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let request = membership_request(&config);
    let mut call = agent.get(&request.url);
    for (name, value) in &request.headers {
        call = call.header(*name, value);
    }
    let mut response = call.call().expect("the gateway answers");
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = response.body_mut().read_to_vec().expect("body");
    let membership = read_membership(&config, status, content_type.as_deref(), &body);
    // The table itself, whatever the membership answer: RLS decides what comes back.
    let mut store = EventStore::new();
    let rows = slot.rows(200);
    let from = rows.iter().map(|r| r.created_at).min().expect("rows");
    let to = rows.iter().map(|r| r.created_at).max().expect("rows") + 1;
    let read = read_into(
        &mut store,
        &config,
        ReadPlan::window(Some(from), Some(to)),
        &no_tamper,
    );
    let ids = match read.result {
        Ok(_) => slot.ids_in(&store),
        Err(_) => Vec::new(),
    };
    (membership, ids)
}

#[test]
#[ignore = "needs the local Supabase stack: scripts/test.sh starts one"]
fn only_team_members_read_and_everyone_else_is_told_why() {
    let stack = Stack::from_env();
    let slot = Slot::new(&stack, 4);
    slot.load(&stack, &slot.rows(200));
    let expected_ids = {
        let mut all: Vec<i64> = slot.rows(200).iter().map(|r| r.id).collect();
        all.sort_unstable();
        all
    };
    // A member: the membership names the role, and every row of the slot comes back.
    let (membership, ids) = membership_and_rows(&stack, Some(&stack.user), &slot);
    assert_eq!(
        membership.expect("a member"),
        Membership::Member {
            email: Some("oncall@example.com".into()),
            role: "approver".into()
        }
    );
    assert_eq!(ids, expected_ids, "a member reads the slot's rows");
    // Everyone else: the message the user sees, and no rows from the table.
    let cases: [(&str, Option<&str>, &str); 4] = [
        ("non-member", Some(&stack.outsider), "not a member of this team: outsider@example.com is signed in but is not listed. sql/002_team_access.sql lets only team members read observability_events"),
        ("anonymous sign-in", Some(&stack.anonymous), "not a member of this team: you are signed in anonymously, and anonymous sign-ins never are"),
        ("anon key alone", None, "not a member of this team: no one is signed in (the anon key alone reads nothing)"),
        ("expired token", Some(&stack.expired), "the token has expired (401: PGRST301 JWT expired): sign in again"),
    ];
    for (who, token, message) in cases {
        let (membership, ids) = membership_and_rows(&stack, token, &slot);
        let got = membership.expect_err(who).to_string();
        assert!(
            got.starts_with(message),
            "{who}:\n  got      {got}\n  expected {message}…"
        );
        assert_eq!(ids, Vec::<i64>::new(), "{who} read rows");
    }
    // The CLI says the same and exits 3.
    let url = stack.url.as_str();
    for (token, message) in [
        (
            &stack.outsider,
            "not a member of this team: outsider@example.com is signed in but is not listed",
        ),
        (
            &stack.anonymous,
            "not a member of this team: you are signed in anonymously",
        ),
    ] {
        check_cli(
            &stack,
            url,
            &[
                ("SUPABASE_ANON_KEY", &stack.anon),
                ("SUPABASE_ACCESS_TOKEN", token),
            ],
            3,
            &[&format!("canary-report: error: {url}: {message}")],
        );
    }
}

/// Runs the CLI on a window of the slot with the given sign-in environment.
fn check_sign_in(stack: &Stack, env: &[(&str, &str)], code: i32, stderr_has: &[&str]) -> Output {
    check_cli(stack, &stack.url, env, code, stderr_has)
}

#[test]
#[ignore = "needs the local Supabase stack: scripts/test.sh starts one"]
fn the_cli_signs_in_with_a_password_or_a_rotating_refresh_token_file() {
    let stack = Stack::from_env();
    let slot = Slot::new(&stack, 5);
    slot.load(&stack, &slot.rows(100));
    let key = ("SUPABASE_ANON_KEY", stack.anon.as_str());
    let email = |e: &'static str| ("SUPABASE_EMAIL", e);
    let password = |p: &'static str| ("SUPABASE_PASSWORD", p);
    let member = [
        email("oncall@example.com"),
        password("canary-oncall-password"),
    ];

    // A password sign-in on each run.
    let out = check_sign_in(&stack, &[key, member[0], member[1]], 0, &[]);
    assert!(text(&out.stdout).contains("\"events\""));
    let failures: [(&[(&str, &str)], &str); 5] = [
        (&[key, email("oncall@example.com"), password("wrong")], "signing in as oncall@example.com: wrong email or password"),
        (&[key, email("unconfirmed@example.com"), password("canary-unconfirmed-pw")], "this email address is not confirmed yet: open the confirmation email"),
        (&[key, email("outsider@example.com"), password("canary-outsider-password")], "not a member of this team: outsider@example.com is signed in but is not listed"),
        (&[key, email("oncall@example.com")], "SUPABASE_EMAIL is set but SUPABASE_PASSWORD is not"),
        (&[key, member[0], member[1], ("SUPABASE_ACCESS_TOKEN", stack.user.as_str())], "SUPABASE_ACCESS_TOKEN and a sign-in (SUPABASE_EMAIL/SUPABASE_PASSWORD or SUPABASE_REFRESH_TOKEN_FILE) are both set: keep one"),
    ];
    for (env, message) in failures {
        check_sign_in(&stack, env, 3, &[message]);
    }
    // Never a secret key, even with a password.
    check_sign_in(
        &stack,
        &[("SUPABASE_ANON_KEY", &stack.service), member[0], member[1]],
        3,
        &["refusing a service_role key"],
    );

    // A refresh-token file: created by a first run with the password, rotated by every run.
    let file = slot.path("refresh-token");
    let file_var = (
        "SUPABASE_REFRESH_TOKEN_FILE",
        file.to_str().expect("UTF-8 path"),
    );
    check_sign_in(&stack, &[key, file_var], 3, &["holds no refresh token: run once with SUPABASE_EMAIL and SUPABASE_PASSWORD set to create it"]);
    check_sign_in(&stack, &[key, file_var, member[0], member[1]], 0, &[]);
    let first = std::fs::read_to_string(&file).expect("the first run wrote the file");
    check_sign_in(&stack, &[key, file_var], 0, &[]);
    let second = std::fs::read_to_string(&file).expect("the file");
    assert_ne!(first.trim(), second.trim(), "the refresh token rotated");
    assert!(!first.trim().is_empty() && !second.trim().is_empty());
    // A spent token (e.g. a restored backup, or two jobs sharing the file): told to sign in again.
    std::fs::write(&file, &first).expect("write");
    check_sign_in(&stack, &[key, file_var], 3, &[
        "the session ended (Invalid Refresh Token: Already Used): the refresh token was already used or revoked",
        "(here: sign in again: set SUPABASE_EMAIL and SUPABASE_PASSWORD once and delete the file, and the next run writes a new one)",
    ]);
}

#[test]
fn without_the_stack_these_tests_fail_with_a_how_to() {
    let message = how_to("CANARY_SUPABASE_URL");
    assert!(
        message.contains("bash scripts/supabase-local.sh run cargo test -p canary-report"),
        "{message}"
    );
}
