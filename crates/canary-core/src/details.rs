//! Reads the `details` JSON object, keeping only the keys the metrics use, each converted the way
//! PostgreSQL's `->>` operator converts it (strings unquoted, other values as JSON text, `null` as
//! SQL null). Strings without escapes are borrowed, not copied: a 1M-row CSV parses quickly.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::jsonb::jsonb_text;

use crate::event::Details;

/// Parses a `details` value given as JSON text (the CSV export's form).
pub fn parse_details(json: &str) -> Result<Details<'_>, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_str(json);
    let details = DetailsSeed.deserialize(&mut de)?;
    de.end()?;
    Ok(details)
}

/// Writes the keys `details` holds back as a JSON object (the inverse of [`parse_details`] for
/// the keys the metrics read; `flags_json`, where set, is the whole object).
pub fn details_to_json(d: &Details<'_>) -> String {
    if let Some(flags) = &d.flags_json {
        return flags.clone();
    }
    let mut map = serde_json::Map::new();
    let text_keys = [
        ("endpoint", &d.endpoint),
        ("error_type", &d.error_type),
        ("error_message", &d.error_message),
        ("cache_key_prefix", &d.cache_key_prefix),
        ("state", &d.state),
    ];
    for (key, value) in text_keys {
        if let Some(v) = value {
            map.insert(key.to_owned(), serde_json::Value::String(v.to_string()));
        }
    }
    // Counts read back as the same `->>` text whether written as numbers or strings; numbers are
    // what the service logs.
    for (key, value) in [
        ("failure_count", &d.failure_count),
        ("success_count", &d.success_count),
    ] {
        if let Some(v) = value {
            let json = match v.parse::<i64>() {
                Ok(n) => serde_json::Value::from(n),
                Err(_) => serde_json::Value::String(v.to_string()),
            };
            map.insert(key.to_owned(), json);
        }
    }
    if let Some(canary) = d.canary {
        map.insert("canary".to_owned(), serde_json::Value::Bool(canary));
    }
    serde_json::Value::Object(map).to_string()
}

struct DetailsSeed;

impl DetailsSeed {
    fn deserialize<'de, D: Deserializer<'de>>(self, de: D) -> Result<Details<'de>, D::Error> {
        de.deserialize_any(DetailsVisitor)
    }
}

struct DetailsVisitor;

impl<'de> Visitor<'de> for DetailsVisitor {
    type Value = Details<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut d = Details::default();
        while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
            // Later duplicates win, as in jsonb.
            match key.as_ref() {
                "endpoint" => d.endpoint = map.next_value::<SqlText>()?.0,
                "error_type" => d.error_type = map.next_value::<SqlText>()?.0,
                "error_message" => d.error_message = map.next_value::<SqlText>()?.0,
                "cache_key_prefix" => d.cache_key_prefix = map.next_value::<SqlText>()?.0,
                "state" => d.state = map.next_value::<SqlText>()?.0,
                "failure_count" => d.failure_count = map.next_value::<SqlText>()?.0,
                "success_count" => d.success_count = map.next_value::<SqlText>()?.0,
                "canary" => {
                    let value = map.next_value::<serde_json::Value>()?;
                    (d.canary, d.canary_not_bool) = match value {
                        serde_json::Value::Bool(b) => (Some(b), false),
                        serde_json::Value::Null => (None, false),
                        _ => (None, true),
                    };
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(d)
    }

    // A JSON value that is not an object: every `->>` on it is null.
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Details::default())
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(Details::default())
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Ok(Details::default())
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Ok(Details::default())
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(Details::default())
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
        Ok(Details::default())
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Details::default())
    }
}

/// One value as `->>` returns it: a string's text, SQL null for JSON `null`, and the `jsonb`
/// text of anything else (read from the raw JSON, so numbers keep their digits).
struct SqlText<'de>(Option<Cow<'de, str>>);

impl<'de> Deserialize<'de> for SqlText<'de> {
    fn deserialize<D: Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        let raw = <&'de RawValue>::deserialize(de)?;
        let text = raw.get();
        Ok(SqlText(match text.as_bytes().first() {
            Some(b'"') => Some(json_string(text).map_err(de::Error::custom)?),
            Some(b'n') => None,
            _ => Some(Cow::Owned(jsonb_text(text).map_err(de::Error::custom)?)),
        }))
    }
}

/// The text of a JSON string literal, borrowed when it has no escapes.
fn json_string(literal: &str) -> Result<Cow<'_, str>, serde_json::Error> {
    let inner = &literal[1..literal.len() - 1];
    if inner.contains('\\') {
        serde_json::from_str::<String>(literal).map(Cow::Owned)
    } else {
        Ok(Cow::Borrowed(inner))
    }
}

/// An object key, borrowed from the input when it has no escapes.
struct Key<'de>(Cow<'de, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object key")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v)))
            }
        }
        de.deserialize_str(KeyVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(json: &str, expected: Details<'_>) {
        assert_eq!(parse_details(json).unwrap(), expected, "details {json}");
    }

    fn text(s: &str) -> Option<Cow<'_, str>> {
        Some(Cow::Borrowed(s))
    }

    #[test]
    fn details_follow_sql_arrow_text() {
        check("{}", Details::default());
        check("[]", Details::default());
        check("\"x\"", Details::default());
        check(
            r#"{"endpoint":"/api/chat","canary":true,"other":{"a":[1,2]}}"#,
            Details {
                endpoint: text("/api/chat"),
                canary: Some(true),
                ..Details::default()
            },
        );
        check(
            r#"{"endpoint":null,"error_type":12,"error_message":"a \"quoted\" text","state":false}"#,
            Details {
                error_type: text("12"),
                error_message: text("a \"quoted\" text"),
                state: text("false"),
                ..Details::default()
            },
        );
        check(
            r#"{"endpoint":"a","endpoint":"b","failure_count":{"n":1}}"#,
            Details {
                endpoint: text("b"),
                failure_count: text(r#"{"n": 1}"#),
                ..Details::default()
            },
        );
        check(
            r#"{"canary":"yes"}"#,
            Details {
                canary_not_bool: true,
                ..Details::default()
            },
        );
    }

    #[test]
    fn invalid_json_is_an_error() {
        assert!(parse_details("{").is_err());
        assert!(parse_details("{} x").is_err());
    }
}
