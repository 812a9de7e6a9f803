//! Folding of Vietnamese text so that "Nhat Tan" finds "Nhật Tân".

use unicode_normalization::char::{decompose_canonical, is_combining_mark};

/// Lowercases, decomposes (NFD), drops combining marks and NUL, and maps đ to d.
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    fold_into(s, &mut out);
    out
}

/// `fold(s)` appended to `out`. Every record's texts are folded as it is stored, so this is on
/// the push path: ASCII goes straight through, and other letters are decomposed one by one
/// (the marks are dropped, so NFD's reordering of them is not needed). Measured by
/// `cargo xtask bench ingest`: folding through `nfd()` took about 27 µs of a record's 48.
fn fold_into(s: &str, out: &mut String) {
    let keep = |out: &mut String, c: char| {
        if c == 'đ' || c == 'Đ' {
            out.push('d');
        } else {
            out.extend(c.to_lowercase());
        }
    };
    for c in s.chars() {
        if c == '\0' {
            // PostgreSQL's text cannot hold it, and nobody searches for it.
            continue;
        }
        if c.is_ascii() {
            out.push(c.to_ascii_lowercase());
        } else {
            decompose_canonical(c, |d| {
                if !is_combining_mark(d) {
                    keep(out, d);
                }
            });
        }
    }
}

/// What a record's free-text search looks in: the answers a person wrote, folded, one per
/// line; a query folded the same way is a substring of it. Those are the text, long text, phone
/// and citizen-id answers of `form`, repeat rows included. The values behind choices, dates,
/// times, GPS points and photos (English keys, ISO dates, SHA-256 digests) are left out: nobody
/// reads them on a record, so a search must not find a record by them ("a1f" matched photo
/// digests), and each adds trigrams to the PostgreSQL index that every push maintains
/// (migrations/postgres/0025). Without its form (a record of a version this server does not
/// hold) every text of the data is taken.
pub fn search_text(
    form: Option<&crate::form::FormDef>,
    data: &serde_json::Map<String, serde_json::Value>,
) -> String {
    use crate::form::{FieldDef, FieldKind};
    fn every_text(v: &serde_json::Value, out: &mut String) {
        match v {
            serde_json::Value::String(s) => {
                fold_into(s, out);
                out.push('\n');
            }
            serde_json::Value::Array(items) => items.iter().for_each(|i| every_text(i, out)),
            serde_json::Value::Object(map) => map.values().for_each(|i| every_text(i, out)),
            _ => {}
        }
    }
    fn written(
        fields: &[FieldDef],
        data: &serde_json::Map<String, serde_json::Value>,
        out: &mut String,
    ) {
        for field in fields {
            match (&field.kind, data.get(&field.key)) {
                (
                    FieldKind::Text { .. }
                    | FieldKind::LongText { .. }
                    | FieldKind::Phone
                    | FieldKind::CitizenId,
                    Some(serde_json::Value::String(s)),
                ) => {
                    fold_into(s, out);
                    out.push('\n');
                }
                (FieldKind::Repeat { fields, .. }, Some(serde_json::Value::Array(rows))) => {
                    for row in rows.iter().filter_map(serde_json::Value::as_object) {
                        written(fields, row, out);
                    }
                }
                _ => {}
            }
        }
    }
    let mut out = String::new();
    match form {
        Some(form) => written(&form.fields, data, &mut out),
        None => data.values().for_each(|v| every_text(v, &mut out)),
    }
    out
}

/// A record's urgency answer (`urgency`, as neighborhood reports ask it), for the queue's filter.
pub fn urgency(data: &serde_json::Map<String, serde_json::Value>) -> Option<&str> {
    data.get("urgency").and_then(serde_json::Value::as_str)
}

#[cfg(test)]
mod tests {
    use super::{fold, search_text};
    use proptest::prelude::*;

    /// The definition, as it reads: NFD, marks dropped, lowercased, đ as d, NUL dropped.
    fn by_definition(s: &str) -> String {
        use unicode_normalization::UnicodeNormalization;
        s.nfd()
            .filter(|c| *c != '\0')
            .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
            .flat_map(char::to_lowercase)
            .map(|c| if c == 'đ' { 'd' } else { c })
            .collect()
    }

    #[test]
    fn folding_letter_by_letter_equals_the_definition_on_vietnamese() {
        let all = "aàáảãạăằắẳẵặâầấẩẫậeèéẻẽẹêềếểễệiìíỉĩịoòóỏõọôồốổỗộơờớởỡợuùúủũụưừứửữựyỳýỷỹỵđ";
        for s in [
            all.to_owned(),
            all.to_uppercase(),
            "Nhật Tân, số 12 — İstanbul ß Ωmega".into(),
        ] {
            assert_eq!(fold(&s), by_definition(&s), "{s}");
        }
    }

    proptest! {
        #[test]
        fn folding_letter_by_letter_equals_the_definition_on_any_text(s in "\\PC{0,40}") {
            prop_assert_eq!(fold(&s), by_definition(&s));
        }
    }

    /// A form of every kind of answer the search text takes or leaves out.
    fn form() -> crate::form::FormDef {
        crate::form::FormDef::parse(
            r#"{"key": "t", "title": {"vi": "T", "en": "T"}, "filed_by": ["officer"], "fields": [
                {"key": "location", "label": {"vi": "a", "en": "a"}, "type": "text"},
                {"key": "note", "label": {"vi": "b", "en": "b"}, "type": "long_text"},
                {"key": "phone", "label": {"vi": "c", "en": "c"}, "type": "phone"},
                {"key": "count", "label": {"vi": "d", "en": "d"}, "type": "integer"},
                {"key": "kind", "label": {"vi": "e", "en": "e"}, "type": "single_choice",
                 "choices": [{"value": "theft", "label": {"vi": "Trộm", "en": "Theft"}}]},
                {"key": "when", "label": {"vi": "f", "en": "f"}, "type": "date_time"},
                {"key": "photos", "label": {"vi": "g", "en": "g"}, "type": "photo"},
                {"key": "people", "label": {"vi": "h", "en": "h"}, "type": "repeat",
                 "fields": [{"key": "name", "label": {"vi": "i", "en": "i"}, "type": "text"},
                            {"key": "role", "label": {"vi": "j", "en": "j"}, "type": "single_choice",
                             "choices": [{"value": "witness", "label": {"vi": "k", "en": "k"}}]}]}
            ]}"#,
        )
        .unwrap()
    }

    fn data() -> serde_json::Value {
        serde_json::json!({
            "location": "Ngõ 5 Nhật Tân",
            "note": "Mất xe máy",
            "phone": "0912345680",
            "count": 7,
            "kind": "theft",
            "when": "2026-11-25T21:00",
            "photos": [{"sha256": "a1f".repeat(21), "type": "image/jpeg", "bytes": 1}],
            "people": [{"name": "Trần Thị HOA", "role": "witness"}],
        })
    }

    #[test]
    fn a_records_search_text_holds_what_people_wrote_folded_repeat_rows_included() {
        let text = search_text(Some(&form()), data().as_object().unwrap());
        for q in [
            "nhat tan",
            "NHẬT TÂN",
            "Nha\u{323}t Tân",
            "mat xe may",
            "0912345680",
            "tran thi hoa",
        ] {
            assert!(text.contains(&fold(q)), "{q:?} in {text:?}");
        }
        for hidden in ["theft", "2026-11-25", "a1f", "witness", "image/jpeg", "7"] {
            assert!(!text.contains(hidden), "{hidden:?} is not in {text:?}");
        }
    }

    #[test]
    fn without_its_form_a_records_search_text_holds_every_text() {
        let text = search_text(None, data().as_object().unwrap());
        for q in ["nhat tan", "tran thi hoa", "theft", "witness"] {
            assert!(text.contains(&fold(q)), "{q:?} in {text:?}");
        }
        assert!(!text.contains('7'), "numbers are not text");
    }

    #[test]
    fn folding_ignores_diacritics_case_and_normalization_form() {
        assert_eq!(fold("Nhật Tân"), "nhat tan");
        assert_eq!(fold("ĐỘI"), "doi");
        // Precomposed and decomposed input fold alike.
        assert_eq!(fold("Qu\u{1ea3}ng An"), fold("Qua\u{309}ng An"));
    }
}
