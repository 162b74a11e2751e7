//! Keys and tokens: which kind a key is, its JWT claims, and the refusal of keys that bypass
//! Row Level Security. The signature is left to the server.

use std::fmt;

use serde_json::Value;

use super::SupabaseError;

/// What kind of key the `apikey` header carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyKind {
    /// A legacy JWT key (`eyJ…`: anon) or a signed-in user's JWT.
    Jwt,
    /// A new-style `sb_publishable_…` key (not a JWT; the gateway maps it to the anon role).
    Publishable,
}

/// The claims of a JWT's payload that matter here (the signature is not checked: the server
/// does that).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct JwtClaims {
    /// The PostgreSQL role the server switches to (`anon`, `authenticated`, …).
    pub role: Option<String>,
    /// Expiry, Unix seconds.
    pub exp: Option<i64>,
    /// Issued at, Unix seconds.
    pub iat: Option<i64>,
    /// The project reference of a Supabase project key (`ref`).
    pub project_ref: Option<String>,
}

/// A key or token, checked. Its text is private and its `Debug` output redacted: it must never
/// reach a log, a page's URL or a report.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey {
    secret: String,
    kind: KeyKind,
    claims: Option<JwtClaims>,
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiKey")
            .field("kind", &self.kind)
            .field("claims", &self.claims)
            .field("secret", &"<redacted>")
            .finish()
    }
}

impl ApiKey {
    /// The key's text, for the request headers only.
    pub(super) fn secret(&self) -> &str {
        &self.secret
    }

    /// Checks a project API key (legacy anon JWT, a user JWT, or `sb_publishable_…`).
    pub fn parse(text: &str) -> Result<ApiKey, SupabaseError> {
        parse_key(text, "API key")
    }

    /// Checks a signed-in user's access token (a JWT).
    pub fn parse_access_token(text: &str) -> Result<ApiKey, SupabaseError> {
        let key = parse_key(text, "access token")?;
        if key.kind != KeyKind::Jwt {
            return Err(SupabaseError::KeyFormat {
                what: "access token",
                reason: "a signed-in user's access token is a JWT (eyJ…), not an sb_ API key"
                    .into(),
            });
        }
        Ok(key)
    }

    pub fn kind(&self) -> KeyKind {
        self.kind
    }

    /// The JWT's claims; `None` for a publishable key.
    pub fn claims(&self) -> Option<&JwtClaims> {
        self.claims.as_ref()
    }

    /// The database role the server will use: the JWT's `role` (`anon` when it has none, as
    /// PostgREST falls back to its anon role), `anon` for a publishable key.
    pub fn role(&self) -> &str {
        self.claims
            .as_ref()
            .and_then(|c| c.role.as_deref())
            .unwrap_or("anon")
    }

    /// Expiry in Unix seconds, if the key has one.
    pub fn expires_at(&self) -> Option<i64> {
        self.claims.as_ref().and_then(|c| c.exp)
    }
}

fn parse_key(text: &str, what: &'static str) -> Result<ApiKey, SupabaseError> {
    let format = |reason: &str| SupabaseError::KeyFormat {
        what,
        reason: reason.to_owned(),
    };
    let mut key = text.trim();
    // Pasted with its header name.
    for prefix in ["Bearer ", "bearer "] {
        key = key.strip_prefix(prefix).unwrap_or(key).trim();
    }
    if key.is_empty() {
        return Err(format("it is empty"));
    }
    if key.starts_with("sb_secret_") {
        return Err(SupabaseError::SecretKey {
            what: "an sb_secret_ key",
        });
    }
    let token_chars = |s: &str| {
        s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    };
    if let Some(rest) = key.strip_prefix("sb_publishable_") {
        if rest.is_empty() || !token_chars(rest) {
            return Err(format(
                "an sb_publishable_ key has letters, digits, - and _ after the prefix",
            ));
        }
        return Ok(ApiKey {
            secret: key.to_owned(),
            kind: KeyKind::Publishable,
            claims: None,
        });
    }
    if key.starts_with("sb_") {
        return Err(format(
            "of the sb_ keys only sb_publishable_ keys may be used here",
        ));
    }
    let claims = decode_jwt_claims(key).map_err(|reason| format(&reason))?;
    if claims.role.as_deref() == Some("service_role") {
        return Err(SupabaseError::SecretKey {
            what: "a service_role key",
        });
    }
    Ok(ApiKey {
        secret: key.to_owned(),
        kind: KeyKind::Jwt,
        claims: Some(claims),
    })
}

/// The claims of a JWT's payload; the signature is left to the server.
fn decode_jwt_claims(token: &str) -> Result<JwtClaims, String> {
    let parts: Vec<&str> = token.split('.').collect();
    if parts.len() != 3 || parts[..2].iter().any(|p| p.is_empty()) {
        return Err(
            "expected a JWT (three base64url parts separated by dots, starting eyJ) or an sb_publishable_ key"
                .into(),
        );
    }
    let json = |part: &str, name: &str| -> Result<serde_json::Map<String, Value>, String> {
        let bytes = base64url_decode(part).ok_or_else(|| format!("its {name} is not base64url"))?;
        match json_from_bytes(&bytes) {
            Some(Value::Object(map)) => Ok(map),
            _ => Err(format!("its {name} is not a JSON object")),
        }
    };
    let header = json(parts[0], "header")?;
    if !header.contains_key("alg") {
        return Err("its header names no algorithm (alg)".into());
    }
    let payload = json(parts[1], "payload")?;
    let seconds = |name: &str| payload.get(name).and_then(Value::as_f64).map(|v| v as i64);
    let text = |name: &str| payload.get(name).and_then(Value::as_str).map(str::to_owned);
    Ok(JwtClaims {
        role: text("role"),
        exp: seconds("exp"),
        iat: seconds("iat"),
        project_ref: text("ref"),
    })
}

/// JSON from bytes, or `None`. Through `from_str` rather than `from_slice`: the same answer
/// (`from_slice` also refuses invalid UTF-8), but the WebAssembly bundle then carries one
/// serde_json reader instead of two.
pub(super) fn json_from_bytes(bytes: &[u8]) -> Option<Value> {
    serde_json::from_str(std::str::from_utf8(bytes).ok()?).ok()
}

/// Decodes base64url (RFC 4648 §5), padding optional: JWTs carry none, a pasted part may.
fn base64url_decode(text: &str) -> Option<Vec<u8>> {
    use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
    use base64::Engine as _;
    const URL_SAFE_PADDING_OPTIONAL: GeneralPurpose = GeneralPurpose::new(
        &base64::alphabet::URL_SAFE,
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
    );
    URL_SAFE_PADDING_OPTIONAL.decode(text).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::supabase::test_support::{b64, jwt};

    #[test]
    fn base64url_round_trips() {
        for text in [
            "",
            "a",
            "ab",
            "abc",
            "abcd",
            "{\"role\":\"anon\"}",
            "ÿ\u{1}\u{fe}~",
        ] {
            assert_eq!(
                base64url_decode(&b64(text.as_bytes())).as_deref(),
                Some(text.as_bytes()),
                "{text:?}"
            );
        }
        assert_eq!(base64url_decode("YQ=="), Some(b"a".to_vec()));
        assert_eq!(base64url_decode("a+b/"), None);
        assert_eq!(base64url_decode("abcde"), None);
    }

    fn check_key(key: &str, expected: Result<(KeyKind, &str, Option<i64>), &str>) {
        let got = ApiKey::parse(key)
            .map(|k| (k.kind(), k.role().to_owned(), k.expires_at()))
            .map_err(|e| e.to_string());
        match (&got, expected) {
            (Ok((kind, role, exp)), Ok((k, r, x))) => {
                assert_eq!((*kind, role.as_str(), *exp), (k, r, x), "{key}")
            }
            (Err(message), Err(start)) => {
                assert!(message.starts_with(start), "{key}: {message}")
            }
            _ => panic!("{key}: got {got:?}, want {expected:?}"),
        }
    }

    #[test]
    fn keys_are_checked_and_secret_ones_refused() {
        let anon = jwt(r#"{"iss":"supabase","ref":"abc","role":"anon","iat":1,"exp":1999999999}"#);
        check_key(&anon, Ok((KeyKind::Jwt, "anon", Some(1_999_999_999))));
        check_key(
            &format!(" Bearer {anon}\n"),
            Ok((KeyKind::Jwt, "anon", Some(1_999_999_999))),
        );
        check_key(
            &jwt(r#"{"role":"authenticated","exp":1700000000.5}"#),
            Ok((KeyKind::Jwt, "authenticated", Some(1_700_000_000))),
        );
        check_key(&jwt(r#"{"sub":"x"}"#), Ok((KeyKind::Jwt, "anon", None)));
        check_key(
            "sb_publishable_AbC-12_x",
            Ok((KeyKind::Publishable, "anon", None)),
        );
        let refused = "refusing a service_role key: it bypasses Row Level Security";
        check_key(
            &jwt(r#"{"role":"service_role","exp":1999999999}"#),
            Err(refused),
        );
        check_key(
            "sb_secret_abc",
            Err("refusing an sb_secret_ key: it bypasses Row Level Security"),
        );
        check_key("", Err("the API key is not a Supabase key: it is empty"));
        check_key(
            "sb_publishable_",
            Err("the API key is not a Supabase key: an sb_publishable_ key has"),
        );
        check_key(
            "sb_other_abc",
            Err("the API key is not a Supabase key: of the sb_ keys only"),
        );
        check_key(
            "my-password",
            Err("the API key is not a Supabase key: expected a JWT"),
        );
        check_key(
            "eyJ!.eyJ.x",
            Err("the API key is not a Supabase key: its header is not base64url"),
        );
        check_key(
            &format!("{}.{}.x", b64(b"{}"), b64(b"{}")),
            Err("the API key is not a Supabase key: its header names no algorithm"),
        );
        check_key(
            &format!("{}.{}.x", b64(br#"{"alg":"none"}"#), b64(b"[1]")),
            Err("the API key is not a Supabase key: its payload is not a JSON object"),
        );
        // The key's text never shows in Debug output.
        let debug = format!("{:?}", ApiKey::parse(&anon).unwrap());
        assert!(
            !debug.contains(&anon) && debug.contains("<redacted>"),
            "{debug}"
        );
    }
}
