//! The phone app's root: reads the session from IndexedDB, starts sync, and routes.

use domain::api::Role;
use leptos::prelude::*;

use app::components::{LangSwitch, Login, SyncBar, UpdateBanner};
use app::i18n::Msg;
use app::state::{use_app, AppState};
use app::sync::use_sync;
use app::{browser, session, sync};

use crate::nav::{use_nav, Nav, Page};
use crate::pages;

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
        state.load_session().await;
        status.wake();
    });
    follow_desk_roles(state);
    session::remember_on_device(state);
    let nav = Nav::start();

    view! {
            <UpdateBanner/>
            <Show when=move || state.session_loaded.get() fallback=move || view! { <p class="loading">{state.tr(Msg::Loading)}</p> }>
                <Ready/>
                <Show when=move || state.session.with(Option::is_some) fallback=|| view! { <Login/> }>
                    <TopBar/>
                    <main>
                        {move || match nav.page() {
                            Page::Home => view! { <pages::home::Home/> }.into_any(),
                            Page::Report { id, form } => view! { <pages::report::ReportPage id form/> }.into_any(),
                            Page::Devices => view! { <pages::devices::Devices/> }.into_any(),
                            Page::DeskUnavailable => view! { <DeskUnavailable/> }.into_any(),
                            Page::Moved(to) => view! { <Moved to/> }.into_any(),
                            Page::NotFound => view! { <p>{state.tr(Msg::NotFound)}</p> }.into_any(),
                        }}
                    </main>
                </Show>
            </Show>
    }
}

/// Desk roles get the desk app cached for offline use as soon as they are signed in; a
/// supervisor or administrator who has just signed in here is taken to it. A group leader's
/// phone never fetches it.
fn follow_desk_roles(state: AppState) {
    let was_signed_in = StoredValue::new(None::<bool>);
    Effect::new(move |_| {
        if !state.session_loaded.get() {
            return;
        }
        let role = state.session.with(|s| s.as_ref().map(|s| s.me.role));
        let before = was_signed_in.get_value();
        was_signed_in.set_value(Some(role.is_some()));
        let Some(role) = role else { return };
        if role.uses_desk() {
            browser::cache_desk();
        }
        // Signed in just now (not a session found at start): supervisors and administrators
        // work at the desk.
        if before == Some(false) && matches!(role, Role::Supervisor | Role::Admin) {
            browser::go_to("/desk");
        }
    });
}

/// The app's first screen is being drawn (sign-in or home): the page's static shell goes in the
/// same task, so the user never sees neither (what was typed into it is taken over by the
/// sign-in form drawn next). Marks the moment the app can be used, for the start-up benchmark.
#[component]
fn Ready() -> impl IntoView {
    browser::take_static_shell();
    use_app().adopt_shell_lang();
    request_animation_frame(|| browser::mark("app-ready"));
}

/// An old address of a page that is in the desk app now. A group leader has no desk page: home.
#[component]
fn Moved(#[prop(into)] to: String) -> impl IntoView {
    let leader = use_app()
        .session
        .with_untracked(|s| s.as_ref().is_some_and(|s| s.me.role == Role::GroupLeader));
    if leader {
        let nav = use_nav();
        request_animation_frame(move || nav.replace("/"));
    } else {
        browser::go_to(&to);
    }
    let state = use_app();
    view! { <p class="loading">{state.tr(Msg::Loading)}</p> }
}

/// The desk was asked for with no network on a device that has not kept it.
#[component]
fn DeskUnavailable() -> impl IntoView {
    let state = use_app();
    view! {
        <p class="notice offline" role="alert">{state.tr(Msg::DeskOffline)}</p>
        <a class="btn" href="/">{state.tr(Msg::Home)}</a>
    }
}

#[component]
fn TopBar() -> impl IntoView {
    let state = use_app();
    let status = use_sync();
    let sign_out = move |_| {
        leptos::task::spawn_local(async move {
            if session::sign_out(state).await {
                status.refresh_counts().await;
            }
        });
    };
    view! {
        <header class="topbar">
            <a href="/" class="brand">{state.tr(Msg::AppName)}</a>
            // How many records wait for this user: returned by a reviewer or refused.
            {move || (status.needs_fixing.get() > 0).then(|| view! {
                <a href="/" class="badge count" data-testid="needs-action"
                    aria-label=move || format!("{} {}", status.needs_fixing.get(), state.t(Msg::WaitingForYou))>
                    {move || status.needs_fixing.get()}
                </a>
            })}
            <LangSwitch/>
            <button class="btn small ghost" on:click=sign_out>{state.tr(Msg::SignOut)}</button>
        </header>
        <SyncBar/>
    }
}
