//! State every page reads: language, session, and whether an app update is ready.

use domain::Lang;
use leptos::prelude::*;

use crate::i18n::Msg;
use crate::store::Session;

/// Also read by public/boot.js, for the page's static shell.
const LANG_KEY: &str = "wardbook.lang";

#[derive(Clone, Copy)]
pub struct AppState {
    pub lang: RwSignal<Lang>,
    /// `None` until IndexedDB has been read, then `Some(None)` when nobody is signed in.
    pub session: RwSignal<Option<Session>>,
    pub session_loaded: RwSignal<bool>,
    pub update_ready: RwSignal<bool>,
}

impl AppState {
    pub fn new() -> Self {
        AppState {
            lang: RwSignal::new(stored_lang()),
            session: RwSignal::new(None),
            session_loaded: RwSignal::new(false),
            update_ready: RwSignal::new(false),
        }
    }

    /// A reactive translator: `t(Msg::SignIn)` follows the language switch.
    pub fn t(&self, msg: Msg) -> &'static str {
        msg.text(self.lang.get())
    }

    /// `t(msg)` as a view child or attribute that follows the language switch. Every call
    /// returns the same closure type, so the view code that draws it is compiled once (each
    /// `move || state.t(..)` written out was a type of its own: 0.3 KB brotli on the phone).
    pub fn tr(&self, msg: Msg) -> impl Fn() -> &'static str + Copy + Send + Sync + 'static {
        let lang = self.lang;
        move || msg.text(lang.get())
    }

    /// The signed-in user's bearer token, or empty (the server then answers "sign in").
    pub fn token(&self) -> String {
        self.session
            .with_untracked(|s| s.as_ref().map(|s| s.token.clone()).unwrap_or_default())
    }

    /// Reads the sign-in kept on this device (both apps share it) and marks it loaded.
    pub async fn load_session(self) {
        match crate::store::session().await {
            Ok(session) => self.session.set(session),
            Err(e) => leptos::logging::error!("cannot read the session: {e}"),
        }
        self.session_loaded.set(true);
    }

    /// Takes the language chosen on the page's static shell while the app was starting (after
    /// it had read the choice): the shell's buttons work before the app does.
    pub fn adopt_shell_lang(&self) {
        let chosen = stored_lang();
        if self.lang.get_untracked() != chosen {
            self.set_lang(chosen);
        }
    }

    pub fn set_lang(&self, lang: Lang) {
        self.lang.set(lang);
        if let Some(storage) = web_sys::window().and_then(|w| w.local_storage().ok().flatten()) {
            let _ = storage.set_item(LANG_KEY, lang.code());
        }
        if let Some(doc) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.document_element())
        {
            let _ = doc.set_attribute("lang", lang.code());
        }
    }
}

impl Default for AppState {
    fn default() -> Self {
        Self::new()
    }
}

fn stored_lang() -> Lang {
    web_sys::window()
        .and_then(|w| w.local_storage().ok().flatten())
        .and_then(|s| s.get_item(LANG_KEY).ok().flatten())
        .and_then(|code| Lang::from_code(&code))
        .unwrap_or_default()
}

pub fn use_app() -> AppState {
    expect_context::<AppState>()
}
