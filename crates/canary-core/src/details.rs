//! Reads the `details` JSON object, keeping only the keys the metrics use, each converted the way
//! PostgreSQL's `->>` operator converts it (strings unquoted, other values as JSON text, `null` as
//! SQL null). Strings without escapes are borrowed, not copied: a 1M-row CSV parses quickly.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

use crate::event::Details;

/// Parses a `details` value given as JSON text (the CSV export's form).
pub fn parse_details(json: &str) -> Result<Details<'_>, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_str(json);
    let details = DetailsSeed.deserialize(&mut de)?;
    de.end()?;
    Ok(details)
}

/// Reads `details` from an already parsed JSON value (the PostgREST form).
pub fn details_from_value(value: &serde_json::Value) -> Details<'_> {
    // A `&Value` deserializer cannot fail on shape: every JSON value is accepted.
    DetailsSeed.deserialize(value).unwrap_or_default()
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
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
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

/// One value as `->>` returns it.
struct SqlText<'de>(Option<Cow<'de, str>>);

impl<'de> Deserialize<'de> for SqlText<'de> {
    fn deserialize<D: Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        de.deserialize_any(SqlTextVisitor)
    }
}

struct SqlTextVisitor;

impl<'de> Visitor<'de> for SqlTextVisitor {
    type Value = SqlText<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(SqlText(Some(Cow::Borrowed(v))))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(SqlText(Some(Cow::Owned(v.to_owned()))))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(SqlText(Some(Cow::Owned(v))))
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(SqlText(Some(Cow::Borrowed(if v {
            "true"
        } else {
            "false"
        }))))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(SqlText(Some(Cow::Owned(v.to_string()))))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(SqlText(Some(Cow::Owned(v.to_string()))))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        let text = serde_json::Number::from_f64(v)
            .map(|n| n.to_string())
            .unwrap_or_else(|| v.to_string());
        Ok(SqlText(Some(Cow::Owned(text))))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(SqlText(None))
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(SqlText(None))
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        let value = serde_json::Value::deserialize(de::value::MapAccessDeserializer::new(map))?;
        Ok(SqlText(Some(Cow::Owned(value.to_string()))))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        let value = serde_json::Value::deserialize(de::value::SeqAccessDeserializer::new(seq))?;
        Ok(SqlText(Some(Cow::Owned(value.to_string()))))
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
                failure_count: text(r#"{"n":1}"#),
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

    #[test]
    fn value_path_agrees_with_text_path() {
        let json = r#"{"endpoint":"/x","success_count":3,"canary":false}"#;
        let value: serde_json::Value = serde_json::from_str(json).unwrap();
        assert_eq!(details_from_value(&value), parse_details(json).unwrap());
    }
}
