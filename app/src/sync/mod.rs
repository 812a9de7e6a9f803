//! The sync engine: pushes the outbox and pulls changes by itself — at start, when the network
//! comes back, right after a save, on a timer, and on "sync now" — with capped exponential
//! backoff and jitter after failures. An expired sign-in pauses it; nothing is discarded.

use domain::sync::{PushOutcome, PushRequest, MAX_PUSH_BATCH};
use futures::channel::mpsc;
use futures::{FutureExt, StreamExt};
use leptos::prelude::*;
use wasm_bindgen::prelude::*;

use crate::api::{self, ApiError};
use crate::state::AppState;
use crate::store;

/// Why a round of sync stopped: the server (or the way to it), or the phone's own store.
#[derive(Debug, Clone, PartialEq)]
pub enum SyncError {
    Api(ApiError),
    Store(store::StoreError),
}

impl From<ApiError> for SyncError {
    fn from(e: ApiError) -> Self {
        SyncError::Api(e)
    }
}

impl From<store::StoreError> for SyncError {
    fn from(e: store::StoreError) -> Self {
        SyncError::Store(e)
    }
}

/// When to try again.
pub mod backoff;

#[derive(Debug, Clone, PartialEq)]
pub enum Problem {
    Offline,
    SessionExpired(String),
    Server(String),
    /// The phone's own storage refused a write (full, or the browser is clearing it).
    Storage,
}

/// What the app shows about sync; all signals, so any view can read them.
#[derive(Clone, Copy)]
pub struct SyncStatus {
    pub waiting: RwSignal<u32>,
    pub oldest_waiting: RwSignal<Option<f64>>,
    pub needs_fixing: RwSignal<u32>,
    /// Photos of submitted records not on the server yet.
    pub photos_waiting: RwSignal<u32>,
    pub last_success: RwSignal<Option<f64>>,
    pub running: RwSignal<bool>,
    pub problem: RwSignal<Option<Problem>>,
    /// Bumped after every change to local records, so lists re-read them.
    pub records_version: RwSignal<u32>,
    wake: StoredValue<mpsc::UnboundedSender<()>>,
}

impl SyncStatus {
    /// Asks the engine to sync as soon as it can.
    pub fn wake(&self) {
        self.wake.with_value(|tx| {
            let _ = tx.unbounded_send(());
        });
    }

    /// Re-reads the counts shown to the user from IndexedDB.
    pub async fn refresh_counts(&self) {
        if let Ok(records) = store::records().await {
            let waiting: Vec<_> = records
                .iter()
                .filter(|r| r.state == store::LocalState::Outbox)
                .collect();
            self.waiting.set(waiting.len() as u32);
            self.oldest_waiting
                .set(waiting.iter().map(|r| r.submitted_at).reduce(f64::min));
            self.needs_fixing
                .set(records.iter().filter(|r| r.needs_action()).count() as u32);
        }
        if let Ok(n) = store::photos_waiting().await {
            self.photos_waiting.set(n);
        }
        if let Ok(last) = store::last_sync().await {
            self.last_success.set(last);
        }
        self.records_version.update(|v| *v += 1);
    }
}

/// The sync engine's status, provided by the phone app's root.
pub fn use_sync() -> SyncStatus {
    expect_context::<SyncStatus>()
}

/// Starts the engine; call once.
pub fn start(state: AppState) -> SyncStatus {
    let (tx, rx) = mpsc::unbounded::<()>();
    let status = SyncStatus {
        waiting: RwSignal::new(0),
        oldest_waiting: RwSignal::new(None),
        needs_fixing: RwSignal::new(0),
        photos_waiting: RwSignal::new(0),
        last_success: RwSignal::new(None),
        running: RwSignal::new(false),
        problem: RwSignal::new(None),
        records_version: RwSignal::new(0),
        wake: StoredValue::new(tx),
    };
    listen_online(status);
    leptos::task::spawn_local(run(state, status, rx));
    status
}

fn listen_online(status: SyncStatus) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let cb = Closure::<dyn Fn()>::new(move || status.wake());
    let _ = window.add_event_listener_with_callback("online", cb.as_ref().unchecked_ref());
    cb.forget();
}

fn now() -> f64 {
    js_sys::Date::now()
}

async fn run(state: AppState, status: SyncStatus, mut wake: mpsc::UnboundedReceiver<()>) {
    status.refresh_counts().await;
    let mut failures = 0u32;
    loop {
        let paused = matches!(
            status.problem.get_untracked(),
            Some(Problem::SessionExpired(_))
        );
        if !paused {
            match sync_once(&state, &status).await {
                Ok(()) => {
                    failures = 0;
                    status.problem.set(None);
                }
                Err(SyncError::Api(ApiError::Unauthorized(msg))) => {
                    status.problem.set(Some(Problem::SessionExpired(msg)));
                    // Cut off (perhaps a lost phone): keep only what still has to be sent.
                    if let Err(e) = store::forget_sent_records().await {
                        leptos::logging::error!("cannot forget sent records: {e}");
                    }
                    let _ = store::forget_sent_photos().await;
                }
                Err(SyncError::Api(ApiError::Offline)) => {
                    failures += 1;
                    status.problem.set(Some(Problem::Offline));
                }
                Err(SyncError::Api(
                    e @ (ApiError::Server { .. } | ApiError::Undecodable { .. }),
                )) => {
                    failures += 1;
                    status
                        .problem
                        .set(Some(Problem::Server(e.message(state.lang.get_untracked()))));
                }
                // Not a failure: the user signed out while an answer was on its way, and it was
                // dropped rather than written into the next user's store.
                Err(SyncError::Store(store::StoreError::SignedOutMeanwhile)) => {}
                Err(SyncError::Store(e)) => {
                    leptos::logging::error!("local storage failed: {e}");
                    failures += 1;
                    status.problem.set(Some(Problem::Storage));
                }
            }
            status.refresh_counts().await;
        }
        let delay = backoff::delay_ms(failures, js_sys::Math::random());
        let timer = gloo_timers::future::TimeoutFuture::new(delay).fuse();
        futures::pin_mut!(timer);
        futures::select! {
            _ = wake.next() => {},
            _ = timer => {},
        }
        // Several wakes in a row (save + online) make one sync.
        while wake.try_recv().is_ok() {}
    }
}

/// One round: push everything waiting, then pull until caught up. Server data is applied only
/// after our own uploads were acknowledged.
async fn sync_once(state: &AppState, status: &SyncStatus) -> Result<(), SyncError> {
    let Some(session) = state.session.get_untracked() else {
        return Ok(());
    };
    let lang = state.lang.get_untracked();
    status.running.set(true);
    let result = async {
        // Halved when the server says a batch is too large; one record too large on its own is
        // handed back to its author with the server's reason, never retried forever.
        let mut limit = MAX_PUSH_BATCH as u32;
        loop {
            let batch = store::outbox(limit).await?;
            if batch.is_empty() {
                break;
            }
            let first = batch[0].id.to_string();
            let response =
                match api::push(&session.token, &PushRequest { records: batch }, lang).await {
                    Err(ApiError::Server { status: 413, body }) if limit > 1 => {
                        leptos::logging::warn!("push of {limit} too large: {}", body.message);
                        limit /= 2;
                        continue;
                    }
                    Err(ApiError::Server { status: 413, body }) => {
                        let outcome = PushOutcome::Rejected {
                            message: body.message,
                            errors: Vec::new(),
                        };
                        store::apply_push_results(&[(first, outcome)], now()).await?;
                        continue;
                    }
                    other => other?,
                };
            let results: Vec<_> = response
                .results
                .into_iter()
                .map(|r| (r.id.to_string(), r.outcome))
                .collect();
            store::apply_push_results(&results, now()).await?;
            status.refresh_counts().await;
        }
        upload_photos(&session.token, lang).await?;
        let mut cursor = store::cursor().await?;
        let mut epoch = store::epoch().await?;
        let mut resets = 0;
        loop {
            let page = api::pull(&session.token, cursor, epoch.as_deref(), lang).await?;
            if page.reset {
                // A reset starts the cursor again from 0 in the server's epoch, so another one
                // in the same round means a server that cannot answer at all: after two, the
                // next round tries again.
                resets += 1;
                if resets > 2 {
                    break;
                }
                cursor = 0;
                let requeued = store::start_over(&page.epoch, now(), &session.token).await?;
                epoch = Some(page.epoch);
                if requeued > 0 {
                    // The server's database is another one: what it may lack goes out first.
                    leptos::logging::warn!(
                        "the server's database changed; sending {requeued} records again"
                    );
                    status.refresh_counts().await;
                    status.wake();
                }
                continue;
            }
            store::apply_pull_page(
                &page.changes,
                page.cursor,
                Some(&page.epoch),
                now(),
                Some(&session.token),
            )
            .await?;
            cursor = page.cursor;
            if !page.more {
                break;
            }
        }
        store::set_last_sync(now()).await?;
        // The user's place as the server has it now: a reorganisation moves groups and people
        // to another ward (and may rename a group), and the phone follows at its next sync.
        let me = api::me(&session.token, lang).await?;
        let current = state.session.get_untracked();
        if me != session.me && current.as_ref().is_some_and(|s| s.token == session.token) {
            let updated = store::Session {
                me,
                ..session.clone()
            };
            store::save_session(&updated).await?;
            state.session.set(Some(updated));
        }
        Ok(())
    }
    .await;
    status.running.set(false);
    result
}

/// Bytes per photo upload request: small enough to get through a weak 3G link, so that an
/// interrupted upload loses little and resumes where it stopped.
const PHOTO_CHUNK: u64 = 128 * 1024;

/// Uploads every photo the server does not hold yet, resuming partial uploads. Records go
/// first (they are small and matter most); a record is complete on the server once its photos
/// are. A photo the server refuses is logged and left for the next round, never blocking others.
async fn upload_photos(token: &str, lang: domain::Lang) -> Result<(), SyncError> {
    for photo in store::photos_to_upload().await? {
        // A record submitted meanwhile goes first: stop here, the next round starts at once.
        if store::outbox_len().await? > 0 {
            return Ok(());
        }
        match upload_photo(token, &photo, lang).await {
            Ok(()) => store::mark_photo_uploaded(&photo.sha256).await?,
            Err(e @ (ApiError::Offline | ApiError::Unauthorized(_))) => return Err(e.into()),
            Err(e) => leptos::logging::warn!("photo {} not uploaded: {e:?}", photo.sha256),
        }
    }
    Ok(store::forget_sent_photos().await?)
}

async fn upload_photo(
    token: &str,
    photo: &store::LocalPhoto,
    lang: domain::Lang,
) -> Result<(), ApiError> {
    let total = photo.blob.size() as u64;
    let mut at = api::photo_upload_state(token, &photo.sha256, lang).await?;
    let mut restarts = 0;
    while !at.complete {
        let end = (at.received + PHOTO_CHUNK).min(total);
        let chunk = photo
            .blob
            .slice_with_f64_and_f64(at.received as f64, end as f64)
            .map_err(|_| ApiError::Undecodable { status: 0 })?;
        at = match api::put_photo_chunk(
            token,
            &photo.sha256,
            &photo.content_type,
            total,
            at.received,
            &chunk,
            lang,
        )
        .await
        {
            Ok(next) => next,
            // Out of step (an answer was lost): ask where the server stands and go on from there.
            Err(ApiError::Server { status: 409, .. }) => {
                api::photo_upload_state(token, &photo.sha256, lang).await?
            }
            // Arrived damaged, or a stale upload disagrees: start again from 0, once.
            Err(ApiError::Server {
                status: 400 | 422, ..
            }) if restarts == 0 => {
                restarts += 1;
                domain::api::UploadState {
                    complete: false,
                    received: 0,
                }
            }
            Err(e) => return Err(e),
        };
    }
    Ok(())
}
