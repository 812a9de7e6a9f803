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

/// What a record's free-text search looks in: every text of its data (repeat rows included),
/// folded, one per line. A query folded the same way is a substring of it.
pub fn search_text(data: &serde_json::Map<String, serde_json::Value>) -> String {
    fn walk(v: &serde_json::Value, out: &mut String) {
        match v {
            serde_json::Value::String(s) => {
                fold_into(s, out);
                out.push('\n');
            }
            serde_json::Value::Array(items) => items.iter().for_each(|i| walk(i, out)),
            serde_json::Value::Object(map) => map.values().for_each(|i| walk(i, out)),
            _ => {}
        }
    }
    let mut out = String::new();
    data.values().for_each(|v| walk(v, &mut out));
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

    #[test]
    fn a_records_search_text_holds_every_text_folded_repeat_rows_included() {
        let data = serde_json::json!({
            "location": "Ngõ 5 Nhật Tân",
            "count": 3,
            "people": [{"name": "Trần Thị HOA"}],
        });
        let text = search_text(data.as_object().unwrap());
        for q in ["nhat tan", "NHẬT TÂN", "Nha\u{323}t Tân", "tran thi hoa"] {
            assert!(text.contains(&fold(q)), "{q:?} in {text:?}");
        }
        assert!(!text.contains('3'), "numbers are not text");
    }

    #[test]
    fn folding_ignores_diacritics_case_and_normalization_form() {
        assert_eq!(fold("Nhật Tân"), "nhat tan");
        assert_eq!(fold("ĐỘI"), "doi");
        // Precomposed and decomposed input fold alike.
        assert_eq!(fold("Qu\u{1ea3}ng An"), fold("Qua\u{309}ng An"));
    }
}
