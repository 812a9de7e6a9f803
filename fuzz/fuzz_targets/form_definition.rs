//! A form definition file as an administrator publishes it: parsing never panics, and a
//! definition that parses is valid, written back the same, and read back equal.
#![no_main]

use domain::form::FormDef;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(form) = FormDef::parse(text) {
        form.check().expect("a parsed definition is valid");
        let written = serde_json::to_string(&form).expect("a definition serializes");
        let again = FormDef::parse(&written).expect("a written definition parses again");
        assert_eq!(form, again, "a definition survives being written and read");
    }
});
