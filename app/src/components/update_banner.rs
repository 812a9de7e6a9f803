//! The banner that offers a new build once it is installed; the user chooses when.

use leptos::prelude::*;

use crate::browser;
use crate::i18n::Msg;
use crate::state::use_app;

#[component]
pub fn UpdateBanner() -> impl IntoView {
    let state = use_app();
    view! {
        <Show when=move || state.update_ready.get()>
            <div class="banner update" role="status">
                <span>{state.tr(Msg::UpdateReady)}</span>
                <button class="btn small" on:click=|_| browser::apply_update()>{state.tr(Msg::UpdateNow)}</button>
            </div>
        </Show>
    }
}
