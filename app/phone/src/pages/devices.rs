//! The user's signed-in devices, each of which can be signed out (a phone left behind).

use leptos::prelude::*;

use app::api::{self, ApiError};
use app::i18n::{format_ms, Msg};
use app::state::use_app;

#[component]
pub fn Devices() -> impl IntoView {
    let state = use_app();
    let changed = RwSignal::new(0u32);
    let error = RwSignal::new(None::<ApiError>);
    let list = app::load::load(move || {
        changed.track();
        let (token, lang) = (state.token(), state.lang.get_untracked());
        async move { api::sessions(&token, lang).await }
    });
    let revoke = move |id: String| {
        if !app::browser::confirm(state.t(Msg::ConfirmSignOutDevice)) {
            return;
        }
        let (token, lang) = (state.token(), state.lang.get_untracked());
        leptos::task::spawn_local(async move {
            match api::revoke_session(&token, &id, lang).await {
                Ok(()) => {
                    let _ = changed.try_update(|n| *n += 1);
                }
                Err(e) => {
                    let _ = error.try_set(Some(e));
                }
            }
        });
    };
    view! {
        <div class="devices">
            <h1>{state.tr(Msg::Devices)}</h1>
            {move || match list.get() {
                None => view! { <p>{state.t(Msg::Loading)}</p> }.into_any(),
                Some(res) => match res {
                    Err(e) => view! { <p class="notice error">{e.message(state.lang.get_untracked())}</p> }.into_any(),
                    Ok(sessions) => view! {
                        <ul class="list" data-testid="devices">
                            {sessions.into_iter().map(|s| {
                                let id = s.id.clone();
                                view! {
                                    <li class="row" data-id=s.id.clone()>
                                        <div class="title">{if s.device.is_empty() { "?".to_owned() } else { s.device.chars().take(80).collect() }}</div>
                                        <div class="meta">
                                            {format!("{} {} · {} {}", state.t(Msg::SignedInAt), format_ms(s.created_at as f64), state.t(Msg::ExpiresAt), format_ms(s.expires_at as f64))}
                                        </div>
                                        {if s.current {
                                            view! { <span class="badge">{state.t(Msg::ThisDevice)}</span> }.into_any()
                                        } else {
                                            view! { <button class="btn small" on:click=move |_| revoke(id.clone())>{state.t(Msg::SignOutDevice)}</button> }.into_any()
                                        }}
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    }.into_any(),
                },
            }}
            {move || error.get().map(|e| view! { <p class="notice error">{e.message(state.lang.get_untracked())}</p> })}
        </div>
    }
}
