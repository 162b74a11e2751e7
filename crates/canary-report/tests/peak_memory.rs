//! Memory follows the rows, never the time span they cover: every command on a two-row export
//! whose rows are thousands of years apart (and a window over PostgreSQL's whole range) peaks
//! under 50 MB. Alone in its test binary, so `getrusage(RUSAGE_CHILDREN)` sees only these runs.

use std::process::Command;

const HEADER: &str =
    "id,event_type,success,cache_hit,processing_time_ms,cache_key,details,created_at\n";

/// The most any run may hold, in bytes.
const LIMIT: i64 = 50 * 1024 * 1024;

#[cfg(unix)]
#[test]
fn two_rows_years_apart_stay_under_50_mb() {
    let dir = std::env::temp_dir().join(format!("canary-peak-memory-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let input = dir.join("events.csv");
    std::fs::write(
        &input,
        format!(
            "{HEADER}1,request_completed,t,,120,,{{}},0001-01-01 00:00:00+00\n\
             2,request_completed,f,,80,,{{}},9999-12-31 23:59:59+00\n\
             3,mem0_write,t,,5,,{{}},4714-11-24 00:00:00+00 BC\n"
        ),
    )
    .unwrap();
    let input = input.to_str().unwrap();
    let runs: [&[&str]; 6] = [
        &["metrics", "--input", input, "--json"],
        &["metrics", "--input", input],
        &["check", "--input", input],
        &["email", "--input", input, "--now", "2025-10-17T00:00:00Z"],
        &["signoff", "--input", input, "--now", "2025-10-17T00:00:00Z"],
        &[
            "metrics",
            "--input",
            input,
            "--from",
            "4714-11-24T00:00:00Z BC",
            "--to",
            "262142-12-31T00:00:00Z",
        ],
    ];
    for args in runs {
        let out = Command::new(env!("CARGO_BIN_EXE_canary-report"))
            .args(args)
            .output()
            .expect("canary-report runs");
        // `check` has no verdict on three rows (too few for any rule): No Data, exit 4.
        let expected = if args[0] == "check" { 4 } else { 0 };
        assert_eq!(
            out.status.code(),
            Some(expected),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // SAFETY: getrusage writes one rusage struct into the zeroed value given.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        assert_eq!(libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage), 0);
        usage
    };
    // Linux reports kilobytes.
    let peak = usage.ru_maxrss * 1024;
    println!(
        "peak resident memory of the largest run: {:.1} MB",
        peak as f64 / 1e6
    );
    assert!(peak < LIMIT, "peak {peak} bytes");
    let _ = std::fs::remove_dir_all(&dir);
}
