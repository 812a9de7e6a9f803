//! A pull answer as the phone reads it: any bytes either fail to parse or give a page that
//! serializes back and parses again to the same page.
#![no_main]

use domain::sync::PullResponse;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(page) = serde_json::from_slice::<PullResponse>(data) else {
        return;
    };
    let written = serde_json::to_vec(&page).expect("a page serializes");
    let again: PullResponse = serde_json::from_slice(&written).expect("a written page parses");
    assert_eq!(page, again);
});
