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
    #[error("{0:?} has a UTC offset beyond ±15:59:59, which PostgreSQL rejects")]
    Offset(String),
    #[error("{0:?} is outside timestamptz's range (4713-11-24 BC to 294276-12-31 AD)")]
    BeyondPostgres(String),
    #[error("{0:?} is after year {MAX_YEAR}, the latest this tool can represent")]
    BeyondTool(String),
}

/// The latest year a timestamp may have here: chrono's calendar ends at year 262142, before
/// PostgreSQL's (294276). Only those 32,134 years of valid `timestamptz` values are refused.
pub const MAX_YEAR: i32 = 262_142;

/// PostgreSQL's earliest `timestamptz`, 4713-11-24 00:00:00 BC UTC, in [`Micros`].
pub const POSTGRES_MIN: Micros = -210_866_803_200_000_000;

fn digits(s: &[u8]) -> Option<u32> {
    if s.is_empty() || !s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(s.iter().fold(0u32, |n, d| n * 10 + u32::from(d - b'0')))
}

/// Parses a timestamp as PostgreSQL's `timestamptz` input reads the ISO forms: a date with a
/// year of four or more digits (year 0 does not exist), a time (`24:00:00` and a leap second
/// `:60` without a fraction roll over as PostgreSQL rolls them), an optional fraction (rounded to microseconds), a
/// UTC offset (`Z`, `+HH`, `+HH:MM`, `+HHMM`, `+HH:MM:SS`, at most ±15:59:59) and, last, an
/// optional ` BC` as PostgreSQL writes years before 1 AD. Anything PostgreSQL would reject is an
/// error; so are the valid years after [`MAX_YEAR`].
pub fn parse_timestamp(text: &str) -> Result<Micros, TimestampError> {
    let shape = || TimestampError::Shape(text.to_owned());
    let out_of_range = || TimestampError::OutOfRange(text.to_owned());
    let mut b = text.trim().as_bytes();
    let mut bc = false;
    if b.len() > 3 && b[b.len() - 3] == b' ' && b[b.len() - 2..].eq_ignore_ascii_case(b"BC") {
        bc = true;
        b = b[..b.len() - 3].trim_ascii_end();
    }
    // The year takes every digit before the first '-'.
    let year_len = b.iter().take_while(|c| c.is_ascii_digit()).count();
    if !(4..=9).contains(&year_len) {
        return Err(shape());
    }
    let (year_text, b) = b.split_at(year_len);
    if b.len() < 15 || b[0] != b'-' || b[3] != b'-' || b[9] != b':' || b[12] != b':' {
        return Err(shape());
    }
    if b[6] != b' ' && b[6] != b'T' && b[6] != b't' {
        return Err(shape());
    }
    let year = digits(year_text).ok_or_else(shape)?;
    let month = digits(&b[1..3]).ok_or_else(shape)?;
    let day = digits(&b[4..6]).ok_or_else(shape)?;
    let hour = digits(&b[7..9]).ok_or_else(shape)?;
    let minute = digits(&b[10..12]).ok_or_else(shape)?;
    let second = digits(&b[13..15]).ok_or_else(shape)?;
    let mut rest = &b[15..];
    let mut micros = 0i64;
    if let Some(frac) = rest.strip_prefix(b".") {
        let len = frac.iter().take_while(|c| c.is_ascii_digit()).count();
        if len == 0 {
            return Err(shape());
        }
        // Microseconds, rounded half away from zero as PostgreSQL rounds input; digits past
        // the seventh cannot change that.
        let kept = &frac[..len.min(7)];
        let mut tenths = i64::from(digits(kept).ok_or_else(shape)?);
        for _ in kept.len()..7 {
            tenths *= 10;
        }
        micros = (tenths + 5) / 10;
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
            let mut fields = [0i64; 3];
            for (i, part) in parts.iter().enumerate() {
                fields[i] = i64::from(digits(part).ok_or_else(shape)?);
            }
            // PostgreSQL's limits for a numeric zone (MAX_TZDISP_HOUR is 15).
            if fields[0] > 15 || fields[1] > 59 || fields[2] > 59 {
                return Err(TimestampError::Offset(text.to_owned()));
            }
            let secs = fields[0] * 3600 + fields[1] * 60 + fields[2];
            if *sign == b'-' {
                -secs
            } else {
                secs
            }
        }
        _ => return Err(shape()),
    };
    // Year 0 does not exist; 1 BC is the astronomical year 0.
    if year == 0 {
        return Err(out_of_range());
    }
    let astronomical = if bc {
        1 - i64::from(year)
    } else {
        i64::from(year)
    };
    if astronomical > i64::from(MAX_YEAR) {
        return Err(if astronomical <= 294_277 {
            TimestampError::BeyondTool(text.to_owned())
        } else {
            TimestampError::BeyondPostgres(text.to_owned())
        });
    }
    if astronomical < -4713 {
        return Err(TimestampError::BeyondPostgres(text.to_owned()));
    }
    // 24:00:00 is the next midnight; second 60 the next minute (PostgreSQL accepts both).
    let time_ok = (hour < 24 && minute < 60 && (second < 60 || (second == 60 && micros == 0)))
        || (hour == 24 && minute == 0 && second == 0 && micros == 0);
    if !time_ok {
        return Err(out_of_range());
    }
    let date = i32::try_from(astronomical)
        .ok()
        .and_then(|y| NaiveDate::from_ymd_opt(y, month, day))
        .ok_or_else(out_of_range)?;
    let Some(midnight) = date.and_hms_opt(0, 0, 0) else {
        return Err(out_of_range());
    };
    let seconds = midnight.and_utc().timestamp()
        + i64::from(hour) * 3600
        + i64::from(minute) * 60
        + i64::from(second)
        - offset_seconds;
    let value = seconds
        .checked_mul(MICROS_PER_SECOND)
        .and_then(|v| v.checked_add(micros))
        .ok_or_else(|| TimestampError::BeyondTool(text.to_owned()))?;
    if value < POSTGRES_MIN {
        return Err(TimestampError::BeyondPostgres(text.to_owned()));
    }
    if to_datetime(value) == DateTime::<Utc>::MAX_UTC || from_datetime(to_datetime(value)) != value
    {
        return Err(TimestampError::BeyondTool(text.to_owned()));
    }
    Ok(value)
}

/// RFC 3339 with as many fractional digits as needed, `Z` for UTC.
pub fn format_rfc3339(micros: Micros) -> String {
    to_datetime(micros).to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}

/// PostgreSQL's own text form in UTC, `2025-10-16 18:35:00.175522+00` (fraction only when
/// non-zero), as `\copy` writes it: years before 1 AD as `0044-03-15 12:00:00+00 BC`, years
/// after 9999 with all their digits.
pub fn format_postgres(micros: Micros) -> String {
    use chrono::Datelike;
    let t = to_datetime(micros);
    let year = t.year();
    let (shown, era) = if year <= 0 {
        (1 - year, " BC")
    } else {
        (year, "")
    };
    let fraction = micros.rem_euclid(MICROS_PER_SECOND);
    let time = format_utc(t, "-%m-%d %H:%M:%S");
    if fraction == 0 {
        format!("{shown:04}{time}+00{era}")
    } else {
        let digits = format!("{fraction:06}");
        format!("{shown:04}{time}.{}+00{era}", digits.trim_end_matches('0'))
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
        // PostgreSQL's range and rules: year 0 does not exist, BC dates do, 24:00 and leap
        // seconds roll over, offsets stop at 15:59:59, fractions round to microseconds.
        check("0001-01-01 00:00:00+00", Ok("0001-01-01T00:00:00Z"));
        check(
            "9999-12-31 23:59:59.999999+00",
            Ok("9999-12-31T23:59:59.999999Z"),
        );
        check("0000-01-01 00:00:00+00", Err(()));
        check("0001-01-01 00:00:00+00 BC", Ok("0000-01-01T00:00:00Z"));
        check("4714-11-24 00:00:00+00 BC", Ok("-4713-11-24T00:00:00Z"));
        check("4714-11-23 23:59:59+00 BC", Err(()));
        check("4714-11-24 00:00:00+01 BC", Err(()));
        check("12345-06-07 08:09:10+00", Ok("+12345-06-07T08:09:10Z"));
        check("262142-12-31 23:59:59+00", Ok("+262142-12-31T23:59:59Z"));
        check("262143-01-01 00:00:00+00", Err(()));

        check("294277-01-01 00:00:00+00", Err(()));
        check("2025-10-16 24:00:00+00", Ok("2025-10-17T00:00:00Z"));
        check("2025-10-16 24:00:00.5+00", Err(()));
        check("2025-10-16 23:59:60+00", Ok("2025-10-17T00:00:00Z"));
        check("2025-10-16 23:59:61+00", Err(()));
        check("2025-10-16 23:59:60.5+00", Err(()));
        check("2025-10-16 23:59:59.9999995+00", Ok("2025-10-17T00:00:00Z"));
        check("2025-10-16 18:35:00+15:59:59", Ok("2025-10-16T02:35:01Z"));
        check("2025-10-16 18:35:00+16", Err(()));
        check("2025-10-16 18:35:00+99:99", Err(()));
        check("2025-10-16 18:35:00-05:60", Err(()));
        check("2025-10-16 18:35:00.9999995+00", Ok("2025-10-16T18:35:01Z"));
        check(
            "2025-10-16 18:35:00.00000049999+00",
            Ok("2025-10-16T18:35:00Z"),
        );
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
            parse_timestamp("0001-01-01 00:00:00+00 BC").unwrap(),
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
            "0044-03-15 12:00:00+00 BC",
            "4714-11-24 00:00:00+00 BC",
            "12345-06-07 08:09:10.000001+00",
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
