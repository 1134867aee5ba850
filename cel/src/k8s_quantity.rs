//! Kubernetes resource quantities (`500m`, `1.5Gi`, `2e3`) as apimachinery's
//! `resource.ParseQuantity` reads them, and the quantity library's functions over them.
//!
//! A quantity is held exactly as `mantissa × 10^exponent`. Like apimachinery, a quantity
//! is either a small one (an int64 times a power of ten, the "fast path") or a big decimal
//! one; only a small one converts to an integer (`isInteger`, `asInteger`), and a big one
//! is rounded up to nano units and capped at 2^63 − 1 when it is parsed.

use std::cmp::Ordering;

const FORMAT_WRONG: &str =
    "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
const SUFFIX_WRONG: &str = "unable to parse quantity's suffix";
/// apimachinery's cap on a parsed big quantity: the largest int64.
const MAX_ALLOWED: i128 = i64::MAX as i128;

#[derive(Clone, Debug)]
pub struct Quantity {
    pub text: String,
    mantissa: i128,
    exponent: i32,
    /// Held as a big decimal (not an int64 amount) by apimachinery.
    big: bool,
}

/// The split of a quantity's text (apimachinery's `parseQuantityString`).
struct Parts<'a> {
    negative: bool,
    /// The integer digits without leading zeros ("0" when there are none).
    whole: &'a str,
    fraction: &'a str,
    suffix: &'a str,
}

fn split(text: &str) -> Result<Parts<'_>, &'static str> {
    let bytes = text.as_bytes();
    let end = bytes.len();
    let mut at = 0;
    let negative = bytes.first() == Some(&b'-');
    if matches!(bytes.first(), Some(b'-' | b'+')) {
        at = 1;
    }
    while at < end && bytes[at] == b'0' {
        at += 1;
    }
    if at >= end {
        return Ok(Parts { negative, whole: "0", fraction: "", suffix: "" });
    }
    let start = at;
    while at < end && bytes[at].is_ascii_digit() {
        at += 1;
    }
    let whole = if at == start { "0" } else { &text[start..at] };
    let mut fraction = "";
    if at < end && bytes[at] == b'.' {
        at += 1;
        let start = at;
        while at < end && bytes[at].is_ascii_digit() {
            at += 1;
        }
        fraction = &text[start..at];
    }
    let suffix_start = at;
    while at < end && b"eEinumkKMGTP".contains(&bytes[at]) {
        at += 1;
    }
    if at < end && matches!(bytes[at], b'-' | b'+') {
        at += 1;
    }
    while at < end && bytes[at].is_ascii_digit() {
        at += 1;
    }
    if at < end {
        return Err(FORMAT_WRONG);
    }
    Ok(Parts { negative, whole, fraction, suffix: &text[suffix_start..] })
}

/// A suffix as apimachinery interprets it: (base, exponent, binary).
fn interpret(suffix: &str) -> Option<(u32, i32, bool)> {
    Some(match suffix {
        "" => (10, 0, false),
        "n" => (10, -9, false),
        "u" => (10, -6, false),
        "m" => (10, -3, false),
        "k" => (10, 3, false),
        "M" => (10, 6, false),
        "G" => (10, 9, false),
        "T" => (10, 12, false),
        "P" => (10, 15, false),
        "E" => (10, 18, false),
        "Ki" => (2, 10, true),
        "Mi" => (2, 20, true),
        "Gi" => (2, 30, true),
        "Ti" => (2, 40, true),
        "Pi" => (2, 50, true),
        "Ei" => (2, 60, true),
        _ if suffix.len() > 1 && suffix.starts_with(['e', 'E']) => {
            // Go's ParseInt: an optional sign, then digits, within int64; apimachinery
            // keeps the low 32 bits.
            let exponent: i64 = suffix[1..].parse().ok()?;
            (10, exponent as i32, false)
        }
        _ => return None,
    })
}

/// Decimal digits (most significant first) times two.
fn double(digits: &mut Vec<u8>) {
    let mut carry = 0;
    for digit in digits.iter_mut().rev() {
        let value = *digit * 2 + carry;
        *digit = value % 10;
        carry = value / 10;
    }
    if carry > 0 {
        digits.insert(0, carry);
    }
}

impl Quantity {
    pub fn parse(text: &str) -> Result<Quantity, String> {
        if text.is_empty() {
            return Err(FORMAT_WRONG.to_string());
        }
        let parts = split(text)?;
        let (_, exponent, binary) = interpret(parts.suffix).ok_or(SUFFIX_WRONG)?;
        let digits = parts.whole.len() + parts.fraction.len();
        // The fast path: an int64 amount with a scale of at least nano.
        let precision: i64 = match (binary, parts.fraction.is_empty()) {
            (false, _) => 18 - digits as i64,
            (true, true) => 15 - parts.whole.len() as i64 - i64::from(exponent) * 3 / 10 - 1,
            (true, false) => -1,
        };
        if precision >= 0 {
            let scale = if binary { 0 } else { exponent } - parts.fraction.len() as i32;
            if scale >= -9 {
                let value: i64 = format!("{}{}", parts.whole, parts.fraction).parse().map_err(|_| FORMAT_WRONG)?;
                let multiplier: i64 = if binary { 1 << exponent } else { 1 };
                if let Some(value) = value.checked_mul(multiplier) {
                    let value = if parts.negative { -value } else { value };
                    return Ok(Quantity {
                        text: text.to_string(),
                        mantissa: value.into(),
                        exponent: scale,
                        big: false,
                    });
                }
            }
        }
        // The big path: exact, then rounded up (away from zero) to nano units and capped.
        let mut digits: Vec<u8> =
            parts.whole.bytes().chain(parts.fraction.bytes()).map(|b| b - b'0').skip_while(|d| *d == 0).collect();
        let mut power = -(parts.fraction.len() as i64);
        // Past the cap before doubling is past it after: no need to double a long number.
        let capped_already = digits.len() as i64 + power + 9 > 29;
        if binary && !capped_already {
            for _ in 0..exponent {
                double(&mut digits);
            }
        } else if !binary {
            power += i64::from(exponent);
        }
        // value = digits × 10^power; in nano units, digits × 10^(power + 9).
        let shift = power + 9;
        let integer_len = digits.len() as i64 + shift;
        let nanos: i128 = if digits.is_empty() {
            0
        } else if integer_len > 29 || (binary && capped_already) {
            MAX_ALLOWED * 1_000_000_000
        } else if integer_len <= 0 {
            1
        } else {
            let integer_len = integer_len as usize;
            let mut nanos: i128 = 0;
            for index in 0..integer_len {
                nanos = nanos * 10 + i128::from(*digits.get(index).unwrap_or(&0));
            }
            if digits.iter().skip(integer_len).any(|digit| *digit != 0) {
                nanos += 1;
            }
            nanos.min(MAX_ALLOWED * 1_000_000_000)
        };
        let nanos = if parts.negative { -nanos } else { nanos };
        Ok(Quantity { text: text.to_string(), mantissa: nanos, exponent: -9, big: true })
    }

    /// An integer as the library converts one (`add(20)`): an int64 amount, scale 0.
    pub fn from_int(value: i64) -> Quantity {
        Quantity { text: value.to_string(), mantissa: value.into(), exponent: 0, big: false }
    }

    fn from_parts(mantissa: i128, exponent: i32, big: bool) -> Quantity {
        let mut quantity = Quantity { text: String::new(), mantissa, exponent, big };
        quantity.text = quantity.canonical_text();
        quantity
    }

    fn canonical_text(&self) -> String {
        let (mut mantissa, mut exponent) = (self.mantissa, self.exponent);
        while mantissa != 0 && mantissa % 10 == 0 {
            mantissa /= 10;
            exponent += 1;
        }
        if mantissa == 0 {
            return "0".to_string();
        }
        if (0..=18).contains(&exponent) {
            return format!("{}", mantissa * 10i128.pow(exponent as u32));
        }
        format!("{mantissa}e{exponent}")
    }

    pub fn sign(&self) -> i64 {
        self.mantissa.signum() as i64
    }

    /// Both mantissas scaled to the smaller exponent, when that fits.
    fn aligned(&self, other: &Quantity) -> Option<(i128, i128, i32)> {
        let exponent = self.exponent.min(other.exponent);
        let scale = |quantity: &Quantity| {
            if quantity.mantissa == 0 {
                return Some(0);
            }
            let shift = u32::try_from(i64::from(quantity.exponent) - i64::from(exponent)).ok()?;
            10i128.checked_pow(shift).and_then(|factor| quantity.mantissa.checked_mul(factor))
        };
        Some((scale(self)?, scale(other)?, exponent))
    }

    pub fn compare(&self, other: &Quantity) -> Ordering {
        if let Some((a, b, _)) = self.aligned(other) {
            return a.cmp(&b);
        }
        let sign = self.mantissa.signum().cmp(&other.mantissa.signum());
        if sign != Ordering::Equal {
            return sign;
        }
        self.approximate().partial_cmp(&other.approximate()).unwrap_or(Ordering::Equal)
    }

    /// `AsApproximateFloat64`: the mantissa times Go's `math.Pow10` of the exponent.
    pub fn approximate(&self) -> f64 {
        let base = self.mantissa as f64;
        match self.exponent {
            _ if self.mantissa == 0 => 0.0,
            0 => base,
            exponent if exponent > 308 => base * f64::INFINITY,
            exponent if exponent > 0 => base * format!("1e{exponent}").parse::<f64>().unwrap_or(f64::INFINITY),
            exponent if exponent < -323 => base * 0.0,
            // Go divides one by the power of ten (two steps past 1e31).
            exponent => {
                let magnitude = exponent.unsigned_abs();
                let (high, low) = (magnitude / 32 * 32, magnitude % 32);
                let power = |n: u32| format!("1e{n}").parse::<f64>().unwrap_or(f64::INFINITY);
                base * (1.0 / power(high) / power(low))
            }
        }
    }

    /// `AsInt64`: a small quantity with a scale of zero or more that fits in an int64.
    pub fn as_int64(&self) -> Option<i64> {
        if self.big || self.exponent < 0 {
            return None;
        }
        let factor = 10i128.checked_pow(self.exponent as u32)?;
        self.mantissa.checked_mul(factor).and_then(|value| i64::try_from(value).ok())
    }

    /// `Add` and `Sub`: two small quantities stay small while their sum fits an int64 at
    /// the smaller scale; otherwise the sum is a big, exact decimal.
    pub fn plus(&self, other: &Quantity, negate: bool) -> Result<Quantity, String> {
        let other_mantissa = if negate { -other.mantissa } else { other.mantissa };
        if !self.big && !other.big {
            if other_mantissa == 0 {
                return Ok(Quantity::from_parts(self.mantissa, self.exponent, false));
            }
            if self.mantissa == 0 {
                return Ok(Quantity::from_parts(other_mantissa, other.exponent, false));
            }
            let exponent = self.exponent.min(other.exponent);
            let small = |mantissa: i128, from: i32| -> Option<i64> {
                let shift = u32::try_from(from - exponent).ok()?;
                let value = i64::try_from(mantissa).ok()?;
                value.checked_mul(10i64.checked_pow(shift)?)
            };
            if let (Some(a), Some(b)) = (small(self.mantissa, self.exponent), small(other_mantissa, other.exponent)) {
                if let Some(sum) = a.checked_add(b) {
                    return Ok(Quantity::from_parts(sum.into(), exponent, false));
                }
            }
        }
        let other = Quantity { text: String::new(), mantissa: other_mantissa, exponent: other.exponent, big: true };
        let (a, b, exponent) = self.aligned(&other).ok_or("quantity arithmetic overflow")?;
        a.checked_add(b)
            .map(|sum| Quantity::from_parts(sum, exponent, true))
            .ok_or_else(|| "quantity arithmetic overflow".to_string())
    }
}
