//! Timestamps as PostgreSQL writes them (`2025-10-16 18:35:00.175522+00`) and as RFC 3339
//! (`2025-10-16T18:35:00.175522Z`), to and from [`Micros`].

use std::fmt::Write as _;

use chrono::{DateTime, NaiveDate, Utc};

// The conversions live beside `Micros` in the engine, which needs them; the parsing and
// formatting here are for readers, reports and the page, which are built for size.
pub use crate::event::{from_datetime, to_datetime};
use crate::event::{Micros, MICROS_PER_SECOND};

/// Why a timestamp could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimestampError {
    #[error("expected a timestamp like 2025-10-16 18:35:00.175522+00 or 2025-10-16T18:35:00Z, got {0:?}")]
    Shape(String),
    #[error("{0:?} is not a calendar date and time")]
    OutOfRange(String),
    #[error("{0:?} has no UTC offset (add +00 or Z)")]
    NoOffset(String),
}

fn digits(s: &[u8]) -> Option<u32> {
    if s.is_empty() || !s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(s.iter().fold(0u32, |n, d| n * 10 + u32::from(d - b'0')))
}

/// Parses a timestamp with date, time, optional fraction (up to microseconds) and a UTC offset
/// (`Z`, `+HH`, `+HH:MM`, `+HHMM`, `+HH:MM:SS`).
pub fn parse_timestamp(text: &str) -> Result<Micros, TimestampError> {
    let shape = || TimestampError::Shape(text.to_owned());
    let b = text.trim().as_bytes();
    if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || b[13] != b':' || b[16] != b':' {
        return Err(shape());
    }
    if b[10] != b' ' && b[10] != b'T' && b[10] != b't' {
        return Err(shape());
    }
    let year = digits(&b[0..4]).ok_or_else(shape)?;
    let month = digits(&b[5..7]).ok_or_else(shape)?;
    let day = digits(&b[8..10]).ok_or_else(shape)?;
    let hour = digits(&b[11..13]).ok_or_else(shape)?;
    let minute = digits(&b[14..16]).ok_or_else(shape)?;
    let second = digits(&b[17..19]).ok_or_else(shape)?;
    let mut rest = &b[19..];
    let mut micros = 0u32;
    if let Some(frac) = rest.strip_prefix(b".") {
        let len = frac.iter().take_while(|c| c.is_ascii_digit()).count();
        if len == 0 || len > 9 {
            return Err(shape());
        }
        // Keep microseconds; PostgreSQL rounds input to microseconds, so do the same.
        let mut nanos = digits(&frac[..len]).ok_or_else(shape)?;
        for _ in len..9 {
            nanos *= 10;
        }
        micros = (nanos + 500) / 1000;
        rest = &frac[len..];
    }
    let offset_seconds: i64 = match rest {
        [] => return Err(TimestampError::NoOffset(text.to_owned())),
        [b'Z'] | [b'z'] => 0,
        [sign @ (b'+' | b'-'), tail @ ..] => {
            let parts: Vec<&[u8]> = if tail.contains(&b':') {
                tail.split(|&c| c == b':').collect()
            } else if tail.len() == 4 {
                vec![&tail[..2], &tail[2..]]
            } else {
                vec![tail]
            };
            if parts.is_empty() || parts.len() > 3 || parts.iter().any(|p| p.len() != 2) {
                return Err(shape());
            }
            let mut secs = 0i64;
            for (i, part) in parts.iter().enumerate() {
                let v = i64::from(digits(part).ok_or_else(shape)?);
                secs += v * [3600, 60, 1][i];
            }
            if *sign == b'-' {
                -secs
            } else {
                secs
            }
        }
        _ => return Err(shape()),
    };
    let naive = NaiveDate::from_ymd_opt(year as i32, month, day)
        .and_then(|d| d.and_hms_opt(hour, minute, second))
        .ok_or_else(|| TimestampError::OutOfRange(text.to_owned()))?;
    let base = naive.and_utc().timestamp();
    Ok((base - offset_seconds) * MICROS_PER_SECOND + i64::from(micros))
}

/// RFC 3339 with as many fractional digits as needed, `Z` for UTC.
pub fn format_rfc3339(micros: Micros) -> String {
    to_datetime(micros).to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}

/// PostgreSQL's own text form in UTC, `2025-10-16 18:35:00.175522+00` (fraction only when
/// non-zero), as `\copy` writes it.
pub fn format_postgres(micros: Micros) -> String {
    let t = to_datetime(micros);
    let fraction = micros.rem_euclid(MICROS_PER_SECOND);
    if fraction == 0 {
        format_utc(t, "%Y-%m-%d %H:%M:%S+00")
    } else {
        let digits = format!("{fraction:06}");
        format!(
            "{}.{}+00",
            format_utc(t, "%Y-%m-%d %H:%M:%S"),
            digits.trim_end_matches('0')
        )
    }
}

/// `2025-10-16 18:35 UTC`: for people.
pub fn format_minute(micros: Micros) -> String {
    format_utc(to_datetime(micros), "%Y-%m-%d %H:%M UTC")
}

/// `t` written as `pattern` says, like chrono's `t.format(pattern)`, for the specifiers `%Y`
/// (`2025`; zero-padded to four digits, with a sign beyond 0..=9999), `%m`, `%d`, `%H`, `%M` and
/// `%S` (two digits each); any other character is copied (and any other `%x`, as it is).
///
/// Why not chrono's `format`: it interprets the pattern at run time, so it brings all of
/// strftime (names of months and days, locales, ISO weeks, Unicode lower-casing) into the
/// WebAssembly bundle, code that these six specifiers do not need.
pub fn format_utc(t: DateTime<Utc>, pattern: &str) -> String {
    use chrono::{Datelike, Timelike};
    let mut out = String::with_capacity(pattern.len() + 8);
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let two = match chars.next() {
            Some('Y') => {
                let year = t.year();
                let _ = if (0..10_000).contains(&year) {
                    write!(out, "{year:04}")
                } else {
                    write!(out, "{year:+05}")
                };
                continue;
            }
            Some('m') => t.month(),
            Some('d') => t.day(),
            Some('H') => t.hour(),
            Some('M') => t.minute(),
            Some('S') => t.second(),
            other => {
                out.push('%');
                out.extend(other);
                continue;
            }
        };
        let _ = write!(out, "{two:02}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str, expected: Result<&str, ()>) {
        let got = parse_timestamp(text).map(format_rfc3339).map_err(|_| ());
        assert_eq!(got.as_deref().map_err(|_| ()), expected, "{text}");
    }

    #[test]
    fn timestamp_table() {
        check(
            "2025-10-16 18:35:00.175522+00",
            Ok("2025-10-16T18:35:00.175522Z"),
        );
        check("2025-10-16T18:35:00Z", Ok("2025-10-16T18:35:00Z"));
        check(
            "2025-10-16T18:35:00.5+00:00",
            Ok("2025-10-16T18:35:00.500Z"),
        );
        check("2025-10-16 20:35:00+02", Ok("2025-10-16T18:35:00Z"));
        check("2025-10-16 13:05:00-0530", Ok("2025-10-16T18:35:00Z"));
        check(
            "2025-10-16 18:35:00.1234567+00",
            Ok("2025-10-16T18:35:00.123457Z"),
        );
        check("2024-02-29 00:00:00+00", Ok("2024-02-29T00:00:00Z"));
        check("2025-02-29 00:00:00+00", Err(()));
        check("2025-10-16 18:35:00", Err(()));
        check("2025-10-16", Err(()));
        check("", Err(()));
        check("2025-10-16 18:35:00+0", Err(()));
        check("yesterday", Err(()));
    }

    #[test]
    fn format_utc_writes_what_chrono_writes() {
        let patterns = [
            "%Y-%m-%d",
            "%Y-%m-%d %H:%M",
            "%Y-%m-%d %H:%M:%S",
            "%Y-%m-%d %H:%M UTC",
            "%Y-%m-%d %H:%M:%S UTC",
            "%Y-%m-%d %H:%M:%S+00",
            "%H:%M",
            "%H:%M:%S",
            "%m-%d %H:%M",
            "",
        ];
        let mut micros: Vec<Micros> = vec![
            0,
            -1,
            1_760_639_700_175_522,
            parse_timestamp("2024-02-29 23:59:59.999999+00").unwrap(),
            parse_timestamp("0999-01-02 03:04:05+00").unwrap(),
            parse_timestamp("0000-01-01 00:00:00+00").unwrap(),
            parse_timestamp("9999-12-31 23:59:59+00").unwrap(),
            Micros::MIN,
            Micros::MAX,
        ];
        // Every few hours over four years, and then some odd instants.
        micros.extend((0..12_000).map(|i| 1_700_000_000_000_000 + i * 10_799_999_937));
        micros.extend((0..2_000).map(|i| -62_000_000_000_000_000 + i * 1_111_111_111_111_111));
        for m in micros {
            let t = to_datetime(m);
            for p in patterns {
                assert_eq!(format_utc(t, p), t.format(p).to_string(), "{m} {p:?}");
            }
        }
    }

    #[test]
    fn postgres_form_round_trips() {
        for text in [
            "2025-10-16 18:35:00.175522+00",
            "2025-10-16 18:35:00+00",
            "1969-12-31 23:59:59.5+00",
        ] {
            assert_eq!(format_postgres(parse_timestamp(text).unwrap()), text);
        }
    }

    #[test]
    fn errors_say_what_is_wrong() {
        assert_eq!(
            parse_timestamp("2025-10-16 18:35:00")
                .unwrap_err()
                .to_string(),
            "\"2025-10-16 18:35:00\" has no UTC offset (add +00 or Z)"
        );
    }
}
