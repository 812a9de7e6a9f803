//! A record's answers, as a phone sends them, against each built-in form: validating, pruning
//! the hidden answers and reading the indicators' facets never panic, and what validation
//! accepts stays accepted once pruned.
#![no_main]

use std::sync::OnceLock;

use domain::form::FormDef;
use domain::validate::{prune, validate};
use domain::Lang;
use libfuzzer_sys::fuzz_target;
use serde_json::{Map, Value};

fn forms() -> &'static [FormDef] {
    static FORMS: OnceLock<Vec<FormDef>> = OnceLock::new();
    FORMS.get_or_init(FormDef::builtin)
}

fuzz_target!(|data: &[u8]| {
    let Some((&which, json)) = data.split_first() else {
        return;
    };
    let Ok(answers) = serde_json::from_slice::<Map<String, Value>>(json) else {
        return;
    };
    let form = &forms()[usize::from(which) % forms().len()];
    let errors = validate(form, &answers, Lang::Vi);
    let pruned = prune(form, &answers);
    let _ = domain::indicators::facets(&form.key, &pruned);
    if errors.is_empty() {
        assert!(
            validate(form, &pruned, Lang::En).is_empty(),
            "valid answers stay valid once the hidden ones are pruned"
        );
    }
});
