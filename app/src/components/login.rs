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
    view! {
        <main class="login-page">
            <div class="login-head">
                <h1>{move || state.t(Msg::AppName)}</h1>
                <crate::components::LangSwitch/>
            </div>
            <LoginForm on_done=Callback::new(|_| ())/>
        </main>
    }
}

/// The sign-in form; also used to sign in again after the session expired.
#[component]
pub fn LoginForm(on_done: Callback<()>) -> impl IntoView {
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
    let error = RwSignal::new(None::<String>);

    let submit = Action::new_local(move |_: &()| async move {
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
    });

    view! {
        <form class="card login" on:submit=move |ev| { ev.prevent_default(); submit.dispatch(()); }>
            <div class="field">
                <label for="username">{move || state.t(Msg::Username)}</label>
                <input id="username" name="username" autocomplete="username" autocapitalize="none" required
                    prop:value=move || username.get() on:input=move |ev| username.set(event_target_value(&ev))/>
            </div>
            <div class="field">
                <label for="password">{move || state.t(Msg::Password)}</label>
                <input id="password" name="password" type="password" autocomplete="current-password" required
                    prop:value=move || password.get() on:input=move |ev| password.set(event_target_value(&ev))/>
            </div>
            {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
            <button class="btn primary block" type="submit" disabled=move || submit.pending().get()>
                {move || if submit.pending().get() { state.t(Msg::SigningIn) } else { state.t(Msg::SignIn) }}
            </button>
        </form>
    }
}
