//! The rollout as a team record: phase settings shared by the team, phase sign-offs as
//! append-only records, and checklist ticks with who made them. Plain values; the Supabase
//! requests and their wire format are `supabase::records`, the tables `sql/005_team_records.sql`.
//!
//! A sign-off record carries the phase's criteria with their measured values as data, the
//! Markdown exactly as rendered and its SHA-256 (the database refuses a hash that is not the
//! Markdown's), the decision and the notes. Who signed and when are the database's (from the
//! JWT and its clock), never the client's. A correction is a new record that supersedes one.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::event::{Micros, MICROS_PER_HOUR};
use crate::phases::{CriterionResult, CriterionStatus, PhaseDefinition};
use crate::time::{format_minute, format_rfc3339};

/// What the approver decided for the phase (the guide's "Phase Transition Approval").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// The next phase may start (or, after the last phase, the rollout is complete).
    Approve,
    /// Stay in this phase.
    Hold,
    /// Roll this phase back.
    Rollback,
}

impl Decision {
    /// Every decision, in the order forms offer them.
    pub const ALL: [Decision; 3] = [Decision::Approve, Decision::Hold, Decision::Rollback];

    /// The value stored in the database and taken on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Approve => "approve",
            Decision::Hold => "hold",
            Decision::Rollback => "rollback",
        }
    }

    /// The decision named by [`Decision::as_str`].
    pub fn parse(text: &str) -> Option<Decision> {
        Decision::ALL
            .into_iter()
            .find(|d| d.as_str() == text.trim())
    }

    /// For people: `Approve the next phase`, `Hold in this phase`, `Roll back`.
    pub fn label(self) -> &'static str {
        match self {
            Decision::Approve => "Approve the next phase",
            Decision::Hold => "Hold in this phase",
            Decision::Rollback => "Roll back",
        }
    }
}

/// One criterion as a sign-off records it: what was judged, the measured value and its text.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CriterionRecord {
    pub id: String,
    pub criterion: String,
    pub target: String,
    /// The number behind `display`; `None` when nothing was measured.
    pub value: Option<f64>,
    pub display: String,
    pub status: CriterionStatus,
}

impl From<&CriterionResult> for CriterionRecord {
    fn from(c: &CriterionResult) -> CriterionRecord {
        CriterionRecord {
            id: c.id.clone(),
            criterion: c.criterion.clone(),
            target: c.target.clone(),
            // JSON has no NaN or infinity: a value that is not finite is recorded as none.
            value: c.measured.value.filter(|v| v.is_finite()),
            display: c.measured.display.clone(),
            status: c.status,
        }
    }
}

/// A sign-off about to be recorded: everything but who and when, which the database sets.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NewSignoff {
    pub rollout: String,
    pub phase: u8,
    pub decision: Decision,
    pub criteria: Vec<CriterionRecord>,
    /// The sign-off exactly as rendered (`report::phase_signoff`).
    pub markdown: String,
    /// Lower-case hex SHA-256 of `markdown`'s UTF-8 bytes.
    pub markdown_sha256: String,
    pub notes: Option<String>,
    /// The record this one corrects.
    pub supersedes: Option<i64>,
}

impl NewSignoff {
    /// The record of a rendered sign-off: its criteria as data and the Markdown with its hash.
    /// Blank notes are none.
    pub fn new(
        rollout: &str,
        phase: u8,
        decision: Decision,
        criteria: &[CriterionResult],
        markdown: String,
        notes: Option<&str>,
        supersedes: Option<i64>,
    ) -> NewSignoff {
        NewSignoff {
            rollout: rollout.to_owned(),
            phase,
            decision,
            criteria: criteria.iter().map(CriterionRecord::from).collect(),
            markdown_sha256: sha256_hex(&markdown),
            markdown,
            notes: notes.filter(|n| !n.trim().is_empty()).map(str::to_owned),
            supersedes,
        }
    }
}

/// A recorded sign-off.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SignoffRecord {
    pub id: i64,
    pub rollout: String,
    pub phase: u8,
    pub decision: Decision,
    pub criteria: Vec<CriterionRecord>,
    pub markdown: String,
    pub markdown_sha256: String,
    pub notes: Option<String>,
    pub supersedes: Option<i64>,
    /// The signer's user id (`auth.users.id`), from their JWT.
    pub approver_id: String,
    /// The signer's email, from their JWT.
    pub approver_email: Option<String>,
    /// When the database recorded it.
    #[serde(serialize_with = "rfc3339")]
    pub signed_at: Micros,
}

impl SignoffRecord {
    /// Whether `markdown_sha256` is the SHA-256 of `markdown` (the database checks it on
    /// insert; a reader checks again what it received).
    pub fn hash_matches(&self) -> bool {
        self.markdown_sha256 == sha256_hex(&self.markdown)
    }

    /// The signer, for people: the email, else the user id.
    pub fn approver(&self) -> &str {
        self.approver_email
            .as_deref()
            .filter(|e| !e.is_empty())
            .unwrap_or(&self.approver_id)
    }

    /// `Phase 1 → 2 approved by jane@example.com at 2025-10-16 18:35 UTC` (the last phase:
    /// `Phase 3 approved: rollout complete, by …`); `Phase 1 held by …`; `Phase 1 rolled back by …`.
    pub fn headline(&self, phases: &[PhaseDefinition]) -> String {
        let n = self.phase;
        let next = phases.iter().map(|p| p.number).filter(|&p| p > n).min();
        let what = match (self.decision, next) {
            (Decision::Approve, Some(next)) => format!("Phase {n} → {next} approved"),
            (Decision::Approve, None) => format!("Phase {n} approved (rollout complete)"),
            (Decision::Hold, _) => format!("Phase {n} held"),
            (Decision::Rollback, _) => format!("Phase {n} rolled back"),
        };
        format!(
            "{what} by {} at {}",
            self.approver(),
            format_minute(self.signed_at)
        )
    }
}

/// The records no later record supersedes, in the given order.
pub fn current_signoffs(records: &[SignoffRecord]) -> impl Iterator<Item = &SignoffRecord> {
    records
        .iter()
        .filter(move |r| !records.iter().any(|o| o.supersedes == Some(r.id)))
}

/// The phase's standing decision: its newest sign-off that no record supersedes.
pub fn latest_signoff(records: &[SignoffRecord], phase: u8) -> Option<&SignoffRecord> {
    current_signoffs(records)
        .filter(|r| r.phase == phase)
        .max_by_key(|r| (r.signed_at, r.id))
}

/// The newest record of a phase, superseded or not: a form opened before it was made was
/// opened on an older state ("someone signed while the form was open").
pub fn newest_id(records: &[SignoffRecord], phase: u8) -> Option<i64> {
    records
        .iter()
        .filter(|r| r.phase == phase)
        .map(|r| r.id)
        .max()
}

/// The sign-offs of `[from, to)`, as the daily email lists them: one line each.
pub fn signoff_lines(records: &[SignoffRecord], phases: &[PhaseDefinition]) -> Vec<String> {
    records
        .iter()
        .map(|r| {
            let mut line = r.headline(phases);
            if let Some(old) = r.supersedes {
                let _ = write!(line, ", correcting record {old}");
            }
            if records.iter().any(|o| o.supersedes == Some(r.id)) {
                line.push_str(" (since corrected)");
            }
            line
        })
        .collect()
}

/// A phase as the team set it: traffic, start, planned length and configuration.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PhaseSetting {
    pub rollout: String,
    pub phase: u8,
    pub traffic_pct: f64,
    /// `None`: not set yet.
    #[serde(serialize_with = "rfc3339_opt")]
    pub starts_at: Option<Micros>,
    pub planned_hours: f64,
    pub fast_path_enabled: bool,
    pub canary_sample_rate: f64,
    /// Who changed it last, and when.
    pub updated_by_email: Option<String>,
    #[serde(serialize_with = "rfc3339")]
    pub updated_at: Micros,
}

/// Applies the team's settings to the phase definitions of the same number: traffic, start,
/// length and configuration. A start given by a person for one run (`--phase-start`, the page's
/// own field for files) is applied after this and wins. Settings of phases that are not defined
/// are ignored.
pub fn apply_phase_settings(settings: &[PhaseSetting], phases: &mut [PhaseDefinition]) {
    for s in settings {
        if let Some(p) = phases.iter_mut().find(|p| p.number == s.phase) {
            p.traffic_pct = s.traffic_pct;
            p.start = s.starts_at;
            // planned_hours is checked in (0, 8760] by the table; rounded to the microsecond.
            p.duration = (s.planned_hours * MICROS_PER_HOUR as f64).round() as Micros;
            p.config.fast_path_enabled = s.fast_path_enabled;
            p.config.canary_sample_rate = s.canary_sample_rate;
        }
    }
}

/// One tick, untick or note on a checklist item, as recorded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Tick {
    pub id: i64,
    pub rollout: String,
    pub phase: u8,
    /// The scheduled check: [`tick_item`] (`hour4`).
    pub item: String,
    pub ticked: bool,
    pub note: String,
    pub ticked_by_email: Option<String>,
    #[serde(serialize_with = "rfc3339")]
    pub ticked_at: Micros,
}

/// The item name of the scheduled check at `hour` of a phase.
pub fn tick_item(hour: u32) -> String {
    format!("hour{hour}")
}

/// A time as RFC 3339 in JSON output (`2025-10-16T18:35:00Z`).
fn rfc3339<S: serde::Serializer>(t: &Micros, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format_rfc3339(*t))
}

fn rfc3339_opt<S: serde::Serializer>(t: &Option<Micros>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => rfc3339(t, s),
        None => s.serialize_none(),
    }
}

/// Lower-case hex SHA-256 of `text`'s UTF-8 bytes, as the database computes it
/// (`encode(sha256(convert_to(markdown, 'UTF8')), 'hex')`).
pub fn sha256_hex(text: &str) -> String {
    use sha2::Digest as _;
    let digest = sha2::Sha256::digest(text.as_bytes());
    let mut out = String::with_capacity(64);
    for b in digest {
        let _ = write!(out, "{b:02x}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::phases::{default_phases, Measured};

    fn record(
        id: i64,
        phase: u8,
        decision: Decision,
        supersedes: Option<i64>,
        at: Micros,
    ) -> SignoffRecord {
        let markdown = format!("# record {id}\n");
        SignoffRecord {
            id,
            rollout: "r".into(),
            phase,
            decision,
            criteria: vec![],
            markdown_sha256: sha256_hex(&markdown),
            markdown,
            notes: None,
            supersedes,
            approver_id: "00000000-0000-4000-8000-000000000001".into(),
            approver_email: Some("oncall@example.com".into()),
            signed_at: at,
        }
    }

    fn check<T: PartialEq + std::fmt::Debug>(input: &str, got: T, expected: T) {
        assert_eq!(got, expected, "{input}");
    }

    #[test]
    fn sha256_is_the_databases() {
        // sha256('') and sha256('abc') as PostgreSQL's sha256() gives them; a non-ASCII text
        // hashed as its UTF-8 bytes (select encode(sha256(convert_to('→ é', 'UTF8')), 'hex')).
        for (input, expected) in [
            (
                "",
                "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            ),
            (
                "abc",
                "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
            ),
            (
                "→ é",
                "8824a042588a7cf007aec00901b4c9d5f323bd0e6f3ebc9c0d5a115fdab26263",
            ),
        ] {
            check(input, sha256_hex(input), expected.to_owned());
        }
    }

    #[test]
    fn decisions_round_trip() {
        for d in Decision::ALL {
            check(d.as_str(), Decision::parse(d.as_str()), Some(d));
        }
        check("empty", Decision::parse(""), None);
        check("other", Decision::parse("approved"), None);
        check("spaces", Decision::parse(" hold "), Some(Decision::Hold));
    }

    #[test]
    fn new_signoff_records_criteria_as_data() {
        let criteria = vec![
            CriterionResult {
                id: "error_rate".into(),
                criterion: "Error rate".into(),
                target: "< 0.5 %".into(),
                measured: Measured {
                    value: Some(0.4),
                    display: "0.40 %".into(),
                },
                status: CriterionStatus::Pass,
                on_track: Some(true),
                uncertain: false,
            },
            CriterionResult {
                id: "p95".into(),
                criterion: "P95".into(),
                target: "< 500 ms".into(),
                measured: Measured {
                    value: Some(f64::NAN),
                    display: "no data".into(),
                },
                status: CriterionStatus::NoData,
                on_track: None,
                uncertain: false,
            },
        ];
        let s = NewSignoff::new(
            "r",
            1,
            Decision::Approve,
            &criteria,
            "# x\n".into(),
            Some("  "),
            None,
        );
        check("hash", s.markdown_sha256.clone(), sha256_hex("# x\n"));
        check("blank notes", s.notes.clone(), None);
        check("value", s.criteria[0].value, Some(0.4));
        check("NaN is none", s.criteria[1].value, None);
        check("status", s.criteria[1].status, CriterionStatus::NoData);
        let json = serde_json::to_value(&s).unwrap();
        check(
            "wire decision",
            json["decision"].clone(),
            serde_json::json!("approve"),
        );
        check(
            "wire status",
            json["criteria"][0]["status"].clone(),
            serde_json::json!("pass"),
        );
        check(
            "no criteria",
            NewSignoff::new("r", 1, Decision::Hold, &[], "m".into(), Some("n"), Some(3))
                .criteria
                .len(),
            0,
        );
    }

    #[test]
    fn headlines_and_standing_decisions() {
        let phases = default_phases();
        let t = 1_760_639_700_000_000; // 2025-10-16 18:35 UTC
        let a = record(1, 1, Decision::Approve, None, t);
        check(
            "approve",
            a.headline(&phases),
            "Phase 1 → 2 approved by oncall@example.com at 2025-10-16 18:35 UTC".into(),
        );
        let last = record(2, 3, Decision::Approve, None, t);
        check(
            "last phase",
            last.headline(&phases),
            "Phase 3 approved (rollout complete) by oncall@example.com at 2025-10-16 18:35 UTC"
                .into(),
        );
        let mut held = record(3, 1, Decision::Hold, None, t);
        held.approver_email = None;
        check(
            "no email",
            held.headline(&phases),
            "Phase 1 held by 00000000-0000-4000-8000-000000000001 at 2025-10-16 18:35 UTC".into(),
        );
        check(
            "rollback",
            record(4, 2, Decision::Rollback, None, t)
                .headline(&phases)
                .starts_with("Phase 2 rolled back by"),
            true,
        );

        // Empty, one, a tie on the time (the higher id wins), a correction.
        check("empty", latest_signoff(&[], 1).map(|r| r.id), None);
        let one = [record(1, 1, Decision::Hold, None, t)];
        check("one", latest_signoff(&one, 1).map(|r| r.id), Some(1));
        check("other phase", latest_signoff(&one, 2).map(|r| r.id), None);
        let tie = [
            record(1, 1, Decision::Hold, None, t),
            record(2, 1, Decision::Approve, None, t),
        ];
        check("tie", latest_signoff(&tie, 1).map(|r| r.id), Some(2));
        // Record 2 corrects record 1 although the clock says it is older: supersession decides.
        let corrected = [
            record(1, 1, Decision::Approve, None, t + 5),
            record(2, 1, Decision::Hold, Some(1), t),
        ];
        check(
            "corrected",
            latest_signoff(&corrected, 1).map(|r| r.id),
            Some(2),
        );
        check(
            "current",
            current_signoffs(&corrected)
                .map(|r| r.id)
                .collect::<Vec<_>>(),
            vec![2],
        );
        check("newest", newest_id(&corrected, 1), Some(2));
        check("lines", signoff_lines(&corrected, &phases), vec![
            "Phase 1 → 2 approved by oncall@example.com at 2025-10-16 18:35 UTC (since corrected)".to_owned(),
            "Phase 1 held by oncall@example.com at 2025-10-16 18:35 UTC, correcting record 1".to_owned(),
        ]);
        check("hash", corrected[0].hash_matches(), true);
        let mut forged = corrected[0].clone();
        forged.markdown.push('!');
        check("forged", forged.hash_matches(), false);
    }

    #[test]
    fn phase_settings_override_the_defaults() {
        let mut phases = default_phases();
        let setting = |phase: u8, start: Option<Micros>, hours: f64| PhaseSetting {
            rollout: "r".into(),
            phase,
            traffic_pct: 12.5,
            starts_at: start,
            planned_hours: hours,
            fast_path_enabled: false,
            canary_sample_rate: 0.25,
            updated_by_email: None,
            updated_at: 0,
        };
        apply_phase_settings(&[], &mut phases);
        check("none", phases, default_phases());
        let mut phases = default_phases();
        apply_phase_settings(
            &[setting(2, Some(7), 1.5), setting(9, Some(1), 1.0)],
            &mut phases,
        );
        let p2 = phases.iter().find(|p| p.number == 2).unwrap();
        check("start", p2.start, Some(7));
        check("duration", p2.duration, 90 * 60 * 1_000_000);
        check("traffic", p2.traffic_pct, 12.5);
        check(
            "config",
            (p2.config.fast_path_enabled, p2.config.canary_sample_rate),
            (false, 0.25),
        );
        check(
            "others untouched",
            phases.iter().find(|p| p.number == 1),
            default_phases().iter().find(|p| p.number == 1),
        );
        check("item", tick_item(4), "hour4".to_owned());
    }
}
