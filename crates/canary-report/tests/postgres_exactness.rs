//! The product's promise (docs/metrics.md#metrics): every number `canary-report metrics --input FILE --json`
//! prints equals what PostgreSQL 15 computes for the guide's SQL on the same rows. Percentiles
//! bit for bit (`f64::to_bits`), means and rates to 1e-9 relative, counts and timestamps exactly
//! (timestamps to the microsecond).
//!
//! Each data set is generated here (a small deterministic PRNG), written with
//! `canary_core::read::write_csv_row`, loaded into PostgreSQL with `\copy … from`, exported back
//! with PostgreSQL's own `\copy observability_events to … with (format csv, header true)`, and
//! THAT file is what the `canary-report` binary reads. The guide's SQL is then run with only the
//! window changed (`created_at >= from and created_at < to` instead of `now() - interval`).
//!
//! These tests need a PostgreSQL server and the `psql` client; they are `#[ignore]`d so a plain
//! `cargo test` skips them. Run them with
//!
//! ```text
//! bash scripts/test.sh                # starts a throw-away PostgreSQL 15 (step 6)
//! # or by hand:
//! source scripts/pg.sh && pg_start && \
//!   cargo test --release -p canary-report --test postgres_exactness -- --include-ignored; pg_stop
//! ```
//!
//! `CANARY_TEST_PG` is the libpq connection string; without it the tests FAIL (they never pass
//! silently). `CANARY_PSQL` may name the `psql` binary (default: `psql` on PATH).
//!
//! Two deliberate adaptations of the SQL, both rules of docs/metrics.md rather than choices of this test:
//! - docs/metrics.md#data: a NaN (or ±Infinity) `processing_time_ms` is "skipped from the metric it would
//!   corrupt". PostgreSQL would let NaN poison `AVG`/`MAX` and shift `percentile_cont`, so after
//!   the export the SQL side sets those values to null (`update … set processing_time_ms = null`).
//!   The binary still reads the export, NaN and all.
//! - Ties: the guide orders by `created_at desc` only; the core breaks ties by `id desc`, and so
//!   does the SQL here (the newest 1000 requests, the breaker's current state, transitions).

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use canary_core::demo::{self, DemoConfig};
use canary_core::event::{
    Details, EventRow, EventType, Micros, MICROS_PER_HOUR, MICROS_PER_MINUTE, MICROS_PER_SECOND,
};
use canary_core::percentile::{percentile_cont, percentile_disc};
use canary_core::read::{csv_header, write_csv_row};
use canary_core::time::{format_postgres, format_rfc3339, parse_timestamp};
use stdx::rand::SplitMix64;

const S: Micros = MICROS_PER_SECOND;
const M: Micros = MICROS_PER_MINUTE;
const H: Micros = MICROS_PER_HOUR;
/// 2025-10-16 18:35:00.175522 UTC: the guide's Phase 1 start, with a fraction.
const T0: Micros = 1_760_639_700_175_522;

// -------------------------------------------------------------------------------------------
// PostgreSQL through psql

/// psql's field and record separators and its null marker: none occurs in the data.
const FS: &str = "\u{1f}";
const RS: &str = "\u{1e}";
const NULL: &str = "\u{1}NULL\u{1}";
/// Starts a section of a multi-query script's output.
const SECTION: &str = "@@section ";

/// One result row; `None` is SQL null.
type PgRow = Vec<Option<String>>;

struct Pg {
    conninfo: String,
    psql: String,
}

impl Pg {
    /// The server of `CANARY_TEST_PG`; panics (the test fails) when it is not set.
    fn from_env() -> Pg {
        let conninfo = match std::env::var("CANARY_TEST_PG") {
            Ok(c) if !c.trim().is_empty() => c,
            _ => panic!(
                "CANARY_TEST_PG is not set: these tests compare canary-report with PostgreSQL 15 \
                 and need a server. Run `bash scripts/test.sh` (it starts a throw-away \
                 PostgreSQL), or by hand: `source scripts/pg.sh && pg_start && cargo test \
                 --release -p canary-report --test postgres_exactness -- --include-ignored; \
                 pg_stop` (CANARY_TEST_PG is a libpq connection string, e.g. \
                 postgresql://postgres@127.0.0.1:5432/canary)"
            ),
        };
        let psql = std::env::var("CANARY_PSQL").unwrap_or_else(|_| "psql".to_owned());
        Pg { conninfo, psql }
    }

    /// Runs `script` (after `SET TIME ZONE 'UTC'` and the search path) and returns stdout.
    fn run(&self, schema: &str, script: &str) -> String {
        let full = format!(
            "SET TIME ZONE 'UTC';\nSET extra_float_digits = 1;\nSET search_path = {schema};\n{script}"
        );
        let null = format!("null={NULL}");
        let mut child = Command::new(&self.psql)
            .args([
                "-X",
                "-q",
                "-v",
                "ON_ERROR_STOP=1",
                "-A",
                "-t",
                "-F",
                FS,
                "-R",
                RS,
            ])
            .args(["-P", &null, "-d", &self.conninfo, "-f", "-"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot run {:?} ({e}): install the PostgreSQL client or set CANARY_PSQL",
                    self.psql
                )
            });
        let mut stdin = child.stdin.take().expect("psql stdin");
        let writer = std::thread::spawn(move || stdin.write_all(full.as_bytes()));
        let out = child.wait_with_output().expect("psql runs");
        writer
            .join()
            .expect("stdin writer")
            .expect("write the script to psql");
        assert!(
            out.status.success(),
            "psql failed ({}): {}\n--- script ---\n{script}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("psql output is UTF-8")
    }

    /// Runs named queries in one psql session; returns the rows of each.
    fn sections(&self, schema: &str, queries: &[(&str, String)]) -> HashMap<String, Vec<PgRow>> {
        let mut script = String::new();
        for (name, sql) in queries {
            let _ = writeln!(
                script,
                "\\echo {SECTION}{name}\n{};",
                sql.trim().trim_end_matches(';')
            );
        }
        let out = self.run(schema, &script);
        let mut result = HashMap::new();
        for chunk in out.split(SECTION).skip(1) {
            let (name, body) = chunk.split_once('\n').unwrap_or((chunk, ""));
            let body = body.strip_suffix('\n').unwrap_or(body);
            let rows: Vec<PgRow> = if body.is_empty() {
                Vec::new()
            } else {
                body.split(RS)
                    .map(|record| {
                        record
                            .split(FS)
                            .map(|f| (f != NULL).then(|| f.to_owned()))
                            .collect()
                    })
                    .collect()
            };
            result.insert(name.to_owned(), rows);
        }
        for (name, _) in queries {
            assert!(
                result.contains_key(*name),
                "psql printed no section {name}:\n{out}"
            );
        }
        result
    }

    /// Creates `schema.observability_events` (docs/metrics.md#data), loads `input`, exports it to `export`
    /// with PostgreSQL's own `\copy … to`, then applies the NaN rule of docs/metrics.md#data on the SQL side.
    fn load(&self, schema: &str, input: &Path, export: &Path) {
        let script = format!(
            "DROP SCHEMA IF EXISTS {schema} CASCADE;\n\
             CREATE SCHEMA {schema};\n\
             SET search_path = {schema};\n\
             create table observability_events (id bigint primary key, event_type text not null, \
             success boolean, cache_hit boolean, processing_time_ms double precision, \
             cache_key text, details jsonb not null default '{{}}', \
             created_at timestamptz not null);\n\
             \\copy observability_events from '{}' with (format csv, header true)\n\
             \\copy observability_events to '{}' with (format csv, header true)\n\
             update observability_events set processing_time_ms = null \
             where processing_time_ms in ('NaN', 'Infinity', '-Infinity');\n\
             analyze observability_events;\n",
            sql_path(input),
            sql_path(export)
        );
        // The schema does not exist yet: the search path is set again inside.
        self.run("public", &script);
    }
}

fn sql_path(p: &Path) -> String {
    let s = p.to_str().expect("temp path is UTF-8");
    assert!(!s.contains('\''), "temp path {s:?} has a quote");
    s.to_owned()
}

/// A fresh directory for one data set's files; removed by [`Scratch::done`] (kept on failure).
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir =
            std::env::temp_dir().join(format!("canary-exactness-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create the scratch directory");
        Scratch(dir)
    }

    fn path(&self, file: &str) -> PathBuf {
        self.0.join(file)
    }

    fn done(self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

// -------------------------------------------------------------------------------------------
// The binary's JSON, read without losing digits
//
// serde_json's default float parser is "best effort" (exact only with its `float_roundtrip`
// feature), so it cannot judge bit-for-bit equality. This reader keeps every number's text and
// leaves the conversion to `str::parse::<f64>`, which rounds correctly.

#[derive(Clone, Debug, PartialEq)]
enum J {
    Null,
    Bool(bool),
    Num(String),
    Str(String),
    Arr(Vec<J>),
    Obj(Vec<(String, J)>),
}

impl J {
    fn parse(text: &str) -> J {
        let mut p = JsonParser {
            s: text.as_bytes(),
            i: 0,
        };
        let v = p.value();
        p.ws();
        assert_eq!(p.i, p.s.len(), "trailing text after the JSON value");
        v
    }

    fn get(&self, key: &str) -> &J {
        match self {
            J::Obj(fields) => fields
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v)
                .unwrap_or_else(|| panic!("the JSON has no key {key:?}: {}", self.show())),
            _ => panic!("expected an object with {key:?}, got {}", self.show()),
        }
    }

    fn arr(&self) -> &[J] {
        match self {
            J::Arr(items) => items,
            _ => panic!("expected an array, got {}", self.show()),
        }
    }

    fn keys(&self) -> Vec<&str> {
        match self {
            J::Obj(fields) => fields.iter().map(|(k, _)| k.as_str()).collect(),
            _ => Vec::new(),
        }
    }

    /// The value as text, for messages.
    fn show(&self) -> String {
        match self {
            J::Null => "null".to_owned(),
            J::Bool(b) => b.to_string(),
            J::Num(n) => n.clone(),
            J::Str(s) => format!("{s:?}"),
            J::Arr(items) => format!("[{} items]", items.len()),
            J::Obj(fields) => format!("{{{} keys}}", fields.len()),
        }
    }

    /// A group key's text (`None` for null).
    fn key_text(&self) -> Option<String> {
        match self {
            J::Null => None,
            J::Str(s) => Some(s.clone()),
            other => Some(other.show()),
        }
    }
}

struct JsonParser<'a> {
    s: &'a [u8],
    i: usize,
}

impl JsonParser<'_> {
    fn ws(&mut self) {
        while self.i < self.s.len() && self.s[self.i].is_ascii_whitespace() {
            self.i += 1;
        }
    }

    fn eat(&mut self, c: u8) {
        self.ws();
        assert_eq!(
            self.s.get(self.i),
            Some(&c),
            "expected {:?} at byte {}",
            c as char,
            self.i
        );
        self.i += 1;
    }

    fn literal(&mut self, word: &str, value: J) -> J {
        assert!(
            self.s[self.i..].starts_with(word.as_bytes()),
            "bad literal at byte {}",
            self.i
        );
        self.i += word.len();
        value
    }

    fn value(&mut self) -> J {
        self.ws();
        match self.s.get(self.i) {
            Some(b'n') => self.literal("null", J::Null),
            Some(b't') => self.literal("true", J::Bool(true)),
            Some(b'f') => self.literal("false", J::Bool(false)),
            Some(b'"') => J::Str(self.string()),
            Some(b'[') => {
                self.i += 1;
                let mut items = Vec::new();
                self.ws();
                if self.s.get(self.i) == Some(&b']') {
                    self.i += 1;
                    return J::Arr(items);
                }
                loop {
                    items.push(self.value());
                    self.ws();
                    match self.s.get(self.i) {
                        Some(b',') => self.i += 1,
                        Some(b']') => {
                            self.i += 1;
                            return J::Arr(items);
                        }
                        _ => panic!("bad array at byte {}", self.i),
                    }
                }
            }
            Some(b'{') => {
                self.i += 1;
                let mut fields = Vec::new();
                self.ws();
                if self.s.get(self.i) == Some(&b'}') {
                    self.i += 1;
                    return J::Obj(fields);
                }
                loop {
                    self.ws();
                    let key = self.string();
                    self.eat(b':');
                    let value = self.value();
                    fields.push((key, value));
                    self.ws();
                    match self.s.get(self.i) {
                        Some(b',') => self.i += 1,
                        Some(b'}') => {
                            self.i += 1;
                            return J::Obj(fields);
                        }
                        _ => panic!("bad object at byte {}", self.i),
                    }
                }
            }
            Some(c) if *c == b'-' || c.is_ascii_digit() => {
                let start = self.i;
                while self.i < self.s.len()
                    && matches!(
                        self.s[self.i],
                        b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E'
                    )
                {
                    self.i += 1;
                }
                J::Num(String::from_utf8(self.s[start..self.i].to_vec()).expect("ASCII"))
            }
            _ => panic!("unexpected JSON at byte {}", self.i),
        }
    }

    fn hex4(&mut self) -> u32 {
        let text = std::str::from_utf8(&self.s[self.i..self.i + 4]).expect("ASCII");
        self.i += 4;
        u32::from_str_radix(text, 16).expect("\\u escape")
    }

    fn string(&mut self) -> String {
        self.eat(b'"');
        let mut out = Vec::new();
        loop {
            let c = *self.s.get(self.i).expect("unterminated JSON string");
            self.i += 1;
            match c {
                b'"' => break,
                b'\\' => {
                    let e = self.s[self.i];
                    self.i += 1;
                    let ch = match e {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => {
                            let hi = self.hex4();
                            let code = if (0xD800..0xDC00).contains(&hi) {
                                assert_eq!(&self.s[self.i..self.i + 2], b"\\u", "lone surrogate");
                                self.i += 2;
                                let lo = self.hex4();
                                0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                            } else {
                                hi
                            };
                            char::from_u32(code).expect("valid \\u escape")
                        }
                        _ => panic!("bad escape at byte {}", self.i),
                    };
                    let mut buf = [0u8; 4];
                    out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                }
                _ => out.push(c),
            }
        }
        String::from_utf8(out).expect("JSON strings are UTF-8")
    }
}

// -------------------------------------------------------------------------------------------
// Data sets

/// Test data's random numbers: SplitMix64 with the draws the data sets need.
struct Rng(SplitMix64);

impl Rng {
    /// Uniform in [0, 1) with 53 random bits.
    fn unit(&mut self) -> f64 {
        self.0.next_f64()
    }

    fn below(&mut self, n: u64) -> u64 {
        self.0.below(n)
    }

    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize]
    }

    /// A time in `[from, from + len)`, to the microsecond.
    fn at(&mut self, from: Micros, len: Micros) -> Micros {
        from + self.below(len as u64) as Micros
    }
}

/// Latency distributions.
#[derive(Clone, Copy, Debug)]
enum Dist {
    /// Uniform on [20, 500) with full precision.
    Uniform,
    /// Pareto with α = 1: a tail up to ~1e17 ms.
    HeavyTail,
    /// Random mantissa bits, exponents 2^-10 .. 2^20, 10 % negative.
    FullPrecision,
    /// Every value 250.
    AllTies,
    /// Multiples of 10 from 0 to 190: many ties.
    IntTies,
    /// Milliseconds to 0.001 with a long tail, as the backend logs them.
    Logged,
}

impl Dist {
    const ALL: [Dist; 6] = [
        Dist::Uniform,
        Dist::HeavyTail,
        Dist::FullPrecision,
        Dist::AllTies,
        Dist::IntTies,
        Dist::Logged,
    ];

    fn name(self) -> &'static str {
        match self {
            Dist::Uniform => "uniform",
            Dist::HeavyTail => "heavy_tail",
            Dist::FullPrecision => "full_precision",
            Dist::AllTies => "all_ties",
            Dist::IntTies => "int_ties",
            Dist::Logged => "logged",
        }
    }

    fn sample(self, rng: &mut Rng) -> f64 {
        match self {
            Dist::Uniform => 20.0 + 480.0 * rng.unit(),
            Dist::HeavyTail => 40.0 / (1.0 - rng.unit()),
            Dist::FullPrecision => {
                let exponent = 1023 - 10 + rng.below(31);
                let sign = u64::from(rng.chance(0.1)) << 63;
                f64::from_bits(sign | (exponent << 52) | (rng.0.next_u64() >> 12))
            }
            Dist::AllTies => 250.0,
            Dist::IntTies => (rng.below(20) * 10) as f64,
            Dist::Logged => {
                let u = rng.unit();
                let u4 = u * u * u * u;
                ((80.0 + 300.0 * u * u + 9000.0 * u4 * u4 * u4) * 1000.0).round() / 1000.0
            }
        }
    }
}

fn text(s: &str) -> Option<Cow<'static, str>> {
    Some(Cow::Owned(s.to_owned()))
}

fn opt_text(s: Option<&str>) -> Option<Cow<'static, str>> {
    s.map(|s| Cow::Owned(s.to_owned()))
}

/// A check of the whole window's JSON against what docs/metrics.md#metrics says it must hold.
type Expectation = fn(&J) -> Result<(), String>;

/// A time window and its name; `None` is the CLI's default (the whole input).
type NamedWindow = (String, Option<(Micros, Micros)>);

struct Dataset {
    name: String,
    /// Rows in the order they are written to the file.
    rows: Vec<EventRow<'static>>,
    /// Raw CSV lines appended after the rows (data `write_csv_row` cannot express).
    extra_csv: String,
    windows: Vec<NamedWindow>,
    /// What docs/metrics.md#metrics says about the whole window, independent of both implementations: guards
    /// against the two agreeing on nothing.
    expect_whole: Option<Expectation>,
}

impl Dataset {
    /// The earliest and latest `created_at` (of the generated rows).
    fn span(&self) -> (Micros, Micros) {
        let min = self.rows.iter().map(|r| r.created_at).min().expect("rows");
        let max = self.rows.iter().map(|r| r.created_at).max().expect("rows");
        (min, max)
    }

    /// Whole, a window cutting through the middle, the last row alone, and two without rows
    /// (after the data: the breaker's state carries over; before it: `closed`).
    fn standard_windows(&mut self) {
        let (min, max) = self.span();
        let len = max - min + 1;
        self.windows = vec![
            ("whole".to_owned(), None),
            (
                "cut".to_owned(),
                Some((min + len * 3 / 10 + 7, min + len * 7 / 10 + 13)),
            ),
            ("last_row".to_owned(), Some((max, max + 1))),
            ("after_data".to_owned(), Some((max + 1, max + H))),
            ("before_data".to_owned(), Some((min - 2 * H, min - H))),
        ];
    }
}

/// Collects rows, then numbers and shuffles them like a real table: ids follow the order rows
/// were logged, which is not quite `created_at` order, and the file order is random.
struct Builder {
    rng: Rng,
    rows: Vec<EventRow<'static>>,
}

impl Builder {
    fn new(seed: u64) -> Builder {
        Builder {
            rng: Rng(SplitMix64::new(seed)),
            rows: Vec::new(),
        }
    }

    fn push(&mut self, kind: EventType, at: Micros) -> &mut EventRow<'static> {
        self.rows.push(EventRow {
            id: 0,
            event_type: kind,
            success: None,
            cache_hit: None,
            processing_time_ms: None,
            cache_key: None,
            details: Details::default(),
            created_at: at,
        });
        self.rows.last_mut().expect("just pushed")
    }

    fn finish(mut self, name: &str) -> Dataset {
        let rng = &mut self.rng;
        let mut keyed: Vec<(Micros, EventRow<'static>)> = self
            .rows
            .into_iter()
            .map(|r| (r.created_at + rng.below(4 * S as u64) as Micros - 2 * S, r))
            .collect();
        keyed.sort_by_key(|(k, _)| *k);
        let mut rows: Vec<EventRow<'static>> = keyed
            .into_iter()
            .enumerate()
            .map(|(i, (_, mut r))| {
                r.id = 1000 + 3 * i as i64;
                r
            })
            .collect();
        for i in (1..rows.len()).rev() {
            let j = rng.below(i as u64 + 1) as usize;
            rows.swap(i, j);
        }
        let mut ds = Dataset {
            name: name.to_owned(),
            rows,
            extra_csv: String::new(),
            windows: Vec::new(),
            expect_whole: None,
        };
        ds.standard_windows();
        ds
    }
}

/// A latency with the messy cases docs/metrics.md#data names: null, negative, NaN, ±Infinity.
fn messy_ms(rng: &mut Rng, dist: Dist) -> Option<f64> {
    let r = rng.unit();
    if r < 0.02 {
        None
    } else if r < 0.03 {
        Some(-(rng.unit() * 50.0))
    } else if r < 0.032 {
        Some(f64::NAN)
    } else if r < 0.033 {
        Some(if rng.chance(0.5) {
            f64::INFINITY
        } else {
            f64::NEG_INFINITY
        })
    } else {
        Some(dist.sample(rng))
    }
}

const ERROR_TYPES: [Option<&str>; 4] = [
    Some("TimeoutError"),
    Some("SupabaseAPIError"),
    Some("ValidationError"),
    None,
];
const ERROR_MESSAGES: [Option<&str>; 4] = [
    Some("upstream timed out after 30s"),
    Some("a \"quoted\", message\nwith a newline"),
    Some("ünïcödé — ✓"),
    None,
];

/// A request row.
fn request(b: &mut Builder, at: Micros, endpoint: Option<&str>, dist: Dist) {
    let ms = messy_ms(&mut b.rng, dist);
    let r = b.rng.unit();
    let success = if r < 0.05 {
        Some(false)
    } else if r < 0.07 {
        None
    } else {
        Some(true)
    };
    let (error_type, error_message) = if success == Some(false) || b.rng.chance(0.01) {
        (b.rng.pick(&ERROR_TYPES), b.rng.pick(&ERROR_MESSAGES))
    } else {
        (None, None)
    };
    let row = b.push(EventType::RequestCompleted, at);
    row.processing_time_ms = ms;
    row.success = success;
    row.details.endpoint = opt_text(endpoint);
    row.details.error_type = opt_text(error_type);
    row.details.error_message = opt_text(error_message);
}

fn cache_miss(b: &mut Builder, at: Micros, key: Option<&str>) {
    let ms = 5.0 + 100.0 * b.rng.unit();
    let row = b.push(EventType::CacheMiss, at);
    row.cache_key = opt_text(key);
    row.cache_hit = Some(false);
    row.processing_time_ms = Some(ms);
    row.details.cache_key_prefix = opt_text(key.and_then(|k| k.split(':').next()));
}

fn breaker(
    b: &mut Builder,
    at: Micros,
    state: Option<&str>,
    failures: Option<&str>,
    successes: Option<&str>,
) {
    let row = b.push(EventType::CircuitBreakerStateChange, at);
    row.details.state = opt_text(state);
    row.details.failure_count = opt_text(failures);
    row.details.success_count = opt_text(successes);
}

/// Four hours of everything docs/metrics.md#data describes, messy rows and stampede edge cases included.
fn mixed() -> Dataset {
    let mut b = Builder::new(0x00C0_FFEE);
    let len = 4 * H;
    // Requests: endpoints with their own distributions, rows without endpoint, odd names.
    let endpoints: [(Option<&str>, Dist, u32); 9] = [
        (Some("/api/chat"), Dist::Logged, 35),
        (Some("/api/memory"), Dist::HeavyTail, 20),
        (Some("/api/search"), Dist::FullPrecision, 15),
        (Some("/api/health"), Dist::IntTies, 12),
        (Some("/api/flat"), Dist::AllTies, 8),
        (Some("/api/uniform"), Dist::Uniform, 5),
        (None, Dist::Logged, 3),
        (Some(""), Dist::Uniform, 1),
        (Some("/api/ünï, \"q\""), Dist::IntTies, 1),
    ];
    let total: u32 = endpoints.iter().map(|e| e.2).sum();
    for _ in 0..6000 {
        let mut r = b.rng.below(u64::from(total)) as u32;
        let &(endpoint, dist, _) = endpoints
            .iter()
            .find(|e| {
                if r < e.2 {
                    true
                } else {
                    r -= e.2;
                    false
                }
            })
            .expect("weights");
        let at = b.rng.at(T0, len);
        request(&mut b, at, endpoint, dist);
    }
    // Requests at the very same microsecond (ties on created_at, broken by id).
    for _ in 0..5 {
        request(&mut b, T0 + 3 * H + 17, Some("/api/chat"), Dist::Logged);
    }

    // Cache lookups by prefix; a prefix with only hits; one whose misses have no time.
    let prefixes = [
        Some("patient"),
        Some("patient"),
        Some("clinic"),
        Some("appointment"),
        Some("session"),
        None,
    ];
    for _ in 0..3000 {
        let prefix = b.rng.pick(&prefixes);
        let r = b.rng.unit();
        let hit = if r < 0.88 {
            Some(true)
        } else if r < 0.98 {
            Some(false)
        } else {
            None
        };
        let ms = if b.rng.chance(0.05) {
            None
        } else if b.rng.chance(0.01) {
            Some(-1.0 - b.rng.unit())
        } else if hit == Some(true) {
            Some(0.1 + 3.0 * b.rng.unit())
        } else {
            Some(5.0 + 200.0 * b.rng.unit())
        };
        let key = format!("{}:{}", prefix.unwrap_or("misc"), b.rng.below(200));
        let at = b.rng.at(T0, len);
        let cache_key = if b.rng.chance(0.02) { None } else { text(&key) };
        let row = b.push(EventType::CacheAccess, at);
        row.details.cache_key_prefix = opt_text(prefix);
        row.cache_hit = hit;
        row.processing_time_ms = ms;
        row.cache_key = cache_key;
    }
    for i in 0..30 {
        let row = b.push(EventType::CacheAccess, T0 + i * 7 * M + 11);
        row.details.cache_key_prefix = text("warm");
        row.cache_hit = Some(true);
        row.processing_time_ms = Some(0.5);
    }
    for i in 0..5 {
        let row = b.push(EventType::CacheAccess, T0 + i * 31 * M + 13);
        row.details.cache_key_prefix = text("cold_null");
        row.cache_hit = Some(false);
    }

    // Background misses: ~3 per key in four hours, never a stampede.
    for _ in 0..800 {
        let key = format!("bg:{}", b.rng.below(300));
        let at = b.rng.at(T0, len);
        cache_miss(&mut b, at, Some(&key));
    }
    // Stampedes and near misses.
    for i in 0..25 {
        let at = T0 + 30 * M + i * 7 * S + b.rng.below(S as u64) as Micros;
        cache_miss(&mut b, at, Some("patient:42:profile"));
    }
    // 11 misses whose first and last are 1 µs less than 15 minutes apart: one span holds all.
    let start = T0 + 60 * M + 5;
    for i in 0..11 {
        let at = if i == 10 {
            start + 15 * M - 1
        } else {
            start + i * 80 * S
        };
        cache_miss(&mut b, at, Some("clinic:7:slots"));
    }
    // Exactly 10 misses in two minutes: not more than 10.
    for i in 0..10 {
        cache_miss(&mut b, T0 + 90 * M + i * 12 * S, Some("appointment:9"));
    }
    // 11 misses whose first and last are exactly 15 minutes apart: at most 10 in a span.
    for i in 0..11 {
        cache_miss(
            &mut b,
            T0 + 100 * M + 3 + i * 90 * S,
            Some("patient:boundary"),
        );
    }
    // Misses without a key, and on the empty key (not the same group).
    for i in 0..12 {
        cache_miss(&mut b, T0 + 120 * M + i * 20 * S + 1, None);
    }
    for i in 0..11 {
        cache_miss(&mut b, T0 + 125 * M + i * 30 * S + 2, Some(""));
    }
    // Two equally dense bursts an hour apart: the earlier is reported.
    for i in 0..12 {
        cache_miss(&mut b, T0 + 20 * M + i * 10 * S, Some("tie:1"));
        cache_miss(&mut b, T0 + 80 * M + i * 10 * S, Some("tie:1"));
    }
    // Six misses at the same microsecond, six more right after.
    for i in 0..12 {
        let at = T0 + 170 * M + (i - 5).max(0) * S;
        cache_miss(&mut b, at, Some("dup"));
    }
    // 15 misses 80 s apart: every 12 consecutive fit in 15 minutes; several spans tie.
    for i in 0..15 {
        cache_miss(&mut b, T0 + 140 * M + i * 80 * S, Some("wide:1"));
    }
    // Beyond the runbook level (> 20).
    for i in 0..21 {
        cache_miss(
            &mut b,
            T0 + 200 * M + i * 40 * S,
            Some("clinic:12:availability"),
        );
    }

    // mem0 writes: failures by type, slow writes over and exactly at 5000 ms.
    let mem0_errors = [
        Some("Mem0TimeoutError"),
        Some("Mem0RateLimitError"),
        Some("CircuitBreakerOpenError"),
        None,
    ];
    for _ in 0..1500 {
        let at = b.rng.at(T0, len);
        let ms = messy_ms(&mut b.rng, Dist::Logged);
        let r = b.rng.unit();
        let success = if r < 0.04 {
            Some(false)
        } else if r < 0.05 {
            None
        } else {
            Some(true)
        };
        let error = if success == Some(false) {
            b.rng.pick(&mem0_errors)
        } else {
            None
        };
        let row = b.push(EventType::Mem0Write, at);
        row.processing_time_ms = ms;
        row.success = success;
        row.details.error_type = opt_text(error);
    }
    for i in 0..13 {
        let ms = if i < 10 {
            5000.0
        } else {
            5_000.000_000_000_001
        };
        let at = T0 + i * 17 * M + 19;
        let row = b.push(EventType::Mem0Write, at);
        row.processing_time_ms = Some(ms);
        row.success = Some(i % 2 == 0);
        row.details.error_type = (i % 2 == 1).then_some(Cow::Borrowed("Mem0TimeoutError"));
    }
    for i in 0..3 {
        let row = b.push(EventType::Mem0Write, T0 + (50 + i) * M);
        row.success = Some(false);
        row.details.error_type = text("NullTimeError");
    }

    // Circuit breaker: open, half_open, closed; missing keys; a non-number count; a tie.
    type Transition<'a> = (Micros, Option<&'a str>, Option<&'a str>, Option<&'a str>);
    let transitions: [Transition; 11] = [
        (45 * M + 1, Some("open"), Some("5"), Some("0")),
        (46 * M + 2, Some("half_open"), Some("5"), Some("0")),
        (46 * M + 30 * S, Some("open"), Some("6"), Some("1")),
        (48 * M, Some("half_open"), Some("6"), Some("1")),
        (49 * M + 999_999, Some("closed"), Some("0"), Some("3")),
        (110 * M, Some("half_open"), None, Some("2")),
        (111 * M, None, Some("1"), None),
        (130 * M + 7, Some("open"), Some("x"), Some("0")),
        (130 * M + 7, Some("half_open"), Some("7"), Some("-2")),
        (230 * M, Some("closed"), Some("0"), Some("12")),
        (239 * M + 59 * S, Some("open"), Some("9"), Some("0")),
    ];
    for (offset, state, fc, sc) in transitions {
        breaker(&mut b, T0 + offset, state, fc, sc);
    }

    // Types the metrics do not read.
    for i in 0..20 {
        b.push(EventType::Other, T0 + i * 11 * M + 23);
    }
    for i in 0..3 {
        let row = b.push(EventType::FeatureFlagsLoaded, T0 + i * H + 29);
        row.details.flags_json =
            Some(r#"{"FAST_PATH_ENABLED": true, "CANARY_SAMPLE_RATE": 0.1}"#.to_owned());
    }

    let mut ds = b.finish("mixed");
    ds.windows.extend([
        ("one_hour".to_owned(), Some((T0 + H, T0 + 2 * H))),
        // Starts inside clinic:7:slots and ends inside dup.
        (
            "through_stampedes".to_owned(),
            Some((T0 + 62 * M + 123_457, T0 + 171 * M + 500_001)),
        ),
        // Exactly one stampede span: [first, first + 15 min).
        (
            "fifteen_minutes".to_owned(),
            Some((T0 + 30 * M, T0 + 45 * M)),
        ),
    ]);
    ds.expect_whole = Some(mixed_expectations);
    ds
}

/// The stampedes docs/metrics.md#metrics defines in [`mixed`], and the request count.
fn mixed_expectations(core: &J) -> Result<(), String> {
    let requests = core.get("latency").get("requests");
    if *requests != J::Num("6005".to_owned()) {
        return Err(format!(
            "latency.requests {}, 6005 generated",
            requests.show()
        ));
    }
    let got: Vec<(Option<String>, String, String)> = core
        .get("cache_stampedes")
        .arr()
        .iter()
        .map(|s| {
            (
                s.get("cache_key").key_text(),
                s.get("concurrent_misses").show(),
                s.get("first_miss").key_text().unwrap_or_default(),
            )
        })
        .collect();
    let at = |offset: Micros| format_rfc3339(T0 + offset);
    let key = |k: &str| Some(k.to_owned());
    let want = vec![
        (key("patient:42:profile"), "25".to_owned(), None),
        (
            key("clinic:12:availability"),
            "21".to_owned(),
            Some(at(200 * M)),
        ),
        (key("tie:1"), "12".to_owned(), Some(at(20 * M))),
        (None, "12".to_owned(), Some(at(120 * M + 1))),
        (key("wide:1"), "12".to_owned(), Some(at(140 * M))),
        (key("dup"), "12".to_owned(), Some(at(170 * M))),
        (key("clinic:7:slots"), "11".to_owned(), Some(at(60 * M + 5))),
        (key(""), "11".to_owned(), Some(at(125 * M + 2))),
    ];
    let matches = got.len() == want.len()
        && got.iter().zip(&want).all(|(g, w)| {
            g.0 == w.0
                && g.1 == w.1
                && w.2
                    .as_ref()
                    .is_none_or(|t| parse_timestamp(t) == parse_timestamp(&g.2))
        });
    if !matches {
        return Err(format!(
            "cache_stampedes {got:?}, the definition gives {want:?}"
        ));
    }
    Ok(())
}

/// The demo's documented incidents: the stampede key and the breaker's three transitions.
fn demo_expectations(core: &J) -> Result<(), String> {
    let stampedes = core.get("cache_stampedes").arr();
    let on_key = stampedes
        .iter()
        .find(|s| s.get("cache_key").key_text().as_deref() == Some(demo::STAMPEDE_KEY));
    match on_key.map(|s| s.get("concurrent_misses")) {
        Some(J::Num(n)) if n.parse::<usize>().is_ok_and(|n| n >= demo::STAMPEDE_MISSES) => {}
        other => {
            return Err(format!(
                "no stampede of {} misses on {}: {:?}",
                demo::STAMPEDE_MISSES,
                demo::STAMPEDE_KEY,
                other.map(J::show)
            ))
        }
    }
    let states: Vec<Option<String>> = core
        .get("circuit_breaker")
        .get("transitions")
        .arr()
        .iter()
        .map(|t| t.get("state").key_text())
        .collect();
    let want: Vec<Option<String>> = ["closed", "half_open", "open"]
        .iter()
        .map(|s| Some((*s).to_owned()))
        .collect();
    if states != want {
        return Err(format!(
            "breaker transitions {states:?}, the demo has {want:?}"
        ));
    }
    Ok(())
}

/// Many rows at the same microsecond: the newest 1000 requests, the breaker's current state and
/// the transitions' order all depend on breaking `created_at` ties by `id desc`.
fn same_time() -> Dataset {
    let mut b = Builder::new(0x7135);
    for slot in 0..3 {
        for _ in 0..600 {
            request(&mut b, T0 + slot * M, Some("/tied"), Dist::IntTies);
        }
        for state in ["open", "half_open", "closed", "open"] {
            breaker(&mut b, T0 + slot * M, Some(state), Some("1"), Some("1"));
        }
    }
    // Failures in the tied rows: which 400 of slot 1 are among the newest 1000 matters.
    for row in &mut b.rows {
        if row.event_type == EventType::RequestCompleted {
            row.success = Some(b.rng.chance(0.8));
        }
    }
    let mut ds = b.finish("same_time");
    ds.windows
        .push(("two_slots".to_owned(), Some((T0, T0 + M + 1))));
    ds
}

/// N = 1, 2, 3 rows of every type.
fn small(n: i64) -> Dataset {
    let mut b = Builder::new(0x5EED + n as u64);
    let values = [120.25, -3.5, 7.0];
    for i in 0..n {
        let at = T0 + i * 61 * S + i;
        let row = b.push(EventType::RequestCompleted, at);
        row.processing_time_ms = Some(values[i as usize]);
        row.success = Some(i != 1);
        row.details.endpoint = text(if i == 2 { "/b" } else { "/a" });
        row.details.error_type = (i == 1).then_some(Cow::Borrowed("TimeoutError"));
        let row = b.push(EventType::CacheAccess, at + 1);
        row.cache_hit = Some(i == 0);
        row.processing_time_ms = Some(values[i as usize] / 3.0);
        row.cache_key = text("k");
        row.details.cache_key_prefix = text("patient");
        cache_miss(&mut b, at + 2, Some("k"));
        let row = b.push(EventType::Mem0Write, at + 3);
        row.processing_time_ms = Some(values[i as usize] * 100.0);
        row.success = Some(i != 2);
        row.details.error_type = (i == 2).then_some(Cow::Borrowed("Mem0TimeoutError"));
        let state = ["open", "half_open", "closed"][i as usize];
        breaker(&mut b, at + 4, Some(state), Some("1"), Some("2"));
    }
    b.finish(&format!("n{n}"))
}

/// One latency distribution over two endpoints (one of them with a single request).
fn distribution(dist: Dist, seed: u64) -> Dataset {
    let mut b = Builder::new(seed);
    let n = 2001 + seed as i64 % 7;
    for _ in 0..n {
        let at = b.rng.at(T0, 2 * H);
        let endpoint = if b.rng.chance(0.3) { "/b" } else { "/a" };
        request(&mut b, at, Some(endpoint), dist);
    }
    request(&mut b, T0 + H, Some("/single"), dist);
    for _ in 0..300 {
        let at = b.rng.at(T0, 2 * H);
        let ms = messy_ms(&mut b.rng, dist);
        let success = Some(b.rng.chance(0.9));
        let row = b.push(EventType::Mem0Write, at);
        row.processing_time_ms = ms;
        row.success = success;
    }
    b.finish(dist.name())
}

/// Every nullable column null.
fn all_nulls() -> Dataset {
    let mut b = Builder::new(0x0000_0000_DEAD);
    for i in 0..50 {
        b.push(EventType::RequestCompleted, T0 + i * S);
        b.push(EventType::CacheAccess, T0 + i * S + 1);
        b.push(EventType::Mem0Write, T0 + i * S + 2);
        b.push(EventType::CacheMiss, T0 + i * S + 3);
    }
    b.push(EventType::CircuitBreakerStateChange, T0 + 10 * S);
    b.finish("all_nulls")
}

// -------------------------------------------------------------------------------------------
// The guide's SQL, windowed

fn metric_queries(from: Micros, to: Micros) -> Vec<(&'static str, String)> {
    let w = format!(
        "created_at >= '{}' and created_at < '{}'",
        format_postgres(from),
        format_postgres(to)
    );
    let to = format_postgres(to);
    vec![
        ("events", format!("select count(*) from observability_events where {w}")),
        (
            "latency",
            format!(
                "select count(*) as requests,
                   percentile_cont(0.5) within group (order by processing_time_ms) as p50_ms,
                   percentile_cont(0.95) within group (order by processing_time_ms) as p95_ms,
                   percentile_cont(0.99) within group (order by processing_time_ms) as p99_ms,
                   avg(processing_time_ms) as mean_ms
                 from observability_events
                 where event_type = 'request_completed' and {w}"
            ),
        ),
        (
            "latency_by_endpoint",
            format!(
                "SELECT
                   details->>'endpoint' as endpoint,
                   COUNT(*) as requests,
                   percentile_cont(0.5) WITHIN GROUP (ORDER BY processing_time_ms) as p50_ms,
                   percentile_cont(0.95) WITHIN GROUP (ORDER BY processing_time_ms) as p95_ms,
                   percentile_cont(0.99) WITHIN GROUP (ORDER BY processing_time_ms) as p99_ms
                 FROM observability_events
                 WHERE event_type = 'request_completed'
                   AND {w}
                 GROUP BY details->>'endpoint'
                 ORDER BY requests DESC"
            ),
        ),
        (
            "errors",
            format!(
                "select count(*) as requests,
                   count(case when success = false then 1 end) as failures,
                   count(case when success = false then 1 end)::float / nullif(count(*), 0) * 100
                     as error_rate_pct
                 from observability_events
                 where event_type = 'request_completed' and {w}"
            ),
        ),
        (
            "errors_last_1000",
            format!(
                "select count(*) as requests,
                   count(case when success = false then 1 end) as failures,
                   count(case when success = false then 1 end)::float / nullif(count(*), 0) * 100
                     as error_rate_pct
                 from (select success from observability_events
                       where event_type = 'request_completed' and {w}
                       order by created_at desc, id desc
                       limit 1000) newest"
            ),
        ),
        (
            "errors_by_type",
            format!(
                "SELECT
                   details->>'error_type' as error_type,
                   details->>'error_message' as error_message,
                   COUNT(*) as occurrences,
                   MAX(created_at) as last_seen
                 FROM observability_events
                 WHERE event_type = 'request_completed'
                   AND success = false
                   AND {w}
                 GROUP BY details->>'error_type', details->>'error_message'
                 ORDER BY occurrences DESC"
            ),
        ),
        (
            "cache",
            format!(
                "select count(*) as accesses,
                   count(case when cache_hit = true then 1 end) as hits,
                   count(case when cache_hit = true then 1 end)::float / nullif(count(*), 0) * 100
                     as hit_rate_pct
                 from observability_events
                 where event_type = 'cache_access' and {w}"
            ),
        ),
        (
            "cache_by_prefix",
            format!(
                "SELECT
                   details->>'cache_key_prefix' as resource_type,
                   COUNT(*) as accesses,
                   COUNT(CASE WHEN cache_hit = true THEN 1 END)::float / COUNT(*) * 100 as hit_rate_pct,
                   AVG(CASE WHEN cache_hit = false THEN processing_time_ms END) as avg_miss_time_ms
                 FROM observability_events
                 WHERE event_type = 'cache_access'
                   AND {w}
                 GROUP BY details->>'cache_key_prefix'
                 ORDER BY accesses DESC"
            ),
        ),
        // docs/metrics.md#metrics: per cache_key the most misses inside one span [t, t + 15 min) that starts at
        // a miss; keys with more than 10. Ties between spans: the earliest (metrics.rs
        // `densest_span` keeps the first densest run). Null keys form one group, as GROUP BY
        // makes them; `k` maps them to a value no real key has so the join can hash.
        (
            "cache_stampedes",
            format!(
                "with misses as (
                   select id, cache_key, coalesce('k:' || cache_key, 'null') as k, created_at
                   from observability_events
                   where event_type = 'cache_miss' and {w}
                 ), spans as (
                   select a.k, a.cache_key, a.created_at as first_miss,
                     count(*) as misses, max(b.created_at) as last_miss
                   from misses a
                   join misses b on b.k = a.k
                     and b.created_at >= a.created_at
                     and b.created_at < a.created_at + interval '15 minutes'
                   group by a.id, a.k, a.cache_key, a.created_at
                 ), densest as (
                   select distinct on (k) cache_key, misses, first_miss, last_miss
                   from spans
                   order by k, misses desc, first_miss
                 )
                 select cache_key, misses as concurrent_misses, first_miss, last_miss,
                   extract(epoch from (last_miss - first_miss)) as duration_sec
                 from densest
                 where misses > 10
                 order by concurrent_misses desc, first_miss"
            ),
        ),
        (
            "mem0",
            format!(
                "SELECT
                   COUNT(*) as total_writes,
                   COUNT(CASE WHEN success = true THEN 1 END)::float / NULLIF(COUNT(*), 0) * 100
                     as success_rate_pct,
                   AVG(processing_time_ms) as avg_write_time_ms,
                   MAX(processing_time_ms) as max_write_time_ms,
                   COUNT(CASE WHEN processing_time_ms > 5000 THEN 1 END) as slow_writes_over_5s
                 FROM observability_events
                 WHERE event_type = 'mem0_write'
                   AND {w}"
            ),
        ),
        (
            "mem0_failures_by_type",
            format!(
                "SELECT
                   details->>'error_type' as error_type,
                   COUNT(*) as failures,
                   AVG(processing_time_ms) as avg_time_ms,
                   MAX(created_at) as last_failure
                 FROM observability_events
                 WHERE event_type = 'mem0_write'
                   AND success = false
                   AND {w}
                 GROUP BY details->>'error_type'
                 ORDER BY failures DESC"
            ),
        ),
        (
            "breaker_state",
            format!(
                "SELECT COALESCE(
                   (SELECT details->>'state' FROM observability_events
                    WHERE event_type = 'circuit_breaker_state_change'
                      AND created_at < '{to}'
                    ORDER BY created_at DESC, id DESC LIMIT 1),
                   'closed') as current_state"
            ),
        ),
        (
            "breaker_transitions",
            format!(
                "SELECT
                   details->>'state' as state,
                   case when details->>'failure_count' ~ '^[[:space:]]*[+-]?[0-9]{{1,18}}[[:space:]]*$'
                     then (details->>'failure_count')::bigint end as failures,
                   case when details->>'success_count' ~ '^[[:space:]]*[+-]?[0-9]{{1,18}}[[:space:]]*$'
                     then (details->>'success_count')::bigint end as successes,
                   created_at
                 FROM observability_events
                 WHERE event_type = 'circuit_breaker_state_change'
                   AND {w}
                 ORDER BY created_at DESC, id DESC"
            ),
        ),
    ]
}

// -------------------------------------------------------------------------------------------
// Comparing

#[derive(Clone, Copy, Debug)]
enum Kind {
    /// A whole number, exactly.
    Count,
    /// An f64, bit for bit.
    Bits,
    /// An f64 to 1e-9 relative.
    Rel,
    /// A timestamp to the microsecond.
    Time,
    /// Text, exactly.
    Text,
}

impl Kind {
    fn compare(self, core: &J, pg: Option<&str>) -> Result<(), String> {
        let pg = match (core, pg) {
            (J::Null, None) => return Ok(()),
            (J::Null, Some(_)) | (_, None) => return Err("null on one side only".to_owned()),
            (_, Some(p)) => p,
        };
        let core_text = match core {
            J::Num(n) => n.as_str(),
            J::Str(s) => s.as_str(),
            other => return Err(format!("unexpected JSON {}", other.show())),
        };
        let float = |t: &str| {
            t.parse::<f64>()
                .map_err(|e| format!("{t:?} is not a number ({e})"))
        };
        match self {
            Kind::Count => {
                let c = core_text.parse::<i64>().map_err(|e| format!("core: {e}"))?;
                let p = pg.parse::<i64>().map_err(|e| format!("PostgreSQL: {e}"))?;
                (c == p)
                    .then_some(())
                    .ok_or_else(|| "counts differ".to_owned())
            }
            Kind::Bits => {
                let (c, p) = (float(core_text)?, float(pg)?);
                (c.to_bits() == p.to_bits()).then_some(()).ok_or_else(|| {
                    format!(
                        "bits {:#018x} vs {:#018x}, {:e} ulp-scaled difference",
                        c.to_bits(),
                        p.to_bits(),
                        (c - p) / p.abs().max(f64::MIN_POSITIVE)
                    )
                })
            }
            Kind::Rel => {
                let (c, p) = (float(core_text)?, float(pg)?);
                let ok = c == p || (c - p).abs() <= 1e-9 * c.abs().max(p.abs());
                ok.then_some(())
                    .ok_or_else(|| format!("relative difference {:e}", (c - p) / p))
            }
            Kind::Time => {
                let c = parse_timestamp(core_text).map_err(|e| format!("core: {e}"))?;
                let p = parse_timestamp(pg).map_err(|e| format!("PostgreSQL: {e}"))?;
                (c == p)
                    .then_some(())
                    .ok_or_else(|| format!("{} µs apart", c - p))
            }
            Kind::Text => (core_text == pg)
                .then_some(())
                .ok_or_else(|| "texts differ".to_owned()),
        }
    }
}

/// Mismatches of one data set, each naming data set, window, metric, group and both values.
struct Report {
    dataset: String,
    window: String,
    problems: Vec<String>,
}

impl Report {
    fn problem(&mut self, metric: &str, group: &str, what: String) {
        let group = if group.is_empty() {
            String::new()
        } else {
            format!(" [{group}]")
        };
        self.problems.push(format!(
            "data set {}, window {}: {metric}{group}: {what}",
            self.dataset, self.window
        ));
    }

    fn value(&mut self, metric: &str, group: &str, kind: Kind, core: &J, pg: Option<&str>) {
        if let Err(why) = kind.compare(core, pg) {
            self.problem(
                metric,
                group,
                format!(
                    "canary-report {} vs PostgreSQL {} ({why})",
                    core.show(),
                    pg.map_or_else(|| "null".to_owned(), |p| format!("{p:?}"))
                ),
            );
        }
    }

    /// An object of fields against one SQL row (columns in `fields` order).
    fn row(
        &mut self,
        metric: &str,
        group: &str,
        core: &J,
        pg: &[Option<String>],
        fields: &[(&str, Kind)],
    ) {
        assert_eq!(pg.len(), fields.len(), "{metric}: SQL columns vs fields");
        for ((field, kind), pg_value) in fields.iter().zip(pg) {
            self.value(
                &format!("{metric}.{field}"),
                group,
                *kind,
                core.get(field),
                pg_value.as_deref(),
            );
        }
    }

    /// The one row of a scalar query.
    fn scalar(&mut self, metric: &str, core: &J, pg: &[PgRow], fields: &[(&str, Kind)]) {
        assert_eq!(pg.len(), 1, "{metric}: one SQL row expected, got {pg:?}");
        self.row(metric, "", core, &pg[0], fields);
    }

    /// Group rows compared as sets keyed by `keys` (the SQL's first columns), plus the JSON's
    /// order: by `count` descending, no key twice.
    fn groups(
        &mut self,
        metric: &str,
        core: &J,
        pg: &[PgRow],
        keys: &[&str],
        count: &str,
        fields: &[(&str, Kind)],
    ) {
        let show_key = |k: &[Option<String>]| {
            keys.iter()
                .zip(k)
                .map(|(name, v)| match v {
                    Some(v) => format!("{name}={v:?}"),
                    None => format!("{name}=null"),
                })
                .collect::<Vec<_>>()
                .join(", ")
        };
        let core_rows = core.arr();
        let mut core_by_key: BTreeMap<Vec<Option<String>>, &J> = BTreeMap::new();
        let mut previous: Option<(i64, String)> = None;
        for item in core_rows {
            let key: Vec<Option<String>> = keys.iter().map(|k| item.get(k).key_text()).collect();
            let group = show_key(&key);
            let n = match item.get(count) {
                J::Num(n) => n.parse::<i64>().unwrap_or(-1),
                _ => -1,
            };
            if let Some((p, prev)) = &previous {
                if n > *p {
                    self.problem(
                        metric,
                        &group,
                        format!("JSON order: {count} {n} comes after [{prev}] with {p}; rows must be by {count} descending"),
                    );
                }
            }
            previous = Some((n, group.clone()));
            if core_by_key.insert(key, item).is_some() {
                self.problem(metric, &group, "the JSON lists this group twice".to_owned());
            }
        }
        let mut pg_by_key: BTreeMap<Vec<Option<String>>, &PgRow> = BTreeMap::new();
        for row in pg {
            assert_eq!(
                row.len(),
                keys.len() + fields.len(),
                "{metric}: SQL columns"
            );
            let key = row[..keys.len()].to_vec();
            assert!(
                pg_by_key.insert(key, row).is_none(),
                "{metric}: SQL group twice"
            );
        }
        for (key, row) in &pg_by_key {
            let group = show_key(key);
            match core_by_key.get(key) {
                None => self.problem(
                    metric,
                    &group,
                    format!(
                        "PostgreSQL has this group ({}), canary-report does not",
                        show_pg_row(row)
                    ),
                ),
                Some(item) => {
                    self.row(metric, &group, item, &row[keys.len()..], fields);
                }
            }
        }
        for (key, item) in &core_by_key {
            if !pg_by_key.contains_key(key) {
                let fields: Vec<String> = fields
                    .iter()
                    .map(|(f, _)| format!("{f}={}", item.get(f).show()))
                    .collect();
                self.problem(
                    metric,
                    &show_key(key),
                    format!(
                        "canary-report has this group ({}), PostgreSQL does not",
                        fields.join(", ")
                    ),
                );
            }
        }
    }
}

fn show_pg_row(row: &PgRow) -> String {
    row.iter()
        .map(|v| {
            v.as_deref()
                .map_or_else(|| "null".to_owned(), |v| format!("{v:?}"))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The keys of `metrics --json` (docs/metrics.md#the-command-line), and `cohorts` (canary
/// against control: the guide has no SQL for it; its statistics are checked against SciPy in
/// `canary-engine`).
const JSON_KEYS: [&str; 14] = [
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
    "cohorts",
];

/// Every number of one `metrics --json` output against the SQL of the same window.
fn compare_metrics(
    report: &mut Report,
    core: &J,
    sql: &HashMap<String, Vec<PgRow>>,
    window: (Micros, Micros),
) {
    use Kind::{Bits, Count, Rel, Text, Time};
    let mut keys = core.keys();
    keys.sort_unstable();
    let mut want = JSON_KEYS.to_vec();
    want.sort_unstable();
    if keys != want {
        report.problem(
            "json",
            "",
            format!("top-level keys {keys:?}, the docs name {want:?}"),
        );
    }

    let w = core.get("window");
    report.value(
        "window.from",
        "",
        Time,
        w.get("from"),
        Some(&format_postgres(window.0)),
    );
    report.value(
        "window.to",
        "",
        Time,
        w.get("to"),
        Some(&format_postgres(window.1)),
    );
    report.scalar("window", w, &sql["events"], &[("events", Count)]);

    report.scalar(
        "latency",
        core.get("latency"),
        &sql["latency"],
        &[
            ("requests", Count),
            ("p50_ms", Bits),
            ("p95_ms", Bits),
            ("p99_ms", Bits),
            ("mean_ms", Rel),
        ],
    );
    report.groups(
        "latency_by_endpoint",
        core.get("latency_by_endpoint"),
        &sql["latency_by_endpoint"],
        &["endpoint"],
        "requests",
        &[
            ("requests", Count),
            ("p50_ms", Bits),
            ("p95_ms", Bits),
            ("p99_ms", Bits),
        ],
    );
    let rate_fields = [
        ("requests", Count),
        ("failures", Count),
        ("error_rate_pct", Rel),
    ];
    let errors = core.get("errors");
    report.scalar("errors", errors, &sql["errors"], &rate_fields);
    report.scalar(
        "errors.last_1000_requests",
        errors.get("last_1000_requests"),
        &sql["errors_last_1000"],
        &rate_fields,
    );
    report.groups(
        "errors_by_type",
        core.get("errors_by_type"),
        &sql["errors_by_type"],
        &["error_type", "error_message"],
        "occurrences",
        &[("occurrences", Count), ("last_seen", Time)],
    );
    report.scalar(
        "cache",
        core.get("cache"),
        &sql["cache"],
        &[("accesses", Count), ("hits", Count), ("hit_rate_pct", Rel)],
    );
    report.groups(
        "cache_by_prefix",
        core.get("cache_by_prefix"),
        &sql["cache_by_prefix"],
        &["resource_type"],
        "accesses",
        &[
            ("accesses", Count),
            ("hit_rate_pct", Rel),
            ("avg_miss_time_ms", Rel),
        ],
    );
    report.groups(
        "cache_stampedes",
        core.get("cache_stampedes"),
        &sql["cache_stampedes"],
        &["cache_key"],
        "concurrent_misses",
        &[
            ("concurrent_misses", Count),
            ("first_miss", Time),
            ("last_miss", Time),
            ("duration_sec", Bits),
        ],
    );
    report.scalar(
        "mem0",
        core.get("mem0"),
        &sql["mem0"],
        &[
            ("total_writes", Count),
            ("success_rate_pct", Rel),
            ("avg_write_time_ms", Rel),
            ("max_write_time_ms", Bits),
            ("slow_writes_over_5s", Count),
        ],
    );
    report.groups(
        "mem0_failures_by_type",
        core.get("mem0_failures_by_type"),
        &sql["mem0_failures_by_type"],
        &["error_type"],
        "failures",
        &[
            ("failures", Count),
            ("avg_time_ms", Rel),
            ("last_failure", Time),
        ],
    );

    let breaker = core.get("circuit_breaker");
    report.scalar(
        "circuit_breaker",
        breaker,
        &sql["breaker_state"],
        &[("current_state", Text)],
    );
    // Transitions are a list, newest first: compared position by position.
    let core_transitions = breaker.get("transitions").arr();
    let pg_transitions = &sql["breaker_transitions"];
    if core_transitions.len() != pg_transitions.len() {
        report.problem(
            "circuit_breaker.transitions",
            "",
            format!(
                "canary-report lists {} transitions, PostgreSQL {}",
                core_transitions.len(),
                pg_transitions.len()
            ),
        );
    }
    for (i, (c, p)) in core_transitions.iter().zip(pg_transitions).enumerate() {
        report.row(
            "circuit_breaker.transitions",
            &format!("#{i} (newest first)"),
            c,
            p,
            &[
                ("state", Text),
                ("failure_count", Count),
                ("success_count", Count),
                ("at", Time),
            ],
        );
    }
}

/// Runs `canary-report metrics --input FILE --json` (with the window, if any).
fn run_cli(input: &Path, window: Option<(Micros, Micros)>) -> J {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_canary-report"));
    cmd.arg("metrics").arg("--input").arg(input).arg("--json");
    if let Some((from, to)) = window {
        cmd.args(["--from", &format_rfc3339(from), "--to", &format_rfc3339(to)]);
    }
    let out = cmd.output().expect("run canary-report");
    assert!(
        out.status.success(),
        "canary-report {:?} failed ({}): {}",
        cmd.get_args().collect::<Vec<_>>(),
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    J::parse(std::str::from_utf8(&out.stdout).expect("UTF-8 output"))
}

/// Loads a data set into PostgreSQL, runs the binary on PostgreSQL's export and the SQL for each
/// window; returns every mismatch and the number of values compared.
fn check_dataset(pg: &Pg, ds: &Dataset) -> Vec<String> {
    let scratch = Scratch::new(&ds.name);
    let input = scratch.path("input.csv");
    let export = scratch.path("export.csv");
    let mut csv = csv_header();
    for row in &ds.rows {
        write_csv_row(&mut csv, row);
    }
    csv.push_str(&ds.extra_csv);
    std::fs::write(&input, csv).expect("write the input CSV");
    let schema = format!("exact_{}", ds.name);
    pg.load(&schema, &input, &export);

    let (min, max) = ds.span();
    let mut problems = Vec::new();
    for (name, window) in &ds.windows {
        let bounds = window.unwrap_or((min, max + 1));
        let mut report = Report {
            dataset: ds.name.clone(),
            window: format!(
                "{name} [{}, {})",
                format_rfc3339(bounds.0),
                format_rfc3339(bounds.1)
            ),
            problems: Vec::new(),
        };
        let core = run_cli(&export, *window);
        if let (None, Some(expect)) = (window, ds.expect_whole) {
            if let Err(e) = expect(&core) {
                report.problem("expectation", "", e);
            }
        }
        let sql = pg.sections(&schema, &metric_queries(bounds.0, bounds.1));
        compare_metrics(&mut report, &core, &sql, bounds);
        problems.extend(report.problems);
    }
    if problems.is_empty() {
        pg.run("public", &format!("DROP SCHEMA {schema} CASCADE;"));
        scratch.done();
    } else {
        problems.push(format!(
            "(files of data set {} kept in {}; schema {schema} kept)",
            ds.name,
            scratch.0.display()
        ));
    }
    problems
}

fn assert_no_problems(problems: &[String]) {
    const SHOWN: usize = 60;
    if problems.is_empty() {
        return;
    }
    let mut message = format!(
        "{} mismatches between canary-report and PostgreSQL:\n",
        problems.len()
    );
    for p in problems.iter().take(SHOWN) {
        let _ = writeln!(message, "  {p}");
    }
    if problems.len() > SHOWN {
        let _ = writeln!(message, "  … and {} more", problems.len() - SHOWN);
    }
    panic!("{message}");
}

// -------------------------------------------------------------------------------------------
// Tests

#[test]
#[ignore = "needs PostgreSQL: scripts/test.sh starts one"]
fn generated_data_sets_match_postgres() {
    let pg = Pg::from_env();
    let mut datasets = vec![
        mixed(),
        same_time(),
        small(1),
        small(2),
        small(3),
        all_nulls(),
    ];
    for (i, dist) in Dist::ALL.into_iter().enumerate() {
        datasets.push(distribution(dist, 0xD157 + i as u64));
    }
    let mut problems = Vec::new();
    for ds in &datasets {
        problems.extend(check_dataset(&pg, ds));
    }
    assert_no_problems(&problems);
}

#[test]
#[ignore = "needs PostgreSQL: scripts/test.sh starts one"]
fn demo_data_set_matches_postgres() {
    let pg = Pg::from_env();
    let config = DemoConfig::default();
    let start = config.start;
    let mut ds = Dataset {
        name: "demo".to_owned(),
        rows: demo::rows(&config).collect(),
        extra_csv: String::new(),
        windows: Vec::new(),
        expect_whole: Some(demo_expectations),
    };
    assert!(
        ds.rows.len() > 100_000,
        "the demo data set has {} rows",
        ds.rows.len()
    );
    ds.windows = vec![
        ("whole".to_owned(), None),
        // The hour of the cache stampede (10:13:20 after the start).
        (
            "stampede_hour".to_owned(),
            Some((start + 10 * H, start + 11 * H)),
        ),
        // The hour of the breaker's open / half_open / closed transitions.
        (
            "breaker_hour".to_owned(),
            Some((start + 16 * H, start + 17 * H)),
        ),
    ];
    assert_no_problems(&check_dataset(&pg, &ds));
}

#[test]
#[ignore = "needs PostgreSQL: scripts/test.sh starts one"]
fn detail_values_of_other_json_types_group_like_sql() {
    // `details->>'key'` of a number, boolean, object or array is jsonb's text of it; details
    // that are not an object give null. Written by hand: `write_csv_row` only writes strings.
    let pg = Pg::from_env();
    let mut b = Builder::new(0x0000_0000_0015_0FF5);
    for i in 0..4 {
        let row = b.push(EventType::RequestCompleted, T0 + i * S);
        row.processing_time_ms = Some(10.0 * i as f64);
        row.success = Some(i % 2 == 0);
        row.details.endpoint = text("/plain");
    }
    let mut ds = b.finish("details_json_types");
    let details = [
        r#"{"endpoint": 42}"#,
        r#"{"endpoint": 1.50}"#,
        r#"{"endpoint": 1e2}"#,
        r#"{"endpoint": -0.0}"#,
        r#"{"endpoint": 123456789012345678901234567890}"#,
        r#"{"endpoint": true}"#,
        r#"{"endpoint": null}"#,
        r#"{"endpoint": {"b": 1, "a": [1, "x"]}}"#,
        r#"{"endpoint": [1, 2.0, {"k": null}]}"#,
        r#"{"endpoint": "caf\u00e9 \"q\" \\ \t"}"#,
        r#"{"endpoint": "dup-first", "endpoint": "dup-last"}"#,
        r#"[]"#,
        r#""just a string""#,
        r#"7"#,
        r#"null"#,
        r#"{"endpoint": "/plain", "error_type": 503, "error_message": {"code": 1}}"#,
        r#"{"endpoint": "/plain", "error_type": false}"#,
    ];
    let mut id = 900_000;
    for (i, d) in details.iter().enumerate() {
        id += 1;
        let quoted = d.replace('"', "\"\"");
        let at = format_postgres(T0 + i as i64 * M + 5);
        let success = if i >= 15 { "f" } else { "t" };
        let _ = writeln!(
            ds.extra_csv,
            "{id},request_completed,{success},,{}.5,,\"{quoted}\",{at}",
            i * 3
        );
    }
    // Cache prefixes and breaker states of other types.
    for (i, d) in [
        r#"{"cache_key_prefix": 7}"#,
        r#"{"cache_key_prefix": false}"#,
        r#"{"cache_key_prefix": 0.10}"#,
    ]
    .iter()
    .enumerate()
    {
        id += 1;
        let quoted = d.replace('"', "\"\"");
        let at = format_postgres(T0 + i as i64 * M + 7);
        let _ = writeln!(
            ds.extra_csv,
            "{id},cache_access,,f,1.25,k,\"{quoted}\",{at}"
        );
    }
    for (i, d) in [
        r#"{"state": "open", "failure_count": "12", "success_count": 3.0}"#,
        r#"{"state": 1, "failure_count": 2.5, "success_count": " 4"}"#,
    ]
    .iter()
    .enumerate()
    {
        id += 1;
        let quoted = d.replace('"', "\"\"");
        let at = format_postgres(T0 + i as i64 * M + 9);
        let _ = writeln!(
            ds.extra_csv,
            "{id},circuit_breaker_state_change,,,,,\"{quoted}\",{at}"
        );
    }
    let (min, _) = ds.span();
    ds.windows = vec![("all".to_owned(), Some((min - H, T0 + H)))];
    assert_no_problems(&check_dataset(&pg, &ds));
}

#[test]
#[ignore = "needs PostgreSQL: scripts/test.sh starts one"]
fn percentile_disc_and_cont_match_postgres() {
    let pg = Pg::from_env();
    let mut rng = Rng(SplitMix64::new(0x9E57));
    let mut sets: Vec<(String, Vec<f64>)> = vec![
        ("empty".to_owned(), vec![]),
        ("one".to_owned(), vec![42.5]),
        ("two".to_owned(), vec![3.0, -1.25]),
        ("three".to_owned(), vec![7.0, 120.25, -3.5]),
        ("four".to_owned(), vec![4.0, 1.0, 3.0, 2.0]),
    ];
    for (i, dist) in Dist::ALL.into_iter().enumerate() {
        for n in [10usize, 101, 1000 + i, 4097] {
            let values = (0..n).map(|_| dist.sample(&mut rng)).collect();
            sets.push((format!("{}_{n}", dist.name()), values));
        }
    }
    let ps: [f64; 16] = [
        0.0,
        0.001,
        0.01,
        0.1,
        0.25,
        1.0 / 3.0,
        0.5,
        0.5000000000000001,
        2.0 / 3.0,
        0.75,
        0.9,
        0.95,
        0.99,
        0.999,
        0.9999999999999999,
        1.0,
    ];
    let scratch = Scratch::new("percentiles");
    let input = scratch.path("samples.csv");
    let mut csv = String::from("set,x\n");
    for (name, values) in &sets {
        for v in values {
            let _ = writeln!(csv, "{name},{v:?}");
        }
    }
    std::fs::write(&input, csv).expect("write samples");
    let schema = "exact_percentiles";
    pg.run(
        "public",
        &format!(
            "DROP SCHEMA IF EXISTS {schema} CASCADE;\nCREATE SCHEMA {schema};\n\
             SET search_path = {schema};\n\
             create table samples (set text not null, x double precision not null);\n\
             \\copy samples from '{}' with (format csv, header true)\n\
             analyze samples;\n",
            sql_path(&input)
        ),
    );
    let p_array = format!(
        "'{{{}}}'::float8[]",
        ps.iter()
            .map(|p| format!("{p:?}"))
            .collect::<Vec<_>>()
            .join(",")
    );
    let queries: Vec<(&str, String)> = sets
        .iter()
        .map(|(name, _)| {
            (
                name.as_str(),
                format!(
                    "select percentile_disc({p_array}) within group (order by x),
                       percentile_cont({p_array}) within group (order by x)
                     from samples where set = '{name}'"
                ),
            )
        })
        .collect();
    let result = pg.sections(schema, &queries);
    let mut problems = Vec::new();
    let parse_array = |text: &Option<String>| -> Vec<Option<f64>> {
        match text {
            None => vec![None; ps.len()],
            Some(t) => t
                .trim_start_matches('{')
                .trim_end_matches('}')
                .split(',')
                .map(|v| Some(v.parse::<f64>().expect("float8 in the array")))
                .collect(),
        }
    };
    for (name, values) in &sets {
        let row = &result[name.as_str()][0];
        let (disc, cont) = (parse_array(&row[0]), parse_array(&row[1]));
        for (i, &p) in ps.iter().enumerate() {
            let core_disc = percentile_disc(&mut values.clone(), p);
            let core_cont = percentile_cont(&mut values.clone(), p);
            for (what, core, sql) in [
                ("percentile_disc", core_disc, disc[i]),
                ("percentile_cont", core_cont, cont[i]),
            ] {
                if core.map(f64::to_bits) != sql.map(f64::to_bits) {
                    problems.push(format!(
                        "data set {name} ({} values): {what}({p:?}): canary_core {core:?} vs PostgreSQL {sql:?}",
                        values.len()
                    ));
                }
            }
        }
    }
    if problems.is_empty() {
        pg.run("public", &format!("DROP SCHEMA {schema} CASCADE;"));
        scratch.done();
    }
    assert_no_problems(&problems);
}
