//! The `canary-report` binary as a user runs it: a scenario exported to CSV (the way
//! PostgreSQL's `\copy` writes it) gives the designed alerts in `metrics --json`, and bad input
//! gives the documented exit status with one line on stderr that says what and where.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use canary_core::alerts::{default_rules, evaluate};
use canary_core::demo::{self, DemoConfig, Incident};
use canary_core::event::{MICROS_PER_HOUR, MICROS_PER_MINUTE};
use canary_core::metrics::Window;
use canary_core::read::{csv_header, write_csv_row};
use canary_core::EventStore;
use serde_json::Value;

/// Exit status on bad input (`canary-report --help`: `check` uses 0, 1 and 2 for its verdicts,
/// so errors are 3 for every command).
const EXIT_BAD_INPUT: i32 = 3;

fn canary_report(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_canary-report"))
        .args(args)
        .output()
        .expect("canary-report runs")
}

/// A file in the temporary directory, removed when dropped; unique per process and test.
struct TempFile(PathBuf);

impl TempFile {
    fn new(name: &str, contents: &str) -> TempFile {
        let path =
            std::env::temp_dir().join(format!("canary-report-cli-{}-{name}", std::process::id()));
        std::fs::write(&path, contents).expect("temporary file written");
        TempFile(path)
    }

    fn path(&self) -> &str {
        self.0.to_str().expect("UTF-8 temporary path")
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// The rows of `config` as a CSV export.
fn csv_of(config: &DemoConfig) -> String {
    let mut csv = csv_header();
    for row in demo::rows(config) {
        write_csv_row(&mut csv, &row);
    }
    csv
}

/// The single line of stderr of a failed run, after checking the exit status.
fn error_line(output: &Output) -> String {
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(
        output.status.code(),
        Some(EXIT_BAD_INPUT),
        "stderr: {stderr}"
    );
    assert!(output.stdout.is_empty(), "{output:?}");
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "one line on stderr: {stderr:?}");
    lines[0].to_owned()
}

/// A 9 % error burst for 20 minutes in three hours of busy traffic (the error burst of
/// `canary-core`'s alert scenarios), exported to CSV and read back by the CLI: `alerts` names
/// error_rate's warning, critical and emergency, and matches the engine run in process on the
/// same rows field by field.
#[test]
fn metrics_json_lists_the_designed_alerts_of_an_exported_scenario() {
    let calm = DemoConfig::calm(7);
    let config = DemoConfig {
        duration: 3 * MICROS_PER_HOUR,
        requests_per_minute: calm.requests_per_minute * 4.0,
        mem0_writes_per_minute: calm.mem0_writes_per_minute * 4.0,
        incidents: vec![Incident::ErrorBurst {
            at: MICROS_PER_HOUR,
            minutes: 20,
            failure_rate: 0.09,
        }],
        ..calm
    };
    let file = TempFile::new("error-burst.csv", &csv_of(&config));
    let output = canary_report(&["metrics", "--input", file.path(), "--json"]);
    assert!(output.status.success(), "{output:?}");
    let json: Value = serde_json::from_slice(&output.stdout).expect("one JSON object");

    let keys = [
        "latency",
        "latency_by_endpoint",
        "errors",
        "errors_by_type",
        "cache",
        "cache_by_prefix",
        "cache_stampedes",
        "mem0",
        "mem0_failures_by_type",
        "circuit_breaker",
        "alerts",
        "criteria",
        "window",
    ];
    for key in keys {
        assert!(json.get(key).is_some(), "no {key:?} in the JSON");
    }

    let alerts = json["alerts"].as_array().expect("alerts is an array");
    let mut pairs: Vec<(&str, &str)> = alerts
        .iter()
        .map(|a| (a["metric"].as_str().unwrap(), a["level"].as_str().unwrap()))
        .collect();
    pairs.sort_unstable();
    assert_eq!(
        pairs,
        [
            ("error_rate", "critical"),
            ("error_rate", "emergency"),
            ("error_rate", "warning"),
        ],
        "{alerts:#?}"
    );

    // The same rows in process: the CSV round trip is exact, so the alerts are the same.
    let mut store = EventStore::new();
    store.extend(demo::rows(&config));
    let evaluation = evaluate(&store, Window::whole(&store), &default_rules());
    let expected = serde_json::to_value(&evaluation.alerts).expect("alerts serialise");
    let expected = expected.as_array().unwrap();
    assert_eq!(alerts.len(), expected.len());
    for (got, want) in alerts.iter().zip(expected) {
        for field in ["metric", "level", "threshold", "since", "until"] {
            assert_eq!(got[field], want[field], "{field} of {got}");
        }
        // The JSON text of a float parses back to within an ulp.
        let (g, w) = (got["worst_value"].as_f64(), want["worst_value"].as_f64());
        assert!(
            g.zip(w)
                .is_some_and(|(g, w)| (g - w).abs() <= w.abs() * 1e-15),
            "worst_value of {got}"
        );
    }
    // The burst is over when the data ends: every alert has resolved.
    assert!(alerts.iter().all(|a| a["until"].is_string()), "{alerts:#?}");
    assert_eq!(alerts[0]["threshold"], 5.0, "the emergency comes first");
}

/// Bad input: the documented exit status and one line on stderr that names what is wrong and
/// where.
#[test]
fn bad_input_is_one_line_naming_the_problem() {
    let good = csv_of(&DemoConfig {
        duration: 10 * MICROS_PER_MINUTE,
        ..DemoConfig::calm(1)
    });
    // Row 2's created_at (the last field of its line) is not a time.
    let mut lines: Vec<String> = good.lines().take(4).map(str::to_owned).collect();
    let comma = lines[2].rfind(',').unwrap();
    lines[2].replace_range(comma + 1.., "2025-10-16 25:61:00+00");
    let bad_time = TempFile::new("bad-timestamp.csv", &(lines.join("\n") + "\n"));
    let missing = std::env::temp_dir().join("canary-report-cli-no-such-file.csv");
    let missing = missing.to_str().unwrap();

    // (name, arguments, texts the error line must contain)
    let cases: [(&str, Vec<&str>, Vec<&str>); 3] = [
        (
            "missing file",
            vec!["metrics", "--input", missing, "--json"],
            vec![missing],
        ),
        (
            "bad timestamp",
            vec!["metrics", "--input", bad_time.path(), "--json"],
            vec![bad_time.path(), "row 2", "column created_at", "25:61:00"],
        ),
        (
            "--to before --from",
            vec![
                "metrics",
                "--demo",
                "--from",
                "2025-10-17T00:00:00Z",
                "--to",
                "2025-10-16T00:00:00Z",
            ],
            vec!["--to must be after --from"],
        ),
    ];
    for (name, args, needles) in cases {
        let line = error_line(&canary_report(&args));
        assert!(line.starts_with("canary-report: error: "), "{name}: {line}");
        for needle in needles {
            assert!(line.contains(needle), "{name}: {needle:?} not in {line:?}");
        }
    }
    assert!(!Path::new(missing).exists());
}
