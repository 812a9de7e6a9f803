//! The desk's "something changed" signal, shared by the frame and the pages.

use leptos::prelude::RwSignal;

/// Bumped when a record changes on the desk, so the lists showing it read it again.
#[derive(Clone, Copy)]
pub struct Changed(pub RwSignal<u32>);
