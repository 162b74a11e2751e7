//! Readers of the two export formats of `observability_events`: PostgreSQL's / Supabase's CSV
//! (`\copy … with (format csv, header true)`) and a PostgREST JSON array. Both read the whole
//! text into a new [`EventStore`] or fail with the first bad row, so a caller that already holds
//! data loses nothing to a bad file.

use std::borrow::Cow;

use std::collections::HashMap;

use serde_json::value::RawValue;
use serde_json::Value;

use crate::details::{details_to_json, parse_details};
use crate::event::{Details, EventRow, EventType, Micros};
use crate::store::{Batch, EventStore};
use crate::time::parse_timestamp;
use stdx::decimal::{parse_float8, Float8Error};

/// The table's columns (docs/metrics.md#data), in order.
pub const COLUMNS: [&str; 8] = [
    "id",
    "event_type",
    "success",
    "cache_hit",
    "processing_time_ms",
    "cache_key",
    "details",
    "created_at",
];

/// Columns that must be present (the rest are read as null when missing).
const REQUIRED: [&str; 3] = ["id", "event_type", "created_at"];

/// Which export format a text is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Csv,
    Json,
}

impl Format {
    /// Guesses from the file name, then from the first non-blank character.
    pub fn detect(name: &str, text: &str) -> Format {
        let lower = name.to_ascii_lowercase();
        if lower.ends_with(".json") {
            Format::Json
        } else if lower.ends_with(".csv") {
            Format::Csv
        } else if text.trim_start().starts_with('[') {
            Format::Json
        } else {
            Format::Csv
        }
    }
}

/// Why an export could not be read. Rows are numbered from 1 (the CSV header is not a row).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    #[error("the file is empty: expected a header line naming the columns ({})", COLUMNS.join(","))]
    Empty,
    #[error("header: {0}")]
    Header(String),
    #[error("row {row} (line {line}): {message}")]
    Row {
        row: u64,
        line: u64,
        message: String,
    },
    #[error("row {row} (line {line}), column {column}: {message}")]
    Field {
        row: u64,
        line: u64,
        column: &'static str,
        message: String,
    },
    #[error("not a PostgREST JSON array: {0}")]
    Json(String),
    #[error("row {row}, field {column}: {message}")]
    JsonField {
        row: u64,
        column: &'static str,
        message: String,
    },
}

/// Reads an export in the given format into a new store.
pub fn read_export(text: &str, format: Format) -> Result<EventStore, ReadError> {
    match format {
        Format::Csv => read_csv(text),
        Format::Json => read_json(text),
    }
}

/// One CSV field: its text (unescaped) and whether it was quoted (a quoted empty field is an
/// empty string, an unquoted one is SQL null).
struct Field<'a> {
    text: Cow<'a, str>,
    quoted: bool,
}

/// Splits PostgreSQL CSV into records, tracking line numbers.
struct CsvRecords<'a> {
    rest: &'a str,
    line: u64,
}

impl<'a> CsvRecords<'a> {
    /// The next record's fields and its first line, or a message for a broken quote.
    fn next_record(&mut self, fields: &mut Vec<Field<'a>>) -> Option<Result<u64, (u64, String)>> {
        fields.clear();
        if self.rest.is_empty() {
            return None;
        }
        self.line += 1;
        let start_line = self.line;
        let bytes = self.rest.as_bytes();
        let mut i = 0;
        loop {
            if i < bytes.len() && bytes[i] == b'"' {
                // Quoted field: runs to the next lone quote; "" is an escaped quote.
                let mut j = i + 1;
                let mut escaped = false;
                loop {
                    match bytes.get(j) {
                        None => {
                            return Some(Err((
                                start_line,
                                format!(
                                    "a quoted field opened on line {start_line} is never closed"
                                ),
                            )))
                        }
                        Some(b'"') if bytes.get(j + 1) == Some(&b'"') => {
                            escaped = true;
                            j += 2;
                        }
                        Some(b'"') => break,
                        Some(b'\n') => {
                            self.line += 1;
                            j += 1;
                        }
                        Some(_) => j += 1,
                    }
                }
                let inner = &self.rest[i + 1..j];
                let text = if escaped {
                    Cow::Owned(inner.replace("\"\"", "\""))
                } else {
                    Cow::Borrowed(inner)
                };
                fields.push(Field { text, quoted: true });
                i = j + 1;
                match bytes.get(i) {
                    Some(b',') => i += 1,
                    Some(b'\n') | None => break,
                    Some(b'\r') if bytes.get(i + 1) == Some(&b'\n') => {
                        i += 1;
                        break;
                    }
                    Some(_) => {
                        return Some(Err((
                            start_line,
                            format!("text after a closing quote on line {}", self.line),
                        )))
                    }
                }
            } else {
                let end = bytes[i..]
                    .iter()
                    .position(|&c| c == b',' || c == b'\n')
                    .map_or(bytes.len(), |p| i + p);
                let mut text = &self.rest[i..end];
                if bytes.get(end) != Some(&b',') {
                    text = text.strip_suffix('\r').unwrap_or(text);
                }
                fields.push(Field {
                    text: Cow::Borrowed(text),
                    quoted: false,
                });
                i = end;
                if bytes.get(i) == Some(&b',') {
                    i += 1;
                } else {
                    break;
                }
            }
        }
        self.rest = self.rest.get(i + 1..).unwrap_or("");
        Some(Ok(start_line))
    }
}

/// Reads PostgreSQL's CSV export (header line; `t`/`f`; empty unquoted field = null; `details`
/// as JSON text; timestamps like `2025-10-16 18:35:00.175522+00`).
pub fn read_csv(text: &str) -> Result<EventStore, ReadError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut records = CsvRecords {
        rest: text,
        line: 0,
    };
    let mut fields = Vec::new();
    let header_line = match records.next_record(&mut fields) {
        None => return Err(ReadError::Empty),
        Some(Err((_, message))) => return Err(ReadError::Header(message)),
        Some(Ok(line)) => line,
    };
    // Where each of COLUMNS sits in a record, if present.
    let mut position: [Option<usize>; 8] = [None; 8];
    for (i, field) in fields.iter().enumerate() {
        let name = field.text.trim();
        let Some(c) = COLUMNS.iter().position(|&col| col == name) else {
            return Err(ReadError::Header(format!(
                "unknown column {name:?} on line {header_line}; expected the columns of observability_events: {}",
                COLUMNS.join(", ")
            )));
        };
        if position[c].is_some() {
            return Err(ReadError::Header(format!("column {name:?} appears twice")));
        }
        position[c] = Some(i);
    }
    for required in REQUIRED {
        let c = COLUMNS.iter().position(|&col| col == required).unwrap_or(0);
        if position[c].is_none() {
            return Err(ReadError::Header(format!(
                "the required column {required:?} is missing"
            )));
        }
    }
    let width = fields.len();

    let mut store = EventStore::new();
    let mut batch = store.batch();
    let mut row = 0u64;
    while let Some(record) = records.next_record(&mut fields) {
        let line = record.map_err(|(line, message)| ReadError::Row {
            row: row + 1,
            line,
            message,
        })?;
        // A blank line (also the one a trailing newline leaves) is no row.
        if fields.len() == 1 && !fields[0].quoted && fields[0].text.is_empty() {
            continue;
        }
        row += 1;
        if fields.len() != width {
            return Err(ReadError::Row {
                row,
                line,
                message: format!("{} fields, but the header names {width}", fields.len()),
            });
        }
        let get = |c: usize| position[c].map(|i| &fields[i]);
        csv_row(&mut batch, get, row, line)?;
    }
    drop(batch);
    store.shrink_to_fit();
    Ok(store)
}

fn csv_row<'f>(
    batch: &mut Batch<'_>,
    get: impl Fn(usize) -> Option<&'f Field<'f>>,
    row: u64,
    line: u64,
) -> Result<(), ReadError> {
    let err = |column: &'static str, message: String| ReadError::Field {
        row,
        line,
        column,
        message,
    };
    // The text of a column, `None` for SQL null (missing column or empty unquoted field).
    let value = |c: usize| -> Option<&str> {
        let f = get(c)?;
        (f.quoted || !f.text.is_empty()).then_some(f.text.as_ref())
    };
    let id_text = value(0).ok_or_else(|| err("id", "empty, but id is NOT NULL".into()))?;
    let id = id_text
        .trim()
        .parse::<i64>()
        .map_err(|_| err("id", format!("expected a whole number, got {id_text:?}")))?;
    let type_text =
        value(1).ok_or_else(|| err("event_type", "empty, but event_type is NOT NULL".into()))?;
    let event_type = EventType::parse(type_text);
    if event_type == EventType::Other {
        batch.note_unknown_type(type_text);
    }
    let success = parse_bool(value(2)).map_err(|m| err("success", m))?;
    let cache_hit = parse_bool(value(3)).map_err(|m| err("cache_hit", m))?;
    let processing_time_ms = value(4)
        .map(|t| parse_float8(t).map_err(|e| err("processing_time_ms", float8_message(t, e))))
        .transpose()?;
    let cache_key = value(5).map(Cow::Borrowed);
    let details_text = value(6);
    let mut details = match details_text {
        Some(json) => {
            parse_details(json).map_err(|e| err("details", format!("not valid JSON ({e})")))?
        }
        None => Details::default(),
    };
    if event_type == EventType::FeatureFlagsLoaded {
        details.flags_json = details_text.map(str::to_owned);
    }
    let created_text =
        value(7).ok_or_else(|| err("created_at", "empty, but created_at is NOT NULL".into()))?;
    let created_at: Micros =
        parse_timestamp(created_text).map_err(|e| err("created_at", e.to_string()))?;
    batch.push(&EventRow {
        id,
        event_type,
        success,
        cache_hit,
        processing_time_ms,
        cache_key,
        details,
        created_at,
    });
    Ok(())
}

fn parse_bool(text: Option<&str>) -> Result<Option<bool>, String> {
    match text.map(str::trim) {
        None => Ok(None),
        Some("t" | "true" | "TRUE" | "True") => Ok(Some(true)),
        Some("f" | "false" | "FALSE" | "False") => Ok(Some(false)),
        Some(other) => Err(format!("expected t or f (empty for null), got {other:?}")),
    }
}

/// A `double precision` as PostgreSQL reads it (`NaN`, `Infinity`, `-Infinity` included),
/// rounded as PostgreSQL rounds it; `None` where `float8in` reports an error.
pub(crate) fn parse_float(text: &str) -> Option<f64> {
    parse_float8(text).ok()
}

/// What is wrong with `text` as a `double precision`, in PostgreSQL's words where it has them.
fn float8_message(text: &str, e: Float8Error) -> String {
    match e {
        Float8Error::Syntax => format!("expected a number, got {text:?}"),
        Float8Error::OutOfRange => {
            format!("{text:?} is out of range for type double precision")
        }
    }
}

/// Reads a PostgREST JSON array of rows (`GET /rest/v1/observability_events`). Keys other than
/// the table's columns are ignored; missing nullable columns read as null.
pub fn read_json(text: &str) -> Result<EventStore, ReadError> {
    let json_error = |e: serde_json::Error| ReadError::Json(e.to_string());
    // Rows stay raw until each is read, so `details` keeps its exact text (jsonb numbers and
    // nested values are compared as text by `->>`).
    let top: &RawValue = serde_json::from_str(text).map_err(json_error)?;
    if !top.get().starts_with('[') {
        let value: Value = serde_json::from_str(top.get()).map_err(json_error)?;
        return Err(ReadError::Json(format!(
            "expected an array of rows, got {}",
            json_kind(&value)
        )));
    }
    let rows: Vec<&RawValue> = serde_json::from_str(top.get()).map_err(json_error)?;
    let mut store = EventStore::new();
    let mut batch = store.batch();
    for (i, item) in rows.iter().enumerate() {
        json_row(&mut batch, item, i as u64 + 1)?;
    }
    drop(batch);
    store.shrink_to_fit();
    Ok(store)
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Reads one PostgREST row object (raw JSON text) into the batch.
pub fn json_row(batch: &mut Batch<'_>, item: &RawValue, row: u64) -> Result<(), ReadError> {
    let err = |column: &'static str, message: String| ReadError::JsonField {
        row,
        column,
        message,
    };
    if !item.get().starts_with('{') {
        let value: Value =
            serde_json::from_str(item.get()).map_err(|e| ReadError::Json(e.to_string()))?;
        return Err(ReadError::Json(format!(
            "row {row} is {}, expected an object",
            json_kind(&value)
        )));
    }
    let raw_fields: HashMap<String, &RawValue> =
        serde_json::from_str(item.get()).map_err(|e| ReadError::Json(e.to_string()))?;
    let mut obj = serde_json::Map::new();
    for (name, raw) in &raw_fields {
        if name != "details" {
            let value: Value =
                serde_json::from_str(raw.get()).map_err(|e| ReadError::Json(e.to_string()))?;
            obj.insert(name.clone(), value);
        }
    }
    let raw_details = raw_fields.get("details").map(|r| r.get());
    let field = |name: &str| obj.get(name).filter(|v| !v.is_null());
    let id = match field("id") {
        Some(Value::Number(n)) => n.as_i64(),
        Some(Value::String(s)) => s.parse().ok(),
        _ => None,
    }
    .ok_or_else(|| {
        err(
            "id",
            format!("expected a whole number, got {}", show(obj.get("id"))),
        )
    })?;
    let type_text = match field("event_type") {
        Some(Value::String(s)) => s.as_str(),
        other => {
            return Err(err(
                "event_type",
                format!("expected text, got {}", show(other)),
            ))
        }
    };
    let event_type = EventType::parse(type_text);
    if event_type == EventType::Other {
        batch.note_unknown_type(type_text);
    }
    let boolean = |name: &'static str| match field(name) {
        None => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(other) => Err(err(
            name,
            format!("expected true, false or null, got {other}"),
        )),
    };
    let success = boolean("success")?;
    let cache_hit = boolean("cache_hit")?;
    let processing_time_ms = match field("processing_time_ms") {
        None => None,
        Some(value) => {
            let parsed = match value {
                // From the number's text: serde_json's own conversion is best effort, one unit
                // in the last place off for about one in eleven doubles printed shortest.
                Value::Number(_) => raw_fields
                    .get("processing_time_ms")
                    .map(|raw| parse_float8(raw.get()).map_err(|e| float8_message(raw.get(), e))),
                Value::String(s) => Some(parse_float8(s).map_err(|e| float8_message(s, e))),
                _ => None,
            };
            let expected = || format!("expected a number, got {value}");
            let parsed = parsed.unwrap_or_else(|| Err(expected()));
            Some(parsed.map_err(|m| err("processing_time_ms", m))?)
        }
    };
    let cache_key = match field("cache_key") {
        None => None,
        Some(Value::String(s)) => Some(Cow::Borrowed(s.as_str())),
        Some(other) => return Err(err("cache_key", format!("expected text, got {other}"))),
    };
    // `details` is a JSON object, or (from some exports) that object as a JSON string.
    let details_text: Option<Cow<'_, str>> = match raw_details {
        Some(raw) if raw.starts_with('"') => Some(Cow::Owned(
            serde_json::from_str::<String>(raw).map_err(|e| err("details", e.to_string()))?,
        )),
        Some("null") | None => None,
        Some(raw) => Some(Cow::Borrowed(raw)),
    };
    let mut details = match &details_text {
        Some(text) => {
            parse_details(text).map_err(|e| err("details", format!("not valid JSON ({e})")))?
        }
        None => Details::default(),
    };
    if event_type == EventType::FeatureFlagsLoaded {
        details.flags_json = details_text.as_deref().map(str::to_owned);
    }
    let created_at = match field("created_at") {
        Some(Value::String(s)) => {
            parse_timestamp(s).map_err(|e| err("created_at", e.to_string()))?
        }
        other => {
            return Err(err(
                "created_at",
                format!("expected a timestamp string, got {}", show(other)),
            ))
        }
    };
    batch.push(&EventRow {
        id,
        event_type,
        success,
        cache_hit,
        processing_time_ms,
        cache_key,
        details,
        created_at,
    });
    Ok(())
}

fn show(v: Option<&Value>) -> String {
    v.map_or_else(|| "nothing".to_owned(), Value::to_string)
}

/// Writes rows as PostgreSQL CSV with a header, the form `\copy … to` produces: the inverse of
/// [`read_csv`], used to hand the demo data to PostgreSQL and to other tools.
pub fn write_csv_row(out: &mut String, row: &EventRow<'_>) {
    use std::fmt::Write;
    let boolean = |b: Option<bool>| match b {
        None => "",
        Some(true) => "t",
        Some(false) => "f",
    };
    let _ = write!(
        out,
        "{},{},{},{},",
        row.id,
        row.event_type.as_str(),
        boolean(row.success),
        boolean(row.cache_hit)
    );
    match row.processing_time_ms {
        None => {}
        Some(v) if v.is_nan() => out.push_str("NaN"),
        Some(v) if v == f64::INFINITY => out.push_str("Infinity"),
        Some(v) if v == f64::NEG_INFINITY => out.push_str("-Infinity"),
        Some(v) => {
            let _ = write!(out, "{v:?}");
        }
    }
    out.push(',');
    if let Some(key) = &row.cache_key {
        push_quoted(out, key);
    }
    out.push(',');
    push_quoted(out, &details_to_json(&row.details));
    out.push(',');
    out.push_str(&crate::time::format_postgres(row.created_at));
    out.push('\n');
}

/// The CSV header line.
pub fn csv_header() -> String {
    let mut s = COLUMNS.join(",");
    s.push('\n');
    s
}

fn push_quoted(out: &mut String, text: &str) {
    out.push('"');
    out.push_str(&text.replace('"', "\"\""));
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::{compute, Window};

    const HEADER: &str =
        "id,event_type,success,cache_hit,processing_time_ms,cache_key,details,created_at\n";

    fn check(csv_body: &str, expected: Result<(usize, &[i64]), &str>) {
        let text = format!("{HEADER}{csv_body}");
        match (read_csv(&text), expected) {
            (Ok(store), Ok((len, ids))) => {
                assert_eq!(store.len(), len, "{csv_body}");
                assert_eq!(store.ids(), ids, "{csv_body}");
            }
            (Err(e), Err(message)) => assert_eq!(e.to_string(), message, "{csv_body}"),
            (got, want) => panic!("{csv_body}: got {got:?}, want {want:?}"),
        }
    }

    #[test]
    fn csv_table() {
        check("", Ok((0, &[])));
        check(
            "1,request_completed,t,,12.5,,\"{\"\"endpoint\"\": \"\"/a\"\"}\",2025-10-16 18:35:00.175522+00\n",
            Ok((1, &[1])),
        );
        // CRLF line ends, a quoted newline in a key, an escaped one in details, rows out of order.
        check(
            "2,mem0_write,f,,,\"a\nb\",\"{\"\"error_message\"\": \"\"a\\nb\"\"}\",2025-10-16 18:36:00+00\r\n1,cache_access,,t,1,k,{},2025-10-16 18:35:00+00\r\n",
            Ok((2, &[1, 2])),
        );
        check(
            "1,request_completed,yes,,1,,{},2025-10-16 18:35:00+00\n",
            Err("row 1 (line 2), column success: expected t or f (empty for null), got \"yes\""),
        );
        check(
            "1,request_completed,t,,1,,{},2025-10-16 18:35:00+00\n2,request_completed,t,,1,,{},2025-10-16 25:35:00+00\n",
            Err("row 2 (line 3), column created_at: \"2025-10-16 25:35:00+00\" is not a calendar date and time"),
        );
        check(
            "x,request_completed,t,,1,,{},2025-10-16 18:35:00+00\n",
            Err("row 1 (line 2), column id: expected a whole number, got \"x\""),
        );
        check(
            "1,request_completed,t,,fast,,{},2025-10-16 18:35:00+00\n",
            Err("row 1 (line 2), column processing_time_ms: expected a number, got \"fast\""),
        );
        check(
            "1,request_completed,t,,1,,{oops,2025-10-16 18:35:00+00\n",
            Err("row 1 (line 2), column details: not valid JSON (key must be a string at line 1 column 2)"),
        );
        check(
            "1,request_completed,t,,1,,{}\n",
            Err("row 1 (line 2): 7 fields, but the header names 8"),
        );
        check(
            "1,request_completed,t,,1,,\"{},2025-10-16 18:35:00+00\n",
            Err("row 1 (line 2): a quoted field opened on line 2 is never closed"),
        );
    }

    #[test]
    fn csv_header_errors_name_the_column() {
        assert_eq!(read_csv("").unwrap_err(), ReadError::Empty);
        let e = read_csv("id,event_type,created_at,colour\n").unwrap_err();
        assert!(
            e.to_string()
                .starts_with("header: unknown column \"colour\" on line 1"),
            "{e}"
        );
        let e = read_csv("id,created_at\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "header: the required column \"event_type\" is missing"
        );
    }

    #[test]
    fn csv_null_and_empty_string_differ() {
        let text = format!(
            "{HEADER}1,cache_miss,,,,\"\",{{}},2025-10-16 18:35:00+00\n2,cache_miss,,,,,{{}},2025-10-16 18:35:01+00\n"
        );
        let store = read_csv(&text).unwrap();
        assert_eq!(store.cache_key_text(0), Some(""));
        assert_eq!(store.cache_key_text(1), None);
    }

    #[test]
    fn json_reads_postgrest_rows_and_names_bad_fields() {
        let ok = r#"[{"id":1,"event_type":"request_completed","success":false,"cache_hit":null,
            "processing_time_ms":"NaN","cache_key":null,
            "details":{"endpoint":"/a","error_type":"Timeout"},"created_at":"2025-10-16T18:35:00.5+00:00"},
            {"id":2,"event_type":"weird","created_at":"2025-10-16T18:35:01+00:00","details":{}}]"#;
        let store = read_json(ok).unwrap();
        assert_eq!(store.len(), 2);
        let m = compute(&store, Window::whole(&store));
        assert_eq!(m.errors.failures, 1);
        assert_eq!(m.latency.p50_ms, None);
        assert!(m
            .window
            .notes
            .iter()
            .any(|n| n.contains("unknown event types ignored: \"weird\" (1)")));
        let cases = [
            (
                "{}",
                "not a PostgREST JSON array: expected an array of rows, got an object",
            ),
            (
                "[1]",
                "not a PostgREST JSON array: row 1 is a number, expected an object",
            ),
            (
                r#"[{"id":1,"event_type":"x","success":"t","created_at":"2025-10-16T18:35:00Z"}]"#,
                "row 1, field success: expected true, false or null, got \"t\"",
            ),
            (
                r#"[{"id":1,"event_type":"x"}]"#,
                "row 1, field created_at: expected a timestamp string, got nothing",
            ),
        ];
        for (text, message) in cases {
            assert_eq!(read_json(text).unwrap_err().to_string(), message, "{text}");
        }
    }

    #[test]
    fn json_numbers_round_as_postgresql_rounds_them() {
        // Shortest round-trip texts (what PostgreSQL prints for float8) that serde_json's
        // best-effort conversion reads one unit in the last place off.
        for text in [
            "235.09243580661322",
            "211.79905932441062",
            "210.18526445877401",
        ] {
            let json = format!(
                r#"[{{"id":1,"event_type":"request_completed","processing_time_ms":{text},
                "created_at":"2025-10-16T18:35:00Z"}}]"#
            );
            let store = read_json(&json).unwrap();
            let want: f64 = text.parse().unwrap();
            assert_eq!(
                store.processing_times_ms()[0].to_bits(),
                want.to_bits(),
                "{text}"
            );
        }
    }

    #[test]
    fn written_csv_reads_back() {
        let row = EventRow {
            id: 7,
            event_type: EventType::CacheAccess,
            success: None,
            cache_hit: Some(false),
            processing_time_ms: Some(0.1 + 0.2),
            cache_key: Some(Cow::Borrowed("a,\"b\"")),
            details: Details {
                cache_key_prefix: Some(Cow::Borrowed("p")),
                ..Details::default()
            },
            created_at: 1_760_639_700_175_522,
        };
        let mut text = csv_header();
        write_csv_row(&mut text, &row);
        let store = read_csv(&text).unwrap();
        assert_eq!(
            store.processing_times_ms()[0].to_bits(),
            (0.1f64 + 0.2).to_bits()
        );
        assert_eq!(store.cache_key_text(0), Some("a,\"b\""));
        assert_eq!(store.label_text(0), Some("p"));
        assert_eq!(store.created_at()[0], 1_760_639_700_175_522);
    }
}
