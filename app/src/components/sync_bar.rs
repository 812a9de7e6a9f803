//! The sync bar, always visible on the phone.

use leptos::prelude::*;

use crate::components::LoginForm;
use crate::i18n::Msg;
use crate::state::use_app;
use crate::sync::{self, use_sync};

/// Always visible: records waiting, the oldest one's age, the last successful sync.
#[component]
pub fn SyncBar() -> impl IntoView {
    let state = use_app();
    let status = use_sync();
    let relogin = RwSignal::new(false);
    // Ages shown here move on by themselves, once a minute.
    let clock = RwSignal::new(js_sys::Date::now());
    // Stopped with the bar: a tick after it is gone would set a disposed signal (a panic).
    if let Ok(ticking) = set_interval_with_handle(
        move || {
            let _ = clock.try_set(js_sys::Date::now());
        },
        std::time::Duration::from_secs(60),
    ) {
        on_cleanup(move || ticking.clear());
    }
    view! {
        <section class="syncbar" aria-live="polite">
            <div class="sync-figures">
                <span class="waiting">
                    {state.tr(Msg::Waiting)}": "
                    <strong data-testid="waiting-count">{move || status.waiting.get()}</strong>
                </span>
                {move || (status.photos_waiting.get() > 0).then(|| view! {
                    <span class="photos-waiting" data-testid="photos-waiting">
                        {format!("{} {}", status.photos_waiting.get(), state.t(Msg::PhotosWaiting))}
                    </span>
                })}
                {move || status.oldest_waiting.get().map(|t| view! {
                    <span class="oldest">
                        {state.t(Msg::OldestWaiting)}": "{crate::i18n::format_age(clock.get() - t, state.lang.get())}
                    </span>
                })}
                <span class="last-sync">
                    {state.tr(Msg::LastSync)}": "
                    <span data-testid="last-sync">{move || status.last_success.get().map(crate::i18n::format_ms).unwrap_or_else(|| state.t(Msg::Never).to_owned())}</span>
                </span>
            </div>
            <button class="btn small" on:click=move |_| status.wake() disabled=move || status.running.get()>
                {move || if status.running.get() { state.t(Msg::Syncing) } else { state.t(Msg::SyncNow) }}
            </button>
            {move || status.problem.get().map(|p| match p {
                sync::Problem::Offline => view! { <p class="notice offline">{state.t(Msg::Offline)}</p> }.into_any(),
                sync::Problem::Server(m) => view! { <p class="notice error">{state.t(Msg::ServerProblem)}" "{m}</p> }.into_any(),
                sync::Problem::Storage => view! { <p class="notice error" role="alert">{state.t(Msg::StorageProblem)}</p> }.into_any(),
                sync::Problem::SessionExpired(_) => view! {
                    <div class="notice error">
                        <p>{state.t(Msg::SessionExpired)}</p>
                        <Show when=move || relogin.get() fallback=move || view! {
                            <button class="btn" on:click=move |_| relogin.set(true)>{state.t(Msg::SignIn)}</button>
                        }>
                            <LoginForm on_done=Callback::new(move |_| relogin.set(false))/>
                        </Show>
                    </div>
                }.into_any(),
            })}
        </section>
    }
}
