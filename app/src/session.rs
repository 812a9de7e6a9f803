//! Signing out, the same from both front ends: warn about unsent work, tell the server, forget
//! everything of the user on this device.

use leptos::prelude::*;

use crate::browser;
use crate::i18n::Msg;
use crate::state::AppState;
use crate::store;

/// Work on this device that the server does not have yet: queued and refused records, drafts
/// and photos not uploaded. A wipe would lose all of it. A copy in conflict is not counted: the
/// server keeps it for a reviewer (its photos still count until they are sent).
pub async fn unsent_work() -> usize {
    let drafts = store::drafts().await.map(|d| d.len()).unwrap_or(0);
    let records = store::records()
        .await
        .map(|r| {
            r.iter()
                .filter(|r| {
                    !matches!(
                        r.state,
                        store::LocalState::Synced | store::LocalState::Conflict
                    )
                })
                .count()
        })
        .unwrap_or(0);
    let photos = store::photos_waiting().await.unwrap_or(0) as usize;
    drafts + records + photos
}

/// Signs out after asking, if there is unsent work; returns whether it did.
pub async fn sign_out(state: AppState) -> bool {
    if unsent_work().await > 0 && !browser::confirm(state.t(Msg::ConfirmSignOutUnsent)) {
        return false;
    }
    if let Some(session) = state.session.get_untracked() {
        crate::api::logout(&session.token, state.lang.get_untracked()).await;
    }
    if let Err(e) = store::wipe_user_data().await {
        leptos::logging::error!("cannot clear local data: {e}");
    }
    state.session.set(None);
    true
}

/// Keeps the device's note of whether someone is signed in current, for the phone page's static
/// shell on the next start (public/boot.js: "loading" for a signed-in user, the sign-in form
/// for everybody else). Once a session is found, what was typed into that shell is dropped: it
/// was typed by mistake (the note was stale) and must not fill in a later sign-in.
pub fn remember_on_device(state: AppState) {
    Effect::new(move |_| {
        if !state.session_loaded.get() {
            return;
        }
        let signed_in = state.session.with(Option::is_some);
        browser::remember_signed_in(signed_in);
        if signed_in {
            drop(browser::shell_sign_in());
        }
    });
}
