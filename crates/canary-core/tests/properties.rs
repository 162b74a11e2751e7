//! Properties that must hold for every input, checked with proptest over generated inputs:
//! percentiles are monotone in p and stay within [min, max]; the metrics of a window equal the
//! metrics computed from its rows alone, whatever order they arrive in; escaped text survives a
//! real Markdown parser (pulldown-cmark) as exactly that text, in one table cell.

use std::borrow::Cow;

use canary_core::event::{Details, EventRow, EventType, MICROS_PER_MINUTE};
use canary_core::metrics::{compute, Window};
use canary_core::percentile::percentile_cont;
use canary_core::report::{escape_markdown, is_invisible_format};
use canary_core::EventStore;
use proptest::prelude::*;

fn finite() -> impl Strategy<Value = f64> {
    prop_oneof![
        -1e6..1e6f64,
        Just(0.0),
        Just(-0.0),
        any::<f64>().prop_filter("finite", |v| v.is_finite()),
    ]
}

proptest! {
    #[test]
    fn percentiles_are_monotone_and_within_min_max(
        values in prop::collection::vec(finite(), 1..200),
        mut ps in prop::collection::vec(0.0..=1.0f64, 1..10),
    ) {
        ps.sort_by(f64::total_cmp);
        let min = values.iter().copied().fold(f64::INFINITY, f64::min);
        let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let mut last = f64::NEG_INFINITY;
        for p in ps {
            let got = percentile_cont(&mut values.clone(), p).expect("a value over rows");
            // Interpolating between two huge values of opposite sign can overflow, exactly as
            // PostgreSQL's float8 arithmetic does; the property is for finite results.
            if got.is_finite() {
                prop_assert!(got >= min && got <= max, "p {p}: {got} outside [{min}, {max}]");
                prop_assert!(got >= last, "p {p}: {got} below {last}");
                last = got;
            }
        }
    }
}

/// A generated row: id, type, latency (None: null), success, cache hit, minute offset.
type Spec = (u8, Option<f64>, Option<bool>, Option<bool>, i64, u8);

fn rows_of(specs: &[Spec]) -> Vec<EventRow<'static>> {
    let endpoints = ["/a", "/b", "/c"];
    specs
        .iter()
        .enumerate()
        .map(|(i, &(kind, ms, success, hit, at, label))| {
            let event_type = [
                EventType::RequestCompleted,
                EventType::CacheAccess,
                EventType::CacheMiss,
                EventType::Mem0Write,
            ][usize::from(kind % 4)];
            let endpoint = endpoints[usize::from(label % 3)];
            EventRow {
                id: i as i64 + 1,
                event_type,
                success,
                cache_hit: hit,
                processing_time_ms: ms,
                cache_key: Some(Cow::Borrowed(endpoint)),
                details: Details {
                    endpoint: Some(Cow::Borrowed(endpoint)),
                    cache_key_prefix: Some(Cow::Borrowed(endpoint)),
                    error_type: success
                        .is_some_and(|s| !s)
                        .then_some(Cow::Borrowed("timeout")),
                    ..Details::default()
                },
                created_at: at * 7 * MICROS_PER_MINUTE / 3,
            }
        })
        .collect()
}

fn spec() -> impl Strategy<Value = Spec> {
    (
        any::<u8>(),
        prop::option::of(0.0..10_000.0f64),
        prop::option::of(any::<bool>()),
        prop::option::of(any::<bool>()),
        0..600i64,
        any::<u8>(),
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn window_metrics_equal_metrics_of_its_rows_in_any_order(
        specs in prop::collection::vec(spec(), 0..300),
        from in 0..700i64,
        len in 1..700i64,
        seed in any::<u64>(),
    ) {
        let rows = rows_of(&specs);
        let window = Window { from: from * MICROS_PER_MINUTE, to: (from + len) * MICROS_PER_MINUTE };
        let mut all = EventStore::new();
        all.extend(rows.clone());
        let mut inside: Vec<EventRow<'static>> = rows
            .into_iter()
            .filter(|r| r.created_at >= window.from && r.created_at < window.to)
            .collect();
        // A deterministic shuffle from the seed (Fisher–Yates with a xorshift stream).
        let mut x = seed | 1;
        for i in (1..inside.len()).rev() {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            inside.swap(i, (x % (i as u64 + 1)) as usize);
        }
        let mut only = EventStore::new();
        only.extend(inside);
        let a = compute(&all, Some(window));
        let b = compute(&only, Some(window));
        prop_assert_eq!(a, b);
    }
}

/// Characters that Markdown, HTML, tables and Unicode make interesting.
fn tricky_char() -> impl Strategy<Value = char> {
    prop_oneof![
        4 => any::<char>(),
        4 => prop::sample::select(vec![
            '|', '\\', '`', '*', '_', '~', '[', ']', '(', ')', '<', '>', '&', '#', '-', '+', '=',
            '!', '.', ':', '/', 'w', '1', ' ', '\t', '\n', '\r', '$', '^', '"', '\'', '{', '}',
            '\u{202E}', '\u{2066}', '\u{200B}', '\u{200D}', '\u{FEFF}', '\u{061C}', '\u{2028}',
            '\u{00A0}', '\u{0}', '\u{85}', 'é',
        ]),
        2 => prop::sample::select(vec!['a', 'b', 'x', '0']),
    ]
}

/// What a reader should see for `text`: invisible format characters as U+FFFD, other control
/// characters and line separators as spaces, trimmed.
fn visible(text: &str) -> String {
    let flat: String = text
        .chars()
        .map(|c| {
            if is_invisible_format(c) {
                '\u{FFFD}'
            } else if c.is_control() || c == '\u{2028}' || c == '\u{2029}' {
                ' '
            } else {
                c
            }
        })
        .collect();
    flat.trim().to_owned()
}

/// The table cells pulldown-cmark sees in `markdown`, as (row, plain text) per cell, and
/// whether anything else than text and table structure came out.
fn table_cells(markdown: &str) -> (Vec<Vec<String>>, Vec<String>) {
    use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};
    let mut rows: Vec<Vec<String>> = Vec::new();
    let mut other = Vec::new();
    for event in Parser::new_ext(markdown, Options::ENABLE_TABLES) {
        match event {
            Event::Start(Tag::TableHead | Tag::TableRow) => rows.push(Vec::new()),
            Event::Start(Tag::TableCell) => {
                if let Some(r) = rows.last_mut() {
                    r.push(String::new());
                }
            }
            Event::Text(t) => match rows.last_mut().and_then(|r| r.last_mut()) {
                Some(cell) => cell.push_str(&t),
                None => other.push(format!("text outside a cell: {t:?}")),
            },
            Event::Start(Tag::Table(_))
            | Event::End(
                TagEnd::Table | TagEnd::TableHead | TagEnd::TableRow | TagEnd::TableCell,
            ) => {}
            e => other.push(format!("{e:?}")),
        }
    }
    (rows, other)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]
    #[test]
    fn escaped_text_is_one_table_cell_of_exactly_that_text(
        chars in prop::collection::vec(tricky_char(), 0..40),
    ) {
        let text: String = chars.into_iter().collect();
        let expected = visible(&text);
        let markdown = format!("| value | next |\n|---|---|\n| {} | end |\n", escape_markdown(&text));
        let (rows, other) = table_cells(&markdown);
        prop_assert!(other.is_empty(), "{markdown:?}: {other:?}");
        prop_assert_eq!(rows.len(), 2, "{:?}", markdown);
        prop_assert_eq!(&rows[1], &vec![expected, "end".to_owned()], "{:?}", markdown);
        for c in rows[1][0].chars() {
            prop_assert!(!is_invisible_format(c), "{c:?} survived in {markdown:?}");
        }
    }
}
