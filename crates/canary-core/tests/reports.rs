//! Golden-file tests of the Markdown reports (docs/metrics.md#reports): the daily status email and the phase
//! sign-off, each for (a) the demo data (Phase 1, the whole day, as `canary-report email --demo`
//! and `signoff --demo` make them), (b) no data, (c) a store that breaches every alert rule and
//! fails every criterion, and (d) hostile strings in every text the data or a person supplies.
//!
//! Every report is compared byte for byte with `tests/golden/<name>.md` (expect-test); on a
//! mismatch the test prints a diff. After an intended change, rewrite the files and review the
//! diff in git:
//!
//!     UPDATE_EXPECT=1 cargo test -p canary-core --test reports
//!
//! Every report is also checked structurally: each table row has as many unescaped `|` as its
//! header, and no heading is made by anything but the renderer; the hostile reports further
//! contain no raw HTML tag and no Markdown link but the dashboard's.

use std::borrow::Cow;

use canary_core::alerts::default_rules;
use canary_core::demo::{generate, DemoConfig, PHASE1_START};
use canary_core::event::{MICROS_PER_HOUR, MICROS_PER_MINUTE, MICROS_PER_SECOND};
use canary_core::phases::default_phases;
use canary_core::redis;
use canary_core::report::{
    daily_email, default_period, phase_signoff, ManualChecks, Override, ReportData, SignoffInput,
    DEFAULT_ROLLOUT_NAME, ITEM_MONITORING_CHECKS,
};
use canary_core::team::{sha256_hex, Decision, NewSignoff};
use canary_core::time::to_datetime;
use canary_core::{Details, EventRow, EventStore, EventType, Micros};

const S: Micros = MICROS_PER_SECOND;
const M: Micros = MICROS_PER_MINUTE;
const H: Micros = MICROS_PER_HOUR;

/// What `canary-report email --demo` and `signoff --demo` are given in
/// `crates/canary-report/tests/reports_cli.rs`: keep the two in step.
pub const DEMO_DASHBOARD: &str = "https://example.github.io/canary-console/";
pub const DEMO_APPROVER: &str = "Jane Doe (Technical Lead)";
pub const DEMO_NOTES: &str =
    "Breaker cycle at hour 16 traced to the mem0 outage; see the incident doc.";

/// The hostile text: a table break, HTML, a link, a heading, newlines, backticks, a code fence.
const HOSTILE: &str = "| x | <script>alert(1)</script> [link](http://evil) # heading\n\
# second line\r\n```\n`tick` *b* _i_ ![img](x) <img src=x onerror=alert(1)> \\ &amp; ---";

/// Compares `actual` with the golden file `tests/golden/<name>` (expect-test prints the diff;
/// `UPDATE_EXPECT=1` rewrites the file).
fn check_golden(name: &str, actual: &str) {
    expect_test::expect_file![format!("golden/{name}")].assert_eq(actual);
}

/// Number of `|` in `line` not escaped by a backslash.
fn unescaped_pipes(line: &str) -> usize {
    let mut count = 0;
    let mut backslashes = 0usize;
    for c in line.chars() {
        match c {
            '\\' => backslashes += 1,
            '|' if backslashes.is_multiple_of(2) => {
                count += 1;
                backslashes = 0
            }
            _ => backslashes = 0,
        }
    }
    count
}

/// Positions of `](` whose `]` is not escaped.
fn unescaped_link_closers(text: &str) -> Vec<usize> {
    let bytes = text.as_bytes();
    (0..bytes.len().saturating_sub(1))
        .filter(|&i| bytes[i] == b']' && bytes[i + 1] == b'(')
        .filter(|&i| {
            let backslashes = bytes[..i].iter().rev().take_while(|b| **b == b'\\').count();
            backslashes.is_multiple_of(2)
        })
        .collect()
}

/// Structure every report must have: tables whose rows all have the header's column count, the
/// renderer's headings only, no fenced code.
fn check_structure(name: &str, text: &str) {
    let lines: Vec<&str> = text.lines().collect();
    let mut i = 0;
    while i < lines.len() {
        if lines[i].starts_with('|') {
            let columns = unescaped_pipes(lines[i]);
            assert!(
                columns >= 2,
                "{name}: line {} is a table row without cells",
                i + 1
            );
            let separator = lines.get(i + 1).copied().unwrap_or("");
            assert!(
                separator.starts_with("|-") || separator.starts_with("|:"),
                "{name}: line {}: a table header without its separator row",
                i + 1
            );
            while i < lines.len() && lines[i].starts_with('|') {
                assert_eq!(
                    unescaped_pipes(lines[i]),
                    columns,
                    "{name}: line {} has another number of cells than its header:\n{}",
                    i + 1,
                    lines[i]
                );
                i += 1;
            }
        } else {
            i += 1;
        }
    }
    for (n, line) in lines.iter().enumerate() {
        if line.starts_with('#') {
            let known = ["# Phase ", "## ", "### "];
            assert!(
                known.iter().any(|k| line.starts_with(k)),
                "{name}: line {} is a heading the renderer does not make: {line}",
                n + 1
            );
        }
        assert!(
            !line.starts_with("```"),
            "{name}: line {} opens a code fence",
            n + 1
        );
    }
}

/// The hostile reports: nothing of the hostile text acts as Markdown or HTML.
fn check_hostile(name: &str, text: &str) {
    check_structure(name, text);
    for raw in ["<script", "<img", "</", "```"] {
        assert!(!text.contains(raw), "{name} contains a raw {raw:?}");
    }
    // No `<` that could open a tag or an autolink, but the dashboard link's `](<`.
    let bytes = text.as_bytes();
    for i in 0..bytes.len() {
        if bytes[i] == b'<' {
            let next = bytes.get(i + 1).copied().unwrap_or(b' ');
            let in_link = i >= 2 && &bytes[i - 2..i] == b"](";
            assert!(
                in_link || !(next.is_ascii_alphabetic() || matches!(next, b'/' | b'!' | b'?')),
                "{name}: a raw tag opener at byte {i}: {:?}",
                String::from_utf8_lossy(&bytes[i..(i + 20).min(bytes.len())])
            );
        }
    }
    // The only Markdown link is the dashboard's.
    for at in unescaped_link_closers(text) {
        let line_start = text[..at].rfind('\n').map_or(0, |p| p + 1);
        assert!(
            text[line_start..].starts_with("**Dashboard:** ["),
            "{name}: an unescaped `](` outside the dashboard link: {:?}",
            &text[line_start..(at + 10).min(text.len())]
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Data sets

fn row(id: i64, event_type: EventType, at: Micros) -> EventRow<'static> {
    EventRow {
        id,
        event_type,
        success: None,
        cache_hit: None,
        processing_time_ms: None,
        cache_key: None,
        details: Details::default(),
        created_at: at,
    }
}

/// Texts a data set puts into its rows.
struct Texts {
    endpoint: &'static str,
    error_type: &'static str,
    error_message: &'static str,
    cache_prefix: &'static str,
    stampede_key: &'static str,
    breaker_state: &'static str,
}

const PLAIN: Texts = Texts {
    endpoint: "/api/chat",
    error_type: "SupabaseAPIError",
    error_message: "upstream timeout after 30s",
    cache_prefix: "clinic",
    stampede_key: "clinic:7:availability",
    breaker_state: "open",
};

/// one hour from `start` where every rule breaches: P50 ≈ 2000 ms, P95 and P99 > 2000 ms, 30 % of
/// requests fail, the cache hits 50 %, mem0 writes succeed 50 %, a key misses 30 times within
/// 2 minutes, and the breaker opens at minute 10 and stays open.
fn failing_store(start: Micros, texts: &Texts) -> EventStore {
    let mut rows = Vec::new();
    let mut id = 0;
    let mut next = || {
        id += 1;
        id
    };
    for minute in 0..60 {
        let base = start + minute * M;
        for i in 0..40 {
            let at = base + i * S;
            let mut r = row(next(), EventType::RequestCompleted, at);
            let failed = i % 10 < 3;
            r.success = Some(!failed);
            r.processing_time_ms = Some(1200.0 + (i as f64) * 40.0);
            r.details.endpoint = Some(Cow::Borrowed(texts.endpoint));
            if failed {
                r.details.error_type = Some(Cow::Borrowed(texts.error_type));
                r.details.error_message = Some(Cow::Borrowed(texts.error_message));
            }
            rows.push(r);

            let mut c = row(next(), EventType::CacheAccess, at + 1);
            c.cache_hit = Some(i % 2 == 0);
            c.processing_time_ms = Some(3.0);
            c.cache_key = Some(Cow::Owned(format!("{}:{i}", texts.cache_prefix)));
            c.details.cache_key_prefix = Some(Cow::Borrowed(texts.cache_prefix));
            rows.push(c);

            let mut w = row(next(), EventType::Mem0Write, at + 2);
            let ok = i % 2 == 0;
            w.success = Some(ok);
            w.processing_time_ms = Some(if ok { 180.0 } else { 6000.0 });
            if !ok {
                w.details.error_type = Some(Cow::Borrowed(texts.error_type));
                w.details.error_message = Some(Cow::Borrowed(texts.error_message));
            }
            rows.push(w);
        }
    }
    for k in 0..30 {
        let mut miss = row(next(), EventType::CacheMiss, start + 20 * M + k * 4 * S + 3);
        miss.cache_key = Some(Cow::Borrowed(texts.stampede_key));
        miss.details.cache_key_prefix = Some(Cow::Borrowed(texts.cache_prefix));
        rows.push(miss);
    }
    let mut open = row(
        next(),
        EventType::CircuitBreakerStateChange,
        start + 10 * M + 500,
    );
    open.details.state = Some(Cow::Borrowed(texts.breaker_state));
    open.details.failure_count = Some(Cow::Borrowed("5"));
    open.details.success_count = Some(Cow::Borrowed("0"));
    rows.push(open);
    rows.sort_by_key(|r| (r.created_at, r.id));
    let mut store = EventStore::new();
    store.extend(rows);
    store
}

/// The demo day as the CLI reports it: Phase 1 starting at the first event, the 24 h ending at
/// the data's end, judged after the phase is over.
fn demo_data() -> ReportData {
    let store = generate(&DemoConfig::default());
    let mut phases = default_phases();
    // As `canary-report` without --phase-start: the phase starts at the first event.
    phases[0].start = None;
    let (first, _) = store.time_span().unwrap();
    let now = first + phases[0].duration;
    ReportData::compute(
        &store,
        phases,
        1,
        default_period(&store),
        now,
        &default_rules(),
    )
    .unwrap()
}

#[test]
fn demo_reports() {
    let data = demo_data();
    let email = daily_email(&data.email_input(
        DEFAULT_ROLLOUT_NAME,
        data.default_date(),
        Some(DEMO_DASHBOARD),
    ));
    check_structure("email-demo.md", &email);
    assert!(email.starts_with("Subject: [CANARY] Day 1/3 - mem0-redis Phase 1 Status\n"));
    check_golden("email-demo.md", &email);

    // As `canary-report signoff --demo --approved-by ... --notes ...`: naming the approver
    // ticks "Technical Lead approval obtained".
    let signoff = phase_signoff(&SignoffInput {
        manual: ManualChecks {
            technical_lead_approval: true,
            ..ManualChecks::default()
        },
        approved_by: Some(DEMO_APPROVER),
        notes: Some(DEMO_NOTES),
        ..data.signoff_input(DEFAULT_ROLLOUT_NAME)
    })
    .unwrap();
    check_structure("signoff-demo.md", &signoff);
    check_golden("signoff-demo.md", &signoff);

    // As a team record: the same sign-off with the decision under the approver, and the record
    // built from it carries the phase's criteria as data and the Markdown's hash.
    let decided = phase_signoff(&SignoffInput {
        manual: ManualChecks {
            technical_lead_approval: true,
            ..ManualChecks::default()
        },
        approved_by: Some(DEMO_APPROVER),
        notes: Some(DEMO_NOTES),
        decision: Some(Decision::Approve),
        ..data.signoff_input(DEFAULT_ROLLOUT_NAME)
    })
    .unwrap();
    let approver_line = format!("- **Approved by:** {DEMO_APPROVER}\n");
    assert_eq!(
        decided,
        signoff.replace(
            &approver_line,
            &format!("{approver_line}- **Decision:** Approve the next phase\n")
        )
    );
    let record = NewSignoff::new(
        DEFAULT_ROLLOUT_NAME,
        1,
        Decision::Approve,
        data.criteria(),
        decided.clone(),
        Some(DEMO_NOTES),
        None,
    );
    assert_eq!(record.markdown_sha256, sha256_hex(&decided));
    assert_eq!(record.criteria.len(), data.criteria().len());
    for (r, c) in record.criteria.iter().zip(data.criteria()) {
        assert_eq!(
            (&r.id, &r.display, r.value, r.status),
            (&c.id, &c.measured.display, c.measured.value, c.status)
        );
    }
}

#[test]
fn empty_reports() {
    let mut phases = default_phases();
    phases[0].start = None;
    let now = PHASE1_START + 24 * H;
    let data =
        ReportData::compute(&EventStore::new(), phases, 1, None, now, &default_rules()).unwrap();
    assert_eq!(data.default_date().to_string(), "2025-10-17");
    let email = daily_email(&data.email_input(DEFAULT_ROLLOUT_NAME, data.default_date(), None));
    check_structure("email-empty.md", &email);
    check_golden("email-empty.md", &email);
    let signoff = phase_signoff(&data.signoff_input(DEFAULT_ROLLOUT_NAME)).unwrap();
    check_structure("signoff-empty.md", &signoff);
    check_golden("signoff-empty.md", &signoff);
}

#[test]
fn failing_reports() {
    let start = PHASE1_START;
    let store = failing_store(start, &PLAIN);
    let mut phases = default_phases();
    // A one-hour phase, over: every criterion is decided.
    phases[0].start = Some(start);
    phases[0].duration = H;
    let now = start + H;
    let mut data = ReportData::compute(
        &store,
        phases,
        1,
        default_period(&store),
        now,
        &default_rules(),
    )
    .unwrap();
    let info = redis::parse_info(include_str!("fixtures/redis/evictions.txt")).unwrap();
    data.evaluation
        .add_alerts(redis::alerts(&info, to_datetime(now)));
    let fired: std::collections::BTreeSet<&str> = data
        .evaluation
        .alerts
        .iter()
        .map(|a| a.metric.as_str())
        .collect();
    assert_eq!(
        fired.into_iter().collect::<Vec<_>>(),
        [
            "cache_hit_rate",
            "cache_stampede",
            "circuit_breaker",
            "error_rate",
            "mem0_write_success",
            "p50_latency",
            "p95_latency",
            "redis_memory"
        ],
        "every rule breaches"
    );
    let statuses: Vec<_> = data
        .criteria()
        .iter()
        .map(|c| (c.id.as_str(), c.status))
        .collect();
    // Every criterion fails, except the cohort one: these rows carry no canary tags.
    use canary_core::phases::{CriterionStatus, CANARY_NOT_WORSE};
    assert!(
        statuses.iter().all(|&(id, s)| if id == CANARY_NOT_WORSE {
            s == CriterionStatus::NoData
        } else {
            s == CriterionStatus::Fail
        }),
        "every criterion fails: {statuses:?}"
    );

    let email = daily_email(&data.email_input(
        DEFAULT_ROLLOUT_NAME,
        data.default_date(),
        Some(DEMO_DASHBOARD),
    ));
    check_structure("email-failing.md", &email);
    assert!(email.contains("- **Status:** 🚨 Rollback Required\n"));
    check_golden("email-failing.md", &email);

    let overrides = [Override {
        item: "circuit_breaker".to_owned(),
        ticked: true,
        reason: "The breaker was opened on purpose in a runbook drill.".to_owned(),
    }];
    let signoff = phase_signoff(&SignoffInput {
        overrides: &overrides,
        ..data.signoff_input(DEFAULT_ROLLOUT_NAME)
    })
    .unwrap();
    check_structure("signoff-failing.md", &signoff);
    check_golden("signoff-failing.md", &signoff);
}

#[test]
fn hostile_reports() {
    let start = PHASE1_START;
    let texts = Texts {
        endpoint: HOSTILE,
        error_type: "`Err` | <b>bold</b>",
        error_message: HOSTILE,
        cache_prefix: "[p](http://evil)",
        stampede_key: "key|with|pipes\n# heading",
        breaker_state: "<script>open</script>",
    };
    let store = failing_store(start, &texts);
    let mut phases = default_phases();
    phases[0].start = Some(start);
    // Criterion texts are editable in the app: hostile too.
    for c in &mut phases[0].criteria {
        c.criterion = format!("{} {HOSTILE}", c.criterion);
    }
    // Half an hour in: the phase runs, value criteria are pending.
    let now = start + 30 * M;
    let data = ReportData::compute(
        &store,
        phases,
        1,
        default_period(&store),
        now,
        &default_rules(),
    )
    .unwrap();
    let name = "evil | name\n# heading <script>";
    let email = daily_email(&data.email_input(
        name,
        data.default_date(),
        Some("https://x.example/a b>)<script>alert(1)</script>[y](z)\n# h"),
    ));
    check_hostile("email-hostile.md", &email);
    check_golden("email-hostile.md", &email);

    let not_linked =
        daily_email(&data.email_input(name, data.default_date(), Some("javascript:alert(1)")));
    check_hostile("email-hostile (javascript: URL)", &not_linked);
    assert!(unescaped_link_closers(&not_linked).is_empty());

    let overrides = [
        Override {
            item: ITEM_MONITORING_CHECKS.to_owned(),
            ticked: true,
            reason: HOSTILE.to_owned(),
        },
        Override {
            item: "circuit_breaker".to_owned(),
            ticked: true,
            reason: HOSTILE.to_owned(),
        },
    ];
    let signoff = phase_signoff(&SignoffInput {
        manual: ManualChecks {
            post_phase_review: true,
            technical_lead_approval: true,
            runbooks_validated: false,
        },
        overrides: &overrides,
        approved_by: Some(HOSTILE),
        notes: Some(HOSTILE),
        next_phase_start: Some(start + 25 * H),
        ..data.signoff_input(name)
    })
    .unwrap();
    check_hostile("signoff-hostile.md", &signoff);
    check_golden("signoff-hostile.md", &signoff);
}

#[test]
fn the_checks_catch_what_they_must() {
    // The structural checks themselves: a broken table and an injected link are caught.
    assert_eq!(unescaped_pipes(r"| a \| b | c |"), 3);
    assert_eq!(unescaped_pipes(r"| a \\| b |"), 3);
    assert_eq!(unescaped_link_closers(r"\[a\](b) [c](d)"), vec![11]);
    let broken = "| a | b |\n|---|---|\n| x | y | z |\n";
    assert!(std::panic::catch_unwind(|| check_structure("broken", broken)).is_err());
    let heading = "text\n# evil\n";
    assert!(std::panic::catch_unwind(|| check_structure("heading", heading)).is_err());
    let link = "x [a](http://evil)\n";
    assert!(std::panic::catch_unwind(|| check_hostile("link", link)).is_err());
}
