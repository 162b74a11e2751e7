//! Reading a window from the database's rollups (`sql/004_rollups.sql`) instead of its rows:
//! four small requests whatever the window's length, answered by `security invoker` RPCs (so
//! Row Level Security applies as to the rows). Sans-IO like [`PagedRead`](super::PagedRead):
//! [`RollupRead::requests`] out, each answer into [`RollupRead::on_response`], then
//! [`RollupRead::finish`] gives the core's [`RollupWindow`].
//!
//! | request (`GET`: the functions are stable) | answer → core |
//! |---|---|
//! | `rpc/canary_rollup_totals?p_from&p_to` | [`RollupRow`]s per event type, label and cohort over the window |
//! | `rpc/canary_rollup_minutes?p_from&p_to` | [`RollupRow`]s per minute `(k − 1 min, k]`, event type and cohort, the alert samples' counters only ([`read_sample_rows`]) |
//! | `rpc/canary_window_groups?p_from&p_to` | failures by type and message, mem0 failures, the last 1000 requests |
//! | `rpc/canary_exact_rows?p_from&p_to` | the breaker's transitions and the stampeding keys' misses, as rows |
//!
//! [`extent_request`] / [`read_extent`] give the whole rollout's window (`canary_rollup_extent`).
//! Windows are whole minutes ([`whole_minutes`]); the RPCs refuse others.

use serde::Deserialize;
use serde_json::value::RawValue;

use super::errors::classify;
use super::{Request, SupabaseConfig, SupabaseError};
use crate::event::{EventType, Micros};
use crate::histogram::Histogram;
use crate::metrics::{ErrorGroup, ErrorRate, Mem0Failure, Window};
use crate::rollup::{rate_of, Counters, ExactParts, RollupRow};
use crate::store::EventStore;
use crate::time::{format_rfc3339, parse_timestamp};

pub use crate::rollup::whole_minutes;

/// The migration that adds the rollups and their RPCs.
pub const ROLLUP_MIGRATION: &str = "sql/004_rollups.sql";

/// The RPCs of one rollup read, in the order of [`RollupRead::requests`].
pub const RPCS: [&str; 4] = [
    "canary_rollup_totals",
    "canary_rollup_minutes",
    "canary_window_groups",
    "canary_exact_rows",
];

/// What a rollup read gives: everything `rollup::metrics_from_rollups`,
/// `rollup::evaluate_from_rollups` and `rollup::compare_cohorts` take.
#[derive(Debug)]
pub struct RollupWindow {
    /// The window read (whole minutes).
    pub window: Window,
    /// Per event type, label and cohort over the window.
    pub totals: Vec<RollupRow>,
    /// Per minute `(at − 1 min, at]`, event type (requests, cache lookups, mem0 writes) and
    /// cohort, labels merged: only what the windowed alert rules and the cohort rules read
    /// (events, successes, failures, hits, misses; for requests also time_min, time_max and the
    /// latency histogram). Their other counters are zero, so these rows are for
    /// `rollup::evaluate_from_rollups` and `report_cohorts`, not for metrics.
    pub minutes: Vec<RollupRow>,
    pub exact: ExactParts,
}

/// One rollup read over a window of whole minutes.
#[derive(Debug)]
pub struct RollupRead {
    window: Window,
    totals: Option<Vec<RollupRow>>,
    minutes: Option<Vec<RollupRow>>,
    groups: Option<(Vec<ErrorGroup>, Vec<Mem0Failure>, ErrorRate)>,
    rows: Option<EventStore>,
}

fn rpc_url(config: &SupabaseConfig, rpc: &str, window: Window) -> String {
    format!(
        "{}/rest/v1/rpc/{rpc}?p_from={}&p_to={}",
        config.project_url(),
        query_time(window.from),
        query_time(window.to)
    )
}

/// RFC 3339 in a query string: the `+` of an offset would read as a space.
fn query_time(t: Micros) -> String {
    format_rfc3339(t).replace('+', "%2B")
}

impl RollupRead {
    /// A read of `window`, widened to whole minutes.
    pub fn new(window: Window) -> RollupRead {
        RollupRead {
            window: whole_minutes(window),
            totals: None,
            minutes: None,
            groups: None,
            rows: None,
        }
    }

    /// The window read (whole minutes).
    pub fn window(&self) -> Window {
        self.window
    }

    /// The totals read so far (empty before the first answer): their events count the
    /// window's rows, which decides whether reading the rows instead is worth it.
    pub fn totals(&self) -> &[RollupRow] {
        self.totals.as_deref().unwrap_or(&[])
    }

    /// The four requests; they are independent and may be sent at once.
    pub fn requests(&self, config: &SupabaseConfig) -> Vec<Request> {
        RPCS.iter()
            .map(|rpc| Request {
                url: rpc_url(config, rpc, self.window),
                headers: config.auth_headers(),
                delay_ms: 0,
                body: None,
            })
            .collect()
    }

    /// The answer to request `index` of [`RollupRead::requests`].
    pub fn on_response(
        &mut self,
        config: &SupabaseConfig,
        index: usize,
        status: u16,
        content_type: Option<&str>,
        body: &[u8],
    ) -> Result<(), SupabaseError> {
        if !(200..300).contains(&status) {
            return Err(rpc_error(
                config,
                RPCS[index.min(3)],
                status,
                content_type,
                body,
            ));
        }
        let text = std::str::from_utf8(body).map_err(|e| malformed(RPCS[index.min(3)], &e))?;
        match index {
            0 => self.totals = Some(read_rollup_rows(text, Some(self.window.from))?),
            1 => self.minutes = Some(read_sample_rows(text)?),
            2 => self.groups = Some(read_window_groups(text)?),
            _ => {
                let store = crate::read::read_json(text).map_err(|e| malformed(RPCS[3], &e))?;
                self.rows = Some(store);
            }
        }
        Ok(())
    }

    /// The read's result, once every answer is in.
    pub fn finish(self) -> Result<RollupWindow, SupabaseError> {
        let missing = |rpc: &str| SupabaseError::Malformed {
            detail: format!("no answer to {rpc} was given"),
        };
        let (errors_by_type, mem0_failures_by_type, last_1000_requests) =
            self.groups.ok_or_else(|| missing(RPCS[2]))?;
        Ok(RollupWindow {
            window: self.window,
            totals: self.totals.ok_or_else(|| missing(RPCS[0]))?,
            minutes: self.minutes.ok_or_else(|| missing(RPCS[1]))?,
            exact: ExactParts {
                errors_by_type,
                mem0_failures_by_type,
                last_1000_requests,
                rows: self.rows.ok_or_else(|| missing(RPCS[3]))?,
            },
        })
    }
}

fn malformed(rpc: &str, e: &dyn std::fmt::Display) -> SupabaseError {
    SupabaseError::Malformed {
        detail: format!("the answer of {rpc} could not be read: {e}"),
    }
}

/// A failed RPC: a missing function means the migration was not applied.
fn rpc_error(
    config: &SupabaseConfig,
    rpc: &str,
    status: u16,
    content_type: Option<&str>,
    body: &[u8],
) -> SupabaseError {
    let error = classify(
        status,
        content_type,
        body,
        config.role(),
        &format!("{}/rest/v1/rpc/{rpc}", config.project_url()),
    );
    match error {
        SupabaseError::NotFound { detail, .. } => SupabaseError::RollupsMissing { detail },
        SupabaseError::Http { detail, .. } if detail.starts_with("PGRST202") => {
            SupabaseError::RollupsMissing { detail }
        }
        other => other,
    }
}

/// One row of `canary_rollup_totals` or `canary_rollup_minutes`.
#[derive(Deserialize)]
struct WireRollup<'a> {
    #[serde(default, borrow)]
    minute_end: Option<&'a str>,
    event_type: String,
    #[serde(default)]
    label: Option<String>,
    cohort: Option<bool>,
    events: u64,
    successes: u64,
    failures: u64,
    hits: u64,
    misses: u64,
    times: u64,
    null_times: u64,
    nonfinite_times: u64,
    negative_times: u64,
    slow: u64,
    #[serde(borrow)]
    time_sum: &'a RawValue,
    #[serde(borrow)]
    time_min: Option<&'a RawValue>,
    #[serde(borrow)]
    time_max: Option<&'a RawValue>,
    miss_times: u64,
    #[serde(borrow)]
    miss_time_sum: &'a RawValue,
    hist_keys: Vec<i32>,
    hist_counts: Vec<u64>,
}

/// A JSON number read from its text with `float8in`'s rounding.
fn number(raw: &RawValue, what: &str) -> Result<f64, SupabaseError> {
    stdx::decimal::parse_f64(raw.get()).ok_or_else(|| SupabaseError::Malformed {
        detail: format!("{what} is not a number: {}", raw.get()),
    })
}

/// Rollup rows from an RPC's JSON; `at` is the window's start for totals, else each row's
/// `minute_end`.
pub fn read_rollup_rows(text: &str, at: Option<Micros>) -> Result<Vec<RollupRow>, SupabaseError> {
    let wire: Vec<WireRollup<'_>> =
        serde_json::from_str(text).map_err(|e| malformed("a rollup RPC", &e))?;
    wire.into_iter()
        .map(|w| {
            let at = match (at, w.minute_end) {
                (Some(at), _) => at,
                (None, Some(t)) => parse_timestamp(t).map_err(|e| malformed("minute_end", &e))?,
                (None, None) => {
                    return Err(SupabaseError::Malformed {
                        detail: "a per-minute rollup row has no minute_end".to_owned(),
                    })
                }
            };
            let event_type = EventType::parse(&w.event_type);
            let latency = Histogram::from_buckets(&w.hist_keys, &w.hist_counts)
                .map_err(|e| malformed("a rollup row's histogram", &e))?;
            let optional =
                |raw: Option<&RawValue>, what: &str| raw.map(|r| number(r, what)).transpose();
            Ok(RollupRow {
                at,
                other_type: (event_type == EventType::Other).then(|| w.event_type.clone()),
                event_type,
                label: w.label,
                cohort: w.cohort,
                counters: Counters {
                    events: w.events,
                    successes: w.successes,
                    failures: w.failures,
                    hits: w.hits,
                    misses: w.misses,
                    times: w.times,
                    null_times: w.null_times,
                    nonfinite_times: w.nonfinite_times,
                    negative_times: w.negative_times,
                    slow: w.slow,
                    time_sum: number(w.time_sum, "time_sum")?,
                    time_min: optional(w.time_min, "time_min")?,
                    time_max: optional(w.time_max, "time_max")?,
                    miss_times: w.miss_times,
                    miss_time_sum: number(w.miss_time_sum, "miss_time_sum")?,
                },
                latency,
            })
        })
        .collect()
}

/// One alert sample bucket of `canary_rollup_minutes`: `[minute_end (Unix seconds), event_type,
/// events, successes, failures, hits, misses, time_min, time_max, histogram runs, cohort]`.
type WireSample<'a> = (
    i64,
    String,
    u64,
    u64,
    u64,
    u64,
    u64,
    Option<&'a RawValue>,
    Option<&'a RawValue>,
    Vec<i64>,
    Option<bool>,
);

/// A histogram as `canary_private.histogram_runs` codes it: the first bucket key and its count,
/// then each further bucket's count (the next key), each preceded by −g when g empty keys lie
/// between it and the bucket before.
pub fn decode_histogram_runs(runs: &[i64]) -> Result<Histogram, SupabaseError> {
    let bad = |detail: String| SupabaseError::Malformed {
        detail: format!("a rollup histogram could not be read: {detail}"),
    };
    let (mut keys, mut counts) = (Vec::new(), Vec::new());
    if let [first, rest @ ..] = runs {
        let mut key = *first;
        let mut expect_count = true;
        for &x in rest {
            if x > 0 {
                if !expect_count {
                    key = key
                        .checked_add(1)
                        .ok_or_else(|| bad(format!("bucket key {key}")))?;
                }
                let k = i32::try_from(key).map_err(|_| bad(format!("bucket key {key}")))?;
                keys.push(k);
                counts.push(x as u64);
                expect_count = false;
            } else if x < 0 && !expect_count {
                key = key
                    .checked_sub(x)
                    .ok_or_else(|| bad(format!("bucket key {key} + {}", x.unsigned_abs())))?;
            } else {
                return Err(bad(format!("{x} where a count was expected")));
            }
        }
        if expect_count {
            return Err(bad(format!("bucket key {first} has no count")));
        }
    }
    Histogram::from_buckets(&keys, &counts).map_err(|e| bad(e.to_string()))
}

/// The alert samples' buckets of `canary_rollup_minutes` (see [`RollupWindow::minutes`]).
pub fn read_sample_rows(text: &str) -> Result<Vec<RollupRow>, SupabaseError> {
    let wire: Vec<WireSample<'_>> =
        serde_json::from_str(text).map_err(|e| malformed(RPCS[1], &e))?;
    wire.into_iter()
        .map(
            |(end, kind, events, successes, failures, hits, misses, min, max, runs, cohort)| {
                let at = end
                    .checked_mul(1_000_000)
                    .ok_or_else(|| malformed(RPCS[1], &format!("minute_end {end}")))?;
                let event_type = EventType::parse(&kind);
                let optional =
                    |raw: Option<&RawValue>, what: &str| raw.map(|r| number(r, what)).transpose();
                Ok(RollupRow {
                    at,
                    other_type: (event_type == EventType::Other).then_some(kind),
                    event_type,
                    label: None,
                    cohort,
                    counters: Counters {
                        events,
                        successes,
                        failures,
                        hits,
                        misses,
                        time_min: optional(min, "time_min")?,
                        time_max: optional(max, "time_max")?,
                        ..Counters::default()
                    },
                    latency: decode_histogram_runs(&runs)?,
                })
            },
        )
        .collect()
}

#[derive(Deserialize)]
struct WireGroups<'a> {
    #[serde(borrow)]
    errors_by_type: Vec<WireErrorGroup<'a>>,
    #[serde(borrow)]
    mem0_failures_by_type: Vec<WireMem0Failure<'a>>,
    last_1000_requests: WireLast,
}

#[derive(Deserialize)]
struct WireErrorGroup<'a> {
    error_type: Option<String>,
    error_message: Option<String>,
    occurrences: u64,
    last_seen: &'a str,
}

#[derive(Deserialize)]
struct WireMem0Failure<'a> {
    error_type: Option<String>,
    failures: u64,
    #[serde(borrow)]
    avg_time_ms: Option<&'a RawValue>,
    last_failure: &'a str,
}

#[derive(Deserialize)]
struct WireLast {
    requests: u64,
    failures: u64,
}

fn time(text: &str) -> Result<chrono::DateTime<chrono::Utc>, SupabaseError> {
    parse_timestamp(text)
        .map(crate::event::to_datetime)
        .map_err(|e| malformed("a time", &e))
}

/// The answer of `canary_window_groups`.
pub fn read_window_groups(
    text: &str,
) -> Result<(Vec<ErrorGroup>, Vec<Mem0Failure>, ErrorRate), SupabaseError> {
    let w: WireGroups<'_> = serde_json::from_str(text).map_err(|e| malformed(RPCS[2], &e))?;
    let errors = w
        .errors_by_type
        .into_iter()
        .map(|g| {
            Ok(ErrorGroup {
                error_type: g.error_type,
                error_message: g.error_message,
                occurrences: g.occurrences,
                last_seen: time(g.last_seen)?,
            })
        })
        .collect::<Result<Vec<_>, SupabaseError>>()?;
    let mem0 = w
        .mem0_failures_by_type
        .into_iter()
        .map(|g| {
            Ok(Mem0Failure {
                error_type: g.error_type,
                failures: g.failures,
                avg_time_ms: g
                    .avg_time_ms
                    .map(|r| number(r, "avg_time_ms"))
                    .transpose()?,
                last_failure: time(g.last_failure)?,
            })
        })
        .collect::<Result<Vec<_>, SupabaseError>>()?;
    let last = rate_of(w.last_1000_requests.requests, w.last_1000_requests.failures);
    Ok((errors, mem0, last))
}

/// `GET rpc/canary_rollup_extent`: the whole minutes the rollups hold.
pub fn extent_request(config: &SupabaseConfig) -> Request {
    Request {
        url: format!("{}/rest/v1/rpc/canary_rollup_extent", config.project_url()),
        headers: config.auth_headers(),
        delay_ms: 0,
        body: None,
    }
}

#[derive(Deserialize)]
struct WireExtent<'a> {
    from: Option<&'a str>,
    to: Option<&'a str>,
    events: u64,
}

/// The answer of `canary_rollup_extent`: the window of every rolled-up row (`None` when there
/// is none) and how many rows it holds.
pub fn read_extent(
    config: &SupabaseConfig,
    status: u16,
    content_type: Option<&str>,
    body: &[u8],
) -> Result<(Option<Window>, u64), SupabaseError> {
    if !(200..300).contains(&status) {
        return Err(rpc_error(
            config,
            "canary_rollup_extent",
            status,
            content_type,
            body,
        ));
    }
    let text = std::str::from_utf8(body).map_err(|e| malformed("canary_rollup_extent", &e))?;
    let w: WireExtent<'_> =
        serde_json::from_str(text).map_err(|e| malformed("canary_rollup_extent", &e))?;
    let window = match (w.from, w.to) {
        (Some(from), Some(to)) => Window::new(
            parse_timestamp(from).map_err(|e| malformed("from", &e))?,
            parse_timestamp(to).map_err(|e| malformed("to", &e))?,
        ),
        _ => None,
    };
    Ok((window, w.events))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::histogram::KEY_OFFSET;

    const USER: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJyb2xlIjoiYXV0aGVudGljYXRlZCIsImV4cCI6MTc2NzIyNTYwMH0.sig";
    const ANON: &str =
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJyb2xlIjoiYW5vbiIsImV4cCI6NDEwMjQ0NDgwMH0.sig";

    fn config() -> SupabaseConfig {
        SupabaseConfig::new("https://abc.supabase.co", ANON)
            .unwrap()
            .with_access_token(USER)
            .unwrap()
    }

    fn check_rows(body: &str, at: Option<Micros>, expected: Result<usize, &str>) {
        match (read_rollup_rows(body, at), expected) {
            (Ok(rows), Ok(n)) => assert_eq!(rows.len(), n, "{body}"),
            (Err(e), Err(text)) => assert!(e.to_string().contains(text), "{e}"),
            (got, want) => panic!("{body}: got {got:?}, expected {want:?}"),
        }
    }

    const ROW: &str = r#"{"minute_end":"2026-12-06T05:22:00+00:00","event_type":"request_completed","label":null,"cohort":true,"events":3,"successes":2,"failures":1,"hits":0,"misses":0,"times":2,"null_times":1,"nonfinite_times":0,"negative_times":0,"slow":0,"time_sum":0.30000000000000004,"time_min":0.1,"time_max":0.2,"miss_times":0,"miss_time_sum":0,"hist_keys":[KEY,KEY],"hist_counts":[1,1]}"#;

    #[test]
    fn rollup_rows_table() {
        let row = ROW.replace("KEY", &(KEY_OFFSET - 200).to_string());
        check_rows("[]", None, Ok(0));
        check_rows(&format!("[{row}]"), None, Ok(1));
        check_rows(&format!("[{row},{row}]"), Some(0), Ok(2));
        check_rows("{}", None, Err("could not be read"));
        check_rows(
            &format!("[{}]", ROW.replace("KEY", "5")),
            None,
            Err("bucket key 5"),
        );
        check_rows(
            &format!(
                "[{}]",
                row.replace(r#""minute_end":"2026-12-06T05:22:00+00:00","#, "")
            ),
            None,
            Err("no minute_end"),
        );
        let rows = read_rollup_rows(&format!("[{row}]"), None).unwrap();
        let r = &rows[0];
        assert_eq!(r.counters.time_sum, 0.30000000000000004);
        assert_eq!(r.counters.time_min, Some(0.1));
        assert_eq!(r.latency.count(), 2);
        assert_eq!(r.cohort, Some(true));
        assert_eq!(r.at, parse_timestamp("2026-12-06T05:22:00Z").unwrap());
    }

    fn check_runs(runs: &[i64], expected: Result<Vec<(i32, u64)>, &str>) {
        match (decode_histogram_runs(runs), expected) {
            (Ok(h), Ok(buckets)) => assert_eq!(h.buckets(), &buckets[..], "{runs:?}"),
            (Err(e), Err(text)) => assert!(e.to_string().contains(text), "{runs:?}: {e}"),
            (got, want) => panic!("{runs:?}: got {got:?}, expected {want:?}"),
        }
    }

    #[test]
    fn histogram_runs_table() {
        let k = KEY_OFFSET + 300;
        let kk = i64::from(k);
        check_runs(&[], Ok(vec![]));
        check_runs(&[kk, 2], Ok(vec![(k, 2)]));
        // Neighbours, then a gap of two empty keys.
        check_runs(&[kk, 1, 2, -2, 3], Ok(vec![(k, 1), (k + 1, 2), (k + 4, 3)]));
        // Negative values, zero and positive ones: the gaps cross the sign.
        let neg = -i64::from(KEY_OFFSET + 2);
        check_runs(
            &[neg, 4, 1, -i64::from(KEY_OFFSET), 7, -(kk - 1), 9],
            Ok(vec![
                (-(KEY_OFFSET + 2), 4),
                (-(KEY_OFFSET + 1), 1),
                (0, 7),
                (k, 9),
            ]),
        );
        check_runs(&[kk], Err("has no count"));
        check_runs(&[kk, 0], Err("where a count was expected"));
        check_runs(&[kk, -1, 2], Err("where a count was expected"));
        check_runs(&[kk, 1, 0], Err("where a count was expected"));
        check_runs(&[5, 1], Err("bucket key 5"));
        check_runs(&[i64::MAX, 1], Err("bucket key"));
        check_runs(&[kk, 1, -i64::MAX, 1], Err("bucket key"));
    }

    fn check_samples(body: &str, expected: Result<usize, &str>) {
        match (read_sample_rows(body), expected) {
            (Ok(rows), Ok(n)) => assert_eq!(rows.len(), n, "{body}"),
            (Err(e), Err(text)) => assert!(e.to_string().contains(text), "{body}: {e}"),
            (got, want) => panic!("{body}: got {got:?}, expected {want:?}"),
        }
    }

    #[test]
    fn sample_rows_table() {
        let k = KEY_OFFSET - 200;
        let request =
            format!(r#"[1796534520,"request_completed",3,2,1,0,0,0.1,0.2,[{k},1,-3,1],true]"#);
        let lookup = r#"[1796534520,"cache_access",20,20,0,19,1,null,null,[],null]"#;
        check_samples("[]", Ok(0));
        check_samples(&format!("[{request},{lookup}]"), Ok(2));
        check_samples("{}", Err("could not be read"));
        check_samples(
            r#"[[1796534520,"request_completed",3,2,1,0,0,0.1]]"#,
            Err("could not be read"),
        );
        check_samples(
            &format!("[{}]", request.replace("0.1,", "\"x\",")),
            Err("time_min is not a number"),
        );
        check_samples(
            &format!("[{}]", request.replace(",1],true]", ",0],true]")),
            Err("where a count was expected"),
        );
        // The answer of a database without the cohort split: refused, not read as untagged.
        check_samples(
            r#"[[1796534520,"cache_access",20,20,0,19,1,null,null,[]]]"#,
            Err("could not be read"),
        );
        check_samples(
            r#"[[9223372036854775807,"mem0_write",1,1,0,0,0,null,null,[],false]]"#,
            Err("minute_end"),
        );
        let rows = read_sample_rows(&format!("[{request},{lookup}]")).unwrap();
        let r = &rows[0];
        assert_eq!(r.at, parse_timestamp("2026-12-06T05:22:00Z").unwrap());
        assert_eq!(r.event_type, EventType::RequestCompleted);
        assert_eq!((r.label.as_deref(), r.cohort), (None, Some(true)));
        assert_eq!(
            (r.counters.events, r.counters.successes, r.counters.failures),
            (3, 2, 1)
        );
        assert_eq!(
            (r.counters.time_min, r.counters.time_max),
            (Some(0.1), Some(0.2))
        );
        assert_eq!(r.latency.buckets(), &[(k, 1), (k + 4, 1)]);
        let c = &rows[1];
        assert_eq!(
            (c.event_type, c.counters.hits, c.counters.misses),
            (EventType::CacheAccess, 19, 1)
        );
        assert_eq!((c.counters.time_min, c.latency.count()), (None, 0));
    }

    #[test]
    fn requests_are_whole_minutes_with_escaped_offsets() {
        let read = RollupRead::new(Window::new(90_000_000, 150_000_001).unwrap());
        assert_eq!(read.window(), Window::new(60_000_000, 180_000_000).unwrap());
        let urls: Vec<String> = read
            .requests(&config())
            .into_iter()
            .map(|r| r.url)
            .collect();
        assert_eq!(
            urls[0],
            "https://abc.supabase.co/rest/v1/rpc/canary_rollup_totals?p_from=1970-01-01T00:01:00Z&p_to=1970-01-01T00:03:00Z"
        );
        assert_eq!(urls.len(), 4);
    }

    #[test]
    fn a_missing_function_names_the_migration() {
        let mut read = RollupRead::new(Window::new(0, 60_000_000).unwrap());
        let body = br#"{"code":"PGRST202","details":"Searched for the function public.canary_rollup_totals","hint":null,"message":"Could not find the function public.canary_rollup_totals(p_from, p_to) in the schema cache"}"#;
        let e = read
            .on_response(&config(), 0, 404, Some("application/json"), body)
            .unwrap_err();
        assert!(e.to_string().contains(ROLLUP_MIGRATION), "{e}");
        let e = read.finish().unwrap_err();
        assert!(e.to_string().contains("no answer"), "{e}");
    }

    #[test]
    fn window_groups_and_extent() {
        let (errors, mem0, last) = read_window_groups(
            r#"{"errors_by_type":[{"error_type":"E","error_message":null,"occurrences":2,"last_seen":"2026-12-06T08:20:19.475393+00:00"}],"mem0_failures_by_type":[{"error_type":null,"failures":1,"avg_time_ms":12.5,"last_failure":"2026-12-06T08:20:19+00:00"}],"last_1000_requests":{"requests":10,"failures":1}}"#,
        )
        .unwrap();
        assert_eq!(errors[0].occurrences, 2);
        assert_eq!(mem0[0].avg_time_ms, Some(12.5));
        assert_eq!(last.error_rate_pct, Some(10.0));
        let (window, events) = read_extent(
            &config(),
            200,
            None,
            br#"{"from":"2026-12-06T05:20:00+00:00","to":"2026-12-06T10:55:00+00:00","events":20000}"#,
        )
        .unwrap();
        assert_eq!(events, 20000);
        assert!(window.is_some());
        let (none, zero) = read_extent(
            &config(),
            200,
            None,
            br#"{"from":null,"to":null,"events":0}"#,
        )
        .unwrap();
        assert_eq!((none, zero), (None, 0));
    }
}
