//! The phone's IndexedDB: session, cached forms, drafts, the user's records and the outbox.
//!
//! Every operation that must be all-or-nothing (submit = record + outbox entry; a pulled page =
//! its data + the new cursor; a push result = outbox removal + record state) runs in one
//! transaction, with nothing but IndexedDB requests awaited while it is open.

use std::cell::RefCell;

use domain::api::Me;
use domain::form::FormDef;
use domain::record::{RecordEnvelope, RecordStatus};
use domain::sync::{Change, PushOutcome};
use domain::validate::FieldError;
use domain::value::PhotoRef;
use indexed_db_futures::database::{Database, VersionChangeEvent};
use indexed_db_futures::object_store::ObjectStore;
use indexed_db_futures::prelude::*;
use indexed_db_futures::transaction::TransactionMode;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

pub const DB_NAME: &str = "wardbook";
const DB_VERSION: u32 = 2;

const META: &str = "meta";
const FORMS: &str = "forms";
const DRAFTS: &str = "drafts";
const RECORDS: &str = "records";
const OUTBOX: &str = "outbox";
/// Resized photos as Blobs, by SHA-256, until they are uploaded and no draft or queued record
/// uses them (added in version 2).
const PHOTOS: &str = "photos";
const V1_STORES: [&str; 5] = [META, FORMS, DRAFTS, RECORDS, OUTBOX];

/// Why the phone's store could not do what was asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreError {
    /// The browser refused: storage full, the database being cleared or closed.
    Refused(String),
    /// A stored value could not be read back as what this app expects.
    Decode(String),
    /// The user who asked for this signed out meanwhile (a shared phone): nothing was written.
    SignedOutMeanwhile,
}

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreError::Refused(e) => write!(f, "storage refused: {e}"),
            StoreError::Decode(e) => write!(f, "stored data unreadable: {e}"),
            StoreError::SignedOutMeanwhile => f.write_str("signed out meanwhile"),
        }
    }
}

impl StoreError {
    /// What the user is told, in their language.
    pub fn message(&self, lang: domain::Lang) -> &'static str {
        crate::i18n::Msg::StorageProblem.text(lang)
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

/// For code that reports errors as text (logs, the export's error line).
impl From<StoreError> for String {
    fn from(e: StoreError) -> Self {
        e.to_string()
    }
}

fn err(e: impl std::fmt::Display) -> StoreError {
    StoreError::Refused(e.to_string())
}

fn decode_err(e: impl std::fmt::Display) -> StoreError {
    StoreError::Decode(e.to_string())
}

/// Puts `value` under `key` in `store`, inside the caller's transaction.
async fn put<T: Serialize>(store: &ObjectStore<'_>, key: String, value: &T) -> StoreResult<()> {
    store
        .put(value)
        .with_key(key)
        .serde()
        .map_err(err)?
        .await
        .map_err(err)?;
    Ok(())
}

/// One value of `store`, inside the caller's transaction.
async fn get_in<T: serde::de::DeserializeOwned>(
    store: &ObjectStore<'_>,
    key: &str,
) -> StoreResult<Option<T>> {
    store
        .get(key.to_owned())
        .serde()
        .map_err(err)?
        .await
        .map_err(err)
}

/// Whether `token` is still the phone's sign-in, read in the caller's transaction (the
/// `meta` store): an answer that arrives after its user signed out must not be written into the
/// next user's data.
async fn still_signed_in(meta: &ObjectStore<'_>, token: &str) -> StoreResult<()> {
    let session: Option<Session> = get_in(meta, "session").await?;
    if session.is_none_or(|s| s.token != token) {
        return Err(StoreError::SignedOutMeanwhile);
    }
    Ok(())
}

/// A signed-in user, kept so the app opens offline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Session {
    pub token: String,
    pub expires_at: f64,
    pub me: Me,
}

/// A form being filled in; saved on every keystroke.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Draft {
    pub id: String,
    pub form_key: String,
    pub form_version: u32,
    pub group_id: i64,
    pub data: Map<String, Value>,
    pub updated_at: f64,
    /// A correction of a record the server holds: the revision it is based on (sync rule 7).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base: Option<String>,
}

/// Where one of the user's records is, as far as this phone knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LocalState {
    /// In the outbox, not yet acknowledged by the server.
    Outbox,
    /// The server holds it.
    Synced,
    /// The server refused it; the user must correct it.
    Rejected,
    /// The server holds different content under this id.
    Conflict,
}

impl LocalState {
    pub fn as_str(self) -> &'static str {
        match self {
            LocalState::Outbox => "outbox",
            LocalState::Synced => "synced",
            LocalState::Rejected => "rejected",
            LocalState::Conflict => "conflict",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LocalRecord {
    pub id: String,
    pub form_key: String,
    pub form_version: u32,
    pub group_id: i64,
    /// Absent for records filed on another device (known only by their status).
    pub data: Option<Map<String, Value>>,
    pub state: LocalState,
    pub status: Option<RecordStatus>,
    pub status_note: Option<String>,
    /// Why the server refused it, field by field.
    #[serde(default)]
    pub errors: Vec<FieldError>,
    pub message: Option<String>,
    /// When the user submitted it (phone clock, ms).
    pub submitted_at: f64,
    pub updated_at: f64,
    /// The server's current revision of it, when that is not the first (see `RecordState`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revision: Option<String>,
    /// A correction on its way (or refused): the revision sent and the one it was based on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sent_revision: Option<domain::record::Revision>,
}

impl LocalRecord {
    /// Returned by a reviewer, with its data to correct, and not yet taken up again on this
    /// phone (a record returned before the server sent data along cannot be corrected here).
    pub fn returned(&self) -> bool {
        self.state == LocalState::Synced
            && self.status == Some(RecordStatus::Returned)
            && self.data.is_some()
    }

    /// Waits for its author: returned by a reviewer, or refused by the server.
    pub fn needs_action(&self) -> bool {
        self.returned() || self.state == LocalState::Rejected
    }
}

type Opening =
    futures::future::Shared<futures::future::LocalBoxFuture<'static, StoreResult<Database>>>;

thread_local! {
    /// The one connection, opening or open. Shared, so callers racing at start-up wait for the
    /// same open instead of each making a connection (extra ones would block later upgrades).
    static DB: RefCell<Option<Opening>> = const { RefCell::new(None) };
}

async fn open() -> StoreResult<Database> {
    Database::open(DB_NAME)
        .with_version(DB_VERSION)
        .with_on_upgrade_needed(|ev: VersionChangeEvent, db: Database| {
            if ev.old_version() < 1.0 {
                for store in V1_STORES {
                    db.create_object_store(store).build()?;
                }
            }
            if ev.old_version() < 2.0 {
                db.create_object_store(PHOTOS).build()?;
            }
            Ok(())
        })
        .await
        .map_err(err)
        .inspect(yield_to_upgrades)
}

/// When a newer build (in another tab) needs to upgrade the database, this connection closes
/// instead of blocking it; the update banner then offers this tab the new build.
fn yield_to_upgrades(db: &Database) {
    use indexed_db_futures::internals::SystemRepr;
    use wasm_bindgen::JsCast;
    let sys: web_sys::IdbDatabase = db.as_sys().unchecked_ref::<web_sys::IdbDatabase>().clone();
    let to_close = sys.clone();
    let on_change = wasm_bindgen::closure::Closure::<dyn Fn()>::new(move || {
        to_close.close();
        DB.with(|c| *c.borrow_mut() = None);
    });
    sys.set_onversionchange(Some(on_change.as_ref().unchecked_ref()));
    on_change.forget();
}

/// The one open connection, opened on first use.
pub async fn db() -> StoreResult<Database> {
    use futures::FutureExt;
    let opening = DB.with(|c| {
        c.borrow_mut()
            .get_or_insert_with(|| open().boxed_local().shared())
            .clone()
    });
    let result = opening.await;
    if result.is_err() {
        // Let the next call try again rather than remember a failure forever.
        DB.with(|c| *c.borrow_mut() = None);
    }
    result
}

async fn get_meta<T: serde::de::DeserializeOwned>(key: &str) -> StoreResult<Option<T>> {
    get_one(META, key).await
}

/// Puts one value in its own transaction and waits for the commit.
async fn put_one<T: Serialize>(name: &str, key: String, value: &T) -> StoreResult<()> {
    let db = db().await?;
    let tx = db
        .transaction(name)
        .with_mode(TransactionMode::Readwrite)
        .build()
        .map_err(err)?;
    let store = tx.object_store(name).map_err(err)?;
    put(&store, key, value).await?;
    drop(store);
    tx.commit().await.map_err(err)
}

async fn get_all<T: serde::de::DeserializeOwned>(name: &str) -> StoreResult<Vec<T>> {
    let db = db().await?;
    let tx = db.transaction(name).build().map_err(err)?;
    all_in(&tx.object_store(name).map_err(err)?).await
}

/// Every value of a store, inside the caller's transaction.
async fn all_in<T: serde::de::DeserializeOwned>(store: &ObjectStore<'_>) -> StoreResult<Vec<T>> {
    let iter = store
        .get_all::<T>()
        .serde()
        .map_err(err)?
        .await
        .map_err(err)?;
    iter.collect::<Result<Vec<_>, _>>().map_err(decode_err)
}

async fn get_one<T: serde::de::DeserializeOwned>(name: &str, key: &str) -> StoreResult<Option<T>> {
    let db = db().await?;
    let tx = db.transaction(name).build().map_err(err)?;
    let store = tx.object_store(name).map_err(err)?;
    store
        .get(key.to_owned())
        .serde()
        .map_err(err)?
        .await
        .map_err(err)
}

// ---- session -----------------------------------------------------------------------------

pub async fn session() -> StoreResult<Option<Session>> {
    get_meta("session").await
}

/// Saves a new sign-in. The outbox is kept: records wait for their author, whose new token
/// sends them (sync rule 8).
pub async fn save_session(session: &Session) -> StoreResult<()> {
    let db = db().await?;
    let tx = db
        .transaction(META)
        .with_mode(TransactionMode::Readwrite)
        .build()
        .map_err(err)?;
    let store = tx.object_store(META).map_err(err)?;
    put(&store, "session".to_owned(), session).await?;
    put(&store, "owner".to_owned(), &session.me.username).await?;
    drop(store);
    tx.commit().await.map_err(err)
}

/// Whose records this phone holds (the last user who signed in).
pub async fn owner() -> StoreResult<Option<String>> {
    get_meta("owner").await
}

/// Forgets the token but keeps everything else: used when the server says the session ended.
pub async fn forget_token() -> StoreResult<()> {
    let db = db().await?;
    let tx = db
        .transaction(META)
        .with_mode(TransactionMode::Readwrite)
        .build()
        .map_err(err)?;
    let store = tx.object_store(META).map_err(err)?;
    store.delete("session".to_owned()).await.map_err(err)?;
    drop(store);
    tx.commit().await.map_err(err)
}

/// A sign-in that ended (expired, or revoked for a lost phone): what is already on the server
/// leaves the phone, so a lost phone shows nothing it no longer needs; what still waits (the
/// outbox, refused records, drafts, and records whose photos the server does not hold yet)
/// stays until the user signs in again and sends it. A synced record whose photo is still
/// waiting is the only list of that photo to send: dropping it would lose the photo. The cursor
/// goes back to 0, so the next pull brings the statuses back.
pub async fn forget_sent_records() -> StoreResult<()> {
    let db = db().await?;
    let tx = db
        .transaction([RECORDS, META, PHOTOS])
        .with_mode(TransactionMode::Readwrite)
        .build()
        .map_err(err)?;
    let unsent_photos: std::collections::HashSet<String> =
        all_photos(&tx.object_store(PHOTOS).map_err(err)?)
            .await?
            .into_iter()
            .filter(|p| !p.uploaded)
            .map(|p| p.sha256)
            .collect();
    let records = tx.object_store(RECORDS).map_err(err)?;
    let all: Vec<LocalRecord> = all_in(&records).await?;
    for r in all.into_iter().filter(|r| r.state == LocalState::Synced) {
        let waits_for_a_photo = photo_use(&[], std::slice::from_ref(&r))
            .by_records
            .iter()
            .any(|sha| unsent_photos.contains(sha));
        if !waits_for_a_photo {
            records.delete(r.id).await.map_err(err)?;
        }
    }
    put(
        &tx.object_store(META).map_err(err)?,
        "cursor".to_owned(),
        &0i64,
    )
    .await?;
    drop(records);
    tx.commit().await.map_err(err)
}

/// Signing out on a shared phone: nothing of this user stays readable. Forms stay (they are not
/// personal) but the cursor goes, so the next user pulls their own view.
pub async fn wipe_user_data() -> StoreResult<()> {
    let db = db().await?;
    let stores = [META, DRAFTS, RECORDS, OUTBOX, PHOTOS];
    let tx = db
        .transaction(stores)
        .with_mode(TransactionMode::Readwrite)
        .build()
        .map_err(err)?;
    for name in stores {
        tx.object_store(name)
            .map_err(err)?
            .clear()
            .map_err(err)?
            .await
            .map_err(err)?;
    }
    tx.commit().await.map_err(err)
}

// ---- forms -------------------------------------------------------------------------------

fn form_id(key: &str, version: u32) -> String {
    format!("{key}@{version:08}")
}

pub async fn forms() -> StoreResult<Vec<FormDef>> {
    get_all(FORMS).await
}

pub async fn form(key: &str, version: u32) -> StoreResult<Option<FormDef>> {
    get_one(FORMS, &form_id(key, version)).await
}

/// The newest cached version of a form.
pub async fn latest_form(key: &str) -> StoreResult<Option<FormDef>> {
    Ok(forms()
        .await?
        .into_iter()
        .filter(|f| f.key == key)
        .max_by_key(|f| f.version))
}

// ---- drafts ------------------------------------------------------------------------------

pub async fn drafts() -> StoreResult<Vec<Draft>> {
    get_all(DRAFTS).await
}

pub async fn draft(id: &str) -> StoreResult<Option<Draft>> {
    get_one(DRAFTS, id).await
}

pub async fn save_draft(draft: &Draft) -> StoreResult<()> {
    put_one(DRAFTS, draft.id.clone(), draft).await
}

pub async fn delete_draft(id: &str) -> StoreResult<()> {
    let db = db().await?;
    let tx = db
        .transaction(DRAFTS)
        .with_mode(TransactionMode::Readwrite)
        .build()
        .map_err(err)?;
    tx.object_store(DRAFTS)
        .map_err(err)?
        .delete(id.to_owned())
        .await
        .map_err(err)?;
    tx.commit().await.map_err(err)
}

// ---- records and the outbox ---------------------------------------------------------------

pub async fn records() -> StoreResult<Vec<LocalRecord>> {
    get_all(RECORDS).await
}

pub async fn record(id: &str) -> StoreResult<Option<LocalRecord>> {
    get_one(RECORDS, id).await
}

/// Outbox entries in id order; ids are UUIDv7, so that is the order they were made.
pub async fn outbox(limit: u32) -> StoreResult<Vec<RecordEnvelope>> {
    // IndexedDB reads a limit of 0 as "no limit".
    if limit == 0 {
        return Ok(Vec::new());
    }
    let db = db().await?;
    let tx = db.transaction(OUTBOX).build().map_err(err)?;
    let store = tx.object_store(OUTBOX).map_err(err)?;
    let iter = store
        .get_all::<RecordEnvelope>()
        .with_limit(limit)
        .serde()
        .map_err(err)?
        .await
        .map_err(err)?;
    iter.collect::<Result<Vec<_>, _>>().map_err(decode_err)
}

pub async fn outbox_len() -> StoreResult<u32> {
    let db = db().await?;
    let tx = db.transaction(OUTBOX).build().map_err(err)?;
    tx.object_store(OUTBOX)
        .map_err(err)?
        .count()
        .await
        .map_err(err)
}

fn local_record(envelope: &RecordEnvelope, now: f64) -> LocalRecord {
    LocalRecord {
        id: envelope.id.to_string(),
        form_key: envelope.form_key.clone(),
        form_version: envelope.form_version,
        group_id: envelope.group_id,
        data: Some(envelope.data.clone()),
        state: LocalState::Outbox,
        status: None,
        status_note: None,
        errors: Vec::new(),
        message: None,
        submitted_at: now,
        updated_at: now,
        revision: None,
        sent_revision: envelope.revision,
    }
}

/// Submits a record: the record, its outbox entry and the removal of its draft are one
/// transaction (sync rule 2), so a crash leaves either all of it or none.
pub async fn submit(envelope: &RecordEnvelope, now: f64) -> StoreResult<()> {
    let id = envelope.id.to_string();
    let mut record = local_record(envelope, now);
    let db = db().await?;
    let tx = db
        .transaction([RECORDS, OUTBOX, DRAFTS])
        .with_mode(TransactionMode::Readwrite)
        .build()
        .map_err(err)?;
    let records = tx.object_store(RECORDS).map_err(err)?;
    if envelope.revision.is_some() {
        // A correction: what the reviewer said stays with it until the server takes it (the
        // server may refuse the correction, and the note is still what to correct).
        let before: Option<LocalRecord> = records
            .get(id.clone())
            .serde()
            .map_err(err)?
            .await
            .map_err(err)?;
        if let Some(before) = before {
            record.status = before.status;
            record.status_note = before.status_note;
            record.revision = before.revision;
            record.submitted_at = before.submitted_at;
        }
    }
    let outbox = tx.object_store(OUTBOX).map_err(err)?;
    let drafts = tx.object_store(DRAFTS).map_err(err)?;
    put(&records, id.clone(), &record).await?;
    put(&outbox, id.clone(), envelope).await?;
    drafts.delete(id).await.map_err(err)?;
    drop((records, outbox, drafts));
    tx.commit().await.map_err(err)
}

/// Applies the server's answers to a push. An outbox entry is removed only here, after the
/// server acknowledged it (sync rule 4); rejected and conflicting records leave the outbox but
/// stay in the user's records with the reason, so they never block the ones behind them.
pub async fn apply_push_results(results: &[(String, PushOutcome)], now: f64) -> StoreResult<()> {
    let db = db().await?;
    let tx = db
        .transaction([RECORDS, OUTBOX, PHOTOS])
        .with_mode(TransactionMode::Readwrite)
        .build()
        .map_err(err)?;
    let records = tx.object_store(RECORDS).map_err(err)?;
    let outbox = tx.object_store(OUTBOX).map_err(err)?;
    let photos = tx.object_store(PHOTOS).map_err(err)?;
    for (id, outcome) in results {
        let existing: Option<LocalRecord> = records
            .get(id.clone())
            .serde()
            .map_err(err)?
            .await
            .map_err(err)?;
        let mut rec = match existing {
            Some(rec) => rec,
            None => {
                // Only the outbox entry is left: rebuild the record from it, so a refused
                // record's data is never dropped.
                let entry: Option<RecordEnvelope> = outbox
                    .get(id.clone())
                    .serde()
                    .map_err(err)?
                    .await
                    .map_err(err)?;
                let Some(entry) = entry else { continue };
                local_record(&entry, now)
            }
        };
        match outcome {
            PushOutcome::Accepted | PushOutcome::Duplicate => {
                rec.state = LocalState::Synced;
                // A correction taken: it is the current revision, back for review.
                if let Some(sent) = rec.sent_revision.take() {
                    rec.revision = Some(sent.id.to_string());
                    rec.status = Some(RecordStatus::Received);
                    rec.status_note = None;
                }
                rec.status.get_or_insert(RecordStatus::Received);
                rec.errors.clear();
                rec.message = None;
            }
            PushOutcome::Rejected { message, errors } => {
                rec.state = LocalState::Rejected;
                rec.errors = errors.clone();
                rec.message = Some(message.clone());
            }
            PushOutcome::Conflict { message } => {
                rec.state = LocalState::Conflict;
                rec.message = Some(message.clone());
            }
        }
        // The server holds a copy naming these photos: from now on they are owed to it.
        if !matches!(outcome, PushOutcome::Rejected { .. }) {
            if let Some(data) = &rec.data {
                for sha in domain::value::photo_shas(data) {
                    mark_photo(&photos, &sha, "owed").await?;
                }
            }
        }
        rec.updated_at = now;
        put(&records, id.clone(), &rec).await?;
        outbox.delete(id.clone()).await.map_err(err)?;
    }
    drop((records, outbox, photos));
    tx.commit().await.map_err(err)
}

pub async fn cursor() -> StoreResult<i64> {
    Ok(get_meta::<i64>("cursor").await?.unwrap_or(0))
}

/// The identity of the server database the cursor counts in (none before the first pull, and
/// on phones that pulled before the server named it).
pub async fn epoch() -> StoreResult<Option<String>> {
    get_meta("epoch").await
}

/// The server said "reset". The cursor goes back to 0 and the server's epoch is kept with it.
/// A reset after this phone has pulled from a server that names its epoch means the server's
/// database is another one (another epoch: restored from a backup, or replaced) or went back in
/// time (the same epoch, but the phone's cursor is past its counter): either way what the phone
/// holds as synced may be missing there. Every synced record whose data the phone has goes back
/// into the outbox, with its photos marked as not sent, all in this one transaction. Pushing them
/// again is harmless: what the server still has answers "duplicate". Returns how many records
/// went back into the outbox.
pub async fn start_over(new_epoch: &str, now: f64, for_token: &str) -> StoreResult<u32> {
    let db = db().await?;
    let tx = db
        .transaction([RECORDS, OUTBOX, META, PHOTOS])
        .with_mode(TransactionMode::Readwrite)
        .build()
        .map_err(err)?;
    let meta = tx.object_store(META).map_err(err)?;
    still_signed_in(&meta, for_token).await?;
    let old: Option<String> = get_in(&meta, "epoch").await?;
    put(&meta, "cursor".to_owned(), &0i64).await?;
    // An older server names no epoch: nothing to keep, nothing to compare.
    if !new_epoch.is_empty() {
        put(&meta, "epoch".to_owned(), &new_epoch).await?;
    }
    let mut requeued = 0;
    if old.as_deref().is_some_and(|o| !o.is_empty()) && !new_epoch.is_empty() {
        let records = tx.object_store(RECORDS).map_err(err)?;
        let outbox = tx.object_store(OUTBOX).map_err(err)?;
        let photos = tx.object_store(PHOTOS).map_err(err)?;
        let mut shas = std::collections::HashSet::new();
        let all: Vec<LocalRecord> = all_in(&records).await?;
        // A correction still waiting names a revision the other database never had: it goes
        // as a first submission of the record, like the synced ones below.
        let waiting: Vec<RecordEnvelope> = all_in(&outbox).await?;
        for mut e in waiting.into_iter().filter(|e| e.revision.is_some()) {
            e.revision = None;
            put(&outbox, e.id.to_string(), &e).await?;
        }
        for mut r in all.iter().filter(|r| r.sent_revision.is_some()).cloned() {
            r.sent_revision = None;
            put(&records, r.id.clone(), &r).await?;
        }
        for mut r in all.into_iter().filter(|r| r.state == LocalState::Synced) {
            let Some(data) = r.data.clone() else { continue };
            let Ok(id) = r.id.parse() else { continue };
            let envelope = RecordEnvelope {
                id,
                form_key: r.form_key.clone(),
                form_version: r.form_version,
                group_id: r.group_id,
                created_at: js_sys::Date::new(&r.submitted_at.into())
                    .to_iso_string()
                    .into(),
                data,
                // The other database has no history of it: it starts again as a first submission.
                revision: None,
            };
            shas.extend(photo_use(&[], std::slice::from_ref(&r)).by_records);
            // In the other database the record starts again: its first revision is itself.
            r.revision = None;
            r.state = LocalState::Outbox;
            r.updated_at = now;
            put(&outbox, r.id.clone(), &envelope).await?;
            put(&records, r.id.clone(), &r).await?;
            requeued += 1;
        }
        for sha in shas {
            if let Some(v) = get_raw(&photos, &sha).await? {
                js_sys::Reflect::set(&v, &"uploaded".into(), &false.into())
                    .map_err(|e| StoreError::Refused(format!("{e:?}")))?;
                photos
                    .put(v)
                    .with_key(sha)
                    .primitive()
                    .map_err(err)?
                    .await
                    .map_err(err)?;
            }
        }
    }
    drop(meta);
    tx.commit().await.map_err(err)?;
    Ok(requeued)
}

/// Applies a pulled page. With `for_token`, only if that sign-in is still the phone's: an answer
/// that arrives after its user signed out (a shared phone) must not write into the next user's
/// store.
pub async fn apply_pull(
    changes: &[Change],
    cursor: i64,
    now: f64,
    for_token: Option<&str>,
) -> StoreResult<()> {
    apply_pull_page(changes, cursor, None, now, for_token).await
}

/// [`apply_pull`], also keeping the server's `epoch` with the cursor.
pub async fn apply_pull_page(
    changes: &[Change],
    cursor: i64,
    epoch: Option<&str>,
    now: f64,
    for_token: Option<&str>,
) -> StoreResult<()> {
    let db = db().await?;
    let tx = db
        .transaction([FORMS, RECORDS, META])
        .with_mode(TransactionMode::Readwrite)
        .build()
        .map_err(err)?;
    let forms = tx.object_store(FORMS).map_err(err)?;
    let records = tx.object_store(RECORDS).map_err(err)?;
    let meta = tx.object_store(META).map_err(err)?;
    if let Some(token) = for_token {
        // On an error the transaction is dropped without committing: nothing is written.
        still_signed_in(&meta, token).await?;
    }
    for change in changes {
        match change {
            Change::Form { form } => {
                put(&forms, form_id(&form.key, form.version), form).await?;
            }
            Change::Record(state) => {
                let id = state.id.to_string();
                let existing: Option<LocalRecord> = records
                    .get(id.clone())
                    .serde()
                    .map_err(err)?
                    .await
                    .map_err(err)?;
                let rec = match existing {
                    // Never overwrite what still waits to be sent or corrected.
                    Some(r) if matches!(r.state, LocalState::Outbox | LocalState::Rejected) => {
                        continue
                    }
                    Some(mut r) => {
                        r.status = Some(state.status);
                        r.status_note = state.note.clone();
                        r.updated_at = state.updated_at as f64;
                        r.revision = state.revision.map(|v| v.to_string());
                        if r.state == LocalState::Conflict && !state.conflict_open {
                            // News of the record settles our copy here: it stays on the server
                            // for a reviewer (or was set aside), or a reviewer made it the
                            // record's revision. Either way the server's record is what counts.
                            let ours = r
                                .sent_revision
                                .is_some_and(|s| Some(s.id) == state.revision);
                            if !ours {
                                r.data = None;
                            }
                            r.state = LocalState::Synced;
                            r.message = None;
                            r.sent_revision = None;
                        }
                        // Returned: the data to correct, whatever this phone kept.
                        if state.data.is_some() {
                            r.data = state.data.clone();
                        }
                        r
                    }
                    None => LocalRecord {
                        id: id.clone(),
                        form_key: state.form_key.clone(),
                        form_version: state.form_version,
                        group_id: state.group_id,
                        data: state.data.clone(),
                        state: LocalState::Synced,
                        status: Some(state.status),
                        status_note: state.note.clone(),
                        errors: Vec::new(),
                        message: None,
                        submitted_at: state.updated_at as f64,
                        updated_at: state.updated_at as f64,
                        revision: state.revision.map(|v| v.to_string()),
                        sent_revision: None,
                    },
                };
                put(&records, id, &rec).await?;
            }
        }
    }
    put(&meta, "cursor".to_owned(), &cursor).await?;
    if let Some(epoch) = epoch.filter(|e| !e.is_empty()) {
        put(&meta, "epoch".to_owned(), &epoch).await?;
    }
    put(&meta, "last_pull".to_owned(), &now).await?;
    drop((forms, records, meta));
    tx.commit().await.map_err(err)
}

pub async fn set_last_sync(now: f64) -> StoreResult<()> {
    put_one(META, "last_sync".to_owned(), &now).await
}

pub async fn last_sync() -> StoreResult<Option<f64>> {
    get_meta("last_sync").await
}

// ---- photos ------------------------------------------------------------------------------

/// A value stored without serde (a photo holds a Blob, which serde cannot carry).
async fn get_raw(store: &ObjectStore<'_>, key: &str) -> StoreResult<Option<wasm_bindgen::JsValue>> {
    store
        .get(key.to_owned())
        .primitive()
        .map_err(err)?
        .await
        .map_err(err)
}

/// Every photo in the store, read in the caller's transaction.
async fn all_photos(store: &ObjectStore<'_>) -> StoreResult<Vec<LocalPhoto>> {
    let all = store
        .get_all::<wasm_bindgen::JsValue>()
        .primitive()
        .map_err(err)?
        .await
        .map_err(err)?;
    Ok(all
        .filter_map(Result::ok)
        .filter_map(|v| local_photo(&v))
        .collect())
}

/// A photo waiting on the phone: its reference as the record holds it, and the image.
#[derive(Clone)]
pub struct LocalPhoto {
    /// When it was taken (ms); a photo that was never sent is kept at least a day.
    pub saved_at: f64,
    pub sha256: String,
    pub content_type: String,
    pub blob: web_sys::Blob,
    pub uploaded: bool,
    /// A record the server holds (taken, or kept as a conflicting copy) names it: it is sent
    /// whatever later happens to the record on this phone (a pull replacing the data of a copy
    /// in conflict, a reviewer's choice), and never forgotten before it is.
    pub owed: bool,
}

/// Keeps a resized photo under its SHA-256. Saving the same photo twice keeps one copy.
pub async fn save_photo(reference: &PhotoRef, blob: &web_sys::Blob) -> StoreResult<()> {
    let sha = reference.sha256.clone();
    let obj = js_sys::Object::new();
    let set =
        |k: &str, v: &wasm_bindgen::JsValue| js_sys::Reflect::set(&obj, &k.into(), v).map(|_| ());
    set("sha256", &sha.as_str().into()).map_err(|e| StoreError::Refused(format!("{e:?}")))?;
    set("type", &reference.content_type.as_str().into())
        .map_err(|e| StoreError::Refused(format!("{e:?}")))?;
    set("blob", blob).map_err(|e| StoreError::Refused(format!("{e:?}")))?;
    set("uploaded", &false.into()).map_err(|e| StoreError::Refused(format!("{e:?}")))?;
    set("saved_at", &js_sys::Date::now().into())
        .map_err(|e| StoreError::Refused(format!("{e:?}")))?;
    let db = db().await?;
    let tx = db
        .transaction(PHOTOS)
        .with_mode(TransactionMode::Readwrite)
        .build()
        .map_err(err)?;
    let store = tx.object_store(PHOTOS).map_err(err)?;
    let existing = get_raw(&store, &sha).await?;
    if existing.is_none() {
        store
            .put(wasm_bindgen::JsValue::from(obj))
            .with_key(sha)
            .primitive()
            .map_err(err)?
            .await
            .map_err(err)?;
    }
    drop(store);
    tx.commit().await.map_err(err)
}

fn local_photo(v: &wasm_bindgen::JsValue) -> Option<LocalPhoto> {
    use wasm_bindgen::JsCast;
    let get = |k: &str| js_sys::Reflect::get(v, &k.into()).ok();
    Some(LocalPhoto {
        saved_at: get("saved_at").and_then(|v| v.as_f64()).unwrap_or(0.0),
        sha256: get("sha256")?.as_string()?,
        content_type: get("type")?.as_string()?,
        blob: get("blob")?.dyn_into().ok()?,
        uploaded: get("uploaded")?.as_bool().unwrap_or(false),
        owed: get("owed").and_then(|v| v.as_bool()).unwrap_or(false),
    })
}

pub async fn photo(sha: &str) -> StoreResult<Option<LocalPhoto>> {
    let db = db().await?;
    let tx = db.transaction(PHOTOS).build().map_err(err)?;
    let store = tx.object_store(PHOTOS).map_err(err)?;
    let v = get_raw(&store, sha).await?;
    Ok(v.as_ref().and_then(local_photo))
}

/// Photos not yet on the server that a submitted record names. A photo only in a draft waits
/// until the draft is submitted; one the user removed is never sent.
pub async fn photos_to_upload() -> StoreResult<Vec<LocalPhoto>> {
    let db = db().await?;
    let count = {
        let tx = db.transaction(PHOTOS).build().map_err(err)?;
        let store = tx.object_store(PHOTOS).map_err(err)?;
        store.count().await.map_err(err)?
    };
    if count == 0 {
        return Ok(Vec::new());
    }
    let named = photo_use(&drafts().await?, &records().await?).by_records;
    let tx = db.transaction(PHOTOS).build().map_err(err)?;
    let store = tx.object_store(PHOTOS).map_err(err)?;
    Ok(all_photos(&store)
        .await?
        .into_iter()
        .filter(|p| !p.uploaded && (p.owed || named.contains(&p.sha256)))
        .collect())
}

/// Which photos the phone's drafts and records name.
struct PhotoUse {
    /// Named by a draft or by a record not yet settled on the server.
    still_needed: std::collections::HashSet<String>,
    /// Named by any submitted record.
    by_records: std::collections::HashSet<String>,
}

fn photo_use(drafts: &[Draft], records: &[LocalRecord]) -> PhotoUse {
    fn collect(data: &Map<String, Value>, out: &mut std::collections::HashSet<String>) {
        out.extend(domain::value::photo_shas(data));
    }
    let mut still_needed = std::collections::HashSet::new();
    let mut by_records = std::collections::HashSet::new();
    for d in drafts {
        collect(&d.data, &mut still_needed);
    }
    for r in records {
        let Some(data) = &r.data else { continue };
        // A refused record's photos wait for the user. A conflicting copy is kept on the server
        // for a reviewer to choose, so its photos go too.
        if matches!(
            r.state,
            LocalState::Outbox | LocalState::Synced | LocalState::Conflict
        ) {
            collect(data, &mut by_records);
        }
        if r.state != LocalState::Synced {
            collect(data, &mut still_needed);
        }
    }
    PhotoUse {
        still_needed,
        by_records,
    }
}

/// How many photos of submitted records have not reached the server yet.
pub async fn photos_waiting() -> StoreResult<u32> {
    Ok(photos_to_upload().await?.len() as u32)
}

/// Notes that the server holds this photo.
pub async fn mark_photo_uploaded(sha: &str) -> StoreResult<()> {
    let db = db().await?;
    let tx = db
        .transaction(PHOTOS)
        .with_mode(TransactionMode::Readwrite)
        .build()
        .map_err(err)?;
    let store = tx.object_store(PHOTOS).map_err(err)?;
    mark_photo(&store, sha, "uploaded").await?;
    drop(store);
    tx.commit().await.map_err(err)
}

/// Sets the photo's `flag` (`uploaded`, `owed`), in the caller's transaction; nothing if the
/// phone does not hold it.
async fn mark_photo(store: &ObjectStore<'_>, sha: &str, flag: &str) -> StoreResult<()> {
    let Some(v) = get_raw(store, sha).await? else {
        return Ok(());
    };
    js_sys::Reflect::set(&v, &flag.into(), &true.into())
        .map_err(|e| StoreError::Refused(format!("{e:?}")))?;
    store
        .put(v)
        .with_key(sha.to_owned())
        .primitive()
        .map_err(err)?
        .await
        .map_err(err)?;
    Ok(())
}

/// Drops photos nothing needs any more: uploaded ones that no draft or unsettled record uses,
/// and ones the user removed before submitting (never uploaded, named by nothing).
pub async fn forget_sent_photos() -> StoreResult<()> {
    // One transaction: a photo saved while this runs cannot be judged unused by a stale read.
    let db = db().await?;
    let tx = db
        .transaction([DRAFTS, RECORDS, PHOTOS])
        .with_mode(TransactionMode::Readwrite)
        .build()
        .map_err(err)?;
    let drafts: Vec<Draft> = all_in(&tx.object_store(DRAFTS).map_err(err)?).await?;
    let records: Vec<LocalRecord> = all_in(&tx.object_store(RECORDS).map_err(err)?).await?;
    let usage = photo_use(&drafts, &records);
    let store = tx.object_store(PHOTOS).map_err(err)?;
    let day_ago = js_sys::Date::now() - 86_400_000.0;
    for p in all_photos(&store).await? {
        let needed = usage.still_needed.contains(&p.sha256);
        let unsent_but_named = !p.uploaded && (p.owed || usage.by_records.contains(&p.sha256));
        // A photo never sent is kept a day whatever happens, in case a draft naming it is
        // still being saved.
        let fresh = !p.uploaded && p.saved_at > day_ago;
        if !needed && !unsent_but_named && !fresh {
            store.delete(p.sha256).await.map_err(err)?;
        }
    }
    drop(store);
    tx.commit().await.map_err(err)
}
