//! A push body as the server reads it: any bytes either fail to parse or give records that
//! are each validated against their form (a built-in one) without panicking.
#![no_main]

use std::sync::OnceLock;

use domain::form::FormDef;
use domain::sync::PushRequest;
use domain::Lang;
use libfuzzer_sys::fuzz_target;

fn forms() -> &'static [FormDef] {
    static FORMS: OnceLock<Vec<FormDef>> = OnceLock::new();
    FORMS.get_or_init(FormDef::builtin)
}

fuzz_target!(|data: &[u8]| {
    let Ok(push) = serde_json::from_slice::<PushRequest>(data) else {
        return;
    };
    for record in &push.records {
        let _ = domain::calendar::filed_at_ms(&record.created_at, 1_800_000_000_000);
        if let Some(form) = forms().iter().find(|f| f.key == record.form_key) {
            let _ = domain::validate::validate(form, &record.data, Lang::Vi);
            let _ = domain::indicators::facets(&form.key, &record.data);
        }
    }
});
