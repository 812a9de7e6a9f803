//! The phone's side of the pattern agreement: the browser's RegExp, through domain::form::Pattern
//! on wasm32, matches every case the server's regex-lite does (domain/tests/pattern_cases.rs).
//!
//! Run with `CHROMEDRIVER=/usr/bin/chromedriver cargo test -p app --target wasm32-unknown-unknown`.

use domain::form::Pattern;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

include!("../../domain/tests/pattern_cases.rs");

#[wasm_bindgen_test]
fn the_phone_matches_every_agreed_case_as_the_server_does() {
    for &(pattern, value, expected) in PATTERN_CASES {
        assert_eq!(
            Pattern::new(pattern).matches(value),
            expected,
            "{pattern} against {value:?}"
        );
    }
}

#[wasm_bindgen_test]
fn a_pattern_the_browser_cannot_compile_is_not_held_against_the_user() {
    // regex-lite's POSIX classes are not JavaScript: the phone lets the value through and the
    // server (which compiled the pattern at publication) decides.
    let posix = Pattern::new("[[:digit:]]+");
    assert_eq!(posix.error, None);
    assert!(posix.matches("123"));
    assert!(posix.matches("abc"));
}

#[wasm_bindgen_test]
fn a_pattern_too_long_matches_nothing_on_the_phone_either() {
    assert!(!Pattern::new("a".repeat(501)).matches("a"));
}
