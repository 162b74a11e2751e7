//! The number parser against the standard library, bit for bit, and `float8in`'s range rules.
#![no_main]

use libfuzzer_sys::fuzz_target;
use stdx::decimal::{parse_f64, parse_float8, Float8Error};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let ours = parse_f64(text);
    let std = text.parse::<f64>().ok();
    match (ours, std) {
        (Some(a), Some(b)) => assert!(
            a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()),
            "{text:?}: {a:e} != {b:e}"
        ),
        (a, b) => assert_eq!(a.is_some(), b.is_some(), "{text:?}: {a:?} vs {b:?}"),
    }
    match parse_float8(text) {
        Ok(v) => assert!(parse_f64(text.trim()).is_some() || v.is_nan() || v.is_finite()),
        Err(Float8Error::OutOfRange) => {
            // float8in's white space: C's isspace, vertical tab included.
            let v = parse_f64(text.trim_matches(|c| matches!(c, ' ' | '\t' | '\n' | '\r' | '\x0b' | '\x0c')));
            assert!(v.is_some_and(|v| v == 0.0 || v.is_infinite()), "{text:?}");
        }
        Err(Float8Error::Syntax) => {}
    }
});
