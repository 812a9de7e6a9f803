//! What Wardbook's two front ends share: calls to the server, the IndexedDB store, the sync
//! engine, every user-visible string, app-wide state and the pieces both show. The phone app
//! (`app/phone`) and the desk app (`app/desk`) are separate WebAssembly modules over this crate,
//! so a phone never downloads the desk's pages.

/// Calls to the server.
pub mod api;
/// Small browser capabilities: ids, performance marks, storage, the service worker, panics.
pub mod browser;
/// Pieces both front ends show: language switch, sync bar, update banner, sign-in.
pub mod components;
/// Every user-visible string, in Vietnamese and English.
pub mod i18n;
/// Data read asynchronously into a signal, and button tasks: light stand-ins for resources and actions.
pub mod load;
/// Signing out, for both front ends.
pub mod session;
/// App-wide state shared through context.
pub mod state;
/// IndexedDB: session, forms, drafts, records, outbox.
pub mod store;
/// The sync engine.
pub mod sync;
