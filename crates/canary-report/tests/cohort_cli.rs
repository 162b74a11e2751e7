//! A canary-only regression as a user meets it: three hours in which the canary cohort
//! (`details.canary = true`, about 10 % of requests) is 1.8 times slower and fails 3 % of its
//! requests while control is normal, exported to CSV and read by every command. The absolute
//! rules, computed over all requests, barely move; the cohort rules must make the verdict
//! "Issues Detected" or worse everywhere, with the reason and the endpoints behind it. The same
//! hours with identical cohorts stay "On Track".

use std::path::PathBuf;
use std::process::{Command, Output};

use canary_core::event::{Details, EventRow, EventType, MICROS_PER_MINUTE};
use canary_core::read::{csv_header, write_csv_row};
use serde_json::Value;
use std::borrow::Cow;

/// 2025-10-16 18:35:00 UTC, the guide's Phase 1 start.
const START: i64 = 1_760_639_700_000_000;
const MINUTES: i64 = 180;
const REQUESTS_PER_MINUTE: i64 = 200;
const ENDPOINTS: [&str; 2] = ["/api/chat", "/api/appointments"];

fn canary_report(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_canary-report"))
        .args(args)
        .output()
        .expect("canary-report runs")
}

/// A small deterministic generator (xorshift).
struct Rng(u64);

impl Rng {
    fn unit(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Three hours of requests as a CSV export; with `regression`, the canary cohort is 1.8 times
/// slower and fails 3 % of its requests (control: 0.3 %); without `tagged`, no request carries
/// `details.canary`.
fn scenario_csv(regression: bool, tagged: bool) -> String {
    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    let mut csv = csv_header();
    let mut id = 0i64;
    for minute in 0..MINUTES {
        for i in 0..REQUESTS_PER_MINUTE {
            id += 1;
            let canary = rng.unit() < 0.10;
            let endpoint = ENDPOINTS[usize::from(rng.unit() < 0.4)];
            let (slowdown, failure_rate) = if canary && regression {
                (1.8, 0.03)
            } else {
                (1.0, 0.003)
            };
            // 120–280 ms, skewed: the absolute P50 rule (400 ms) stays quiet for all requests.
            let ms = (120.0 + 160.0 * rng.unit() * rng.unit()) * slowdown;
            let ok = rng.unit() >= failure_rate;
            let row = EventRow {
                id,
                event_type: EventType::RequestCompleted,
                success: Some(ok),
                cache_hit: None,
                processing_time_ms: Some((ms * 100.0).round() / 100.0),
                cache_key: None,
                details: Details {
                    endpoint: Some(Cow::Borrowed(endpoint)),
                    error_type: (!ok).then_some(Cow::Borrowed("UpstreamTimeout")),
                    error_message: (!ok).then_some(Cow::Borrowed("upstream timed out after 30 s")),
                    canary: tagged.then_some(canary),
                    ..Details::default()
                },
                created_at: START
                    + minute * MICROS_PER_MINUTE
                    + i * (MICROS_PER_MINUTE / REQUESTS_PER_MINUTE),
            };
            write_csv_row(&mut csv, &row);
        }
    }
    csv
}

/// The CSV in a temporary file, removed when dropped.
struct TempCsv(PathBuf);

impl TempCsv {
    fn new(name: &str, contents: &str) -> TempCsv {
        let path = std::env::temp_dir().join(format!(
            "canary-report-cohort-{}-{name}.csv",
            std::process::id()
        ));
        std::fs::write(&path, contents).expect("temporary file written");
        TempCsv(path)
    }

    fn path(&self) -> &str {
        self.0.to_str().expect("UTF-8 temporary path")
    }
}

impl Drop for TempCsv {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// The end of the scenario: the phase (24 h) is still running.
const NOW: &str = "2025-10-16T21:35:00Z";

fn stdout(args: &[&str], expected_code: i32) -> String {
    let out = canary_report(args);
    let text = String::from_utf8(out.stdout).expect("UTF-8 output");
    assert_eq!(
        out.status.code(),
        Some(expected_code),
        "{args:?}\nstdout: {text}\nstderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    text
}

#[test]
fn a_canary_only_regression_is_issues_detected_everywhere_with_its_reason() {
    let csv = TempCsv::new("regression", &scenario_csv(true, true));
    let input = ["--input", csv.path(), "--now", NOW];

    // `check`: Issues Detected (exit 1), the cohort rule named, the endpoints behind it.
    let check = stdout(&[&["check"][..], &input].concat(), 1);
    let first = check.lines().next().unwrap();
    assert!(first.starts_with("Issues Detected: "), "{check}");
    assert!(first.contains("canary_p50_latency critical"), "{check}");
    assert!(
        check.contains("Canary P50 latency vs control > 25 % slower"),
        "{check}"
    );
    assert!(check.contains("endpoint /api/chat: canary"), "{check}");
    assert!(
        check.contains("error type UpstreamTimeout: canary"),
        "{check}"
    );

    // `metrics --json`: the cohorts object with both cohorts, the tests, the call and the rule.
    let json: Value =
        serde_json::from_str(&stdout(&[&["metrics", "--json"][..], &input].concat(), 0)).unwrap();
    let cohorts = &json["cohorts"];
    assert_eq!(cohorts["call"], "canary_worse", "{cohorts:#}");
    assert_eq!(cohorts["status_now"], "issues_detected");
    let deciding = cohorts["deciding_rule"].as_str().unwrap();
    assert!(deciding.starts_with("Canary "), "{deciding}");
    let now = &cohorts["now"];
    let p50_ratio = now["p50_ratio"].as_f64().unwrap();
    assert!((1.6..2.0).contains(&p50_ratio), "{p50_ratio}");
    assert!(now["latency_p_value"].as_f64().unwrap() < 1e-6);
    assert!(now["error_test"]["p_value"].as_f64().unwrap() < 0.0005);
    assert!(
        now["latency_test"]["hodges_lehmann_low_ms"]
            .as_f64()
            .unwrap()
            > 0.0
    );
    assert!(now["canary"]["requests"].as_u64().unwrap() > 300);
    assert!(now["control"]["requests"].as_u64().unwrap() > 3000);
    let whole = &cohorts["whole_window"];
    assert!(whole["canary"]["p50_ms"].as_f64() > whole["control"]["p50_ms"].as_f64());
    let alerts = cohorts["alerts"].as_array().unwrap();
    // 3 % against 0.3 % is 2.7 points: above the critical 2 points on average, but 18 failures
    // in a half hour of canary requests swing by about 4, so the error-rate alerts come and go.
    let error_alert = alerts
        .iter()
        .find(|a| a["metric"] == "canary_error_rate")
        .expect("a canary error-rate alert");
    assert_eq!(
        error_alert["evidence"]["error_types"][0]["error_type"],
        "UpstreamTimeout"
    );
    let endpoints: Vec<&str> = error_alert["evidence"]["endpoints"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["endpoint"].as_str().unwrap())
        .collect();
    assert!(endpoints.contains(&"/api/chat"), "{endpoints:?}");
    // The cohort alerts are alerts like the rest, and the criterion fails.
    let all: Vec<&Value> = json["alerts"].as_array().unwrap().iter().collect();
    assert!(all.iter().any(|a| a["metric"] == "canary_p50_latency"));
    let criterion = json["criteria"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "canary_not_worse")
        .expect("the canary_not_worse criterion");
    assert_eq!(criterion["status"], "fail", "{criterion:#}");

    // The human report says the call once, with the rule and evidence.
    let human = stdout(&[&["metrics"][..], &input].concat(), 0);
    assert!(
        human.contains("Canary against control: Canary worse than control"),
        "{human}"
    );
    assert!(human.contains("Verdict now: Issues Detected"), "{human}");

    // The daily email: the status, the issues, the cohort section with the endpoints.
    let email = stdout(&[&["email"][..], &input].concat(), 0);
    assert!(
        email.contains("- **Status:** ⚠️ Issues Detected"),
        "{email}"
    );
    assert!(email.contains("## Canary against control"), "{email}");
    assert!(email.contains("**Canary worse than control**"), "{email}");
    assert!(email.contains("| /api/chat |"), "{email}");
    assert!(email.contains("UpstreamTimeout"), "{email}");
    assert!(
        email.contains("canary\\_p50\\_latency") || email.contains("`canary_p50_latency`"),
        "{email}"
    );

    // The sign-off: "Canary not worse than control" is a failed criterion.
    let signoff = stdout(&[&["signoff"][..], &input].concat(), 0);
    let line = signoff
        .lines()
        .find(|l| l.contains("Canary not worse than control"))
        .unwrap_or_else(|| panic!("no canary criterion in:\n{signoff}"));
    assert!(line.contains("❌"), "{line}");
}

#[test]
fn identical_cohorts_stay_on_track() {
    let csv = TempCsv::new("identical", &scenario_csv(false, true));
    let input = ["--input", csv.path(), "--now", NOW];
    let check = stdout(&[&["check"][..], &input].concat(), 0);
    assert_eq!(check, "On Track: no alert firing\n");
    let json: Value =
        serde_json::from_str(&stdout(&[&["metrics", "--json"][..], &input].concat(), 0)).unwrap();
    assert_eq!(json["cohorts"]["call"], "not_worse");
    assert_eq!(json["cohorts"]["alerts"], Value::Array(vec![]));
    assert_eq!(json["cohorts"]["deciding_rule"], Value::Null);
    let email = stdout(&[&["email"][..], &input].concat(), 0);
    assert!(email.contains("- **Status:** ✅ On Track"), "{email}");
    assert!(
        email.contains("**Canary not worse than control**"),
        "{email}"
    );
}

#[test]
fn untagged_data_says_so_once_and_the_absolute_rules_decide() {
    let csv = TempCsv::new("untagged", &scenario_csv(false, false));
    let input = ["--input", csv.path(), "--now", NOW];
    let check = stdout(&[&["check"][..], &input].concat(), 0);
    assert_eq!(
        check,
        "On Track: no alert firing\n  No cohort tags: the absolute rules decide alone\n"
    );
    let json: Value =
        serde_json::from_str(&stdout(&[&["metrics", "--json"][..], &input].concat(), 0)).unwrap();
    assert_eq!(json["cohorts"]["call"], "no_cohort_tags");
    assert_eq!(json["cohorts"]["tagged"], false);
    let human = stdout(&[&["metrics"][..], &input].concat(), 0);
    assert_eq!(human.matches("No cohort tags").count(), 1, "{human}");
    assert!(
        !human.contains("Canary vs control"),
        "no table of empty cohorts:\n{human}"
    );
}
