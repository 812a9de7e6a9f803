//! Form definitions: data, not code. A form has a key, an immutable version, localized labels
//! and typed fields; the server publishes them and the phone renders and validates them offline.

use serde::{Deserialize, Serialize};

use crate::lang::Text;

/// The key of the built-in neighborhood report form.
pub const NEIGHBORHOOD_REPORT: &str = "neighborhood_report";

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FormDef {
    /// Stable identifier, lowercase ASCII with `_`.
    pub key: String,
    /// Starts at 1; a published version never changes.
    pub version: u32,
    pub title: Text,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<Text>,
    /// Who files it: reports come from group leaders and officers, visit logs only from officers.
    pub filed_by: Vec<crate::api::Role>,
    pub fields: Vec<FieldDef>,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldDef {
    pub key: String,
    pub label: Text,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint: Option<Text>,
    #[serde(default)]
    pub required: bool,
    #[serde(flatten)]
    pub kind: FieldKind,
}

/// What a field holds, with the constraints of that type.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum FieldKind {
    /// One line of text.
    Text {
        #[serde(default = "default_text_max")]
        max_len: u32,
    },
    /// Several lines of text.
    LongText {
        #[serde(default = "default_long_text_max")]
        max_len: u32,
    },
    /// A whole number.
    Integer {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        min: Option<i64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max: Option<i64>,
    },
    /// Exactly one of the choices, stored as the choice's value.
    SingleChoice { choices: Vec<Choice> },
    /// A local date and time, `YYYY-MM-DDTHH:MM` in Asia/Ho_Chi_Minh.
    DateTime,
    /// Yes or no, stored as a JSON boolean.
    YesNo,
}

fn default_text_max() -> u32 {
    200
}

fn default_long_text_max() -> u32 {
    4000
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Choice {
    pub value: String,
    pub label: Text,
}

impl FormDef {
    pub fn field(&self, key: &str) -> Option<&FieldDef> {
        self.fields.iter().find(|f| f.key == key)
    }

    /// The built-in forms, as the server publishes them on first start.
    pub fn builtin() -> Vec<FormDef> {
        [include_str!("../forms/neighborhood_report.json")]
            .iter()
            .map(|json| serde_json::from_str(json).expect("built-in forms are valid JSON"))
            .collect()
    }

    /// Checks that a definition is well formed before it is published.
    pub fn check(&self) -> Result<(), String> {
        let is_key = |k: &str| {
            !k.is_empty()
                && k.len() <= 64
                && k.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        };
        if !is_key(&self.key) {
            return Err(format!(
                "form key {:?} must be lowercase letters, digits and _",
                self.key
            ));
        }
        if self.version == 0 {
            return Err("form version starts at 1".into());
        }
        if self.fields.is_empty() {
            return Err("a form needs at least one field".into());
        }
        let mut seen = std::collections::HashSet::new();
        for f in &self.fields {
            if !is_key(&f.key) {
                return Err(format!(
                    "field key {:?} must be lowercase letters, digits and _",
                    f.key
                ));
            }
            if !seen.insert(f.key.as_str()) {
                return Err(format!("field key {:?} is used twice", f.key));
            }
            if let FieldKind::SingleChoice { choices } = &f.kind {
                if choices.is_empty() {
                    return Err(format!("field {:?} has no choices", f.key));
                }
                let mut values = std::collections::HashSet::new();
                if let Some(c) = choices.iter().find(|c| !values.insert(c.value.as_str())) {
                    return Err(format!("field {:?} repeats choice {:?}", f.key, c.value));
                }
            }
            if let FieldKind::Integer {
                min: Some(lo),
                max: Some(hi),
            } = f.kind
            {
                if lo > hi {
                    return Err(format!("field {:?} has min greater than max", f.key));
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_forms_are_well_formed() {
        let forms = FormDef::builtin();
        assert!(forms.iter().any(|f| f.key == NEIGHBORHOOD_REPORT));
        for f in forms {
            f.check().unwrap();
        }
    }

    #[test]
    fn a_definition_with_a_duplicate_field_key_is_refused() {
        let mut form = FormDef::builtin().remove(0);
        let dup = form.fields[0].clone();
        form.fields.push(dup);
        let err = form.check().unwrap_err();
        assert!(err.contains("used twice"), "{err}");
    }

    #[test]
    fn unknown_field_types_do_not_parse() {
        let json = r#"{"key":"x","label":{"vi":"a","en":"a"},"type":"hologram"}"#;
        assert!(serde_json::from_str::<FieldDef>(json).is_err());
    }
}
