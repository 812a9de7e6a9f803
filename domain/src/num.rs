//! Numbers as people type them, read the same way on the phone and the server.

/// Powers of ten up to the most decimals the fast path reads; all exact in an `f64`.
const POW10: [f64; 16] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
];

/// A decimal number written plainly: an optional minus, digits, and optionally a point and
/// more digits (`12`, `-0.5`, `3.25`). Nothing else: no exponent, sign `+`, spaces, `inf` or
/// `NaN`. The nearest `f64`, as Rust's and JavaScript's own parsers give.
///
/// Up to 15 significant digits (every number a form takes; so at most 15 decimals too) the
/// value is an exact integer divided by an exact power of ten, which IEEE division rounds
/// correctly; longer ones go to the platform's parser (the phone's is the browser's, which keeps Rust's float
/// parser and its tables out of the phone's download).
pub fn parse_decimal(text: &str) -> Option<f64> {
    let body = text.strip_prefix('-').unwrap_or(text);
    let (whole, frac) = match body.split_once('.') {
        Some((w, f)) => (w, f),
        None => (body, ""),
    };
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || !digits(whole) || !digits(frac) || body.ends_with('.') {
        return None;
    }
    let significant = whole.trim_start_matches('0').len() + frac.len();
    let value = if significant < POW10.len() {
        let mantissa = whole
            .bytes()
            .chain(frac.bytes())
            .fold(0u64, |m, b| m * 10 + u64::from(b - b'0'));
        mantissa as f64 / POW10[frac.len()]
    } else {
        platform_parse(body)?
    };
    let value = if text.starts_with('-') { -value } else { value };
    value.is_finite().then_some(value)
}

/// A number as someone types it into a field: `1,5` or `1.5` (Vietnamese writes a comma),
/// also `,5`, `5,`, `+5` and spaces around it; read with [`parse_decimal`]. No exponents.
pub fn parse_typed(text: &str) -> Option<f64> {
    let text = text.trim().replace(',', ".");
    let (sign, body) = match (text.strip_prefix('-'), text.strip_prefix('+')) {
        (Some(body), _) => ("-", body),
        (None, Some(body)) => ("", body),
        (None, None) => ("", text.as_str()),
    };
    if body.starts_with(['-', '+']) {
        return None;
    }
    let body = body.strip_suffix('.').unwrap_or(body);
    let zero = if body.starts_with('.') { "0" } else { "" };
    parse_decimal(&format!("{sign}{zero}{body}"))
}

#[cfg(not(target_arch = "wasm32"))]
fn platform_parse(body: &str) -> Option<f64> {
    body.parse().ok()
}

#[cfg(target_arch = "wasm32")]
fn platform_parse(body: &str) -> Option<f64> {
    use wasm_bindgen::prelude::*;
    #[wasm_bindgen]
    extern "C" {
        #[wasm_bindgen(js_name = Number)]
        fn js_number(text: &str) -> f64;
    }
    Some(js_number(body))
}

#[cfg(test)]
mod tests {
    use super::{parse_decimal, parse_typed};

    #[test]
    fn plain_decimals_read_as_rust_reads_them() {
        for s in [
            "0",
            "7",
            "-7",
            "12.5",
            "0.1",
            "0.3",
            "-0.25",
            "1000000",
            "3.14159265358979",
            "21.028511",
            "105.804817",
            "999999999999999",
            "0.000000000000000000001",
            "123456789.123456",
            "1234567890123456789",
            "0.1234567890123456789",
            "00012.50",
            "-0",
        ] {
            assert_eq!(
                parse_decimal(s).map(f64::to_bits),
                s.parse::<f64>().ok().map(f64::to_bits),
                "{s}"
            );
        }
    }

    #[test]
    fn typed_numbers_read_with_either_separator_and_loose_ends() {
        for (typed, n) in [
            ("1,5", 1.5),
            ("1.5", 1.5),
            (",5", 0.5),
            ("-,5", -0.5),
            ("5,", 5.0),
            ("+5", 5.0),
            (" 12,25 ", 12.25),
            ("0", 0.0),
        ] {
            assert_eq!(parse_typed(typed), Some(n), "{typed:?}");
        }
        for typed in [
            "", ",", "-", "+", "1e3", "1,2,3", "--5", "+-5", "5 5", "abc",
        ] {
            assert_eq!(parse_typed(typed), None, "{typed:?}");
        }
    }

    #[test]
    fn anything_but_a_plain_decimal_is_not_a_number() {
        for s in [
            "", "-", ".", ".5", "5.", "1.2.3", "+5", "1e5", "inf", "NaN", " 5", "5 ", "1,5", "--5",
            "0x10", "١٢",
        ] {
            assert_eq!(parse_decimal(s), None, "{s:?}");
        }
    }
}
