//! The desk's frame: reads the sign-in the phone app and the desk share, shows the sign-in form
//! when there is none, and lays the pages out for a wide screen — navigation at the side, the
//! page beside it.

use domain::api::Role;
use leptos::prelude::*;
use leptos_router::components::{ParentRoute, Route, Router, Routes};
use leptos_router::hooks::use_location;
use leptos_router::path;

use app::components::{LangSwitch, Login, LoginForm, UpdateBanner};
use app::i18n::{role_label, Msg};
use app::state::{use_app, AppState};
use app::{api, browser, session};

use crate::changed::Changed;
use crate::pages;

#[component]
pub fn Desk() -> impl IntoView {
    let state = AppState::new();
    provide_context(state);
    browser::on_update_ready(move || state.update_ready.set(true));
    state.set_lang(state.lang.get_untracked());
    leptos::task::spawn_local(state.load_session());
    app::session::remember_on_device(state);
    // Only desk roles keep the desk for offline use; an officer who opens a desk page loads it
    // this once, and a group leader (who has no desk page) is sent back to the phone app.
    Effect::new(move |_| {
        if !state.session_loaded.get() {
            return;
        }
        match state.session.with(|s| s.as_ref().map(|s| s.me.role)) {
            Some(role) if role.uses_desk() => browser::cache_desk(),
            Some(Role::GroupLeader) => browser::go_to("/"),
            _ => {}
        }
    });
    // An expired or revoked sign-in: ask for the password again, keeping everything on the
    // device (signing out would wipe the phone app's unsent work).
    let expired = RwSignal::new(false);
    api::on_unauthorized(move || {
        let _ = expired.try_set(true);
    });
    let changed = RwSignal::new(0u32);
    provide_context(Changed(changed));

    view! {
        <Router>
            <UpdateBanner/>
            <Show when=move || state.session_loaded.get() fallback=move || view! { <p class="loading">{state.tr(Msg::Loading)}</p> }>
                <Ready/>
                <Show when=move || state.session.with(Option::is_some) fallback=|| view! { <Login/> }>
                    <div class="desk">
                        <SideNav/>
                        <main class="desk-main">
                            <Show when=move || expired.get()>
                                <div class="notice error" role="alert" data-testid="desk-expired">
                                    <p>{state.tr(Msg::SessionExpired)}</p>
                                    <LoginForm on_done=Callback::new(move |_| {
                                        expired.set(false);
                                        changed.update(|n| *n += 1);
                                    })/>
                                </div>
                            </Show>
                            <Routes fallback=move || view! { <p>{move || use_app().t(Msg::NotFound)}</p> }>
                                <Route path=path!("/desk") view=Start/>
                                <ParentRoute path=path!("/desk/records") view=pages::records::Records>
                                    <Route path=path!("") view=pages::records::NoneChosen/>
                                    <Route path=path!(":id") view=pages::records::RecordPanel/>
                                </ParentRoute>
                                <Route path=path!("/desk/indicators") view=pages::indicators::Indicators/>
                                <Route path=path!("/desk/audit") view=pages::audit::Audit/>
                                <Route path=path!("/desk/people") view=pages::people::People/>
                                <Route path=path!("/desk/forms") view=pages::forms::AdminForms/>
                            </Routes>
                        </main>
                    </div>
                </Show>
            </Show>
        </Router>
    }
}

/// Marks the moment the desk can be used, for the start-up benchmark.
#[component]
fn Ready() -> impl IntoView {
    request_animation_frame(|| browser::mark("app-ready"));
}

/// `/desk`: the first page the signed-in user's role has.
#[component]
fn Start() -> impl IntoView {
    let state = use_app();
    let navigate = leptos_router::hooks::use_navigate();
    let role = state
        .session
        .with_untracked(|s| s.as_ref().map(|s| s.me.role));
    let to = match role {
        Some(Role::Admin) => "/desk/people",
        _ => "/desk/records",
    };
    // Replacing `/desk` in the history, so Back does not bounce here again.
    request_animation_frame(move || {
        navigate(
            to,
            leptos_router::NavigateOptions {
                replace: true,
                ..Default::default()
            },
        )
    });
}

#[component]
fn SideNav() -> impl IntoView {
    let state = use_app();
    let location = use_location();
    let me = move || state.session.get().map(|s| s.me);
    let role = move || me().map(|m| m.role);
    let link = move |href: &'static str, msg: Msg| {
        let current = move || location.pathname.get().starts_with(href);
        view! {
            <a href=href class="nav-link" aria-current=move || current().then_some("page")>{state.tr(msg)}</a>
        }
    };
    let sign_out = move |_| {
        leptos::task::spawn_local(async move {
            if session::sign_out(state).await {
                browser::go_to("/desk");
            }
        });
    };
    view! {
        <aside class="desk-nav">
            <div class="brand">{state.tr(Msg::AppName)}</div>
            {move || me().map(|me| view! {
                <p class="who">
                    <strong>{me.display_name.clone()}</strong><br/>
                    {state.t(role_label(me.role))}
                    {me.ward.clone().map(|w| format!(" · {}", w.name))}
                </p>
            })}
            <nav aria-label=state.tr(Msg::DeskNav)>
                <Show when=move || matches!(role(), Some(Role::Supervisor | Role::Officer | Role::Provincial))>
                    {link("/desk/records", Msg::WardRecords)}
                    <a href="/desk/indicators" class="nav-link"
                        aria-current=move || location.pathname.get().starts_with("/desk/indicators").then_some("page")>
                        {crate::text::dt(crate::text::DeskMsg::Indicators)}
                    </a>
                </Show>
                <Show when=move || role() == Some(Role::Admin)>
                    {link("/desk/people", Msg::People)}
                </Show>
                <Show when=move || role().is_some_and(Role::uses_desk)>
                    {link("/desk/forms", Msg::Forms)}
                    {link("/desk/audit", Msg::AuditTrail)}
                </Show>
            </nav>
            <div class="desk-nav-foot">
                <LangSwitch/>
                <a class="nav-link" rel="external" href="/">{state.tr(Msg::PhoneApp)}</a>
                <button class="btn small ghost" on:click=sign_out>{state.tr(Msg::SignOut)}</button>
            </div>
        </aside>
    }
}
