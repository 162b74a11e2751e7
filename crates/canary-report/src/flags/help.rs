//! `canary-report --help`, written from the flags table.

use std::fmt::Write as _;

use super::defs::{Section, FLAGS};

const INTRO: &str = "\
canary-report: canary rollout metrics from observability_events

USAGE:
    canary-report metrics (--demo | --input FILE | --supabase-url URL) [--from T] [--to T] [OPTIONS] [--json]
    canary-report check   (--demo | --input FILE | --supabase-url URL) [--from T] [--to T] [OPTIONS]
    canary-report email   (--demo | --input FILE | --supabase-url URL) [OPTIONS] [REPORT OPTIONS]
    canary-report signoff (--demo | --input FILE | --supabase-url URL) [OPTIONS] [REPORT OPTIONS]
    canary-report email   ... --send --mail-to ADDR [--mail-to ADDR...] --mail-from ADDR --smtp-url URL
    canary-report email   ... --webhook URL [--webhook URL...]
    canary-report signoff --supabase-url URL --submit --decision D [--supersedes ID] [OPTIONS]
    canary-report signoffs --supabase-url URL [--name NAME] [--from T] [--to T] [--json]
    canary-report grafana [--name NAME] [--out FILE]

COMMANDS:
    metrics         the verdict, the alerts that fired, and every metric of the window
    check           one line with the verdict at --now, or now (--demo: at the
                    end of its recorded day), then the reason for each
                    canary-against-control rule firing (endpoints, error types);
                    the window ends there unless --to is given; exit status
                    0 On Track, 1 Issues Detected, 2 Rollback Required, 4 No Data
                    (no event in the window, or fewer than 20 in its last 5
                    minutes: too few to judge) (for cron and CI); the verdict is the
                    worst of the absolute rules and the canary-against-control
                    (cohort) rules
    email           the daily status email (Markdown): status, the last 24 h's
                    metrics with targets, the alerts, next steps; the 24 h end
                    at the end of --date, at --now, or now (--demo: at the end
                    of its recorded day) unless --from/--to are given; with
                    --supabase-url it uses the team's shared phases and lists the
                    sign-offs recorded in the period
    signoff         the phase sign-off (Markdown): the transition criteria
                    filled from the data, approval block and notes; with
                    --supabase-url the phases are the team's shared ones
                    (--phase-start still wins), and --submit records it
    signoffs        the team's recorded sign-offs of the rollout --name (signed
                    between --from and --to when given): who, when, the decision,
                    whether each record's Markdown matches its SHA-256; --json:
                    every record whole (criteria, Markdown, notes)
    grafana         an importable Grafana dashboard (JSON) of the main panels over
                    observability_events, with the alert thresholds as lines
";

const OUTRO: &str = "
Exit status: 0 on success; check: 0 On Track, 1 Issues Detected, 2 Rollback Required,
4 No Data; 3 on bad input, a failed delivery or an output that cannot be written, with one
line on stderr that says what is wrong and where (nothing is written then).
";

/// Where a flag's text starts; a longer synopsis puts the text on the lines below it.
const TEXT_COLUMN: usize = 20;
const INDENT: &str = "    ";

/// The help text.
pub fn help() -> String {
    let mut out = INTRO.to_owned();
    for (section, title) in [
        (Section::Source, "SOURCES:"),
        (Section::Options, "OPTIONS:"),
        (Section::Report, "REPORT OPTIONS (email, signoff):"),
        (Section::Delivery, "DELIVERY OPTIONS (email):"),
    ] {
        let _ = writeln!(out, "\n{title}");
        flags(&mut out, section);
    }
    out.push('\n');
    flags(&mut out, Section::Info);
    out.push_str(OUTRO);
    out
}

/// The flags of `section`: synopsis, then the text in its column.
fn flags(out: &mut String, section: Section) {
    for flag in FLAGS.iter().filter(|f| f.section == section) {
        let synopsis = flag.synopsis();
        out.push_str(INDENT);
        out.push_str(&synopsis);
        let used = INDENT.len() + synopsis.len();
        if used < TEXT_COLUMN {
            out.push_str(&" ".repeat(TEXT_COLUMN - used));
        } else {
            out.push('\n');
            out.push_str(&" ".repeat(TEXT_COLUMN));
        }
        for (i, line) in flag.doc.lines().enumerate() {
            if i > 0 {
                out.push_str(&" ".repeat(TEXT_COLUMN));
            }
            out.push_str(line);
            out.push('\n');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every flag is in the help, with its value's name.
    #[test]
    fn every_flag_is_documented() {
        let text = help();
        for flag in FLAGS {
            assert!(text.contains(&flag.synopsis()), "{}", flag.long);
            assert!(!flag.doc.is_empty(), "{}", flag.long);
        }
    }

    #[test]
    fn help_layout() {
        let text = help();
        assert!(text.contains(
            "\nSOURCES:\n    --demo          the embedded demo data set (24 h of a Phase 1 canary at 10 %)\n"
        ));
        assert!(text.contains(
            "    --supabase-url URL\n                    a Supabase project (https://<project-ref>.supabase.co): reads\n"
        ));
        assert!(text.contains(
            "    --phase-start T when that phase started; default: the first event of the\n"
        ));
        assert!(text.contains(
            "    --dry-run       write the MIME message and the webhook payloads instead of\n                    sending them (to --out or stdout)\n\n    -h, --help      this text\n    -V, --version   the version\n\nExit status:"
        ));
        assert!(text.lines().all(|l| l.len() <= 120 && !l.ends_with(' ')));
    }
}
