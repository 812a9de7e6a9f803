//! Form definitions: data, not code. A form has a key, an immutable version, localized labels
//! and typed fields with rules; the server publishes them and the phone renders and validates
//! them offline with the same code.
//!
//! A definition is JSON. [`FormDef::parse`] reads one and refuses anything it does not fully
//! understand (unknown types or properties, duplicate keys, conditions that do not parse, refer
//! to missing fields or go round in circles) with a message that names the field and the problem.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use crate::expr::{Expr, Lit, ParseError};
use crate::lang::{Lang, Text};
use crate::role::Role;

/// The keys of the built-in forms.
pub const NEIGHBORHOOD_REPORT: &str = "neighborhood_report";
pub const FIELD_VISIT: &str = "field_visit";
pub const FIRE_SAFETY_CHECK: &str = "fire_safety_check";
pub const RESIDENCE_CHECK: &str = "residence_check";
pub const MANAGED_PERSON_VISIT: &str = "managed_person_visit";

/// Largest photo the server accepts, after the phone has resized it.
pub const MAX_PHOTO_BYTES: u64 = 4 * 1024 * 1024;
/// Longest side of a stored photo, in pixels.
pub const MAX_PHOTO_SIDE: u32 = 1600;
/// Photo types a record may carry.
pub const PHOTO_TYPES: [&str; 2] = ["image/jpeg", "image/webp"];

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FormDef {
    /// Stable identifier, lowercase ASCII with `_`.
    pub key: String,
    /// Starts at 1 and is given by the server when the definition is published; a published
    /// version never changes. A definition file may leave it out.
    #[serde(default)]
    pub version: u32,
    pub title: Text,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<Text>,
    /// Who files it: reports come from group leaders and officers, visit logs only from officers.
    pub filed_by: Vec<Role>,
    pub fields: Vec<FieldDef>,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldDef {
    pub key: String,
    pub label: Text,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint: Option<Text>,
    #[serde(default)]
    pub required: bool,
    /// Shown (and validated, and kept) only when this condition holds; see [`crate::expr`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub show_if: Option<Condition>,
    /// Filled in when a new record is started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<DefaultValue>,
    #[serde(flatten)]
    pub kind: FieldKind,
}

/// What a field holds, with the constraints of that type. Read as part of a [`FieldDef`].
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum FieldKind {
    /// One line of text.
    Text {
        #[serde(default = "default_text_max")]
        max_len: u32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        min_len: Option<u32>,
        /// The whole value must match this regular expression.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
        pattern: Option<Pattern>,
        /// Said to the user when the pattern does not match.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pattern_hint: Option<Text>,
    },
    /// Several lines of text.
    LongText {
        #[serde(default = "default_long_text_max")]
        max_len: u32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        min_len: Option<u32>,
    },
    /// A whole number.
    Integer {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        min: Option<i64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max: Option<i64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        unit: Option<Text>,
    },
    /// A number with at most `decimals` digits after the point.
    Decimal {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        min: Option<f64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max: Option<f64>,
        #[serde(default = "default_decimals")]
        decimals: u8,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        unit: Option<Text>,
    },
    /// A calendar day, `YYYY-MM-DD`.
    Date,
    /// A time of day, `HH:MM`.
    Time,
    /// A local date and time, `YYYY-MM-DDTHH:MM` in Asia/Ho_Chi_Minh.
    DateTime,
    /// Exactly one of the choices, stored as the choice's value.
    SingleChoice { choices: Vec<Choice> },
    /// Any number of the choices, stored as a list of values in the order of the choices.
    MultipleChoice {
        choices: Vec<Choice>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        min_selected: Option<u32>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max_selected: Option<u32>,
    },
    /// Yes or no, stored as a JSON boolean.
    YesNo,
    /// A Vietnamese phone number: mobile (10 digits) or landline (11 digits), `+84` allowed.
    Phone,
    /// A Vietnamese citizen identity number (CCCD): 12 digits with a province and century code.
    CitizenId,
    /// A GPS point `{lat, lon, accuracy_m, at}` taken on the phone.
    Gps {
        /// Refuse a fix less precise than this, in metres.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max_accuracy_m: Option<f64>,
    },
    /// Photos, each `{sha256, type, bytes, width, height}`; the image itself is uploaded apart.
    Photo {
        #[serde(default = "default_max_photos")]
        max_count: u32,
    },
    /// Rows of sub-fields, such as the people met on a visit or the violations found.
    Repeat {
        /// One level only: a repeat group cannot hold another.
        #[cfg_attr(feature = "openapi", schema(no_recursion))]
        fields: Vec<FieldDef>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        min_rows: Option<u32>,
        #[serde(default = "default_max_rows")]
        max_rows: u32,
    },
}

/// A field is read through one flat struct rather than serde's `flatten` of an internally
/// tagged enum: the result is the same, but `flatten` buffers every field in a generic content
/// tree, which cost the phone's download about 100 KB of code.
impl<'de> Deserialize<'de> for FieldDef {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::{Error, Unexpected};
        #[derive(Deserialize)]
        struct Raw {
            key: String,
            label: Text,
            hint: Option<Text>,
            #[serde(default)]
            required: bool,
            show_if: Option<Condition>,
            default: Option<DefaultValue>,
            #[serde(rename = "type")]
            ty: String,
            max_len: Option<u32>,
            min_len: Option<u32>,
            pattern: Option<Pattern>,
            pattern_hint: Option<Text>,
            min: Option<f64>,
            max: Option<f64>,
            unit: Option<Text>,
            decimals: Option<u8>,
            choices: Option<Vec<Choice>>,
            min_selected: Option<u32>,
            max_selected: Option<u32>,
            max_accuracy_m: Option<f64>,
            max_count: Option<u32>,
            fields: Option<Vec<FieldDef>>,
            min_rows: Option<u32>,
            max_rows: Option<u32>,
        }
        let r = Raw::deserialize(d)?;
        let whole = |v: Option<f64>| -> Result<Option<i64>, D::Error> {
            v.map(|x| {
                if x.fract() == 0.0 && x.abs() < 9.0e15 {
                    Ok(x as i64)
                } else {
                    Err(D::Error::invalid_value(
                        Unexpected::Float(x),
                        &"a whole number",
                    ))
                }
            })
            .transpose()
        };
        let need = |v: Option<Vec<Choice>>| v.ok_or_else(|| D::Error::missing_field("choices"));
        let kind = match r.ty.as_str() {
            "text" => FieldKind::Text {
                max_len: r.max_len.unwrap_or_else(default_text_max),
                min_len: r.min_len,
                pattern: r.pattern,
                pattern_hint: r.pattern_hint,
            },
            "long_text" => FieldKind::LongText {
                max_len: r.max_len.unwrap_or_else(default_long_text_max),
                min_len: r.min_len,
            },
            "integer" => FieldKind::Integer {
                min: whole(r.min)?,
                max: whole(r.max)?,
                unit: r.unit,
            },
            "decimal" => FieldKind::Decimal {
                min: r.min,
                max: r.max,
                decimals: r.decimals.unwrap_or_else(default_decimals),
                unit: r.unit,
            },
            "date" => FieldKind::Date,
            "time" => FieldKind::Time,
            "date_time" => FieldKind::DateTime,
            "single_choice" => FieldKind::SingleChoice {
                choices: need(r.choices)?,
            },
            "multiple_choice" => FieldKind::MultipleChoice {
                choices: need(r.choices)?,
                min_selected: r.min_selected,
                max_selected: r.max_selected,
            },
            "yes_no" => FieldKind::YesNo,
            "phone" => FieldKind::Phone,
            "citizen_id" => FieldKind::CitizenId,
            "gps" => FieldKind::Gps {
                max_accuracy_m: r.max_accuracy_m,
            },
            "photo" => FieldKind::Photo {
                max_count: r.max_count.unwrap_or_else(default_max_photos),
            },
            "repeat" => FieldKind::Repeat {
                fields: r.fields.ok_or_else(|| D::Error::missing_field("fields"))?,
                min_rows: r.min_rows,
                max_rows: r.max_rows.unwrap_or_else(default_max_rows),
            },
            other => return Err(D::Error::custom(format_args!("unknown type `{other}`"))),
        };
        Ok(FieldDef {
            key: r.key,
            label: r.label,
            hint: r.hint,
            required: r.required,
            show_if: r.show_if,
            default: r.default,
            kind,
        })
    }
}

fn default_text_max() -> u32 {
    200
}

fn default_long_text_max() -> u32 {
    4000
}

fn default_decimals() -> u8 {
    2
}

fn default_max_photos() -> u32 {
    1
}

fn default_max_rows() -> u32 {
    50
}

/// The type names a definition may use, with the properties each type allows beyond the common
/// ones (`key`, `label`, `hint`, `required`, `show_if`, `default`, `type`).
const TYPES: [(&str, &[&str]); 15] = [
    ("text", &["max_len", "min_len", "pattern", "pattern_hint"]),
    ("long_text", &["max_len", "min_len"]),
    ("integer", &["min", "max", "unit"]),
    ("decimal", &["min", "max", "decimals", "unit"]),
    ("date", &[]),
    ("time", &[]),
    ("date_time", &[]),
    ("single_choice", &["choices"]),
    (
        "multiple_choice",
        &["choices", "min_selected", "max_selected"],
    ),
    ("yes_no", &[]),
    ("phone", &[]),
    ("citizen_id", &[]),
    ("gps", &["max_accuracy_m"]),
    ("photo", &["max_count"]),
    ("repeat", &["fields", "min_rows", "max_rows"]),
];
const FIELD_PROPS: [&str; 7] = [
    "key", "label", "hint", "required", "show_if", "default", "type",
];
const FORM_PROPS: [&str; 6] = [
    "key",
    "version",
    "title",
    "description",
    "filed_by",
    "fields",
];

impl FieldKind {
    /// The `type` name of this kind in a definition.
    pub fn type_name(&self) -> &'static str {
        match self {
            FieldKind::Text { .. } => "text",
            FieldKind::LongText { .. } => "long_text",
            FieldKind::Integer { .. } => "integer",
            FieldKind::Decimal { .. } => "decimal",
            FieldKind::Date => "date",
            FieldKind::Time => "time",
            FieldKind::DateTime => "date_time",
            FieldKind::SingleChoice { .. } => "single_choice",
            FieldKind::MultipleChoice { .. } => "multiple_choice",
            FieldKind::YesNo => "yes_no",
            FieldKind::Phone => "phone",
            FieldKind::CitizenId => "citizen_id",
            FieldKind::Gps { .. } => "gps",
            FieldKind::Photo { .. } => "photo",
            FieldKind::Repeat { .. } => "repeat",
        }
    }

    pub fn choices(&self) -> Option<&[Choice]> {
        match self {
            FieldKind::SingleChoice { choices } | FieldKind::MultipleChoice { choices, .. } => {
                Some(choices)
            }
            _ => None,
        }
    }
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Choice {
    pub value: String,
    pub label: Text,
}

/// Values filled in when a record is started.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DefaultValue {
    /// The phone's current date, time or date-time (for date, time and date-time fields).
    Now,
    /// The signed-in user's name (text fields).
    User,
    /// The name of the user's residential group (text fields).
    Group,
}

/// What the phone knows when it starts a record, for [`FormDef::initial_data`].
#[derive(Debug, Clone, Default)]
pub struct DefaultContext {
    /// `YYYY-MM-DDTHH:MM` in local time.
    pub now: String,
    pub user_name: String,
    pub group_name: String,
}

/// A condition as written in the definition, with its parsed tree.
#[derive(Debug, Clone)]
pub struct Condition {
    pub source: String,
    pub parsed: Result<Expr, ParseError>,
}

impl Condition {
    pub fn new(source: impl Into<String>) -> Self {
        let source = source.into();
        let parsed = Expr::parse(&source);
        Condition { source, parsed }
    }

    /// Whether the condition holds; a condition that does not parse never holds (such a form is
    /// refused at publication, so this only guards against a hand-made definition).
    pub fn holds<'v>(&self, lookup: &impl Fn(&str) -> Option<&'v Value>) -> bool {
        self.parsed.as_ref().is_ok_and(|e| e.holds(lookup))
    }
}

impl PartialEq for Condition {
    fn eq(&self, other: &Self) -> bool {
        self.source == other.source
    }
}

impl Serialize for Condition {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.source)
    }
}

impl<'de> Deserialize<'de> for Condition {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(Condition::new)
    }
}

/// A regular expression the whole value must match, compiled once.
#[derive(Debug, Clone)]
pub struct Pattern {
    pub source: String,
    pub compiled: Result<regex_lite::Regex, String>,
}

impl Pattern {
    pub fn new(source: impl Into<String>) -> Self {
        let source = source.into();
        let build = |re: &str| {
            regex_lite::RegexBuilder::new(re)
                .size_limit(1 << 16)
                .build()
                .map_err(|e| e.to_string())
        };
        let compiled = if source.chars().count() > 500 {
            Err("longer than 500 characters".into())
        } else {
            // The source on its own first: `a)|(b` would otherwise close the anchoring group
            // and match anything that starts with "a".
            build(&source).and_then(|_| build(&format!("^(?:{source})$")))
        };
        Pattern { source, compiled }
    }

    pub fn matches(&self, s: &str) -> bool {
        self.compiled.as_ref().is_ok_and(|r| r.is_match(s))
    }
}

impl PartialEq for Pattern {
    fn eq(&self, other: &Self) -> bool {
        self.source == other.source
    }
}

impl Serialize for Pattern {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.source)
    }
}

impl<'de> Deserialize<'de> for Pattern {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(Pattern::new)
    }
}

/// Why a definition is refused: where (a field path such as `violations.kind`, or the form's
/// own property) and what.
#[derive(Debug, Clone, PartialEq)]
pub struct DefError {
    /// Field keys from the top, joined by `.`; empty for the form itself; `fields[3]` when the
    /// field has no usable key.
    pub path: String,
    pub problem: DefProblem,
}

#[derive(Debug, Clone, PartialEq)]
pub enum DefProblem {
    NotJson(String),
    NotAnObject,
    /// A required property is missing or has the wrong shape; the text is the reader's detail.
    BadProperty {
        property: String,
        detail: String,
    },
    UnknownProperty(String),
    UnknownType(String),
    MissingType,
    BadKey(String),
    NoFields,
    NoFiler,
    DuplicateKey(String),
    NoChoices,
    DuplicateChoice(String),
    MinAboveMax,
    BadLimit(&'static str),
    BadPattern(String),
    BadCondition(ParseError),
    UnknownReference(String),
    ReferenceIntoRepeat(String),
    NotAChoiceOf {
        field: String,
        value: String,
    },
    Circular(Vec<String>),
    NestedRepeat,
    DefaultDoesNotFit(DefaultValue),
    EmptyLabel,
}

impl DefError {
    fn at(path: impl Into<String>, problem: DefProblem) -> Self {
        DefError {
            path: path.into(),
            problem,
        }
    }

    pub fn message(&self, lang: Lang) -> String {
        let what = self.problem.message(lang);
        match (self.path.is_empty(), lang) {
            (true, Lang::Vi) => format!("Biểu mẫu: {what}"),
            (true, Lang::En) => format!("Form: {what}"),
            (false, Lang::Vi) => format!("Mục «{}»: {what}", self.path),
            (false, Lang::En) => format!("Field “{}”: {what}", self.path),
        }
    }
}

impl std::fmt::Display for DefError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message(Lang::En))
    }
}

impl std::error::Error for DefError {}

impl DefProblem {
    pub fn message(&self, lang: Lang) -> String {
        use DefProblem::*;
        let vi = lang == Lang::Vi;
        match self {
            NotJson(e) if vi => format!("tệp không phải JSON hợp lệ ({e})"),
            NotJson(e) => format!("the file is not valid JSON ({e})"),
            NotAnObject if vi => "phải là một đối tượng JSON {…}".into(),
            NotAnObject => "must be a JSON object {…}".into(),
            BadProperty { property, detail } if vi => {
                format!("thuộc tính «{property}» thiếu hoặc sai dạng ({detail})")
            }
            BadProperty { property, detail } => {
                format!("property “{property}” is missing or has the wrong shape ({detail})")
            }
            UnknownProperty(p) if vi => format!("không có thuộc tính «{p}» cho loại này"),
            UnknownProperty(p) => format!("there is no property “{p}” for this type"),
            UnknownType(t) if vi => format!("không có loại «{t}»; các loại: {}", type_list()),
            UnknownType(t) => format!("there is no type “{t}”; types are: {}", type_list()),
            MissingType if vi => format!("thiếu «type» (một trong: {})", type_list()),
            MissingType => format!("“type” is missing (one of: {})", type_list()),
            BadKey(k) if vi => {
                format!("khóa «{k}» chỉ được gồm chữ thường không dấu, số và _ (tối đa 64)")
            }
            BadKey(k) => {
                format!("key “{k}” may only hold lowercase a-z, digits and _ (at most 64)")
            }
            NoFields if vi => "cần ít nhất một mục".into(),
            NoFields => "needs at least one field".into(),
            NoFiler if vi => "«filed_by» phải nêu ít nhất một vai trò được lập biểu mẫu".into(),
            NoFiler => "“filed_by” must name at least one role that files it".into(),
            DuplicateKey(k) if vi => format!("khóa «{k}» bị dùng hai lần"),
            DuplicateKey(k) => format!("key “{k}” is used twice"),
            NoChoices if vi => "chưa có lựa chọn nào".into(),
            NoChoices => "has no choices".into(),
            DuplicateChoice(c) if vi => format!("lựa chọn «{c}» bị lặp"),
            DuplicateChoice(c) => format!("choice “{c}” is repeated"),
            MinAboveMax if vi => "giá trị nhỏ nhất lớn hơn giá trị lớn nhất".into(),
            MinAboveMax => "the minimum is greater than the maximum".into(),
            BadLimit(p) if vi => format!("«{p}» nằm ngoài khoảng cho phép"),
            BadLimit(p) => format!("“{p}” is out of the allowed range"),
            BadPattern(e) if vi => format!("biểu thức «pattern» không hợp lệ ({e})"),
            BadPattern(e) => format!("the pattern is not a valid regular expression ({e})"),
            BadCondition(e) if vi => format!("điều kiện «show_if»: {}", e.message(lang)),
            BadCondition(e) => format!("condition “show_if”: {}", e.message(lang)),
            UnknownReference(k) if vi => {
                format!("điều kiện nhắc tới mục «{k}» không có trong biểu mẫu")
            }
            UnknownReference(k) => {
                format!("the condition refers to “{k}”, which is not a field of the form")
            }
            ReferenceIntoRepeat(k) if vi => {
                format!("điều kiện không thể đọc mục «{k}» nằm trong một nhóm lặp khác")
            }
            ReferenceIntoRepeat(k) => {
                format!("the condition cannot read “{k}”, which is inside another repeat group")
            }
            NotAChoiceOf { field, value } if vi => {
                format!("«{value}» không phải lựa chọn của mục «{field}»")
            }
            NotAChoiceOf { field, value } => {
                format!("“{value}” is not a choice of field “{field}”")
            }
            Circular(keys) if vi => format!("điều kiện hiển thị vòng tròn: {}", keys.join(" → ")),
            Circular(keys) => format!("conditions go round in a circle: {}", keys.join(" → ")),
            NestedRepeat if vi => "không được đặt nhóm lặp trong nhóm lặp".into(),
            NestedRepeat => "a repeat group cannot hold another repeat group".into(),
            DefaultDoesNotFit(d) if vi => format!(
                "giá trị mặc định «{}» không dùng được cho loại này",
                default_name(*d)
            ),
            DefaultDoesNotFit(d) => {
                format!("default “{}” does not fit this type", default_name(*d))
            }
            EmptyLabel if vi => "nhãn tiếng Việt và tiếng Anh không được để trống".into(),
            EmptyLabel => "the Vietnamese and English labels must not be empty".into(),
        }
    }
}

fn default_name(d: DefaultValue) -> &'static str {
    match d {
        DefaultValue::Now => "now",
        DefaultValue::User => "user",
        DefaultValue::Group => "group",
    }
}

fn type_list() -> String {
    TYPES.iter().map(|(t, _)| *t).collect::<Vec<_>>().join(", ")
}

fn is_key(k: &str) -> bool {
    // The words of the condition language cannot name a field: a condition could not read it.
    !matches!(k, "and" | "or" | "not" | "in" | "true" | "false" | "null")
        && !k.is_empty()
        && k.len() <= 64
        && k.bytes().next().is_some_and(|b| b.is_ascii_lowercase())
        && k.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

impl FormDef {
    /// A top-level field by key.
    pub fn field(&self, key: &str) -> Option<&FieldDef> {
        self.fields.iter().find(|f| f.key == key)
    }

    /// The built-in forms, as the server publishes them on first start.
    pub fn builtin() -> Vec<FormDef> {
        [
            include_str!("../forms/neighborhood_report.json"),
            include_str!("../forms/field_visit.json"),
            include_str!("../forms/fire_safety_check.json"),
            include_str!("../forms/residence_check.json"),
            include_str!("../forms/managed_person_visit.json"),
        ]
        .iter()
        .map(|json| FormDef::parse(json).expect("built-in forms are valid"))
        .collect()
    }

    /// Reads a definition file, refusing anything it does not fully understand.
    pub fn parse(json: &str) -> Result<FormDef, DefError> {
        let raw: Value = serde_json::from_str(json)
            .map_err(|e| DefError::at("", DefProblem::NotJson(e.to_string())))?;
        let Value::Object(obj) = &raw else {
            return Err(DefError::at("", DefProblem::NotAnObject));
        };
        if let Some(p) = obj.keys().find(|k| !FORM_PROPS.contains(&k.as_str())) {
            return Err(DefError::at("", DefProblem::UnknownProperty(p.clone())));
        }
        match obj.get("fields") {
            Some(Value::Array(fields)) => precheck_fields(fields, "")?,
            _ => return Err(bad_property("", "fields", "a list of fields")),
        }
        let form: FormDef = serde_json::from_value(raw.clone()).map_err(|e| {
            // The fields were checked above, so what is left is a form property.
            let property = FORM_PROPS
                .iter()
                .find(|p| e.to_string().contains(&format!("`{p}`")))
                .copied()
                .unwrap_or("title");
            bad_property("", property, &e.to_string())
        })?;
        form.check()?;
        Ok(form)
    }

    /// Checks that a definition is well formed before it is published.
    pub fn check(&self) -> Result<(), DefError> {
        if !is_key(&self.key) {
            return Err(DefError::at("", DefProblem::BadKey(self.key.clone())));
        }
        if self.title.vi.trim().is_empty() || self.title.en.trim().is_empty() {
            return Err(DefError::at("", DefProblem::EmptyLabel));
        }
        if self.filed_by.is_empty() {
            return Err(DefError::at("", DefProblem::NoFiler));
        }
        check_fields(&self.fields, "", false)?;
        // Conditions: parse, resolve, and refuse circles, one scope at a time.
        check_conditions(&self.fields, None, "")?;
        for f in &self.fields {
            if let FieldKind::Repeat { fields, .. } = &f.kind {
                check_conditions(fields, Some(&self.fields), &f.key)?;
            }
        }
        Ok(())
    }

    /// A new record's data: each field's default, when it has one.
    pub fn initial_data(&self, ctx: &DefaultContext) -> Map<String, Value> {
        let mut data = Map::new();
        for f in &self.fields {
            let Some(default) = f.default else { continue };
            let value = match (default, &f.kind) {
                (DefaultValue::Now, FieldKind::DateTime) => ctx.now.get(..16).map(str::to_owned),
                (DefaultValue::Now, FieldKind::Date) => ctx.now.get(..10).map(str::to_owned),
                (DefaultValue::Now, FieldKind::Time) => ctx.now.get(11..16).map(str::to_owned),
                (DefaultValue::User, _) => Some(ctx.user_name.clone()),
                (DefaultValue::Group, _) => Some(ctx.group_name.clone()),
                _ => None,
            };
            if let Some(v) = value.filter(|v| !v.is_empty()) {
                data.insert(f.key.clone(), Value::String(v));
            }
        }
        data
    }

    /// Whether two definitions say the same thing, whatever their version numbers.
    pub fn same_content(&self, other: &FormDef) -> bool {
        FormDef {
            version: other.version,
            ..self.clone()
        } == *other
    }
}

fn bad_property(path: &str, property: &str, detail: &str) -> DefError {
    DefError::at(
        path,
        DefProblem::BadProperty {
            property: property.into(),
            detail: detail.into(),
        },
    )
}

fn join(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        key.to_owned()
    } else {
        format!("{parent}.{key}")
    }
}

/// Looks at the raw JSON of each field for what serde would only report vaguely: an unknown or
/// missing type, properties the type does not have, and where a malformed property is.
fn precheck_fields(fields: &[Value], parent: &str) -> Result<(), DefError> {
    for (i, raw) in fields.iter().enumerate() {
        let Value::Object(obj) = raw else {
            return Err(DefError::at(
                join(parent, &format!("fields[{i}]")),
                DefProblem::NotAnObject,
            ));
        };
        let path = match obj.get("key").and_then(Value::as_str) {
            Some(k) if !k.is_empty() => join(parent, k),
            _ => join(parent, &format!("fields[{i}]")),
        };
        let Some(ty) = obj.get("type") else {
            return Err(DefError::at(path, DefProblem::MissingType));
        };
        let ty = ty.as_str().unwrap_or_default();
        let Some((_, props)) = TYPES.iter().find(|(t, _)| *t == ty) else {
            return Err(DefError::at(path, DefProblem::UnknownType(ty.to_owned())));
        };
        if let Some(p) = obj
            .keys()
            .find(|k| !FIELD_PROPS.contains(&k.as_str()) && !props.contains(&k.as_str()))
        {
            return Err(DefError::at(path, DefProblem::UnknownProperty(p.clone())));
        }
        if let Some(Value::Array(choices)) = obj.get("choices") {
            for c in choices {
                if let Some(p) = c
                    .as_object()
                    .and_then(|c| c.keys().find(|k| !matches!(k.as_str(), "value" | "label")))
                {
                    return Err(DefError::at(path, DefProblem::UnknownProperty(p.clone())));
                }
            }
        }
        if ty == "repeat" {
            match obj.get("fields") {
                Some(Value::Array(sub)) => precheck_fields(sub, &path)?,
                _ => return Err(bad_property(&path, "fields", "a list of fields")),
            }
        }
        if let Err(e) = serde_json::from_value::<FieldDef>(raw.clone()) {
            return Err(bad_property(
                &path,
                &culprit(obj, props, &e),
                &e.to_string(),
            ));
        }
    }
    Ok(())
}

/// Which property of a field serde choked on: one it names as missing, or the one whose removal
/// makes the field readable (serde's messages for tagged types do not name it).
fn culprit(obj: &Map<String, Value>, props: &[&str], e: &serde_json::Error) -> String {
    let text = e.to_string();
    if let Some(p) = FIELD_PROPS
        .iter()
        .chain(props)
        .find(|p| text.contains(&format!("`{p}`")))
    {
        return (*p).to_owned();
    }
    obj.keys()
        .filter(|k| !matches!(k.as_str(), "key" | "type"))
        .find(|k| {
            let mut without = obj.clone();
            without.remove(*k);
            serde_json::from_value::<FieldDef>(Value::Object(without)).is_ok()
        })
        .cloned()
        .unwrap_or_else(|| "type".into())
}

fn check_fields(fields: &[FieldDef], parent: &str, in_repeat: bool) -> Result<(), DefError> {
    if fields.is_empty() {
        return Err(DefError::at(parent, DefProblem::NoFields));
    }
    let mut seen = HashSet::new();
    for f in fields {
        let path = join(parent, &f.key);
        if !is_key(&f.key) {
            return Err(DefError::at(path, DefProblem::BadKey(f.key.clone())));
        }
        if !seen.insert(f.key.as_str()) {
            return Err(DefError::at(path, DefProblem::DuplicateKey(f.key.clone())));
        }
        if f.label.vi.trim().is_empty() || f.label.en.trim().is_empty() {
            return Err(DefError::at(path, DefProblem::EmptyLabel));
        }
        let fail = |p| Err(DefError::at(path.clone(), p));
        if let Some(d) = f.default {
            let fits = match d {
                DefaultValue::Now => matches!(
                    f.kind,
                    FieldKind::Date | FieldKind::Time | FieldKind::DateTime
                ),
                DefaultValue::User | DefaultValue::Group => {
                    matches!(f.kind, FieldKind::Text { .. } | FieldKind::LongText { .. })
                }
            };
            if !fits {
                return fail(DefProblem::DefaultDoesNotFit(d));
            }
        }
        match &f.kind {
            FieldKind::Text {
                max_len,
                min_len,
                pattern,
                ..
            } => {
                if *max_len == 0 || *max_len > 100_000 {
                    return fail(DefProblem::BadLimit("max_len"));
                }
                if min_len.is_some_and(|m| m > *max_len) {
                    return fail(DefProblem::MinAboveMax);
                }
                if let Some(Pattern {
                    compiled: Err(e), ..
                }) = pattern
                {
                    return fail(DefProblem::BadPattern(e.clone()));
                }
            }
            FieldKind::LongText { max_len, min_len } => {
                if *max_len == 0 || *max_len > 100_000 {
                    return fail(DefProblem::BadLimit("max_len"));
                }
                if min_len.is_some_and(|m| m > *max_len) {
                    return fail(DefProblem::MinAboveMax);
                }
            }
            FieldKind::Integer {
                min: Some(lo),
                max: Some(hi),
                ..
            } if lo > hi => return fail(DefProblem::MinAboveMax),
            FieldKind::Decimal {
                min, max, decimals, ..
            } => {
                if *decimals > 6 {
                    return fail(DefProblem::BadLimit("decimals"));
                }
                if let (Some(lo), Some(hi)) = (min, max) {
                    if lo > hi {
                        return fail(DefProblem::MinAboveMax);
                    }
                }
                if min.is_some_and(|v| !v.is_finite()) || max.is_some_and(|v| !v.is_finite()) {
                    return fail(DefProblem::BadLimit("min/max"));
                }
            }
            FieldKind::SingleChoice { choices } | FieldKind::MultipleChoice { choices, .. } => {
                if choices.is_empty() {
                    return fail(DefProblem::NoChoices);
                }
                let mut values = HashSet::new();
                for c in choices {
                    if c.value.trim().is_empty() || c.value.len() > 64 {
                        return fail(DefProblem::BadKey(c.value.clone()));
                    }
                    if !values.insert(c.value.as_str()) {
                        return fail(DefProblem::DuplicateChoice(c.value.clone()));
                    }
                    if c.label.vi.trim().is_empty() || c.label.en.trim().is_empty() {
                        return fail(DefProblem::EmptyLabel);
                    }
                }
                if let FieldKind::MultipleChoice {
                    min_selected,
                    max_selected,
                    ..
                } = &f.kind
                {
                    let n = choices.len() as u32;
                    if min_selected.is_some_and(|m| m > n) || max_selected.is_some_and(|m| m == 0) {
                        return fail(DefProblem::BadLimit("min_selected/max_selected"));
                    }
                    if let (Some(lo), Some(hi)) = (min_selected, max_selected) {
                        if lo > hi {
                            return fail(DefProblem::MinAboveMax);
                        }
                    }
                }
            }
            FieldKind::Gps {
                max_accuracy_m: Some(m),
            } if !(m.is_finite() && *m > 0.0) => {
                return fail(DefProblem::BadLimit("max_accuracy_m"))
            }
            FieldKind::Photo { max_count } if !(1..=20).contains(max_count) => {
                return fail(DefProblem::BadLimit("max_count"))
            }
            FieldKind::Repeat {
                fields,
                min_rows,
                max_rows,
            } => {
                if in_repeat {
                    return fail(DefProblem::NestedRepeat);
                }
                if !(1..=500).contains(max_rows) {
                    return fail(DefProblem::BadLimit("max_rows"));
                }
                if min_rows.is_some_and(|m| m > *max_rows) {
                    return fail(DefProblem::MinAboveMax);
                }
                check_fields(fields, &path, true)?;
            }
            _ => {}
        }
    }
    Ok(())
}

/// Parses every condition of one scope (the form's top level, or one repeat group's row with
/// the top level around it), checks what each reads, and refuses circles.
fn check_conditions(
    fields: &[FieldDef],
    outer: Option<&[FieldDef]>,
    parent: &str,
) -> Result<(), DefError> {
    let mut deps: HashMap<&str, Vec<&str>> = HashMap::new();
    for f in fields {
        let Some(cond) = &f.show_if else { continue };
        let path = join(parent, &f.key);
        let expr = cond
            .parsed
            .as_ref()
            .map_err(|e| DefError::at(path.clone(), DefProblem::BadCondition(e.clone())))?;
        let resolve = |key: &str| -> Result<(&FieldDef, bool), DefError> {
            if let Some(t) = fields.iter().find(|t| t.key == key) {
                return Ok((t, true));
            }
            if let Some(t) = outer.and_then(|o| o.iter().find(|t| t.key == key)) {
                return Ok((t, false));
            }
            let everywhere = outer.unwrap_or(fields);
            let inside_repeat = everywhere.iter().any(|t| match &t.kind {
                FieldKind::Repeat { fields, .. } => fields.iter().any(|s| s.key == key),
                _ => false,
            });
            Err(DefError::at(
                path.clone(),
                if inside_repeat {
                    DefProblem::ReferenceIntoRepeat(key.into())
                } else {
                    DefProblem::UnknownReference(key.into())
                },
            ))
        };
        for key in expr.fields() {
            let (target, same_scope) = resolve(key)?;
            if same_scope {
                deps.entry(f.key.as_str()).or_default().push(&target.key);
            }
        }
        // A choice value named in the condition must be one of the field's choices.
        let mut bad_choice = None;
        expr.visit(&mut |e| {
            let pairs: Vec<(&str, &str)> = match e {
                Expr::Selected(k, v) => vec![(k, v)],
                Expr::Cmp(a, _, b) => match (&**a, &**b) {
                    (Expr::Field(k), Expr::Lit(Lit::Str(v)))
                    | (Expr::Lit(Lit::Str(v)), Expr::Field(k)) => vec![(k, v)],
                    _ => vec![],
                },
                Expr::In(a, items) => match &**a {
                    Expr::Field(k) => items
                        .iter()
                        .filter_map(|l| match l {
                            Lit::Str(v) => Some((k.as_str(), v.as_str())),
                            _ => None,
                        })
                        .collect(),
                    _ => vec![],
                },
                _ => vec![],
            };
            for (k, v) in pairs {
                let target = fields
                    .iter()
                    .chain(outer.unwrap_or_default())
                    .find(|t| t.key == k);
                if let Some(choices) = target.and_then(|t| t.kind.choices()) {
                    if !choices.iter().any(|c| c.value == v) && bad_choice.is_none() {
                        bad_choice = Some((k.to_owned(), v.to_owned()));
                    }
                }
            }
        });
        if let Some((field, value)) = bad_choice {
            return Err(DefError::at(
                path,
                DefProblem::NotAChoiceOf { field, value },
            ));
        }
    }
    // Depth-first search for a circle among the conditions of this scope.
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Open,
        Done,
    }
    let mut marks: HashMap<&str, Mark> =
        fields.iter().map(|f| (f.key.as_str(), Mark::New)).collect();
    fn visit<'a>(
        key: &'a str,
        deps: &HashMap<&'a str, Vec<&'a str>>,
        marks: &mut HashMap<&'a str, Mark>,
        stack: &mut Vec<&'a str>,
    ) -> Option<Vec<String>> {
        match marks.get(key).copied() {
            Some(Mark::Done) | None => return None,
            Some(Mark::Open) => {
                let start = stack.iter().position(|k| *k == key).unwrap_or(0);
                let mut circle: Vec<String> =
                    stack[start..].iter().map(|k| k.to_string()).collect();
                circle.push(key.to_owned());
                return Some(circle);
            }
            Some(Mark::New) => {}
        }
        marks.insert(key, Mark::Open);
        stack.push(key);
        for dep in deps.get(key).into_iter().flatten() {
            if let Some(c) = visit(dep, deps, marks, stack) {
                return Some(c);
            }
        }
        stack.pop();
        marks.insert(key, Mark::Done);
        None
    }
    for f in fields {
        let mut stack = Vec::new();
        if let Some(circle) = visit(&f.key, &deps, &mut marks, &mut stack) {
            return Err(DefError::at(
                join(parent, &circle[0]),
                DefProblem::Circular(circle),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn minimal(fields: Value) -> String {
        json!({
            "key": "test_form",
            "title": {"vi": "Thử", "en": "Test"},
            "filed_by": ["officer"],
            "fields": fields,
        })
        .to_string()
    }

    fn refused(fields: Value) -> DefError {
        FormDef::parse(&minimal(fields)).unwrap_err()
    }

    fn label() -> Value {
        json!({"vi": "Nhãn", "en": "Label"})
    }

    /// Found by `cargo xtask fuzz` (form_definition): a bound of 17 significant digits was
    /// read back one unit in the last place off, since serde_json's quick float parsing is not
    /// exact; the phone and the server could then disagree on a value at the bound.
    #[test]
    fn a_decimal_bound_of_seventeen_digits_is_read_back_the_same() {
        let text = minimal(json!([{
            "key": "area",
            "label": label(),
            "type": "decimal",
            "min": 1.0,
            "max": 1.0000022222222221e71,
        }]));
        let form = FormDef::parse(&text).unwrap();
        let FieldKind::Decimal { max, .. } = &form.fields[0].kind else {
            panic!("{:?}", form.fields[0].kind)
        };
        assert_eq!(*max, Some(1.0000022222222221e71));
        let again = FormDef::parse(&serde_json::to_string(&form).unwrap()).unwrap();
        assert_eq!(again, form);
    }

    #[test]
    fn builtin_forms_are_well_formed_and_bilingual() {
        let forms = FormDef::builtin();
        let keys: Vec<_> = forms.iter().map(|f| f.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                NEIGHBORHOOD_REPORT,
                FIELD_VISIT,
                FIRE_SAFETY_CHECK,
                RESIDENCE_CHECK,
                MANAGED_PERSON_VISIT
            ]
        );
        for f in &forms {
            f.check().unwrap();
            assert!(f.version >= 1, "{}", f.key);
            // Written back and read again, a definition is the same.
            let again = FormDef::parse(&serde_json::to_string(f).unwrap()).unwrap();
            assert_eq!(&again, f);
        }
        let fire = forms.iter().find(|f| f.key == FIRE_SAFETY_CHECK).unwrap();
        assert!(fire
            .fields
            .iter()
            .any(|f| matches!(f.kind, FieldKind::Repeat { .. })));
    }

    #[test]
    fn every_field_type_is_known_to_the_definition_reader() {
        let kinds = [
            json!({"type": "text", "pattern": "[0-9]+", "min_len": 1}),
            json!({"type": "long_text"}),
            json!({"type": "integer", "min": 0, "unit": {"vi": "người", "en": "people"}}),
            json!({"type": "decimal", "decimals": 1, "max": 10.5}),
            json!({"type": "date"}),
            json!({"type": "time"}),
            json!({"type": "date_time", "default": "now"}),
            json!({"type": "single_choice", "choices": [{"value": "a", "label": label()}]}),
            json!({"type": "multiple_choice", "choices": [{"value": "a", "label": label()}], "max_selected": 1}),
            json!({"type": "yes_no"}),
            json!({"type": "phone"}),
            json!({"type": "citizen_id"}),
            json!({"type": "gps", "max_accuracy_m": 100}),
            json!({"type": "photo", "max_count": 3}),
            json!({"type": "repeat", "fields": [{"key": "name", "label": label(), "type": "text"}]}),
        ];
        assert_eq!(kinds.len(), TYPES.len());
        for mut kind in kinds {
            kind["key"] = json!("x");
            kind["label"] = label();
            let form = FormDef::parse(&minimal(json!([kind.clone()])))
                .unwrap_or_else(|e| panic!("{kind}: {e}"));
            assert_eq!(
                form.fields[0].kind.type_name(),
                kind["type"].as_str().unwrap()
            );
        }
    }

    #[test]
    fn unknown_types_and_properties_are_named() {
        let e = refused(json!([{"key": "x", "label": label(), "type": "hologram"}]));
        assert_eq!(e.path, "x");
        assert_eq!(e.problem, DefProblem::UnknownType("hologram".into()));
        assert!(e
            .message(Lang::En)
            .starts_with("Field “x”: there is no type “hologram”"));
        assert!(e
            .message(Lang::Vi)
            .starts_with("Mục «x»: không có loại «hologram»"));

        let e = refused(json!([{"key": "x", "label": label(), "type": "text", "requird": true}]));
        assert_eq!(e.problem, DefProblem::UnknownProperty("requird".into()));

        let e = refused(json!([{"key": "x", "label": label()}]));
        assert_eq!(e.problem, DefProblem::MissingType);

        let e = refused(json!([{"key": "rows", "label": label(), "type": "repeat",
            "fields": [{"key": "y", "label": label(), "type": "colour"}]}]));
        assert_eq!(e.path, "rows.y");

        let e = refused(json!([{"key": "x", "label": label(), "type": "integer", "min": "zero"}]));
        assert!(
            matches!(&e.problem, DefProblem::BadProperty { property, .. } if property == "min"),
            "{e:?}"
        );

        let e = refused(json!([{"key": "x", "type": "integer"}]));
        assert!(
            matches!(&e.problem, DefProblem::BadProperty { property, .. } if property == "label"),
            "{e:?}"
        );

        let e = FormDef::parse("{\"key\": ").unwrap_err();
        assert!(matches!(e.problem, DefProblem::NotJson(_)));
    }

    #[test]
    fn duplicate_keys_and_choices_are_refused() {
        let f = json!({"key": "x", "label": label(), "type": "text"});
        let e = refused(json!([f.clone(), f]));
        assert_eq!(
            (e.path.as_str(), e.problem),
            ("x", DefProblem::DuplicateKey("x".into()))
        );

        let c = json!({"value": "a", "label": label()});
        let e = refused(
            json!([{"key": "x", "label": label(), "type": "single_choice", "choices": [c.clone(), c]}]),
        );
        assert_eq!(e.problem, DefProblem::DuplicateChoice("a".into()));

        let e = refused(
            json!([{"key": "x", "label": label(), "type": "single_choice", "choices": []}]),
        );
        assert_eq!(e.problem, DefProblem::NoChoices);

        let e = refused(json!([{"key": "Bad Key", "label": label(), "type": "text"}]));
        assert_eq!(e.problem, DefProblem::BadKey("Bad Key".into()));
        let e = refused(json!([{"key": "null", "label": label(), "type": "text"}]));
        assert_eq!(e.problem, DefProblem::BadKey("null".into()));
        let e = refused(
            json!([{"key": "x", "label": label(), "type": "single_choice",
            "choices": [{"value": "a", "label": label(), "colour": "red"}]}]),
        );
        assert_eq!(e.problem, DefProblem::UnknownProperty("colour".into()));
    }

    #[test]
    fn conditions_must_parse_resolve_and_not_go_round() {
        let text = |key: &str, cond: &str| {
            let mut f = json!({"key": key, "label": label(), "type": "text"});
            if !cond.is_empty() {
                f["show_if"] = json!(cond);
            }
            f
        };

        let e = refused(json!([text("a", "b = "), text("b", "")]));
        assert!(matches!(e.problem, DefProblem::BadCondition(_)), "{e:?}");
        assert!(e
            .message(Lang::En)
            .contains("condition “show_if”: the condition ends too early"));

        let e = refused(json!([text("a", "ghost = 1")]));
        assert_eq!(
            (e.path.as_str(), e.problem),
            ("a", DefProblem::UnknownReference("ghost".into()))
        );

        let e = refused(json!([
            text("a", "filled(b)"),
            text("b", "filled(c)"),
            text("c", "filled(a)")
        ]));
        assert_eq!(
            e.problem,
            DefProblem::Circular(vec!["a".into(), "b".into(), "c".into(), "a".into()])
        );
        assert_eq!(
            e.message(Lang::En),
            "Field “a”: conditions go round in a circle: a → b → c → a"
        );

        let e = refused(json!([text("a", "filled(a)")]));
        assert!(matches!(e.problem, DefProblem::Circular(_)));

        // A row may read the top level and its own row; the top level may not read into a row.
        let rows = json!({"key": "rows", "label": label(), "type": "repeat",
            "fields": [text("name", "filled(top)"), text("note", "filled(name)")]});
        FormDef::parse(&minimal(json!([text("top", ""), rows.clone()]))).unwrap();
        let e = refused(
            json!([{"key": "top", "label": label(), "type": "text", "show_if": "filled(name)"}, rows]),
        );
        assert_eq!(e.problem, DefProblem::ReferenceIntoRepeat("name".into()));

        let choice = json!({"key": "purpose", "label": label(), "type": "single_choice",
            "choices": [{"value": "patrol", "label": label()}]});
        let e = refused(json!([choice.clone(), text("b", "purpose = 'patrl'")]));
        assert_eq!(
            e.problem,
            DefProblem::NotAChoiceOf {
                field: "purpose".into(),
                value: "patrl".into()
            }
        );
        let e = refused(json!([choice.clone(), text("b", "selected(purpose, 'x')")]));
        assert!(matches!(e.problem, DefProblem::NotAChoiceOf { .. }));
        FormDef::parse(&minimal(json!([
            choice,
            text("b", "purpose in ['patrol']")
        ])))
        .unwrap();
    }

    #[test]
    fn limits_patterns_defaults_and_nesting_are_checked() {
        let field = |extra: Value| {
            let mut f = json!({"key": "x", "label": label()});
            f.as_object_mut()
                .unwrap()
                .extend(extra.as_object().unwrap().clone());
            f
        };
        let cases = [
            (
                json!({"type": "integer", "min": 5, "max": 1}),
                DefProblem::MinAboveMax,
            ),
            (
                json!({"type": "text", "pattern": "(unclosed"}),
                DefProblem::BadPattern(String::new()),
            ),
            (
                json!({"type": "integer", "default": "now"}),
                DefProblem::DefaultDoesNotFit(DefaultValue::Now),
            ),
            (
                json!({"type": "photo", "max_count": 0}),
                DefProblem::BadLimit("max_count"),
            ),
            (
                json!({"type": "decimal", "decimals": 9}),
                DefProblem::BadLimit("decimals"),
            ),
            (
                json!({"type": "repeat", "fields": [{"key": "y", "label": label(), "type": "repeat",
                "fields": [{"key": "z", "label": label(), "type": "text"}]}]}),
                DefProblem::NestedRepeat,
            ),
            (
                json!({"type": "repeat", "fields": []}),
                DefProblem::NoFields,
            ),
        ];
        for (extra, want) in cases {
            let e = refused(json!([field(extra.clone())]));
            let same = match (&e.problem, &want) {
                (DefProblem::BadPattern(_), DefProblem::BadPattern(_)) => true,
                (a, b) => a == b,
            };
            assert!(same, "{extra}: {e:?}");
        }
    }

    #[test]
    fn defaults_fill_a_new_record() {
        let form = FormDef::parse(&minimal(json!([
            {"key": "when", "label": label(), "type": "date_time", "default": "now"},
            {"key": "day", "label": label(), "type": "date", "default": "now"},
            {"key": "hour", "label": label(), "type": "time", "default": "now"},
            {"key": "who", "label": label(), "type": "text", "default": "user"},
            {"key": "group", "label": label(), "type": "text", "default": "group"},
            {"key": "plain", "label": label(), "type": "text"}
        ])))
        .unwrap();
        let ctx = DefaultContext {
            now: "2026-11-25T21:30".into(),
            user_name: "Nguyễn Văn A".into(),
            group_name: "Tổ 1".into(),
        };
        assert_eq!(
            Value::Object(form.initial_data(&ctx)),
            json!({"when": "2026-11-25T21:30", "day": "2026-11-25", "hour": "21:30", "who": "Nguyễn Văn A", "group": "Tổ 1"})
        );
    }

    #[test]
    fn same_content_ignores_the_version() {
        let a = FormDef::builtin().remove(0);
        let mut b = a.clone();
        b.version += 1;
        assert!(a.same_content(&b));
        b.fields.pop();
        assert!(!a.same_content(&b));
    }
}
