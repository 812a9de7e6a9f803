//! Routed pages, one per file.

/// Forms and their versions; administrators publish definition files.
pub mod admin_forms;
/// The audit trail (supervisors, administrators).
pub mod audit;
/// The user's signed-in devices.
pub mod devices;
/// Home: sync state, new report, drafts and the user's records.
pub mod home;
/// Sign-in.
pub mod login;
/// Users, wards and residential groups (administrators).
pub mod people;
/// Photos taken for a form: resize, hash, keep on the phone.
pub mod photo;
/// Filling in a form.
pub mod report;
/// The ward's synced records, for supervisors and officers.
pub mod ward;
