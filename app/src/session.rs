//! Signing out, the same from both front ends: warn about unsent work, tell the server, forget
//! everything of the user on this device.

use leptos::prelude::*;

use crate::browser;
use crate::i18n::Msg;
use crate::state::AppState;
use crate::store;

/// Work on this device that the server does not have yet: queued and refused records, drafts
/// and photos not uploaded. A wipe would lose all of it.
pub async fn unsent_work() -> usize {
    let drafts = store::drafts().await.map(|d| d.len()).unwrap_or(0);
    let records = store::records()
        .await
        .map(|r| {
            r.iter()
                .filter(|r| r.state != store::LocalState::Synced)
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
