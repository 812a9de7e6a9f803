//! Wardbook's desk app, for supervisors and administrators at a 1280 px screen: the ward's
//! records with a detail panel beside the list, the audit trail, people and places, forms. It is
//! its own WebAssembly module, so phones never download it; it shares the sign-in (IndexedDB),
//! the server API and the strings with the phone app through the `app` crate.

/// A counter bumped when a record changes on the desk, so the lists showing it read it again.
pub mod changed;
/// SVG charts drawn by the view.
pub mod chart;
/// Exports of the queue's records, with their progress.
pub mod exports;
/// Routed desk pages, one per file.
pub mod pages;
/// The desk's frame: the session gate, the side navigation and the routes.
pub mod shell;
/// The desk's own strings.
pub mod text;

use wasm_bindgen::prelude::wasm_bindgen;

#[wasm_bindgen(start)]
pub fn start() {
    app::browser::install_panic_hook();
    app::browser::take_static_shell();
    leptos::mount::mount_to_body(shell::Desk);
}
