//! Browser tests of `app::load`: data loaded into a signal and loaded again when a signal it
//! read changes, an answer overtaken by a newer request dropped; `Busy` running one task at a
//! time.
//!
//! Run with `CHROMEDRIVER=/usr/bin/chromedriver cargo test -p app --target wasm32-unknown-unknown`.

use std::cell::RefCell;
use std::rc::Rc;

use app::load::{load, Busy};
use futures::channel::oneshot;
use leptos::prelude::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// A reactive owner with leptos's executor, as in the app.
fn owner() -> Owner {
    // Set once per test page; the later tests find it set.
    let _ = any_spawner::Executor::init_wasm_bindgen();
    let owner = Owner::new();
    owner.set();
    owner
}

/// Lets every queued task and effect run: they are microtasks, all done before a 0 ms timer.
async fn settle() {
    gloo_timers::future::TimeoutFuture::new(0).await;
}

/// Requests made by a loader under test, each answered when the test says.
type Pending = Rc<RefCell<Vec<(u32, oneshot::Sender<String>)>>>;

/// A loader that reads `asked` and waits for the test to answer each of its requests.
fn answered_by_the_test(
    asked: RwSignal<u32>,
) -> (ReadSignal<Option<String>, LocalStorage>, Pending) {
    let pending: Pending = Rc::default();
    let requests = Rc::clone(&pending);
    let value = load(move || {
        let n = asked.get();
        let (tx, rx) = oneshot::channel();
        requests.borrow_mut().push((n, tx));
        async move { rx.await.unwrap_or_default() }
    });
    (value, pending)
}

#[wasm_bindgen_test]
async fn load_shows_the_answer_and_loads_again_when_what_it_read_changes() {
    let _owner = owner();
    let asked = RwSignal::new(1u32);
    let (value, pending) = answered_by_the_test(asked);
    settle().await;
    assert_eq!(
        value.get_untracked(),
        None,
        "nothing until the first answer"
    );
    let (n, tx) = pending.borrow_mut().remove(0);
    assert_eq!(n, 1);
    tx.send("one".into()).unwrap();
    settle().await;
    assert_eq!(value.get_untracked().as_deref(), Some("one"));

    asked.set(2);
    settle().await;
    // The old answer stays shown while the new one is on its way.
    assert_eq!(value.get_untracked().as_deref(), Some("one"));
    let (n, tx) = pending.borrow_mut().remove(0);
    assert_eq!(n, 2, "loaded again for the new value");
    tx.send("two".into()).unwrap();
    settle().await;
    assert_eq!(value.get_untracked().as_deref(), Some("two"));
    assert!(pending.borrow().is_empty(), "no request but the two");
}

#[wasm_bindgen_test]
async fn load_drops_an_answer_overtaken_by_a_newer_request() {
    let _owner = owner();
    let asked = RwSignal::new(1u32);
    let (value, pending) = answered_by_the_test(asked);
    settle().await;
    asked.set(2);
    settle().await;
    let (second, first) = {
        let mut p = pending.borrow_mut();
        assert_eq!(p.len(), 2, "both requests made");
        (p.remove(1), p.remove(0))
    };
    // The newer answer comes first, then the older one: the older one must not win.
    second.1.send("new".into()).unwrap();
    settle().await;
    assert_eq!(value.get_untracked().as_deref(), Some("new"));
    first.1.send("old".into()).unwrap();
    settle().await;
    assert_eq!(value.get_untracked().as_deref(), Some("new"));
}

#[wasm_bindgen_test]
async fn a_page_that_is_gone_loads_nothing_more_and_its_late_answer_changes_nothing() {
    let app = owner();
    let asked = RwSignal::new(1u32);
    // The page: a child of the app, as a routed page is.
    let page = app.child();
    let (value, pending) = page.with(|| answered_by_the_test(asked));
    settle().await;
    let (_, late) = pending.borrow_mut().remove(0);
    page.cleanup();
    asked.set(2);
    settle().await;
    assert!(
        pending.borrow().is_empty(),
        "no request from a page that is gone"
    );
    late.send("late".into()).unwrap();
    settle().await;
    assert_eq!(
        value.try_get_untracked(),
        None,
        "its signal is gone with it"
    );
}

#[wasm_bindgen_test]
async fn busy_runs_one_task_at_a_time_and_is_free_again_after_it() {
    let _owner = owner();
    let busy = Busy::new();
    let runs = Rc::new(RefCell::new(0u32));
    let (tx, rx) = oneshot::channel::<()>();
    let counted = Rc::clone(&runs);
    busy.run(async move {
        *counted.borrow_mut() += 1;
        let _ = rx.await;
    });
    settle().await;
    assert!(busy.get(), "busy while the task runs");
    let counted = Rc::clone(&runs);
    busy.run(async move {
        *counted.borrow_mut() += 1;
    });
    settle().await;
    assert_eq!(*runs.borrow(), 1, "a second press while busy does nothing");
    tx.send(()).unwrap();
    settle().await;
    assert!(!busy.get(), "free again");
    let counted = Rc::clone(&runs);
    busy.run(async move {
        *counted.borrow_mut() += 1;
    });
    settle().await;
    assert_eq!(*runs.borrow(), 2);
    assert!(!busy.get());
}
