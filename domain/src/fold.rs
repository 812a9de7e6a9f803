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

#[cfg(test)]
mod tests {
    use super::fold;

    #[test]
    fn folding_ignores_diacritics_case_and_normalization_form() {
        assert_eq!(fold("Nhật Tân"), "nhat tan");
        assert_eq!(fold("ĐỘI"), "doi");
        // Precomposed and decomposed input fold alike.
        assert_eq!(fold("Qu\u{1ea3}ng An"), fold("Qua\u{309}ng An"));
    }
}
