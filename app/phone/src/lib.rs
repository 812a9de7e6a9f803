//! Wardbook's phone app: sign-in, home, forms, drafts, the outbox and sync, devices. It mounts
//! [`root::App`] on the page; the desk's pages are another module (`app/desk`) it never loads.

/// The form engine's widgets.
pub mod form_ui;
/// The phone's addresses: which page is shown, Back and Forward, the app's own links.
pub mod nav;
/// Routed pages, one per file.
pub mod pages;
/// The root component: session gate, router, top bar.
pub mod root;

use wasm_bindgen::prelude::wasm_bindgen;

#[wasm_bindgen(start)]
pub fn start() {
    app::browser::install_panic_hook();
    // The page's static shell stays until the first screen is drawn (root::Ready).
    leptos::mount::mount_to_body(root::App);
}
