//! The audit trail, for supervisors (their ward) and administrators (everything): newest first,
//! page by page, and a CSV export.

use domain::admin::AuditEntry;
use leptos::prelude::*;

use app::api::{self, ApiError};
use app::i18n::{format_ms, Msg};
use app::state::use_app;

#[component]
pub fn Audit() -> impl IntoView {
    let state = use_app();
    let entries = RwSignal::new(Vec::<AuditEntry>::new());
    let error = RwSignal::new(None::<ApiError>);
    let more = RwSignal::new(true);
    let load = Action::new_local(move |_: &()| {
        let before = entries.with_untracked(|e| e.last().map(|x| x.id));
        let (token, lang) = (state.token(), state.lang.get_untracked());
        async move {
            match api::audit(&token, before, lang).await {
                Ok(page) => {
                    more.set(page.len() == 100);
                    entries.update(|e| e.extend(page));
                }
                Err(e) => {
                    let _ = error.try_set(Some(e));
                }
            }
        }
    });
    load.dispatch(());
    let export = move |_| {
        let (token, lang) = (state.token(), state.lang.get_untracked());
        leptos::task::spawn_local(async move {
            match api::audit_csv(&token, lang).await {
                Ok(csv) => {
                    if let Err(e) = app::browser::download(
                        "wardbook-nhat-ky.csv",
                        "text/csv;charset=utf-8",
                        &csv,
                    ) {
                        leptos::logging::warn!("audit export: {e}");
                    }
                }
                Err(e) => {
                    let _ = error.try_set(Some(e));
                }
            }
        });
    };
    let show =
        |v: &Option<serde_json::Value>| v.as_ref().map(|v| v.to_string()).unwrap_or_default();
    view! {
        <div class="audit">
            <h1>{state.tr(Msg::AuditTrail)}</h1>
            <button class="btn" data-testid="audit-export" on:click=export>{state.tr(Msg::ExportCsv)}</button>
            {move || error.get().map(|e| view! { <p class="notice error">{e.message(state.lang.get_untracked())}</p> })}
            <table class="table" data-testid="audit">
                <thead><tr>
                    <th>{state.tr(Msg::When)}</th>
                    <th>{state.tr(Msg::Who)}</th>
                    <th>{state.tr(Msg::What)}</th>
                    <th>{state.tr(Msg::Before)}</th>
                    <th>{state.tr(Msg::After)}</th>
                </tr></thead>
                <tbody>
                    {move || entries.get().into_iter().map(|e| view! {
                        <tr data-action=e.action.clone()>
                            <td>{format_ms(e.at as f64)}</td>
                            <td>{e.actor.clone().unwrap_or_else(|| "—".into())}</td>
                            <td>{format!("{} {} {}", e.action, e.entity, e.entity_id)}{(!e.detail.is_empty()).then(|| format!(" ({})", e.detail))}</td>
                            <td class="json">{show(&e.before)}</td>
                            <td class="json">{show(&e.after)}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
            <Show when=move || more.get()>
                <button class="btn block" disabled=move || load.pending().get() on:click=move |_| { load.dispatch(()); }>
                    {state.tr(Msg::LoadMore)}
                </button>
            </Show>
        </div>
    }
}
