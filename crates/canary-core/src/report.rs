//! The guide's two written reports as GitHub-flavoured Markdown (docs/metrics.md#reports): the daily status email
//! ("Communication Plan") and the phase sign-off ("Phase Transition Approval").
//!
//! Both are pure functions of values the front-ends already have, so the page's export and
//! `canary-report email` / `signoff` print the same bytes for the same data: [`ReportData`]
//! computes those values from a store in one place, [`daily_email`] and [`phase_signoff`] only
//! render them. Nothing here reads a clock: the time of the report comes in as `now`.
//!
//! Every string that comes from the data or from a person (error messages, cache keys, endpoint
//! names, breaker states, the rollout name, criterion texts, approver, notes, reasons) is put
//! through [`escape_markdown`], so it renders as the text it is: it cannot break a table, start a
//! heading or a list, or inject HTML or a link. Fixed text of this module is written as Markdown.

use std::fmt::Write as _;

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use serde::{Deserialize, Serialize};

use crate::alerts::{self, Alert, Evaluation, Level, MetricId, Status};
use crate::analysis;
use crate::cohort_rules::{self, CohortCall, CohortEvaluation, Evidence};
use crate::event::{Micros, MICROS_PER_HOUR};
use crate::metrics::{self, Metrics, Window};
use crate::phases::{
    self, ChecklistItem, CriterionResult, CriterionStatus, Measure, PhaseAssessment,
    PhaseDefinition, Rule, Verdict,
};
use crate::redis::{RedisHealth, RedisInfoError};
use crate::store::EventStore;
use crate::summary::{format_ms, format_pct};
use crate::text::{
    alert_threshold, alert_worst, format_duration, level_text, number, p_text, points_text,
    ratio_text, verdict_word, Escalation,
};
use crate::time::{format_minute, format_utc, from_datetime, to_datetime};

const DAY: Micros = 24 * MICROS_PER_HOUR;

/// The `Y` of the guide's subject `Day X/Y`: its rollout is planned as three days.
pub const GUIDE_DAYS: u32 = 3;

/// The rollout's name in the guide (the CLI's default `--name`).
pub const DEFAULT_ROLLOUT_NAME: &str = "mem0-redis";

/// Longest text taken from the data into a table cell, in characters: an error message can be
/// kilobytes long, and a status email is read in a mail client.
const MAX_CELL_CHARS: usize = 160;

/// Rows shown in the email's "by endpoint" and "errors" tables.
const TOP_ROWS: usize = 5;

// ---------------------------------------------------------------------------------------------
// Escaping

/// Whether `c` is one of Unicode's invisible format characters (general category Cf, plus the
/// invisible fillers and the combining grapheme joiner): bidi controls (U+061C, U+200E/F,
/// U+202A–U+202E, U+2066–U+2069), zero-width spaces and joiners (U+200B–U+200D, U+2060–U+2064),
/// the byte-order mark U+FEFF, the soft hyphen, tags and the like. They change how text around
/// them looks, or hide in it, without being seen themselves.
pub fn is_invisible_format(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}'
        | '\u{180B}'..='\u{180F}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{206F}' | '\u{3164}' | '\u{FEFF}'
        | '\u{FFA0}' | '\u{FFF9}'..='\u{FFFB}' | '\u{0600}'..='\u{0605}' | '\u{06DD}'
        | '\u{070F}' | '\u{08E2}' | '\u{110BD}' | '\u{110CD}' | '\u{13430}'..='\u{1343F}'
        | '\u{1BCA0}'..='\u{1BCA3}' | '\u{1D173}'..='\u{1D17A}' | '\u{E0000}'..='\u{E0FFF}')
}

/// `text` from data or people as a page shows it as plain text: every invisible format
/// character ([`is_invisible_format`]) becomes U+FFFD `�`, as in [`escape_markdown`]; nothing
/// else changes (the page's DOM text needs no other escaping).
pub fn neutralise_invisible(text: &str) -> String {
    text.chars()
        .map(|c| {
            if is_invisible_format(c) {
                '\u{FFFD}'
            } else {
                c
            }
        })
        .collect()
}

/// `text` as Markdown that renders as exactly that text, on one line.
///
/// - Unicode's invisible format characters ([`is_invisible_format`]: bidi overrides, embeddings
///   and isolates, marks, zero-width spaces and joiners, the byte-order mark, …) become U+FFFD
///   `�`: data cannot reorder or hide what a reader sees (a right-to-left override turning
///   `exe.txt` around, an invisible character making two names look alike), and the
///   replacement shows that something was there.
/// - Newlines, tabs and every other control character (and U+2028/U+2029) become spaces, and the
///   result is trimmed: data can never start a new line, so it cannot start a heading, a list, a
///   quote or a table row, nor end one early; leading spaces cannot make a code block.
/// - `\` `` ` `` `*` `_` `~` `[` `]` `|` `$` get a backslash: no code span, emphasis,
///   strikethrough, link or image, math, and no table cell boundary (`\|` is GFM's escaped pipe).
/// - `<` `>` `&` become `&lt;` `&gt;` `&amp;`: no raw HTML, no `<...>` autolink, no entity.
/// - A first character that would start a block (`#`, `-`, `+`, `=`, `1.`, `1)`) gets a
///   backslash, for callers that put the text at the start of a line (a quote, a list item).
/// - `://` becomes `\://` and `www.` becomes `www\.`, so GFM does not turn a URL in an error
///   message into a link. (GFM still links a bare e-mail address, to `mailto:` that same visible
///   address; that is not disguisable, so it is left alone.)
pub fn escape_markdown(text: &str) -> String {
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
    let chars: Vec<char> = flat.trim().chars().collect();
    let mut out = String::with_capacity(chars.len() + 8);
    // Length of a leading run of digits: `12.` or `12)` at the start is an ordered list item.
    let leading_digits = chars.iter().take_while(|c| c.is_ascii_digit()).count();
    for (i, &c) in chars.iter().enumerate() {
        let next_is = |s: &str| {
            let rest: String = chars[i + 1..].iter().take(s.chars().count()).collect();
            rest == s
        };
        match c {
            '\\' | '`' | '*' | '_' | '~' | '[' | ']' | '|' | '$' => {
                out.push('\\');
                out.push(c);
            }
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '#' | '-' | '+' | '=' if i == 0 => {
                out.push('\\');
                out.push(c);
            }
            '.' | ')'
                if i > 0 && i == leading_digits && chars.get(i + 1).is_none_or(|c| *c == ' ') =>
            {
                out.push('\\');
                out.push(c);
            }
            ':' if next_is("//") => out.push_str("\\:"),
            '.' if i >= 3
                && chars[i - 3..i]
                    .iter()
                    .collect::<String>()
                    .eq_ignore_ascii_case("www") =>
            {
                out.push_str("\\.")
            }
            _ => out.push(c),
        }
    }
    out
}

/// [`escape_markdown`] of `text` cut to [`MAX_CELL_CHARS`] characters (with `…`), for a table.
fn cell(text: &str) -> String {
    if text.chars().count() <= MAX_CELL_CHARS {
        escape_markdown(text)
    } else {
        let cut: String = text.chars().take(MAX_CELL_CHARS - 1).collect();
        format!("{}…", escape_markdown(&cut))
    }
}

/// A nullable text from the data: escaped, or `(null)` as psql shows SQL null.
fn cell_or_null(text: Option<&str>) -> String {
    text.map_or_else(|| "(null)".to_owned(), cell)
}

/// The dashboard link: a Markdown link for an `http(s)` URL, the escaped text otherwise.
///
/// The destination is written in angle brackets with every character that could end it or
/// escape out of it (`<`, `>`, `\`, spaces, controls, quotes, backticks, non-ASCII) percent-encoded,
/// so a hostile URL cannot add Markdown after the link; other schemes (`javascript:`) are never
/// linked.
pub fn markdown_link(url: &str) -> String {
    let trimmed = url.trim();
    let lower = trimmed.to_ascii_lowercase();
    let linkable = (lower.starts_with("https://") || lower.starts_with("http://"))
        && trimmed.len() > "https://".len();
    if !linkable {
        return format!("{} (not linked: only http and https URLs are)", cell(url));
    }
    let mut destination = String::with_capacity(trimmed.len());
    for byte in trimmed.bytes() {
        let keep = byte.is_ascii_graphic() && !matches!(byte, b'<' | b'>' | b'\\' | b'"' | b'`');
        if keep {
            destination.push(char::from(byte));
        } else {
            let _ = write!(destination, "%{byte:02X}");
        }
    }
    format!("[{}](<{destination}>)", escape_markdown(trimmed))
}

// ---------------------------------------------------------------------------------------------
// Shared formatting

/// `2025-10-17 01:49:00 UTC`: alert times to the second (breaker transitions are not on minutes).
fn format_second(t: DateTime<Utc>) -> String {
    format_utc(t, "%Y-%m-%d %H:%M:%S UTC")
}

/// `10%` traffic.
fn traffic(def: &PhaseDefinition) -> String {
    format!("{}%", number(def.traffic_pct))
}

/// Whole hours of a duration, for `24h`.
fn hours(d: Micros) -> i64 {
    d / MICROS_PER_HOUR
}

/// The guide's status word with its mark.
pub fn status_text(status: Status) -> &'static str {
    match status {
        Status::OnTrack => "✅ On Track",
        Status::IssuesDetected => "⚠️ Issues Detected",
        Status::RollbackRequired => "🚨 Rollback Required",
    }
}

fn criterion_status_text(status: CriterionStatus) -> &'static str {
    match status {
        CriterionStatus::Pass => "✅ pass",
        CriterionStatus::Fail => "❌ fail",
        CriterionStatus::Pending => "⏳ pending",
        CriterionStatus::NoData => "➖ no data",
    }
}

/// Appends a GFM table; every cell must already be Markdown (escaped where it holds data).
fn table(out: &mut String, header: &[&str], right: &[bool], rows: &[Vec<String>]) {
    let _ = writeln!(out, "| {} |", header.join(" | "));
    let align: Vec<&str> = (0..header.len())
        .map(|i| {
            if right.get(i).copied().unwrap_or(false) {
                "---:"
            } else {
                "---"
            }
        })
        .collect();
    let _ = writeln!(out, "|{}|", align.join("|"));
    for row in rows {
        let _ = writeln!(out, "| {} |", row.join(" | "));
    }
}

// ---------------------------------------------------------------------------------------------
// Computing the inputs

/// Everything both reports show, computed from a store the one way every front-end shares.
#[derive(Clone, Debug, PartialEq)]
pub struct ReportData {
    /// The rollout's phase definitions (the next phase, fallback targets).
    pub phases: Vec<PhaseDefinition>,
    /// The reported phase; its `start` is filled in (first event) where the definition had none.
    pub phase: PhaseDefinition,
    /// The phase as of `now`; `None` when it cannot start (no start and no data).
    pub assessment: Option<PhaseAssessment>,
    /// Alerts over the phase so far (`[start, min(now, end))`): the sign-off's incidents.
    pub phase_alerts: Vec<Alert>,
    /// The email's period; `None` without data and bounds.
    pub period: Option<Window>,
    /// Metrics of the period.
    pub metrics: Metrics,
    /// Alerts of the period, the cohort rules' included (a front-end may add Redis alerts with
    /// [`Evaluation::add_alerts`]).
    pub evaluation: Evaluation,
    /// The cohort rules over the period: canary against control, with the evidence.
    pub cohorts: CohortEvaluation,
    /// The time the report is made at.
    pub now: Micros,
    /// Set when the values come from the database's rollups rather than the rows
    /// ([`ReportData::from_rollups`]): percentiles are estimates within a bound.
    pub approximation: Option<Approximation>,
}

/// What sets a report computed from the rollups apart from one computed from the rows
/// (docs/metrics.md#rollups-and-the-latency-histogram): counts and rates are exact, percentiles
/// are within `relative_error`, alerts and criteria that the bound cannot decide are uncertain,
/// and the cohort rules, which compare canary and control minute by minute on the rows, are not
/// evaluated.
#[derive(Clone, Debug, PartialEq)]
pub struct Approximation {
    /// The percentiles' relative error, as the metrics carry it (`0.01`: "≈ 512 ms (±1 %)").
    pub relative_error: f64,
    /// The events the report covers, and the most the exact path reads row by row: more than
    /// that is why the rollups were read.
    pub rows: u64,
    pub exact_rows_limit: u64,
    /// Alerts of the period that fire for some values within the bound and not for others.
    pub uncertain_alerts: Vec<Alert>,
    /// The same over the phase so far (the sign-off's incidents).
    pub phase_uncertain_alerts: Vec<Alert>,
}

impl Approximation {
    /// "±1 %".
    fn bound(&self) -> String {
        format!("±{} %", number(self.relative_error * 100.0))
    }

    /// The paragraph at the top of a report from the rollups: that its percentiles are
    /// approximate, and why.
    fn notice(&self) -> String {
        format!(
            "> **Percentiles are approximate ({bound}).** This report covers {rows} events, more \
             than the {limit} the exact path reads row by row, so it is computed from the \
             database's per-minute rollups: counts and rates are exact, percentiles come from \
             latency histograms and are within {bound} of PostgreSQL's `percentile_cont` (shown \
             as \"≈ … ms ({bound})\"), and canary against control uses binned latencies. An \
             alert or criterion whose bound straddles its threshold is marked uncertain rather \
             than decided; the exact path (`--exact`) reads every row and decides it.",
            bound = self.bound(),
            rows = self.rows,
            limit = self.exact_rows_limit,
        )
    }

    /// A latency percentile with its bound.
    fn ms(&self, v: Option<f64>) -> String {
        crate::summary::format_bounded_ms(v, self.relative_error)
    }
}

/// A latency percentile as the report shows it: with its bound when approximate.
fn percentile_ms(approx: Option<&Approximation>, v: Option<f64>) -> String {
    approx.map_or_else(|| format_ms(v), |a| a.ms(v))
}

/// An alert's worst value; a latency percentile's with its bound when approximate.
fn worst_text(approx: Option<&Approximation>, a: &Alert) -> String {
    match (approx, a.metric) {
        (Some(x), MetricId::P50Latency | MetricId::P95Latency) => x.ms(Some(a.worst_value)),
        // A ratio of two bounded percentiles.
        (Some(_), MetricId::CanaryP50Latency | MetricId::CanaryP95Latency) => {
            format!("≈ {}", alert_worst(a))
        }
        _ => alert_worst(a),
    }
}

/// How a criterion or metric that the percentiles' bound cannot decide is shown.
const UNCERTAIN_TEXT: &str = "❔ uncertain";

/// The email's default period: the 24 hours that end at the end of the data.
pub fn default_period(store: &EventStore) -> Option<Window> {
    period(store, None, None).ok().flatten()
}

/// The email's period from optional bounds: it ends at `to` (default: the end of the data) and
/// starts at `from` (default: 24 hours before its end). `Ok(None)` when there is no end (no data
/// and no `to`); an error when the bounds leave no time.
pub fn period(
    store: &EventStore,
    from: Option<Micros>,
    to: Option<Micros>,
) -> Result<Option<Window>, EmptyPeriod> {
    let Some(to) = to.or(Window::whole(store).map(|w| w.to)) else {
        return Ok(None);
    };
    let from = from.unwrap_or(to - DAY);
    Window::new(from, to).map(Some).ok_or(EmptyPeriod)
}

/// A report period whose end is not after its start.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the period is empty: its end must be after its start")]
pub struct EmptyPeriod;

/// The day of the rollout (1-based) that the instant just before `end` falls in, counting 24-hour
/// days from the rollout's start: `phase`'s start minus the durations of the phases before it in
/// `phases`. 1 when the phase has no start or `end` is not after the rollout's start.
pub fn rollout_day(phases: &[PhaseDefinition], phase: &PhaseDefinition, end: Micros) -> u32 {
    let Some(start) = phase.start else {
        return 1;
    };
    let before: Micros = phases
        .iter()
        .take_while(|p| p.number != phase.number)
        .map(|p| p.duration.max(0))
        .sum();
    let elapsed = end - (start - before);
    if elapsed <= 0 {
        return 1;
    }
    u32::try_from((elapsed + DAY - 1) / DAY).unwrap_or(u32::MAX)
}

/// The date of the instant just before `end` (a period ending at midnight is the day before).
pub fn report_date(end: Micros) -> NaiveDate {
    to_datetime(end - 1).date_naive()
}

impl ReportData {
    /// Computes the reports' values: phase `number` of `phases` as of `now` (a phase without a
    /// start starts at the first event, as [`phases::assess`] does), and the metrics and alerts
    /// of `period` (use [`default_period`] for the email's "last 24 h"). `None` when `phases` has
    /// no phase `number`.
    pub fn compute(
        store: &EventStore,
        phases: Vec<PhaseDefinition>,
        number: u8,
        period: Option<Window>,
        now: Micros,
        rules: &[alerts::Rule],
    ) -> Option<ReportData> {
        let declared = phases.iter().find(|p| p.number == number)?.clone();
        let assessment = phases::assess(store, &phases, number, now, rules);
        let phase = assessment
            .as_ref()
            .map_or(declared, |a| a.definition.clone());
        // The same span the assessment judges its criteria over.
        let phase_alerts = assessment
            .as_ref()
            .and_then(|a| Window::new(a.window.from, now.min(a.window.to)))
            .map(|seen| alerts::evaluate(store, Some(seen), rules).alerts)
            .unwrap_or_default();
        let cohorts =
            cohort_rules::evaluate_cohorts(store, period, &cohort_rules::default_cohort_rules());
        let mut evaluation = alerts::evaluate(store, period, rules);
        cohorts.add_to(&mut evaluation);
        Some(ReportData {
            metrics: metrics::compute(store, period),
            evaluation,
            cohorts,
            phases,
            phase,
            assessment,
            phase_alerts,
            period,
            now,
            approximation: None,
        })
    }

    /// Adds the alerts of a `redis-cli INFO` snapshot taken at the report's time to the
    /// period's ([`analysis::add_redis_info`], as the page and `metrics` add them).
    pub fn add_redis_info(&mut self, text: &str) -> Result<RedisHealth, RedisInfoError> {
        analysis::add_redis_info(&mut self.evaluation, text, self.now)
    }

    /// The date the email reports on by default: the day of the period's end (of `now` without
    /// a period).
    pub fn default_date(&self) -> NaiveDate {
        report_date(self.period.map_or(self.now + 1, |p| p.to))
    }

    /// The criteria of the phase (none when it has not started).
    pub fn criteria(&self) -> &[CriterionResult] {
        self.assessment.as_ref().map_or(&[], |a| &a.criteria)
    }

    /// The email's input; `day` counts from the rollout's start to the period's end, out of
    /// [`GUIDE_DAYS`] (or more once the rollout runs longer).
    pub fn email_input<'a>(
        &'a self,
        name: &'a str,
        date: NaiveDate,
        dashboard_url: Option<&'a str>,
    ) -> EmailInput<'a> {
        let end = self.period.map_or(self.now, |p| p.to);
        let day = rollout_day(&self.phases, &self.phase, end);
        EmailInput {
            name,
            phases: &self.phases,
            phase: &self.phase,
            day,
            days: day.max(GUIDE_DAYS),
            date,
            now: self.now,
            metrics: &self.metrics,
            alerts: &self.evaluation.alerts,
            criteria: self.criteria(),
            cohorts: Some(&self.cohorts),
            dashboard_url,
            signoffs: None,
            approximation: self.approximation.as_ref(),
        }
    }

    /// The sign-off's input from the data, with nothing ticked or written by a person yet; set
    /// `manual`, `overrides`, `approved_by`, `notes` with struct update syntax. The next phase
    /// starts, by default, when this one ends (the phases follow each other).
    pub fn signoff_input<'a>(&'a self, name: &'a str) -> SignoffInput<'a> {
        let has_next = self.phases.iter().any(|p| p.number > self.phase.number);
        SignoffInput {
            name,
            phases: &self.phases,
            phase: &self.phase,
            now: self.now,
            criteria: self.criteria(),
            alerts: &self.phase_alerts,
            checks: self.assessment.as_ref().map_or(&[], |a| &a.checklist),
            manual: ManualChecks::default(),
            overrides: &[],
            approved_by: None,
            decision: None,
            next_phase_start: self.phase.window().filter(|_| has_next).map(|w| w.to),
            notes: None,
            approximation: self.approximation.as_ref(),
        }
    }
}

/// Where the phase stands at `now`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum PhaseState {
    NotStarted,
    Running(Window),
    Complete(Window),
}

fn phase_state(def: &PhaseDefinition, now: Micros) -> PhaseState {
    match def.window() {
        None => PhaseState::NotStarted,
        Some(w) if now >= w.to => PhaseState::Complete(w),
        Some(w) => PhaseState::Running(w),
    }
}

/// The phase after `def` in `phases` (by number).
fn next_phase<'a>(
    phases: &'a [PhaseDefinition],
    def: &PhaseDefinition,
) -> Option<&'a PhaseDefinition> {
    phases
        .iter()
        .filter(|p| p.number > def.number)
        .min_by_key(|p| p.number)
}

// ---------------------------------------------------------------------------------------------
// The daily status email

/// What the daily status email shows.
#[derive(Clone, Copy, Debug)]
pub struct EmailInput<'a> {
    /// The rollout's name (`mem0-redis`).
    pub name: &'a str,
    /// Every phase of the rollout: the next phase, and targets of metrics this phase has no
    /// criterion for (Phase 2 has "the same metrics as Phase 1").
    pub phases: &'a [PhaseDefinition],
    /// The phase reported on, with its start where it has one.
    pub phase: &'a PhaseDefinition,
    /// Day `day` of `days` in the subject ([`rollout_day`]).
    pub day: u32,
    /// The rollout's days: [`GUIDE_DAYS`], or `day` once the rollout runs longer.
    pub days: u32,
    /// The date in the header.
    pub date: NaiveDate,
    /// When the report is made: decides whether the phase is complete.
    pub now: Micros,
    /// Metrics of the period (the last 24 h).
    pub metrics: &'a Metrics,
    /// Alerts that fired in the period; the status is the worst level among them.
    pub alerts: &'a [Alert],
    /// The phase's criteria as of `now`.
    pub criteria: &'a [CriterionResult],
    /// Canary against control over the period (`None`: not evaluated).
    pub cohorts: Option<&'a CohortEvaluation>,
    /// Link to the console.
    pub dashboard_url: Option<&'a str>,
    /// The sign-offs recorded in the period, oldest first (`None`: no team records were read,
    /// and the email has no sign-off section).
    pub signoffs: Option<&'a [crate::team::SignoffRecord]>,
    /// Set for values from the rollups: bounded percentiles, uncertain alerts.
    pub approximation: Option<&'a Approximation>,
}

/// The subject line, as plain text (for `mail -s`; the Markdown's first line has it escaped).
pub fn email_subject(input: &EmailInput<'_>) -> String {
    let name: String = input
        .name
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    format!(
        "[CANARY] Day {}/{} - {} Phase {} Status",
        input.day,
        input.days,
        name.trim(),
        input.phase.number
    )
}

/// A value target of the email's metrics table.
#[derive(Clone, Copy, Debug, PartialEq)]
struct ValueTarget {
    below: bool,
    limit: f64,
    goal: Option<f64>,
}

impl ValueTarget {
    fn text(self, unit: &str) -> String {
        let side = if self.below { "<" } else { ">" };
        match self.goal {
            Some(goal) => format!(
                "{side} {} {unit} (goal {side} {} {unit})",
                number(self.limit),
                number(goal)
            ),
            None => format!("{side} {} {unit}", number(self.limit)),
        }
    }

    /// The result of `v` known within `relative_error` (`None`: exact); `None` when the bound
    /// straddles the limit.
    fn judge(self, v: Option<f64>, relative_error: Option<f64>) -> Option<CriterionStatus> {
        match v.map(|v| phases::judge_value(v, self.limit, self.below, relative_error)) {
            None => Some(CriterionStatus::NoData),
            Some(phases::ValueCall::Holds) => Some(CriterionStatus::Pass),
            Some(phases::ValueCall::Misses) => Some(CriterionStatus::Fail),
            Some(phases::ValueCall::Uncertain) => None,
        }
    }
}

/// The value rule for `measure` under criterion `id`: this phase's, else the first phase's that
/// has one, else the guide's default.
fn value_target(
    phases: &[PhaseDefinition],
    phase: &PhaseDefinition,
    id: &str,
    measure: Measure,
) -> Option<ValueTarget> {
    let of = |def: &PhaseDefinition| {
        def.criteria
            .iter()
            .filter(|c| c.id == id)
            .find_map(|c| match c.rule {
                Rule::Below {
                    measure: m,
                    limit,
                    goal,
                } if m == measure => Some(ValueTarget {
                    below: true,
                    limit,
                    goal,
                }),
                Rule::Above { measure: m, limit } if m == measure => Some(ValueTarget {
                    below: false,
                    limit,
                    goal: None,
                }),
                _ => None,
            })
    };
    of(phase)
        .or_else(|| phases.iter().find_map(of))
        .or_else(|| phases::default_phases().iter().find_map(of))
}

/// The email's metrics, in the guide's order.
const EMAIL_METRICS: [(&str, &str, Measure, &str); 6] = [
    ("P50 Latency", "p50_latency", Measure::P50LatencyMs, "ms"),
    ("P95 Latency", "p95_latency", Measure::P95LatencyMs, "ms"),
    ("P99 Latency", "p99_latency", Measure::P99LatencyMs, "ms"),
    ("Error Rate", "error_rate", Measure::ErrorRatePct, "%"),
    (
        "Cache Hit Rate",
        "cache_hit_rate",
        Measure::CacheHitRatePct,
        "%",
    ),
    (
        "mem0 Success",
        "mem0_write_success",
        Measure::Mem0WriteSuccessPct,
        "%",
    ),
];

fn email_metrics_table(out: &mut String, input: &EmailInput<'_>) {
    let m = input.metrics;
    let mut rows = Vec::new();
    for (label, id, measure, unit) in EMAIL_METRICS {
        let v = measure.of(m);
        let error = phases::relative_error_of(measure, m);
        let (target, status) = match value_target(input.phases, input.phase, id, measure) {
            Some(t) => (t.text(unit), t.judge(v, error)),
            None => ("—".to_owned(), Some(CriterionStatus::NoData)),
        };
        rows.push(vec![
            label.to_owned(),
            measure.format_bounded(v, error),
            target,
            status
                .map_or(UNCERTAIN_TEXT, criterion_status_text)
                .to_owned(),
        ]);
    }
    let breaker = &m.circuit_breaker;
    let (measured, status) = if m.window.events == 0 {
        ("no data".to_owned(), CriterionStatus::NoData)
    } else {
        let closed = breaker.current_state == "closed" && breaker.transitions.is_empty();
        let text = match breaker.transitions.len() {
            0 => cell(&breaker.current_state),
            1 => format!("{} (1 transition)", cell(&breaker.current_state)),
            n => format!("{} ({n} transitions)", cell(&breaker.current_state)),
        };
        let status = if closed {
            CriterionStatus::Pass
        } else {
            CriterionStatus::Fail
        };
        (text, status)
    };
    rows.push(vec![
        "Circuit Breaker".to_owned(),
        measured,
        "closed, no transitions".to_owned(),
        criterion_status_text(status).to_owned(),
    ]);
    table(
        out,
        &["Metric", "Measured", "Target", "Result"],
        &[false, true, false, false],
        &rows,
    );
}

fn email_endpoints(out: &mut String, m: &Metrics, approx: Option<&Approximation>) {
    if m.latency_by_endpoint.is_empty() {
        return;
    }
    let total = m.latency_by_endpoint.len();
    let shown = total.min(TOP_ROWS);
    let title = if total > shown {
        format!("### By endpoint (top {shown} of {total} by requests)")
    } else {
        "### By endpoint".to_owned()
    };
    let _ = writeln!(out, "\n{title}\n");
    let rows: Vec<Vec<String>> = m
        .latency_by_endpoint
        .iter()
        .take(shown)
        .map(|e| {
            vec![
                cell_or_null(e.endpoint.as_deref()),
                e.requests.to_string(),
                percentile_ms(approx, e.p50_ms),
                percentile_ms(approx, e.p95_ms),
                percentile_ms(approx, e.p99_ms),
            ]
        })
        .collect();
    table(
        out,
        &["Endpoint", "Requests", "P50", "P95", "P99"],
        &[false, true, true, true, true],
        &rows,
    );
}

/// The table of alerts: level, metric, threshold, since, until, worst.
fn alerts_table(out: &mut String, alerts: &[Alert], approx: Option<&Approximation>) {
    let rows: Vec<Vec<String>> = alerts
        .iter()
        .map(|a| {
            vec![
                level_text(a.level).to_owned(),
                format!("{} (`{}`)", a.metric.label(), a.metric.as_str()),
                alert_threshold(a),
                format_second(a.since),
                a.until
                    .map_or_else(|| "still firing".to_owned(), format_second),
                worst_text(approx, a),
            ]
        })
        .collect();
    table(
        out,
        &["Level", "Metric", "Threshold", "Since", "Until", "Worst"],
        &[false, false, false, false, false, true],
        &rows,
    );
}

fn email_issues(out: &mut String, input: &EmailInput<'_>) {
    let _ = writeln!(out, "\n## Issues\n");
    let approx = input.approximation;
    if input.alerts.is_empty() {
        let _ = match approx {
            Some(_) => writeln!(
                out,
                "None certain: no alert fired for every value within the percentiles' bound."
            ),
            None => writeln!(out, "None: no alert fired in the period."),
        };
    } else {
        let n = input.alerts.len();
        let noun = if n == 1 { "alert" } else { "alerts" };
        let _ = writeln!(out, "{n} {noun} fired in the period:\n");
        alerts_table(out, input.alerts, approx);
    }
    if let Some(x) = approx.filter(|x| !x.uncertain_alerts.is_empty()) {
        let n = x.uncertain_alerts.len();
        let noun = if n == 1 { "alert is" } else { "alerts are" };
        let _ = writeln!(
            out,
            "\n### Uncertain alerts\n\n{n} {noun} uncertain: each fires for some values within \
             the percentiles' bound ({}) and not for others, so it neither counts towards the \
             status nor is dropped; the exact path (`--exact`) decides it.\n",
            x.bound()
        );
        alerts_table(out, &x.uncertain_alerts, approx);
    }
    let m = input.metrics;
    if !m.errors_by_type.is_empty() {
        let total = m.errors_by_type.len();
        let shown = total.min(TOP_ROWS);
        let title = if total > shown {
            format!("### Errors (top {shown} of {total} by occurrences)")
        } else {
            "### Errors".to_owned()
        };
        let _ = writeln!(out, "\n{title}\n");
        let rows: Vec<Vec<String>> = m
            .errors_by_type
            .iter()
            .take(shown)
            .map(|e| {
                vec![
                    cell_or_null(e.error_type.as_deref()),
                    cell_or_null(e.error_message.as_deref()),
                    e.occurrences.to_string(),
                    format_second(e.last_seen),
                ]
            })
            .collect();
        table(
            out,
            &["Error type", "Message", "Occurrences", "Last seen"],
            &[false, false, true, false],
            &rows,
        );
    }
    if !m.cache_stampedes.is_empty() {
        let _ = writeln!(out, "\n### Cache stampedes\n");
        let rows: Vec<Vec<String>> = m
            .cache_stampedes
            .iter()
            .map(|s| {
                vec![
                    cell_or_null(s.cache_key.as_deref()),
                    s.concurrent_misses.to_string(),
                    format_second(s.first_miss),
                    format_second(s.last_miss),
                ]
            })
            .collect();
        table(
            out,
            &["Cache key", "Misses in 15 min", "First miss", "Last miss"],
            &[false, true, false, false],
            &rows,
        );
    }
}

/// "Canary against control": the cohort rules' call, both cohorts over the rules' last span,
/// and for each cohort alert the endpoints and error types behind it.
/// From the rollups (`approx`), percentiles carry their bound, the rank test is on binned
/// latencies and the evidence, which needs the rows, is not shown.
fn email_cohorts(out: &mut String, c: &CohortEvaluation, approx: Option<&Approximation>) {
    let _ = writeln!(out, "\n## Canary against control\n");
    let _ = writeln!(out, "**{}**", c.call.label());
    if c.call == CohortCall::NoCohortTags {
        return;
    }
    if let Some(x) = approx {
        let _ = writeln!(
            out,
            "\nFrom the rollups: request, error and mem0 counts are exact and so is Fisher's \
             test; latencies are within {} and the Mann–Whitney test counts each histogram \
             bucket as one group of tied values, so a latency rule whose ratio's bound straddles \
             its limit is uncertain (see Issues).",
            x.bound()
        );
    }
    if let Some(now) = &c.now {
        let (a, b) = (&now.comparison.canary, &now.comparison.control);
        let _ = writeln!(
            out,
            "\nLast {} min ({} to {}):\n",
            c.window_minutes,
            format_minute(from_datetime(now.comparison.from)),
            format_minute(from_datetime(now.comparison.to)),
        );
        let p = |v: Option<f64>| v.map_or_else(|| "—".to_owned(), p_text);
        let rows = vec![
            vec![
                "Requests".to_owned(),
                a.requests.to_string(),
                b.requests.to_string(),
                String::new(),
            ],
            vec![
                "P50".to_owned(),
                percentile_ms(approx, a.p50_ms),
                percentile_ms(approx, b.p50_ms),
                now.p50_ratio.map_or_else(String::new, ratio_text),
            ],
            vec![
                "P95".to_owned(),
                percentile_ms(approx, a.p95_ms),
                percentile_ms(approx, b.p95_ms),
                now.p95_ratio.map_or_else(String::new, ratio_text),
            ],
            vec![
                "Error rate".to_owned(),
                format_pct(a.error_rate_pct),
                format_pct(b.error_rate_pct),
                now.error_test
                    .difference_points
                    .map_or_else(String::new, points_text),
            ],
        ];
        table(
            out,
            &["", "Canary", "Control", "Difference"],
            &[false, true, true, true],
            &rows,
        );
        let t = &now.comparison.latency_test;
        let shift = match (
            t.hodges_lehmann_ms,
            t.hodges_lehmann_low_ms,
            t.hodges_lehmann_high_ms,
        ) {
            (Some(hl), Some(lo), Some(hi)) => format!(
                "{} (95 % interval {} to {})",
                format_ms(Some(hl)),
                format_ms(Some(lo)),
                format_ms(Some(hi))
            ),
            (Some(hl), _, _) => format_ms(Some(hl)),
            _ if approx.is_some() => "— (needs the values: `--exact`)".to_owned(),
            _ => "—".to_owned(),
        };
        let binned = if approx.is_some() {
            ", on binned latencies"
        } else {
            ""
        };
        let _ = writeln!(
            out,
            "\nLatency shift (Hodges–Lehmann): {shift}; Mann–Whitney p (canary slower{binned}) = \
             {}; Fisher p (canary errors higher) = {}; a rule needs p < {}.",
            p(now.latency_p_value),
            p(now.error_test.p_value),
            p_text(c.alpha)
        );
    }
    for a in &c.alerts {
        let _ = writeln!(
            out,
            "\n### {} {}: {}\n",
            level_text(a.alert.level),
            cell(&a.rule),
            worst_text(approx, &a.alert)
        );
        if approx.is_some() {
            let _ = writeln!(
                out,
                "The endpoints and error types behind it need the rows: read with `--exact`."
            );
        } else {
            email_evidence(out, &a.evidence);
        }
    }
}

/// The endpoints and error types behind one call.
fn email_evidence(out: &mut String, e: &Evidence) {
    let _ = writeln!(
        out,
        "Evidence from {} to {}:\n",
        format_minute(from_datetime(e.from)),
        format_minute(from_datetime(e.to))
    );
    if e.endpoints.is_empty() && e.error_types.is_empty() {
        let _ = writeln!(out, "No single endpoint or error type stands out.");
        return;
    }
    if !e.endpoints.is_empty() {
        let rows: Vec<Vec<String>> = e
            .endpoints
            .iter()
            .map(|r| {
                vec![
                    cell_or_null(r.endpoint.as_deref()),
                    format!("{} / {}", r.canary.requests, r.control.requests),
                    format!(
                        "{} / {}",
                        format_ms(r.canary.p50_ms),
                        format_ms(r.control.p50_ms)
                    ),
                    format!(
                        "{} / {}",
                        format_pct(r.canary.error_rate_pct),
                        format_pct(r.control.error_rate_pct)
                    ),
                ]
            })
            .collect();
        table(
            out,
            &[
                "Endpoint",
                "Requests (canary / control)",
                "P50",
                "Error rate",
            ],
            &[false, true, true, true],
            &rows,
        );
    }
    if !e.error_types.is_empty() {
        out.push('\n');
        let rows: Vec<Vec<String>> = e
            .error_types
            .iter()
            .map(|r| {
                vec![
                    cell_or_null(r.error_type.as_deref()),
                    format!("{} / {}", r.canary_failures, r.control_failures),
                    format!(
                        "{} / {}",
                        format_pct(r.canary_rate_pct),
                        format_pct(r.control_rate_pct)
                    ),
                ]
            })
            .collect();
        table(
            out,
            &[
                "Error type",
                "Failures (canary / control)",
                "Rate (canary / control)",
            ],
            &[false, true, true],
            &rows,
        );
    }
}

/// One line on where the phase stands.
fn phase_progress(def: &PhaseDefinition, now: Micros) -> String {
    match phase_state(def, now) {
        PhaseState::NotStarted => format!(
            "Phase {} has not started: there is no data yet.",
            def.number
        ),
        PhaseState::Complete(w) => format!(
            "Phase {} ({} traffic, {} h) is complete: {} to {}.",
            def.number,
            traffic(def),
            hours(def.duration),
            format_minute(w.from),
            format_minute(w.to)
        ),
        PhaseState::Running(w) => {
            let elapsed = phases::elapsed(w.from, def.duration, now);
            let next = phases::next_check(w.from, def.duration, now)
                .map(|t| format!("; next scheduled check {}", format_minute(t)))
                .unwrap_or_default();
            format!(
                "Phase {} ({} traffic, {} h) is running: {} in, it ends {}{next}.",
                def.number,
                traffic(def),
                hours(def.duration),
                format_duration(elapsed),
                format_minute(w.to)
            )
        }
    }
}

fn criteria_table(out: &mut String, criteria: &[CriterionResult]) {
    let rows: Vec<Vec<String>> = criteria
        .iter()
        .map(|c| {
            let mut status = criterion_status_text(c.status).to_owned();
            if c.status == CriterionStatus::Pending {
                match c.on_track {
                    Some(true) => status.push_str(" (on track)"),
                    Some(false) => status.push_str(" (off track so far)"),
                    None => {}
                }
            }
            if c.uncertain {
                status = format!("{UNCERTAIN_TEXT} (the bound straddles the target)");
            }
            vec![
                cell(&c.criterion),
                cell(&c.target),
                cell(&c.measured.display),
                status,
            ]
        })
        .collect();
    table(
        out,
        &["Criterion", "Target", "Measured", "Status"],
        &[false, false, false, false],
        &rows,
    );
}

/// Distinct metrics of `alerts` at `min` or above, in order of first appearance.
fn alerted_metrics(alerts: &[Alert], min: Level) -> Vec<MetricId> {
    let mut ids = Vec::new();
    for a in alerts.iter().filter(|a| a.level >= min) {
        if !ids.contains(&a.metric) {
            ids.push(a.metric);
        }
    }
    ids
}

fn metric_list(ids: &[MetricId]) -> String {
    ids.iter()
        .map(|m| format!("`{}`", m.as_str()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The guide's "Troubleshooting Quick Reference" for a metric that alerted.
fn troubleshooting(metric: MetricId) -> &'static str {
    match metric {
        MetricId::P50Latency | MetricId::P95Latency => {
            "Latency: check the cache hit rate (should be > 95 %), Redis health (memory, ops/sec) \
             and database query time; consider reducing `CANARY_SAMPLE_RATE` to 0.05."
        }
        MetricId::ErrorRate => {
            "Error rate: check the error types, the circuit breaker and external services \
             (mem0, Supabase); consider an immediate rollback above 2 %."
        }
        MetricId::CacheHitRate | MetricId::CacheStampede => {
            "Cache: check for cache stampede patterns, Redis memory usage and the generation \
             token logic; consider manual cache warming."
        }
        MetricId::Mem0WriteSuccess => {
            "mem0: check the circuit breaker, `MEM0_API_KEY` validity and the mem0 service \
             status; follow the Circuit Breaker runbook if it is open."
        }
        MetricId::CircuitBreaker => {
            "Circuit breaker: immediate action required; follow `OPERATIONAL_RUNBOOKS.md` → \
             Circuit Breaker, do not reset it manually without investigation, prepare for a \
             potential rollback."
        }
        MetricId::RedisMemory => {
            "Redis memory: check memory usage against `maxmemory`, evictions and the eviction \
             policy; consider manual cache warming after fixing it."
        }
        MetricId::CanaryP50Latency
        | MetricId::CanaryP95Latency
        | MetricId::CanaryErrorRate
        | MetricId::CanaryMem0WriteSuccess => {
            "Canary against control: only the canary cohort is worse, so the new code path is \
             the suspect; start from the endpoints and error types under \"Canary against \
             control\" and consider reducing `CANARY_SAMPLE_RATE` to 0.05 until it is fixed."
        }
    }
}

/// Criteria texts with a given status, escaped and joined.
fn criteria_with(
    criteria: &[CriterionResult],
    keep: impl Fn(CriterionStatus) -> bool,
) -> Vec<String> {
    criteria
        .iter()
        .filter(|c| keep(c.status))
        .map(|c| cell(&c.criterion))
        .collect()
}

/// Next steps from the verdict, following the guide's escalation protocol.
fn next_steps(input: &EmailInput<'_>) -> Vec<String> {
    let status = Status::of_levels(input.alerts.iter().map(|a| a.level));
    let mut steps = Vec::new();
    // The worst level that fired: an emergency, else a critical, else a warning alert.
    let worst = input.alerts.iter().map(|a| a.level).max();
    if let Some(level) = worst {
        let step = Escalation::of(Some(level));
        let outcome = match level {
            Level::Emergency => "reached the emergency level",
            Level::Critical => "exceeded the critical threshold",
            Level::Warning => "approached the thresholds",
        };
        let also = step.also.map_or(String::new(), |a| format!(" and {a}"));
        steps.push(format!(
            "{} **{}**{also} (escalation protocol: {}): {} {outcome}.",
            step.mark,
            step.action,
            step.name,
            metric_list(&alerted_metrics(input.alerts, level))
        ));
    }
    for metric in alerted_metrics(input.alerts, Level::Warning) {
        // The stampede and the hit rate share the guide's cache advice: say it once.
        let advice = troubleshooting(metric).to_owned();
        if !steps.contains(&advice) {
            steps.push(advice);
        }
    }
    let def = input.phase;
    let n = def.number;
    let next = next_phase(input.phases, def);
    let next_name = next.map_or_else(
        || "declare the rollout complete".to_owned(),
        |p| format!("escalate to Phase {}", p.number),
    );
    let failed = criteria_with(input.criteria, |s| s == CriterionStatus::Fail);
    let uncertain: Vec<String> = input
        .criteria
        .iter()
        .filter(|c| c.uncertain)
        .map(|c| cell(&c.criterion))
        .collect();
    let uncertain_alerts = input.approximation.map_or(0, |x| x.uncertain_alerts.len());
    if !uncertain.is_empty() || uncertain_alerts > 0 {
        let mut what = Vec::new();
        if uncertain_alerts > 0 {
            what.push(format!(
                "{uncertain_alerts} uncertain alert{}",
                if uncertain_alerts == 1 { "" } else { "s" }
            ));
        }
        if !uncertain.is_empty() {
            what.push(format!("the uncertain criteria ({})", uncertain.join("; ")));
        }
        steps.push(format!(
            "Decide {} on the exact numbers: run the report again with `--exact`, which reads \
             every row.",
            what.join(" and ")
        ));
    }
    if status == Status::RollbackRequired {
        steps.push(format!("Do not {next_name}."));
        return steps;
    }
    match phase_state(def, input.now) {
        PhaseState::NotStarted => steps.push(format!(
            "Continue monitoring: Phase {n} has no data yet; check that the service writes \
             its events to `observability_events`."
        )),
        PhaseState::Running(w) => {
            if !failed.is_empty() {
                steps.push(format!(
                    "Phase {n} cannot pass on its data: already failed: {}. Decide at the \
                     sign-off whether to repeat the phase or to override with a reason.",
                    failed.join("; ")
                ));
            }
            steps.push(format!(
                "Continue monitoring until Phase {n} ends at {}.",
                format_minute(w.to)
            ));
        }
        PhaseState::Complete(_) => {
            let all_pass = !input.criteria.is_empty()
                && input
                    .criteria
                    .iter()
                    .all(|c| c.status == CriterionStatus::Pass);
            if all_pass {
                let target = match next {
                    Some(p) => format!(
                        "**Escalate to Phase {}** ({} traffic, `CANARY_SAMPLE_RATE={}`)",
                        p.number,
                        traffic(p),
                        number(p.config.canary_sample_rate)
                    ),
                    None => "**Declare the rollout complete**".to_owned(),
                };
                steps.push(format!(
                    "{target} once the Phase {n} sign-off is done: post-phase review, runbooks \
                     validated, Technical Lead approval."
                ));
            } else {
                let open: Vec<String> = input
                    .criteria
                    .iter()
                    .filter(|c| c.status != CriterionStatus::Pass && !c.uncertain)
                    .map(|c| cell(&c.criterion))
                    .collect();
                let open = match (open.is_empty(), uncertain.is_empty()) {
                    (true, true) => "no criterion was judged".to_owned(),
                    (false, true) => format!("not met: {}", open.join("; ")),
                    (true, false) => format!("uncertain: {}", uncertain.join("; ")),
                    (false, false) => format!(
                        "not met: {}; uncertain: {}",
                        open.join("; "),
                        uncertain.join("; ")
                    ),
                };
                steps.push(format!(
                    "**Do not {next_name} yet**: Phase {n} criteria {open}. Resolve them, or \
                     override them with a reason at the sign-off."
                ));
            }
        }
    }
    steps
}

/// The guide's daily status email for one period, as GitHub-flavoured Markdown.
///
/// The first line is the subject (`Subject: [CANARY] Day X/3 - <name> Phase N Status`). The
/// status is the worst level that fired in the period (docs/metrics.md#reports): emergency → Rollback
/// Required; warning or critical → Issues Detected; none → On Track.
pub fn daily_email(input: &EmailInput<'_>) -> String {
    let m = input.metrics;
    let def = input.phase;
    let status = Status::of_levels(input.alerts.iter().map(|a| a.level));
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Subject: [CANARY] Day {}/{} - {} Phase {} Status\n",
        input.day,
        input.days,
        escape_markdown(input.name),
        def.number
    );
    if let Some(x) = input.approximation {
        let _ = writeln!(out, "{}\n", x.notice());
    }
    let _ = writeln!(
        out,
        "- **Phase:** {} ({} traffic)",
        def.number,
        traffic(def)
    );
    let date = format_utc(input.date.and_time(NaiveTime::MIN).and_utc(), "%Y-%m-%d");
    let _ = writeln!(out, "- **Date:** {date}");
    let nothing = if m.window.events == 0 {
        " (nothing was measured: no events in the period)"
    } else {
        ""
    };
    let uncertain = match input.approximation.map_or(0, |x| x.uncertain_alerts.len()) {
        0 => String::new(),
        1 => " (1 more alert uncertain: see Issues)".to_owned(),
        n => format!(" ({n} more alerts uncertain: see Issues)"),
    };
    let _ = writeln!(
        out,
        "- **Status:** {}{nothing}{uncertain}",
        status_text(status)
    );
    let period = match (m.window.from, m.window.to) {
        (Some(from), Some(to)) => format!(
            "{} to {}: {} requests, {} cache lookups, {} mem0 writes",
            format_minute(from_datetime(from)),
            format_minute(from_datetime(to)),
            m.latency.requests,
            m.cache.accesses,
            m.mem0.total_writes
        ),
        _ => "no data".to_owned(),
    };
    let _ = writeln!(out, "- **Period:** {period}");

    let span = match (m.window.from, m.window.to) {
        (Some(from), Some(to)) if (to - from).num_microseconds() == Some(DAY) => {
            "last 24h".to_owned()
        }
        (Some(from), Some(to)) => format!("{} h", (to - from).num_hours()),
        _ => "no data".to_owned(),
    };
    let _ = writeln!(out, "\n## Metrics ({span})\n");
    email_metrics_table(&mut out, input);
    if !m.window.notes.is_empty() {
        let _ = writeln!(out, "\nData notes:\n");
        for note in &m.window.notes {
            let _ = writeln!(out, "- {}", escape_markdown(note));
        }
    }
    email_endpoints(&mut out, m, input.approximation);
    email_issues(&mut out, input);
    if let Some(cohorts) = input.cohorts {
        email_cohorts(&mut out, cohorts, input.approximation);
    }

    let _ = writeln!(out, "\n## Phase {} success criteria\n", def.number);
    let _ = writeln!(out, "{}", phase_progress(def, input.now));
    if !input.criteria.is_empty() {
        out.push('\n');
        criteria_table(&mut out, input.criteria);
    }

    if let Some(records) = input.signoffs {
        let _ = writeln!(out, "\n## Sign-offs in this period\n");
        if records.is_empty() {
            let _ = writeln!(out, "None.");
        }
        for line in crate::team::signoff_lines(records, input.phases) {
            let _ = writeln!(out, "- {}", escape_markdown(&line));
        }
    }

    let _ = writeln!(out, "\n## Next Steps\n");
    for step in next_steps(input) {
        let _ = writeln!(out, "- {step}");
    }

    let dashboard = input
        .dashboard_url
        .filter(|u| !u.trim().is_empty())
        .map_or_else(|| "not given".to_owned(), markdown_link);
    let _ = writeln!(out, "\n**Dashboard:** {dashboard}");
    out
}

// ---------------------------------------------------------------------------------------------
// The phase sign-off

/// Id of the sign-off item "All 24h monitoring checks completed", for an [`Override`].
pub const ITEM_MONITORING_CHECKS: &str = "monitoring_checks";
/// Id of the sign-off item "All success criteria met consistently".
pub const ITEM_SUCCESS_CRITERIA: &str = "success_criteria";
/// Id of the sign-off item "No critical incidents during Phase N".
pub const ITEM_CRITICAL_INCIDENTS: &str = "critical_incidents";

/// The sign-off items only a person can tick.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManualChecks {
    /// "Post-Phase N review completed".
    pub post_phase_review: bool,
    /// "Technical Lead approval obtained".
    pub technical_lead_approval: bool,
    /// "Runbooks validated (at least one test invocation)".
    pub runbooks_validated: bool,
}

/// A person's decision on an item the data decides: ticked or not, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Override {
    /// [`ITEM_MONITORING_CHECKS`], [`ITEM_SUCCESS_CRITERIA`], [`ITEM_CRITICAL_INCIDENTS`] or
    /// the id of one of the phase's criteria (`circuit_breaker`, ...).
    pub item: String,
    /// The tick the person sets.
    pub ticked: bool,
    /// Why; required: a sign-off must say why it departs from the data.
    pub reason: String,
}

/// Why a sign-off cannot be rendered.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SignoffError {
    #[error(
        "the override of {item:?} has no reason: an override must say why it departs from the data"
    )]
    OverrideWithoutReason { item: String },
    #[error("there is no sign-off item {item:?} to override; the items are: {known}")]
    UnknownItem { item: String, known: String },
    #[error("{item:?} is overridden more than once")]
    DuplicateOverride { item: String },
}

/// What the phase sign-off shows.
#[derive(Clone, Copy, Debug)]
pub struct SignoffInput<'a> {
    /// The rollout's name.
    pub name: &'a str,
    /// Every phase of the rollout (for the next phase).
    pub phases: &'a [PhaseDefinition],
    /// The phase signed off, with its start where it has one.
    pub phase: &'a PhaseDefinition,
    /// When the sign-off is made: decides what is still pending.
    pub now: Micros,
    /// The phase's criteria as of `now`.
    pub criteria: &'a [CriterionResult],
    /// Alerts over the phase so far: its incidents.
    pub alerts: &'a [Alert],
    /// The phase's validation checklist as of `now`.
    pub checks: &'a [ChecklistItem],
    /// What a person ticked.
    pub manual: ManualChecks,
    /// A person's decisions on data items, each with its reason.
    pub overrides: &'a [Override],
    /// Who approved; "not yet approved" without (or blank).
    pub approved_by: Option<&'a str>,
    /// The decision recorded with the sign-off (a team record); not shown without one.
    pub decision: Option<crate::team::Decision>,
    /// When the next phase starts (planned or actual).
    pub next_phase_start: Option<Micros>,
    /// Observations or concerns before proceeding; "None." without (or blank).
    pub notes: Option<&'a str>,
    /// Set for values from the rollups: bounded percentiles, uncertain alerts.
    pub approximation: Option<&'a Approximation>,
}

/// One data item of the sign-off before overrides.
struct DataItem {
    status: CriterionStatus,
    measured: String,
    /// The percentiles' bound cannot decide it.
    uncertain: bool,
}

fn monitoring_checks_item(input: &SignoffInput<'_>) -> DataItem {
    let checks = input.checks;
    if checks.is_empty() {
        return DataItem {
            status: CriterionStatus::NoData,
            measured: "no scheduled checks: the phase has not started".to_owned(),
            uncertain: false,
        };
    }
    let count = |f: fn(&Verdict) -> bool| checks.iter().filter(|c| f(&c.data_verdict)).count();
    let not_due = count(|v| *v == Verdict::NotDue);
    let no_data = count(|v| *v == Verdict::NoData);
    let ok = count(|v| *v == Verdict::Ok);
    let issues = count(|v| matches!(v, Verdict::Issues(_)));
    let due = checks.len() - not_due;
    let measured = format!(
        "{due} of {} scheduled checks due: {ok} OK, {issues} with issues, {no_data} without data",
        checks.len()
    );
    let status = if not_due > 0 {
        CriterionStatus::Pending
    } else if no_data > 0 {
        // A check of an hour without data was not made from data.
        CriterionStatus::Fail
    } else {
        CriterionStatus::Pass
    };
    DataItem {
        status,
        measured,
        uncertain: false,
    }
}

fn critical_incidents_item(input: &SignoffInput<'_>) -> DataItem {
    let critical: Vec<&Alert> = input
        .alerts
        .iter()
        .filter(|a| a.level >= Level::Critical)
        .collect();
    let state = phase_state(input.phase, input.now);
    // Some measured value means the phase had data; no data proves no absence of incidents.
    let has_data = input.criteria.iter().any(|c| c.measured.value.is_some());
    let uncertain: Vec<&Alert> = input
        .approximation
        .map_or(&[][..], |x| &x.phase_uncertain_alerts)
        .iter()
        .filter(|a| a.level >= Level::Critical)
        .collect();
    if critical.is_empty() && !uncertain.is_empty() {
        let noun = if uncertain.len() == 1 {
            "alert"
        } else {
            "alerts"
        };
        return DataItem {
            status: CriterionStatus::Pending,
            measured: format!(
                "none certain; {} critical or emergency {noun} uncertain within the percentiles' \
                 bound: {}",
                uncertain.len(),
                alert_list(&uncertain)
            ),
            uncertain: true,
        };
    }
    if critical.is_empty() {
        let (status, measured) = match state {
            PhaseState::NotStarted => (CriterionStatus::NoData, "the phase has not started"),
            _ if !has_data => (CriterionStatus::NoData, "no data"),
            PhaseState::Running(_) => (CriterionStatus::Pending, "none so far"),
            PhaseState::Complete(_) => (CriterionStatus::Pass, "none"),
        };
        return DataItem {
            status,
            measured: measured.to_owned(),
            uncertain: false,
        };
    }
    let noun = if critical.len() == 1 {
        "alert"
    } else {
        "alerts"
    };
    DataItem {
        // An incident cannot un-happen: failed as soon as it fires, as the criterion does.
        status: CriterionStatus::Fail,
        measured: format!(
            "{} critical or emergency {noun}: {}",
            critical.len(),
            alert_list(&critical)
        ),
        uncertain: false,
    }
}

/// The first three alerts (`` `p95_latency` critical from … ``) and how many more.
fn alert_list(alerts: &[&Alert]) -> String {
    const SHOWN: usize = 3;
    let mut listed: Vec<String> = alerts
        .iter()
        .take(SHOWN)
        .map(|a| {
            format!(
                "`{}` {} from {}",
                a.metric.as_str(),
                a.level.as_str(),
                format_second(a.since)
            )
        })
        .collect();
    if alerts.len() > SHOWN {
        listed.push(format!("{} more", alerts.len() - SHOWN));
    }
    listed.join(", ")
}

/// The overrides by item, checked: each has a reason, names a known item, and appears once.
fn checked_overrides<'a>(input: &SignoffInput<'a>) -> Result<Vec<&'a Override>, SignoffError> {
    let mut known: Vec<&str> = vec![
        ITEM_MONITORING_CHECKS,
        ITEM_SUCCESS_CRITERIA,
        ITEM_CRITICAL_INCIDENTS,
    ];
    known.extend(input.criteria.iter().map(|c| c.id.as_str()));
    let mut seen: Vec<&Override> = Vec::new();
    for o in input.overrides {
        if !known.contains(&o.item.as_str()) {
            return Err(SignoffError::UnknownItem {
                item: o.item.clone(),
                known: known.join(", "),
            });
        }
        if o.reason.trim().is_empty() {
            return Err(SignoffError::OverrideWithoutReason {
                item: o.item.clone(),
            });
        }
        if seen.iter().any(|s| s.item == o.item) {
            return Err(SignoffError::DuplicateOverride {
                item: o.item.clone(),
            });
        }
        seen.push(o);
    }
    Ok(seen)
}

/// A checklist line: `- [x] label: measured (status)`, with the override where there is one;
/// `uncertain` (a bound straddling the target) shows instead of the status.
fn item_line(
    out: &mut String,
    indent: &str,
    label: &str,
    measured: &str,
    (status, uncertain): (CriterionStatus, bool),
    ov: Option<&Override>,
) -> bool {
    let ticked = ov.map_or(status == CriterionStatus::Pass, |o| o.ticked);
    let mark = if ticked { "x" } else { " " };
    let decision = match ov {
        Some(o) => format!(
            "; **overridden** to {} by a person: {}",
            if o.ticked { "ticked" } else { "not ticked" },
            escape_markdown(&o.reason)
        ),
        None => String::new(),
    };
    let status = if uncertain {
        UNCERTAIN_TEXT
    } else {
        criterion_status_text(status)
    };
    let _ = writeln!(
        out,
        "{indent}- [{mark}] {label}: {measured} ({status}{decision})"
    );
    ticked
}

/// The guide's "Phase Transition Approval" for one phase, as GitHub-flavoured Markdown: the
/// "Criteria for Phase N → Phase N+1" checklist filled from the data (each with its measured
/// value and status), the manual items as ticked, overrides with their reasons, and the
/// approval block. Fails when an override has no reason, names no item, or repeats one.
pub fn phase_signoff(input: &SignoffInput<'_>) -> Result<String, SignoffError> {
    let overrides = checked_overrides(input)?;
    let find = |item: &str| overrides.iter().copied().find(|o| o.item == item);
    let def = input.phase;
    let n = def.number;
    let next = next_phase(input.phases, def);
    let target = next.map_or_else(
        || "Rollout complete".to_owned(),
        |p| format!("Phase {}", p.number),
    );
    let state = phase_state(def, input.now);

    let mut body = String::new();
    let mut ticks = Vec::new();

    let checks = monitoring_checks_item(input);
    ticks.push(item_line(
        &mut body,
        "",
        &format!("All {}h monitoring checks completed", hours(def.duration)),
        &checks.measured,
        (checks.status, false),
        find(ITEM_MONITORING_CHECKS),
    ));

    // The criteria: each a sub-item (overridable on its own); the parent ticks when all do.
    let mut sub = String::new();
    let mut criteria_ticked = 0;
    let mut failed = Vec::new();
    let mut pending = Vec::new();
    let mut uncertain = Vec::new();
    for c in input.criteria {
        let ticked = item_line(
            &mut sub,
            "  ",
            &cell(&c.criterion),
            &format!("{}, target {}", cell(&c.measured.display), cell(&c.target)),
            (c.status, c.uncertain),
            find(&c.id),
        );
        if ticked {
            criteria_ticked += 1;
        } else if c.uncertain {
            uncertain.push(cell(&c.criterion));
        } else if c.status == CriterionStatus::Pending {
            pending.push(cell(&c.criterion));
        } else {
            failed.push(cell(&c.criterion));
        }
    }
    let total = input.criteria.len();
    let criteria_status = if total == 0 {
        CriterionStatus::NoData
    } else if criteria_ticked == total {
        CriterionStatus::Pass
    } else if !failed.is_empty() {
        CriterionStatus::Fail
    } else {
        CriterionStatus::Pending
    };
    let overridden = input
        .criteria
        .iter()
        .filter(|c| find(&c.id).is_some())
        .count();
    let mut measured = if total == 0 {
        "no criteria judged: the phase has not started".to_owned()
    } else {
        format!("{criteria_ticked} of {total} met")
    };
    if overridden > 0 {
        let _ = write!(measured, " ({overridden} by override)");
    }
    if !failed.is_empty() {
        let _ = write!(measured, "; not met: {}", failed.join("; "));
    }
    if !pending.is_empty() {
        let _ = write!(measured, "; pending: {}", pending.join("; "));
    }
    if !uncertain.is_empty() {
        let _ = write!(measured, "; uncertain: {}", uncertain.join("; "));
    }
    ticks.push(item_line(
        &mut body,
        "",
        "All success criteria met consistently",
        &measured,
        (criteria_status, false),
        find(ITEM_SUCCESS_CRITERIA),
    ));
    body.push_str(&sub);

    let incidents = critical_incidents_item(input);
    ticks.push(item_line(
        &mut body,
        "",
        &format!("No critical incidents during Phase {n}"),
        &incidents.measured,
        (incidents.status, incidents.uncertain),
        find(ITEM_CRITICAL_INCIDENTS),
    ));

    let manual = [
        (
            format!("Post-Phase {n} review completed"),
            input.manual.post_phase_review,
        ),
        (
            "Technical Lead approval obtained".to_owned(),
            input.manual.technical_lead_approval,
        ),
        (
            "Runbooks validated (at least one test invocation)".to_owned(),
            input.manual.runbooks_validated,
        ),
    ];
    for (label, ticked) in manual {
        let (mark, by) = if ticked {
            ("x", "confirmed by a person")
        } else {
            (" ", "not yet confirmed by a person")
        };
        let _ = writeln!(body, "- [{mark}] {label} ({by})");
        ticks.push(ticked);
    }

    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Phase {n} Sign-off - {} ({} traffic)\n",
        escape_markdown(input.name),
        traffic(def)
    );
    let open = ticks.iter().filter(|t| !**t).count();
    let ready = if open == 0 {
        "✅ yes: every item is ticked".to_owned()
    } else {
        let noun = if open == 1 { "item is" } else { "items are" };
        format!("❌ no: {open} of {} {noun} not ticked", ticks.len())
    };
    if let Some(x) = input.approximation {
        let _ = writeln!(out, "{}\n", x.notice());
    }
    let _ = writeln!(out, "**Ready for {target}:** {ready}\n");
    let _ = writeln!(out, "## Criteria for Phase {n} → {target}\n");
    out.push_str(&body);

    if !overrides.is_empty() {
        let _ = writeln!(out, "\n### Overrides\n");
        for o in &overrides {
            let label = match o.item.as_str() {
                ITEM_MONITORING_CHECKS => "All monitoring checks completed".to_owned(),
                ITEM_SUCCESS_CRITERIA => "All success criteria met consistently".to_owned(),
                ITEM_CRITICAL_INCIDENTS => format!("No critical incidents during Phase {n}"),
                id => input
                    .criteria
                    .iter()
                    .find(|c| c.id == id)
                    .map_or_else(|| cell(id), |c| cell(&c.criterion)),
            };
            let _ = writeln!(
                out,
                "- {label}: set to {}. Reason: {}",
                if o.ticked { "ticked" } else { "not ticked" },
                escape_markdown(&o.reason)
            );
        }
    }

    let completion = match state {
        PhaseState::NotStarted => "not started".to_owned(),
        PhaseState::Running(w) => format!("pending (the phase ends {})", format_minute(w.to)),
        PhaseState::Complete(w) => format_minute(w.to),
    };
    let approver = input
        .approved_by
        .filter(|a| !a.trim().is_empty())
        .map_or_else(|| "not yet approved".to_owned(), escape_markdown);
    let next_start = match (next, input.next_phase_start) {
        (None, _) => format!("none: Phase {n} is the last phase"),
        (Some(_), Some(t)) => format_minute(t),
        (Some(_), None) => "to be scheduled".to_owned(),
    };
    let _ = writeln!(out, "\n## Approval Sign-off\n");
    let _ = writeln!(out, "- **Phase {n} Completion:** {completion}");
    let _ = writeln!(out, "- **Approved by:** {approver}");
    if let Some(decision) = input.decision {
        let _ = writeln!(out, "- **Decision:** {}", decision.label());
    }
    let _ = writeln!(out, "- **Next Phase Start:** {next_start}");
    let _ = writeln!(out, "\n**Notes:**\n");
    match input.notes.filter(|t| !t.trim().is_empty()) {
        Some(notes) => {
            let _ = writeln!(out, "> {}", escape_markdown(notes));
        }
        None => {
            let _ = writeln!(out, "None.");
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// The validation checklist's export

/// A person's tick and note on one scheduled check.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CheckMark<'a> {
    pub ticked: bool,
    /// The note as typed (empty: none).
    pub note: &'a str,
}

/// The phase's validation checklist as GitHub-flavoured Markdown: one task-list item per check
/// (`- [x]` / `- [ ]`) with its due time, the data's verdict (and its issues) and the person's
/// note. `mark` gives the tick and note of a check's hour; every text is escaped with
/// [`escape_markdown`], so a note cannot break the list or inject HTML.
pub fn checklist_markdown<'a>(
    phase: u8,
    items: &[ChecklistItem],
    mark: impl Fn(u32) -> CheckMark<'a>,
    exported_at: Micros,
) -> String {
    let mut md = format!("# Phase {phase} validation checklist\n\n");
    let ticked = items.iter().filter(|i| mark(i.hour).ticked).count();
    let _ = write!(
        md,
        "Exported from Canary Console at {}: {ticked} of {} checks ticked. Each data verdict is \
         computed from the events of the hour before the check.\n\n",
        format_minute(exported_at),
        items.len()
    );
    if items.is_empty() {
        md.push_str("No scheduled check: the phase has not started.\n");
        return md;
    }
    for item in items {
        let CheckMark { ticked, note } = mark(item.hour);
        let _ = writeln!(
            md,
            "- [{}] {} (due {})",
            if ticked { 'x' } else { ' ' },
            escape_markdown(&item.label),
            format_minute(item.due)
        );
        let _ = writeln!(md, "  - Data: {}", verdict_word(&item.data_verdict));
        if let Verdict::Issues(issues) = &item.data_verdict {
            for issue in issues {
                let _ = writeln!(md, "    - {}", escape_markdown(issue));
            }
        }
        let note = note.trim();
        if !note.is_empty() {
            let _ = writeln!(md, "  - Note: {}", escape_markdown(note));
        }
    }
    md
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::phases::{default_phases, Measured};

    fn check(input: &str, expected: &str) {
        assert_eq!(escape_markdown(input), expected, "{input:?}");
    }

    #[test]
    fn escape_table() {
        check("plain text 123", "plain text 123");
        check("", "");
        check("  padded \t", "padded");
        check("a|b", "a\\|b");
        check("`code`", "\\`code\\`");
        check("*bold* _it_ ~~s~~", "\\*bold\\* \\_it\\_ \\~\\~s\\~\\~");
        check("[link](http://evil)", "\\[link\\](http\\://evil)");
        check("![img](x)", "!\\[img\\](x)");
        check(
            "<script>alert(1)</script>",
            "&lt;script&gt;alert(1)&lt;/script&gt;",
        );
        check("a & b &lt;", "a &amp; b &amp;lt;");
        check("back\\slash", "back\\\\slash");
        check("line1\nline2\r\nline3", "line1 line2  line3");
        check("a\u{2028}b\u{0}c", "a b c");
        check("# heading", "\\# heading");
        check("not # a heading", "not # a heading");
        check("\n# heading after a newline", "\\# heading after a newline");
        check("- item", "\\- item");
        check("+ item", "\\+ item");
        check("===", "\\===");
        check("1. first", "1\\. first");
        check("12) twelfth", "12\\) twelfth");
        check("1.5 ms", "1.5 ms");
        check("7.", "7\\.");
        check("version 1.5", "version 1.5");
        check("> quote", "&gt; quote");
        check("$x$", "\\$x\\$");
        check("see https://evil.example", "see https\\://evil.example");
        check("WWW.evil.example", "WWW\\.evil.example");
        check("a:b no scheme", "a:b no scheme");
        check("    indented code", "indented code");
        check("über café", "über café");
    }

    fn link(url: &str, expected: &str) {
        assert_eq!(markdown_link(url), expected, "{url:?}");
    }

    #[test]
    fn link_table() {
        link(
            "https://example.github.io/canary-console/",
            "[https\\://example.github.io/canary-console/](<https://example.github.io/canary-console/>)",
        );
        link(
            "http://x.example/a b>)<c\\",
            "[http\\://x.example/a b&gt;)&lt;c\\\\](<http://x.example/a%20b%3E)%3Cc%5C>)",
        );
        link(
            "HTTPS://X.EXAMPLE/é",
            "[HTTPS\\://X.EXAMPLE/é](<HTTPS://X.EXAMPLE/%C3%A9>)",
        );
        link(
            "javascript:alert(1)",
            "javascript:alert(1) (not linked: only http and https URLs are)",
        );
        link(
            "https://",
            "https\\:// (not linked: only http and https URLs are)",
        );
    }

    fn phase_at(number: u8, start: Option<Micros>) -> PhaseDefinition {
        let mut p = default_phases()
            .into_iter()
            .find(|p| p.number == number)
            .unwrap();
        p.start = start;
        p
    }

    #[test]
    fn rollout_day_table() {
        let phases = default_phases();
        let s = 1_000 * DAY;
        for (number, start, end, expected) in [
            (1, None, s, 1),
            (1, Some(s), s, 1),
            (1, Some(s), s - 5, 1),
            (1, Some(s), s + 1, 1),
            (1, Some(s), s + DAY, 1),
            (1, Some(s), s + DAY + 1, 2),
            // Phase 2 starts a day into the rollout.
            (2, Some(s + DAY), s + 2 * DAY, 2),
            (3, Some(s + 2 * DAY), s + 3 * DAY, 3),
            (3, Some(s + 2 * DAY), s + 4 * DAY, 4),
        ] {
            let p = phase_at(number, start);
            assert_eq!(
                rollout_day(&phases, &p, end),
                expected,
                "phase {number} start {start:?} end {end}"
            );
        }
        assert_eq!(
            report_date(1_760_745_600_000_000).to_string(),
            "2025-10-17",
            "a period ending at midnight is the day before"
        );
    }

    fn criterion(id: &str, status: CriterionStatus) -> CriterionResult {
        CriterionResult {
            id: id.to_owned(),
            criterion: format!("criterion {id}"),
            target: "< 1".to_owned(),
            measured: Measured {
                value: Some(2.0),
                display: "2".to_owned(),
            },
            status,
            on_track: Some(status == CriterionStatus::Pass),
            uncertain: false,
        }
    }

    fn signoff_with(overrides: &[Override]) -> Result<String, SignoffError> {
        let mut phases = default_phases();
        phases[0].start = Some(crate::demo::PHASE1_START);
        let criteria = [
            criterion("p50_latency", CriterionStatus::Pass),
            criterion("circuit_breaker", CriterionStatus::Fail),
        ];
        let start = crate::demo::PHASE1_START;
        phase_signoff(&SignoffInput {
            name: "r",
            phases: &phases,
            phase: &phases[0],
            now: start + 48 * MICROS_PER_HOUR,
            criteria: &criteria,
            alerts: &[],
            checks: &[],
            manual: ManualChecks::default(),
            overrides,
            approved_by: None,
            decision: None,
            next_phase_start: None,
            notes: None,
            approximation: None,
        })
    }

    fn over(item: &str, ticked: bool, reason: &str) -> Override {
        Override {
            item: item.to_owned(),
            ticked,
            reason: reason.to_owned(),
        }
    }

    #[test]
    fn override_table() {
        let ok = |o: &[Override], needle: &str| {
            let text = signoff_with(o).unwrap();
            assert!(text.contains(needle), "{o:?}: {needle:?} not in\n{text}");
        };
        let err = |o: &[Override], e: SignoffError| assert_eq!(signoff_with(o), Err(e), "{o:?}");
        ok(&[], "- [ ] All success criteria met consistently: 1 of 2 met; not met: criterion circuit\\_breaker (❌ fail)");
        ok(
            &[over("circuit_breaker", true, "planned breaker drill")],
            "  - [x] criterion circuit\\_breaker: 2, target &lt; 1 (❌ fail; **overridden** to ticked by a person: planned breaker drill)",
        );
        ok(
            &[over("circuit_breaker", true, "drill")],
            "- [x] All success criteria met consistently: 2 of 2 met (1 by override) (✅ pass)",
        );
        ok(
            &[over("p50_latency", false, "measured on a holiday")],
            "  - [ ] criterion p50\\_latency: 2, target &lt; 1 (✅ pass; **overridden** to not ticked",
        );
        ok(
            &[over(ITEM_CRITICAL_INCIDENTS, false, "a customer-reported outage")],
            "- [ ] No critical incidents during Phase 1: none (✅ pass; **overridden** to not ticked",
        );
        err(
            &[over("circuit_breaker", true, "")],
            SignoffError::OverrideWithoutReason {
                item: "circuit_breaker".into(),
            },
        );
        err(
            &[over("circuit_breaker", true, " \n\t")],
            SignoffError::OverrideWithoutReason {
                item: "circuit_breaker".into(),
            },
        );
        err(
            &[over("p50_latency", false, "")],
            SignoffError::OverrideWithoutReason {
                item: "p50_latency".into(),
            },
        );
        err(
            &[over("nonsense", true, "why not")],
            SignoffError::UnknownItem {
                item: "nonsense".into(),
                known: "monitoring_checks, success_criteria, critical_incidents, p50_latency, circuit_breaker".into(),
            },
        );
        err(
            &[
                over("p50_latency", true, "a"),
                over("p50_latency", true, "b"),
            ],
            SignoffError::DuplicateOverride {
                item: "p50_latency".into(),
            },
        );
        assert_eq!(
            SignoffError::OverrideWithoutReason {
                item: "circuit_breaker".into()
            }
            .to_string(),
            "the override of \"circuit_breaker\" has no reason: an override must say why it departs from the data"
        );
    }

    #[test]
    fn status_follows_the_worst_level() {
        let phases = default_phases();
        let m = metrics::compute(&EventStore::new(), None);
        let alert = |level| Alert {
            metric: MetricId::ErrorRate,
            level,
            threshold: Some(1.0),
            since: to_datetime(0),
            until: None,
            worst_value: 3.0,
        };
        for (levels, expected) in [
            (vec![], "✅ On Track"),
            (vec![Level::Warning], "⚠️ Issues Detected"),
            (vec![Level::Warning, Level::Critical], "⚠️ Issues Detected"),
            (
                vec![Level::Emergency, Level::Warning],
                "🚨 Rollback Required",
            ),
        ] {
            let alerts: Vec<Alert> = levels.into_iter().map(alert).collect();
            let text = daily_email(&EmailInput {
                name: "r",
                phases: &phases,
                phase: &phases[0],
                day: 1,
                days: 3,
                date: NaiveDate::from_ymd_opt(2025, 10, 17).unwrap(),
                now: 0,
                metrics: &m,
                alerts: &alerts,
                criteria: &[],
                cohorts: None,
                dashboard_url: None,
                signoffs: None,
                approximation: None,
            });
            assert!(
                text.contains(&format!("- **Status:** {expected}")),
                "{expected}:\n{text}"
            );
        }
    }

    #[test]
    fn email_lists_the_periods_signoffs_only_when_read() {
        use crate::team::{sha256_hex, Decision, SignoffRecord};
        let phases = default_phases();
        let m = metrics::compute(&EventStore::new(), None);
        let record =
            |id: i64, decision: Decision, email: &str, supersedes: Option<i64>| SignoffRecord {
                id,
                rollout: "r".into(),
                phase: 1,
                decision,
                criteria: vec![],
                markdown: "m".into(),
                markdown_sha256: sha256_hex("m"),
                notes: None,
                supersedes,
                approver_id: "u".into(),
                approver_email: Some(email.into()),
                signed_at: 1_760_639_700_000_000,
            };
        let records = [
            record(1, Decision::Approve, "jane_doe@example.com", None),
            record(2, Decision::Hold, "lead@example.com", Some(1)),
        ];
        let email = |signoffs: Option<&[SignoffRecord]>| {
            daily_email(&EmailInput {
                name: "r",
                phases: &phases,
                phase: &phases[0],
                day: 1,
                days: 3,
                date: NaiveDate::from_ymd_opt(2025, 10, 17).unwrap(),
                now: 0,
                metrics: &m,
                alerts: &[],
                criteria: &[],
                cohorts: None,
                dashboard_url: None,
                signoffs,
                approximation: None,
            })
        };
        for (signoffs, expected) in [
            (None, None),
            (Some(&records[..0]), Some("## Sign-offs in this period\n\nNone.\n")),
            (
                Some(&records[..]),
                Some(
                    "## Sign-offs in this period\n\n\
                     - Phase 1 → 2 approved by jane\\_doe@example.com at 2025-10-16 18:35 UTC (since corrected)\n\
                     - Phase 1 held by lead@example.com at 2025-10-16 18:35 UTC, correcting record 1\n",
                ),
            ),
        ] {
            let text = email(signoffs);
            match expected {
                None => assert!(!text.contains("Sign-offs"), "{text}"),
                Some(section) => assert!(text.contains(section), "{text}"),
            }
        }
    }

    #[test]
    fn subject_is_plain_text() {
        let phases = default_phases();
        let m = metrics::compute(&EventStore::new(), None);
        let input = EmailInput {
            name: "my_roll\nout",
            phases: &phases,
            phase: &phases[1],
            day: 2,
            days: 3,
            date: NaiveDate::from_ymd_opt(2025, 10, 18).unwrap(),
            now: 0,
            metrics: &m,
            alerts: &[],
            criteria: &[],
            cohorts: None,
            dashboard_url: None,
            signoffs: None,
            approximation: None,
        };
        assert_eq!(
            email_subject(&input),
            "[CANARY] Day 2/3 - my_roll out Phase 2 Status"
        );
        assert!(daily_email(&input)
            .starts_with("Subject: [CANARY] Day 2/3 - my\\_roll out Phase 2 Status\n\n"));
    }

    fn check_item(hour: u32, verdict: Verdict) -> ChecklistItem {
        ChecklistItem {
            hour,
            label: format!("Hour {hour}: Cache hit rate >95%"),
            due: crate::demo::PHASE1_START + i64::from(hour) * MICROS_PER_HOUR,
            data_verdict: verdict,
        }
    }

    #[test]
    fn checklist_export() {
        let items = vec![
            check_item(1, Verdict::Ok),
            check_item(
                2,
                Verdict::Issues(vec!["Alert error_rate critical | since 01:00".into()]),
            ),
            check_item(3, Verdict::NoData),
            check_item(4, Verdict::NotDue),
        ];
        let mark = |hour| match hour {
            1 => CheckMark {
                ticked: true,
                note: "looked at *all* panels\n<b>ok</b>",
            },
            2 => CheckMark {
                ticked: false,
                note: "  ",
            },
            _ => CheckMark::default(),
        };
        let start = crate::demo::PHASE1_START;
        let md = checklist_markdown(1, &items, mark, start + 5 * MICROS_PER_HOUR);
        assert_eq!(
            md,
            "# Phase 1 validation checklist\n\n\
             Exported from Canary Console at 2025-10-16 23:35 UTC: 1 of 4 checks ticked. Each \
             data verdict is computed from the events of the hour before the check.\n\n\
             - [x] Hour 1: Cache hit rate &gt;95% (due 2025-10-16 19:35 UTC)\n  - Data: OK\n  \
             - Note: looked at \\*all\\* panels &lt;b&gt;ok&lt;/b&gt;\n\
             - [ ] Hour 2: Cache hit rate &gt;95% (due 2025-10-16 20:35 UTC)\n  - Data: issues\n    \
             - Alert error\\_rate critical \\| since 01:00\n\
             - [ ] Hour 3: Cache hit rate &gt;95% (due 2025-10-16 21:35 UTC)\n  - Data: no data\n\
             - [ ] Hour 4: Cache hit rate &gt;95% (due 2025-10-16 22:35 UTC)\n  - Data: not due\n"
        );
        let empty = checklist_markdown(2, &[], |_| CheckMark::default(), start);
        assert!(empty.ends_with("No scheduled check: the phase has not started.\n"));
        assert!(empty.contains("0 of 0 checks ticked"));

        // Bidi controls and zero-width characters in a note or an issue are neutralised too.
        let items = [check_item(
            1,
            Verdict::Issues(vec!["key a\u{202E}exe.txt".into()]),
        )];
        let mark = |_| CheckMark {
            ticked: false,
            note: "ok\u{200B}\u{2066}",
        };
        let md = checklist_markdown(1, &items, mark, start);
        assert!(md.contains("    - key a\u{FFFD}exe.txt\n"), "{md}");
        assert!(md.contains("  - Note: ok\u{FFFD}\u{FFFD}\n"), "{md}");
        assert!(!md.chars().any(is_invisible_format), "{md}");
    }

    #[test]
    fn neutralise_invisible_table() {
        let check = |input: &str, expected: &str| {
            assert_eq!(neutralise_invisible(input), expected, "{input:?}");
        };
        check("", "");
        check("Mem0TimeoutError", "Mem0TimeoutError");
        // Markup is left alone: the page's text nodes show it as typed.
        check("<b>*x*</b> | a\nb", "<b>*x*</b> | a\nb");
        check("a\u{202E}exe.txt", "a\u{FFFD}exe.txt");
        check("\u{200B}\u{200D}\u{FEFF}", "\u{FFFD}\u{FFFD}\u{FFFD}");
        check("\u{2066}x\u{2069}", "\u{FFFD}x\u{FFFD}");
        check("é – ✓", "é – ✓");
    }
}
