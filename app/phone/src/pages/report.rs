//! Filling in a form. Every change is saved to the phone at once; "submit" drops the answers of
//! fields that do not apply, validates with the same rules as the server and moves the record to
//! the outbox in one transaction.

use domain::form::{DefaultContext, FieldKind, FormDef, NEIGHBORHOOD_REPORT};
use domain::record::{RecordEnvelope, Revision};
use domain::validate::{prune, validate, Visibility};
use leptos::prelude::*;

use app::browser;
use app::i18n::Msg;
use app::state::use_app;
use app::store::{self, Draft, LocalState};
use app::sync::use_sync;

use crate::form_ui::editor::{Editor, Pending, Slot};
use crate::form_ui::fields::{shown_field, RepeatField};

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
        // Refused by the server (corrected and sent again as it was: a first submission, or the
        // correction it was), or returned by a reviewer (sent as a new revision on the current).
        let base = match rec.state {
            LocalState::Rejected => rec.sent_revision.map(|r| r.base.to_string()),
            _ if rec.returned() && rec.data.is_some() => {
                Some(rec.revision.clone().unwrap_or_else(|| rec.id.clone()))
            }
            _ => return Err(Msg::NotFound),
        };
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
            base,
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
        base: None,
    };
    Ok((draft, form))
}

#[component]
pub fn ReportPage(id: String, form: Option<String>) -> impl IntoView {
    let state = use_app();
    let loaded = app::load::load(move || {
        let id = id.clone();
        let form_key = form
            .clone()
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
        {move || match loaded.get() {
            None => view! { <p>{state.t(Msg::Loading)}</p> }.into_any(),
            Some(Ok((draft, form))) => view! { <FormView draft form/> }.into_any(),
            Some(Err(msg)) => view! {
                <p class="notice error">{state.t(msg)}</p>
                <a class="btn" href="/">{state.t(Msg::Back)}</a>
            }.into_any(),
        }}
    }
}

#[component]
fn FormView(draft: Draft, form: FormDef) -> impl IntoView {
    let state = use_app();
    let status = use_sync();
    let nav = crate::nav::use_nav();
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
            // A correction is a new revision, its id made here, on the one it was based on.
            revision: d
                .base
                .as_deref()
                .and_then(|b| b.parse().ok())
                .map(|base| Revision {
                    id: browser::new_id(),
                    base,
                }),
        };
        leptos::task::spawn_local(async move {
            match store::submit(&envelope, js_sys::Date::now()).await {
                Ok(()) => {
                    status.refresh_counts().await;
                    status.wake();
                    nav.go("/");
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
        leptos::task::spawn_local(async move {
            let _ = store::delete_draft(&id).await;
            status.refresh_counts().await;
            nav.go("/");
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
            <p class="hint">{state.tr(Msg::SaveDraftHint)}</p>
            {(groups.len() > 1).then(|| view! {
                <div class="field">
                    <label for="f-group">{state.tr(Msg::ResidentialGroup)}</label>
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
                match &field.kind {
                    FieldKind::Repeat { fields, min_rows, max_rows } => {
                        let (subfields, min_rows, max_rows) = (fields.clone(), min_rows.unwrap_or(0), *max_rows);
                        let field = StoredValue::new(field);
                        view! {
                            <Show when=move || shown.get()>
                                <RepeatField ed field=field.get_value() subfields=subfields.clone() min_rows max_rows/>
                            </Show>
                        }.into_any()
                    }
                    _ => shown_field(ed, shown, Slot::top(&field.key), field),
                }
            }).collect_view()}
            <Show when=move || ed.show_all_errors.get() && !errors.with(Vec::is_empty)>
                <p class="error" role="alert">{state.tr(Msg::FixErrors)}</p>
            </Show>
            {move || ed.saving_error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
            <button class="btn primary block big" type="submit" data-testid="submit">{state.tr(Msg::Submit)}</button>
            <button class="btn ghost block" type="button" on:click=discard>{state.tr(Msg::Discard)}</button>
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
