//! Numeric literals as JSON values, with the digits the user wrote kept.
//!
//! A number is sent as a JSON number only when that number is the one written: an integer
//! within `i64`/`u64`, or a decimal whose nearest `f64` prints back as the same decimal value
//! (`0.1`, `1.50`, `1e20`). Any other (`99999999999999999999999`, `0.1000000000000000000001`)
//! would lose digits as an `f64`, so it is kept as its text: a path or query parameter gets
//! exactly those digits, and a request body gets them as a JSON string.

use serde_json::Value;

/// The JSON value of the numeric literal `text` (digits with an optional sign, fraction and
/// exponent), or `None` when it is beyond the range of a double (`1e999`).
pub fn number_value(text: &str) -> Option<Value> {
    if let Ok(i) = text.parse::<i64>() {
        return Some(Value::from(i));
    }
    if let Ok(u) = text.parse::<u64>() {
        return Some(Value::from(u));
    }
    let f = text.parse::<f64>().ok().filter(|f| f.is_finite())?;
    let n = serde_json::Number::from_f64(f)?;
    match (decimal(text), decimal(&n.to_string())) {
        (Some(written), Some(read)) if written == read => Some(Value::Number(n)),
        _ => Some(Value::String(text.to_string())),
    }
}

/// A decimal number as (negative, significant digits, exponent) with value
/// `0.DIGITS × 10^exponent`; zero is `(false, "", 0)` whatever its sign or spelling.
fn decimal(text: &str) -> Option<(bool, String, i64)> {
    let (negative, rest) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let (mantissa, exponent) = match rest.find(['e', 'E']) {
        Some(i) => (&rest[..i], rest[i + 1..].parse::<i64>().ok()?),
        None => (rest, 0),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit()) {
        return None;
    }
    let digits = format!("{int}{frac}");
    let leading = digits.len() - digits.trim_start_matches('0').len();
    let significant = digits[leading..].trim_end_matches('0');
    if significant.is_empty() {
        return Some((false, String::new(), 0));
    }
    let shift = i64::try_from(int.len()).ok()? - i64::try_from(leading).ok()?;
    Some((
        negative,
        significant.to_string(),
        exponent.checked_add(shift)?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn exact_numbers_are_json_numbers() {
        assert_eq!(number_value("42"), Some(json!(42)));
        assert_eq!(number_value("-7"), Some(json!(-7)));
        assert_eq!(number_value("+3"), Some(json!(3)));
        assert_eq!(number_value("18446744073709551615"), Some(json!(u64::MAX)));
        assert_eq!(number_value("0.1"), Some(json!(0.1)));
        assert_eq!(number_value("1.50"), Some(json!(1.5)));
        assert_eq!(number_value("-2.5e3"), Some(json!(-2500.0)));
        assert_eq!(number_value("100000000000000000000"), Some(json!(1e20)));
        assert_eq!(number_value("0.000"), Some(json!(0.0)));
    }

    #[test]
    fn numbers_an_f64_cannot_hold_keep_their_digits() {
        for text in [
            "99999999999999999999999",
            "99999999999999999999",
            "18446744073709551616",
            "-9223372036854775809",
            "0.1000000000000000000001",
            "123456789.123456789123",
            "1e-999",
        ] {
            assert_eq!(
                number_value(text),
                Some(Value::String(text.into())),
                "{text}"
            );
        }
    }

    #[test]
    fn numbers_beyond_a_double_are_refused() {
        assert_eq!(number_value("1e999"), None);
        assert_eq!(number_value("-1e999"), None);
    }

    #[test]
    fn decimals_compare_by_value_not_spelling() {
        assert_eq!(decimal("1.50"), decimal("1.5"));
        assert_eq!(decimal("0015e1"), decimal("150"));
        assert_eq!(decimal("1e20"), decimal("100000000000000000000"));
        assert_eq!(decimal("-0.0"), decimal("0"));
        assert_ne!(decimal("1e20"), decimal("99999999999999999999"));
        assert_eq!(decimal("1x"), None);
    }
}
