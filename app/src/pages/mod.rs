//! Routed pages, one per file.

/// Forms and their versions; administrators publish definition files.
pub mod admin_forms;
/// Home: sync state, new report, drafts and the user's records.
pub mod home;
/// Sign-in.
pub mod login;
/// Photos taken for a form: resize, hash, keep on the phone.
pub mod photo;
/// Filling in a form.
pub mod report;
/// The ward's synced records, for supervisors and officers.
pub mod ward;
