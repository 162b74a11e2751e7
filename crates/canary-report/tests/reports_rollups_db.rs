//! `canary-report email` and `signoff` on the rollup path, against real components: PostgreSQL
//! 15 with `sql/004_rollups.sql`, read through PostgREST 12.0.2 behind the gateway of
//! `scripts/supabase-local.sh`, with Row Level Security on.
//!
//! A report whose windows hold more rows than `CANARY_EXACT_ROWS_LIMIT` is computed from the
//! rollups: it says at its top that its percentiles are approximate and why, shows every
//! percentile with its bound, says that the cohort rules need `--exact`, and its counts and rates
//! equal those of the same report with `--exact`. Under the limit, the report is the exact one,
//! byte for byte. `metrics --json` and `check` from the rollups evaluate the cohort rules too.
//!
//! `#[ignore]`d so a plain `cargo test` skips them; `bash scripts/test.sh` runs them (step
//! "Supabase REST path"), or by hand:
//!
//! ```text
//! bash scripts/supabase-local.sh run cargo test -p canary-report --test reports_rollups_db -- --include-ignored
//! ```
//!
//! Without the stack's environment they FAIL, never pass silently.

use std::io::Write as _;
use std::process::{Command, Stdio};

use canary_core::demo::{rows as demo_rows, DemoConfig};
use canary_core::event::{EventRow, Micros, MICROS_PER_HOUR, MICROS_PER_MINUTE};
use canary_core::read::{csv_header, write_csv_row};
use canary_core::time::format_rfc3339;

const M: Micros = MICROS_PER_MINUTE;
/// This suite's time slot and id range of the shared table (apart from `rollups_db.rs`'s).
const SLOT_SHIFT: Micros = 360 * 24 * MICROS_PER_HOUR;
const ID_BASE: i64 = 360_000_000;
const ID_END: i64 = 370_000_000;

struct Stack {
    url: String,
    anon: String,
    user: String,
    db: String,
    psql: String,
}

impl Stack {
    fn from_env() -> Stack {
        let var = |name: &str| match std::env::var(name) {
            Ok(v) if !v.trim().is_empty() => v,
            _ => panic!(
                "{name} is not set: these tests need the local Supabase stand-in. Run `bash \
                 scripts/test.sh`, or `bash scripts/supabase-local.sh run cargo test -p \
                 canary-report --test reports_rollups_db -- --include-ignored`"
            ),
        };
        Stack {
            url: var("CANARY_SUPABASE_URL"),
            anon: var("CANARY_SUPABASE_ANON_KEY"),
            user: var("CANARY_SUPABASE_USER_TOKEN"),
            db: var("CANARY_SUPABASE_DB"),
            psql: std::env::var("CANARY_PSQL").unwrap_or_else(|_| "psql".to_owned()),
        }
    }

    /// Runs SQL as the superuser.
    fn sql(&self, script: &str) {
        let mut child = Command::new(&self.psql)
            .args([
                "-X",
                "-q",
                "-v",
                "ON_ERROR_STOP=1",
                "-d",
                &self.db,
                "-f",
                "-",
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("psql runs");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(script.as_bytes())
            .expect("script written");
        let out = child.wait_with_output().expect("psql");
        assert!(
            out.status.success(),
            "psql failed: {}\n{script}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// Runs the CLI signed in as a team member: exit status, stdout, stderr.
fn cli(stack: &Stack, args: &[&str], limit: &str) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_canary-report"))
        .args(args)
        .env_remove("SUPABASE_EMAIL")
        .env_remove("SUPABASE_PASSWORD")
        .env_remove("SUPABASE_REFRESH_TOKEN_FILE")
        .env("SUPABASE_ANON_KEY", &stack.anon)
        .env("SUPABASE_ACCESS_TOKEN", &stack.user)
        .env("CANARY_EXACT_ROWS_LIMIT", limit)
        .output()
        .expect("canary-report runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The demo day of about 20,000 events in this suite's slot, loaded and rolled up; its first
/// and last whole minutes.
fn load_day(stack: &Stack) -> (Micros, Micros) {
    let rows: Vec<EventRow<'static>> = demo_rows(&DemoConfig::with_events(20_000))
        .map(|mut r| {
            r.id += ID_BASE;
            r.created_at += SLOT_SHIFT;
            r
        })
        .collect();
    let dir = std::env::temp_dir().join(format!("canary-report-rollups-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("scratch dir");
    let path = dir.join("load.csv");
    let mut text = csv_header();
    for r in &rows {
        write_csv_row(&mut text, r);
    }
    std::fs::write(&path, text).expect("write CSV");
    stack.sql(&format!(
        "delete from observability_events where id >= {ID_BASE} and id < {ID_END};\n\
         \\copy observability_events from '{}' with (format csv, header true)\n\
         select canary_private.refresh_rollups();",
        path.display()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    let first = rows.iter().map(|r| r.created_at).min().unwrap();
    let last = rows.iter().map(|r| r.created_at).max().unwrap();
    (first.div_euclid(M) * M, last.div_euclid(M) * M + M)
}

fn line<'a>(text: &'a str, prefix: &str) -> &'a str {
    text.lines()
        .find(|l| l.starts_with(prefix))
        .unwrap_or_else(|| panic!("no line {prefix:?} in\n{text}"))
}

#[test]
#[ignore = "needs PostgREST: bash scripts/test.sh"]
fn email_and_signoff_read_the_rollups_above_the_limit() {
    let stack = Stack::from_env();
    let (from, to) = load_day(&stack);
    let (from, to) = (format_rfc3339(from), format_rfc3339(to));
    let report = |kind: &str, extra: &[&str], limit: &str| -> (String, String) {
        let mut args = vec![
            kind,
            "--supabase-url",
            &stack.url,
            "--name",
            "rollup-reports",
            "--phase-start",
            &from,
            "--now",
            &to,
        ];
        // The email's period; the sign-off judges the phase so far.
        if kind == "email" {
            args.extend_from_slice(&["--from", &from, "--to", &to]);
        }
        args.extend_from_slice(extra);
        let (code, out, err) = cli(&stack, &args, limit);
        assert_eq!(code, 0, "{kind} {extra:?}: {err}");
        (out, err)
    };
    let notice = "> **Percentiles are approximate (±1 %).**";

    // The email: from the rollups above the limit, from the rows with --exact.
    let (approx, err) = report("email", &[], "5000");
    assert!(err.contains("reading the rollups"), "{err}");
    assert!(
        approx.lines().nth(2).unwrap().starts_with(notice),
        "{approx}"
    );
    let (exact, _) = report("email", &["--exact"], "5000");
    assert!(!exact.contains(notice), "{exact}");
    // Exact counts and rates, bounded percentiles.
    assert_eq!(
        line(&approx, "- **Period:**"),
        line(&exact, "- **Period:**")
    );
    for metric in ["| Error Rate |", "| Cache Hit Rate |", "| mem0 Success |"] {
        assert_eq!(line(&approx, metric), line(&exact, metric));
    }
    for metric in ["| P50 Latency |", "| P95 Latency |", "| P99 Latency |"] {
        let row = line(&approx, metric);
        assert!(row.contains("≈ ") && row.contains(" ms (±1 %)"), "{row}");
        assert!(!line(&exact, metric).contains('≈'));
    }
    // The cohort rules from the rollups, saying how they differ from the rows'.
    let call = |text: &str| {
        let (_, rest) = text
            .split_once("## Canary against control\n\n")
            .expect("a canary-against-control section");
        rest.lines().next().unwrap_or_default().to_owned()
    };
    assert_eq!(call(&approx), call(&exact), "the cohort rules' call");
    assert!(approx.contains("\nFrom the rollups: request, error and mem0 counts are exact"));
    // Under the limit, the report is the exact one.
    let (small, err) = report("email", &[], "1000000");
    assert!(!err.contains("reading the rollups"), "{err}");
    assert_eq!(small, exact);

    // The sign-off: the same choice, the same counts.
    let (approx, err) = report("signoff", &[], "5000");
    assert!(err.contains("reading the rollups"), "{err}");
    assert!(
        approx.lines().nth(2).unwrap().starts_with(notice),
        "{approx}"
    );
    let (exact, _) = report("signoff", &["--exact"], "5000");
    assert!(!exact.contains(notice));
    for item in ["  - [", "- ["] {
        assert_eq!(
            approx.lines().filter(|l| l.starts_with(item)).count(),
            exact.lines().filter(|l| l.starts_with(item)).count(),
            "{item}\n{approx}\n{exact}"
        );
    }
    for criterion in [
        "  - [x] Error rate",
        "  - [ ] Error rate",
        "  - [x] Cache hit rate",
    ] {
        let find = |text: &str| {
            text.lines()
                .find(|l| l.starts_with(criterion))
                .map(str::to_owned)
        };
        assert_eq!(find(&approx), find(&exact), "{criterion}");
    }
    let p50 = line(&approx, "  - [");
    assert!(p50.contains("(±1 %)"), "{p50}");
    let canary = |text: &str| {
        text.lines()
            .find(|l| l.starts_with("  - [") && l.contains("Canary not worse than control"))
            .map(str::to_owned)
    };
    assert!(canary(&approx).is_some());
    assert_eq!(canary(&approx), canary(&exact));
    let (small, _) = report("signoff", &[], "1000000");
    assert_eq!(small, exact);

    // `metrics --json` and `check` from the rollups evaluate the cohort rules too.
    let json = |extra: &[&str]| -> serde_json::Value {
        let mut args = vec![
            "metrics",
            "--supabase-url",
            &stack.url,
            "--from",
            &from,
            "--to",
            &to,
            "--now",
            &to,
            "--json",
        ];
        args.extend_from_slice(extra);
        let (code, out, err) = cli(&stack, &args, "5000");
        assert_eq!(code, 0, "{err}");
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"))
    };
    let (approx, exact) = (json(&[]), json(&["--exact"]));
    assert_eq!(approx["source"], "rollups");
    assert_eq!(approx["cohorts"]["call"], exact["cohorts"]["call"]);
    assert_eq!(approx["cohorts"]["tagged"], true);
    let check = |extra: &[&str]| -> i32 {
        let mut args = vec![
            "check",
            "--supabase-url",
            &stack.url,
            "--from",
            &from,
            "--to",
            &to,
            "--now",
            &to,
        ];
        args.extend_from_slice(extra);
        cli(&stack, &args, "5000").0
    };
    assert_eq!(check(&[]), check(&["--exact"]), "check's verdict");

    // A window ending an hour after the data (an export that stopped): no verdict from silence,
    // from the rollups as from the rows.
    let later =
        format_rfc3339(canary_core::time::parse_timestamp(&to).expect("a time") + MICROS_PER_HOUR);
    for extra in [&[][..], &["--exact"][..]] {
        let mut args = vec![
            "check",
            "--supabase-url",
            &stack.url,
            "--from",
            &from,
            "--to",
            &later,
            "--now",
            &later,
        ];
        args.extend_from_slice(extra);
        let (code, out, err) = cli(&stack, &args, "5000");
        assert_eq!(code, 4, "{extra:?}: {out}{err}");
        assert!(
            out.starts_with("No Data: fewer than") && out.contains("too few for any rule to judge"),
            "{extra:?}: {out}"
        );
    }
}
