//! Sign-in, for both front ends. The first one needs the network; afterwards the app opens
//! offline.

use domain::api::LoginRequest;
use leptos::prelude::*;

use crate::api::{self, ApiError};
use crate::i18n::Msg;
use crate::state::use_app;
use crate::store::{self, Session};
use crate::sync::SyncStatus;

#[component]
pub fn Login() -> impl IntoView {
    let state = use_app();
    // What was typed into the page's static form while the app was loading, and whether
    // "Đăng nhập" was pressed there.
    let typed = crate::browser::shell_sign_in();
    view! {
        <main class="login-page">
            <div class="login-head">
                <h1>{state.tr(Msg::AppName)}</h1>
                <crate::components::LangSwitch/>
            </div>
            <LoginForm on_done=Callback::new(|_| ()) typed/>
        </main>
    }
}

/// The sign-in form; also used to sign in again after the session expired. `typed` is what the
/// user did in the page's static form before the app had started: kept, and signed in with if
/// they pressed "Đăng nhập" there.
#[component]
pub fn LoginForm(
    on_done: Callback<()>,
    #[prop(default = None)] typed: Option<crate::browser::ShellSignIn>,
) -> impl IntoView {
    let state = use_app();
    // The desk has no sync engine; on the phone a sign-in restarts it.
    let status = use_context::<SyncStatus>();
    let username = RwSignal::new(
        state
            .session
            .get_untracked()
            .map(|s| s.me.username)
            .unwrap_or_default(),
    );
    let password = RwSignal::new(String::new());
    if let Some(typed) = &typed {
        if !typed.username.is_empty() {
            username.set(typed.username.clone());
        }
        password.set(typed.password.clone());
    }
    let error = RwSignal::new(None::<String>);

    let busy = crate::load::Busy::new();
    let submit = move || async move {
        let lang = state.lang.get_untracked();
        let req = LoginRequest {
            username: username.get_untracked().trim().to_ascii_lowercase(),
            password: password.get_untracked(),
        };
        // Records waiting on this phone belong to whoever filed them; only they may send them.
        let owner = store::owner().await.ok().flatten();
        // Queued, refused and draft records and unsent photos: a wipe would lose them.
        let unsent = crate::session::unsent_work().await;
        if owner.as_ref().is_some_and(|o| *o != req.username) && unsent > 0 {
            error.set(Some(Msg::OtherUserHasUnsent.text(lang).to_owned()));
            return;
        }
        match api::login(&req, lang).await {
            Ok(res) => {
                if owner.as_ref().is_some_and(|o| *o != res.me.username) {
                    // A shared phone changing hands: nothing of the previous user stays.
                    if let Err(e) = store::wipe_user_data().await {
                        leptos::logging::error!("cannot clear the previous user's data: {e}");
                        error.set(Some(e.message(lang).to_owned()));
                        return;
                    }
                }
                let session = Session {
                    token: res.token,
                    expires_at: res.expires_at as f64,
                    me: res.me,
                };
                if let Err(e) = store::save_session(&session).await {
                    leptos::logging::error!("cannot keep the sign-in: {e}");
                    error.set(Some(e.message(lang).to_owned()));
                    return;
                }
                // Everything this form owns is touched before the session is set: setting it
                // takes the app to the home page and disposes this form, its signals and
                // `on_done` (reading them after that panicked on every sign-in).
                password.set(String::new());
                error.set(None);
                if let Some(status) = status {
                    status.problem.set(None);
                }
                on_done.run(());
                state.session.set(Some(session));
                // Only app-wide state from here on.
                if let Some(status) = status {
                    status.refresh_counts().await;
                    status.wake();
                }
            }
            Err(ApiError::Offline) => {
                error.set(Some(Msg::SignInNeedsNetwork.text(lang).to_owned()))
            }
            Err(e) => error.set(Some(e.message(lang))),
        }
    };

    if let Some(typed) = typed {
        if typed.requested {
            busy.run(submit());
        } else if let Some(id) = typed.focus {
            // Right after this form is in the page, in the same task as the shell went: the
            // phone's keyboard stays open and typing goes on in the same field.
            leptos::task::spawn_local(async move { crate::browser::focus_input(id) });
        }
    }
    view! {
        <form class="card login" on:submit=move |ev| { ev.prevent_default(); busy.run(submit()); }>
            <div class="field">
                <label for="username">{state.tr(Msg::Username)}</label>
                <input id="username" name="username" autocomplete="username" autocapitalize="none" required
                    prop:value=move || username.get() on:input=move |ev| username.set(event_target_value(&ev))/>
            </div>
            <div class="field">
                <label for="password">{state.tr(Msg::Password)}</label>
                <input id="password" name="password" type="password" autocomplete="current-password" required
                    prop:value=move || password.get() on:input=move |ev| password.set(event_target_value(&ev))/>
            </div>
            {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
            <button class="btn primary block" type="submit" disabled=move || busy.get()>
                {move || if busy.get() { state.t(Msg::SigningIn) } else { state.t(Msg::SignIn) }}
            </button>
        </form>
    }
}
