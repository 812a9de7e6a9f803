//! Filling in a form. Every change is saved to the phone at once; "submit" validates with the
//! same rules as the server and moves the record to the outbox in one transaction.

use domain::form::{FieldDef, FieldKind, FormDef, NEIGHBORHOOD_REPORT};
use domain::record::RecordEnvelope;
use domain::validate::{validate, FieldError};
use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_params_map};
use serde_json::{Map, Value};

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

/// What the page edits: an existing draft, a rejected record being corrected, or a new draft.
async fn load(id: String, default_group: Option<i64>) -> Result<(Draft, FormDef), Msg> {
    if let Ok(Some(draft)) = store::draft(&id).await {
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
    let form = store::latest_form(NEIGHBORHOOD_REPORT)
        .await
        .ok()
        .flatten()
        .ok_or(Msg::FormMissing)?;
    let mut data = Map::new();
    if form.field("occurred_at").is_some() {
        data.insert("occurred_at".into(), Value::String(now_local()));
    }
    let draft = Draft {
        id,
        form_key: form.key.clone(),
        form_version: form.version,
        group_id: default_group.unwrap_or(0),
        data,
        updated_at: js_sys::Date::now(),
    };
    Ok((draft, form))
}

#[component]
pub fn ReportPage() -> impl IntoView {
    let state = use_app();
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").unwrap_or_default());
    let loaded = LocalResource::new(move || {
        let id = id();
        let me = state.session.get_untracked().map(|s| s.me);
        let group = me.and_then(|m| {
            m.group
                .map(|g| g.id)
                .or_else(|| m.groups.first().map(|g| g.id))
        });
        load(id, group)
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

#[component]
fn FormView(draft: Draft, form: FormDef) -> impl IntoView {
    let state = use_app();
    let status = use_sync();
    let navigate = use_navigate();
    let draft = RwSignal::new(draft);
    let form = StoredValue::new(form);
    let show_all_errors = RwSignal::new(false);
    let touched = RwSignal::new(std::collections::HashSet::<String>::new());
    let saving_error = RwSignal::new(None::<String>);

    let errors = Memo::new(move |_| {
        let lang = state.lang.get();
        draft.with(|d| form.with_value(|f| validate(f, &d.data, lang)))
    });
    let error_for = move |key: String| {
        Signal::derive(move || {
            let visible = show_all_errors.get() || touched.with(|t| t.contains(&key));
            if !visible {
                return None;
            }
            errors.with(|errs| {
                errs.iter()
                    .find(|e: &&FieldError| e.field == key)
                    .map(|e| e.message.clone())
            })
        })
    };

    let save = move || {
        let d = draft.get_untracked();
        leptos::task::spawn_local(async move {
            if let Err(e) = store::save_draft(&d).await {
                saving_error.set(Some(e));
            }
        });
    };
    let set_value = move |key: String, value: Value| {
        draft.update(|d| {
            if value.is_null() || value.as_str().is_some_and(str::is_empty) {
                d.data.remove(&key);
            } else {
                d.data.insert(key.clone(), value);
            }
            d.updated_at = js_sys::Date::now();
        });
        touched.update(|t| {
            t.insert(key);
        });
        save();
    };

    let navigate_after = navigate.clone();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        show_all_errors.set(true);
        if !errors.with(Vec::is_empty) {
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
            data: d.data,
        };
        let navigate = navigate_after.clone();
        leptos::task::spawn_local(async move {
            match store::submit(&envelope, js_sys::Date::now()).await {
                Ok(()) => {
                    status.refresh_counts().await;
                    status.wake();
                    navigate("/", Default::default());
                }
                Err(e) => saving_error.set(Some(e)),
            }
        });
    };
    let discard = move |_| {
        if !crate::browser::confirm(state.t(Msg::ConfirmDiscard)) {
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
                        if let Ok(g) = event_target_value(&ev).parse() { draft.update(|d| d.group_id = g); save(); }
                    }>
                        {groups.iter().map(|g| {
                            let gid = g.id;
                            view! { <option value=g.id.to_string() selected=move || draft.with(|d| d.group_id == gid)>{g.name.clone()}</option> }
                        }).collect_view()}
                    </select>
                </div>
            })}
            {fields.into_iter().map(|field| {
                let key = field.key.clone();
                let value = Signal::derive({
                    let key = key.clone();
                    move || draft.with(|d| d.data.get(&key).cloned().unwrap_or(Value::Null))
                });
                let on_change = Callback::new({
                    let key = key.clone();
                    move |v: Value| set_value(key.clone(), v)
                });
                view! { <Field field value on_change error=error_for(key)/> }
            }).collect_view()}
            <Show when=move || show_all_errors.get() && !errors.with(Vec::is_empty)>
                <p class="error" role="alert">{move || state.t(Msg::FixErrors)}</p>
            </Show>
            {move || saving_error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
            <button class="btn primary block big" type="submit" data-testid="submit">{move || state.t(Msg::Submit)}</button>
            <button class="btn ghost block" type="button" on:click=discard>{move || state.t(Msg::Discard)}</button>
        </form>
    }
}

/// One field, drawn for its type, labelled, with its error below it.
#[component]
fn Field(
    field: FieldDef,
    value: Signal<Value>,
    on_change: Callback<Value>,
    error: Signal<Option<String>>,
) -> impl IntoView {
    let state = use_app();
    let id = format!("f-{}", field.key);
    let err_id = format!("{id}-err");
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
    let input = match field.kind.clone() {
        FieldKind::Text { max_len } => view! {
            <input id=id.clone() type="text" maxlength=max_len aria-describedby=err_id.clone()
                prop:value=text_value on:input=move |ev| on_change.run(Value::String(event_target_value(&ev)))/>
        }.into_any(),
        FieldKind::LongText { max_len } => view! {
            <textarea id=id.clone() rows="5" maxlength=max_len aria-describedby=err_id.clone()
                prop:value=text_value on:input=move |ev| on_change.run(Value::String(event_target_value(&ev)))></textarea>
        }.into_any(),
        FieldKind::Integer { min, max } => view! {
            <input id=id.clone() type="number" inputmode="numeric" step="1" min=min max=max aria-describedby=err_id.clone()
                prop:value=text_value on:input=move |ev| {
                    let raw = event_target_value(&ev);
                    // Keep what was typed even if it is not a number yet; validation explains.
                    let v = raw.trim().parse::<i64>().map(Value::from).unwrap_or(Value::String(raw));
                    on_change.run(v)
                }/>
        }.into_any(),
        FieldKind::DateTime => view! {
            <input id=id.clone() type="datetime-local" aria-describedby=err_id.clone()
                prop:value=text_value on:input=move |ev| on_change.run(Value::String(event_target_value(&ev)))/>
        }.into_any(),
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
        FieldKind::YesNo => {
            let name = id.clone();
            view! {
                <div class="choices inline" role="radiogroup" aria-labelledby=format!("{id}-label")>
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
    };
    let is_group = matches!(
        field.kind,
        FieldKind::SingleChoice { .. } | FieldKind::YesNo
    );
    view! {
        <div class="field" class:invalid=move || error.with(Option::is_some)>
            {if is_group {
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
