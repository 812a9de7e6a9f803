//! Forms, for administrators (publish a definition file) and supervisors (see what is in use):
//! every form with its versions; a new file becomes the next version, and a refused file is
//! explained field by field.

use domain::api::Role;
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use app::api::{self, ApiError};
use app::i18n::{format_ms, Msg};
use app::state::use_app;

#[component]
pub fn AdminForms() -> impl IntoView {
    let state = use_app();
    let changed = RwSignal::new(0u32);
    let list = LocalResource::new(move || {
        changed.track();
        let (token, lang) = (state.token(), state.lang.get());
        async move { api::list_forms(&token, lang).await }
    });
    let is_admin = state
        .session
        .get_untracked()
        .is_some_and(|s| s.me.role == Role::Admin);
    view! {
        <div class="admin-forms">
            <h1>{state.tr(Msg::Forms)}</h1>
            {is_admin.then(|| view! { <PublishForm on_published=Callback::new(move |_| changed.update(|n| *n += 1))/> })}
            <Transition fallback=move || view! { <p>{state.t(Msg::Loading)}</p> }>
                {move || list.get().map(|res| match res {
                    Ok(forms) => view! {
                        <table class="table" data-testid="forms-table">
                            <thead><tr>
                                <th>{state.t(Msg::FormTitle)}</th>
                                <th>{state.t(Msg::FormKey)}</th>
                                <th>{state.t(Msg::Versions)}</th>
                            </tr></thead>
                            <tbody>
                                {forms.into_iter().map(|f| view! {
                                    <tr data-key=f.key.clone()>
                                        <td>{move || f.title.get(state.lang.get()).to_owned()}</td>
                                        <td><code>{f.key.clone()}</code></td>
                                        <td>
                                            <ul class="versions">
                                                {f.versions.iter().map(|v| view! {
                                                    <li>{format!("v{} · {}", v.version, format_ms(v.published_at as f64))}</li>
                                                }).collect_view()}
                                            </ul>
                                        </td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any(),
                    Err(e) => view! { <p class="notice error">{e.message(state.lang.get_untracked())}</p> }.into_any(),
                })}
            </Transition>
        </div>
    }
}

/// Reads the chosen file as text.
async fn file_text(input: &web_sys::HtmlInputElement) -> Option<String> {
    let file = input.files()?.get(0)?;
    JsFuture::from(file.text()).await.ok()?.as_string()
}

#[component]
fn PublishForm(on_published: Callback<()>) -> impl IntoView {
    let state = use_app();
    let outcome = RwSignal::new(None::<Result<domain::api::Published, ApiError>>);
    let input_ref = NodeRef::<leptos::html::Input>::new();
    let publish = Action::new_local(move |_: &()| async move {
        let Some(input) = input_ref.get_untracked() else {
            return;
        };
        let input: web_sys::HtmlInputElement = input.unchecked_into();
        let Some(text) = file_text(&input).await else {
            return;
        };
        let result = api::publish_form(&state.token(), text, state.lang.get_untracked()).await;
        if result.as_ref().is_ok_and(|p| !p.unchanged) {
            on_published.run(());
        }
        outcome.set(Some(result));
    });
    view! {
        <section class="card">
            <h2>{state.tr(Msg::PublishForm)}</h2>
            <p class="hint">{state.tr(Msg::PublishFormHint)}</p>
            <div class="field">
                <label for="form-file">{state.tr(Msg::DefinitionFile)}</label>
                <input id="form-file" type="file" accept=".json,application/json" node_ref=input_ref/>
            </div>
            <button class="btn primary" type="button" data-testid="publish-form" disabled=move || publish.pending().get()
                on:click=move |_| { publish.dispatch(()); }>
                {state.tr(Msg::Publish)}
            </button>
            <div role="status" data-testid="publish-outcome">
                {move || outcome.get().map(|o| {
                    let lang = state.lang.get();
                    match o {
                        Ok(p) if p.unchanged => view! { <p class="notice">{format!("{} {} v{}", Msg::FormUnchanged.text(lang), p.key, p.version)}</p> }.into_any(),
                        Ok(p) => view! { <p class="notice ok">{format!("{} {} v{}", Msg::FormPublished.text(lang), p.key, p.version)}</p> }.into_any(),
                        Err(ApiError::Server { body, .. }) => view! {
                            <div class="notice error">
                                <p>{body.message.clone()}</p>
                            </div>
                        }.into_any(),
                        Err(e) => view! { <p class="notice error">{e.message(lang)}</p> }.into_any(),
                    }
                })}
            </div>
        </section>
    }
}
