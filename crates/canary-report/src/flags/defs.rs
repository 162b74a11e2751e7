//! Every flag of `canary-report` in one table: its name, its value, its help text, and how it
//! updates the raw arguments. Parsing and `--help` both read this table, so a flag cannot be
//! accepted without being documented, or documented without being accepted.

use canary_core::time::parse_timestamp;
use canary_core::Micros;

use super::raw::{RawArgs, Special};
use crate::error::{usage, CliError};

/// The part of `--help` a flag is listed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    /// Where the events come from.
    Source,
    /// The window, the phase, the time, Redis and the output format.
    Options,
    /// Options of `email` and `signoff` only.
    Report,
    /// Sending the email and chat messages (`email` only).
    Delivery,
    /// `--help` and `--version`, listed last.
    Info,
}

/// How a flag changes the raw arguments, given its value (`None` for a switch).
type Update = fn(&mut RawArgs, Option<String>) -> Result<(), CliError>;

/// One flag.
pub struct Flag {
    /// The long name without `--`.
    pub long: &'static str,
    pub short: Option<char>,
    /// The value's name in the help (`FILE`); `None` for a switch.
    pub value: Option<&'static str>,
    /// What the error says when the value is missing; `None`: `--NAME needs a value`.
    pub missing: Option<&'static str>,
    pub section: Section,
    /// The help text; one `\n` per line of the help.
    pub doc: &'static str,
    pub update: Update,
}

impl Flag {
    /// The error message for a missing value.
    pub fn missing_message(&self) -> String {
        self.missing
            .map_or_else(|| format!("--{} needs a value", self.long), str::to_owned)
    }

    /// How the flag is written in the help: `--input FILE`, `-h, --help`.
    pub fn synopsis(&self) -> String {
        let mut text = match self.short {
            Some(c) => format!("-{c}, --{}", self.long),
            None => format!("--{}", self.long),
        };
        if let Some(value) = self.value {
            text.push(' ');
            text.push_str(value);
        }
        text
    }
}

/// The value of a flag that has one (the parser only passes `None` for switches).
fn value(v: Option<String>) -> String {
    v.unwrap_or_default()
}

/// A time value in any of the accepted forms; the error names the flag.
fn time(flag: &str, v: Option<String>) -> Result<Micros, CliError> {
    parse_timestamp(&value(v)).map_err(|e| usage(format!("{flag}: {e}")))
}

/// Every flag, in the order of `--help`.
pub const FLAGS: &[Flag] = &[
    Flag {
        long: "demo",
        short: None,
        value: None,
        missing: None,
        section: Section::Source,
        doc: "the embedded demo data set (24 h of a Phase 1 canary at 10 %)",
        update: |raw, _| {
            raw.demo = true;
            Ok(())
        },
    },
    Flag {
        long: "input",
        short: None,
        value: Some("FILE"),
        missing: Some("--input needs a file name"),
        section: Section::Source,
        doc: "a CSV export (psql \\copy ... with (format csv, header true), or\n\
              Supabase's CSV export) or a PostgREST JSON array",
        update: |raw, v| {
            raw.input = Some(value(v));
            Ok(())
        },
    },
    Flag {
        long: "supabase-url",
        short: None,
        value: Some("URL"),
        missing: Some("--supabase-url needs the project URL"),
        section: Section::Source,
        doc: "a Supabase project (https://<project-ref>.supabase.co): reads\n\
              observability_events over its REST API, only the rows of\n\
              --from..--to; the key comes from SUPABASE_ANON_KEY (the anon or\n\
              publishable key; service_role and sb_secret_ keys are refused);\n\
              signs in as a team member with SUPABASE_EMAIL + SUPABASE_PASSWORD,\n\
              or SUPABASE_REFRESH_TOKEN_FILE (a refresh token, rotated on every\n\
              run; the first run with the password creates it), or takes\n\
              SUPABASE_ACCESS_TOKEN (a signed-in user's JWT); progress on stderr",
        update: |raw, v| {
            raw.supabase_url = Some(value(v));
            Ok(())
        },
    },
    Flag {
        long: "exact",
        short: None,
        value: None,
        missing: None,
        section: Section::Source,
        doc: "with --supabase-url: read every row of the window, whatever its\n\
              size. Without it a window of more than 1,000,000 rows is read\n\
              from the database's rollups (sql/004_rollups.sql): counts and\n\
              rates exact, percentiles within ±1 % (\"exact\": false,\n\
              \"relative_error\": 0.01 in JSON)",
        update: |raw, _| {
            raw.exact = true;
            Ok(())
        },
    },
    Flag {
        long: "from",
        short: None,
        value: Some("T"),
        missing: Some("--from needs a time, e.g. 2025-10-16T18:35:00Z"),
        section: Section::Options,
        doc: "window start, RFC 3339 (e.g. 2025-10-16T18:35:00Z); default: first event",
        update: |raw, v| {
            raw.from = Some(time("--from", v)?);
            Ok(())
        },
    },
    Flag {
        long: "to",
        short: None,
        value: Some("T"),
        missing: Some("--to needs a time, e.g. 2025-10-16T18:35:00Z"),
        section: Section::Options,
        doc: "window end (exclusive); default: just after the last event",
        update: |raw, v| {
            raw.to = Some(time("--to", v)?);
            Ok(())
        },
    },
    Flag {
        long: "phase",
        short: None,
        value: Some("N"),
        missing: Some("--phase needs 1, 2 or 3"),
        section: Section::Options,
        doc: "evaluate the success criteria of phase N (1, 2 or 3; default 1)",
        update: |raw, v| {
            raw.phase = Some(match value(v).as_str() {
                "1" => 1,
                "2" => 2,
                "3" => 3,
                other => return Err(usage(format!("--phase must be 1, 2 or 3, not {other:?}"))),
            });
            Ok(())
        },
    },
    Flag {
        long: "phase-start",
        short: None,
        value: Some("T"),
        missing: Some("--phase-start needs a time, e.g. 2025-10-16T18:35:00Z"),
        section: Section::Options,
        doc: "when that phase started; default: the first event of the\n\
              last stretch of events up to --now without a gap longer\n\
              than the phase (a stray far older row does not count)",
        update: |raw, v| {
            raw.phase_start = Some(time("--phase-start", v)?);
            Ok(())
        },
    },
    Flag {
        long: "now",
        short: None,
        value: Some("T"),
        missing: Some("--now needs a time, e.g. 2025-10-16T18:35:00Z"),
        section: Section::Options,
        doc: "judge the criteria as of T (pending until the phase is over);\n\
              default: the current time",
        update: |raw, v| {
            raw.now = Some(time("--now", v)?);
            Ok(())
        },
    },
    Flag {
        long: "redis-info",
        short: None,
        value: Some("FILE"),
        missing: Some("--redis-info needs a file with the output of redis-cli INFO"),
        section: Section::Options,
        doc: "a file with the output of `redis-cli INFO`: memory share of\n\
              maxmemory and evictions are judged and alert like the rest",
        update: |raw, v| {
            raw.redis_info = Some(value(v));
            Ok(())
        },
    },
    Flag {
        long: "json",
        short: None,
        value: None,
        missing: None,
        section: Section::Options,
        doc: "one JSON object (keys: latency, latency_by_endpoint, errors,\n\
              errors_by_type, cache, cache_by_prefix, cache_stampedes, mem0,\n\
              mem0_failures_by_type, circuit_breaker, alerts, criteria, window,\n\
              cohorts)",
        update: |raw, _| {
            raw.json = true;
            Ok(())
        },
    },
    Flag {
        long: "name",
        short: None,
        value: Some("NAME"),
        missing: None,
        section: Section::Report,
        doc: "the rollout's name (default: mem0-redis); with --supabase-url also\n\
              the rollout whose shared phases (start, traffic, length) email\n\
              and signoff use, and whose sign-offs signoffs lists",
        update: |raw, v| report(raw, "name", v),
    },
    Flag {
        long: "out",
        short: None,
        value: Some("FILE"),
        missing: None,
        section: Section::Report,
        doc: "write the report to FILE atomically (a temporary file in the\n\
              same directory, then renamed); only a regular file or a new\n\
              one: symbolic links, directories and devices are refused;\n\
              an existing file keeps its permissions; default: stdout",
        update: |raw, v| report(raw, "out", v),
    },
    Flag {
        long: "date",
        short: None,
        value: Some("D"),
        missing: None,
        section: Section::Report,
        doc: "email: the day it reports on, e.g. 2025-10-17 (the 24 h end\n\
              at the midnight after it); default: the day the period ends",
        update: |raw, v| report(raw, "date", v),
    },
    Flag {
        long: "dashboard-url",
        short: None,
        value: Some("URL"),
        missing: None,
        section: Section::Report,
        doc: "email: the link to the console (http or https)",
        update: |raw, v| report(raw, "dashboard-url", v),
    },
    Flag {
        long: "approved-by",
        short: None,
        value: Some("NAME"),
        missing: None,
        section: Section::Report,
        doc: "signoff: the approver (ticks Technical Lead approval)",
        update: |raw, v| report(raw, "approved-by", v),
    },
    Flag {
        long: "notes",
        short: None,
        value: Some("TEXT"),
        missing: None,
        section: Section::Report,
        doc: "signoff: the notes",
        update: |raw, v| report(raw, "notes", v),
    },
    Flag {
        long: "submit",
        short: None,
        value: None,
        missing: None,
        section: Section::Report,
        doc: "signoff with --supabase-url: record the sign-off in the team's\n\
              append-only sign-offs (sql/005_team_records.sql) as the signed-in\n\
              approver (SUPABASE_EMAIL + SUPABASE_PASSWORD, or the refresh-token\n\
              file); the approver and the time are the database's; needs\n\
              --decision; the Markdown is printed as recorded",
        update: |raw, v| report(raw, "submit", v),
    },
    Flag {
        long: "decision",
        short: None,
        value: Some("D"),
        missing: Some("--decision needs approve, hold or rollback"),
        section: Section::Report,
        doc: "signoff --submit: approve (the next phase may start), hold or\n\
              rollback",
        update: |raw, v| report(raw, "decision", v),
    },
    Flag {
        long: "supersedes",
        short: None,
        value: Some("ID"),
        missing: Some("--supersedes needs the id of the sign-off it corrects"),
        section: Section::Report,
        doc: "signoff --submit: this sign-off corrects the record ID (see\n\
              canary-report signoffs); a record is corrected once",
        update: |raw, v| report(raw, "supersedes", v),
    },
    Flag {
        long: "send",
        short: None,
        value: None,
        missing: None,
        section: Section::Delivery,
        doc: "send the email over SMTP: text/plain (the Markdown) and\n\
              text/html (the same report rendered), once, never retried",
        update: |raw, v| report(raw, "send", v),
    },
    Flag {
        long: "mail-to",
        short: None,
        value: Some("ADDR"),
        missing: None,
        section: Section::Delivery,
        doc: "a recipient (repeat for more)",
        update: |raw, v| report(raw, "mail-to", v),
    },
    Flag {
        long: "mail-from",
        short: None,
        value: Some("ADDR"),
        missing: None,
        section: Section::Delivery,
        doc: "the sender, e.g. \"Canary <canary@example.org>\"",
        update: |raw, v| report(raw, "mail-from", v),
    },
    Flag {
        long: "smtp-url",
        short: None,
        value: Some("URL"),
        missing: None,
        section: Section::Delivery,
        doc: "smtp://user@host:587 (STARTTLS required), smtps://user@host:465\n\
              (TLS), or smtp://127.0.0.1:25?tls=none (plain, this machine\n\
              only); the password comes from CANARY_SMTP_PASSWORD",
        update: |raw, v| report(raw, "smtp-url", v),
    },
    Flag {
        long: "smtp-ca",
        short: None,
        value: Some("FILE"),
        missing: None,
        section: Section::Delivery,
        doc: "also trust this PEM root certificate for the server",
        update: |raw, v| report(raw, "smtp-ca", v),
    },
    Flag {
        long: "webhook",
        short: None,
        value: Some("URL"),
        missing: None,
        section: Section::Delivery,
        doc: "post the status to a chat webhook: Slack Block Kit (also\n\
              Mattermost, Discord's /slack endpoint) or a Microsoft Teams\n\
              card for Teams hosts; force one with slack:URL or teams:URL",
        update: |raw, v| report(raw, "webhook", v),
    },
    Flag {
        long: "dry-run",
        short: None,
        value: None,
        missing: None,
        section: Section::Delivery,
        doc: "write the MIME message and the webhook payloads instead of\n\
              sending them (to --out or stdout)",
        update: |raw, v| report(raw, "dry-run", v),
    },
    Flag {
        long: "help",
        short: Some('h'),
        value: None,
        missing: None,
        section: Section::Info,
        doc: "this text",
        update: |raw, _| {
            raw.special = Some(Special::Help);
            Ok(())
        },
    },
    Flag {
        long: "version",
        short: Some('V'),
        value: None,
        missing: None,
        section: Section::Info,
        doc: "the version",
        update: |raw, _| {
            raw.special = Some(Special::Version);
            Ok(())
        },
    },
];

/// A report option, kept as typed: `email` and `signoff` check it against the command.
fn report(raw: &mut RawArgs, flag: &'static str, v: Option<String>) -> Result<(), CliError> {
    raw.report.push((flag, value(v)));
    Ok(())
}

/// The flag named `--long`.
pub fn long(name: &str) -> Option<&'static Flag> {
    FLAGS.iter().find(|f| f.long == name)
}

/// The flag named `-c`.
pub fn short(c: char) -> Option<&'static Flag> {
    FLAGS.iter().find(|f| f.short == Some(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique() {
        for (i, a) in FLAGS.iter().enumerate() {
            for b in &FLAGS[i + 1..] {
                assert_ne!(a.long, b.long);
                assert!(a.short.is_none() || a.short != b.short, "{}", a.long);
            }
        }
    }
}
