//! Every panel of `canary-report grafana` runs on PostgreSQL 15 as Grafana runs it, and shows
//! the console's numbers.
//!
//! The dashboard JSON comes from the real binary. Each panel's `rawSql` is expanded the way
//! Grafana's PostgreSQL data source expands it (`$__interval` by the SQL data sources' global
//! interpolation, then the macro engine of `pkg/tsdb/grafana-postgresql-datasource/macros.go`:
//! `$__timeFilter(col)` → `col BETWEEN '<from>' AND '<to>'` in RFC 3339 with nanoseconds,
//! `$__timeGroup(col, interval)` → `floor(extract(epoch from col)/<s>)*<s>`, `…Alias` adding
//! `AS "time"`, `$__timeFrom()` → `'<from>'`) and run on a database made from the repository's
//! migrations (`sql/*.sql`, in order) holding the demo data set, as the read-only role
//! `canary_grafana` of `sql/003_grafana_reader.sql`. Each result must be what the time-series
//! format needs (a `time` column, then numeric value columns), and every per-minute value must
//! equal what the core computes for that minute: bit for bit for the percentiles, to 1e-12
//! relative for the rates.
//!
//! Needs a PostgreSQL server (`CANARY_TEST_PG`, a libpq URI) and `psql` (`CANARY_PSQL`); it is
//! `#[ignore]`d so a plain `cargo test` skips it, and it FAILS without them. Run it with
//! `bash scripts/test.sh` (step "PostgreSQL") or by hand:
//! `source scripts/pg.sh && pg_start && cargo test --release -p canary-report --test grafana_sql
//! -- --include-ignored; pg_stop`.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use canary_core::demo::{self, DemoConfig};
use canary_core::event::{Micros, MICROS_PER_MINUTE};
use canary_core::metrics::{self, Window};
use canary_core::read::{csv_header, write_csv_row};
use canary_core::time::to_datetime;
use chrono::SecondsFormat;

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// psql against the test database; `--csv` output.
struct Pg {
    psql: String,
    conninfo: String,
}

impl Pg {
    fn run(&self, script: &str) -> String {
        let mut child = Command::new(&self.psql)
            .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "--csv", "-d"])
            .arg(&self.conninfo)
            .args(["-f", "-"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {:?}: {e}", self.psql));
        let mut stdin = child.stdin.take().unwrap();
        let text = script.to_owned();
        let writer = std::thread::spawn(move || stdin.write_all(text.as_bytes()));
        let out = child.wait_with_output().unwrap();
        writer.join().unwrap().unwrap();
        assert!(
            out.status.success(),
            "psql failed: {}\n--- script ---\n{script}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }
}

/// A fresh database on the server of `CANARY_TEST_PG` (one per test, named after `tag`), with
/// what a Supabase project provides and the migrations use, and the migrations applied.
/// Roles are the cluster's, not a database's: two tests applying the migrations at once would
/// both see `canary_grafana` missing and both create it. Setting up one database at a time
/// avoids that race.
static SETUP: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn database(tag: &str) -> Pg {
    let _one_at_a_time = SETUP.lock().unwrap_or_else(|e| e.into_inner());
    let base = std::env::var("CANARY_TEST_PG").unwrap_or_else(|_| {
        panic!(
            "CANARY_TEST_PG is not set: this test runs the Grafana panels' SQL on PostgreSQL 15. \
             Run `bash scripts/test.sh`, or `source scripts/pg.sh && pg_start` first."
        )
    });
    let psql = std::env::var("CANARY_PSQL").unwrap_or_else(|_| "psql".to_owned());
    let name = format!("canary_grafana_{tag}_{}", std::process::id());
    let admin = Pg {
        psql: psql.clone(),
        conninfo: base.clone(),
    };
    admin.run(&format!(
        "DROP DATABASE IF EXISTS {name};\nCREATE DATABASE {name};\n\
         DO $$ BEGIN\n\
           IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'anon') THEN CREATE ROLE anon NOLOGIN; END IF;\n\
           IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'authenticated') THEN CREATE ROLE authenticated NOLOGIN; END IF;\n\
           IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'service_role') THEN CREATE ROLE service_role NOLOGIN; END IF;\n\
         END $$;\n"
    ));
    let (prefix, _) = base.rsplit_once('/').expect("CANARY_TEST_PG is a URI");
    let db = Pg {
        psql,
        conninfo: format!("{prefix}/{name}"),
    };
    // Supabase Auth's part of every project that migrations may use: auth.users, auth.uid() and
    // auth.jwt() as Supabase defines them (the claims PostgREST puts in request.jwt.claims).
    db.run(
        "CREATE SCHEMA auth;\n\
         CREATE TABLE auth.users (id uuid PRIMARY KEY, email text UNIQUE, \
           is_anonymous boolean NOT NULL DEFAULT false, email_confirmed_at timestamptz, \
           created_at timestamptz NOT NULL DEFAULT now());\n\
         CREATE FUNCTION auth.jwt() RETURNS jsonb LANGUAGE sql STABLE AS \
           $$ SELECT coalesce(nullif(current_setting('request.jwt.claims', true), ''), '{}')::jsonb $$;\n\
         CREATE FUNCTION auth.uid() RETURNS uuid LANGUAGE sql STABLE AS \
           $$ SELECT coalesce(nullif(current_setting('request.jwt.claim.sub', true), ''), \
              (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub'))::uuid $$;\n\
         GRANT USAGE ON SCHEMA auth TO anon, authenticated, service_role;\n\
         GRANT EXECUTE ON FUNCTION auth.jwt(), auth.uid() TO anon, authenticated, service_role;\n",
    );
    let mut migrations: Vec<PathBuf> = std::fs::read_dir(repo_root().join("sql"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "sql"))
        .collect();
    migrations.sort();
    assert!(migrations.len() >= 2, "{migrations:?}");
    for m in &migrations {
        db.run(&std::fs::read_to_string(m).unwrap());
    }
    db
}

/// `$__interval` as the SQL data sources' global interpolation writes it (gtime.FormatInterval).
fn format_interval(seconds: i64) -> String {
    match seconds {
        s if s % 86_400 == 0 => format!("{}d", s / 86_400),
        s if s % 3600 == 0 => format!("{}h", s / 3600),
        s if s % 60 == 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

/// gtime.ParseInterval for the forms used here (`30s`, `1m`, `1h`, `1d`), in seconds.
fn parse_interval(text: &str) -> i64 {
    let text = text.trim_matches('\'');
    let (number, unit) = text.split_at(text.len() - 1);
    let n: i64 = number
        .parse()
        .unwrap_or_else(|_| panic!("interval {text:?}"));
    n * match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        other => panic!("interval unit {other:?}"),
    }
}

/// Go's `time.RFC3339Nano` of a UTC time (fraction without trailing zeros, `Z`).
fn rfc3339_nano(t: Micros) -> String {
    let seconds = to_datetime(t).to_rfc3339_opts(SecondsFormat::Secs, true);
    let nanos = t.rem_euclid(1_000_000) * 1000;
    if nanos == 0 {
        return seconds;
    }
    let fraction = format!("{nanos:09}");
    let stem = seconds.strip_suffix('Z').expect("UTC");
    format!("{stem}.{}Z", fraction.trim_end_matches('0'))
}

/// `sql` as Grafana's PostgreSQL data source sends it for the range `[from, to]` and interval.
fn expand(sql: &str, from: Micros, to: Micros, interval_s: i64) -> String {
    let sql = sql
        .replace("$__interval_ms", &(interval_s * 1000).to_string())
        .replace("$__interval", &format_interval(interval_s));
    // The macro engine: `\$([_a-zA-Z0-9]+)\(([^\)]*)\)`, each match replaced once.
    let mut out = String::new();
    let mut rest = sql.as_str();
    while let Some(start) = rest.find('$') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        let name_len = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(after.len());
        let (name, tail) = after.split_at(name_len);
        let Some(args_and_rest) = tail.strip_prefix('(').filter(|_| name_len > 0) else {
            out.push('$');
            rest = after;
            continue;
        };
        let close = args_and_rest.find(')').expect("a macro call ends with )");
        let args: Vec<&str> = args_and_rest[..close].split(',').map(str::trim).collect();
        let next = &args_and_rest[close + 1..];
        // Grafana's pre-5.3 compatibility: `$__timeGroup(...)` followed by `,` gets the alias.
        let name = if name == "__timeGroup" && next.starts_with(',') {
            "__timeGroupAlias"
        } else {
            name
        };
        let group = |args: &[&str]| {
            let s = parse_interval(args[1]);
            format!("floor(extract(epoch from {})/{s})*{s}", args[0])
        };
        let expanded = match name {
            "__time" => format!("{} AS \"time\"", args[0]),
            "__timeFilter" => format!(
                "{} BETWEEN '{}' AND '{}'",
                args[0],
                rfc3339_nano(from),
                rfc3339_nano(to)
            ),
            "__timeFrom" => format!("'{}'", rfc3339_nano(from)),
            "__timeTo" => format!("'{}'", rfc3339_nano(to)),
            "__timeGroup" => group(&args),
            "__timeGroupAlias" => format!("{} AS \"time\"", group(&args)),
            other => panic!("a macro Grafana's PostgreSQL data source does not have: {other}"),
        };
        out.push_str(&expanded);
        rest = next;
    }
    out.push_str(rest);
    out
}

#[test]
fn macros_expand_as_grafana_expands_them() {
    let from = 1_760_639_700_000_000; // 2025-10-16T18:35:00Z
    let to = from + 86_400_000_000 + 500_000;
    assert_eq!(
        expand(
            "SELECT $__timeGroupAlias(created_at, $__interval), x FROM t WHERE $__timeFilter(created_at) AND a < $__timeFrom() GROUP BY $__timeGroup(created_at, '5m')",
            from,
            to,
            60
        ),
        "SELECT floor(extract(epoch from created_at)/60)*60 AS \"time\", x FROM t WHERE created_at BETWEEN '2025-10-16T18:35:00Z' AND '2025-10-17T18:35:00.5Z' AND a < '2025-10-16T18:35:00Z' GROUP BY floor(extract(epoch from created_at)/300)*300"
    );
    assert_eq!(
        expand("$__timeGroup(c, 1h), y $5", 0, 0, 60),
        "floor(extract(epoch from c)/3600)*3600 AS \"time\", y $5"
    );
}

fn float(text: &str) -> Option<f64> {
    (!text.is_empty()).then(|| {
        text.parse()
            .unwrap_or_else(|_| panic!("not a number: {text:?}"))
    })
}

#[test]
#[ignore = "needs PostgreSQL: bash scripts/test.sh"]
fn every_panel_runs_on_postgres_and_shows_the_consoles_numbers() {
    let db = database("panels");
    let config = DemoConfig::default();
    let dir = std::env::temp_dir().join(format!("canary-grafana-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let csv_path = dir.join("demo.csv");
    let mut csv = csv_header();
    for row in demo::rows(&config) {
        write_csv_row(&mut csv, &row);
    }
    std::fs::write(&csv_path, csv).unwrap();
    db.run(&format!(
        "\\copy observability_events from '{}' with (format csv, header true)\n",
        csv_path.display()
    ));
    let store = demo::generate(&config);
    let whole = Window::whole(&store).unwrap();
    let from = whole.from - whole.from.rem_euclid(MICROS_PER_MINUTE);
    let to = whole.to - whole.to.rem_euclid(MICROS_PER_MINUTE) + MICROS_PER_MINUTE;

    let out = Command::new(env!("CARGO_BIN_EXE_canary-report"))
        .arg("grafana")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dashboard: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let panels = dashboard["panels"].as_array().unwrap();
    assert_eq!(panels.len(), 5);
    let mut compared = 0usize;
    for panel in panels {
        let title = panel["title"].as_str().unwrap();
        let raw = panel["targets"][0]["rawSql"].as_str().unwrap();
        let sql = expand(raw, from, to, 60);
        let result = db.run(&format!(
            "SET TIME ZONE 'UTC';\nSET extra_float_digits = 1;\nSET ROLE canary_grafana;\n\
             BEGIN READ ONLY;\n{sql};\nCOMMIT;\n"
        ));
        let mut lines = result.lines();
        let header: Vec<&str> = lines
            .next()
            .unwrap_or_else(|| panic!("{title}: no header"))
            .split(',')
            .collect();
        assert_eq!(header[0], "time", "{title}: the first column must be time");
        assert!(header.len() >= 2, "{title}: no value column");
        let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
        if title == "Circuit breaker state" {
            // The state at the range's start, then each transition.
            let transitions = metrics::compute(&store, Window::new(from, to)).circuit_breaker;
            assert_eq!(rows.len(), transitions.transitions.len() + 1, "{title}");
            for row in &rows {
                assert!(matches!(row[1], "0" | "1" | "2"), "{title}: {row:?}");
            }
            continue;
        }
        assert!(rows.len() > 1000, "{title}: only {} rows", rows.len());
        for row in &rows {
            let t: i64 = row[0]
                .parse()
                .unwrap_or_else(|_| panic!("{title}: time {:?}", row[0]));
            let start = t * 1_000_000;
            let m = metrics::compute(&store, Window::new(start, start + MICROS_PER_MINUTE));
            let expected: Vec<Option<f64>> = match title {
                "Latency P50 / P95 / P99" => {
                    vec![m.latency.p50_ms, m.latency.p95_ms, m.latency.p99_ms]
                }
                "Error rate" => vec![m.errors.error_rate_pct],
                "Cache hit rate" => vec![m.cache.hit_rate_pct],
                "mem0 write success" => vec![m.mem0.success_rate_pct],
                other => panic!("a panel this test does not know: {other}"),
            };
            for (i, want) in expected.iter().enumerate() {
                let got = float(row[i + 1]);
                let equal = match (got, *want) {
                    (Some(g), Some(w)) if title.starts_with("Latency") => {
                        g.to_bits() == w.to_bits()
                    }
                    (Some(g), Some(w)) => (g - w).abs() <= 1e-12 * w.abs().max(1.0),
                    (g, w) => g == w,
                };
                assert!(
                    equal,
                    "{title}, minute {t}, column {}: PostgreSQL {got:?}, console {want:?}",
                    header[i + 1]
                );
                compared += 1;
            }
        }
    }
    assert!(compared > 4 * 1000, "only {compared} values compared");
    std::fs::remove_dir_all(&dir).ok();
    println!("compared {compared} per-minute values of the Grafana panels with the console");
}

#[test]
#[ignore = "needs PostgreSQL: bash scripts/test.sh"]
fn the_grafana_policy_lets_canary_grafana_and_its_members_read_and_nobody_else() {
    let db = database("policy");
    let id = std::process::id();
    let member = format!("grafana_member_{id}");
    let select_only = format!("select_only_{id}");
    db.run(&format!(
        "INSERT INTO observability_events (event_type, success, created_at) VALUES \
           ('api_request', true, '2025-10-16T18:35:00Z'), \
           ('api_request', false, '2025-10-16T18:36:00Z'), \
           ('mem0_operation', true, '2025-10-16T18:37:00Z');\n\
         DROP ROLE IF EXISTS {member};\nDROP ROLE IF EXISTS {select_only};\n\
         CREATE ROLE {member} NOLOGIN IN ROLE canary_grafana;\n\
         CREATE ROLE {select_only} NOLOGIN;\n\
         GRANT USAGE ON SCHEMA public TO {select_only};\n\
         GRANT SELECT ON public.observability_events TO {select_only};\n"
    ));
    let rows_seen_by = |role: &str| {
        db.run(&format!(
            "SET ROLE {role};\nSELECT count(*) AS n FROM public.observability_events;\n"
        ))
    };
    // The role and the logins that are its members see every row.
    assert_eq!(rows_seen_by("canary_grafana"), "n\n3\n");
    assert_eq!(rows_seen_by(&member), "n\n3\n");
    // A role with the same grant but no policy of its own sees nothing: the Grafana policy
    // widens no other role's reads, whatever the API roles' policies say.
    assert_eq!(rows_seen_by(&select_only), "n\n0\n");
    // Read only: no other privilege on the table.
    assert_eq!(
        db.run(
            "SELECT has_table_privilege('canary_grafana', 'public.observability_events', \
             'INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER') AS w;\n"
        ),
        "w\nf\n"
    );
    db.run(&format!(
        "DROP OWNED BY {select_only};\nDROP ROLE {select_only};\nDROP ROLE {member};\n"
    ));
}
