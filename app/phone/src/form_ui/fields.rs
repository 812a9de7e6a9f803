//! Field widgets: one per field type, and repeat groups of rows.

use domain::form::{FieldDef, FieldKind};
use leptos::prelude::*;
use serde_json::{Map, Value};

use app::browser;
use app::i18n::Msg;
use app::state::use_app;

use super::editor::{Editor, Slot};

/// Rows of sub-fields, with buttons to add and remove a row.
#[component]
pub fn RepeatField(
    ed: Editor,
    field: FieldDef,
    subfields: Vec<FieldDef>,
    min_rows: u32,
    max_rows: u32,
) -> impl IntoView {
    let state = use_app();
    let key = StoredValue::new(field.key.clone());
    let label = StoredValue::new(field.label.clone());
    let subfields = StoredValue::new(subfields);
    let rows = Memo::new(move |_| {
        ed.draft.with(|d| {
            d.data
                .get(&key.get_value())
                .and_then(Value::as_array)
                .map_or(0, Vec::len)
        })
    });
    let add = move |_| {
        ed.change(|data| {
            let rows = data
                .entry(key.get_value())
                .or_insert_with(|| Value::Array(Vec::new()));
            if let Value::Array(rows) = rows {
                rows.push(Value::Object(Map::new()));
            } else {
                *rows = Value::Array(vec![Value::Object(Map::new())]);
            }
        });
    };
    let remove = move |i: usize| {
        if !browser::confirm(state.t(Msg::ConfirmRemoveRow)) {
            return;
        }
        ed.change(|data| {
            if let Some(Value::Array(rows)) = data.get_mut(&key.get_value()) {
                if i < rows.len() {
                    rows.remove(i);
                }
                if rows.is_empty() {
                    data.remove(&key.get_value());
                }
            }
        });
    };
    let error = ed.error(field.key.clone());
    let required = field.required || min_rows > 0;
    view! {
        <fieldset class="field repeat" class:invalid=move || error.with(Option::is_some)>
            <legend>
                {move || label.with_value(|l| l.get(state.lang.get()).to_owned())}
                {required.then(|| view! { <span class="req">" ("{state.tr(Msg::Required)}")"</span> })}
            </legend>
            // Keyed by row number: adding a row draws only the new one, so the rows above keep
            // their inputs (focus, caret, what is being typed); each field reads its value by
            // its row, so removing a row shows the shifted data in the remaining ones.
            <For each=move || 0..rows.get() key=|i| *i let:i>
                {
                let subs = subfields.get_value();
                view! {
                    <div class="row-card" data-row=i>
                        <div class="row-head">
                            <span>{move || format!("{} {}", label.with_value(|l| l.get(state.lang.get()).to_owned()), i + 1)}</span>
                            <button type="button" class="btn small ghost" on:click=move |_| remove(i)>{state.tr(Msg::RemoveRow)}</button>
                        </div>
                        {subs.into_iter().enumerate().map(|(j, sub)| {
                            let shown = ed.shown(Some((key.get_value(), i)), j);
                            let slot = Slot { key: key.get_value(), row: Some((i, sub.key.clone())) };
                            shown_field(ed, shown, slot, sub)
                        }).collect_view()}
                    </div>
                }
                }
            </For>
            <Show when=move || { rows.get() < max_rows as usize }>
                <button type="button" class="btn block" on:click=add>"+ "{state.tr(Msg::AddRow)}</button>
            </Show>
            <p class="error">{move || error.get()}</p>
        </fieldset>
    }
}

/// A field drawn only while its condition holds: the one way a field is placed, at the top of
/// a form and in a repeat row alike (one instantiation of the view code for both).
pub fn shown_field(ed: Editor, shown: Signal<bool>, slot: Slot, field: FieldDef) -> AnyView {
    view! { <Show when=move || shown.get()><Field ed at=slot.clone() field=field.clone()/></Show> }
        .into_any()
}

/// One field, drawn for its type, labelled, with its error below it.
#[component]
pub fn Field(ed: Editor, at: Slot, field: FieldDef) -> impl IntoView {
    let state = use_app();
    let slot = at;
    let id = slot.dom_id();
    let err_id = format!("{id}-err");
    let error = ed.error(slot.path());
    let value = ed.value(slot.clone());
    let slot = StoredValue::new(slot);
    let on_change = Callback::new(move |v: Value| slot.with_value(|s| ed.set(s, v)));
    let label = StoredValue::new(field.label.clone());
    let hint = StoredValue::new(field.hint.clone());
    let required = field.required;
    let label_view = move || {
        let lang = state.lang.get();
        view! {
            {label.with_value(|l| l.get(lang).to_owned())}
            {required.then(|| view! { <span class="req">" ("{Msg::Required.text(lang)}")"</span> })}
        }
    };
    let text_value = move || match value.get() {
        Value::String(s) => s,
        Value::Null => String::new(),
        other => app::i18n::show_value(&other),
    };
    let unit_view = |unit: Option<domain::Text>| {
        unit.map(
            |u| view! { <span class="unit">{move || u.get(state.lang.get()).to_owned()}</span> },
        )
    };
    let text_input = |ty: &'static str, mode: &'static str, max: Option<u32>| {
        view! {
            <input id=id.clone() type=ty inputmode=mode maxlength=max aria-describedby=err_id.clone()
                autocomplete="off"
                prop:value=text_value on:input=move |ev| on_change.run(Value::String(event_target_value(&ev)))/>
        }
        .into_any()
    };
    let group = matches!(
        field.kind,
        FieldKind::SingleChoice { .. }
            | FieldKind::MultipleChoice { .. }
            | FieldKind::YesNo
            | FieldKind::Gps { .. }
            | FieldKind::Photo { .. }
    );
    let input = match field.kind.clone() {
        FieldKind::Text { max_len, .. } => text_input("text", "text", Some(max_len)),
        FieldKind::Phone => text_input("tel", "tel", Some(20)),
        FieldKind::CitizenId => text_input("text", "numeric", Some(12)),
        FieldKind::Date => text_input("date", "none", None),
        FieldKind::Time => text_input("time", "none", None),
        FieldKind::DateTime => text_input("datetime-local", "none", None),
        FieldKind::LongText { max_len, .. } => view! {
            <textarea id=id.clone() rows="5" maxlength=max_len aria-describedby=err_id.clone()
                prop:value=text_value on:input=move |ev| on_change.run(Value::String(event_target_value(&ev)))></textarea>
        }.into_any(),
        FieldKind::Integer { min, max, unit } => view! {
            <div class="with-unit">
                <input id=id.clone() type="number" inputmode="numeric" step="1" min=min max=max aria-describedby=err_id.clone()
                    prop:value=text_value on:input=move |ev| {
                        let raw = event_target_value(&ev);
                        // Keep what was typed even if it is not a number yet; validation explains.
                        let v = raw.trim().parse::<i64>().map(Value::from).unwrap_or(Value::String(raw));
                        on_change.run(v)
                    }/>
                {unit_view(unit)}
            </div>
        }.into_any(),
        FieldKind::Decimal { unit, decimals, .. } => {
            // Vietnamese writes 1,5 for 1.5; both are accepted and stored as a number.
            let shown = move || match value.get() {
                Value::Number(n) => {
                    let s = n.to_string();
                    if state.lang.get() == domain::Lang::Vi { s.replace('.', ",") } else { s }
                }
                Value::String(s) => s,
                _ => String::new(),
            };
            view! {
                <div class="with-unit">
                    <input id=id.clone() type="text" inputmode="decimal" aria-describedby=err_id.clone() autocomplete="off"
                        prop:value=shown on:change=move |ev| {
                            let raw = event_target_value(&ev);
                            // "1.200" may mean one thousand two hundred: more digits after the
                            // separator than the field allows is kept as typed, for the user to fix,
                            // rather than silently read as 1.2.
                            let places = raw.trim().rsplit_once(['.', ',']).map_or(0, |(_, f)| f.len());
                            let v = (places <= usize::from(decimals))
                                .then(|| domain::num::parse_typed(&raw))
                                .flatten()
                                .and_then(serde_json::Number::from_f64)
                                .map(Value::Number)
                                .unwrap_or(Value::String(raw));
                            on_change.run(v)
                        }/>
                    {unit_view(unit)}
                </div>
            }.into_any()
        }
        FieldKind::SingleChoice { choices } => {
            let name = id.clone();
            view! {
                <div class="choices" role="radiogroup" aria-labelledby=format!("{id}-label") aria-describedby=err_id.clone()>
                    {choices.into_iter().map(|c| {
                        let v = c.value.clone();
                        let checked = {
                            let v = v.clone();
                            move || value.with(|cur| cur.as_str() == Some(v.as_str()))
                        };
                        view! {
                            <label class="choice">
                                <input type="radio" name=name.clone() value=v.clone() prop:checked=checked
                                    on:change=move |_| on_change.run(Value::String(v.clone()))/>
                                <span>{move || c.label.get(state.lang.get()).to_owned()}</span>
                            </label>
                        }
                    }).collect_view()}
                </div>
            }.into_any()
        }
        FieldKind::MultipleChoice { choices, .. } => {
            let order: Vec<String> = choices.iter().map(|c| c.value.clone()).collect();
            let order = StoredValue::new(order);
            view! {
                <div class="choices" role="group" aria-labelledby=format!("{id}-label") aria-describedby=err_id.clone()>
                    {choices.into_iter().map(|c| {
                        let v = StoredValue::new(c.value.clone());
                        let checked = move || value.with(|cur| {
                            cur.as_array().is_some_and(|a| a.iter().any(|x| x.as_str() == Some(v.get_value().as_str())))
                        });
                        let toggle = move |ev: leptos::ev::Event| {
                            let on = event_target_checked(&ev);
                            let mut picked: Vec<String> = value.with_untracked(|cur| {
                                cur.as_array().map(|a| a.iter().filter_map(|x| x.as_str().map(str::to_owned)).collect()).unwrap_or_default()
                            });
                            let me = v.get_value();
                            picked.retain(|x| *x != me);
                            if on {
                                picked.push(me);
                            }
                            // Stored in the order of the choices, whatever order they were ticked.
                            let sorted: Vec<Value> = order.with_value(|o| {
                                o.iter().filter(|x| picked.contains(x)).map(|x| Value::String(x.clone())).collect()
                            });
                            on_change.run(if sorted.is_empty() { Value::Null } else { Value::Array(sorted) })
                        };
                        view! {
                            <label class="choice">
                                <input type="checkbox" value=c.value.clone() prop:checked=checked on:change=toggle/>
                                <span>{move || c.label.get(state.lang.get()).to_owned()}</span>
                            </label>
                        }
                    }).collect_view()}
                </div>
            }.into_any()
        }
        FieldKind::YesNo => {
            let name = id.clone();
            view! {
                <div class="choices inline" role="radiogroup" aria-labelledby=format!("{id}-label") aria-describedby=err_id.clone()>
                    {[(true, Msg::Yes), (false, Msg::No)].into_iter().map(|(b, msg)| view! {
                        <label class="choice">
                            <input type="radio" name=name.clone() prop:checked=move || value.get() == Value::Bool(b)
                                on:change=move |_| on_change.run(Value::Bool(b))/>
                            <span>{state.tr(msg)}</span>
                        </label>
                    }).collect_view()}
                </div>
            }.into_any()
        }
        FieldKind::Gps { .. } => view! { <crate::form_ui::gps::GpsInput id=id.clone() value on_change/> }.into_any(),
        FieldKind::Photo { max_count } => view! { <crate::form_ui::photo::PhotoInput id=id.clone() value on_change max_count/> }.into_any(),
        FieldKind::Repeat { .. } => ().into_any(),
    };
    view! {
        <div class="field" class:invalid=move || error.with(Option::is_some)>
            {if group {
                view! { <span class="label" id=format!("{id}-label")>{label_view}</span> }.into_any()
            } else {
                view! { <label for=id.clone() id=format!("{id}-label")>{label_view}</label> }.into_any()
            }}
            {move || hint.with_value(|h| h.as_ref().map(|h| view! { <p class="hint">{h.get(state.lang.get()).to_owned()}</p> }))}
            {input}
            <p class="error" id=err_id.clone()>{move || error.get()}</p>
        </div>
    }
}
