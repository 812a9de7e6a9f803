//! The phone app's routed pages, one per file.

/// The user's signed-in devices.
pub mod devices;
/// Home: new records, drafts and the user's records, storage.
pub mod home;
/// Filling in a form.
pub mod report;
