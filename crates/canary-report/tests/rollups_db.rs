//! The rollups of `sql/004_rollups.sql` against real components: PostgreSQL 15 with pg_cron
//! (Debian postgresql-15-cron, preloaded by `scripts/pg.sh`) running the refresh job, and the
//! RPCs through PostgREST 12.0.2 behind the gateway of `scripts/supabase-local.sh`, with Row
//! Level Security on.
//!
//! - The SQL bucket key equals the core's (`canary_engine::histogram::bucket_key`) on every
//!   bucket bound of many octaves, one ulp either side, and random values of every magnitude
//!   and sign.
//! - pg_cron runs the refresh by itself: rows inserted now appear in the rollups within the
//!   minute, and the job's runs succeed.
//! - After late commits (a transaction left open across a refresh) and back-dated inserts, the
//!   rollups equal a recomputation from scratch, and the RPC's totals equal the core's rollup
//!   of the same rows (every counter and every histogram bucket).
//! - The RPCs through PostgREST: a member reads, a non-member gets nothing, the anon key alone is
//!   refused, a window off the minute is refused with what to do.
//! - The CLI: a window above the row limit is read from the rollups (`"exact": false,
//!   "relative_error": 0.01`), its counts equal `--exact`'s and its percentiles are within the
//!   bound; a small window and `--exact` read the rows.
//!
//! `#[ignore]`d so a plain `cargo test` skips them; `bash scripts/test.sh` runs them (step
//! "Supabase REST path"), or by hand:
//!
//! ```text
//! bash scripts/supabase-local.sh run cargo test -p canary-report --test rollups_db -- --include-ignored
//! ```
//!
//! Without the stack's environment they FAIL, never pass silently. Each test uses its own time
//! slot and id range of the shared table.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use canary_core::demo::{rows as demo_rows, DemoConfig};
use canary_core::event::{EventRow, Micros, MICROS_PER_HOUR, MICROS_PER_MINUTE};
use canary_core::histogram::{bucket_key, MANTISSA_BOUNDS, RELATIVE_ERROR};
use canary_core::metrics::Window;
use canary_core::read::{csv_header, read_csv, write_csv_row};
use canary_core::rollup::rollup_rows;
use canary_core::supabase::rollups::{read_rollup_rows, read_sample_rows};
use canary_core::time::{format_postgres, format_rfc3339};
use serde_json::Value;
use stdx::rand::SplitMix64;

const H: Micros = MICROS_PER_HOUR;
const M: Micros = MICROS_PER_MINUTE;
/// Slots are this far apart; slot k's ids start at k * ID_STRIDE. These slots lie months
/// before today (whole hours there are on the hourly level) and apart from the other suites'.
const SLOT_SPAN: Micros = 10 * 24 * H;
const ID_STRIDE: i64 = 10_000_000;

struct Stack {
    url: String,
    anon: String,
    user: String,
    outsider: String,
    db: String,
    psql: String,
}

impl Stack {
    fn from_env() -> Stack {
        let var = |name: &str| match std::env::var(name) {
            Ok(v) if !v.trim().is_empty() => v,
            _ => panic!(
                "{name} is not set: these tests need the local Supabase stand-in with pg_cron. Run \
                 `bash scripts/test.sh`, or `bash scripts/supabase-local.sh run cargo test -p \
                 canary-report --test rollups_db -- --include-ignored`"
            ),
        };
        Stack {
            url: var("CANARY_SUPABASE_URL"),
            anon: var("CANARY_SUPABASE_ANON_KEY"),
            user: var("CANARY_SUPABASE_USER_TOKEN"),
            outsider: var("CANARY_SUPABASE_OUTSIDER_TOKEN"),
            db: var("CANARY_SUPABASE_DB"),
            psql: std::env::var("CANARY_PSQL").unwrap_or_else(|_| "psql".to_owned()),
        }
    }

    /// Runs SQL as the superuser; psql's unaligned, tuples-only output.
    fn sql(&self, script: &str) -> String {
        let mut child = self.psql_command().spawn().expect("psql runs");
        let mut stdin = child.stdin.take().expect("stdin");
        let text = script.to_owned();
        let writer = std::thread::spawn(move || stdin.write_all(text.as_bytes()));
        let out = child.wait_with_output().expect("psql");
        writer.join().expect("writer").expect("script written");
        assert!(
            out.status.success(),
            "psql failed: {}\n{script}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("UTF-8")
    }

    fn psql_command(&self) -> Command {
        let mut c = Command::new(&self.psql);
        c.args([
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
        .stderr(Stdio::piped());
        c
    }

    /// `GET` an RPC with a token (or the anon key alone): status and body.
    fn rpc(&self, name: &str, query: &str, token: Option<&str>) -> (u16, String) {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        let mut request = agent
            .get(format!("{}/rest/v1/rpc/{name}?{query}", self.url))
            .header("apikey", &self.anon);
        if let Some(token) = token {
            request = request.header("Authorization", format!("Bearer {token}"));
        }
        let mut response = request.call().expect("the gateway answers");
        let status = response.status().as_u16();
        let body = response
            .body_mut()
            .with_config()
            .limit(200 * 1024 * 1024)
            .read_to_string()
            .expect("the whole body");
        (status, body)
    }
}

struct Slot {
    k: i64,
    dir: PathBuf,
}

impl Slot {
    fn new(stack: &Stack, k: i64) -> Slot {
        let dir = std::env::temp_dir().join(format!("canary-rollups-{}-{k}", std::process::id()));
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

    fn id_base(&self) -> i64 {
        self.k * ID_STRIDE
    }

    /// A demo day of about `events` rows moved into this slot.
    fn rows(&self, events: usize) -> Vec<EventRow<'static>> {
        demo_rows(&DemoConfig::with_events(events))
            .map(|mut r| {
                r.id += self.id_base();
                r.created_at += self.k * SLOT_SPAN;
                r
            })
            .collect()
    }

    fn csv(&self, name: &str, rows: &[EventRow<'_>]) -> PathBuf {
        let path = self.dir.join(name);
        let mut text = csv_header();
        for r in rows {
            write_csv_row(&mut text, r);
        }
        std::fs::write(&path, text).expect("write CSV");
        path
    }

    fn load(&self, stack: &Stack, rows: &[EventRow<'_>]) {
        let path = self.csv("load.csv", rows);
        stack.sql(&format!(
            "\\copy observability_events from '{}' with (format csv, header true)",
            path.display()
        ));
    }

    /// This slot's rows as PostgreSQL exports them, read by the core.
    fn store(&self, stack: &Stack) -> canary_core::EventStore {
        let path = self.dir.join("export.csv");
        stack.sql(&format!(
            "\\copy (select * from observability_events where id >= {} and id < {} order by id) to '{}' with (format csv, header true)",
            self.id_base(),
            self.id_base() + ID_STRIDE,
            path.display()
        ));
        read_csv(&std::fs::read_to_string(&path).expect("export")).expect("the export reads")
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

fn minute_floor(t: Micros) -> Micros {
    t.div_euclid(M) * M
}

fn query(window: Window) -> String {
    format!(
        "p_from={}&p_to={}",
        format_rfc3339(window.from).replace('+', "%2B"),
        format_rfc3339(window.to).replace('+', "%2B")
    )
}

/// Bucket bounds of many octaves, one ulp either side, and random values of every magnitude.
#[test]
#[ignore = "needs PostgreSQL: bash scripts/test.sh"]
fn sql_bucket_keys_equal_the_core() {
    let stack = Stack::from_env();
    let mut values: Vec<f64> = vec![
        0.0,
        -0.0,
        f64::MIN_POSITIVE,
        f64::MIN_POSITIVE / 3.0,
        -f64::MIN_POSITIVE / 3.0,
        f64::MAX,
        -f64::MAX,
        f64::EPSILON,
        1.0,
        2.0,
        0.5,
        5000.0,
        1e-300,
        1e300,
    ];
    for e in (-1020..1020).step_by(37).chain(-12..24) {
        for &m in &MANTISSA_BOUNDS {
            let bits = (((e + 1023) as u64) << 52) | m;
            let v = f64::from_bits(bits);
            for x in [v, f64::from_bits(bits - 1), f64::from_bits(bits + 1)] {
                values.push(x);
                values.push(-x);
            }
        }
    }
    let mut r = SplitMix64::new(12);
    for _ in 0..5000 {
        let magnitude = 10f64.powf(r.next_f64() * 40.0 - 20.0);
        values.push(if r.next_f64() < 0.2 {
            -magnitude
        } else {
            magnitude
        });
    }
    let list: Vec<String> = values.iter().map(|v| format!("{v:e}")).collect();
    let out = stack.sql(&format!(
        "select coalesce(canary_private.latency_bucket(v)::text, 'null') from unnest('{{{}}}'::float8[]) with ordinality as u (v, i) order by i;",
        list.join(",")
    ));
    let sql: Vec<&str> = out.lines().collect();
    assert_eq!(sql.len(), values.len());
    let mut mismatches = Vec::new();
    for (v, s) in values.iter().zip(&sql) {
        let core = bucket_key(*v).map_or("null".to_owned(), |k| k.to_string());
        if core != *s {
            mismatches.push(format!("{v:e}: core {core}, SQL {s}"));
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} of {} values differ, e.g. {:?}",
        mismatches.len(),
        values.len(),
        &mismatches[..mismatches.len().min(5)]
    );
    eprintln!("{} values: SQL and core bucket keys equal", values.len());
}

/// pg_cron runs the refresh on its own: rows logged now are rolled up within about a minute.
#[test]
#[ignore = "needs PostgreSQL with pg_cron: bash scripts/test.sh"]
fn pg_cron_runs_the_refresh_every_minute() {
    let stack = Stack::from_env();
    let job = stack.sql("select count(*) from cron.job where command like '%refresh_rollups%';");
    assert_eq!(
        job.trim(),
        "1",
        "sql/004_rollups.sql schedules one pg_cron job"
    );
    let marker = format!("cron-check-{}", std::process::id());
    let inserted_at = stack.sql(&format!(
        "insert into observability_events (event_type, success, processing_time_ms, details, created_at) \
         select 'request_completed', true, g, jsonb_build_object('endpoint', '{marker}'), now() \
         from generate_series(1, 25) g;\
         select now();"
    ));
    let inserted_at = inserted_at.trim();
    // The other tests refresh by hand too, and may take the new rows' marks first: wait for the
    // rows in the rollups and for a run of the job itself that started after they were logged.
    let started = Instant::now();
    loop {
        let state = stack.sql(&format!(
            "select (select coalesce(sum(events), 0) from canary_rollup_minute where label = '{marker}') || ' ' || \
                    (select count(*) from cron.job_run_details d join cron.job j using (jobid) \
                     where j.command like '%refresh_rollups%' and d.status = 'succeeded' \
                       and d.start_time > '{inserted_at}');"
        ));
        let (rolled, runs_since) = state.trim().split_once(' ').expect("two numbers");
        if rolled == "25" && runs_since != "0" {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(150),
            "after {:?}: {rolled} of the 25 new rows rolled up, {runs_since} runs of the job since",
            started.elapsed()
        );
        std::thread::sleep(Duration::from_secs(2));
    }
    // A run pg_cron could not start (every background worker busy with parallel queries of
    // the other tests) is retried the next minute; a run that started must not fail.
    let runs = stack.sql(
        "select count(*) filter (where status = 'succeeded'), \
                count(*) filter (where status = 'failed' and return_message not like 'could not start background process%') \
         from cron.job_run_details d join cron.job j using (jobid) where j.command like '%refresh_rollups%';",
    );
    let (ok, failed) = runs.trim().split_once('|').expect("two counts");
    assert!(ok.parse::<u64>().unwrap() >= 1, "no successful run: {runs}");
    assert_eq!(failed, "0", "failed runs of the job: {runs}");
    eprintln!(
        "pg_cron rolled the rows up after {:?}; runs succeeded: {ok}",
        started.elapsed()
    );
}

/// Minute rollups of the slot as text, one line per row (sums rounded to 9 significant digits:
/// a recomputation may add in another order).
fn minute_rows(stack: &Stack, window: Window) -> Vec<String> {
    stack
        .sql(&format!(
            "select minute, on_minute, event_type, label, cohort, events, successes, failures, hits, misses, times, \
             null_times, nonfinite_times, negative_times, slow, to_char(time_sum, '9.99999999EEEE'), time_min, time_max, miss_times, \
             to_char(miss_time_sum, '9.99999999EEEE'), hist_keys, hist_counts from canary_rollup_minute \
             where minute >= '{}' and minute < '{}' order by 1, 2, 3, 4, 5;",
            format_postgres(window.from),
            format_postgres(window.to)
        ))
        .lines()
        .map(str::to_owned)
        .collect()
}

fn hour_rows(stack: &Stack, window: Window) -> Vec<String> {
    stack
        .sql(&format!(
            "select hour, event_type, label, cohort, events, failures, hits, times, time_min, time_max, slow, hist_keys, hist_counts \
             from canary_rollup_hour where hour >= '{}' and hour < '{}' order by 1, 2, 3, 4;",
            format_postgres(window.from),
            format_postgres(window.to)
        ))
        .lines()
        .map(str::to_owned)
        .collect()
}

/// The alert samples' buckets of the window, as text.
fn sample_rows(stack: &Stack, window: Window) -> Vec<String> {
    stack
        .sql(&format!(
            "select minute_end, event_type, cohort, events, successes, failures, hits, misses, time_min, time_max, hist \
             from canary_rollup_sample where minute_end >= '{}' and minute_end <= '{}' order by 1, 2, 3;",
            format_postgres(window.from),
            format_postgres(window.to)
        ))
        .lines()
        .map(str::to_owned)
        .collect()
}

/// Late commits and back-dated rows land; the rollups then equal a recomputation from scratch,
/// and the RPC's totals equal the core's rollup of the same rows.
#[test]
#[ignore = "needs PostgreSQL: bash scripts/test.sh"]
fn rollups_equal_a_recomputation_after_late_and_backdated_inserts() {
    let stack = Stack::from_env();
    let slot = Slot::new(&stack, 31);
    let rows = slot.rows(12_000);
    let (first, last) = (rows[0].created_at, rows[rows.len() - 1].created_at);
    let window = Window::new(minute_floor(first) - 2 * H, minute_floor(last) + M).unwrap();
    // Most rows, then a refresh.
    let split = rows.len() * 3 / 4;
    slot.load(&stack, &rows[..split]);
    stack.sql("select canary_private.refresh_rollups();");

    // A transaction that stays open across a refresh, inserting rows into minutes already
    // rolled up (ids below rows committed before it).
    let late = slot.csv("late.csv", &rows[split..split + 500]);
    let mut open = stack.psql_command().spawn().expect("psql");
    let mut stdin = open.stdin.take().expect("stdin");
    writeln!(
        stdin,
        "begin;\n\\copy observability_events from '{}' with (format csv, header true)\nselect 'inserted';",
        late.display()
    )
    .expect("script");
    stdin.flush().expect("flush");
    std::thread::sleep(Duration::from_secs(2));
    // Meanwhile: the rest, then a refresh that cannot see the open transaction's rows.
    slot.load(&stack, &rows[split + 500..]);
    stack.sql("select canary_private.refresh_rollups();");
    writeln!(stdin, "commit;").expect("commit");
    drop(stdin);
    let out = open.wait_with_output().expect("psql ends");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // Back-dated rows: two hours before the slot's first row, into hours already complete.
    let back: Vec<EventRow<'static>> = slot.rows(2_000)[..300]
        .iter()
        .cloned()
        .enumerate()
        .map(|(i, mut r)| {
            r.id = slot.id_base() + 5_000_000 + i as i64;
            r.created_at = first - 2 * H + (i as i64) * 7_000_000;
            r
        })
        .collect();
    slot.load(&stack, &back);
    stack.sql("select canary_private.refresh_rollups();");

    let minutes = minute_rows(&stack, window);
    let hours = hour_rows(&stack, window);
    let samples = sample_rows(&stack, window);
    assert!(!minutes.is_empty() && !hours.is_empty() && !samples.is_empty());
    // From scratch: every minute of the slot marked and recomputed.
    stack.sql(&format!(
        "insert into canary_private.rollup_dirty select generate_series('{}'::timestamptz, '{}'::timestamptz - interval '1 minute', interval '1 minute');\
         select canary_private.refresh_rollups(0);",
        format_postgres(window.from),
        format_postgres(window.to)
    ));
    assert_eq!(
        minutes,
        minute_rows(&stack, window),
        "minutes differ from a recomputation"
    );
    assert_eq!(
        hours,
        hour_rows(&stack, window),
        "hours differ from a recomputation"
    );
    assert_eq!(
        samples,
        sample_rows(&stack, window),
        "sample buckets differ from a recomputation"
    );

    // The RPC (hours inside, minutes at the edges) against the core's rollup of the same rows.
    let (status, body) = stack.rpc("canary_rollup_totals", &query(window), Some(&stack.user));
    assert_eq!(status, 200, "{body}");
    let mut sql_rows = read_rollup_rows(&body, Some(window.from)).expect("the answer reads");
    let store = slot.store(&stack);
    assert_eq!(store.len(), rows.len() + back.len());
    let mut core_rows = rollup_rows(&store, window, false);
    let key = |r: &canary_core::rollup::RollupRow| (r.event_type, r.label.clone(), r.cohort);
    sql_rows.sort_by_key(key);
    core_rows.sort_by_key(key);
    assert_eq!(sql_rows.len(), core_rows.len());
    for (s, c) in sql_rows.iter().zip(&core_rows) {
        assert_eq!(key(s), key(c));
        assert_eq!(s.latency, c.latency, "histogram of {:?}", key(s));
        let (mut a, mut b) = (s.counters.clone(), c.counters.clone());
        for (x, y) in [
            (&mut a.time_sum, &mut b.time_sum),
            (&mut a.miss_time_sum, &mut b.miss_time_sum),
        ] {
            assert!(
                (*x - *y).abs() <= 1e-9 * y.abs().max(1.0),
                "{x} against {y}"
            );
            *x = *y;
        }
        assert_eq!(a, b, "counters of {:?}", key(s));
    }
    // And per minute, right-closed as the alert samples take them: the core's rollup of the
    // same rows, labels merged, equals the RPC's buckets of each cohort in every count, extreme
    // and histogram bucket.
    let (status, body) = stack.rpc("canary_rollup_minutes", &query(window), Some(&stack.user));
    assert_eq!(status, 200, "{body}");
    let sql_minutes = read_sample_rows(&body).expect("reads");
    let mut core_minutes: Vec<canary_core::rollup::RollupRow> = Vec::new();
    for r in rollup_rows(&store, window, true) {
        if !matches!(
            r.event_type,
            canary_core::EventType::RequestCompleted
                | canary_core::EventType::CacheAccess
                | canary_core::EventType::Mem0Write
        ) {
            continue;
        }
        match core_minutes
            .iter_mut()
            .find(|m| m.at == r.at && m.event_type == r.event_type && m.cohort == r.cohort)
        {
            Some(m) => {
                m.counters.merge(&r.counters);
                m.latency.merge(&r.latency);
            }
            None => core_minutes.push(r),
        }
    }
    let alert_view = |rows: &[canary_core::rollup::RollupRow]| {
        let mut v: Vec<_> = rows
            .iter()
            .map(|r| {
                let c = &r.counters;
                let request = r.event_type == canary_core::EventType::RequestCompleted;
                (
                    r.at,
                    r.event_type,
                    r.cohort,
                    [c.events, c.successes, c.failures, c.hits, c.misses],
                    if request {
                        format!("{:?} {:?}", c.time_min, c.time_max)
                    } else {
                        String::new()
                    },
                    r.latency.buckets().to_vec(),
                )
            })
            .collect();
        v.sort_by_key(|a| (a.0, a.1, a.2));
        v
    };
    let (a, b) = (alert_view(&sql_minutes), alert_view(&core_minutes));
    let only_sql: Vec<_> = a.iter().filter(|x| !b.contains(x)).take(3).collect();
    let only_core: Vec<_> = b.iter().filter(|x| !a.contains(x)).take(3).collect();
    assert!(
        only_sql.is_empty() && only_core.is_empty(),
        "per-minute buckets differ: only in SQL {only_sql:?}, only in the core {only_core:?} ({} and {} rows)",
        a.len(),
        b.len()
    );
    assert!(
        a.iter()
            .any(|x| x.5.windows(2).any(|w| w[1].0 - w[0].0 > 1)),
        "some histogram has a gap between its buckets (the coding's skips are exercised)"
    );
}

/// The RPCs through PostgREST, with Row Level Security on.
#[test]
#[ignore = "needs PostgREST: bash scripts/test.sh"]
fn rpcs_answer_members_only_and_whole_minutes_only() {
    let stack = Stack::from_env();
    let slot = Slot::new(&stack, 33);
    let rows = slot.rows(3_000);
    slot.load(&stack, &rows);
    stack.sql("select canary_private.refresh_rollups();");
    let window = Window::new(
        minute_floor(rows[0].created_at),
        minute_floor(rows[rows.len() - 1].created_at) + M,
    )
    .unwrap();
    let q = query(window);
    for rpc in [
        "canary_rollup_totals",
        "canary_rollup_minutes",
        "canary_exact_rows",
    ] {
        let (status, body) = stack.rpc(rpc, &q, Some(&stack.user));
        assert_eq!(status, 200, "{rpc}: {body}");
        let v: Value = serde_json::from_str(&body).unwrap();
        assert!(
            !v.as_array().unwrap().is_empty() || rpc == "canary_exact_rows",
            "{rpc}"
        );
        let (status, body) = stack.rpc(rpc, &q, Some(&stack.outsider));
        assert_eq!(
            (status, body.as_str()),
            (200, "[]"),
            "{rpc} for a non-member"
        );
        let (status, body) = stack.rpc(rpc, &q, None);
        assert!(
            status == 401 && body.contains("42501"),
            "{rpc} with the anon key alone: {status} {body}"
        );
    }
    let (status, body) = stack.rpc("canary_window_groups", &q, Some(&stack.user));
    assert_eq!(status, 200, "{body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        v["last_1000_requests"]["requests"].as_u64(),
        Some(1000),
        "{body}"
    );
    let (_, body) = stack.rpc("canary_window_groups", &q, Some(&stack.outsider));
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["last_1000_requests"]["requests"].as_u64(), Some(0));
    assert_eq!(v["errors_by_type"], Value::Array(vec![]));
    let off = Window::new(window.from + 30_000_000, window.to).unwrap();
    let (status, body) = stack.rpc("canary_rollup_totals", &query(off), Some(&stack.user));
    assert!(
        status == 400 && body.contains("22023") && body.contains("whole minutes"),
        "{status} {body}"
    );
}

fn cli(args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_canary-report"));
    cmd.args(args)
        .env_remove("SUPABASE_EMAIL")
        .env_remove("SUPABASE_PASSWORD")
        .env_remove("SUPABASE_REFRESH_TOKEN_FILE");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("canary-report runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The CLI reads a large window from the rollups (bounded percentiles, exact counts) and a
/// small one, or any with `--exact`, from the rows.
#[test]
#[ignore = "needs PostgREST: bash scripts/test.sh"]
fn the_cli_reads_rollups_above_the_limit_and_rows_below_it() {
    let stack = Stack::from_env();
    let slot = Slot::new(&stack, 35);
    let rows = slot.rows(20_000);
    slot.load(&stack, &rows);
    stack.sql("select canary_private.refresh_rollups();");
    let from = format_rfc3339(minute_floor(rows[0].created_at));
    let to = format_rfc3339(minute_floor(rows[rows.len() - 1].created_at) + M);
    let env = [
        ("SUPABASE_ANON_KEY", stack.anon.as_str()),
        ("SUPABASE_ACCESS_TOKEN", stack.user.as_str()),
        ("CANARY_EXACT_ROWS_LIMIT", "5000"),
    ];
    let args = |extra: &[&'static str]| -> Vec<String> {
        let mut a: Vec<String> = [
            "metrics",
            "--supabase-url",
            &stack.url,
            "--from",
            &from,
            "--to",
            &to,
            "--json",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        a.extend(extra.iter().map(|s| s.to_string()));
        a
    };
    let run = |extra: &[&'static str]| -> Value {
        let a = args(extra);
        let refs: Vec<&str> = a.iter().map(String::as_str).collect();
        let (code, out, err) = cli(&refs, &env);
        assert_eq!(code, 0, "{err}");
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"))
    };
    let approx = run(&[]);
    let exact = run(&["--exact"]);
    assert_eq!(approx["source"], "rollups");
    assert_eq!(approx["latency"]["exact"], false);
    assert_eq!(approx["latency"]["relative_error"], 0.01);
    assert!(exact.get("source").is_none());
    assert!(exact["latency"].get("exact").is_none());
    assert_eq!(approx["latency"]["requests"], exact["latency"]["requests"]);
    for key in ["requests", "failures", "error_rate_pct"] {
        assert_eq!(approx["errors"][key], exact["errors"][key], "errors.{key}");
    }
    assert_eq!(approx["errors_by_type"], exact["errors_by_type"]);
    assert_eq!(approx["cache"], exact["cache"]);
    assert_eq!(approx["circuit_breaker"], exact["circuit_breaker"]);
    assert_eq!(approx["cache_stampedes"], exact["cache_stampedes"]);
    assert_eq!(
        approx["mem0"]["total_writes"],
        exact["mem0"]["total_writes"]
    );
    assert_eq!(
        approx["mem0_failures_by_type"],
        exact["mem0_failures_by_type"]
    );
    for p in ["p50_ms", "p95_ms", "p99_ms"] {
        let (a, b) = (
            approx["latency"][p].as_f64().unwrap(),
            exact["latency"][p].as_f64().unwrap(),
        );
        assert!(
            (a - b).abs() <= RELATIVE_ERROR * b.abs() + 1e-9,
            "{p}: {a} against {b}"
        );
    }
    // The text report says what is bounded.
    let a = args(&[]);
    let refs: Vec<&str> = a
        .iter()
        .map(String::as_str)
        .filter(|s| *s != "--json")
        .collect();
    let (code, text, err) = cli(&refs, &env);
    assert_eq!(code, 0, "{err}");
    assert!(text.contains("ms (±1 %)") && text.contains("≈ "), "{text}");
    // Under the limit: the rows.
    let small_env = [env[0], env[1], ("CANARY_EXACT_ROWS_LIMIT", "1000000")];
    let a = args(&[]);
    let refs: Vec<&str> = a.iter().map(String::as_str).collect();
    let (code, out, err) = cli(&refs, &small_env);
    assert_eq!(code, 0, "{err}");
    let small: Value = serde_json::from_str(&out).unwrap();
    assert!(small.get("source").is_none());
    assert_eq!(small["latency"], exact["latency"]);
}

/// A rollup answer of a few MB arrives whole through the gateway even when the client reads it
/// slowly (the gateway once cut such answers short when it had to buffer them on disk).
#[test]
#[ignore = "needs PostgREST: bash scripts/test.sh"]
fn a_large_answer_read_slowly_arrives_whole() {
    use std::io::Read as _;
    let stack = Stack::from_env();
    let slot = Slot::new(&stack, 37);
    // A week of rows every 2 s on 40,000 endpoints: the totals hold a row per endpoint and
    // cohort, an answer of tens of MB, more than the loopback socket buffers hold while the
    // client dawdles.
    let start = minute_floor(slot.rows(1_000)[0].created_at);
    let window = Window::new(start, start + 7 * 24 * H).unwrap();
    stack.sql(&format!(
        "insert into observability_events (id, event_type, success, cache_hit, processing_time_ms, details, created_at) \
         select {} + g, (array['request_completed', 'cache_access', 'mem0_write'])[1 + g % 3], true, g % 7 <> 0, 1 + g % 997, \
                jsonb_build_object('endpoint', '/api/chat/' || g % 40000, 'canary', g % 2 = 0), '{}'::timestamptz + g * interval '2 seconds' \
         from generate_series(0, 302399) g;\
         select canary_private.refresh_rollups();",
        slot.id_base(),
        format_postgres(start)
    ));
    let (status, fast) = stack.rpc("canary_rollup_totals", &query(window), Some(&stack.user));
    assert_eq!(status, 200);
    assert!(
        fast.len() > 10_000_000,
        "a large answer: {} bytes",
        fast.len()
    );
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut response = agent
        .get(format!(
            "{}/rest/v1/rpc/canary_rollup_totals?{}",
            stack.url,
            query(window)
        ))
        .header("apikey", &stack.anon)
        .header("Authorization", format!("Bearer {}", stack.user))
        .call()
        .expect("answer");
    let mut reader = response.body_mut().as_reader();
    let mut slow = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    loop {
        match reader.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => {
                slow.extend_from_slice(&chunk[..n]);
                std::thread::sleep(Duration::from_millis(1));
            }
            Err(e) => panic!("the answer broke off after {} bytes: {e}", slow.len()),
        }
    }
    assert_eq!(slow.len(), fast.len());
    assert_eq!(String::from_utf8(slow).unwrap(), fast);
}
