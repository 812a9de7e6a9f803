//! The desk's routed pages, one per file.

/// The audit trail (supervisors, administrators).
pub mod audit;
/// Forms and their versions; administrators publish definition files.
pub mod forms;
/// The ward's model-ward indicators for a month, and the printable monthly report.
pub mod indicators;
/// Users, wards and residential groups (administrators).
pub mod people;
/// The ward's synced records and the one opened beside them.
pub mod records;
