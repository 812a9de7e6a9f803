//! The server's side of the pattern agreement (see pattern_cases.rs; the phone's side is
//! app/tests/pattern.rs, in the browser).

use domain::form::Pattern;

include!("pattern_cases.rs");

#[test]
fn the_server_matches_every_agreed_case() {
    for &(pattern, value, expected) in PATTERN_CASES {
        let p = Pattern::new(pattern);
        assert_eq!(p.error, None, "{pattern} compiles");
        assert_eq!(p.matches(value), expected, "{pattern} against {value:?}");
    }
}

#[test]
fn a_pattern_that_does_not_compile_is_refused_and_matches_nothing() {
    let p = Pattern::new("(unclosed");
    assert!(p.error.is_some());
    assert!(!p.matches("(unclosed"));
    let long = Pattern::new("a".repeat(501));
    assert!(long.error.is_some());
}
