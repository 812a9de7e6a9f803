//! Folding of Vietnamese text so that "Nhat Tan" finds "Nhật Tân".

use unicode_normalization::UnicodeNormalization;

/// Lowercases, decomposes (NFD), drops combining marks and maps đ to d.
pub fn fold(s: &str) -> String {
    s.nfd()
        .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .map(|c| if c == 'đ' { 'd' } else { c })
        .collect()
}

/// What a record's free-text search looks in: every text of its data (repeat rows included),
/// folded, one per line. A query folded the same way is a substring of it.
pub fn search_text(data: &serde_json::Map<String, serde_json::Value>) -> String {
    fn walk(v: &serde_json::Value, out: &mut String) {
        match v {
            serde_json::Value::String(s) => {
                out.push_str(&fold(s));
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
