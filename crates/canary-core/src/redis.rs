//! Redis health from the text of `redis-cli INFO` (docs/metrics.md#alerts, the `redis_memory` rule; the guide's
//! "Redis Health" section).
//!
//! [`parse_info`] reads what a person pastes: the whole `INFO` or any subset of its sections
//! (`INFO memory`, `INFO stats`, `INFO clients`), with CRLF (as the server sends it) or LF line
//! ends. [`assess`] judges it by the guide's levels and [`alerts`] turns the firing levels into
//! [`Alert`]s. Unlike the other rules, nothing here is windowed: an INFO text is one snapshot.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::alerts::{Alert, Level, MetricId};
use crate::summary::format_pct;

/// The levels of `used_memory` as a share of `maxmemory`, in percent, highest first: a level
/// fires when the share is strictly greater than its threshold.
pub const MEMORY_THRESHOLDS_PCT: [(u64, Level); 3] = [
    (90, Level::Emergency),
    (80, Level::Critical),
    (70, Level::Warning),
];

/// The threshold of the evictions rule: any evicted key is an emergency.
pub const EVICTED_KEYS_THRESHOLD: u64 = 0;

/// The guide's ops/s baseline: more than this is worth a note, not an alert.
pub const OPS_PER_SEC_BASELINE: u64 = 1000;

/// The guide's typical number of connected clients (inclusive); outside it is worth a note.
pub const TYPICAL_CLIENTS: (u64, u64) = (5, 20);

/// The note [`assess`] gives when the server has no memory limit.
pub const NO_MAXMEMORY_NOTE: &str = "no maxmemory set: memory cannot be judged as a share";

/// The fields of one `redis-cli INFO` text that the guide watches.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RedisInfo {
    /// `used_memory`: bytes allocated by Redis.
    pub used_memory_bytes: u64,
    /// `maxmemory`; `None` when it is 0, which Redis means as "no limit".
    pub maxmemory_bytes: Option<u64>,
    /// `evicted_keys` (INFO stats): keys evicted since the server started or `CONFIG RESETSTAT`.
    pub evicted_keys: Option<u64>,
    /// `instantaneous_ops_per_sec` (INFO stats).
    pub instantaneous_ops_per_sec: Option<u64>,
    /// `connected_clients` (INFO clients).
    pub connected_clients: Option<u64>,
    /// `total_commands_processed` (INFO stats).
    pub total_commands_processed: Option<u64>,
    /// `maxmemory_policy` (INFO memory), e.g. `noeviction`, `allkeys-lru`; `None` when absent
    /// or empty.
    pub maxmemory_policy: Option<String>,
}

/// Why an INFO text could not be read. Line numbers count from 1 and include blank lines and
/// `# Section` headers, so they match the pasted text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RedisInfoError {
    /// Nothing but whitespace.
    #[error("the Redis INFO text is empty: paste the output of redis-cli INFO memory")]
    Empty,
    /// A line that is neither blank, a `#` header nor `key:value`.
    #[error("line {line}: expected key:value, got {text:?}")]
    NotKeyValue { line: usize, text: String },
    /// A watched key whose value is not digits only.
    #[error("line {line}: {key} is not a whole number: {value:?}")]
    NotAWholeNumber {
        line: usize,
        key: &'static str,
        value: String,
    },
    /// A watched key whose value does not fit 64 bits.
    #[error("line {line}: {key} is too large: {value:?}")]
    TooLarge {
        line: usize,
        key: &'static str,
        value: String,
    },
    /// A watched key given twice with different values (two INFO outputs pasted together).
    #[error(
        "line {line}: {key} is given a second time with another value ({first_value:?} on line \
         {first_line}, {value:?} here): paste the output of one INFO command"
    )]
    Conflict {
        line: usize,
        key: &'static str,
        first_line: usize,
        first_value: String,
        value: String,
    },
    /// No `used_memory` line: not the memory section.
    #[error("no used_memory line: paste the output of redis-cli INFO memory")]
    NoUsedMemory,
    /// `used_memory` but no `maxmemory`: a cut-off paste. Reading that as "no limit" would be
    /// a wrong verdict, so it is an error.
    #[error(
        "no maxmemory line: paste the whole output of redis-cli INFO memory (maxmemory comes about \
         30 lines after used_memory, so a cut-off paste loses it)"
    )]
    NoMaxmemory,
}

/// The keys [`parse_info`] reads; every other key is ignored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Key {
    UsedMemory,
    Maxmemory,
    EvictedKeys,
    InstantaneousOpsPerSec,
    ConnectedClients,
    TotalCommandsProcessed,
    MaxmemoryPolicy,
}

impl Key {
    const ALL: [Key; 7] = [
        Key::UsedMemory,
        Key::Maxmemory,
        Key::EvictedKeys,
        Key::InstantaneousOpsPerSec,
        Key::ConnectedClients,
        Key::TotalCommandsProcessed,
        Key::MaxmemoryPolicy,
    ];

    fn name(self) -> &'static str {
        match self {
            Key::UsedMemory => "used_memory",
            Key::Maxmemory => "maxmemory",
            Key::EvictedKeys => "evicted_keys",
            Key::InstantaneousOpsPerSec => "instantaneous_ops_per_sec",
            Key::ConnectedClients => "connected_clients",
            Key::TotalCommandsProcessed => "total_commands_processed",
            Key::MaxmemoryPolicy => "maxmemory_policy",
        }
    }

    fn from_name(name: &str) -> Option<Key> {
        Key::ALL.into_iter().find(|k| k.name() == name)
    }
}

/// Longest excerpt of a pasted line quoted in an error, in characters: a whole pasted file on
/// one line must not become the error message.
const EXCERPT_CHARS: usize = 80;

fn excerpt(text: &str) -> String {
    match text.char_indices().nth(EXCERPT_CHARS) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_owned(),
    }
}

/// Reads the text of `redis-cli INFO` (all sections or any subset).
///
/// `# Section` headers and blank lines are skipped, unknown keys ignored (INFO has hundreds),
/// and surrounding whitespace on a line is tolerated (pasted text is often indented). A line
/// that is not `key:value` is an error, as is a missing `used_memory` or `maxmemory`: without
/// both, memory cannot be judged.
///
/// # Errors
///
/// A [`RedisInfoError`] naming the line and its text; its message says what to paste instead.
pub fn parse_info(text: &str) -> Result<RedisInfo, RedisInfoError> {
    // A BOM is what some editors put in front of a saved paste; it is not part of the first key.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.trim().is_empty() {
        return Err(RedisInfoError::Empty);
    }

    // The value of each watched key with the line it came from (for the conflict error).
    let mut seen: [Option<(usize, &str)>; Key::ALL.len()] = [None; Key::ALL.len()];
    // `lines` splits at LF and CRLF; `trim` also drops a stray CR.
    for (index, raw) in text.lines().enumerate() {
        let line = index + 1;
        let trimmed = raw.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        // Split at the first colon: values may hold colons (`executable:/usr/bin/redis-server`).
        let (key, value) = match trimmed.split_once(':') {
            Some((key, value)) if !key.trim().is_empty() => (key.trim(), value.trim()),
            _ => {
                return Err(RedisInfoError::NotKeyValue {
                    line,
                    text: excerpt(trimmed),
                })
            }
        };
        let Some(key) = Key::from_name(key) else {
            continue;
        };
        let slot = &mut seen[key as usize];
        match *slot {
            None => *slot = Some((line, value)),
            Some((_, first)) if first == value => {}
            Some((first_line, first_value)) => {
                return Err(RedisInfoError::Conflict {
                    line,
                    key: key.name(),
                    first_line,
                    first_value: excerpt(first_value),
                    value: excerpt(value),
                });
            }
        }
    }

    let number = |key: Key| -> Result<Option<u64>, RedisInfoError> {
        seen[key as usize]
            .map(|(line, value)| parse_whole(line, key, value))
            .transpose()
    };
    let used_memory_bytes = number(Key::UsedMemory)?.ok_or(RedisInfoError::NoUsedMemory)?;
    let maxmemory = number(Key::Maxmemory)?.ok_or(RedisInfoError::NoMaxmemory)?;
    Ok(RedisInfo {
        used_memory_bytes,
        // Redis reads maxmemory 0 as "no limit" (the default of 64-bit builds).
        maxmemory_bytes: (maxmemory > 0).then_some(maxmemory),
        evicted_keys: number(Key::EvictedKeys)?,
        instantaneous_ops_per_sec: number(Key::InstantaneousOpsPerSec)?,
        connected_clients: number(Key::ConnectedClients)?,
        total_commands_processed: number(Key::TotalCommandsProcessed)?,
        maxmemory_policy: seen[Key::MaxmemoryPolicy as usize]
            .map(|(_, value)| value)
            .filter(|value| !value.is_empty())
            .map(str::to_owned),
    })
}

/// Digits only: `u64::from_str` would also take a sign, and "12MB" or "1.5" must not pass as a
/// byte count (the `_human` keys hold those; the plain keys never do).
fn parse_whole(line: usize, key: Key, value: &str) -> Result<u64, RedisInfoError> {
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(RedisInfoError::NotAWholeNumber {
            line,
            key: key.name(),
            value: excerpt(value),
        });
    }
    value.parse().map_err(|_| RedisInfoError::TooLarge {
        line,
        key: key.name(),
        value: excerpt(value),
    })
}

/// `used_memory` as a percentage of `maxmemory`; `None` when there is no limit.
pub fn memory_pct(info: &RedisInfo) -> Option<f64> {
    info.maxmemory_bytes
        .map(|max| info.used_memory_bytes as f64 / max as f64 * 100.0)
}

/// The memory levels that breach, lowest first. Compared exactly in integers
/// (used·100 > max·pct): the f64 share can round a share just above a threshold down onto it.
fn breached_memory_levels(info: &RedisInfo) -> Vec<(u64, Level)> {
    let Some(max) = info.maxmemory_bytes else {
        return Vec::new();
    };
    let used = u128::from(info.used_memory_bytes) * 100;
    MEMORY_THRESHOLDS_PCT
        .into_iter()
        .rev()
        .filter(|&(pct, _)| used > u128::from(max) * u128::from(pct))
        .collect()
}

/// The evictions level: `Emergency` when any key was evicted.
fn evictions_level(info: &RedisInfo) -> Option<Level> {
    info.evicted_keys
        .filter(|&n| n > EVICTED_KEYS_THRESHOLD)
        .map(|_| Level::Emergency)
}

/// The verdict on one INFO text: each watched metric's value and level, the worst level, and
/// notes for a person (what fired and what to do, what could not be judged, what is unusual).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RedisHealth {
    /// `used_memory` as a percentage of `maxmemory`; `None` when there is no limit.
    pub memory_pct: Option<f64>,
    /// The highest memory level breached; `None` when none is, or there is no limit.
    pub memory_level: Option<Level>,
    /// `evicted_keys`; `None` when the text has no stats section.
    pub evicted_keys: Option<u64>,
    /// `Emergency` when `evicted_keys` > 0.
    pub evictions_level: Option<Level>,
    /// `instantaneous_ops_per_sec`; informational (above the baseline gives a note).
    pub instantaneous_ops_per_sec: Option<u64>,
    /// `connected_clients`; informational (outside the typical range gives a note).
    pub connected_clients: Option<u64>,
    /// The worst of `memory_level` and `evictions_level`.
    pub level: Option<Level>,
    /// Sentences for a person, in the order memory, evictions, ops, clients.
    pub notes: Vec<String>,
}

/// Judges an INFO text by the guide's Redis levels (docs/metrics.md#alerts, `redis_memory`).
pub fn assess(info: &RedisInfo) -> RedisHealth {
    let memory_pct = memory_pct(info);
    // The highest breached level with its threshold, for the note.
    let top = breached_memory_levels(info).last().copied();
    let memory_level = top.map(|(_, level)| level);
    let evictions_level = evictions_level(info);
    let mut notes = Vec::new();

    match (memory_pct, top) {
        (None, _) => notes.push(NO_MAXMEMORY_NOTE.to_owned()),
        (Some(pct), Some((threshold, level))) => {
            let action = match level {
                Level::Warning => "watch it",
                Level::Critical => "plan scaling",
                Level::Emergency => "follow the Redis OOM runbook",
            };
            notes.push(format!(
                "memory at {} of maxmemory, above the {threshold} % {} level: {action}",
                format_pct(Some(pct)),
                level.as_str(),
            ));
        }
        (Some(_), None) => {}
    }

    match info.evicted_keys {
        // The counter is cumulative: one eviction keeps it above 0 until a restart or
        // CONFIG RESETSTAT, which the person needs to know to read the emergency right.
        Some(n) if n > EVICTED_KEYS_THRESHOLD => notes.push(format!(
            "{n} keys evicted since the server started (or CONFIG RESETSTAT): emergency, follow \
             the Redis OOM runbook"
        )),
        Some(_) => {}
        None => notes
            .push("no evicted_keys line (it is in INFO stats): evictions not checked".to_owned()),
    }

    if let Some(ops) = info.instantaneous_ops_per_sec {
        if ops > OPS_PER_SEC_BASELINE {
            notes.push(format!(
                "instantaneous_ops_per_sec is {ops}, above the guide's baseline of \
                 < {OPS_PER_SEC_BASELINE}/s"
            ));
        }
    }

    if let Some(clients) = info.connected_clients {
        let (low, high) = TYPICAL_CLIENTS;
        if !(low..=high).contains(&clients) {
            notes.push(format!(
                "connected_clients is {clients}, outside the typical {low}–{high}"
            ));
        }
    }

    RedisHealth {
        memory_pct,
        memory_level,
        evicted_keys: info.evicted_keys,
        evictions_level,
        instantaneous_ops_per_sec: info.instantaneous_ops_per_sec,
        connected_clients: info.connected_clients,
        level: memory_level.max(evictions_level),
        notes,
    }
}

/// The `redis_memory` alerts an INFO text fires, as of `at` (when it was captured).
///
/// Every breached level is its own alert, as for the windowed rules: 85 % fires the 70 %
/// warning and the 80 % critical. Evictions fire an emergency with threshold 0 and the number
/// of evicted keys as its value. An INFO text is a snapshot, so each alert starts at `at` and
/// is still firing (`until` is `None`).
pub fn alerts(info: &RedisInfo, at: DateTime<Utc>) -> Vec<Alert> {
    let alert = |level, threshold: u64, worst_value| Alert {
        metric: MetricId::RedisMemory,
        level,
        threshold: Some(threshold as f64),
        since: at,
        until: None,
        worst_value,
    };
    let mut fired: Vec<Alert> = match memory_pct(info) {
        Some(pct) => breached_memory_levels(info)
            .into_iter()
            .map(|(threshold, level)| alert(level, threshold, pct))
            .collect(),
        None => Vec::new(),
    };
    if let (Some(level), Some(evicted)) = (evictions_level(info), info.evicted_keys) {
        fired.push(alert(level, EVICTED_KEYS_THRESHOLD, evicted as f64));
    }
    fired
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    /// What a case expects: the parse error's message, or the parsed health.
    #[derive(Debug)]
    enum Expected {
        Error(&'static str),
        Health {
            used: u64,
            max: Option<u64>,
            memory_level: Option<Level>,
            level: Option<Level>,
            /// (level, threshold) of each alert, in order.
            alerts: &'static [(Level, f64)],
            /// Substrings that must each appear in some note.
            notes: &'static [&'static str],
        },
    }
    use Expected::{Error, Health};

    fn at() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 10, 16, 18, 35, 0).unwrap()
    }

    fn check(input: &str, expected: Expected) {
        let parsed = parse_info(input);
        match expected {
            Error(message) => match parsed {
                Err(e) => assert_eq!(e.to_string(), message, "input {input:?}"),
                Ok(info) => panic!("input {input:?}: expected error {message:?}, got {info:?}"),
            },
            Health {
                used,
                max,
                memory_level,
                level,
                alerts: expected_alerts,
                notes,
            } => {
                let info = parsed.unwrap_or_else(|e| panic!("input {input:?}: {e}"));
                assert_eq!(info.used_memory_bytes, used, "input {input:?}");
                assert_eq!(info.maxmemory_bytes, max, "input {input:?}");
                let health = assess(&info);
                assert_eq!(health.memory_level, memory_level, "input {input:?}");
                assert_eq!(health.level, level, "input {input:?}");
                assert_eq!(
                    health.memory_pct.is_some(),
                    max.is_some(),
                    "input {input:?}"
                );
                for note in notes {
                    assert!(
                        health.notes.iter().any(|n| n.contains(note)),
                        "input {input:?}: no note contains {note:?} in {:?}",
                        health.notes
                    );
                }
                let fired = alerts(&info, at());
                let got: Vec<(Level, f64)> = fired
                    .iter()
                    .map(|a| (a.level, a.threshold.unwrap()))
                    .collect();
                assert_eq!(got, expected_alerts, "input {input:?}");
                for a in &fired {
                    assert_eq!(a.metric, MetricId::RedisMemory);
                    assert_eq!((a.since, a.until), (at(), None));
                }
            }
        }
    }

    /// An `INFO memory` + `INFO stats` text with the given numbers, CRLF as the server sends.
    fn info(used: u64, max: u64, evicted: u64) -> String {
        format!(
            "# Memory\r\nused_memory:{used}\r\nused_memory_human:x\r\nmaxmemory:{max}\r\n\
             maxmemory_policy:allkeys-lru\r\n\r\n# Stats\r\nevicted_keys:{evicted}\r\n"
        )
    }

    const W: Level = Level::Warning;
    const C: Level = Level::Critical;
    const E: Level = Level::Emergency;

    fn health(
        used: u64,
        max: Option<u64>,
        memory_level: Option<Level>,
        level: Option<Level>,
        alerts: &'static [(Level, f64)],
    ) -> Expected {
        Health {
            used,
            max,
            memory_level,
            level,
            alerts,
            notes: &[],
        }
    }

    #[test]
    fn thresholds() {
        let cases: Vec<(String, Expected)> = vec![
            (info(0, 100, 0), health(0, Some(100), None, None, &[])),
            // Exactly on a threshold is not above it (docs/metrics.md#alerts: strictly greater).
            (info(70, 100, 0), health(70, Some(100), None, None, &[])),
            (
                info(80, 100, 0),
                health(80, Some(100), Some(W), Some(W), &[(W, 70.0)]),
            ),
            (
                info(90, 100, 0),
                health(90, Some(100), Some(C), Some(C), &[(W, 70.0), (C, 80.0)]),
            ),
            // One byte above 70 % of 10^18: the f64 share rounds to exactly 70.0, the integer
            // comparison still sees it above.
            (
                info(700_000_000_000_000_001, 1_000_000_000_000_000_000, 0),
                health(
                    700_000_000_000_000_001,
                    Some(1_000_000_000_000_000_000),
                    Some(W),
                    Some(W),
                    &[(W, 70.0)],
                ),
            ),
            // Just above each threshold, by one byte.
            (
                info(7_001, 10_000, 0),
                health(7_001, Some(10_000), Some(W), Some(W), &[(W, 70.0)]),
            ),
            (
                info(8_001, 10_000, 0),
                health(
                    8_001,
                    Some(10_000),
                    Some(C),
                    Some(C),
                    &[(W, 70.0), (C, 80.0)],
                ),
            ),
            (
                info(9_001, 10_000, 0),
                health(
                    9_001,
                    Some(10_000),
                    Some(E),
                    Some(E),
                    &[(W, 70.0), (C, 80.0), (E, 90.0)],
                ),
            ),
            // Over the limit (Redis allows that for a moment before it evicts).
            (
                info(120, 100, 0),
                health(
                    120,
                    Some(100),
                    Some(E),
                    Some(E),
                    &[(W, 70.0), (C, 80.0), (E, 90.0)],
                ),
            ),
            // Evictions alone: an emergency at any memory share.
            (
                info(10, 100, 1),
                health(10, Some(100), None, Some(E), &[(E, 0.0)]),
            ),
            (
                info(75, 100, 3),
                health(75, Some(100), Some(W), Some(E), &[(W, 70.0), (E, 0.0)]),
            ),
            // maxmemory 0 is "no limit": no share, no memory level, but evictions still count.
            (
                info(5_000_000, 0, 0),
                Health {
                    used: 5_000_000,
                    max: None,
                    memory_level: None,
                    level: None,
                    alerts: &[],
                    notes: &[NO_MAXMEMORY_NOTE],
                },
            ),
            (
                info(5_000_000, 0, 2),
                health(5_000_000, None, None, Some(E), &[(E, 0.0)]),
            ),
        ];
        for (input, expected) in cases {
            check(&input, expected);
        }
    }

    #[test]
    fn formats_and_errors() {
        let cases: Vec<(&str, Expected)> = vec![
            // LF, no headers, indented, extra spaces, unknown keys and colons in values.
            (
                "  used_memory: 1500\nmaxmemory:2000\nexecutable:/usr/bin/redis-server\n\
                 127.0.0.1:6379> INFO memory\ndb0:keys=1,expires=0,avg_ttl=0\n",
                Health {
                    used: 1500,
                    max: Some(2000),
                    memory_level: Some(W),
                    level: Some(W),
                    alerts: &[(W, 70.0)],
                    notes: &["75.00 % of maxmemory", "evictions not checked"],
                },
            ),
            // CRLF, a BOM, no trailing newline, a duplicate with the same value.
            (
                "\u{feff}# Memory\r\nused_memory:10\r\nmaxmemory:100\r\nused_memory:10",
                health(10, Some(100), None, None, &[]),
            ),
            // Notes for the informational metrics, on their boundaries.
            (
                "used_memory:1\nmaxmemory:0\ninstantaneous_ops_per_sec:1001\nconnected_clients:4\n",
                Health {
                    used: 1,
                    max: None,
                    memory_level: None,
                    level: None,
                    alerts: &[],
                    notes: &[
                        "instantaneous_ops_per_sec is 1001, above the guide's baseline of < 1000/s",
                        "connected_clients is 4, outside the typical 5–20",
                    ],
                },
            ),
            (
                "",
                Error("the Redis INFO text is empty: paste the output of redis-cli INFO memory"),
            ),
            (
                " \r\n\r\n\t\n",
                Error("the Redis INFO text is empty: paste the output of redis-cli INFO memory"),
            ),
            (
                "# Stats\r\nevicted_keys:0\r\n",
                Error("no used_memory line: paste the output of redis-cli INFO memory"),
            ),
            (
                "# Memory\nused_memory:12\n",
                Error(
                    "no maxmemory line: paste the whole output of redis-cli INFO memory \
                     (maxmemory comes about 30 lines after used_memory, so a cut-off paste \
                     loses it)",
                ),
            ),
            (
                "# Memory\nused_memory:1\nmaxmemory:0\n\n\n\nused_memory 12\n",
                Error("line 7: expected key:value, got \"used_memory 12\""),
            ),
            (":12\n", Error("line 1: expected key:value, got \":12\"")),
            (
                "# Memory\r\nmaxmemory:0\r\nused_memory:12MB\r\n",
                Error("line 3: used_memory is not a whole number: \"12MB\""),
            ),
            (
                "used_memory:1\nmaxmemory:-1\n",
                Error("line 2: maxmemory is not a whole number: \"-1\""),
            ),
            (
                "used_memory:1\nmaxmemory:\n",
                Error("line 2: maxmemory is not a whole number: \"\""),
            ),
            (
                "used_memory:1\nmaxmemory:0\nevicted_keys:+3\n",
                Error("line 3: evicted_keys is not a whole number: \"+3\""),
            ),
            (
                "used_memory:1\nmaxmemory:99999999999999999999\n",
                Error("line 2: maxmemory is too large: \"99999999999999999999\""),
            ),
            (
                "used_memory:1\nmaxmemory:0\nused_memory:2\n",
                Error(
                    "line 3: used_memory is given a second time with another value (\"1\" on \
                     line 1, \"2\" here): paste the output of one INFO command",
                ),
            ),
        ];
        for (input, expected) in cases {
            check(input, expected);
        }
    }

    #[test]
    fn long_lines_are_cut_in_errors() {
        let line = "x".repeat(500);
        let message = parse_info(&line).unwrap_err().to_string();
        assert_eq!(
            message,
            format!("line 1: expected key:value, got \"{}…\"", "x".repeat(80))
        );
    }

    #[test]
    fn serializes_snake_case() {
        let info = parse_info(&info(9_001, 10_000, 0)).unwrap();
        let json = serde_json::to_value(assess(&info)).unwrap();
        assert_eq!(json["memory_level"], "emergency");
        assert_eq!(json["level"], "emergency");
        assert_eq!(json["evicted_keys"], 0);
        assert_eq!(
            serde_json::to_value(&info).unwrap()["maxmemory_policy"],
            "allkeys-lru"
        );
    }

    // Real captures from redis-server 7.0.15 (Debian bookworm), made by
    // scripts/capture-redis-info.sh; see tests/fixtures/redis/README.md.
    const NO_MAXMEMORY: &str = include_str!("../tests/fixtures/redis/no-maxmemory.txt");
    const EVICTIONS: &str = include_str!("../tests/fixtures/redis/evictions.txt");
    const NEAR_75PCT: &str = include_str!("../tests/fixtures/redis/near-75pct.txt");

    #[test]
    fn capture_without_maxmemory() {
        // Guards the fixture itself: the server sends CRLF and the capture must keep it.
        assert!(NO_MAXMEMORY.contains("\r\n"));
        let info = parse_info(NO_MAXMEMORY).unwrap();
        assert_eq!(
            info,
            RedisInfo {
                used_memory_bytes: 1_210_896,
                maxmemory_bytes: None,
                evicted_keys: Some(0),
                instantaneous_ops_per_sec: Some(0),
                connected_clients: Some(1),
                total_commands_processed: Some(202),
                maxmemory_policy: Some("noeviction".into()),
            }
        );
        let health = assess(&info);
        assert_eq!((health.memory_pct, health.level), (None, None));
        assert_eq!(
            health.notes,
            [
                NO_MAXMEMORY_NOTE.to_owned(),
                "connected_clients is 1, outside the typical 5–20".to_owned()
            ]
        );
        assert!(alerts(&info, at()).is_empty());
    }

    #[test]
    fn capture_with_evictions() {
        let info = parse_info(EVICTIONS).unwrap();
        assert_eq!(info.used_memory_bytes, 2_098_736);
        assert_eq!(info.maxmemory_bytes, Some(2 * 1024 * 1024));
        assert_eq!(info.evicted_keys, Some(4035));
        assert_eq!(info.maxmemory_policy.as_deref(), Some("allkeys-lru"));
        assert_eq!(info.total_commands_processed, Some(5005));
        let health = assess(&info);
        // Slightly over the limit: allkeys-lru evicts after the write that crossed it.
        assert!(health.memory_pct.unwrap() > 100.0);
        assert_eq!(health.memory_level, Some(E));
        assert_eq!(health.evictions_level, Some(E));
        assert_eq!(health.level, Some(E));
        let fired = alerts(&info, at());
        let got: Vec<(Level, f64)> = fired
            .iter()
            .map(|a| (a.level, a.threshold.unwrap()))
            .collect();
        assert_eq!(got, [(W, 70.0), (C, 80.0), (E, 90.0), (E, 0.0)]);
        assert_eq!(fired[3].worst_value, 4035.0);
        assert_eq!(fired[2].worst_value, 2_098_736.0 / 2_097_152.0 * 100.0);
    }

    #[test]
    fn capture_near_75pct_of_memory_section_only() {
        let info = parse_info(NEAR_75PCT).unwrap();
        assert_eq!(info.used_memory_bytes, 3_231_400);
        assert_eq!(info.maxmemory_bytes, Some(4_242_698));
        // `INFO memory` alone: no stats, no clients section.
        assert_eq!(
            (
                info.evicted_keys,
                info.instantaneous_ops_per_sec,
                info.connected_clients
            ),
            (None, None, None)
        );
        let health = assess(&info);
        let pct = health.memory_pct.unwrap();
        assert!((70.0..80.0).contains(&pct), "{pct}");
        assert_eq!((health.memory_level, health.level), (Some(W), Some(W)));
        assert_eq!(
            health.notes,
            [
                "memory at 76.16 % of maxmemory, above the 70 % warning level: watch it",
                "no evicted_keys line (it is in INFO stats): evictions not checked",
            ]
        );
        let fired = alerts(&info, at());
        assert_eq!(fired.len(), 1);
        assert_eq!((fired[0].level, fired[0].threshold), (W, Some(70.0)));
        assert_eq!(fired[0].worst_value, pct);
    }
}
