//! Numbers typed on the phone read exactly as the server reads them, also those long enough to
//! go to the browser's own parser (domain::num::parse_decimal).
//!
//! Run with `CHROMEDRIVER=/usr/bin/chromedriver cargo test -p app --target wasm32-unknown-unknown`.

use domain::num::parse_decimal;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
fn long_and_short_decimals_read_as_rust_reads_them() {
    for s in [
        "12.5",
        "-0.25",
        "21.028511",
        "1234567890123456789",
        "0.1234567890123456789",
        "3.141592653589793238462643",
        "-98765432109876.54321",
        "0.00000000000000000000000000001",
    ] {
        assert_eq!(
            parse_decimal(s).map(f64::to_bits),
            s.parse::<f64>().ok().map(f64::to_bits),
            "{s}"
        );
    }
    assert_eq!(parse_decimal("1e5"), None);
}
