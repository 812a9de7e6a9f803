//! Filling in a form. Every change is saved to the phone at once; "submit" drops the answers of
//! fields that do not apply, validates with the same rules as the server and moves the record to
//! the outbox in one transaction.

use domain::form::{DefaultContext, FieldDef, FieldKind, FormDef, NEIGHBORHOOD_REPORT};
use domain::record::RecordEnvelope;
use domain::validate::{prune, validate, FieldError, Visibility};
use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_params_map, use_query_map};
use serde_json::{Map, Value};

use crate::browser::{self, GpsError};
use crate::i18n::Msg;
use crate::state::{use_app, use_sync};
use crate::store::{self, Draft, LocalState};

/// `YYYY-MM-DDTHH:MM` for now, in the phone's local time.
fn now_local() -> String {
    let d = js_sys::Date::new_0();
    format!(
        "{}-{:02}-{:02}T{:02}:{:02}",
        d.get_full_year(),
        d.get_month() + 1,
        d.get_date(),
        d.get_hours(),
        d.get_minutes()
    )
}

/// What the page edits: an existing draft, a rejected record being corrected, or a new draft of
/// the latest version of `form_key`.
async fn load(
    id: String,
    form_key: String,
    defaults: DefaultContext,
    default_group: Option<i64>,
) -> Result<(Draft, FormDef), Msg> {
    if let Some(draft) = store::draft(&id).await.map_err(|_| Msg::LoadFailed)? {
        let form = store::form(&draft.form_key, draft.form_version)
            .await
            .ok()
            .flatten()
            .ok_or(Msg::FormMissing)?;
        return Ok((draft, form));
    }
    if let Ok(Some(rec)) = store::record(&id).await {
        if rec.state != LocalState::Rejected {
            return Err(Msg::NotFound);
        }
        let form = store::form(&rec.form_key, rec.form_version)
            .await
            .ok()
            .flatten()
            .ok_or(Msg::FormMissing)?;
        let draft = Draft {
            id,
            form_key: rec.form_key,
            form_version: rec.form_version,
            group_id: rec.group_id,
            data: rec.data.unwrap_or_default(),
            updated_at: js_sys::Date::now(),
        };
        return Ok((draft, form));
    }
    let form = store::latest_form(&form_key)
        .await
        .ok()
        .flatten()
        .ok_or(Msg::FormMissing)?;
    let draft = Draft {
        id,
        form_key: form.key.clone(),
        form_version: form.version,
        group_id: default_group.unwrap_or(0),
        data: form.initial_data(&defaults),
        updated_at: js_sys::Date::now(),
    };
    Ok((draft, form))
}

#[component]
pub fn ReportPage() -> impl IntoView {
    let state = use_app();
    let params = use_params_map();
    let query = use_query_map();
    let loaded = LocalResource::new(move || {
        let id = params.with(|p| p.get("id").unwrap_or_default());
        let form_key = query
            .with(|q| q.get("form"))
            .unwrap_or_else(|| NEIGHBORHOOD_REPORT.to_owned());
        let me = state.session.get_untracked().map(|s| s.me);
        let group = me
            .as_ref()
            .and_then(|m| m.group.clone().or_else(|| m.groups.first().cloned()));
        let defaults = DefaultContext {
            now: now_local(),
            user_name: me
                .as_ref()
                .map(|m| m.display_name.clone())
                .unwrap_or_default(),
            group_name: group.as_ref().map(|g| g.name.clone()).unwrap_or_default(),
        };
        load(id, form_key, defaults, group.map(|g| g.id))
    });
    view! {
        <Suspense fallback=move || view! { <p>{state.t(Msg::Loading)}</p> }>
            {move || loaded.get().map(|res| match res {
                Ok((draft, form)) => view! { <FormView draft form/> }.into_any(),
                Err(msg) => view! {
                    <p class="notice error">{state.t(msg)}</p>
                    <a class="btn" href="/">{state.t(Msg::Back)}</a>
                }.into_any(),
            })}
        </Suspense>
    }
}

/// Where a value lives in a record: a top-level field, or a field of one repeat row.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Slot {
    key: String,
    row: Option<(usize, String)>,
}

impl Slot {
    fn top(key: &str) -> Self {
        Slot {
            key: key.to_owned(),
            row: None,
        }
    }

    /// The path validation errors use: `key` or `key[row].sub`.
    fn path(&self) -> String {
        match &self.row {
            None => self.key.clone(),
            Some((i, sub)) => format!("{}[{i}].{sub}", self.key),
        }
    }

    /// A DOM id for the input.
    fn dom_id(&self) -> String {
        match &self.row {
            None => format!("f-{}", self.key),
            Some((i, sub)) => format!("f-{}-{i}-{sub}", self.key),
        }
    }

    fn get(&self, data: &Map<String, Value>) -> Value {
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

    fn set(&self, data: &mut Map<String, Value>, value: Value) {
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
struct Editor {
    lang: RwSignal<domain::Lang>,
    draft: RwSignal<Draft>,
    errors: Memo<Vec<FieldError>>,
    visibility: Memo<Visibility>,
    show_all_errors: RwSignal<bool>,
    touched: RwSignal<std::collections::HashSet<String>>,
    saving_error: RwSignal<Option<String>>,
}

impl Editor {
    fn save(self) {
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
                    let msg = crate::i18n::Msg::StorageProblem.text(lang);
                    let _ = self.saving_error.try_set(Some(msg.to_owned()));
                }
            }
        });
    }

    fn change(self, f: impl FnOnce(&mut Map<String, Value>)) {
        self.draft.update(|d| {
            f(&mut d.data);
            d.updated_at = js_sys::Date::now();
        });
        self.save();
    }

    fn set(self, slot: &Slot, value: Value) {
        self.change(|data| slot.set(data, value));
        self.touched.update(|t| {
            t.insert(slot.path());
        });
    }

    fn value(self, slot: Slot) -> Signal<Value> {
        Signal::derive(move || self.draft.with(|d| slot.get(&d.data)))
    }

    fn error(self, path: String) -> Signal<Option<String>> {
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
    fn shown(self, repeat: Option<(String, usize)>, index: usize) -> Signal<bool> {
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

#[component]
fn FormView(draft: Draft, form: FormDef) -> impl IntoView {
    let state = use_app();
    let status = use_sync();
    let navigate = use_navigate();
    let draft = RwSignal::new(draft);
    let form = StoredValue::new(form);
    let errors = Memo::new(move |_| {
        let lang = state.lang.get();
        draft.with(|d| form.with_value(|f| validate(f, &prune(f, &d.data), lang)))
    });
    let visibility =
        Memo::new(move |_| draft.with(|d| form.with_value(|f| Visibility::of(f, &d.data))));
    let pending = RwSignal::new(0u32);
    provide_context(Pending(pending));
    let ed = Editor {
        lang: state.lang,
        draft,
        errors,
        visibility,
        show_all_errors: RwSignal::new(false),
        touched: RwSignal::new(Default::default()),
        saving_error: RwSignal::new(None),
    };

    let navigate_after = navigate.clone();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if pending.get_untracked() > 0 {
            ed.saving_error
                .set(Some(state.t(Msg::WorkInProgress).to_owned()));
            return;
        }
        ed.show_all_errors.set(true);
        if !errors.with(Vec::is_empty) {
            focus_first_error();
            return;
        }
        let d = draft.get_untracked();
        let Ok(id) = d.id.parse::<uuid::Uuid>() else {
            return;
        };
        let envelope = RecordEnvelope {
            id,
            form_key: d.form_key,
            form_version: d.form_version,
            group_id: d.group_id,
            created_at: js_sys::Date::new_0().to_iso_string().into(),
            data: form.with_value(|f| prune(f, &d.data)),
        };
        let navigate = navigate_after.clone();
        leptos::task::spawn_local(async move {
            match store::submit(&envelope, js_sys::Date::now()).await {
                Ok(()) => {
                    status.refresh_counts().await;
                    status.wake();
                    navigate("/", Default::default());
                }
                Err(e) => {
                    leptos::logging::error!("record not submitted: {e}");
                    let _ = ed
                        .saving_error
                        .try_set(Some(state.t(Msg::StorageProblem).to_owned()));
                }
            }
        });
    };
    let discard = move |_| {
        if !browser::confirm(state.t(Msg::ConfirmDiscard)) {
            return;
        }
        let id = draft.get_untracked().id;
        let navigate = navigate.clone();
        leptos::task::spawn_local(async move {
            let _ = store::delete_draft(&id).await;
            status.refresh_counts().await;
            navigate("/", Default::default());
        });
    };

    let groups = state
        .session
        .get_untracked()
        .map(|s| s.me.groups)
        .unwrap_or_default();
    let fields = form.with_value(|f| f.fields.clone());
    view! {
        <form class="card form" on:submit=submit novalidate>
            <h1>{move || form.with_value(|f| f.title.get(state.lang.get()).to_owned())}</h1>
            <p class="hint">{move || state.t(Msg::SaveDraftHint)}</p>
            {(groups.len() > 1).then(|| view! {
                <div class="field">
                    <label for="f-group">{move || state.t(Msg::ResidentialGroup)}</label>
                    <select id="f-group" on:change=move |ev| {
                        if let Ok(g) = event_target_value(&ev).parse() { draft.update(|d| d.group_id = g); ed.save(); }
                    }>
                        {groups.iter().map(|g| {
                            let gid = g.id;
                            view! { <option value=g.id.to_string() selected=move || draft.with(|d| d.group_id == gid)>{g.name.clone()}</option> }
                        }).collect_view()}
                    </select>
                </div>
            })}
            {fields.into_iter().enumerate().map(|(i, field)| {
                let shown = ed.shown(None, i);
                let field = StoredValue::new(field);
                let body = move || field.with_value(|field| match &field.kind {
                    FieldKind::Repeat { fields, min_rows, max_rows } => view! {
                        <RepeatField ed field=field.clone() subfields=fields.clone() min_rows=min_rows.unwrap_or(0) max_rows=*max_rows/>
                    }.into_any(),
                    _ => view! { <Field ed at=Slot::top(&field.key) field=field.clone()/> }.into_any(),
                });
                view! { <Show when=move || shown.get()>{body}</Show> }
            }).collect_view()}
            <Show when=move || ed.show_all_errors.get() && !errors.with(Vec::is_empty)>
                <p class="error" role="alert">{move || state.t(Msg::FixErrors)}</p>
            </Show>
            {move || ed.saving_error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
            <button class="btn primary block big" type="submit" data-testid="submit">{move || state.t(Msg::Submit)}</button>
            <button class="btn ghost block" type="button" on:click=discard>{move || state.t(Msg::Discard)}</button>
        </form>
    }
}

/// Scrolls to and focuses the first field with a visible error.
fn focus_first_error() {
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    // Let the error messages render first.
    leptos::task::spawn_local(async move {
        gloo_timers::future::TimeoutFuture::new(0).await;
        if let Ok(Some(el)) = doc
            .query_selector(".field.invalid input, .field.invalid textarea, .field.invalid button")
        {
            if let Ok(el) = wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(el) {
                let _ = el.focus();
            }
        }
    });
}

/// Rows of sub-fields, with buttons to add and remove a row.
#[component]
fn RepeatField(
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
                {required.then(|| view! { <span class="req">" ("{move || state.t(Msg::Required)}")"</span> })}
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
                            <button type="button" class="btn small ghost" on:click=move |_| remove(i)>{move || state.t(Msg::RemoveRow)}</button>
                        </div>
                        {subs.into_iter().enumerate().map(|(j, sub)| {
                            let shown = ed.shown(Some((key.get_value(), i)), j);
                            let slot = Slot { key: key.get_value(), row: Some((i, sub.key.clone())) };
                            view! { <Show when=move || shown.get()><Field ed at=slot.clone() field=sub.clone()/></Show> }
                        }).collect_view()}
                    </div>
                }
                }
            </For>
            <Show when=move || { rows.get() < max_rows as usize }>
                <button type="button" class="btn block" on:click=add>"+ "{move || state.t(Msg::AddRow)}</button>
            </Show>
            <p class="error">{move || error.get()}</p>
        </fieldset>
    }
}

/// One field, drawn for its type, labelled, with its error below it.
#[component]
fn Field(ed: Editor, at: Slot, field: FieldDef) -> impl IntoView {
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
        other => crate::i18n::show_value(&other),
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
                                .then(|| raw.trim().replace(',', ".").parse::<f64>().ok())
                                .flatten()
                                .filter(|n| n.is_finite())
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
                            <span>{move || state.t(msg)}</span>
                        </label>
                    }).collect_view()}
                </div>
            }.into_any()
        }
        FieldKind::Gps { .. } => view! { <GpsInput id=id.clone() value on_change/> }.into_any(),
        FieldKind::Photo { max_count } => view! { <crate::pages::photo::PhotoInput id=id.clone() value on_change max_count/> }.into_any(),
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

/// A button that takes the phone's position, and what it took.
#[component]
fn GpsInput(id: String, value: Signal<Value>, on_change: Callback<Value>) -> impl IntoView {
    let state = use_app();
    let problem = RwSignal::new(None::<Msg>);
    let pending = use_context::<Pending>();
    let take = Action::new_local(move |_: &()| async move {
        problem.set(None);
        if let Some(p) = pending {
            p.0.update(|n| *n += 1);
        }
        let fix = browser::current_position().await;
        if let Some(p) = pending {
            let _ = p.0.try_update(|n| *n = n.saturating_sub(1));
        }
        // The field may be gone by now (the user left the form): then drop the fix quietly.
        let _ = match fix {
            Ok(v) => on_change.try_run(v).map(|_| ()),
            Err(GpsError::Denied) => problem.try_set(Some(Msg::GpsDenied)).map(|_| ()),
            Err(GpsError::Unavailable) => problem.try_set(Some(Msg::GpsUnavailable)).map(|_| ()),
        };
    });
    let shown = move || {
        value.with(|v| {
            let lat = v.get("lat")?.as_f64()?;
            let lon = v.get("lon")?.as_f64()?;
            let acc = v.get("accuracy_m")?.as_f64()?;
            Some(format!("{lat:.6}, {lon:.6} (± {} m)", acc.round() as i64))
        })
    };
    view! {
        <div class="gps">
            <p class="gps-value" data-testid=format!("{id}-value")>{move || shown().unwrap_or_else(|| state.t(Msg::GpsNone).to_owned())}</p>
            <button type="button" id=id class="btn block" disabled=move || take.pending().get() on:click=move |_| { take.dispatch(()); }>
                {move || if take.pending().get() {
                    state.t(Msg::GpsTaking)
                } else if value.with(Value::is_null) {
                    state.t(Msg::GpsTake)
                } else {
                    state.t(Msg::GpsRetake)
                }}
            </button>
            <Show when=move || !value.with(Value::is_null)>
                <button type="button" class="btn ghost block" on:click=move |_| on_change.run(Value::Null)>
                    {move || state.t(Msg::GpsClear)}
                </button>
            </Show>
            {move || problem.get().map(|m| view! { <p class="error" role="alert">{state.t(m)}</p> })}
        </div>
    }
}
