//! Percent-encoding of one URL component (a query value, a path segment).
//!
//! Every byte of the UTF-8 text is encoded as `%XX` (upper-case hex) except RFC 3986's
//! unreserved characters `A–Z a–z 0–9 - . _ ~`, so the result can sit in any component of a URL
//! and reads back as the same text: a server that percent-decodes the component before parsing
//! its own syntax (PostgREST, Supabase Auth, the page's own URL state) sees the value as given.
//! Separators a server's syntax needs literal (`&`, `=`, PostgREST's `gt.`) belong outside the
//! encoded value. This is `encodeURIComponent` without its five extra literal characters
//! `! ' ( ) *`.

/// Appends `value` to `out`, percent-encoded as a URL component.
pub fn push_component(out: &mut String, value: &str) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0xF)]));
        }
    }
}

/// `value` percent-encoded as a URL component.
pub fn encode_component(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    push_component(&mut out, value);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

    /// Everything but RFC 3986's unreserved characters.
    const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'.')
        .remove(b'_')
        .remove(b'~');

    fn check(value: &str) {
        let want = utf8_percent_encode(value, COMPONENT).to_string();
        assert_eq!(encode_component(value), want, "{value:?}");
        let mut appended = String::from("x=");
        push_component(&mut appended, value);
        assert_eq!(appended, format!("x={want}"), "{value:?}");
        assert_eq!(
            percent_encoding::percent_decode_str(&want)
                .decode_utf8()
                .unwrap(),
            value
        );
    }

    #[test]
    fn fixed_cases() {
        for value in [
            "",
            "a",
            "AZaz09-._~",
            " ",
            "+&=#?/%:,()*!'",
            "2025-10-16 18:35:00+02:00&x#é",
            "https://abc.supabase.co/auth?next=/",
            "\u{0}\u{7f}\u{80}\u{ff}\u{10ffff}",
            "ÿ😀中",
        ] {
            check(value);
        }
        assert_eq!(encode_component("a b+é~"), "a%20b%2B%C3%A9~");
    }

    #[test]
    fn generated_strings_match_percent_encoding() {
        // ASCII (every byte value below 128) mixed with characters of 2, 3 and 4 UTF-8 bytes.
        let others = ['é', 'ÿ', '\u{80}', '中', '\u{ffff}', '😀', '\u{10ffff}'];
        let mut rng = crate::rand::SplitMix64::new(7);
        for _ in 0..2000 {
            let len = rng.below(24) as usize;
            let value: String = (0..len)
                .map(|_| {
                    if rng.below(4) == 0 {
                        others[rng.below(others.len() as u64) as usize]
                    } else {
                        char::from(rng.below(128) as u8)
                    }
                })
                .collect();
            check(&value);
        }
    }
}
