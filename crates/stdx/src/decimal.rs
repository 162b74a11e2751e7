//! Decimal text to `f64`, correctly rounded: the same value as PostgreSQL's `float8in` and Rust's
//! `str::parse::<f64>` for the same text.
//!
//! Why not `str::parse`: its Eisel–Lemire step carries an 11 KB table of 128-bit powers of five
//! that gzip cannot shrink, and the browser bundle has a size budget. The common texts (up to
//! 19 significant digits, a decimal exponent from -21 to 19: every `processing_time_ms` the
//! database prints) take an exact shortcut through one `f64` or `u128` operation; every other text
//! takes the exact decimal-shifting algorithm that the standard library also falls back on
//! (Nigel Tao's, as in Go's `strconv`). The tests compare the result with `str::parse` bit for
//! bit.

/// More significant digits than can change the rounding of an `f64` (767 is the most needed).
const MAX_DIGITS: usize = 768;

/// The exactly representable powers of ten, 10^0 to 10^22.
const POW10: [f64; 23] = {
    let mut table = [1.0; 23];
    let mut i = 1;
    while i < table.len() {
        table[i] = table[i - 1] * 10.0;
        i += 1;
    }
    table
};

/// Reads a decimal number with the grammar of `str::parse::<f64>`: an optional sign, then
/// `inf`, `infinity` or `nan` in any case, or digits with an optional point and an optional
/// exponent (`12`, `-0.5`, `.5`, `5.`, `1.5e-7`, `1E+20`). No spaces, no `_`. `None` for
/// anything else.
pub fn parse_f64(text: &str) -> Option<f64> {
    let bytes = text.as_bytes();
    let (negative, rest) = match bytes.first() {
        Some(b'-') => (true, &bytes[1..]),
        Some(b'+') => (false, &bytes[1..]),
        _ => (false, bytes),
    };
    let magnitude = match rest.first() {
        Some(b) if b.is_ascii_alphabetic() => named(rest)?,
        _ => Number::scan(rest)?.to_f64(),
    };
    Some(if negative { -magnitude } else { magnitude })
}

/// Why a text is not a `double precision` as PostgreSQL's `float8in` reads it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Float8Error {
    /// Not a number at all.
    Syntax,
    /// A number too large (it would round to infinity) or too small (it would round to zero
    /// from non-zero digits) for `double precision`.
    OutOfRange,
}

/// Reads `text` as PostgreSQL's `float8in` does: surrounding white space allowed, `Infinity`,
/// `inf` and `NaN` in any case with an optional sign, and a finite number correctly rounded
/// ([`parse_f64`]). A written number that rounds to infinity (`1e999`) or to zero from non-zero
/// digits (`1e-999`) is out of range, as in PostgreSQL ("is out of range for type double
/// precision"); subnormal results (`1e-310`) are accepted, as there.
pub fn parse_float8(text: &str) -> Result<f64, Float8Error> {
    let t = text.trim_matches(|c| matches!(c, ' ' | '\t' | '\n' | '\r' | '\x0b' | '\x0c'));
    let value = parse_f64(t).ok_or(Float8Error::Syntax)?;
    let unsigned = t.trim_start_matches(['+', '-']);
    if unsigned.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return Ok(value);
    }
    let mantissa = unsigned.split(['e', 'E']).next().unwrap_or("");
    let nonzero = mantissa.bytes().any(|b| (b'1'..=b'9').contains(&b));
    if value.is_infinite() || (value == 0.0 && nonzero) {
        return Err(Float8Error::OutOfRange);
    }
    Ok(value)
}

/// `inf`, `infinity` and `nan`, in any case.
fn named(text: &[u8]) -> Option<f64> {
    let is = |word: &str| text.eq_ignore_ascii_case(word.as_bytes());
    if is("inf") || is("infinity") {
        Some(f64::INFINITY)
    } else if is("nan") {
        Some(f64::NAN)
    } else {
        None
    }
}

/// A scanned number, its digits as written (leading and trailing zeros included).
struct Number<'a> {
    /// The digits before the point.
    int: &'a [u8],
    /// The digits after the point.
    frac: &'a [u8],
    /// The written exponent, saturated far beyond any finite `f64`.
    exponent: i64,
}

impl<'a> Number<'a> {
    fn scan(text: &'a [u8]) -> Option<Number<'a>> {
        let digits_end = |from: usize| {
            from + text[from..]
                .iter()
                .take_while(|b| b.is_ascii_digit())
                .count()
        };
        let int_end = digits_end(0);
        let (frac, mut at) = match text.get(int_end) {
            Some(b'.') => {
                let end = digits_end(int_end + 1);
                (&text[int_end + 1..end], end)
            }
            _ => (&text[..0], int_end),
        };
        if int_end == 0 && frac.is_empty() {
            return None;
        }
        let mut exponent = 0i64;
        if matches!(text.get(at), Some(b'e' | b'E')) {
            at += 1;
            let negative = match text.get(at) {
                Some(b'-') => {
                    at += 1;
                    true
                }
                Some(b'+') => {
                    at += 1;
                    false
                }
                _ => false,
            };
            let end = digits_end(at);
            if end == at {
                return None;
            }
            for &b in &text[at..end] {
                // Past a million the value is 0 or infinite whatever the digits say.
                exponent = (exponent * 10 + i64::from(b - b'0')).min(1 << 20);
            }
            if negative {
                exponent = -exponent;
            }
            at = end;
        }
        (at == text.len()).then_some(Number {
            int: &text[..int_end],
            frac,
            exponent,
        })
    }

    fn to_f64(&self) -> f64 {
        // The first 19 significant digits as an integer `w`, the value being `w × 10^e10` when
        // no non-zero digit follows them.
        let (mut w, mut kept, mut e10, mut exact) = (0u64, 0, self.exponent, true);
        for (i, &b) in self.int.iter().chain(self.frac).enumerate() {
            let (d, in_fraction) = (b - b'0', i >= self.int.len());
            if w == 0 && d == 0 {
                e10 -= i64::from(in_fraction);
            } else if kept < 19 {
                w = w * 10 + u64::from(d);
                kept += 1;
                e10 -= i64::from(in_fraction);
            } else {
                e10 += i64::from(!in_fraction);
                exact &= d == 0;
            }
        }
        if w == 0 {
            return 0.0;
        }
        if exact {
            if let Some(v) = exact_shortcut(w, e10) {
                return v;
            }
        }
        self.to_decimal().into_f64()
    }

    /// All the digits, for the decimal-shifting algorithm. (A second walk over the digits
    /// rather than one shared with `to_f64`, so that the common texts never allocate.)
    fn to_decimal(&self) -> Decimal {
        let (mut digits, mut truncated, mut point) = (Vec::new(), false, self.exponent);
        for (i, &b) in self.int.iter().chain(self.frac).enumerate() {
            let (d, in_fraction) = (b - b'0', i >= self.int.len());
            if digits.is_empty() && d == 0 {
                // A leading zero: only those after the point move it.
                point -= i64::from(in_fraction);
                continue;
            }
            point += i64::from(!in_fraction);
            if digits.len() < MAX_DIGITS {
                digits.push(d);
            } else {
                truncated |= d != 0;
            }
        }
        let mut decimal = Decimal {
            digits,
            point: point.clamp(-100_000, 100_000) as i32,
            truncated,
        };
        decimal.trim();
        decimal
    }
}

/// `w × 10^e10` computed with a single rounding, where one exists: `None` sends the number to the
/// decimal-shifting algorithm.
fn exact_shortcut(w: u64, e10: i64) -> Option<f64> {
    // Clinger's fast path: both operands are exact, and IEEE arithmetic rounds the result once.
    if w <= 1 << 53 && (-22..=22).contains(&e10) {
        let p = POW10[e10.unsigned_abs() as usize];
        return Some(if e10 < 0 { w as f64 / p } else { w as f64 * p });
    }
    if (0..=19).contains(&e10) {
        // Below 2^64 · 10^19 < 2^128 the product is exact, and the cast rounds to nearest, ties
        // to even.
        return Some((u128::from(w) * 10u128.pow(e10 as u32)) as f64);
    }
    if (-21..0).contains(&e10) {
        // `w / 10^k` as a fixed-point quotient with at least 56 bits (w·2^s ≥ 2^127 and
        // 10^21 < 2^70), the remainder folded into its lowest bit: casting then rounds exactly as
        // the true quotient would round, and the scaling by 2^-s is exact (the value is normal).
        let s = w.leading_zeros() + 64;
        let scaled = u128::from(w) << s;
        let divisor = 10u128.pow(e10.unsigned_abs() as u32);
        let quotient = (scaled / divisor) | u128::from(!scaled.is_multiple_of(divisor));
        debug_assert!(quotient >= 1 << 55);
        return Some(quotient as f64 * f64::from_bits((1023 - u64::from(s)) << 52));
    }
    None
}

/// A decimal `0.d₁d₂d₃… × 10^point` that is shifted by powers of two until its leading digits
/// are the 53 bits of the `f64`.
struct Decimal {
    /// Significant digits (0–9), the last one not zero, at most `MAX_DIGITS`.
    digits: Vec<u8>,
    point: i32,
    /// Non-zero digits beyond `MAX_DIGITS` were dropped.
    truncated: bool,
}

/// The largest shift whose partial products fit a `u64` (9 · 2^60 plus a carry).
const MAX_SHIFT: u32 = 60;
/// Beyond this the value is 0 or infinite.
const POINT_RANGE: i32 = 2047;

impl Decimal {
    fn into_f64(mut self) -> f64 {
        const MIN_EXPONENT: i32 = -1022;
        const MANTISSA_BITS: u32 = 52;
        const INFINITE: i32 = 0x7FF;
        if self.digits.is_empty() || self.point < -324 {
            return 0.0;
        }
        if self.point >= 310 {
            return f64::INFINITY;
        }
        // How far to shift for `n` decimal places: the largest 2^k ≤ 10^n, at most 2^60.
        const SHIFTS: [u8; 19] = [
            0, 3, 6, 9, 13, 16, 19, 23, 26, 29, 33, 36, 39, 43, 46, 49, 53, 56, 59,
        ];
        let shift_for = |n: i32| SHIFTS.get(n as usize).map_or(MAX_SHIFT, |&k| u32::from(k));
        let mut exp2 = 0i32;
        while self.point > 0 {
            let shift = shift_for(self.point);
            self.right_shift(shift);
            if self.digits.is_empty() {
                // Underflowed (`right_shift` cleared it).
                return 0.0;
            }
            exp2 += shift as i32;
        }
        // Into [1/2, 1).
        while self.point <= 0 {
            let shift = if self.point == 0 {
                match self.digits[0] {
                    5.. => break,
                    0 | 1 => 2,
                    _ => 1,
                }
            } else {
                shift_for(-self.point)
            };
            self.left_shift(shift);
            if self.point > POINT_RANGE {
                return f64::INFINITY;
            }
            exp2 -= shift as i32;
        }
        // The binary format's mantissa is in [1, 2).
        exp2 -= 1;
        while exp2 < MIN_EXPONENT {
            let n = (MIN_EXPONENT - exp2).min(MAX_SHIFT as i32);
            self.right_shift(n as u32);
            exp2 += n;
        }
        // The exponent field of a normal number with binary exponent `exp2`.
        let biased = |exp2: i32| exp2 - MIN_EXPONENT + 1;
        if biased(exp2) >= INFINITE {
            return f64::INFINITY;
        }
        self.left_shift(MANTISSA_BITS + 1);
        let mut mantissa = self.round();
        if mantissa >= 1 << (MANTISSA_BITS + 1) {
            // Rounding carried into a new bit.
            self.right_shift(1);
            exp2 += 1;
            mantissa = self.round();
            if biased(exp2) >= INFINITE {
                return f64::INFINITY;
            }
        }
        let mut biased = biased(exp2);
        if mantissa < 1 << MANTISSA_BITS {
            // Subnormal.
            biased -= 1;
        }
        let fraction = mantissa & ((1 << MANTISSA_BITS) - 1);
        f64::from_bits((biased as u64) << MANTISSA_BITS | fraction)
    }

    /// The integer part, rounded to nearest, ties to even (`point` ≤ 18).
    fn round(&self) -> u64 {
        if self.point < 0 {
            return 0;
        }
        let point = self.point as usize;
        let mut n = (0..point).fold(0u64, |n, i| {
            n * 10 + u64::from(self.digits.get(i).copied().unwrap_or(0))
        });
        if let Some(&next) = self.digits.get(point) {
            let up = if next == 5 && point + 1 == self.digits.len() {
                // Exactly half, unless dropped digits made it more.
                self.truncated || (point > 0 && self.digits[point - 1] % 2 == 1)
            } else {
                next >= 5
            };
            n += u64::from(up);
        }
        n
    }

    /// Multiplies by 2^shift.
    fn left_shift(&mut self, shift: u32) {
        // From the last digit up: the number of new leading digits shows only at the end.
        let mut reversed = Vec::with_capacity(self.digits.len() + 19);
        let mut n = 0u64;
        for &d in self.digits.iter().rev() {
            n += u64::from(d) << shift;
            reversed.push((n % 10) as u8);
            n /= 10;
        }
        while n > 0 {
            reversed.push((n % 10) as u8);
            n /= 10;
        }
        self.point += (reversed.len() - self.digits.len()) as i32;
        reversed.reverse();
        if reversed.len() > MAX_DIGITS {
            self.truncated |= reversed[MAX_DIGITS..].iter().any(|&d| d != 0);
            reversed.truncate(MAX_DIGITS);
        }
        self.digits = reversed;
        self.trim();
    }

    /// Divides by 2^shift.
    fn right_shift(&mut self, shift: u32) {
        let mut read = 0;
        let mut n = 0u64;
        // Enough leading digits to give a first quotient digit.
        while n >> shift == 0 {
            if let Some(&d) = self.digits.get(read) {
                n = n * 10 + u64::from(d);
            } else if n == 0 {
                return;
            } else {
                n *= 10;
            }
            read += 1;
        }
        self.point -= read as i32 - 1;
        if self.point < -POINT_RANGE {
            // Zero, as far as an `f64` can tell.
            self.digits.clear();
            self.point = 0;
            self.truncated = false;
            return;
        }
        let mask = (1u64 << shift) - 1;
        let mut out = Vec::with_capacity(self.digits.len() + shift as usize);
        for &d in self.digits.get(read..).unwrap_or_default() {
            out.push((n >> shift) as u8);
            n = (n & mask) * 10 + u64::from(d);
        }
        while n > 0 {
            let digit = (n >> shift) as u8;
            n = (n & mask) * 10;
            if out.len() < MAX_DIGITS {
                out.push(digit);
            } else if digit > 0 {
                self.truncated = true;
            }
        }
        self.digits = out;
        self.trim();
    }

    fn trim(&mut self) {
        while self.digits.last() == Some(&0) {
            self.digits.pop();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `expected` as `f64` bits (`None`: the text is refused); std's parse must agree.
    #[track_caller]
    fn check(text: &str, expected: Option<f64>) {
        let got = parse_f64(text);
        let std = text.parse::<f64>().ok();
        let bits = |v: Option<f64>| v.map(|v| if v.is_nan() { None } else { Some(v.to_bits()) });
        assert_eq!(bits(got), bits(expected), "{text:?}: got {got:?}");
        assert_eq!(bits(got), bits(std), "{text:?}: std says {std:?}");
    }

    #[test]
    fn reads_what_the_database_prints() {
        check("0", Some(0.0));
        check("-0", Some(-0.0));
        check("1", Some(1.0));
        check("123.456", Some(123.456));
        check("235.09243580661322", Some(235.09243580661322));
        check("0.30000000000000004", Some(0.1 + 0.2));
        check("1e+20", Some(1e20));
        check("1.5e-07", Some(1.5e-7));
        check("-12.5E3", Some(-12500.0));
        check("NaN", Some(f64::NAN));
        check("Infinity", Some(f64::INFINITY));
        check("-Infinity", Some(f64::NEG_INFINITY));
        check("inf", Some(f64::INFINITY));
        check("+nan", Some(f64::NAN));
    }

    #[test]
    fn reads_every_shape_std_reads() {
        check(".5", Some(0.5));
        check("5.", Some(5.0));
        check("+5", Some(5.0));
        check("007.2500", Some(7.25));
        check("0.000", Some(0.0));
        check("1e0", Some(1.0));
        check("1e-0", Some(1.0));
        check("00000000000000000000000000001", Some(1.0));
        check("1234567890123456789", Some(1234567890123456789.0));
        check("12345678901234567890123", Some(1.2345678901234568e22));
    }

    #[test]
    fn refuses_what_std_refuses() {
        for text in [
            "", "-", "+", ".", "-.", "e5", ".e5", "1e", "1e+", "1.2.3", " 1", "1 ", "1_000",
            "0x10", "--1", "in", "infinit", "nana", "1,5", "١",
        ] {
            check(text, None);
        }
    }

    #[test]
    // The expected values are the texts themselves, as rustc reads literals: exactly.
    #[allow(clippy::excessive_precision)]
    fn rounds_exactly_at_the_edges() {
        // Halfway between two doubles: ties to even, and a digit after the tie rounds up.
        check("9007199254740993", Some(9007199254740992.0));
        check(
            "9007199254740993.0000000000000000001",
            Some(9007199254740994.0),
        );
        check("9007199254740995", Some(9007199254740996.0));
        // The largest double, the first text that overflows, and far beyond.
        check("1.7976931348623157e308", Some(f64::MAX));
        check("1.7976931348623158e308", Some(f64::MAX));
        check("1.7976931348623159e308", Some(f64::INFINITY));
        check("1e400", Some(f64::INFINITY));
        check("1e99999999999999999999", Some(f64::INFINITY));
        // The smallest normal, subnormals, the tie below the smallest subnormal, and underflow.
        check("2.2250738585072014e-308", Some(f64::MIN_POSITIVE));
        check(
            "2.2250738585072011e-308",
            Some(f64::from_bits(0x000F_FFFF_FFFF_FFFF)),
        );
        check("4.9406564584124654e-324", Some(f64::from_bits(1)));
        check("2.4703282292062327e-324", Some(0.0));
        check("2.4703282292062328e-324", Some(f64::from_bits(1)));
        check("1e-400", Some(0.0));
        check("1e-99999999999999999999", Some(0.0));
        // The shortcut's limits, each side.
        check("1e22", Some(1e22));
        check("1e23", Some(1e23));
        check("9999999999999999999e19", Some(9999999999999999999e19));
        check("1234567890123456789e-21", Some(1234567890123456789e-21));
        check("1234567890123456789e-22", Some(1234567890123456789e-22));
    }

    #[test]
    fn keeps_the_digits_that_decide_a_tie_beyond_768() {
        // 2^-1075 = 5^1075 / 10^1075 (half the smallest subnormal) written out in full has 1075
        // decimals: a tie, to even (zero); one more non-zero digit far beyond the 768th significant
        // one decides that it rounds up.
        let half_min = format!("0.{:0>1075}", pow5(1075));
        check(&half_min, Some(0.0));
        check(
            &(half_min.clone() + "0000000000000000000001"),
            Some(f64::from_bits(1)),
        );
        check(&("1".repeat(900) + "e-900"), Some(1.0 / 9.0));
        check(&("0.".to_owned() + &"0".repeat(800) + "1e801"), Some(1.0));
    }

    /// 5^n in decimal.
    fn pow5(n: usize) -> String {
        let mut digits = vec![1u8]; // least significant first
        for _ in 0..n {
            let mut carry = 0;
            for d in &mut digits {
                let v = *d * 5 + carry;
                *d = v % 10;
                carry = v / 10;
            }
            if carry > 0 {
                digits.push(carry);
            }
        }
        digits.iter().rev().map(|d| char::from(b'0' + d)).collect()
    }

    #[test]
    fn agrees_with_std_on_every_double_printed_shortest_and_long() {
        let mut state = crate::rand::SplitMix64::new(7);
        for _ in 0..200_000 {
            let v = f64::from_bits(state.next_u64());
            if !v.is_finite() {
                continue;
            }
            // Shortest round trip (as PostgreSQL prints), 17 and 25 significant digits.
            for text in [format!("{v}"), format!("{v:.16e}"), format!("{v:.24e}")] {
                let std = text.parse::<f64>().unwrap();
                assert_eq!(
                    parse_f64(&text).map(f64::to_bits),
                    Some(std.to_bits()),
                    "{text}"
                );
            }
        }
    }

    #[test]
    fn agrees_with_std_on_random_decimal_texts() {
        let mut state = crate::rand::SplitMix64::new(11);
        let mut text = String::new();
        for _ in 0..300_000 {
            text.clear();
            let r = state.next_u64();
            let digits = 1 + (r % 40) as usize;
            let point = (r >> 8) as usize % (digits + 2);
            for i in 0..digits {
                if i == point {
                    text.push('.');
                }
                // Mostly zeros and nines at times: long carries and ties.
                let d = match state.next_u64() % 4 {
                    0 => 0,
                    1 => 9,
                    _ => state.next_u64() % 10,
                };
                text.push(char::from(b'0' + d as u8));
            }
            if r >> 20 & 1 == 1 {
                text.push_str(&format!("e{}", (r >> 24) as i64 % 700 - 350));
            }
            let std = text.parse::<f64>().ok().map(f64::to_bits);
            assert_eq!(parse_f64(&text).map(f64::to_bits), std, "{text}");
        }
    }

    #[test]
    fn float8in_range_rules() {
        let check = |text: &str, expected: Result<f64, Float8Error>| {
            let got = parse_float8(text);
            match (got, expected) {
                (Ok(a), Ok(b)) => assert!(
                    a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()),
                    "{text:?}: {a:e}"
                ),
                (a, b) => assert_eq!(a, b, "{text:?}"),
            }
        };
        check("1e999", Err(Float8Error::OutOfRange));
        check("-1e999", Err(Float8Error::OutOfRange));
        check("1.7976931348623159e308", Err(Float8Error::OutOfRange));
        check("1e-999", Err(Float8Error::OutOfRange));
        check("-2e-324", Err(Float8Error::OutOfRange));
        check("1e-310", Ok(1e-310));
        check("3e-324", Ok(5e-324));
        check("0e-999", Ok(0.0));
        check("-0.000", Ok(-0.0));
        check(" 12.5\n", Ok(12.5));
        // Found by fuzzing: C's white space includes the vertical tab and the form feed.
        check("2.003e-722\x0b", Err(Float8Error::OutOfRange));
        check("\x0c1.5\x0b", Ok(1.5));
        check("Infinity", Ok(f64::INFINITY));
        check("-inf", Ok(f64::NEG_INFINITY));
        check("NaN", Ok(f64::NAN));
        check("1.7976931348623157e308", Ok(f64::MAX));
        check("", Err(Float8Error::Syntax));
        check("1e", Err(Float8Error::Syntax));
        check("0x10", Err(Float8Error::Syntax));
    }
}
