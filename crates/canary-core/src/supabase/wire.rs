//! Response bodies into rows: PostgREST's `text/csv` and JSON with the aliases of
//! [`Col::select`], then each wire row into an [`EventRow`].

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::value::RawValue;

use super::plan::{Col, WireFormat};
use crate::details::parse_details;
use crate::event::{Details, EventRow, EventType, Micros};
use crate::read::parse_float;
use crate::time::parse_timestamp;
use stdx::decimal::parse_f64;

/// One row as it came over the wire, before it becomes an [`EventRow`].
#[derive(Default)]
pub(super) struct WireRow<'a> {
    pub(super) id: Option<i64>,
    event_type: Option<Cow<'a, str>>,
    success: Option<bool>,
    cache_hit: Option<bool>,
    time: Option<f64>,
    cache_key: Option<Cow<'a, str>>,
    endpoint: Option<Cow<'a, str>>,
    error_type: Option<Cow<'a, str>>,
    error_message: Option<Cow<'a, str>>,
    prefix: Option<Cow<'a, str>>,
    state: Option<Cow<'a, str>>,
    failures: Option<Cow<'a, str>>,
    successes: Option<Cow<'a, str>>,
    /// `details->canary` as JSON text.
    canary: Option<Cow<'a, str>>,
    /// The whole `details` as JSON text.
    details: Option<Cow<'a, str>>,
    created_at: Option<Micros>,
}

/// Decodes a page and hands each row to `each`; returns the number of rows. `each` is a trait
/// object, not a generic: one copy of both decoders in the WebAssembly bundle instead of one per
/// caller (a call per row costs nothing next to the row's parsing).
pub(super) fn decode_page<'a>(
    format: WireFormat,
    text: &'a str,
    each: &mut dyn FnMut(WireRow<'a>) -> Result<(), String>,
) -> Result<usize, String> {
    match format {
        WireFormat::Csv => decode_csv(text, each),
        WireFormat::Json => decode_json(text, each),
    }
}

fn decode_csv<'a>(
    text: &'a str,
    each: &mut dyn FnMut(WireRow<'a>) -> Result<(), String>,
) -> Result<usize, String> {
    let mut records = Records { rest: text };
    let mut fields = Vec::new();
    // An empty result is an empty body (or a lone newline): PostgREST writes no header then.
    let header: Vec<Col> = match records.next(&mut fields) {
        None => return Ok(0),
        Some(r) => {
            r.map_err(|e| format!("CSV header: {e}"))?;
            if fields.len() == 1 && fields[0].is_none() {
                return Ok(0);
            }
            fields
                .iter()
                .map(|f| {
                    let name = f.as_deref().unwrap_or("");
                    Col::from_alias(name).ok_or_else(|| {
                        format!("unexpected CSV column {name:?} (was text/csv asked of PostgREST?)")
                    })
                })
                .collect::<Result<_, _>>()?
        }
    };
    let mut n = 0;
    while let Some(r) = records.next(&mut fields) {
        r.map_err(|e| format!("CSV row {}: {e}", n + 1))?;
        if fields.len() == 1 && fields[0].is_none() {
            continue; // a blank line (ids are never null)
        }
        n += 1;
        if fields.len() != header.len() {
            return Err(format!(
                "CSV row {n}: {} fields, but the header names {}",
                fields.len(),
                header.len()
            ));
        }
        let mut row = WireRow::default();
        for (col, field) in header.iter().zip(fields.drain(..)) {
            set_text(&mut row, *col, field).map_err(|e| format!("row {n}: {e}"))?;
        }
        each(row)?;
    }
    Ok(n)
}

/// Sets one column from its text (`None`: SQL null).
fn set_text<'a>(row: &mut WireRow<'a>, col: Col, text: Option<Cow<'a, str>>) -> Result<(), String> {
    let bad = |what: &str, t: &str| format!("column {}: expected {what}, got {t:?}", col.alias());
    let boolean = |t: Option<Cow<'a, str>>| match t.as_deref() {
        None => Ok(None),
        Some("t" | "true") => Ok(Some(true)),
        Some("f" | "false") => Ok(Some(false)),
        Some(other) => Err(bad("t or f", other)),
    };
    match col {
        Col::Id => {
            row.id = text
                .map(|t| t.trim().parse().map_err(|_| bad("a whole number", &t)))
                .transpose()?;
        }
        Col::Type => row.event_type = text,
        Col::Success => row.success = boolean(text)?,
        Col::CacheHit => row.cache_hit = boolean(text)?,
        Col::Time => {
            row.time = text
                .map(|t| parse_float(&t).ok_or_else(|| bad("a number", &t)))
                .transpose()?;
        }
        Col::CacheKey => row.cache_key = text,
        Col::Endpoint => row.endpoint = text,
        Col::ErrorType => row.error_type = text,
        Col::ErrorMessage => row.error_message = text,
        Col::Prefix => row.prefix = text,
        Col::State => row.state = text,
        Col::Failures => row.failures = text,
        Col::Successes => row.successes = text,
        Col::Canary => row.canary = text,
        Col::Details => row.details = text,
        Col::CreatedAt => {
            row.created_at = text
                .map(|t| parse_timestamp(&t).map_err(|e| e.to_string()))
                .transpose()?;
        }
        Col::CreatedAtMicros => {
            row.created_at = text
                .map(|t| t.parse().map_err(|_| bad("microseconds", &t)))
                .transpose()?;
        }
    }
    Ok(())
}

/// PostgREST's `text/csv`: a header line, then one line per row, each the PostgreSQL record
/// literal of the row without its parentheses. Unlike RFC 4180 CSV, quoted values escape both
/// `"` (as `""`) and `\` (as `\\`); an unquoted empty field is null, a quoted one `""` is empty.
struct Records<'a> {
    rest: &'a str,
}

impl<'a> Records<'a> {
    fn next(&mut self, out: &mut Vec<Option<Cow<'a, str>>>) -> Option<Result<(), String>> {
        out.clear();
        if self.rest.is_empty() {
            return None;
        }
        let s = self.rest;
        let b = s.as_bytes();
        let mut i = 0;
        loop {
            if b.get(i) == Some(&b'"') {
                let start = i + 1;
                let mut j = start;
                let mut escaped = false;
                loop {
                    match b.get(j) {
                        None => return Some(Err("a quoted value is never closed".into())),
                        Some(b'\\') => {
                            escaped = true;
                            j += 2;
                        }
                        Some(b'"') if b.get(j + 1) == Some(&b'"') => {
                            escaped = true;
                            j += 2;
                        }
                        Some(b'"') => break,
                        Some(_) => j += 1,
                    }
                }
                let inner = &s[start..j.min(s.len())];
                out.push(Some(if escaped {
                    Cow::Owned(unescape(inner))
                } else {
                    Cow::Borrowed(inner)
                }));
                i = j + 1;
            } else {
                let end = b[i..]
                    .iter()
                    .position(|&c| c == b',' || c == b'\n')
                    .map_or(b.len(), |p| i + p);
                let raw = &s[i..end];
                out.push(if raw.is_empty() {
                    None
                } else if raw.contains('\\') {
                    Some(Cow::Owned(unescape(raw)))
                } else {
                    Some(Cow::Borrowed(raw))
                });
                i = end;
            }
            match b.get(i) {
                Some(b',') => i += 1,
                Some(b'\n') => {
                    self.rest = &s[i + 1..];
                    return Some(Ok(()));
                }
                None => {
                    self.rest = "";
                    return Some(Ok(()));
                }
                Some(_) => return Some(Err("text after a closing quote".into())),
            }
        }
    }
}

/// Undoes record-literal escaping: `\x` is `x`, `""` is `"`.
fn unescape(inner: &str) -> String {
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.extend(chars.next()),
            '"' => {
                out.push('"');
                chars.next(); // the second quote of ""
            }
            c => out.push(c),
        }
    }
    out
}

/// A row of PostgREST's JSON with the aliases of [`Col::select`].
#[derive(Deserialize)]
struct JsonRow<'a> {
    i: Option<i64>,
    #[serde(borrow)]
    t: Option<Cow<'a, str>>,
    s: Option<bool>,
    h: Option<bool>,
    #[serde(borrow)]
    p: Option<&'a RawValue>,
    #[serde(borrow)]
    k: Option<Cow<'a, str>>,
    #[serde(borrow)]
    e: Option<Cow<'a, str>>,
    #[serde(borrow)]
    et: Option<Cow<'a, str>>,
    #[serde(borrow)]
    em: Option<Cow<'a, str>>,
    #[serde(borrow)]
    x: Option<Cow<'a, str>>,
    #[serde(borrow)]
    st: Option<Cow<'a, str>>,
    #[serde(borrow)]
    fc: Option<Cow<'a, str>>,
    #[serde(borrow)]
    sc: Option<Cow<'a, str>>,
    #[serde(borrow)]
    c: Option<&'a RawValue>,
    #[serde(borrow)]
    d: Option<&'a RawValue>,
    #[serde(borrow)]
    a: Option<Cow<'a, str>>,
}

fn decode_json<'a>(
    text: &'a str,
    each: &mut dyn FnMut(WireRow<'a>) -> Result<(), String>,
) -> Result<usize, String> {
    let rows: Vec<JsonRow<'a>> =
        serde_json::from_str(text).map_err(|e| format!("not the expected JSON array ({e})"))?;
    let n = rows.len();
    for (index, r) in rows.into_iter().enumerate() {
        let bad = |col: &str, e: String| format!("row {}: column {col}: {e}", index + 1);
        let time = match r.p.map(RawValue::get) {
            None => None,
            Some(raw) if raw.starts_with('"') => {
                let s: String = serde_json::from_str(raw).map_err(|e| bad("p", e.to_string()))?;
                Some(parse_float(&s).ok_or_else(|| bad("p", format!("not a number: {s:?}")))?)
            }
            Some(raw) => {
                Some(parse_f64(raw).ok_or_else(|| bad("p", format!("not a number: {raw}")))?)
            }
        };
        let created_at =
            r.a.map(|a| parse_timestamp(&a).map_err(|e| bad("a", e.to_string())))
                .transpose()?;
        each(WireRow {
            id: r.i,
            event_type: r.t,
            success: r.s,
            cache_hit: r.h,
            time,
            cache_key: r.k,
            endpoint: r.e,
            error_type: r.et,
            error_message: r.em,
            prefix: r.x,
            state: r.st,
            failures: r.fc,
            successes: r.sc,
            canary: r.c.map(|c| Cow::Borrowed(c.get())),
            details: r.d.map(|d| Cow::Borrowed(d.get())),
            created_at,
        })?;
    }
    Ok(n)
}

/// The [`EventRow`] of a wire row of a stream of type `only` (`None`: the row names its type),
/// and the type's name when it is none the metrics know.
pub(super) fn event_row(
    only: Option<EventType>,
    w: WireRow<'_>,
) -> Result<(EventRow<'_>, Option<String>), String> {
    let id = w.id.ok_or("a row without id")?;
    let created_at = w
        .created_at
        .ok_or_else(|| format!("row id {id} has no created_at"))?;
    let (event_type, unknown) = match (only, &w.event_type) {
        (Some(t), _) => (t, None),
        (None, Some(name)) => {
            let t = EventType::parse(name);
            (t, (t == EventType::Other).then(|| name.to_string()))
        }
        (None, None) => return Err(format!("row id {id} has no event_type")),
    };
    let mut details = match w.details {
        // The whole object (feature flags): read as the file readers do.
        Some(json) => {
            let parsed = parse_details(&json)
                .map_err(|e| format!("row id {id}: details is not JSON ({e})"))?;
            let mut owned = details_into_owned(parsed);
            if event_type == EventType::FeatureFlagsLoaded {
                owned.flags_json = Some(json.into_owned());
            }
            owned
        }
        None => Details {
            endpoint: w.endpoint,
            error_type: w.error_type,
            error_message: w.error_message,
            cache_key_prefix: w.prefix,
            state: w.state,
            failure_count: w.failures,
            success_count: w.successes,
            ..Details::default()
        },
    };
    if let Some(canary) = w.canary.as_deref() {
        // `details->canary` as JSON: only a boolean tags a cohort (as details.rs reads it).
        match canary.trim() {
            "true" => details.canary = Some(true),
            "false" => details.canary = Some(false),
            "null" => {}
            _ => details.canary_not_bool = true,
        }
    }
    Ok((
        EventRow {
            id,
            event_type,
            success: w.success,
            cache_hit: w.cache_hit,
            processing_time_ms: w.time,
            cache_key: w.cache_key,
            details,
            created_at,
        },
        unknown,
    ))
}

fn details_into_owned(d: Details<'_>) -> Details<'static> {
    let own = |c: Option<Cow<'_, str>>| c.map(|c| Cow::Owned(c.into_owned()));
    Details {
        endpoint: own(d.endpoint),
        error_type: own(d.error_type),
        error_message: own(d.error_message),
        cache_key_prefix: own(d.cache_key_prefix),
        state: own(d.state),
        failure_count: own(d.failure_count),
        success_count: own(d.success_count),
        canary: d.canary,
        canary_not_bool: d.canary_not_bool,
        flags_json: d.flags_json,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_records(body: &str, expected: &[&[Option<&str>]]) {
        let mut records = Records { rest: body };
        let mut fields = Vec::new();
        let mut got: Vec<Vec<Option<String>>> = Vec::new();
        while let Some(r) = records.next(&mut fields) {
            r.unwrap();
            got.push(
                fields
                    .iter()
                    .map(|f| f.as_deref().map(str::to_owned))
                    .collect(),
            );
        }
        let want: Vec<Vec<Option<String>>> = expected
            .iter()
            .map(|r| r.iter().map(|f| f.map(str::to_owned)).collect())
            .collect();
        assert_eq!(got, want, "{body:?}");
    }

    #[test]
    fn postgrest_csv_records_unescape_like_record_literals() {
        check_records("", &[]);
        check_records("a,b\n1,\n", &[&[Some("a"), Some("b")], &[Some("1"), None]]);
        check_records(
            "1,\"\",\"a\"\"b\\\\c, (x)\",\"line1\nline2\"",
            &[&[
                Some("1"),
                Some(""),
                Some("a\"b\\c, (x)"),
                Some("line1\nline2"),
            ]],
        );
        check_records("\"\"\"yes\"\"\",true", &[&[Some("\"yes\""), Some("true")]]);
        let mut broken = Records { rest: "\"open" };
        assert!(broken.next(&mut Vec::new()).unwrap().is_err());
        let mut trailing = Records { rest: "\"a\"b" };
        assert!(trailing.next(&mut Vec::new()).unwrap().is_err());
    }

    #[test]
    fn malformed_rows_name_the_row_and_column() {
        let cases = [
            (WireFormat::Csv, "i,s,a\n1,maybe,\"2025-10-16 18:35:00+00\"", "row 1: column s: expected t or f, got \"maybe\""),
            (WireFormat::Csv, "i,a\n1,\"2025-13-16 18:35:00+00\"", "row 1: \"2025-13-16 18:35:00+00\" is not a calendar date and time"),
            (WireFormat::Csv, "i,a\n1", "CSV row 1: 1 fields, but the header names 2"),
            (WireFormat::Csv, "i,a\n,\"2025-10-16 18:35:00+00\"", "a row without id"),
            (WireFormat::Json, "[{\"i\":1,\"s\":tr", "not the expected JSON array (EOF while parsing a value at line 1 column 14)"),
            (WireFormat::Json, "{\"i\":1}", "not the expected JSON array (invalid type: map, expected a sequence at line 1 column 0)"),
            (WireFormat::Json, "[{\"i\":1,\"p\":\"fast\",\"a\":\"2025-10-16T18:35:00Z\"}]", "row 1: column p: not a number: \"fast\""),
        ];
        for (format, body, expected) in cases {
            let got = decode_page(format, body, &mut |w| {
                event_row(Some(EventType::RequestCompleted), w).map(|_| ())
            });
            assert_eq!(got, Err(expected.to_owned()), "{body}");
        }
    }
}
