//! A `show_if` condition: parsing never panics, and a condition that parses is evaluated
//! against answers of every JSON kind without panicking.
#![no_main]

use domain::expr::Expr;
use libfuzzer_sys::fuzz_target;
use serde_json::{json, Value};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(expr) = Expr::parse(text) else {
        return;
    };
    let answers = [
        Value::Null,
        json!(true),
        json!(0),
        json!(-1.5),
        json!(1e300),
        json!(""),
        json!("urgent"),
        json!(["drugs", "fire_risk"]),
        json!([{"name": "A"}, {"name": "B"}]),
        json!({"lat": 21.0, "lon": 105.8}),
    ];
    for answer in &answers {
        let _ = expr.holds(&|_key: &str| Some(answer));
    }
    let _ = expr.holds(&|_key: &str| None);
    let _ = expr.fields();
});
