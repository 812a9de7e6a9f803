//! Data read asynchronously (IndexedDB, the server) into a signal, for the phone app.
//!
//! Leptos's `LocalResource` with `Suspense` or `Transition` does the same, but every resource
//! type instantiates its async-derived machinery (locks, shared futures, notifiers): about 6 KB
//! of WebAssembly apiece, 50 KB over the phone app, every byte of it paid for over 3G. This is an
//! effect, a signal and a task.

use std::cell::Cell;
use std::future::Future;
use std::rc::Rc;

use leptos::prelude::*;

/// The latest answer of `fetch`: `None` until the first one arrives, then kept while a newer one
/// is on its way (as `Transition` does). `fetch` runs at once and again whenever a signal it
/// read (before its first `.await`) changes; an answer overtaken by a newer request is dropped.
pub fn load<T, Fut>(fetch: impl Fn() -> Fut + 'static) -> ReadSignal<Option<T>, LocalStorage>
where
    T: 'static,
    Fut: Future<Output = T> + 'static,
{
    let (value, set_value) = signal_local(None);
    let latest = Rc::new(Cell::new(0u32));
    Effect::new(move |_| {
        let request = fetch();
        let mine = latest.get().wrapping_add(1);
        latest.set(mine);
        let latest = Rc::clone(&latest);
        leptos::task::spawn_local(async move {
            let answer = request.await;
            // The page may be gone by now (the signal with it): then the answer is nobody's.
            if latest.get() == mine {
                let _ = set_value.try_set(Some(answer));
            }
        });
    });
    value
}

/// A task started by a button, and whether it is still running (to disable the button).
/// Leptos's `Action` does the same with more machinery per instance.
#[derive(Clone, Copy)]
pub struct Busy(RwSignal<bool>);

impl Busy {
    pub fn new() -> Self {
        Busy(RwSignal::new(false))
    }

    /// Whether the task is running (reactive).
    pub fn get(self) -> bool {
        self.0.get()
    }

    /// Runs `task` unless it is running already. Safe when the page is gone before it ends.
    pub fn run(self, task: impl Future<Output = ()> + 'static) {
        if self.0.get_untracked() {
            return;
        }
        self.0.set(true);
        leptos::task::spawn_local(async move {
            task.await;
            let _ = self.0.try_set(false);
        });
    }
}

impl Default for Busy {
    fn default() -> Self {
        Self::new()
    }
}
