//! Types and rules shared by the Wardbook app and server.
//!
//! Everything here compiles for wasm32 (the phone) and native (the server), so a form is validated
//! by the same code on both sides and the wire format cannot drift between them.

/// People, places, sessions and the audit trail, as administrators and supervisors see them.
pub mod admin;
/// Sign-in, the caller's identity, places, and the one JSON error body.
pub mod api;
/// Dates and times as the ward's clocks show them (UTC+07:00).
pub mod calendar;
/// Conditions: the small expression language of `show_if`.
pub mod expr;
/// Text folding for diacritic-insensitive search of Vietnamese names.
pub mod fold;
/// Form definitions: versioned, typed fields, localized labels.
pub mod form;
/// The "model ward" indicators: what records add up to, and the facets they are counted by.
pub mod indicators;
/// Languages of the interface and localized text.
pub mod lang;
/// Numbers as people type them.
pub mod num;
/// Records as the phone creates them, and their review status.
pub mod record;
/// Review: the one state machine of approving, returning and handling records.
pub mod review;
/// Roles: administrator, supervisor, officer, group leader.
pub mod role;
/// The sync protocol: push with per-record results, pull by a server cursor.
pub mod sync;
/// Helpers the tests share.
#[cfg(test)]
mod testing;
/// Validation of a record's data against its form definition.
pub mod validate;
/// Photo references and GPS fixes, as records hold them.
pub mod value;

pub use lang::{Lang, Text};
