//! Validation of a record's data against its form. The phone runs it as the user types and the
//! server runs it before storing, so the two can never disagree about what is valid.
//!
//! A field whose `show_if` condition does not hold is hidden: it is not required, and it must be
//! empty (the phone drops hidden values with [`prune`] before it submits). A hidden field reads
//! as `null` in other fields' conditions.

use std::cell::Cell;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::expr::is_blank;
use crate::form::{FieldDef, FieldKind, FormDef};
use crate::lang::{Lang, Text};
use crate::value::{GpsFix, PhotoRef};

/// What is wrong with one field; the message is rendered in the reader's language.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Violation {
    Required,
    TooLong {
        max: u32,
    },
    TooShort {
        min: u32,
    },
    PatternMismatch {
        hint: Option<Text>,
    },
    NotAChoice,
    NotAnInteger,
    NotANumber,
    TooManyDecimals {
        max: u8,
    },
    TooSmall {
        min: f64,
    },
    TooLarge {
        max: f64,
    },
    BadDate,
    BadTime,
    BadDateTime,
    NotYesNo,
    NotText,
    BadPhone,
    BadCitizenId,
    BadGps,
    GpsTooImprecise {
        max: f64,
    },
    BadPhoto,
    TooFewItems {
        min: u32,
    },
    TooManyItems {
        max: u32,
    },
    NotAList,
    /// The field does not apply (its condition does not hold) but has a value.
    NotApplicable,
    UnknownField,
    /// Any other reason, in both languages (administration forms: a username already taken).
    Invalid {
        reason: Text,
    },
}

/// The `kind` of every [`Violation`], as the JSON names it.
const VIOLATION_KINDS: &[&str] = &[
    "required",
    "too_long",
    "too_short",
    "pattern_mismatch",
    "not_a_choice",
    "not_an_integer",
    "not_a_number",
    "too_many_decimals",
    "too_small",
    "too_large",
    "bad_date",
    "bad_time",
    "bad_date_time",
    "not_yes_no",
    "not_text",
    "bad_phone",
    "bad_citizen_id",
    "bad_gps",
    "gps_too_imprecise",
    "bad_photo",
    "too_few_items",
    "too_many_items",
    "not_a_list",
    "not_applicable",
    "unknown_field",
    "invalid",
];

/// Read through one flat struct, not serde's internally tagged enum (the same JSON): internal
/// tags buffer the fields in a generic content tree, code the phone would download.
impl<'de> Deserialize<'de> for Violation {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::{Error, Unexpected};
        use Violation::*;
        #[derive(Deserialize)]
        struct Raw {
            kind: String,
            min: Option<f64>,
            max: Option<f64>,
            hint: Option<Text>,
            reason: Option<Text>,
        }
        let r = Raw::deserialize(d)?;
        let number =
            |v: Option<f64>, field: &'static str| v.ok_or_else(|| D::Error::missing_field(field));
        // A count: a whole number that fits the variant's type, as serde would insist.
        let count = |v: Option<f64>, field: &'static str, most: f64| {
            let x = number(v, field)?;
            if x.fract() == 0.0 && (0.0..=most).contains(&x) {
                Ok(x)
            } else {
                Err(D::Error::invalid_value(
                    Unexpected::Float(x),
                    &"a whole number",
                ))
            }
        };
        let u32_of = |v, field| count(v, field, f64::from(u32::MAX)).map(|x| x as u32);
        Ok(match r.kind.as_str() {
            "required" => Required,
            "too_long" => TooLong {
                max: u32_of(r.max, "max")?,
            },
            "too_short" => TooShort {
                min: u32_of(r.min, "min")?,
            },
            "pattern_mismatch" => PatternMismatch { hint: r.hint },
            "not_a_choice" => NotAChoice,
            "not_an_integer" => NotAnInteger,
            "not_a_number" => NotANumber,
            "too_many_decimals" => TooManyDecimals {
                max: count(r.max, "max", f64::from(u8::MAX))? as u8,
            },
            "too_small" => TooSmall {
                min: number(r.min, "min")?,
            },
            "too_large" => TooLarge {
                max: number(r.max, "max")?,
            },
            "bad_date" => BadDate,
            "bad_time" => BadTime,
            "bad_date_time" => BadDateTime,
            "not_yes_no" => NotYesNo,
            "not_text" => NotText,
            "bad_phone" => BadPhone,
            "bad_citizen_id" => BadCitizenId,
            "bad_gps" => BadGps,
            "gps_too_imprecise" => GpsTooImprecise {
                max: number(r.max, "max")?,
            },
            "bad_photo" => BadPhoto,
            "too_few_items" => TooFewItems {
                min: u32_of(r.min, "min")?,
            },
            "too_many_items" => TooManyItems {
                max: u32_of(r.max, "max")?,
            },
            "not_a_list" => NotAList,
            "not_applicable" => NotApplicable,
            "unknown_field" => UnknownField,
            "invalid" => Invalid {
                reason: r.reason.ok_or_else(|| D::Error::missing_field("reason"))?,
            },
            other => return Err(D::Error::unknown_variant(other, VIOLATION_KINDS)),
        })
    }
}

/// A number as people in that language write it: `1,5` in Vietnamese, `1.5` in English.
pub fn format_number(n: f64, lang: Lang) -> String {
    let s = n.to_string();
    match lang {
        Lang::Vi => s.replace('.', ","),
        Lang::En => s,
    }
}

impl Violation {
    /// The message in both languages: each violation must give both (a missing one does not
    /// compile).
    pub fn text(&self) -> Text {
        use Violation::*;
        let num_vi = |n: f64| format_number(n, Lang::Vi);
        let num_en = |n: f64| format_number(n, Lang::En);
        match self {
            Required => Text::new("Vui lòng điền mục này.", "Please fill in this field."),
            TooLong { max } => Text::new(format!("Quá dài: tối đa {max} ký tự."), format!("Too long: at most {max} characters.")),
            TooShort { min } => Text::new(format!("Quá ngắn: ít nhất {min} ký tự."), format!("Too short: at least {min} characters.")),
            PatternMismatch { hint: Some(h) } => h.clone(),
            PatternMismatch { hint: None } => Text::new("Giá trị không đúng định dạng.", "This value is not in the expected format."),
            NotAChoice => Text::new("Hãy chọn trong danh sách.", "Please pick from the listed options."),
            NotAnInteger => Text::new("Hãy nhập một số nguyên.", "Please enter a whole number."),
            NotANumber => Text::new("Hãy nhập một số.", "Please enter a number."),
            TooManyDecimals { max } => Text::new(format!("Tối đa {max} chữ số sau dấu phẩy."), format!("At most {max} digits after the decimal point.")),
            TooSmall { min } => Text::new(format!("Không được nhỏ hơn {}.", num_vi(*min)), format!("Must be at least {}.", num_en(*min))),
            TooLarge { max } => Text::new(format!("Không được lớn hơn {}.", num_vi(*max)), format!("Must be at most {}.", num_en(*max))),
            BadDate => Text::new("Hãy chọn một ngày hợp lệ.", "Please choose a valid date."),
            BadTime => Text::new("Hãy chọn giờ hợp lệ (00:00–23:59).", "Please choose a valid time (00:00–23:59)."),
            BadDateTime => Text::new("Hãy chọn ngày và giờ hợp lệ.", "Please choose a valid date and time."),
            NotYesNo => Text::new("Hãy chọn Có hoặc Không.", "Please choose yes or no."),
            NotText => Text::new("Giá trị không phải là chữ.", "This value must be text."),
            BadPhone => Text::new("Số điện thoại không hợp lệ (di động 10 số, cố định 11 số, bắt đầu bằng 0 hoặc +84).", "Not a valid phone number (mobile 10 digits, landline 11, starting with 0 or +84)."),
            BadCitizenId => Text::new("Số CCCD phải gồm 12 chữ số, với mã tỉnh và mã thế kỷ hợp lệ.", "A citizen ID has 12 digits with a valid province and century code."),
            BadGps => Text::new("Vị trí GPS không hợp lệ; hãy lấy lại vị trí.", "The GPS position is not valid; please take it again."),
            GpsTooImprecise { max } => Text::new(format!("Vị trí chưa đủ chính xác (cần sai số dưới {} m); hãy ra chỗ thoáng và lấy lại.", num_vi(*max)), format!("The position is not precise enough (needs under {} m); move into the open and take it again.", num_en(*max))),
            BadPhoto => Text::new("Ảnh không hợp lệ; hãy chụp lại.", "A photo is not valid; please take it again."),
            TooFewItems { min } => Text::new(format!("Cần ít nhất {min} mục."), format!("At least {min} needed.")),
            TooManyItems { max } => Text::new(format!("Tối đa {max} mục."), format!("At most {max} allowed.")),
            NotAList => Text::new("Giá trị phải là một danh sách.", "This value must be a list."),
            NotApplicable => Text::new("Mục này không áp dụng với các câu trả lời trên và phải để trống.", "This field does not apply given the answers above and must be empty."),
            Invalid { reason } => reason.clone(),
            UnknownField => Text::new("Mục này không có trong biểu mẫu.", "This field is not part of the form."),
        }
    }

    pub fn message(&self, lang: Lang) -> String {
        self.text().get(lang).to_owned()
    }
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldError {
    /// The field's key; inside a repeat group `group[row].key`, rows counted from 0.
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

/// Which fields of one scope (the form, or one row of a repeat group) are shown. Conditions
/// are evaluated lazily and at most once; a hidden field reads as absent.
struct Scope<'a> {
    fields: &'a [FieldDef],
    data: &'a Map<String, Value>,
    outer: Option<&'a Scope<'a>>,
    /// 0 = not worked out yet, 1 = being worked out, 2 = hidden, 3 = shown.
    state: Vec<Cell<u8>>,
}

impl<'a> Scope<'a> {
    fn new(
        fields: &'a [FieldDef],
        data: &'a Map<String, Value>,
        outer: Option<&'a Scope<'a>>,
    ) -> Self {
        Scope {
            fields,
            data,
            outer,
            state: fields.iter().map(|_| Cell::new(0)).collect(),
        }
    }

    fn shown(&self, i: usize) -> bool {
        match self.state[i].get() {
            2 => false,
            3 => true,
            // A circle (only possible in an unchecked definition) counts as hidden.
            1 => false,
            _ => {
                self.state[i].set(1);
                let shown = match &self.fields[i].show_if {
                    None => true,
                    Some(cond) => cond.holds(&|k| self.lookup(k)),
                };
                self.state[i].set(if shown { 3 } else { 2 });
                shown
            }
        }
    }

    fn lookup(&self, key: &str) -> Option<&'a Value> {
        match self.fields.iter().position(|f| f.key == key) {
            Some(i) => self.shown(i).then(|| self.data.get(key)).flatten(),
            None => self.outer.and_then(|o| o.lookup(key)),
        }
    }
}

/// Which fields are shown for this data: `top[i]` for the form's fields, and for each repeat
/// group (by key) one list per row.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Visibility {
    pub top: Vec<bool>,
    pub rows: std::collections::HashMap<String, Vec<Vec<bool>>>,
}

impl Visibility {
    pub fn of(form: &FormDef, data: &Map<String, Value>) -> Visibility {
        let scope = Scope::new(&form.fields, data, None);
        let top: Vec<bool> = (0..form.fields.len()).map(|i| scope.shown(i)).collect();
        let mut rows = std::collections::HashMap::new();
        for f in &form.fields {
            let FieldKind::Repeat { fields, .. } = &f.kind else {
                continue;
            };
            let list = match data.get(&f.key) {
                Some(Value::Array(items)) => items
                    .iter()
                    .map(|row| match row {
                        Value::Object(row) => {
                            let s = Scope::new(fields, row, Some(&scope));
                            (0..fields.len()).map(|i| s.shown(i)).collect()
                        }
                        _ => vec![true; fields.len()],
                    })
                    .collect(),
                _ => Vec::new(),
            };
            rows.insert(f.key.clone(), list);
        }
        Visibility { top, rows }
    }
}

/// The data as it should be submitted: hidden and blank values dropped, rows likewise.
pub fn prune(form: &FormDef, data: &Map<String, Value>) -> Map<String, Value> {
    fn prune_scope(scope: &Scope<'_>) -> Map<String, Value> {
        let mut out = Map::new();
        for (i, f) in scope.fields.iter().enumerate() {
            let Some(v) = scope.data.get(&f.key) else {
                continue;
            };
            if is_blank(v) || !scope.shown(i) {
                continue;
            }
            let v = match (&f.kind, v) {
                (FieldKind::Repeat { fields, .. }, Value::Array(rows)) => Value::Array(
                    rows.iter()
                        .map(|row| match row {
                            Value::Object(row) => {
                                Value::Object(prune_scope(&Scope::new(fields, row, Some(scope))))
                            }
                            other => other.clone(),
                        })
                        .collect(),
                ),
                _ => v.clone(),
            };
            out.insert(f.key.clone(), v);
        }
        out
    }
    prune_scope(&Scope::new(&form.fields, data, None))
}

/// Validates `data` against `form`; an empty result means the record may be stored.
pub fn validate(form: &FormDef, data: &Map<String, Value>, lang: Lang) -> Vec<FieldError> {
    validate_at_most(form, data, lang, usize::MAX).errors
}

/// The most field errors the server reports for one record: enough to correct a record made by
/// hand, while a record with thousands of bad keys cannot make an answer far larger than itself.
pub const MAX_ERRORS_PER_RECORD: usize = 20;
/// The longest field path an error repeats back (only unknown keys are ever this long).
pub const MAX_ERROR_PATH: usize = 100;

/// The first `max` errors of a record, and how many more there were.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Errors {
    pub errors: Vec<FieldError>,
    pub omitted: usize,
}

impl Errors {
    pub fn is_empty(&self) -> bool {
        self.errors.is_empty() && self.omitted == 0
    }
}

/// Validates like [`validate`], but keeps at most `max` errors (counting the rest) and cuts
/// field paths to [`MAX_ERROR_PATH`] characters, so what it returns is bounded whatever the
/// input.
pub fn validate_at_most(
    form: &FormDef,
    data: &Map<String, Value>,
    lang: Lang,
    max: usize,
) -> Errors {
    let mut sink = Sink {
        lang,
        max,
        out: Errors::default(),
    };
    let scope = Scope::new(&form.fields, data, None);
    check_scope(&scope, "", &mut sink);
    sink.out
}

/// Where errors go: the first `max` are kept (with their message), the rest only counted.
struct Sink {
    lang: Lang,
    max: usize,
    out: Errors,
}

impl Sink {
    fn push(&mut self, field: String, violation: Violation) {
        if self.out.errors.len() >= self.max {
            self.out.omitted += 1;
            return;
        }
        let field = if field.chars().count() > MAX_ERROR_PATH {
            let mut cut: String = field.chars().take(MAX_ERROR_PATH).collect();
            cut.push('…');
            cut
        } else {
            field
        };
        self.out
            .errors
            .push(FieldError::new(field, violation, self.lang));
    }
}

fn check_scope(scope: &Scope<'_>, prefix: &str, errors: &mut Sink) {
    let path = |key: &str| format!("{prefix}{key}");
    for key in scope.data.keys() {
        if !scope.fields.iter().any(|f| &f.key == key) {
            errors.push(path(key), Violation::UnknownField);
        }
    }
    for (i, field) in scope.fields.iter().enumerate() {
        let value = scope.data.get(&field.key).unwrap_or(&Value::Null);
        let blank = is_blank(value);
        if !scope.shown(i) {
            if !blank {
                errors.push(path(&field.key), Violation::NotApplicable);
            }
            continue;
        }
        if blank {
            if field.required {
                errors.push(path(&field.key), Violation::Required);
            }
            continue;
        }
        if let FieldKind::Repeat {
            fields,
            min_rows,
            max_rows,
        } = &field.kind
        {
            let Value::Array(rows) = value else {
                errors.push(path(&field.key), Violation::NotAList);
                continue;
            };
            if let Some(min) = min_rows.filter(|m| rows.len() < *m as usize) {
                errors.push(path(&field.key), Violation::TooFewItems { min });
            }
            if rows.len() > *max_rows as usize {
                let v = Violation::TooManyItems { max: *max_rows };
                errors.push(path(&field.key), v);
                continue;
            }
            for (n, row) in rows.iter().enumerate() {
                let row_prefix = format!("{prefix}{}[{n}].", field.key);
                match row {
                    Value::Object(row) => {
                        check_scope(&Scope::new(fields, row, Some(scope)), &row_prefix, errors)
                    }
                    _ => errors.push(format!("{prefix}{}[{n}]", field.key), Violation::NotAList),
                }
            }
            continue;
        }
        if let Some(v) = check_value(&field.kind, value) {
            errors.push(path(&field.key), v);
        }
    }
}

/// Checks one non-blank value against its type and limits.
pub fn check_value(kind: &FieldKind, value: &Value) -> Option<Violation> {
    use Violation::*;
    let text = || value.as_str().ok_or(NotText);
    let result: Result<(), Violation> = (|| match kind {
        FieldKind::Text {
            max_len,
            min_len,
            pattern,
            pattern_hint,
        } => {
            let s = text()?;
            check_length(s, *max_len, *min_len)?;
            match pattern {
                Some(p) if !p.matches(s) => Err(PatternMismatch {
                    hint: pattern_hint.clone(),
                }),
                _ => Ok(()),
            }
        }
        FieldKind::LongText { max_len, min_len } => check_length(text()?, *max_len, *min_len),
        FieldKind::Integer { min, max, .. } => {
            let n = value.as_i64().ok_or(NotAnInteger)?;
            check_range(n as f64, min.map(|m| m as f64), max.map(|m| m as f64))
        }
        FieldKind::Decimal {
            min, max, decimals, ..
        } => {
            let n = value
                .as_f64()
                .filter(|_| value.is_number())
                .ok_or(NotANumber)?;
            let shown = n.to_string();
            let places = shown.split_once('.').map_or(0, |(_, frac)| frac.len());
            if places > usize::from(*decimals) {
                return Err(TooManyDecimals { max: *decimals });
            }
            check_range(n, *min, *max)
        }
        FieldKind::Date => is_date(text().map_err(|_| BadDate)?)
            .then_some(())
            .ok_or(BadDate),
        FieldKind::Time => is_time(text().map_err(|_| BadTime)?)
            .then_some(())
            .ok_or(BadTime),
        FieldKind::DateTime => {
            let ok = value.as_str().is_some_and(is_local_date_time);
            ok.then_some(()).ok_or(BadDateTime)
        }
        FieldKind::SingleChoice { choices } => {
            let ok = value
                .as_str()
                .is_some_and(|s| choices.iter().any(|c| c.value == s));
            ok.then_some(()).ok_or(NotAChoice)
        }
        FieldKind::MultipleChoice {
            choices,
            min_selected,
            max_selected,
        } => {
            let Value::Array(items) = value else {
                return Err(NotAList);
            };
            let mut seen = std::collections::HashSet::new();
            for item in items {
                let ok = item
                    .as_str()
                    .is_some_and(|s| choices.iter().any(|c| c.value == s) && seen.insert(s));
                if !ok {
                    return Err(NotAChoice);
                }
            }
            let n = items.len() as u32;
            if let Some(min) = min_selected.filter(|m| n < *m) {
                return Err(TooFewItems { min });
            }
            match max_selected.filter(|m| n > *m) {
                Some(max) => Err(TooManyItems { max }),
                None => Ok(()),
            }
        }
        FieldKind::YesNo => value.is_boolean().then_some(()).ok_or(NotYesNo),
        FieldKind::Phone => is_phone(text().map_err(|_| BadPhone)?)
            .then_some(())
            .ok_or(BadPhone),
        FieldKind::CitizenId => is_citizen_id(text().map_err(|_| BadCitizenId)?)
            .then_some(())
            .ok_or(BadCitizenId),
        FieldKind::Gps { max_accuracy_m } => {
            let accuracy = GpsFix::parse(value).ok_or(BadGps)?.accuracy_m;
            match max_accuracy_m.filter(|m| accuracy > *m) {
                Some(max) => Err(GpsTooImprecise { max }),
                None => Ok(()),
            }
        }
        FieldKind::Photo { max_count } => {
            let Value::Array(items) = value else {
                return Err(NotAList);
            };
            if items.len() > *max_count as usize {
                return Err(TooManyItems { max: *max_count });
            }
            items
                .iter()
                .all(|p| PhotoRef::parse(p).is_some())
                .then_some(())
                .ok_or(BadPhoto)
        }
        // Rows are checked field by field by `check_scope`.
        FieldKind::Repeat { .. } => Ok(()),
    })();
    result.err()
}

fn check_length(s: &str, max: u32, min: Option<u32>) -> Result<(), Violation> {
    let n = s.chars().count();
    if n > max as usize {
        return Err(Violation::TooLong { max });
    }
    match min.filter(|m| s.trim().chars().count() < *m as usize) {
        Some(min) => Err(Violation::TooShort { min }),
        None => Ok(()),
    }
}

fn check_range(n: f64, min: Option<f64>, max: Option<f64>) -> Result<(), Violation> {
    if let Some(min) = min.filter(|m| n < *m) {
        return Err(Violation::TooSmall { min });
    }
    match max.filter(|m| n > *m) {
        Some(max) => Err(Violation::TooLarge { max }),
        None => Ok(()),
    }
}

fn digits(s: &str) -> Option<u32> {
    (!s.is_empty() && s.bytes().all(|c| c.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
}

/// Checks `YYYY-MM-DD` with a real calendar day, years 1900 to 2200.
pub fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    let (Some(y), Some(m), Some(d)) = (digits(&s[0..4]), digits(&s[5..7]), digits(&s[8..10]))
    else {
        return false;
    };
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1900..=2200).contains(&y) && (1..=days).contains(&d)
}

/// Checks `HH:MM` or `HH:MM:SS`, 24-hour.
pub fn is_time(s: &str) -> bool {
    let b = s.as_bytes();
    if !(b.len() == 5 || b.len() == 8) || b[2] != b':' || (b.len() == 8 && b[5] != b':') {
        return false;
    }
    let (Some(hh), Some(mm)) = (digits(&s[0..2]), digits(&s[3..5])) else {
        return false;
    };
    let ss_ok = b.len() == 5 || digits(&s[6..8]).is_some_and(|ss| ss < 60);
    hh < 24 && mm < 60 && ss_ok
}

/// Checks `YYYY-MM-DDTHH:MM` (optionally `:SS`) with real calendar days and times.
pub fn is_local_date_time(s: &str) -> bool {
    s.is_char_boundary(10.min(s.len()))
        && s.len() >= 11
        && s.as_bytes()[10] == b'T'
        && is_date(&s[..10])
        && is_time(&s[11..])
}

/// A Vietnamese phone number: mobile `0[35789]` + 8 digits, or landline `02` + 9 digits; `+84`
/// or `84` may replace the leading 0; spaces, dots, dashes and brackets are ignored.
pub fn is_phone(s: &str) -> bool {
    if s.chars().count() > 20 {
        return false;
    }
    let mut d: String = s
        .chars()
        .filter(|c| !matches!(c, ' ' | '.' | '-' | '(' | ')'))
        .collect();
    if let Some(rest) = d
        .strip_prefix("+84")
        .or_else(|| d.strip_prefix("84").filter(|r| r.len() >= 9))
    {
        d = format!("0{rest}");
    }
    let b = d.as_bytes();
    if !b.iter().all(u8::is_ascii_digit) || b.first() != Some(&b'0') {
        return false;
    }
    // Mobile: 0 + 3/5/7/8/9 + 8 digits; landline: 02 + area code and number, 11 digits.
    matches!(
        (b.len(), b.get(1)),
        (10, Some(b'3' | b'5' | b'7' | b'8' | b'9')) | (11, Some(b'2'))
    )
}

/// Province codes that open a citizen ID number (Circular 07/2016/TT-BCA, as amended).
const PROVINCE_CODES: [u16; 63] = [
    1, 2, 4, 6, 8, 10, 11, 12, 14, 15, 17, 19, 20, 22, 24, 25, 26, 27, 30, 31, 33, 34, 35, 36, 37,
    38, 40, 42, 44, 45, 46, 48, 49, 51, 52, 54, 56, 58, 60, 62, 64, 66, 67, 68, 70, 72, 74, 75, 77,
    79, 80, 82, 83, 84, 86, 87, 89, 91, 92, 93, 94, 95, 96,
];

/// A citizen ID (CCCD) number: 12 digits — a province code, a century-and-sex digit (0–3 for
/// people born in the 1900s and 2000s), two digits of the birth year, and six more.
pub fn is_citizen_id(s: &str) -> bool {
    let s = s.trim();
    s.len() == 12
        && s.bytes().all(|c| c.is_ascii_digit())
        && PROVINCE_CODES.contains(&s[0..3].parse::<u16>().unwrap_or(0))
        && matches!(s.as_bytes()[3], b'0'..=b'3')
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One of every violation, with and without its optional parts.
    fn every_violation() -> Vec<Violation> {
        use Violation::*;
        vec![
            Required,
            TooLong { max: 5 },
            TooShort { min: 2 },
            PatternMismatch { hint: None },
            PatternMismatch {
                hint: Some(Text::new("10 chữ số", "10 digits")),
            },
            NotAChoice,
            NotAnInteger,
            NotANumber,
            TooManyDecimals { max: 1 },
            TooSmall { min: -1.5 },
            TooLarge { max: 2.5 },
            BadDate,
            BadTime,
            BadDateTime,
            NotYesNo,
            NotText,
            BadPhone,
            BadCitizenId,
            BadGps,
            GpsTooImprecise { max: 30.0 },
            BadPhoto,
            TooFewItems { min: 1 },
            TooManyItems { max: 9 },
            NotAList,
            NotApplicable,
            UnknownField,
            Invalid {
                reason: Text::new("Tên đã có người dùng.", "That username is taken."),
            },
        ]
    }

    #[test]
    fn every_violation_says_itself_in_vietnamese_and_in_english() {
        use Violation::*;
        for v in every_violation() {
            let (vi, en) = (v.message(Lang::Vi), v.message(Lang::En));
            assert!(!vi.is_empty() && !en.is_empty(), "{v:?}");
            assert_ne!(vi, en, "{v:?} says the same in both languages");
        }
        // Numbers as each language writes them.
        assert_eq!(
            TooSmall { min: 1.5 }.message(Lang::Vi),
            "Không được nhỏ hơn 1,5."
        );
        assert_eq!(
            TooSmall { min: 1.5 }.message(Lang::En),
            "Must be at least 1.5."
        );
    }

    #[test]
    fn every_violation_reads_back_as_written_and_a_wrong_one_is_refused() {
        use Violation::*;
        let all = every_violation();
        assert_eq!(all.len(), VIOLATION_KINDS.len() + 1, "every kind is tried");
        for v in all {
            let json = serde_json::to_string(&v).unwrap();
            assert_eq!(
                serde_json::from_str::<Violation>(&json).unwrap(),
                v,
                "{json}"
            );
        }
        assert_eq!(
            serde_json::to_string(&TooLong { max: 5 }).unwrap(),
            r#"{"kind":"too_long","max":5}"#
        );
        for bad in [
            r#"{"kind":"too_long"}"#,
            r#"{"kind":"too_long","max":1.5}"#,
            r#"{"kind":"too_long","max":-1}"#,
            r#"{"kind":"too_many_decimals","max":256}"#,
            r#"{"kind":"invalid"}"#,
            r#"{"kind":"no_such_thing"}"#,
            r#"{"max":5}"#,
        ] {
            assert!(serde_json::from_str::<Violation>(bad).is_err(), "{bad}");
        }
    }

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

    fn form(fields: Value) -> FormDef {
        FormDef::parse(
            &json!({"key": "t", "title": {"vi": "T", "en": "T"}, "filed_by": ["officer"], "fields": fields})
                .to_string(),
        )
        .unwrap()
    }

    fn label() -> Value {
        json!({"vi": "Nhãn", "en": "Label"})
    }

    fn one(kind: Value) -> FormDef {
        let mut f = kind;
        f["key"] = json!("x");
        f["label"] = label();
        form(json!([f]))
    }

    fn check(form: &FormDef, value: Value) -> Option<Violation> {
        let data = json!({"x": value}).as_object().unwrap().clone();
        let errors = validate(form, &data, Lang::En);
        assert!(errors.len() <= 1, "{errors:?}");
        errors.into_iter().next().map(|e| e.violation)
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
    fn each_type_takes_what_fits_and_refuses_what_does_not() {
        use Violation::*;
        let choices = json!([{"value": "a", "label": label()}, {"value": "b", "label": label()}, {"value": "c", "label": label()}]);
        let photo = |sha: &str, ty: &str, bytes: u64, w: u32| json!({"sha256": sha, "type": ty, "bytes": bytes, "width": w, "height": 900});
        let sha = "ab".repeat(32);
        let gps = |lat: f64, lon: f64, acc: f64| json!({"lat": lat, "lon": lon, "accuracy_m": acc, "at": "2026-11-25T21:30:00Z"});
        type Cases = Vec<(Value, Vec<(Value, Option<Violation>)>)>;
        let cases: Cases = vec![
            (
                json!({"type": "text", "max_len": 5, "min_len": 2}),
                vec![
                    (json!("abcde"), None),
                    (json!("ễễễễễ"), None),
                    (json!("abcdef"), Some(TooLong { max: 5 })),
                    (json!(" a "), Some(TooShort { min: 2 })),
                    (json!(5), Some(NotText)),
                ],
            ),
            (
                json!({"type": "text", "pattern": "[A-Z]{2}-[0-9]{3}", "pattern_hint": {"vi": "VD: AB-123", "en": "e.g. AB-123"}}),
                vec![
                    (json!("AB-123"), None),
                    (
                        json!("AB-1234"),
                        Some(PatternMismatch {
                            hint: Some(crate::Text::new("VD: AB-123", "e.g. AB-123")),
                        }),
                    ),
                    (
                        json!("xAB-123"),
                        Some(PatternMismatch {
                            hint: Some(crate::Text::new("VD: AB-123", "e.g. AB-123")),
                        }),
                    ),
                ],
            ),
            (
                json!({"type": "long_text", "max_len": 3}),
                vec![
                    (json!("a\nb"), None),
                    (json!("abcd"), Some(TooLong { max: 3 })),
                ],
            ),
            (
                json!({"type": "integer", "min": 0, "max": 10}),
                vec![
                    (json!(0), None),
                    (json!(10), None),
                    (json!(-1), Some(TooSmall { min: 0.0 })),
                    (json!(11), Some(TooLarge { max: 10.0 })),
                    (json!(1.5), Some(NotAnInteger)),
                    (json!("3"), Some(NotAnInteger)),
                ],
            ),
            (
                json!({"type": "decimal", "min": 0, "max": 100, "decimals": 1}),
                vec![
                    (json!(12.5), None),
                    (json!(0), None),
                    (json!(12.25), Some(TooManyDecimals { max: 1 })),
                    (json!(-0.5), Some(TooSmall { min: 0.0 })),
                    (json!(100.1), Some(TooLarge { max: 100.0 })),
                    (json!("1,5"), Some(NotANumber)),
                ],
            ),
            (
                json!({"type": "date"}),
                vec![
                    (json!("2028-02-29"), None),
                    (json!("2026-02-29"), Some(BadDate)),
                    (json!("25/11/2026"), Some(BadDate)),
                    (json!(20261125), Some(BadDate)),
                ],
            ),
            (
                json!({"type": "time"}),
                vec![
                    (json!("23:59"), None),
                    (json!("24:00"), Some(BadTime)),
                    (json!("9:30"), Some(BadTime)),
                ],
            ),
            (
                json!({"type": "date_time"}),
                vec![
                    (json!("2026-11-25T07:05:09"), None),
                    (json!("2026-11-25 07:05"), Some(BadDateTime)),
                    (json!("2026-11-2ễT10:0"), Some(BadDateTime)),
                ],
            ),
            (
                json!({"type": "single_choice", "choices": choices}),
                vec![
                    (json!("a"), None),
                    (json!("z"), Some(NotAChoice)),
                    (json!(["a"]), Some(NotAChoice)),
                ],
            ),
            (
                json!({"type": "multiple_choice", "choices": choices, "min_selected": 2, "max_selected": 2}),
                vec![
                    (json!(["a", "c"]), None),
                    (json!(["a"]), Some(TooFewItems { min: 2 })),
                    (json!(["a", "b", "c"]), Some(TooManyItems { max: 2 })),
                    (json!(["a", "a"]), Some(NotAChoice)),
                    (json!(["a", "z"]), Some(NotAChoice)),
                    (json!("a"), Some(NotAList)),
                ],
            ),
            (
                json!({"type": "yes_no"}),
                vec![(json!(false), None), (json!("no"), Some(NotYesNo))],
            ),
            (
                json!({"type": "phone"}),
                vec![
                    (json!("0912 345 678"), None),
                    (json!("+84 912.345.678"), None),
                    (json!("84912345678"), None),
                    (json!("024 3825 1234"), None),
                    (json!("0112345678"), Some(BadPhone)),
                    (json!("091234567"), Some(BadPhone)),
                    (json!("09123456789"), Some(BadPhone)),
                    (json!("hotline"), Some(BadPhone)),
                ],
            ),
            (
                json!({"type": "citizen_id"}),
                vec![
                    (json!("001203012345"), None),
                    (json!("079098765432"), None),
                    (json!("00120301234"), Some(BadCitizenId)),
                    (json!("003203012345"), Some(BadCitizenId)),
                    (json!("001403012345"), Some(BadCitizenId)),
                    (json!("00120301234x"), Some(BadCitizenId)),
                ],
            ),
            (
                json!({"type": "gps", "max_accuracy_m": 50}),
                vec![
                    (gps(21.07, 105.81, 12.0), None),
                    (gps(91.0, 105.81, 12.0), Some(BadGps)),
                    (gps(21.0, 181.0, 1.0), Some(BadGps)),
                    (
                        gps(21.07, 105.81, 80.0),
                        Some(GpsTooImprecise { max: 50.0 }),
                    ),
                    (json!({"lat": 21.0}), Some(BadGps)),
                    (
                        json!({"lat": 21.0, "lon": 105.0, "accuracy_m": 5, "extra": 1}),
                        Some(BadGps),
                    ),
                ],
            ),
            (
                json!({"type": "photo", "max_count": 2}),
                vec![
                    (json!([photo(&sha, "image/jpeg", 300_000, 1600)]), None),
                    (json!([photo(&sha, "image/webp", 1, 1)]), None),
                    (
                        json!([
                            photo(&sha, "image/jpeg", 1, 1),
                            photo(&sha, "image/jpeg", 1, 1),
                            photo(&sha, "image/jpeg", 1, 1)
                        ]),
                        Some(TooManyItems { max: 2 }),
                    ),
                    (json!([photo(&sha, "image/png", 1, 1)]), Some(BadPhoto)),
                    (
                        json!([photo(&sha, "image/jpeg", 5_000_000, 1)]),
                        Some(BadPhoto),
                    ),
                    (json!([photo(&sha, "image/jpeg", 1, 4000)]), Some(BadPhoto)),
                    (
                        json!([photo(&sha.to_uppercase(), "image/jpeg", 1, 1)]),
                        Some(BadPhoto),
                    ),
                    (json!(photo(&sha, "image/jpeg", 1, 1)), Some(NotAList)),
                ],
            ),
        ];
        for (kind, values) in cases {
            let f = one(kind.clone());
            for (value, want) in values {
                assert_eq!(check(&f, value.clone()), want, "{kind} with {value}");
            }
        }
    }

    #[test]
    fn conditions_hide_fields_and_hidden_fields_must_be_empty() {
        let f = form(json!([
            {"key": "purpose", "label": label(), "type": "single_choice", "required": true,
             "choices": [{"value": "patrol", "label": label()}, {"value": "fire", "label": label()}]},
            {"key": "violations_found", "label": label(), "type": "yes_no", "required": true, "show_if": "purpose = 'fire'"},
            {"key": "detail", "label": label(), "type": "text", "required": true, "show_if": "violations_found = true"}
        ]));
        let data = |v: Value| v.as_object().unwrap().clone();
        assert_eq!(
            validate(&f, &data(json!({"purpose": "patrol"})), Lang::En),
            vec![]
        );
        let errs = validate(&f, &data(json!({"purpose": "fire"})), Lang::En);
        assert_eq!(
            errs.iter().map(|e| e.field.as_str()).collect::<Vec<_>>(),
            ["violations_found"]
        );
        let errs = validate(
            &f,
            &data(json!({"purpose": "fire", "violations_found": true})),
            Lang::En,
        );
        assert_eq!(errs[0].field, "detail");
        // A hidden field hides those that depend on it, and a hidden value is refused.
        let d = data(json!({"purpose": "patrol", "violations_found": true, "detail": "x"}));
        let errs = validate(&f, &d, Lang::Vi);
        assert_eq!(
            errs.iter()
                .map(|e| (e.field.as_str(), &e.violation))
                .collect::<Vec<_>>(),
            [
                ("violations_found", &Violation::NotApplicable),
                ("detail", &Violation::NotApplicable)
            ]
        );
        assert_eq!(Visibility::of(&f, &d).top, [true, false, false]);
        // Pruning drops exactly those values, after which the record is valid.
        let pruned = prune(&f, &d);
        assert_eq!(Value::Object(pruned.clone()), json!({"purpose": "patrol"}));
        assert_eq!(validate(&f, &pruned, Lang::En), vec![]);
    }

    #[test]
    fn repeat_rows_are_checked_field_by_field_with_paths() {
        let f = form(json!([
            {"key": "kind", "label": label(), "type": "single_choice",
             "choices": [{"value": "business", "label": label()}, {"value": "home", "label": label()}]},
            {"key": "people", "label": label(), "type": "repeat", "required": true, "min_rows": 1, "max_rows": 3, "fields": [
                {"key": "name", "label": label(), "type": "text", "required": true},
                {"key": "id_number", "label": label(), "type": "citizen_id"},
                {"key": "owner", "label": label(), "type": "yes_no", "show_if": "kind = 'business'"},
                {"key": "share", "label": label(), "type": "integer", "show_if": "owner = true"}
            ]}
        ]));
        let d = |v: Value| v.as_object().unwrap().clone();
        let ok = d(
            json!({"kind": "business", "people": [{"name": "Lê Thị B", "owner": true, "share": 60}, {"name": "Trần C", "owner": false}]}),
        );
        assert_eq!(validate(&f, &ok, Lang::En), vec![]);
        let bad = d(
            json!({"kind": "home", "people": [{"name": ""}, {"name": "D", "id_number": "123", "owner": true, "age": 3}, "x"]}),
        );
        let errs: Vec<_> = validate(&f, &bad, Lang::En)
            .into_iter()
            .map(|e| (e.field, e.violation))
            .collect();
        assert_eq!(
            errs,
            [
                ("people[0].name".to_owned(), Violation::Required),
                ("people[1].age".to_owned(), Violation::UnknownField),
                ("people[1].id_number".to_owned(), Violation::BadCitizenId),
                ("people[1].owner".to_owned(), Violation::NotApplicable),
                ("people[2]".to_owned(), Violation::NotAList),
            ]
        );
        let none = d(json!({"kind": "home", "people": []}));
        assert_eq!(
            validate(&f, &none, Lang::En)[0].violation,
            Violation::Required
        );
        let many =
            d(json!({"people": [{"name": "a"}, {"name": "b"}, {"name": "c"}, {"name": "d"}]}));
        assert_eq!(
            validate(&f, &many, Lang::En)[0].violation,
            Violation::TooManyItems { max: 3 }
        );
        let vis = Visibility::of(&f, &ok);
        assert_eq!(
            vis.rows["people"],
            [vec![true, true, true, true], vec![true, true, true, false]]
        );
        let pruned = prune(
            &f,
            &d(json!({"kind": "home", "people": [{"name": "a", "owner": true, "share": ""}]})),
        );
        assert_eq!(
            Value::Object(pruned),
            json!({"kind": "home", "people": [{"name": "a"}]})
        );
    }

    #[test]
    fn messages_use_the_readers_number_format() {
        assert_eq!(
            Violation::TooLarge { max: 2.5 }.message(Lang::Vi),
            "Không được lớn hơn 2,5."
        );
        assert_eq!(
            Violation::TooLarge { max: 2.5 }.message(Lang::En),
            "Must be at most 2.5."
        );
        assert_eq!(
            Violation::TooSmall { min: 0.0 }.message(Lang::En),
            "Must be at least 0."
        );
    }

    #[test]
    fn unknown_fields_are_refused() {
        let mut data = valid();
        data.insert("weather".into(), json!("rain"));
        let errors = validate(&report(), &data, Lang::En);
        assert_eq!(
            errors,
            [FieldError::new(
                "weather",
                Violation::UnknownField,
                Lang::En
            )]
        );
    }
}
