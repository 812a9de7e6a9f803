//! The ward's synced records, read from the server, for supervisors and officers: the list, and
//! the record opened beside it (its address is `/desk/records/<id>`, so it can be shared).

use domain::form::FieldKind;
use domain::review::{ReviewAction, ReviewRequest};
use domain::value::PhotoRef;
use leptos::prelude::*;
use leptos_router::components::Outlet;
use leptos_router::hooks::{use_location, use_params_map};
use serde_json::Value;

use app::api;
use app::i18n::{format_ms, show_field_value, Msg};
use app::state::use_app;

use crate::changed::Changed;

/// The list, with the opened record (the nested route) in a panel beside it.
#[component]
pub fn Records() -> impl IntoView {
    let state = use_app();
    // The opened record's id is the child route's; the parent reads it from the address.
    let location = use_location();
    let opened = move || {
        location
            .pathname
            .get()
            .strip_prefix("/desk/records/")
            .map(str::to_owned)
    };
    let changed = expect_context::<Changed>().0;
    let list = LocalResource::new(move || {
        changed.track();
        let (token, lang) = (state.token(), state.lang.get());
        async move { api::ward_records(&token, lang).await }
    });
    view! {
        <div class="split">
            <section class="split-list">
                <h1>{state.tr(Msg::WardRecords)}</h1>
                <Suspense fallback=move || view! { <p>{state.t(Msg::Loading)}</p> }>
                    {move || list.get().map(|res| match res {
                        Ok(rows) if rows.is_empty() => view! { <p class="empty">{state.t(Msg::NoRecords)}</p> }.into_any(),
                        Ok(rows) => view! {
                            <table class="records-table" data-testid="ward-records">
                                <thead><tr>
                                    <th>{state.t(Msg::ReceivedAt)}</th>
                                    <th>{state.t(Msg::ResidentialGroup)}</th>
                                    <th>{state.t(Msg::Records)}</th>
                                    <th>{state.t(Msg::Author)}</th>
                                    <th>{state.t(Msg::Status)}</th>
                                </tr></thead>
                                <tbody>
                                    {rows.into_iter().map(|r| {
                                        let id = r.id.to_string();
                                        let selected = { let id = id.clone(); move || opened().as_deref() == Some(id.as_str()) };
                                        view! {
                                            <tr data-id=id.clone() class:selected=selected>
                                                <td>{format_ms(r.received_at as f64)}</td>
                                                <td>{r.group.name}</td>
                                                <td><a href=format!("/desk/records/{id}")>{r.headline}</a></td>
                                                <td>{r.author}</td>
                                                <td>
                                                    {r.status.label(state.lang.get_untracked())}
                                                    {(r.photos_missing > 0).then(|| view! { " " <span class="badge">{format!("{} ({})", state.t(Msg::PhotoWaiting), r.photos_missing)}</span> })}
                                                </td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                        }.into_any(),
                        Err(e) => view! { <p class="notice error">{state.t(Msg::LoadFailed)}" "{e.message(state.lang.get_untracked())}</p> }.into_any(),
                    })}
                </Suspense>
            </section>
            <section class="split-panel">
                <Outlet/>
            </section>
        </div>
    }
}

/// The panel before a record is chosen.
#[component]
pub fn NoneChosen() -> impl IntoView {
    let state = use_app();
    view! { <p class="empty">{state.tr(Msg::ChooseRecord)}</p> }
}

/// One record: every field as its form labels it, photos, and the actions on it.
#[component]
pub fn RecordPanel() -> impl IntoView {
    let state = use_app();
    let params = use_params_map();
    let changed = expect_context::<Changed>().0;
    let detail = LocalResource::new(move || {
        changed.track();
        let id = params.with(|p| p.get("id").unwrap_or_default());
        let lang = state.lang.get();
        let token = state.token();
        async move {
            let detail = api::record_detail(&token, &id, lang).await?;
            // Without its definition the record still shows, under its field keys.
            let form = api::form_definition(
                &token,
                &detail.summary.form_key,
                detail.summary.form_version,
                lang,
            )
            .await
            .ok();
            Ok::<_, api::ApiError>((detail, form))
        }
    });
    view! {
        <div class="ward-record">
            <Transition fallback=move || view! { <p>{state.t(Msg::Loading)}</p> }>
                {move || detail.get().map(|res| {
                    let lang = state.lang.get_untracked();
                    match res {
                        Ok((d, form)) => view! {
                            <article class="card" data-testid="record-detail">
                                <h1>{form.as_ref().map(|f| f.title.get(lang).to_owned()).unwrap_or(d.summary.form_key.clone())}</h1>
                                <dl>
                                    <dt>{state.t(Msg::Status)}</dt><dd>{d.summary.status.label(lang)}</dd>
                                    <dt>{state.t(Msg::Ward)}</dt><dd>{d.ward.name.clone()}</dd>
                                    <dt>{state.t(Msg::ResidentialGroup)}</dt><dd>{d.summary.group.name.clone()}</dd>
                                    <dt>{state.t(Msg::Author)}</dt><dd>{d.summary.author.clone()}</dd>
                                    <dt>{state.t(Msg::ReceivedAt)}</dt><dd>{format_ms(d.summary.received_at as f64)}</dd>
                                    {form.iter().flat_map(|f| f.fields.iter()).filter_map(|field| {
                                        let v = d.data.get(&field.key)?;
                                        let label = field.label.get(lang).to_owned();
                                        let shown = match (&field.kind, v) {
                                            (FieldKind::Repeat { fields, .. }, Value::Array(rows)) => view! {
                                                <ol class="rows">
                                                    {rows.iter().map(|row| view! {
                                                        <li><dl>
                                                            {fields.iter().filter_map(|sub| {
                                                                let v = row.get(&sub.key)?;
                                                                let shown = match (&sub.kind, v) {
                                                                    (FieldKind::Photo { .. }, Value::Array(items)) => view! { <ServerPhotos items=items.clone()/> }.into_any(),
                                                                    (kind, v) => show_field_value(kind, v, lang).into_any(),
                                                                };
                                                                Some(view! { <dt>{sub.label.get(lang).to_owned()}</dt><dd class="value">{shown}</dd> })
                                                            }).collect_view()}
                                                        </dl></li>
                                                    }).collect_view()}
                                                </ol>
                                            }.into_any(),
                                            (FieldKind::Photo { .. }, Value::Array(items)) => view! { <ServerPhotos items=items.clone()/> }.into_any(),
                                            (kind, v) => show_field_value(kind, v, lang).into_any(),
                                        };
                                        Some(view! { <dt>{label}</dt><dd class="value">{shown}</dd> })
                                    }).collect_view()}
                                </dl>
                                <ReviewActions id=d.summary.id.to_string() actions=d.actions.clone() on_changed=Callback::new(move |_| changed.update(|n| *n += 1))/>
                            </article>
                        }.into_any(),
                        Err(e) => view! { <p class="notice error">{e.message(lang)}</p> }.into_any(),
                    }
                })}
            </Transition>
        </div>
    }
}

/// What the reader may do to the record now (the server's `review::allowed`): approve, return
/// with a note, take up or resolve a report with a reply.
#[component]
fn ReviewActions(
    id: String,
    actions: Vec<ReviewAction>,
    on_changed: Callback<()>,
) -> impl IntoView {
    let state = use_app();
    let error = RwSignal::new(None::<String>);
    let comment = RwSignal::new(String::new());
    let id = StoredValue::new(id);
    let act = Action::new_local(move |action: &ReviewAction| {
        let request = ReviewRequest {
            action: *action,
            comment: Some(comment.get_untracked()),
        };
        let lang = state.lang.get_untracked();
        let token = state.token();
        async move {
            match api::review(&token, &id.get_value(), &request, lang).await {
                Ok(_) => {
                    error.set(None);
                    comment.set(String::new());
                    // The panel may have moved on to another record meanwhile.
                    let _ = on_changed.try_run(());
                }
                Err(e) => error.set(Some(e.message(lang))),
            }
        }
    });
    (!actions.is_empty()).then(|| {
        view! {
            <div class="actions review" role="group" aria-label=state.tr(Msg::Status)>
                <label for="review-comment">{move || ReviewAction::comment_label(state.lang.get())}</label>
                <textarea id="review-comment" rows="3" maxlength="1000" prop:value=move || comment.get()
                    on:input=move |ev| comment.set(event_target_value(&ev))></textarea>
                {actions
                    .into_iter()
                    .map(|a| view! {
                        <button class="btn" class:primary=a == ReviewAction::Approve disabled=move || act.pending().get()
                            on:click=move |_| { act.dispatch(a); }>
                            {move || a.label(state.lang.get())}
                        </button>
                    })
                    .collect_view()}
                {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
            </div>
        }
    })
}

/// Photos of a record, fetched with the caller's sign-in (an `<img src>` could not send it).
#[component]
fn ServerPhotos(items: Vec<Value>) -> impl IntoView {
    let state = use_app();
    items
        .into_iter()
        .filter_map(|p| PhotoRef::parse(&p).map(|p| p.sha256))
        .map(|sha| {
            let url = LocalResource::new(move || {
                let (token, lang, sha) = (state.token(), state.lang.get_untracked(), sha.clone());
                async move {
                    let blob = api::photo(&token, &sha, lang).await.ok()?;
                    web_sys::Url::create_object_url_with_blob(&blob).ok()
                }
            });
            on_cleanup(move || {
                if let Some(Some(u)) = url.get_untracked() {
                    let _ = web_sys::Url::revoke_object_url(&u);
                }
            });
            view! {
                {move || match url.get() {
                    Some(Some(u)) => { let src = u.clone(); view! { <a href=u target="_blank"><img class="thumb" src=src alt="" width="96" height="96"/></a> }.into_any() }
                    Some(None) => view! { <span class="badge">{state.t(Msg::PhotoWaiting)}</span> }.into_any(),
                    None => view! { <span class="thumb placeholder"></span> }.into_any(),
                }}
            }
        })
        .collect_view()
}
