//! An alert's threshold and worst value read the same, with the same unit, in every output of
//! `canary-report`: the readable `metrics` report, the `email` Markdown and `--json`. The Redis
//! evictions alert is the case that once differed: it shares the `redis_memory` metric with the
//! memory-share alerts but counts keys, not percent.

use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;

fn evictions_fixture() -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../canary-core/tests/fixtures/redis/evictions.txt")
        .to_str()
        .expect("UTF-8 path")
        .to_owned()
}

fn stdout_of(args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_canary-report"))
        .args(args)
        .output()
        .expect("canary-report runs");
    assert!(
        output.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("UTF-8 output")
}

/// The lines of `text` that are about the `redis_memory` alert.
fn redis_lines(text: &str) -> Vec<&str> {
    text.lines()
        .filter(|l| l.contains("redis_memory") || l.contains("Redis memory"))
        .collect()
}

#[test]
fn the_evictions_alert_counts_keys_in_every_output() {
    let fixture = evictions_fixture();
    let common = ["--demo", "--redis-info", fixture.as_str()];

    let human = stdout_of(&[&["metrics"], &common[..]].concat());
    let lines = redis_lines(&human);
    let alert = lines
        .iter()
        .find(|l| l.trim_start().starts_with("emergency") && l.contains("4035"))
        .unwrap_or_else(|| panic!("no evictions line in:\n{human}"));
    assert!(
        alert.contains("(threshold > 0 evicted keys)") && alert.contains("worst 4035 evicted keys"),
        "{alert}"
    );
    assert!(
        !alert.contains('%'),
        "a key count shown as a share: {alert}"
    );

    let email = stdout_of(&[&["email"], &common[..]].concat());
    let row = redis_lines(&email)
        .into_iter()
        .find(|l| l.contains("emergency") && l.contains("4035"))
        .unwrap_or_else(|| panic!("no evictions row in:\n{email}"));
    assert!(
        row.contains("| > 0 evicted keys |") && row.contains("| 4035 evicted keys |"),
        "{row}"
    );

    // JSON carries the numbers without units: the threshold and the count of keys.
    let json: Value =
        serde_json::from_str(&stdout_of(&[&["metrics", "--json"], &common[..]].concat()))
            .expect("JSON");
    let evictions = json["alerts"]
        .as_array()
        .expect("alerts")
        .iter()
        .find(|a| a["metric"] == "redis_memory" && a["threshold"] == 0.0)
        .expect("the evictions alert");
    assert_eq!(evictions["level"], "emergency");
    assert_eq!(evictions["worst_value"], 4035.0);
}
