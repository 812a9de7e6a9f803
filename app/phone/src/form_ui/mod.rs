//! The form engine's widgets: field inputs, repeat groups, GPS and photos, over one editing
//! context. Pages put them together; nothing here is routed.

/// Where values live, what is pending, how a change is saved.
pub mod editor;
/// One widget per field type, and repeat groups.
pub mod fields;
/// The GPS field.
pub mod gps;
/// Photos taken for a form: resize, hash, keep on the phone.
pub mod photo;
