//! The VI / EN buttons; the choice is kept on the device.

use domain::Lang;
use leptos::prelude::*;

use crate::i18n::Msg;
use crate::state::use_app;

#[component]
pub fn LangSwitch() -> impl IntoView {
    let state = use_app();
    view! {
        <div class="lang" role="group" aria-label=state.tr(Msg::Language)>
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
