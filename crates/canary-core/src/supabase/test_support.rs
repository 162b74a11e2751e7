//! What the read's tests share: unsigned keys, a configuration, sample rows, and a fake
//! PostgREST over rows in memory that answers the read's requests as the real one does.

use std::borrow::Cow;

use serde_json::Value;

use super::plan::{Col, ReadPlan, Request};
use super::{PagedRead, Progress, SupabaseConfig, SupabaseError};
use crate::demo::{rows as demo_rows, DemoConfig};
use crate::details::details_to_json;
use crate::event::{EventRow, EventType, Micros, MICROS_PER_HOUR};
use crate::metrics::{compute, Window};
use crate::store::EventStore;
use crate::time::{format_postgres, parse_timestamp};

pub(super) fn b64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(char::from(A[(n >> (18 - 6 * i) & 63) as usize]));
        }
    }
    out
}

/// An (unsigned) JWT with these claims.
pub(super) fn jwt(claims: &str) -> String {
    format!(
        "{}.{}.c2lnbmF0dXJl",
        b64(br#"{"alg":"HS256","typ":"JWT"}"#),
        b64(claims.as_bytes())
    )
}

pub(super) fn config() -> SupabaseConfig {
    SupabaseConfig::new(
        "https://abc.supabase.co",
        &jwt(r#"{"ref":"abc","role":"anon"}"#),
    )
    .unwrap()
}

/// A filter of the fake's query.
type Filter = Box<dyn Fn(&EventRow) -> bool>;

/// How the fake answers.
#[derive(Clone)]
pub(super) struct Fake {
    pub(super) rows: Vec<EventRow<'static>>,
    /// `db-max-rows`.
    pub(super) cap: Option<usize>,
    /// Answers 503 to this many attempts of every `fail_every`-th request.
    pub(super) fail_first: u32,
    pub(super) fail_every: u32,
    pub(super) seen: u32,
    failures_in_a_row: u32,
}

impl Fake {
    pub(super) fn new(rows: Vec<EventRow<'static>>) -> Fake {
        Fake {
            rows,
            cap: None,
            fail_first: 0,
            fail_every: 0,
            seen: 0,
            failures_in_a_row: 0,
        }
    }

    pub(super) fn answer(&mut self, request: &Request) -> (u16, Vec<(String, String)>, String) {
        self.seen += 1;
        if self.fail_every > 0 && self.seen.is_multiple_of(self.fail_every) {
            if self.failures_in_a_row < self.fail_first {
                self.failures_in_a_row += 1;
                self.seen -= 1;
                return (503, vec![], r#"{"message":"upstream"}"#.into());
            }
            self.failures_in_a_row = 0;
        }
        let (_, query) = request.url.split_once('?').unwrap();
        let mut select = Vec::new();
        let mut limit = usize::MAX;
        let mut newest_first = false;
        let mut highest_first = false;
        let mut filters: Vec<Filter> = Vec::new();
        for param in query.split('&') {
            let (name, value) = param.split_once('=').unwrap();
            // As PostgREST does: the value is percent-decoded before its syntax is read.
            let value = percent_encoding::percent_decode_str(value)
                .decode_utf8()
                .unwrap()
                .into_owned();
            match (name, value.split_once('.').unwrap_or((&value, ""))) {
                ("select", _) => {
                    select = value
                        .split(',')
                        .map(|item| Col::from_alias(item.split(':').next().unwrap()).unwrap())
                        .collect()
                }
                ("limit", _) => limit = value.parse().unwrap(),
                ("order", _) if value == "created_at.desc,id.desc" => newest_first = true,
                ("order", _) if value == "id.desc" => highest_first = true,
                ("order", _) => assert_eq!(value, "id.asc"),
                ("id", ("gt", v)) => {
                    let v: i64 = v.parse().unwrap();
                    filters.push(Box::new(move |r| r.id > v));
                }
                ("id", ("lte", v)) => {
                    let v: i64 = v.parse().unwrap();
                    filters.push(Box::new(move |r| r.id <= v));
                }
                ("created_at", (op, v)) => {
                    let t = parse_timestamp(v).unwrap();
                    let gte = op == "gte";
                    filters.push(Box::new(move |r| {
                        if gte {
                            r.created_at >= t
                        } else {
                            r.created_at < t
                        }
                    }));
                }
                ("event_type", ("eq", v)) => {
                    let v = v.to_owned();
                    filters.push(Box::new(move |r| r.event_type.as_str() == v));
                }
                ("event_type", ("not", v)) => {
                    let names: Vec<String> = v
                        .trim_start_matches("in.(")
                        .trim_end_matches(')')
                        .split(',')
                        .map(str::to_owned)
                        .collect();
                    filters.push(Box::new(move |r| {
                        !names.iter().any(|n| n == r.event_type.as_str())
                    }));
                }
                other => panic!("unexpected parameter {other:?}"),
            }
        }
        let mut matching: Vec<&EventRow> = self
            .rows
            .iter()
            .filter(|r| filters.iter().all(|f| f(r)))
            .collect();
        matching.sort_by_key(|r| r.id);
        if newest_first {
            matching.sort_by_key(|r| std::cmp::Reverse((r.created_at, r.id)));
        }
        if highest_first {
            matching.reverse();
        }
        let total = matching.len();
        let page: Vec<&EventRow> = matching
            .into_iter()
            .take(limit.min(self.cap.unwrap_or(usize::MAX)))
            .collect();
        let json = request
            .headers
            .iter()
            .any(|(k, v)| *k == "Accept" && v == "application/json");
        let body = if json {
            let rows: Vec<Value> = page
                .iter()
                .map(|r| {
                    let mut obj = serde_json::Map::new();
                    for col in &select {
                        obj.insert(col.alias().to_owned(), json_value(r, *col));
                    }
                    Value::Object(obj)
                })
                .collect();
            serde_json::to_string(&rows).unwrap()
        } else if page.is_empty() {
            "\n".to_owned()
        } else {
            let mut out: Vec<String> = vec![select
                .iter()
                .map(|c| c.alias())
                .collect::<Vec<_>>()
                .join(",")];
            for r in &page {
                let fields: Vec<String> = select
                    .iter()
                    .map(|c| record_field(wire_text(r, *c)))
                    .collect();
                out.push(fields.join(","));
            }
            out.join("\n")
        };
        let range = format!("0-{}/{total}", page.len().saturating_sub(1));
        (200, vec![("Content-Range".into(), range)], body)
    }
}

/// A column's value as PostgreSQL's text output gives it (`None`: null).
fn wire_text(r: &EventRow, col: Col) -> Option<String> {
    let b = |v: Option<bool>| v.map(|b| if b { "t" } else { "f" }.to_owned());
    let d = &r.details;
    match col {
        Col::Id => Some(r.id.to_string()),
        Col::Type => Some(r.event_type.as_str().to_owned()),
        Col::Success => b(r.success),
        Col::CacheHit => b(r.cache_hit),
        Col::Time => r.processing_time_ms.map(|v| {
            if v.is_nan() {
                "NaN".to_owned()
            } else {
                format!("{v:?}")
            }
        }),
        Col::CacheKey => r.cache_key.as_deref().map(str::to_owned),
        Col::Endpoint => d.endpoint.as_deref().map(str::to_owned),
        Col::ErrorType => d.error_type.as_deref().map(str::to_owned),
        Col::ErrorMessage => d.error_message.as_deref().map(str::to_owned),
        Col::Prefix => d.cache_key_prefix.as_deref().map(str::to_owned),
        Col::State => d.state.as_deref().map(str::to_owned),
        Col::Failures => d.failure_count.as_deref().map(str::to_owned),
        Col::Successes => d.success_count.as_deref().map(str::to_owned),
        Col::Canary => d.canary.map(|c| c.to_string()),
        Col::Details => Some(details_to_json(d)),
        Col::CreatedAt => Some(format_postgres(r.created_at)),
        Col::CreatedAtMicros => Some(r.created_at.to_string()),
    }
}

fn json_value(r: &EventRow, col: Col) -> Value {
    let text = wire_text(r, col);
    match (col, text) {
        (_, None) => Value::Null,
        (Col::Id, _) => Value::from(r.id),
        (Col::Success, _) => Value::from(r.success),
        (Col::CacheHit, _) => Value::from(r.cache_hit),
        (Col::Time, Some(t)) if t == "NaN" => Value::from(t),
        (Col::Time, _) => Value::from(r.processing_time_ms),
        (Col::Canary | Col::Details, Some(t)) => serde_json::from_str(&t).unwrap(),
        (_, Some(t)) => Value::from(t),
    }
}

/// A value as `record_out` writes it.
fn record_field(text: Option<String>) -> String {
    match text {
        None => String::new(),
        Some(t)
            if t.is_empty()
                || t.chars()
                    .any(|c| c.is_whitespace() || matches!(c, '"' | '\\' | ',' | '(' | ')')) =>
        {
            format!("\"{}\"", t.replace('\\', "\\\\").replace('"', "\"\""))
        }
        Some(t) => t,
    }
}

/// Runs a read against the fake into `store`.
pub(super) fn run(
    fake: &mut Fake,
    plan: ReadPlan,
    store: &mut EventStore,
) -> (Result<Progress, SupabaseError>, PagedRead, Vec<Progress>) {
    let mut read = PagedRead::new(&config(), plan);
    let mut seen = Vec::new();
    let mut batch = store.batch();
    let mut last = Ok(Progress::default());
    while let Some(request) = read.next_request() {
        let (status, headers, body) = fake.answer(&request);
        let headers: Vec<(&str, &str)> = headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        last = read.on_response(status, &headers, body.as_bytes(), &mut batch);
        match &last {
            Ok(p) => seen.push(p.clone()),
            Err(_) => break,
        }
        assert!(seen.len() < 10_000, "the read does not end");
    }
    drop(batch);
    (last, read, seen)
}

pub(super) fn metrics_json(store: &EventStore, window: Option<Window>) -> String {
    serde_json::to_string(&compute(store, window)).unwrap()
}

/// Three hours of the demo (every event type, incidents, messy rows), ids in time order.
pub(super) fn demo_sample() -> Vec<EventRow<'static>> {
    let config = DemoConfig {
        duration: 3 * MICROS_PER_HOUR,
        ..DemoConfig::with_events(8_000)
    };
    demo_rows(&config).collect()
}

/// [`demo_sample`] plus rows of an unknown type and with text that needs quoting.
pub(super) fn sample_rows() -> Vec<EventRow<'static>> {
    let mut rows = demo_sample();
    let at = rows[100].created_at;
    let mut odd = rows[100].clone();
    odd.id = rows.last().unwrap().id + 1;
    odd.event_type = EventType::Other;
    rows.push(odd);
    let mut quoted = rows[101].clone();
    quoted.id = rows.last().unwrap().id + 1;
    quoted.created_at = at + 1;
    quoted.event_type = EventType::RequestCompleted;
    quoted.success = Some(false);
    quoted.details.endpoint = Some(Cow::Borrowed("/a \"b\" \\c, (d)"));
    quoted.details.error_message = Some(Cow::Borrowed(""));
    rows.push(quoted);
    rows
}

/// The rows of `[from, to)` loaded directly, as a file reader would, with the newest
/// circuit-breaker transition before `from`.
pub(super) fn direct_store(rows: &[EventRow<'static>], from: Micros, to: Micros) -> EventStore {
    let prior = rows
        .iter()
        .filter(|r| r.event_type == EventType::CircuitBreakerStateChange && r.created_at < from)
        .max_by_key(|r| (r.created_at, r.id));
    let mut store = EventStore::new();
    let mut batch = store.batch();
    if let Some(r) = prior {
        batch.push(r);
    }
    for r in rows
        .iter()
        .filter(|r| r.created_at >= from && r.created_at < to)
    {
        if r.event_type == EventType::Other {
            batch.note_unknown_type(r.event_type.as_str());
        }
        batch.push(r);
    }
    drop(batch);
    store
}
