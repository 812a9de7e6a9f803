//! Patterns a form may carry, values typed against them, and whether the whole value matches.
//! The phone and the server run the same engine (regex-lite, through domain::form::Pattern), so
//! a value the phone lets through is one the server accepts.

use domain::form::Pattern;

/// (pattern, value, matches)
const PATTERN_CASES: &[(&str, &str, bool)] = &[
    ("[A-Z]{2}-[0-9]{3}", "AB-123", true),
    ("[A-Z]{2}-[0-9]{3}", "ab-123", false),
    // Anchored at both ends: the whole value must match.
    ("[A-Z]{2}-[0-9]{3}", "AB-1234", false),
    ("[A-Z]{2}-[0-9]{3}", "XAB-123", false),
    ("a|b", "ab", false),
    ("a|b", "b", true),
    // A citizen ID card number (CCCD): 12 digits.
    ("[0-9]{12}", "001234567890", true),
    ("[0-9]{12}", "00123456789", false),
    // Phone numbers.
    ("(0|\\+84)[0-9]{9}", "0912345678", true),
    ("(0|\\+84)[0-9]{9}", "+84912345678", true),
    ("(0|\\+84)[0-9]{9}", "84912345678", false),
    // Number plates.
    (
        "[0-9]{2}[A-Z][0-9]?-[0-9]{3}\\.?[0-9]{2}",
        "29A-123.45",
        true,
    ),
    (
        "[0-9]{2}[A-Z][0-9]?-[0-9]{3}\\.?[0-9]{2}",
        "29A1-12345",
        true,
    ),
    (
        "[0-9]{2}[A-Z][0-9]?-[0-9]{3}\\.?[0-9]{2}",
        "29-123.45",
        false,
    ),
    // \d and \w are ASCII in both.
    ("\\d+", "123", true),
    ("\\d+", "١٢٣", false),
    ("\\w+", "abc_123", true),
    ("\\w+", "Nhật", false),
    // Vietnamese text, one character per letter whatever its marks.
    (".+", "Nhật Tân", true),
    ("[^0-9]+", "Tây Hồ", true),
    ("Nhật Tân", "Nhật Tân", true),
    ("(?:ngõ|ngách) [0-9]+", "ngách 12", true),
    ("(?:ngõ|ngách) [0-9]+", "Ngách 12", false),
    ("Ph.{1}ờng", "Phường", true),
    // Empty values.
    ("[a-z]*", "", true),
    ("[a-z]+", "", false),
    // A dot does not match a line break in either.
    ("a.b", "a\nb", false),
];

#[test]
fn patterns_match_the_whole_value() {
    for &(pattern, value, expected) in PATTERN_CASES {
        let p = Pattern::new(pattern);
        assert!(p.compiled.is_ok(), "{pattern} compiles");
        assert_eq!(p.matches(value), expected, "{pattern} against {value:?}");
    }
}

#[test]
fn a_pattern_that_does_not_compile_is_refused_and_matches_nothing() {
    let p = Pattern::new("(unclosed");
    assert!(p.compiled.is_err());
    assert!(!p.matches("(unclosed"));
    // Not a way out of the anchors: the source must be a pattern on its own.
    let escape = Pattern::new("a)|(b");
    assert!(escape.compiled.is_err());
    assert!(!escape.matches("axxxx"));
    let long = Pattern::new("a".repeat(501));
    assert!(long.compiled.is_err());
}
