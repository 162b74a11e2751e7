//! JSON text as PostgreSQL's `jsonb` prints it, which is what `details->>'key'` returns for a
//! value that is not a string: objects as `{"k": v, "k2": v2}` with keys ordered by length then
//! bytes and later duplicates winning, arrays as `[a, b]`, numbers as `numeric` prints them
//! (`1.50` stays `1.50`, `1e2` becomes `100`, `-0` becomes `0`), strings escaped the way
//! `escape_json` does. Input is JSON text already validated by serde_json.

/// A JSON number that PostgreSQL's `jsonb` refuses: "value overflows numeric format".
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("a number beyond the range of numeric (PostgreSQL: value overflows numeric format)")]
pub struct NumericOverflow;

/// The `jsonb` text of one valid JSON value; an error where a number is beyond what `numeric`
/// holds (PostgreSQL would not have stored the row; printing `1e555555555555` in full would
/// take half a terabyte).
pub fn jsonb_text(json: &str) -> Result<String, NumericOverflow> {
    let mut p = Parser {
        s: json.as_bytes(),
        i: 0,
        overflow: false,
    };
    let mut out = String::with_capacity(json.len());
    p.value(&mut out);
    if p.overflow {
        return Err(NumericOverflow);
    }
    Ok(out)
}

/// Whether `numeric` holds the JSON number `text`: at most 131,072 digits before the point
/// (a base-10000 weight up to 32767) and a display scale of at most 16,383 digits after it.
pub fn numeric_in_range(text: &str) -> bool {
    let rest = text.trim_start_matches('-');
    let (mantissa, exponent) = match rest.find(['e', 'E']) {
        Some(p) => match rest[p + 1..].parse::<i64>() {
            Ok(e) if e.unsigned_abs() < 1 << 30 => (&rest[..p], e),
            _ => return false,
        },
        None => (rest, 0),
    };
    let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if frac_part.len() as i64 - exponent > 16_383 {
        return false;
    }
    match int_part
        .bytes()
        .chain(frac_part.bytes())
        .position(|d| d != b'0')
    {
        None => true,
        Some(first) => int_part.len() as i64 + exponent - first as i64 <= 131_072,
    }
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
    /// A number beyond `numeric`'s range was met (and not printed).
    overflow: bool,
}

impl Parser<'_> {
    fn ws(&mut self) {
        while self.i < self.s.len() && matches!(self.s[self.i], b' ' | b'\t' | b'\n' | b'\r') {
            self.i += 1;
        }
    }

    fn value(&mut self, out: &mut String) {
        self.ws();
        match self.s.get(self.i) {
            Some(b'{') => self.object(out),
            Some(b'[') => self.array(out),
            Some(b'"') => {
                let text = self.string();
                escape_json(&text, out);
            }
            Some(b't') => {
                self.i += 4;
                out.push_str("true");
            }
            Some(b'f') => {
                self.i += 5;
                out.push_str("false");
            }
            Some(b'n') => {
                self.i += 4;
                out.push_str("null");
            }
            Some(_) => self.number(out),
            None => {}
        }
    }

    fn object(&mut self, out: &mut String) {
        self.i += 1;
        let mut members: Vec<(String, String)> = Vec::new();
        loop {
            self.ws();
            match self.s.get(self.i) {
                Some(b'}') | None => {
                    self.i += 1;
                    break;
                }
                Some(b',') => self.i += 1,
                _ => {
                    let key = self.string();
                    self.ws();
                    self.i += 1; // ':'
                    let mut value = String::new();
                    self.value(&mut value);
                    // jsonb keeps the last of duplicate keys.
                    members.retain(|(k, _)| *k != key);
                    members.push((key, value));
                }
            }
        }
        // jsonb orders keys by length, then bytewise.
        stdx::sort::sort_by(&mut members, |(a, _), (b, _)| {
            a.len()
                .cmp(&b.len())
                .then_with(|| a.as_bytes().cmp(b.as_bytes()))
        });
        out.push('{');
        for (n, (k, v)) in members.iter().enumerate() {
            if n > 0 {
                out.push_str(", ");
            }
            escape_json(k, out);
            out.push_str(": ");
            out.push_str(v);
        }
        out.push('}');
    }

    fn array(&mut self, out: &mut String) {
        self.i += 1;
        out.push('[');
        let mut first = true;
        loop {
            self.ws();
            match self.s.get(self.i) {
                Some(b']') | None => {
                    self.i += 1;
                    break;
                }
                Some(b',') => self.i += 1,
                _ => {
                    if !first {
                        out.push_str(", ");
                    }
                    first = false;
                    self.value(out);
                }
            }
        }
        out.push(']');
    }

    /// Reads a JSON string literal, returning its decoded text.
    fn string(&mut self) -> String {
        let start = self.i;
        self.i += 1;
        while self.i < self.s.len() {
            match self.s[self.i] {
                b'\\' => self.i += 2,
                b'"' => {
                    self.i += 1;
                    break;
                }
                _ => self.i += 1,
            }
        }
        let literal = std::str::from_utf8(&self.s[start..self.i]).unwrap_or("\"\"");
        serde_json::from_str::<String>(literal).unwrap_or_default()
    }

    fn number(&mut self, out: &mut String) {
        let start = self.i;
        while self.i < self.s.len()
            && matches!(
                self.s[self.i],
                b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9'
            )
        {
            self.i += 1;
        }
        let text = std::str::from_utf8(&self.s[start..self.i]).unwrap_or("0");
        if numeric_in_range(text) {
            out.push_str(&numeric_text(text));
        } else {
            self.overflow = true;
        }
    }
}

/// PostgreSQL's `escape_json`: quotes, backslashes and control characters escaped, everything
/// else (non-ASCII included) as is.
fn escape_json(text: &str, out: &mut String) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// A JSON number as PostgreSQL's `numeric` prints it: plain decimal notation, display scale
/// `max(0, fraction digits − exponent)`, no negative zero.
pub fn numeric_text(json_number: &str) -> String {
    let (negative, rest) = match json_number.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, json_number),
    };
    let (mantissa, exponent) = match rest.find(['e', 'E']) {
        Some(p) => (&rest[..p], rest[p + 1..].parse::<i64>().unwrap_or(0)),
        None => (rest, 0),
    };
    let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits: Vec<u8> = int_part
        .bytes()
        .chain(frac_part.bytes())
        .map(|d| d - b'0')
        .collect();
    let scale = (frac_part.len() as i64 - exponent).max(0) as usize;
    // Position of the decimal point within `digits`.
    let point = int_part.len() as i64 + exponent;
    let digit_at = |i: i64| -> u8 {
        if i < 0 || i >= digits.len() as i64 {
            0
        } else {
            digits[i as usize]
        }
    };
    let mut int_text = String::new();
    for i in 0..point.max(0) {
        let d = digit_at(i);
        if int_text.is_empty() && d == 0 {
            continue;
        }
        int_text.push(char::from(b'0' + d));
    }
    if int_text.is_empty() {
        int_text.push('0');
    }
    let frac_text: String = (0..scale as i64)
        .map(|k| char::from(b'0' + digit_at(point + k)))
        .collect();
    let is_zero = digits.iter().all(|&d| d == 0);
    let mut out = String::new();
    if negative && !is_zero {
        out.push('-');
    }
    out.push_str(&int_text);
    if scale > 0 {
        out.push('.');
        out.push_str(&frac_text);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(json: &str, expected: &str) {
        assert_eq!(jsonb_text(json).as_deref(), Ok(expected), "{json}");
    }

    /// PostgreSQL 15: `'1e131072'::jsonb` and `'1e-16384'::jsonb` fail with "value overflows
    /// numeric format"; `'1e131071'`, `'9.99e131071'`, `'1e-16383'` and `'0e999999'` do not.
    #[test]
    fn numbers_beyond_numeric_are_refused() {
        for ok in [
            "1e131071",
            "9.99e131071",
            "1e-16383",
            "0e999999",
            "-0.0",
            "0",
        ] {
            assert!(numeric_in_range(ok), "{ok}");
        }
        for bad in [
            "1e131072",
            "1e-16384",
            "0.50e-99999",
            "1e555555555555",
            "1e99999999999999999999",
        ] {
            assert!(!numeric_in_range(bad), "{bad}");
        }
        // Found by fuzzing: a details value that would have printed 5.5e11 digits.
        let found = r#"{"endpn":null,"failure_count":0.50e555555555555}"#;
        assert_eq!(jsonb_text(found), Err(NumericOverflow));
        assert!(crate::details::parse_details(found).is_err());
        assert_eq!(jsonb_text("[1e131071]").map(|t| t.len()), Ok(131_074));
    }

    /// Expected texts are what PostgreSQL 15 prints for `'<json>'::jsonb` (and `->>` of it).
    #[test]
    fn jsonb_text_table() {
        check("1.50", "1.50");
        check("1e2", "100");
        check("1.0e1", "10");
        check("1.5e-3", "0.0015");
        check("-0", "0");
        check("-0.0", "0.0");
        check("0.10", "0.10");
        check("-12.5", "-12.5");
        check(
            "123456789012345678901234567890",
            "123456789012345678901234567890",
        );
        check("2.5E+1", "25");
        check("true", "true");
        check("null", "null");
        check(r#""a\u00e9\/""#, "\"aé/\"");
        check(r#""tab\there""#, r#""tab\there""#);
        check(r#"{"b": 1, "a": [1, "x"]}"#, r#"{"a": [1, "x"], "b": 1}"#);
        check(r#"{"b":1,"aa":2,"a":3}"#, r#"{"a": 3, "b": 1, "aa": 2}"#);
        check(r#"{"k":1,"k":2}"#, r#"{"k": 2}"#);
        check(r#"[1,2.0,{"k":null}]"#, r#"[1, 2.0, {"k": null}]"#);
        check("[]", "[]");
        check("{}", "{}");
        check(" [ 1 , [ ] ] ", "[1, []]");
    }
}
