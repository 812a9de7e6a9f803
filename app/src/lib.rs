//! Wardbook's phone app: mounts [`app::App`] on the page.

/// Calls to the server.
pub mod api;
/// The root component: session gate, router, banners.
pub mod app;
/// Small browser capabilities: ids, performance marks, storage, the service-worker update.
pub mod browser;
/// Every user-visible string, in Vietnamese and English.
pub mod i18n;
/// Routed pages, one per file.
pub mod pages;
/// App-wide state shared through context.
pub mod state;
/// IndexedDB: session, forms, drafts, records, outbox.
pub mod store;
/// The sync engine.
pub mod sync;

use wasm_bindgen::prelude::wasm_bindgen;

#[wasm_bindgen(start)]
pub fn start() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::App);
}
