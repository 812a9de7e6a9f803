// Patterns a form may carry, values typed against them, and whether the whole value matches.
// The server (regex-lite) and the phone (the browser's RegExp) must agree on every one: this
// file is included by domain/tests/patterns.rs (native) and app/tests/pattern.rs (browser).

/// (pattern, value, matches)
pub const PATTERN_CASES: &[(&str, &str, bool)] = &[
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
