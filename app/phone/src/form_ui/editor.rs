//! The editing context every field of a form shares: where a value lives, what is pending, and
//! how a change is saved.

use domain::validate::{FieldError, Visibility};
use leptos::prelude::*;
use serde_json::{Map, Value};

use app::store::{self, Draft};

/// Where a value lives in a record: a top-level field, or a field of one repeat row.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Slot {
    pub key: String,
    pub row: Option<(usize, String)>,
}

impl Slot {
    pub fn top(key: &str) -> Self {
        Slot {
            key: key.to_owned(),
            row: None,
        }
    }

    /// The path validation errors use: `key` or `key[row].sub`.
    pub fn path(&self) -> String {
        match &self.row {
            None => self.key.clone(),
            Some((i, sub)) => format!("{}[{i}].{sub}", self.key),
        }
    }

    /// A DOM id for the input.
    pub fn dom_id(&self) -> String {
        match &self.row {
            None => format!("f-{}", self.key),
            Some((i, sub)) => format!("f-{}-{i}-{sub}", self.key),
        }
    }

    pub fn get(&self, data: &Map<String, Value>) -> Value {
        let top = data.get(&self.key);
        match &self.row {
            None => top.cloned(),
            Some((i, sub)) => top
                .and_then(|v| v.as_array())
                .and_then(|rows| rows.get(*i))
                .and_then(|r| r.get(sub))
                .cloned(),
        }
        .unwrap_or(Value::Null)
    }

    pub fn set(&self, data: &mut Map<String, Value>, value: Value) {
        let empty = value.is_null() || value.as_str().is_some_and(str::is_empty);
        match &self.row {
            None if empty => {
                data.remove(&self.key);
            }
            None => {
                data.insert(self.key.clone(), value);
            }
            Some((i, sub)) => {
                let Some(Value::Object(row)) = data
                    .get_mut(&self.key)
                    .and_then(Value::as_array_mut)
                    .and_then(|rows| rows.get_mut(*i))
                else {
                    return;
                };
                if empty {
                    row.remove(sub);
                } else {
                    row.insert(sub.clone(), value);
                }
            }
        }
    }
}

/// Photos being processed and GPS fixes being taken on this form: submitting waits for them.
#[derive(Clone, Copy)]
pub struct Pending(pub RwSignal<u32>);

/// The editing context every field of the form shares.
#[derive(Clone, Copy)]
pub struct Editor {
    pub lang: RwSignal<domain::Lang>,
    pub draft: RwSignal<Draft>,
    pub errors: Memo<Vec<FieldError>>,
    pub visibility: Memo<Visibility>,
    pub show_all_errors: RwSignal<bool>,
    pub touched: RwSignal<std::collections::HashSet<String>>,
    pub saving_error: RwSignal<Option<String>>,
}

impl Editor {
    pub fn save(self) {
        let d = self.draft.get_untracked();
        leptos::task::spawn_local(async move {
            match store::save_draft(&d).await {
                // The form may be gone by now (the user went back while it saved): its
                // signals are disposed, so only try them.
                Ok(()) => {
                    if self
                        .saving_error
                        .try_with_untracked(Option::is_some)
                        .unwrap_or(false)
                    {
                        let _ = self.saving_error.try_set(None);
                    }
                }
                Err(e) => {
                    leptos::logging::error!("draft not saved: {e}");
                    let lang = self.lang.try_get_untracked().unwrap_or_default();
                    let msg = app::i18n::Msg::StorageProblem.text(lang);
                    let _ = self.saving_error.try_set(Some(msg.to_owned()));
                }
            }
        });
    }

    pub fn change(self, f: impl FnOnce(&mut Map<String, Value>)) {
        self.draft.update(|d| {
            f(&mut d.data);
            d.updated_at = js_sys::Date::now();
        });
        self.save();
    }

    pub fn set(self, slot: &Slot, value: Value) {
        self.change(|data| slot.set(data, value));
        self.touched.update(|t| {
            t.insert(slot.path());
        });
    }

    pub fn value(self, slot: Slot) -> Signal<Value> {
        Signal::derive(move || self.draft.with(|d| slot.get(&d.data)))
    }

    pub fn error(self, path: String) -> Signal<Option<String>> {
        Signal::derive(move || {
            let visible = self.show_all_errors.get() || self.touched.with(|t| t.contains(&path));
            if !visible {
                return None;
            }
            self.errors.with(|errs| {
                errs.iter()
                    .find(|e: &&FieldError| e.field == path)
                    .map(|e| e.message.clone())
            })
        })
    }

    /// Whether the field at `index` (of the form, or of row `row` of repeat `repeat`) applies.
    pub fn shown(self, repeat: Option<(String, usize)>, index: usize) -> Signal<bool> {
        Signal::derive(move || {
            self.visibility.with(|v| match &repeat {
                None => v.top.get(index).copied().unwrap_or(true),
                Some((key, row)) => v
                    .rows
                    .get(key)
                    .and_then(|rows| rows.get(*row))
                    .and_then(|r| r.get(index))
                    .copied()
                    .unwrap_or(true),
            })
        })
    }
}
