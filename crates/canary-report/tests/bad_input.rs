//! Hostile and odd input to `canary-report`, as a table: broken CSV and JSON, odd numbers and
//! timestamps, flag abuse, unsafe `--out` targets. Every case asserts the exit status, the one
//! line on stderr (or the line on stdout) and that nothing was written where a report was asked
//! for. Data that PostgreSQL would accept (years 1 and 9999, BC dates, subnormal numbers,
//! duplicate ids, unknown event types, sums that overflow) must work and be reported in notes.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Exit statuses (`canary-report --help`).
const EXIT_OK: i32 = 0;
const EXIT_ROLLBACK: i32 = 2;
const EXIT_ERROR: i32 = 3;
const EXIT_NO_DATA: i32 = 4;

const HEADER: &str =
    "id,event_type,success,cache_hit,processing_time_ms,cache_key,details,created_at\n";
const NOW: &str = "2025-10-17T18:35:00Z";

/// One CSV row with the given fields (already CSV-quoted where needed).
fn row(id: &str, ty: &str, ms: &str, details: &str, at: &str) -> String {
    format!("{id},{ty},t,,{ms},,{details},{at}\n")
}

/// A valid request row `id` at `at`.
fn ok_row(id: u32, at: &str) -> String {
    row(
        &id.to_string(),
        "request_completed",
        "120.5",
        r#""{""endpoint"": ""/api/chat""}""#,
        at,
    )
}

const AT: &str = "2025-10-16 18:35:00+00";

/// A CSV export: the header, one bad row (row 1) between nothing, plus a good row after it.
fn csv_with(bad: String) -> Vec<u8> {
    format!("{HEADER}{bad}{}", ok_row(99, AT)).into_bytes()
}

fn json_row(fields: &str) -> Vec<u8> {
    format!("[{{{fields}}}]").into_bytes()
}

/// The fields of a valid PostgREST row, with `over` replacing or adding some (`"id":…`).
fn json_with(over: &[(&str, &str)]) -> Vec<u8> {
    let mut fields: Vec<(String, String)> = [
        ("id", "1"),
        ("event_type", "\"request_completed\""),
        ("success", "true"),
        ("cache_hit", "null"),
        ("processing_time_ms", "120.5"),
        ("cache_key", "null"),
        ("details", "{\"endpoint\":\"/api/chat\"}"),
        ("created_at", "\"2025-10-16T18:35:00+00:00\""),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    for (k, v) in over {
        match fields.iter_mut().find(|(name, _)| name == k) {
            Some(f) => f.1 = v.to_string(),
            None => fields.push((k.to_string(), v.to_string())),
        }
    }
    let body: Vec<String> = fields
        .iter()
        .filter(|(_, v)| v != "<absent>")
        .map(|(k, v)| format!("\"{k}\":{v}"))
        .collect();
    json_row(&body.join(","))
}

#[derive(Clone)]
enum Expect {
    /// Exit 3, one line on stderr containing this, nothing on stdout.
    Error(String),
    /// This exit status and this text in stdout (and, when given, in stderr).
    Status(i32, String),
}

#[derive(Clone)]
struct Case {
    name: String,
    /// The input file's extension and bytes (`{input}` in `args`).
    file: Option<(&'static str, Vec<u8>)>,
    args: Vec<String>,
    expect: Expect,
}

fn error(
    name: impl Into<String>,
    file: Option<(&'static str, Vec<u8>)>,
    args: &[&str],
    needle: &str,
) -> Case {
    Case {
        name: name.into(),
        file,
        args: args.iter().map(|s| s.to_string()).collect(),
        expect: Expect::Error(needle.to_owned()),
    }
}

fn status(
    name: impl Into<String>,
    file: Option<(&'static str, Vec<u8>)>,
    args: &[&str],
    code: i32,
    needle: &str,
) -> Case {
    Case {
        name: name.into(),
        file,
        args: args.iter().map(|s| s.to_string()).collect(),
        expect: Expect::Status(code, needle.to_owned()),
    }
}

/// A data error: `metrics` on the file must fail with `needle`, and so must `email --out`,
/// leaving no report.
fn data_error(name: impl Into<String>, ext: &'static str, bytes: Vec<u8>, needle: &str) -> Case {
    error(
        name,
        Some((ext, bytes)),
        &["metrics", "--input", "{input}", "--json"],
        needle,
    )
}

fn csv_field_cases(cases: &mut Vec<Case>) {
    let field = "row 1 (line 2), column";
    // created_at values PostgreSQL rejects, each with the message's key words.
    let bad_times: &[(&str, &str)] = &[
        ("0000-01-01 00:00:00+00", "is not a calendar date and time"),
        ("2025-13-01 00:00:00+00", "is not a calendar date and time"),
        ("2025-00-10 00:00:00+00", "is not a calendar date and time"),
        ("2025-02-29 00:00:00+00", "is not a calendar date and time"),
        ("2025-04-31 00:00:00+00", "is not a calendar date and time"),
        ("2025-10-00 00:00:00+00", "is not a calendar date and time"),
        ("2025-10-16 25:00:00+00", "is not a calendar date and time"),
        ("2025-10-16 24:00:01+00", "is not a calendar date and time"),
        ("2025-10-16 24:30:00+00", "is not a calendar date and time"),
        ("2025-10-16 18:60:00+00", "is not a calendar date and time"),
        ("2025-10-16 18:35:61+00", "is not a calendar date and time"),
        (
            "2025-10-16 23:59:60.5+00",
            "is not a calendar date and time",
        ),
        ("2025-10-16 18:35:00+99:99", "UTC offset beyond"),
        ("2025-10-16 18:35:00+16", "UTC offset beyond"),
        ("2025-10-16 18:35:00-16:00", "UTC offset beyond"),
        ("2025-10-16 18:35:00+05:60", "UTC offset beyond"),
        ("2025-10-16 18:35:00+05:30:60", "UTC offset beyond"),
        ("2025-10-16 18:35:00", "has no UTC offset"),
        ("2025-10-16", "expected a timestamp like"),
        ("yesterday", "expected a timestamp like"),
        ("2025/10/16 18:35:00+00", "expected a timestamp like"),
        ("25-10-16 18:35:00+00", "expected a timestamp like"),
        ("2025-10-16 18:35+00", "expected a timestamp like"),
        ("2025-10-16 18:35:00.+00", "expected a timestamp like"),
        ("2025-10-16 18:35:00+0", "expected a timestamp like"),
        ("2025-10-16 18:35:00+000", "expected a timestamp like"),
        ("2025-10-16 18:35:00 UTC", "expected a timestamp like"),
        ("2025-10-16x18:35:00+00", "expected a timestamp like"),
        ("2025-10-16 18:35:00+00 AD", "expected a timestamp like"),
        ("１２３４-10-16 18:35:00+00", "expected a timestamp like"),
        ("4714-11-23 00:00:00+00 BC", "outside timestamptz's range"),
        ("5000-01-01 00:00:00+00 BC", "outside timestamptz's range"),
        (
            "294277-01-01 00:00:00+00",
            "the latest this tool can represent",
        ),
        ("300000-01-01 00:00:00+00", "outside timestamptz's range"),
        (
            "262143-01-01 00:00:00+00",
            "the latest this tool can represent",
        ),
        ("9999999999-01-01 00:00:00+00", "expected a timestamp like"),
        (
            "0000-01-01 00:00:00+00 BC",
            "is not a calendar date and time",
        ),
    ];
    for (text, needle) in bad_times {
        cases.push(data_error(
            format!("csv created_at {text:?}"),
            "csv",
            csv_with(row("1", "request_completed", "1", "{}", text)),
            &format!("{field} created_at: && {needle} && {text:?}"),
        ));
    }
    // Numbers float8in rejects.
    let bad_numbers: &[(&str, &str)] = &[
        ("1e999", "is out of range for type double precision"),
        ("-1e999", "is out of range for type double precision"),
        ("1e-999", "is out of range for type double precision"),
        ("-1e-400", "is out of range for type double precision"),
        ("2e-324", "is out of range for type double precision"),
        ("1.8e308", "is out of range for type double precision"),
        ("abc", "expected a number"),
        ("1,5", "expected a number"),
        ("1.2.3", "expected a number"),
        ("--1", "expected a number"),
        (".", "expected a number"),
        ("e5", "expected a number"),
        ("1e", "expected a number"),
        ("1e+", "expected a number"),
        ("Infinityx", "expected a number"),
        ("0x10", "expected a number"),
        ("1_000", "expected a number"),
        ("١٢٣", "expected a number"),
        ("12 ms", "expected a number"),
    ];
    for (text, needle) in bad_numbers {
        cases.push(data_error(
            format!("csv processing_time_ms {text:?}"),
            "csv",
            csv_with(row(
                "1",
                "request_completed",
                &format!("\"{text}\""),
                "{}",
                AT,
            )),
            &format!("{field} processing_time_ms: "),
        ));
        let last = cases.len() - 1;
        cases[last].expect = Expect::Error(
            format!("{field} processing_time_ms: ")
                + &if needle.starts_with("expected") {
                    format!("expected a number, got \"{text}\"")
                } else {
                    format!("\"{text}\" {needle}")
                },
        );
    }
    let bad_ids = [
        "abc",
        "1.5",
        "99999999999999999999",
        "-",
        "1e3",
        "0x1",
        "１",
    ];
    for text in bad_ids {
        cases.push(data_error(
            format!("csv id {text:?}"),
            "csv",
            csv_with(row(text, "request_completed", "1", "{}", AT)),
            &format!("{field} id: expected a whole number, got \"{text}\""),
        ));
    }
    // A 40-byte number that would print as 5.5e11 digits: numeric refuses it, so must this.
    cases.push(data_error(
        "csv details number beyond numeric",
        "csv",
        csv_with(row(
            "1",
            "request_completed",
            "1",
            r#""{""endpoint"": 0.50e555555555555}""#,
            AT,
        )),
        "column details: not valid JSON (a number beyond the range of numeric",
    ));
    cases.push(data_error(
        "csv id empty",
        "csv",
        csv_with(row("", "request_completed", "1", "{}", AT)),
        &format!("{field} id: empty, but id is NOT NULL"),
    ));
    cases.push(data_error(
        "csv event_type empty",
        "csv",
        csv_with(row("1", "", "1", "{}", AT)),
        &format!("{field} event_type: empty, but event_type is NOT NULL"),
    ));
    cases.push(data_error(
        "csv created_at empty",
        "csv",
        csv_with(row("1", "request_completed", "1", "{}", "")),
        &format!("{field} created_at: empty, but created_at is NOT NULL"),
    ));
    for text in ["yes", "2", "tru", "T1", "null", "1"] {
        cases.push(data_error(
            format!("csv success {text:?}"),
            "csv",
            csv_with(format!("1,request_completed,{text},,1,,{{}},{AT}\n")),
            &format!("{field} success: expected t or f"),
        ));
        cases.push(data_error(
            format!("csv cache_hit {text:?}"),
            "csv",
            csv_with(format!("1,cache_access,,{text},1,,{{}},{AT}\n")),
            &format!("{field} cache_hit: expected t or f"),
        ));
    }
    for text in [
        "{",
        "[1",
        "nul",
        "{\"\"a\"\":}",
        "{\"\"a\"\" 1}",
        "{'a': 1}",
        "\"\"unterminated",
        "{}}",
    ] {
        cases.push(data_error(
            format!("csv details {text:?}"),
            "csv",
            csv_with(row(
                "1",
                "request_completed",
                "1",
                &format!("\"{text}\""),
                AT,
            )),
            &format!("{field} details: not valid JSON"),
        ));
    }
}

fn csv_shape_cases(cases: &mut Vec<Case>) {
    let shapes: &[(&str, String, &str)] = &[
        ("empty file", String::new(), "the file is empty"),
        ("only a newline", "\n".into(), "unknown column \"\""),
        (
            "unknown column",
            "id,event_type,created_at,colour\n".into(),
            "unknown column \"colour\"",
        ),
        (
            "column twice",
            "id,event_type,created_at,id\n".into(),
            "column \"id\" appears twice",
        ),
        (
            "id missing",
            "event_type,created_at\nrequest_completed,2025-10-16 18:35:00+00\n".into(),
            "the required column \"id\" is missing",
        ),
        (
            "created_at missing",
            "id,event_type\n1,request_completed\n".into(),
            "the required column \"created_at\" is missing",
        ),
        (
            "event_type missing",
            "id,created_at\n1,2025-10-16 18:35:00+00\n".into(),
            "the required column \"event_type\" is missing",
        ),
        (
            "too many fields",
            format!("{HEADER}1,request_completed,t,,1,,{{}},{AT},extra\n"),
            "row 1 (line 2): 9 fields, but the header names 8",
        ),
        (
            "too few fields",
            format!("{HEADER}1,request_completed,t\n"),
            "row 1 (line 2): 3 fields, but the header names 8",
        ),
        (
            "unterminated quote",
            format!("{HEADER}1,request_completed,t,,1,,\"{{,{AT}\n"),
            "row 1 (line 2)",
        ),
        (
            "a JSON array in a .csv",
            "[{\"id\": 1}]".into(),
            "unknown column",
        ),
        ("binary zeros", "\0\0\0\0".into(), "unknown column"),
        (
            "semicolons",
            "id;event_type;created_at\n".into(),
            "unknown column \"id;event_type;created_at\"",
        ),
        (
            "second row broken after a good one",
            format!(
                "{HEADER}{}2,request_completed,t,,x,,{{}},{AT}\n",
                ok_row(1, AT)
            ),
            "row 2 (line 3), column processing_time_ms: expected a number, got \"x\"",
        ),
    ];
    for (name, text, needle) in shapes {
        cases.push(data_error(
            format!("csv {name}"),
            "csv",
            text.clone().into_bytes(),
            needle,
        ));
    }
    cases.push(data_error(
        "csv not UTF-8",
        "csv",
        [
            HEADER.as_bytes(),
            b"1,request_completed,t,,1,,{},\xff\xfe\n",
        ]
        .concat(),
        "not UTF-8 text (invalid byte at offset",
    ));
}

fn json_cases(cases: &mut Vec<Case>) {
    let top: &[(&str, &str, &str)] = &[
        ("object", "{}", "expected an array of rows, got an object"),
        ("number", "1", "expected an array of rows, got a number"),
        ("string", "\"x\"", "expected an array of rows, got a string"),
        ("null", "null", "expected an array of rows, got null"),
        ("truncated", "[{\"id\": 1", "not a PostgREST JSON array"),
        ("trailing garbage", "[] x", "not a PostgREST JSON array"),
        ("empty text", "", "not a PostgREST JSON array"),
        (
            "row a number",
            "[1]",
            "row 1 is a number, expected an object",
        ),
        ("row null", "[null]", "row 1 is null, expected an object"),
        (
            "row an array",
            "[[]]",
            "row 1 is an array, expected an object",
        ),
        ("nesting bomb", "", "not a PostgREST JSON array"),
    ];
    for (name, text, needle) in top {
        let bytes = if *name == "nesting bomb" {
            "[".repeat(100_000).into_bytes()
        } else {
            text.as_bytes().to_vec()
        };
        cases.push(data_error(format!("json {name}"), "json", bytes, needle));
    }
    let fields: &[(&str, &str, &str, &str)] = &[
        ("id", "true", "id", "expected a whole number, got true"),
        ("id", "1.5", "id", "expected a whole number, got 1.5"),
        ("id", "\"x\"", "id", "expected a whole number, got \"x\""),
        ("id", "null", "id", "expected a whole number, got null"),
        ("id", "<absent>", "id", "expected a whole number"),
        ("id", "1e300", "id", "expected a whole number"),
        (
            "id",
            "18446744073709551616",
            "id",
            "expected a whole number",
        ),
        ("event_type", "1", "event_type", "expected text, got 1"),
        (
            "event_type",
            "null",
            "event_type",
            "expected text, got nothing",
        ),
        ("event_type", "<absent>", "event_type", "expected text"),
        (
            "success",
            "\"t\"",
            "success",
            "expected true, false or null",
        ),
        ("success", "1", "success", "expected true, false or null"),
        (
            "cache_hit",
            "\"yes\"",
            "cache_hit",
            "expected true, false or null",
        ),
        (
            "processing_time_ms",
            "\"abc\"",
            "processing_time_ms",
            "expected a number, got \"abc\"",
        ),
        (
            "processing_time_ms",
            "\"1e999\"",
            "processing_time_ms",
            "\"1e999\" is out of range for type double precision",
        ),
        (
            "processing_time_ms",
            "\"1e-999\"",
            "processing_time_ms",
            "\"1e-999\" is out of range for type double precision",
        ),
        (
            "processing_time_ms",
            "1e-999",
            "processing_time_ms",
            "\"1e-999\" is out of range for type double precision",
        ),
        (
            "processing_time_ms",
            "true",
            "processing_time_ms",
            "expected a number, got true",
        ),
        (
            "processing_time_ms",
            "{}",
            "processing_time_ms",
            "expected a number",
        ),
        (
            "processing_time_ms",
            "[1]",
            "processing_time_ms",
            "expected a number",
        ),
        ("cache_key", "1", "cache_key", "expected text, got 1"),
        ("cache_key", "[]", "cache_key", "expected text"),
        (
            "created_at",
            "\"2025-10-16\"",
            "created_at",
            "expected a timestamp like",
        ),
        (
            "created_at",
            "\"0000-01-01T00:00:00Z\"",
            "created_at",
            "is not a calendar date and time",
        ),
        (
            "created_at",
            "\"2025-10-16T18:35:00+99:99\"",
            "created_at",
            "UTC offset beyond",
        ),
        (
            "created_at",
            "1760639700",
            "created_at",
            "expected a timestamp string, got 1760639700",
        ),
        (
            "created_at",
            "null",
            "created_at",
            "expected a timestamp string, got nothing",
        ),
        ("details", "\"{\"", "details", "not valid JSON"),
    ];
    for (key, value, column, needle) in fields {
        cases.push(data_error(
            format!("json {key} {value}"),
            "json",
            json_with(&[(key, value)]),
            &format!("row 1, field {column}: && {needle}"),
        ));
    }
    // serde_json refuses a number beyond f64 before any field is read.
    cases.push(data_error(
        "json processing_time_ms 1e999",
        "json",
        json_with(&[("processing_time_ms", "1e999")]),
        "out of range",
    ));
}

fn flag_cases(cases: &mut Vec<Case>) {
    let good = || Some(("csv", format!("{HEADER}{}", ok_row(1, AT)).into_bytes()));
    let flags: &[(&[&str], &str)] = &[
        (&[], "no command given"),
        (&["metrics"], "metrics needs a source"),
        (
            &["report", "--input", "{input}"],
            "unknown command \"report\"",
        ),
        (
            &["metrics", "--input", "{input}", "--demo"],
            "give one source",
        ),
        (&["metrics", "--input"], "--input needs a file name"),
        (
            &["metrics", "--input", "{input}", "--from"],
            "--from needs a time",
        ),
        (
            &["metrics", "--input", "{input}", "--from", "noon"],
            "--from: expected a timestamp like",
        ),
        (
            &["metrics", "--input", "{input}", "--to", "2025-10-16"],
            "--to: expected a timestamp like",
        ),
        (
            &[
                "metrics",
                "--input",
                "{input}",
                "--from",
                "0000-01-01T00:00:00Z",
            ],
            "is not a calendar date and time",
        ),
        (
            &[
                "metrics",
                "--input",
                "{input}",
                "--to",
                "2025-10-16T00:00:00+24:00",
            ],
            "UTC offset beyond",
        ),
        (
            &[
                "metrics",
                "--input",
                "{input}",
                "--from",
                "2025-10-17T00:00:00Z",
                "--to",
                "2025-10-16T00:00:00Z",
            ],
            "the window is empty",
        ),
        (
            &[
                "metrics",
                "--input",
                "{input}",
                "--from",
                "2025-10-16T00:00:00Z",
                "--to",
                "2025-10-16T00:00:00Z",
            ],
            "the window is empty",
        ),
        (
            &["metrics", "--input", "{input}", "--phase", "0"],
            "--phase must be 1, 2 or 3, not \"0\"",
        ),
        (
            &["metrics", "--input", "{input}", "--phase", "4"],
            "--phase must be 1, 2 or 3",
        ),
        (
            &["metrics", "--input", "{input}", "--phase", "x"],
            "--phase must be 1, 2 or 3",
        ),
        (
            &["metrics", "--input", "{input}", "--phase", "01"],
            "--phase must be 1, 2 or 3",
        ),
        (
            &["metrics", "--input", "{input}", "--phase"],
            "--phase needs 1, 2 or 3",
        ),
        (
            &["metrics", "--input", "{input}", "--now", "later"],
            "--now: expected a timestamp like",
        ),
        (
            &["metrics", "--input", "{input}", "--phase-start", "x"],
            "--phase-start: expected a timestamp",
        ),
        (
            &["metrics", "--input", "{input}", "--colour"],
            "invalid option '--colour'",
        ),
        (
            &["metrics", "--input", "{input}", "-x"],
            "invalid option '-x'",
        ),
        (
            &["metrics", "--input", "{input}", "extra"],
            "unexpected argument",
        ),
        (&["metrics", "--input", "{input}", "--json=yes"], "--json"),
        (
            &["metrics", "--input", "{input}", "--out", "x.md"],
            "--out is only for email and signoff",
        ),
        (
            &["check", "--input", "{input}", "--name", "x"],
            "--name is only for email and signoff",
        ),
        (
            &["metrics", "--input", "{dir}/missing.csv"],
            "No such file or directory",
        ),
        (&["metrics", "--input", "{dir}"], "Is a directory"),
        (
            &[
                "metrics",
                "--input",
                "{input}",
                "--redis-info",
                "{dir}/missing.txt",
            ],
            "No such file or directory",
        ),
        (
            &["metrics", "--input", "{input}", "--redis-info"],
            "--redis-info needs a file",
        ),
        (
            &["email", "--input", "{input}", "--date", "yesterday"],
            "--date must be a date like 2025-10-17",
        ),
        (
            &["email", "--input", "{input}", "--date", "2025-02-30"],
            "--date must be a date like 2025-10-17",
        ),
        (
            &[
                "email",
                "--input",
                "{input}",
                "--date",
                "2025-10-17T00:00:00Z",
            ],
            "--date must be a date",
        ),
        (
            &["email", "--input", "{input}", "--json"],
            "--json is for metrics",
        ),
        (
            &["email", "--input", "{input}", "--approved-by", "x"],
            "--approved-by is for signoff, not email",
        ),
        (
            &["email", "--input", "{input}", "--name", " "],
            "--name needs the rollout's name",
        ),
        (
            &["email", "--input", "{input}", "--out"],
            "--out needs a value",
        ),
        (
            &["email", "--input", "{input}", "--out", ""],
            "--out needs a file name",
        ),
        (
            &["signoff", "--input", "{input}", "--date", "2025-10-17"],
            "--date is for email",
        ),
        (
            &[
                "signoff",
                "--input",
                "{input}",
                "--from",
                "2025-10-16T00:00:00Z",
            ],
            "signoff judges the whole phase",
        ),
        (
            &["signoff", "--input", "{input}", "--redis-info", "x"],
            "--redis-info is for metrics, check and email",
        ),
        (
            &["signoff", "--input", "{input}", "--dashboard-url", "x"],
            "--dashboard-url is for email",
        ),
        (
            &["signoff", "--input", "{input}", "--notes"],
            "--notes needs a value",
        ),
    ];
    for (args, needle) in flags {
        cases.push(error(format!("flags {args:?}"), good(), args, needle));
    }
}

fn out_cases(cases: &mut Vec<Case>) {
    let good = || Some(("csv", format!("{HEADER}{}", ok_row(1, AT)).into_bytes()));
    let targets: &[(&str, &str)] = &[
        ("{dir}/link.md", "is a symbolic link, which is not followed"),
        (
            "{dir}/dangling.md",
            "is a symbolic link, which is not followed",
        ),
        ("{dir}/sub", "is a directory"),
        ("/dev/null", "is a device, FIFO or socket"),
        ("/dev/full", "is a device, FIFO or socket"),
        ("{dir}/fifo", "is a device, FIFO or socket"),
        ("{dir}/no-such-dir/out.md", "No such file or directory"),
        ("{dir}/plain.txt/out.md", "Not a directory"),
        ("/", "not a file name"),
    ];
    for (target, needle) in targets {
        for command in ["email", "signoff"] {
            cases.push(error(
                format!("{command} --out {target}"),
                good(),
                &[command, "--input", "{input}", "--now", NOW, "--out", target],
                &format!("cannot write the output: {}", target.replace("{dir}/", "")),
            ));
            let last = cases.len() - 1;
            cases[last].expect = Expect::Error(needle.to_string());
        }
    }
}

/// Odd data PostgreSQL accepts: it must work, with what is odd in the notes.
fn accepted_cases(cases: &mut Vec<Case>) {
    let two_far = format!(
        "{HEADER}{}{}",
        ok_row(1, "0001-01-01 00:00:00+00"),
        ok_row(2, "9999-12-31 23:59:59.999999+00")
    );
    let file = |text: &str| Some(("csv", text.as_bytes().to_vec()));
    let json_args = ["metrics", "--input", "{input}", "--json"];
    cases.push(status(
        "years 1 and 9999",
        file(&two_far),
        &json_args,
        EXIT_OK,
        "\"requests\": 2",
    ));
    cases.push(status(
        "years 1 and 9999: check",
        file(&two_far),
        &[
            "check",
            "--input",
            "{input}",
            "--now",
            "9999-12-31T23:59:59.999999Z",
        ],
        EXIT_NO_DATA,
        "No Data: fewer than 20 events in the 5 min before 9999-12-31T23:59:59.999999Z",
    ));
    // Two rows are too few to judge anywhere; now lies between them.
    cases.push(status(
        "years 1 and 9999: check now",
        file(&two_far),
        &["check", "--input", "{input}"],
        EXIT_NO_DATA,
        "No Data: fewer than 20 events in the 5 min before",
    ));
    cases.push(status(
        "years 1 and 9999: email",
        file(&two_far),
        &["email", "--input", "{input}", "--now", NOW],
        EXIT_OK,
        "rows dated after the report's time",
    ));
    cases.push(status(
        "years 1 and 9999: signoff",
        file(&two_far),
        &["signoff", "--input", "{input}", "--now", NOW],
        EXIT_OK,
        "Phase 1",
    ));
    cases.push(status(
        "whole timestamptz range as a window",
        file(&two_far),
        &[
            "metrics",
            "--input",
            "{input}",
            "--from",
            "4714-11-24T00:00:00Z BC",
            "--to",
            "262142-12-31T00:00:00Z",
        ],
        EXIT_OK,
        "Window:",
    ));
    let bc = format!(
        "{HEADER}{}{}",
        ok_row(1, "4714-11-24 00:00:00+00 BC"),
        ok_row(2, "0044-03-15 12:00:00+00 BC")
    );
    cases.push(status(
        "BC dates",
        file(&bc),
        &json_args,
        EXIT_OK,
        "\"requests\": 2",
    ));
    let odd_times = format!(
        "{HEADER}{}{}{}",
        ok_row(1, "2025-10-16 24:00:00+00"),
        ok_row(2, "2025-10-16 23:59:60+00"),
        ok_row(3, "2025-10-16 18:35:00.9999995+15:59:59")
    );
    cases.push(status(
        "24:00, leap second, ±15:59:59",
        file(&odd_times),
        &json_args,
        EXIT_OK,
        "\"requests\": 3",
    ));
    let tiny = format!(
        "{HEADER}{}",
        row("1", "request_completed", "1e-310", "{}", AT)
    );
    cases.push(status(
        "subnormal latency",
        file(&tiny),
        &json_args,
        EXIT_OK,
        "1e-310",
    ));
    let specials = format!(
        "{HEADER}{}{}{}",
        row("1", "request_completed", "Infinity", "{}", AT),
        row("2", "request_completed", "-inf", "{}", AT),
        row("3", "request_completed", " NaN ", "{}", AT)
    );
    cases.push(status(
        "Infinity and NaN latencies",
        file(&specials),
        &json_args,
        EXIT_OK,
        "NaN or infinite",
    ));
    let dupes = format!(
        "{HEADER}{}{}{}",
        ok_row(1, AT),
        ok_row(1, AT),
        ok_row(2, AT)
    );
    cases.push(status(
        "duplicate ids",
        file(&dupes),
        &json_args,
        EXIT_OK,
        "1 rows repeat an id already read (id 1)",
    ));
    let overflow = format!(
        "{HEADER}{}{}",
        row("1", "request_completed", "1e308", "{}", AT),
        row("2", "request_completed", "1e308", "{}", AT)
    );
    cases.push(status(
        "sum overflow",
        file(&overflow),
        &json_args,
        EXIT_OK,
        "value out of range: overflow",
    ));
    let mut unknown = HEADER.to_owned();
    for i in 0..50 {
        unknown.push_str(&row(
            &i.to_string(),
            &format!("type_{}", i % 7),
            "1",
            "{}",
            AT,
        ));
    }
    cases.push(status(
        "unknown types summarised",
        file(&unknown),
        &json_args,
        EXIT_OK,
        "and 4 more types",
    ));
    let bidi = format!(
        "{HEADER}{}",
        row(
            "1",
            "request_completed",
            "1",
            "\"{\"\"endpoint\"\": \"\"/api/\u{202E}gpj.exe\u{200B}\"\"}\"",
            "2025-10-17 18:00:00+00"
        )
    );
    cases.push(status(
        "bidi endpoint escaped",
        file(&bidi),
        &["email", "--input", "{input}", "--now", NOW],
        EXIT_OK,
        "/api/\u{FFFD}gpj.exe\u{FFFD}",
    ));
    cases.push(status(
        "header only: check",
        file(HEADER),
        &["check", "--input", "{input}"],
        EXIT_NO_DATA,
        "No Data",
    ));
    cases.push(status(
        "window beside the data: check",
        file(&format!("{HEADER}{}", ok_row(1, AT))),
        &[
            "check",
            "--input",
            "{input}",
            "--from",
            "2020-01-01T00:00:00Z",
            "--to",
            "2020-01-02T00:00:00Z",
        ],
        EXIT_NO_DATA,
        "No Data: no events from 2020-01-01T00:00:00Z",
    ));
    cases.push(status(
        "stale export: check",
        file(&format!("{HEADER}{}", ok_row(1, AT))),
        &["check", "--input", "{input}", "--now", "2025-10-18T18:00:00Z"],
        EXIT_NO_DATA,
        "No Data: fewer than 20 events in the 5 min before 2025-10-18T18:00:00Z, too few for any rule to judge",
    ));
    let fresh: String = (1..=20).map(|i| ok_row(i, AT)).collect();
    cases.push(status(
        "fresh export: check",
        file(&format!("{HEADER}{fresh}")),
        &[
            "check",
            "--input",
            "{input}",
            "--now",
            "2025-10-16T18:36:00Z",
        ],
        EXIT_OK,
        "On Track",
    ));
    cases.push(status(
        "empty JSON array: check",
        Some(("json", b"[]".to_vec())),
        &["check", "--input", "{input}"],
        EXIT_NO_DATA,
        "No Data",
    ));
    cases.push(status(
        "BOM before the header",
        file(&format!("\u{feff}{HEADER}{}", ok_row(1, AT))),
        &json_args,
        EXIT_OK,
        "\"requests\": 1",
    ));
    cases.push(status(
        "CRLF lines",
        file(&format!("{HEADER}{}", ok_row(1, AT)).replace('\n', "\r\n")),
        &json_args,
        EXIT_OK,
        "\"requests\": 1",
    ));
    let far_future = format!(
        "{HEADER}{}{}",
        ok_row(1, "2025-10-17 12:00:00+00"),
        ok_row(2, "9999-01-01 00:00:00+00")
    );
    cases.push(status(
        "a far-future row does not move the email",
        file(&far_future),
        &["email", "--input", "{input}", "--now", NOW],
        EXIT_OK,
        "Day 1/3",
    ));
    // Requests failing for the ten minutes before NOW, and one good row dated far ahead: `check`
    // judges NOW, not the far row's quiet minute.
    let mut burst_then_far = HEADER.to_owned();
    for i in 0..60 {
        let at = format!("2025-10-17 18:{:02}:{:02}+00", 25 + i / 6, i % 6 * 10);
        burst_then_far.push_str(
            &row(
                &(i + 1).to_string(),
                "request_completed",
                "120.5",
                r#""{""endpoint"": ""/api/chat"", ""error_type"": ""timeout""}""#,
                &at,
            )
            .replace(",t,,", ",f,,"),
        );
    }
    burst_then_far.push_str(&ok_row(1000, "9999-01-01 00:00:00+00"));
    cases.push(status(
        "a far-future row does not make check say On Track",
        file(&burst_then_far),
        &["check", "--input", "{input}", "--now", NOW],
        EXIT_ROLLBACK,
        "Rollback Required",
    ));
    let stray_old = format!(
        "{HEADER}{}{}",
        ok_row(1, "1970-01-01 00:00:00+00"),
        ok_row(2, "2025-10-17 12:00:00+00")
    );
    cases.push(status(
        "a stray ancient row does not start the phase",
        file(&stray_old),
        &["signoff", "--input", "{input}", "--now", NOW],
        EXIT_OK,
        "the phase ends 2025-10-18 12:00 UTC",
    ));
}

fn all_cases() -> Vec<Case> {
    let mut cases = Vec::new();
    csv_field_cases(&mut cases);
    csv_shape_cases(&mut cases);
    json_cases(&mut cases);
    flag_cases(&mut cases);
    out_cases(&mut cases);
    accepted_cases(&mut cases);
    cases
}

/// A fresh directory for one case, with the fixtures `--out` cases point at.
fn case_dir(root: &Path, i: usize) -> PathBuf {
    let dir = root.join(format!("case-{i}"));
    fs::create_dir_all(dir.join("sub")).expect("case directory");
    fs::write(dir.join("plain.txt"), "plain").expect("fixture");
    fs::write(dir.join("victim.md"), "victim").expect("fixture");
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(dir.join("victim.md"), dir.join("link.md")).expect("symlink");
        std::os::unix::fs::symlink(dir.join("nowhere.md"), dir.join("dangling.md"))
            .expect("symlink");
        let fifo = std::ffi::CString::new(dir.join("fifo").to_str().unwrap()).unwrap();
        // SAFETY: a valid NUL-terminated path; mkfifo only creates a file.
        assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o644) }, 0, "mkfifo");
    }
    dir
}

/// Every file under `dir`, with its bytes, to compare before and after a run.
fn snapshot(dir: &Path) -> Vec<(String, Option<Vec<u8>>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in fs::read_dir(&d).expect("readable") {
            let path = entry.expect("entry").path();
            let meta = fs::symlink_metadata(&path).expect("metadata");
            if meta.is_dir() {
                stack.push(path.clone());
            }
            let bytes = meta
                .is_file()
                .then(|| fs::read(&path).expect("readable file"));
            out.push((path.display().to_string(), bytes));
        }
    }
    out.sort();
    out
}

fn run(case: &Case, dir: &Path) -> Output {
    let input = case.file.as_ref().map(|(ext, bytes)| {
        let path = dir.join(format!("input.{ext}"));
        fs::write(&path, bytes).expect("input written");
        path
    });
    let args: Vec<String> = case
        .args
        .iter()
        .map(|a| {
            let a = a.replace("{dir}", dir.to_str().unwrap());
            match &input {
                Some(p) => a.replace("{input}", p.to_str().unwrap()),
                None => a,
            }
        })
        .collect();
    Command::new(env!("CARGO_BIN_EXE_canary-report"))
        .args(&args)
        .output()
        .expect("canary-report runs")
}

fn check(case: &Case, dir: &Path) -> Result<(), String> {
    let before = snapshot(dir);
    let out = run(case, dir);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let code = out.status.code();
    let fail = |what: String| {
        Err(format!(
            "{}: {what}\nstdout: {stdout}\nstderr: {stderr}",
            case.name
        ))
    };
    match &case.expect {
        Expect::Error(needle) => {
            if code != Some(EXIT_ERROR) {
                return fail(format!("exit {code:?}, expected {EXIT_ERROR}"));
            }
            if stderr.lines().count() != 1 || !stderr.starts_with("canary-report: error: ") {
                return fail("not one error line on stderr".into());
            }
            // Several needles are joined with " && ".
            if let Some(n) = needle.split(" && ").find(|n| !stderr.contains(n)) {
                return fail(format!("{n:?} not in stderr"));
            }
            if !out.stdout.is_empty() {
                return fail("stdout not empty".into());
            }
            // Nothing written: every file as it was (the input aside, written by the run).
            let after = snapshot(dir);
            let input_free = |s: Vec<(String, Option<Vec<u8>>)>| -> Vec<(String, Option<Vec<u8>>)> {
                s.into_iter()
                    .filter(|(p, _)| !p.contains("/input."))
                    .collect()
            };
            if input_free(after) != input_free(before) {
                return fail("files changed on failure".into());
            }
        }
        Expect::Status(want, needle) => {
            if code != Some(*want) {
                return fail(format!("exit {code:?}, expected {want}"));
            }
            if !stdout.contains(needle.as_str()) && !stderr.contains(needle.as_str()) {
                return fail(format!("{needle:?} in neither stdout nor stderr"));
            }
        }
    }
    Ok(())
}

#[test]
fn every_bad_input_case() {
    let cases = all_cases();
    assert!(cases.len() >= 150, "{} cases", cases.len());
    let root = std::env::temp_dir().join(format!("canary-bad-input-{}", std::process::id()));
    let _ = fs::remove_dir_all(&root);
    let failures: Vec<String> = cases
        .iter()
        .enumerate()
        .filter_map(|(i, case)| check(case, &case_dir(&root, i)).err())
        .collect();
    let _ = fs::remove_dir_all(&root);
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n\n")
    );
}

/// A data error must not write the report either: `email --out` on each broken file.
#[test]
fn no_report_is_written_from_bad_data() {
    let root = std::env::temp_dir().join(format!("canary-bad-input-out-{}", std::process::id()));
    let _ = fs::remove_dir_all(&root);
    let mut failures = Vec::new();
    for (i, case) in all_cases().into_iter().enumerate() {
        let is_data_error = matches!(case.expect, Expect::Error(_))
            && (case.name.starts_with("csv ") || case.name.starts_with("json "));
        if !is_data_error {
            continue;
        }
        let email = Case {
            args: [
                "email",
                "--input",
                "{input}",
                "--now",
                NOW,
                "--out",
                "{dir}/status.md",
            ]
            .iter()
            .map(|s| s.to_string())
            .collect(),
            ..case
        };
        let dir = case_dir(&root, i);
        if let Err(e) = check(&email, &dir) {
            failures.push(e);
        }
        if dir.join("status.md").exists() {
            failures.push(format!("{}: status.md written", email.name));
        }
    }
    let _ = fs::remove_dir_all(&root);
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// `--out` onto an existing 0600 file keeps its mode.
#[cfg(unix)]
#[test]
fn out_keeps_the_target_mode() {
    use std::os::unix::fs::PermissionsExt;
    let root = std::env::temp_dir().join(format!("canary-bad-input-mode-{}", std::process::id()));
    let _ = fs::remove_dir_all(&root);
    fs::create_dir_all(&root).unwrap();
    let input = root.join("events.csv");
    fs::write(&input, format!("{HEADER}{}", ok_row(1, AT))).unwrap();
    let target = root.join("status.md");
    fs::write(&target, "old").unwrap();
    fs::set_permissions(&target, fs::Permissions::from_mode(0o600)).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_canary-report"))
        .args([
            "email",
            "--input",
            input.to_str().unwrap(),
            "--now",
            NOW,
            "--out",
        ])
        .arg(&target)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mode = fs::metadata(&target).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    assert!(fs::read_to_string(&target)
        .unwrap()
        .starts_with("Subject: "));
    let _ = fs::remove_dir_all(&root);
}
