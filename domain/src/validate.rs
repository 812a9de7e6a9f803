//! Validation of a record's data against its form. The phone runs it as the user types and the
//! server runs it before storing, so the two can never disagree about what is valid.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::form::{FieldKind, FormDef};
use crate::lang::Lang;

/// What is wrong with one field; the message is rendered in the reader's language.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Violation {
    Required,
    TooLong { max: u32 },
    NotAChoice,
    NotAnInteger,
    TooSmall { min: i64 },
    TooLarge { max: i64 },
    BadDateTime,
    NotYesNo,
    NotText,
    UnknownField,
}

impl Violation {
    pub fn message(&self, lang: Lang) -> String {
        use Violation::*;
        match (self, lang) {
            (Required, Lang::Vi) => "Vui lòng điền mục này.".into(),
            (Required, Lang::En) => "Please fill in this field.".into(),
            (TooLong { max }, Lang::Vi) => format!("Quá dài: tối đa {max} ký tự."),
            (TooLong { max }, Lang::En) => format!("Too long: at most {max} characters."),
            (NotAChoice, Lang::Vi) => "Hãy chọn một mục trong danh sách.".into(),
            (NotAChoice, Lang::En) => "Please pick one of the listed options.".into(),
            (NotAnInteger, Lang::Vi) => "Hãy nhập một số nguyên.".into(),
            (NotAnInteger, Lang::En) => "Please enter a whole number.".into(),
            (TooSmall { min }, Lang::Vi) => format!("Không được nhỏ hơn {min}."),
            (TooSmall { min }, Lang::En) => format!("Must be at least {min}."),
            (TooLarge { max }, Lang::Vi) => format!("Không được lớn hơn {max}."),
            (TooLarge { max }, Lang::En) => format!("Must be at most {max}."),
            (BadDateTime, Lang::Vi) => "Hãy chọn ngày và giờ hợp lệ.".into(),
            (BadDateTime, Lang::En) => "Please choose a valid date and time.".into(),
            (NotYesNo, Lang::Vi) => "Hãy chọn Có hoặc Không.".into(),
            (NotYesNo, Lang::En) => "Please choose yes or no.".into(),
            (NotText, Lang::Vi) => "Giá trị không phải là chữ.".into(),
            (NotText, Lang::En) => "This value must be text.".into(),
            (UnknownField, Lang::Vi) => "Mục này không có trong biểu mẫu.".into(),
            (UnknownField, Lang::En) => "This field is not part of the form.".into(),
        }
    }
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    pub field: String,
    pub violation: Violation,
    /// The violation in the language of whoever asked; clients may re-render from `violation`.
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, violation: Violation, lang: Lang) -> Self {
        let message = violation.message(lang);
        FieldError {
            field: field.into(),
            violation,
            message,
        }
    }
}

fn is_blank(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.trim().is_empty(),
        _ => false,
    }
}

/// Checks `YYYY-MM-DDTHH:MM` (optionally `:SS`) with real calendar days and times.
pub fn is_local_date_time(s: &str) -> bool {
    let b = s.as_bytes();
    if !(b.len() == 16 || b.len() == 19) {
        return false;
    }
    let digits = |r: std::ops::Range<usize>| -> Option<u32> {
        let part = s.get(r)?;
        part.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| part.parse().ok())?
    };
    let sep_ok = b[4] == b'-' && b[7] == b'-' && b[10] == b'T' && b[13] == b':';
    if !sep_ok || (b.len() == 19 && b[16] != b':') {
        return false;
    }
    let (Some(y), Some(m), Some(d), Some(hh), Some(mm)) = (
        digits(0..4),
        digits(5..7),
        digits(8..10),
        digits(11..13),
        digits(14..16),
    ) else {
        return false;
    };
    let ss_ok = b.len() == 16 || digits(17..19).is_some_and(|ss| ss < 60);
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1900..=2200).contains(&y) && (1..=days).contains(&d) && hh < 24 && mm < 60 && ss_ok
}

/// Validates `data` against `form`; an empty result means the record may be stored.
pub fn validate(form: &FormDef, data: &Map<String, Value>, lang: Lang) -> Vec<FieldError> {
    let mut errors = Vec::new();
    for key in data.keys() {
        if form.field(key).is_none() {
            errors.push(FieldError::new(key, Violation::UnknownField, lang));
        }
    }
    for field in &form.fields {
        let value = data.get(&field.key).unwrap_or(&Value::Null);
        if is_blank(value) {
            if field.required {
                errors.push(FieldError::new(&field.key, Violation::Required, lang));
            }
            continue;
        }
        if let Some(v) = check_value(&field.kind, value) {
            errors.push(FieldError::new(&field.key, v, lang));
        }
    }
    errors
}

fn check_value(kind: &FieldKind, value: &Value) -> Option<Violation> {
    match kind {
        FieldKind::Text { max_len } | FieldKind::LongText { max_len } => {
            let Value::String(s) = value else {
                return Some(Violation::NotText);
            };
            (s.chars().count() > *max_len as usize).then_some(Violation::TooLong { max: *max_len })
        }
        FieldKind::Integer { min, max } => {
            let n = match value {
                Value::Number(n) => n.as_i64(),
                Value::String(s) => s.trim().parse::<i64>().ok(),
                _ => None,
            };
            let Some(n) = n else {
                return Some(Violation::NotAnInteger);
            };
            if let Some(lo) = min.filter(|lo| n < *lo) {
                return Some(Violation::TooSmall { min: lo });
            }
            max.filter(|hi| n > *hi)
                .map(|hi| Violation::TooLarge { max: hi })
        }
        FieldKind::SingleChoice { choices } => {
            let ok = value
                .as_str()
                .is_some_and(|s| choices.iter().any(|c| c.value == s));
            (!ok).then_some(Violation::NotAChoice)
        }
        FieldKind::DateTime => {
            let ok = value.as_str().is_some_and(is_local_date_time);
            (!ok).then_some(Violation::BadDateTime)
        }
        FieldKind::YesNo => (!value.is_boolean()).then_some(Violation::NotYesNo),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn report() -> FormDef {
        FormDef::builtin()
            .into_iter()
            .find(|f| f.key == crate::form::NEIGHBORHOOD_REPORT)
            .unwrap()
    }

    fn valid() -> Map<String, Value> {
        json!({
            "category": "theft",
            "urgency": "urgent",
            "occurred_at": "2026-11-25T21:30",
            "location": "Số 12 ngõ 45 Nhật Tân",
            "description": "Mất xe máy trước cửa nhà.",
            "people_involved": 1
        })
        .as_object()
        .unwrap()
        .clone()
    }

    #[test]
    fn a_complete_report_is_valid() {
        assert_eq!(validate(&report(), &valid(), Lang::Vi), vec![]);
    }

    #[test]
    fn missing_required_fields_are_named_in_the_readers_language() {
        let mut data = valid();
        data.remove("location");
        data.insert("description".into(), json!("   "));
        let errors = validate(&report(), &data, Lang::Vi);
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["location", "description"]);
        assert_eq!(errors[0].message, "Vui lòng điền mục này.");
        assert_eq!(
            validate(&report(), &data, Lang::En)[0].message,
            "Please fill in this field."
        );
    }

    #[test]
    fn each_type_refuses_values_that_do_not_fit() {
        let cases = [
            ("category", json!("aliens"), Violation::NotAChoice),
            ("urgency", json!(3), Violation::NotAChoice),
            (
                "occurred_at",
                json!("2026-02-30T10:00"),
                Violation::BadDateTime,
            ),
            ("occurred_at", json!("25/11/2026"), Violation::BadDateTime),
            (
                "location",
                json!("x".repeat(201)),
                Violation::TooLong { max: 200 },
            ),
            ("location", json!(12), Violation::NotText),
            ("people_involved", json!(-1), Violation::TooSmall { min: 0 }),
            (
                "people_involved",
                json!(1001),
                Violation::TooLarge { max: 1000 },
            ),
            ("people_involved", json!("nhiều"), Violation::NotAnInteger),
            ("people_involved", json!(1.5), Violation::NotAnInteger),
            ("weather", json!("rain"), Violation::UnknownField),
        ];
        for (field, value, violation) in cases {
            let mut data = valid();
            data.insert(field.into(), value.clone());
            let errors = validate(&report(), &data, Lang::En);
            assert_eq!(errors.len(), 1, "{field}={value}: {errors:?}");
            assert_eq!(
                (errors[0].field.as_str(), &errors[0].violation),
                (field, &violation)
            );
        }
    }

    #[test]
    fn length_counts_characters_not_bytes() {
        let mut data = valid();
        // 200 Vietnamese characters are up to 600 bytes of UTF-8 but still fit.
        data.insert("location".into(), json!("ễ".repeat(200)));
        assert_eq!(validate(&report(), &data, Lang::Vi), vec![]);
    }

    #[test]
    fn date_times_follow_the_calendar() {
        assert!(is_local_date_time("2028-02-29T23:59"));
        assert!(is_local_date_time("2026-11-25T07:05:09"));
        assert!(!is_local_date_time("2026-02-29T10:00"));
        assert!(!is_local_date_time("2026-11-25T24:00"));
        assert!(!is_local_date_time("2026-11-25 10:00"));
        assert!(!is_local_date_time("2026-1-25T10:00"));
        assert!(!is_local_date_time("2026-11-2ễT10:0"));
    }
}
