//! The root: reads the session from IndexedDB, starts sync, and routes.

use domain::Lang;
use leptos::prelude::*;
use leptos_router::components::{Route, Router, Routes};
use leptos_router::path;

use crate::i18n::Msg;
use crate::pages;
use crate::state::{use_app, use_sync, AppState};
use crate::{browser, store, sync};

#[component]
pub fn App() -> impl IntoView {
    let state = AppState::new();
    provide_context(state);
    let status = sync::start(state);
    provide_context(status);
    browser::request_persistence();
    browser::on_update_ready(move || state.update_ready.set(true));
    state.set_lang(state.lang.get_untracked());

    leptos::task::spawn_local(async move {
        match store::session().await {
            Ok(session) => state.session.set(session),
            Err(e) => leptos::logging::error!("cannot read the session: {e}"),
        }
        state.session_loaded.set(true);
        status.wake();
    });

    view! {
        <Router>
            <UpdateBanner/>
            <Show when=move || state.session_loaded.get() fallback=move || view! { <p class="loading">{move || state.t(Msg::Loading)}</p> }>
                <Ready/>
                <Show when=move || state.session.with(Option::is_some) fallback=|| view! { <pages::login::Login/> }>
                    <TopBar/>
                    <main>
                        <Routes fallback=move || view! { <p>{move || use_app().t(Msg::NotFound)}</p> }>
                            <Route path=path!("/") view=pages::home::Home/>
                            <Route path=path!("/report/:id") view=pages::report::ReportPage/>
                            <Route path=path!("/ward") view=pages::ward::WardRecords/>
                            <Route path=path!("/ward/:id") view=pages::ward::WardRecord/>
                            <Route path=path!("/admin/forms") view=pages::admin_forms::AdminForms/>
                            <Route path=path!("/admin/people") view=pages::people::People/>
                            <Route path=path!("/audit") view=pages::audit::Audit/>
                            <Route path=path!("/devices") view=pages::devices::Devices/>
                        </Routes>
                    </main>
                </Show>
            </Show>
        </Router>
    }
}

/// Marks the moment the app can be used, for the start-up benchmark.
#[component]
fn Ready() -> impl IntoView {
    request_animation_frame(|| browser::mark("app-ready"));
}

#[component]
fn UpdateBanner() -> impl IntoView {
    let state = use_app();
    view! {
        <Show when=move || state.update_ready.get()>
            <div class="banner update" role="status">
                <span>{move || state.t(Msg::UpdateReady)}</span>
                <button class="btn small" on:click=|_| browser::apply_update()>{move || state.t(Msg::UpdateNow)}</button>
            </div>
        </Show>
    }
}

#[component]
pub fn LangSwitch() -> impl IntoView {
    let state = use_app();
    view! {
        <div class="lang" role="group" aria-label=move || state.t(Msg::Language)>
            {Lang::ALL.into_iter().map(|lang| view! {
                <button
                    class="lang-btn"
                    aria-pressed=move || (state.lang.get() == lang).to_string()
                    on:click=move |_| state.set_lang(lang)
                >{lang.code().to_ascii_uppercase()}</button>
            }).collect_view()}
        </div>
    }
}

#[component]
fn TopBar() -> impl IntoView {
    let state = use_app();
    let status = use_sync();
    let sign_out = move |_| {
        leptos::task::spawn_local(async move {
            // Waiting, refused and draft records are all unsent work a wipe would lose.
            let drafts = store::drafts().await.map(|d| d.len() as u32).unwrap_or(0);
            let unsent = status.waiting.get_untracked()
                + status.needs_fixing.get_untracked()
                + status.photos_waiting.get_untracked()
                + drafts;
            if unsent > 0 && !browser::confirm(state.t(Msg::ConfirmSignOutUnsent)) {
                return;
            }
            if let Some(session) = state.session.get_untracked() {
                crate::api::logout(&session.token, state.lang.get_untracked()).await;
            }
            if let Err(e) = store::wipe_user_data().await {
                leptos::logging::error!("cannot clear local data: {e}");
            }
            state.session.set(None);
            status.refresh_counts().await;
        });
    };
    view! {
        <header class="topbar">
            <a href="/" class="brand">{move || state.t(Msg::AppName)}</a>
            <LangSwitch/>
            <button class="btn small ghost" on:click=sign_out>{move || state.t(Msg::SignOut)}</button>
        </header>
        <SyncBar/>
    }
}

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
                    {move || state.t(Msg::Waiting)}": "
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
                    {move || state.t(Msg::LastSync)}": "
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
                            <pages::login::LoginForm on_done=Callback::new(move |_| relogin.set(false))/>
                        </Show>
                    </div>
                }.into_any(),
            })}
        </section>
    }
}
