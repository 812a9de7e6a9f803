//! Browser tests of the IndexedDB store and the outbox (sync rules 2, 4, 6 and 8).
//!
//! Run with `CHROMEDRIVER=/usr/bin/chromedriver cargo test -p app --target wasm32-unknown-unknown`.
//! All tests share the one "wardbook" database of the test page and run one after another, so
//! each starts by wiping the user's data. Cached forms survive a wipe by design, so the tests
//! that store forms use a version number no other test uses.

use app::browser::new_id;
use app::i18n::Msg;
use app::store::{self, Draft, LocalState, Session};
use domain::api::{Me, Place, Role};
use domain::form::FormDef;
use domain::record::{RecordEnvelope, RecordStatus};
use domain::sync::{Change, PushOutcome, RecordState};
use domain::validate::{FieldError, Violation};
use domain::Lang;
use indexed_db_futures::database::Database;
use indexed_db_futures::prelude::*;
use serde_json::{json, Map, Value};
use uuid::Uuid;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const NOW: f64 = 1_764_000_000_000.0;

/// Every test starts from a phone nobody has used (apart from cached forms).
async fn clean() {
    store::wipe_user_data().await.unwrap();
    assert_eq!(store::outbox_len().await.unwrap(), 0);
    assert!(store::records().await.unwrap().is_empty());
    assert!(store::drafts().await.unwrap().is_empty());
    assert_eq!(store::session().await.unwrap(), None);
}

/// Waits long enough for the next UUIDv7 to carry a later millisecond.
async fn next_ms() {
    gloo_timers::future::TimeoutFuture::new(3).await;
}

fn data(v: Value) -> Map<String, Value> {
    v.as_object().unwrap().clone()
}

fn envelope(id: Uuid, description: &str) -> RecordEnvelope {
    RecordEnvelope {
        id,
        form_key: "neighborhood_report".into(),
        form_version: 1,
        group_id: 7,
        created_at: "2026-11-25T14:00:00Z".into(),
        data: data(json!({
            "category": "noise",
            "description": description,
            "people_involved": 2,
            "location": {"street": "Hàng Bạc", "no": 12},
        })),
        revision: None,
    }
}

fn draft(id: Uuid, description: &str) -> Draft {
    Draft {
        id: id.to_string(),
        form_key: "neighborhood_report".into(),
        form_version: 1,
        group_id: 7,
        data: data(json!({"description": description})),
        updated_at: NOW - 1_000.0,
        base: None,
    }
}

/// The built-in form under a version no other test (or earlier run in this browser) stored.
/// A form version no earlier test stored, and newer than all of them (so it is the latest).
fn fresh_form() -> FormDef {
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(1_000);
    let mut form = FormDef::builtin().remove(0);
    form.version = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    form
}

fn session(username: &str) -> Session {
    Session {
        token: format!("token-of-{username}"),
        expires_at: NOW + 86_400_000.0,
        me: Me {
            user_id: 42,
            username: username.into(),
            display_name: "Nguyễn Văn An".into(),
            role: Role::GroupLeader,
            ward: Some(Place {
                id: 1,
                name: "Phường Hàng Bạc".into(),
            }),
            group: Some(Place {
                id: 7,
                name: "Tổ 7".into(),
            }),
            groups: vec![Place {
                id: 7,
                name: "Tổ 7".into(),
            }],
            province: None,
            ward_kind: None,
        },
    }
}

fn record_state(id: Uuid, status: RecordStatus, note: Option<&str>) -> RecordState {
    RecordState {
        id,
        form_key: "neighborhood_report".into(),
        form_version: 1,
        group_id: 7,
        status,
        updated_at: 1_764_000_500_000,
        note: note.map(str::to_owned),
        revision: None,
        data: None,
        conflict_open: false,
    }
}

async fn state_of(id: Uuid) -> LocalState {
    store::record(&id.to_string())
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("record {id} is missing"))
        .state
}

async fn outbox_ids() -> Vec<Uuid> {
    store::outbox(1_000)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.id)
        .collect()
}

#[wasm_bindgen_test]
async fn submitting_a_record_writes_the_record_and_its_outbox_entry_and_removes_its_draft() {
    clean().await;
    let id = new_id();
    let other = new_id();
    store::save_draft(&draft(id, "half written")).await.unwrap();
    store::save_draft(&draft(other, "another one"))
        .await
        .unwrap();
    assert_eq!(
        store::draft(&id.to_string()).await.unwrap(),
        Some(draft(id, "half written"))
    );

    let env = envelope(id, "Loud music after 23:00");
    store::submit(&env, NOW).await.unwrap();

    assert_eq!(store::draft(&id.to_string()).await.unwrap(), None);
    assert_eq!(
        store::draft(&other.to_string()).await.unwrap(),
        Some(draft(other, "another one")),
        "only the submitted record's draft goes"
    );
    assert_eq!(store::outbox(10).await.unwrap(), vec![env.clone()]);
    assert_eq!(store::outbox_len().await.unwrap(), 1);
    let rec = store::record(&id.to_string()).await.unwrap().unwrap();
    assert_eq!(rec.state, LocalState::Outbox);
    assert_eq!(rec.data.as_ref(), Some(&env.data));
    assert_eq!(
        (rec.form_key.as_str(), rec.form_version, rec.group_id),
        ("neighborhood_report", 1, 7)
    );
    assert_eq!((rec.status, rec.submitted_at), (None, NOW));
    assert!(rec.errors.is_empty() && rec.message.is_none());
}

#[wasm_bindgen_test]
async fn outbox_entries_come_back_in_the_order_the_records_were_made_up_to_the_limit() {
    clean().await;
    let mut made = Vec::new();
    for _ in 0..5 {
        made.push(new_id());
        next_ms().await;
    }
    // Submitted newest first (e.g. older drafts finished later): the outbox still sends the
    // record made first, first — by id, not by submission order or submission time.
    for (n, (i, &id)) in made.iter().enumerate().rev().enumerate() {
        store::submit(&envelope(id, &format!("record {i}")), NOW + n as f64)
            .await
            .unwrap();
    }

    assert_eq!(store::outbox_len().await.unwrap(), 5);
    assert_eq!(outbox_ids().await, made);
    let first_two = store::outbox(2).await.unwrap();
    assert_eq!(
        first_two.iter().map(|e| e.id).collect::<Vec<_>>(),
        made[..2].to_vec()
    );
    assert_eq!(first_two[0], envelope(made[0], "record 0"));
}

#[wasm_bindgen_test]
async fn push_results_remove_only_acknowledged_entries_and_keep_refused_records_with_the_reason() {
    clean().await;
    let [accepted, duplicate, rejected, conflict, unanswered] = [(); 5].map(|_| new_id());
    for id in [accepted, duplicate, rejected, conflict, unanswered] {
        store::submit(&envelope(id, "report"), NOW).await.unwrap();
    }
    let errors = vec![
        FieldError::new("description", Violation::Required, Lang::En),
        FieldError::new(
            "people_involved",
            Violation::TooLarge { max: 50.0 },
            Lang::En,
        ),
    ];
    let results = vec![
        (accepted.to_string(), PushOutcome::Accepted),
        (duplicate.to_string(), PushOutcome::Duplicate),
        (
            rejected.to_string(),
            PushOutcome::Rejected {
                message: "Please correct the marked fields.".into(),
                errors: errors.clone(),
            },
        ),
        (
            conflict.to_string(),
            PushOutcome::Conflict {
                message: "The server holds a different version.".into(),
            },
        ),
    ];
    store::apply_push_results(&results, NOW + 5_000.0)
        .await
        .unwrap();

    // Nothing leaves the outbox without an acknowledgement.
    assert_eq!(outbox_ids().await, vec![unanswered]);
    assert_eq!(store::outbox_len().await.unwrap(), 1);
    assert_eq!(state_of(unanswered).await, LocalState::Outbox);

    for id in [accepted, duplicate] {
        let rec = store::record(&id.to_string()).await.unwrap().unwrap();
        assert_eq!(rec.state, LocalState::Synced);
        assert_eq!(rec.status, Some(RecordStatus::Received));
        assert_eq!(rec.updated_at, NOW + 5_000.0);
        assert!(rec.data.is_some(), "the user's own copy is kept");
    }

    let rec = store::record(&rejected.to_string()).await.unwrap().unwrap();
    assert_eq!(rec.state, LocalState::Rejected);
    assert_eq!(rec.errors, errors);
    assert_eq!(
        rec.message.as_deref(),
        Some("Please correct the marked fields.")
    );
    assert_eq!(
        rec.data.as_ref(),
        Some(&envelope(rejected, "report").data),
        "kept for the user to correct"
    );

    let rec = store::record(&conflict.to_string()).await.unwrap().unwrap();
    assert_eq!(rec.state, LocalState::Conflict);
    assert_eq!(
        rec.message.as_deref(),
        Some("The server holds a different version.")
    );
    assert!(rec.data.is_some());
}

#[wasm_bindgen_test]
async fn a_pulled_page_stores_forms_and_cursor_together_and_never_overwrites_unsent_records() {
    clean().await;
    assert_eq!(store::cursor().await.unwrap(), 0);
    let [waiting, refused, synced, elsewhere, clashed] = [(); 5].map(|_| new_id());
    for id in [waiting, refused, synced, clashed] {
        store::submit(&envelope(id, "report"), NOW).await.unwrap();
    }
    store::apply_push_results(
        &[
            (
                refused.to_string(),
                PushOutcome::Rejected {
                    message: "no".into(),
                    errors: vec![],
                },
            ),
            (synced.to_string(), PushOutcome::Accepted),
            (
                clashed.to_string(),
                PushOutcome::Conflict {
                    message: "differs".into(),
                },
            ),
        ],
        NOW,
    )
    .await
    .unwrap();
    let form = fresh_form();
    assert_eq!(store::form(&form.key, form.version).await.unwrap(), None);

    let changes = vec![
        Change::Form { form: form.clone() },
        Change::Record(record_state(waiting, RecordStatus::Resolved, None)),
        Change::Record(record_state(refused, RecordStatus::Resolved, None)),
        Change::Record(record_state(
            synced,
            RecordStatus::InProgress,
            Some("Officer Bình is on it"),
        )),
        Change::Record(record_state(elsewhere, RecordStatus::Returned, Some("fix"))),
        Change::Record(RecordState {
            conflict_open: true,
            ..record_state(clashed, RecordStatus::InProgress, None)
        }),
    ];
    store::apply_pull(&changes, 42, NOW + 9_000.0, None)
        .await
        .unwrap();

    assert_eq!(store::cursor().await.unwrap(), 42);
    assert_eq!(
        store::form(&form.key, form.version).await.unwrap(),
        Some(form.clone())
    );
    assert_eq!(
        store::latest_form(&form.key)
            .await
            .unwrap()
            .map(|f| f.version),
        Some(form.version)
    );

    let rec = store::record(&synced.to_string()).await.unwrap().unwrap();
    assert_eq!(rec.state, LocalState::Synced);
    assert_eq!(rec.status, Some(RecordStatus::InProgress));
    assert_eq!(rec.status_note.as_deref(), Some("Officer Bình is on it"));
    assert!(rec.data.is_some(), "a status update keeps the user's copy");

    let rec = store::record(&waiting.to_string()).await.unwrap().unwrap();
    assert_eq!((rec.state, rec.status), (LocalState::Outbox, None));
    assert_eq!(outbox_ids().await, vec![waiting], "still waits to be sent");

    let rec = store::record(&refused.to_string()).await.unwrap().unwrap();
    assert_eq!((rec.state, rec.status), (LocalState::Rejected, None));
    assert_eq!(rec.message.as_deref(), Some("no"));

    let rec = store::record(&elsewhere.to_string())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(rec.state, LocalState::Synced);
    assert_eq!(rec.data, None);
    assert_eq!(rec.group_id, 7, "the group comes with the pulled state");
    assert_eq!(rec.status, Some(RecordStatus::Returned));
    assert_eq!(rec.status_note.as_deref(), Some("fix"));
    assert_eq!(
        (rec.form_key.as_str(), rec.form_version),
        ("neighborhood_report", 1)
    );

    // The server holds a record under a conflicting id: its status is news, the marker stays.
    let rec = store::record(&clashed.to_string()).await.unwrap().unwrap();
    assert_eq!(
        (rec.state, rec.status),
        (LocalState::Conflict, Some(RecordStatus::InProgress))
    );

    // A later page moves the cursor on.
    store::apply_pull(&[], 43, NOW + 10_000.0, None)
        .await
        .unwrap();
    assert_eq!(store::cursor().await.unwrap(), 43);
}

/// Reads a value through a second, newly opened connection, as a restarted app would.
async fn read_through_new_connection(store_name: &str, key: &str) -> Option<Session> {
    let db = Database::open(store::DB_NAME).await.unwrap();
    let value = {
        let tx = db.transaction(store_name).build().unwrap();
        let os = tx.object_store(store_name).unwrap();
        os.get(key.to_owned()).serde().unwrap().await.unwrap()
    };
    db.close();
    value
}

#[wasm_bindgen_test]
async fn a_session_survives_reopening_and_signing_out_wipes_the_user_but_not_the_forms() {
    clean().await;
    let an = session("an.nguyen");
    store::save_session(&an).await.unwrap();
    assert_eq!(store::session().await.unwrap(), Some(an.clone()));
    assert_eq!(store::owner().await.unwrap().as_deref(), Some("an.nguyen"));
    assert_eq!(
        read_through_new_connection("meta", "session").await,
        Some(an.clone()),
        "the session is on disk, not only in memory"
    );

    let id = new_id();
    let kept_draft = draft(new_id(), "not finished");
    store::save_draft(&kept_draft).await.unwrap();
    store::submit(&envelope(id, "report"), NOW).await.unwrap();
    let form = fresh_form();
    store::apply_pull(&[Change::Form { form: form.clone() }], 7, NOW, None)
        .await
        .unwrap();

    // The server ended the session: the token goes, the user's work stays (sync rule 8).
    store::forget_token().await.unwrap();
    assert_eq!(store::session().await.unwrap(), None);
    assert_eq!(store::owner().await.unwrap().as_deref(), Some("an.nguyen"));
    assert_eq!(outbox_ids().await, vec![id]);
    assert_eq!(state_of(id).await, LocalState::Outbox);
    assert_eq!(store::drafts().await.unwrap(), vec![kept_draft]);
    assert_eq!(store::cursor().await.unwrap(), 7);

    // Signing out on a shared phone: nothing of this user stays, the forms do.
    store::save_session(&an).await.unwrap();
    store::wipe_user_data().await.unwrap();
    assert_eq!(store::session().await.unwrap(), None);
    assert_eq!(store::owner().await.unwrap(), None);
    assert!(store::drafts().await.unwrap().is_empty());
    assert!(store::records().await.unwrap().is_empty());
    assert_eq!(store::outbox_len().await.unwrap(), 0);
    assert_eq!(store::cursor().await.unwrap(), 0);
    assert_eq!(
        store::form(&form.key, form.version).await.unwrap(),
        Some(form)
    );
}

// ---- i18n --------------------------------------------------------------------------------
// The unit test in app/src/i18n.rs is a plain `#[test]`, which the wasm runner does not run.

#[wasm_bindgen_test]
fn every_message_has_a_text_in_both_languages() {
    assert!(!Msg::ALL.is_empty());
    for &m in Msg::ALL {
        for lang in Lang::ALL {
            let text = m.text(lang);
            assert!(!text.trim().is_empty(), "{m:?} has no {lang:?} text");
            assert_eq!(text, text.trim(), "{m:?} in {lang:?} has stray spaces");
        }
    }
}

#[wasm_bindgen_test]
fn the_age_of_the_oldest_waiting_record_reads_naturally() {
    use app::i18n::format_age;
    assert_eq!(format_age(20_000.0, Lang::Vi), "vừa xong");
    assert_eq!(format_age(5.0 * 60_000.0, Lang::Vi), "5 phút");
    assert_eq!(format_age(3.0 * 3_600_000.0 + 59_000.0, Lang::Vi), "3 giờ");
    assert_eq!(format_age(2.0 * 86_400_000.0, Lang::En), "2 days");
    // A phone clock set backwards never shows a negative age.
    assert_eq!(format_age(-90_000.0, Lang::En), "just now");
}

// ---- photos ------------------------------------------------------------------------------

fn blob(bytes: &[u8]) -> web_sys::Blob {
    let parts = js_sys::Array::of1(&js_sys::Uint8Array::from(bytes));
    web_sys::Blob::new_with_u8_array_sequence(&parts).unwrap()
}

async fn blob_bytes(b: &web_sys::Blob) -> Vec<u8> {
    let buf = wasm_bindgen_futures::JsFuture::from(b.array_buffer())
        .await
        .unwrap();
    js_sys::Uint8Array::new(&buf).to_vec()
}

fn photo_ref(sha: &str, bytes: usize) -> domain::value::PhotoRef {
    domain::value::PhotoRef {
        sha256: sha.into(),
        content_type: "image/jpeg".into(),
        bytes: bytes as u64,
        width: 1600,
        height: 1200,
    }
}

#[wasm_bindgen_test]
async fn photos_are_sent_only_for_submitted_records_and_forgotten_when_unused() {
    clean().await;
    let (a, b, c) = ("a".repeat(64), "b".repeat(64), "c".repeat(64));
    for (sha, n) in [(&a, 3), (&b, 4), (&c, 5)] {
        let bytes: Vec<u8> = [0xFF, 0xD8, 0xFF, 0, 0][..n].to_vec();
        store::save_photo(&photo_ref(sha, n), &blob(&bytes))
            .await
            .unwrap();
    }
    // Saving the same photo again keeps one copy.
    store::save_photo(&photo_ref(&a, 3), &blob(&[0xFF, 0xD8, 0xFF]))
        .await
        .unwrap();
    let kept = store::photo(&a).await.unwrap().unwrap();
    assert_eq!(kept.content_type, "image/jpeg");
    assert_eq!(blob_bytes(&kept.blob).await, [0xFF, 0xD8, 0xFF]);

    // a is in a submitted record, b only in a draft, c was removed by the user.
    let mut record = envelope(new_id(), "Có ảnh");
    record
        .data
        .insert("photos".into(), json!([photo_ref(&a, 3)]));
    store::submit(&record, NOW).await.unwrap();
    let draft = Draft {
        id: new_id().to_string(),
        form_key: "neighborhood_report".into(),
        form_version: 1,
        group_id: 7,
        data: data(json!({"photos": [photo_ref(&b, 4)]})),
        updated_at: NOW,
        base: None,
    };
    store::save_draft(&draft).await.unwrap();
    let waiting: Vec<String> = store::photos_to_upload()
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.sha256)
        .collect();
    assert_eq!(
        waiting,
        std::slice::from_ref(&a),
        "only a submitted record's photos are sent"
    );

    store::forget_sent_photos().await.unwrap();
    assert!(store::photo(&a).await.unwrap().is_some());
    assert!(
        store::photo(&b).await.unwrap().is_some(),
        "the draft still shows it"
    );
    // A removed photo is never sent; it is kept a day in case a draft naming it is being saved.
    assert!(store::photo(&c).await.unwrap().is_some());
    assert_eq!(store::photos_waiting().await.unwrap(), 1);

    store::mark_photo_uploaded(&a).await.unwrap();
    assert!(store::photos_to_upload().await.unwrap().is_empty());
    store::forget_sent_photos().await.unwrap();
    assert!(
        store::photo(&a).await.unwrap().is_some(),
        "kept while its record waits"
    );

    // Signing out leaves no photo of the user on the phone.
    store::wipe_user_data().await.unwrap();
    assert!(store::photo(&a).await.unwrap().is_none());
    assert!(store::photo(&b).await.unwrap().is_none());
}

#[wasm_bindgen_test]
async fn a_pulled_page_for_a_user_who_signed_out_meanwhile_is_dropped() {
    clean().await;
    let id = Uuid::now_v7();
    let change = Change::Record(RecordState {
        id,
        form_key: "neighborhood_report".into(),
        form_version: 1,
        group_id: 7,
        status: RecordStatus::Resolved,
        updated_at: 1,
        note: Some("của người trước".into()),
        revision: None,
        data: None,
        conflict_open: false,
    });
    // Nobody signed in (the previous user just signed out): the page is not applied.
    let err = store::apply_pull(std::slice::from_ref(&change), 99, NOW, Some("old-token"))
        .await
        .unwrap_err();
    assert_eq!(err, store::StoreError::SignedOutMeanwhile);
    assert!(store::records().await.unwrap().is_empty());
    assert_eq!(store::cursor().await.unwrap(), 0);
}

#[wasm_bindgen_test]
async fn an_ended_sign_in_leaves_only_what_still_has_to_be_sent() {
    clean().await;
    let (sent, waiting, refused) = (new_id(), new_id(), new_id());
    for id in [sent, waiting, refused] {
        store::submit(&envelope(id, "x"), NOW).await.unwrap();
    }
    let results = vec![
        (sent.to_string(), PushOutcome::Accepted),
        (
            refused.to_string(),
            PushOutcome::Rejected {
                message: "sửa".into(),
                errors: Vec::new(),
            },
        ),
    ];
    store::apply_push_results(&results, NOW).await.unwrap();
    store::apply_pull(&[], 55, NOW, None).await.unwrap();
    store::forget_sent_records().await.unwrap();
    let mut left: Vec<String> = store::records()
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.id)
        .collect();
    left.sort();
    let mut want = vec![waiting.to_string(), refused.to_string()];
    want.sort();
    assert_eq!(left, want);
    assert_eq!(store::outbox_len().await.unwrap(), 1);
    assert_eq!(
        store::cursor().await.unwrap(),
        0,
        "the next pull brings the statuses back"
    );
}

#[wasm_bindgen_test]
async fn an_ended_sign_in_keeps_a_synced_record_whose_photo_the_server_does_not_hold_yet() {
    clean().await;
    let sha = "d".repeat(64);
    let bytes = [0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3];
    store::save_photo(&photo_ref(&sha, bytes.len()), &blob(&bytes))
        .await
        .unwrap();
    let (with_photo, plain) = (new_id(), new_id());
    let mut record = envelope(with_photo, "Có ảnh chưa gửi");
    record
        .data
        .insert("photos".into(), json!([photo_ref(&sha, bytes.len())]));
    store::submit(&record, NOW).await.unwrap();
    store::submit(&envelope(plain, "Không ảnh"), NOW)
        .await
        .unwrap();
    // The server took both records; the photo is still waiting (slow network).
    let results = vec![
        (with_photo.to_string(), PushOutcome::Accepted),
        (plain.to_string(), PushOutcome::Accepted),
    ];
    store::apply_push_results(&results, NOW).await.unwrap();
    assert_eq!(store::photos_waiting().await.unwrap(), 1);

    // The session ends (401): what the engine does then.
    store::forget_sent_records().await.unwrap();
    store::forget_sent_photos().await.unwrap();

    let left: Vec<String> = store::records()
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(
        left,
        [with_photo.to_string()],
        "only the record with work left stays"
    );
    assert_eq!(
        store::photos_waiting().await.unwrap(),
        1,
        "the photo still waits"
    );
    let waiting = store::photos_to_upload().await.unwrap();
    assert_eq!(waiting.len(), 1);
    assert_eq!(blob_bytes(&waiting[0].blob).await, bytes);

    // Once the server holds it, the next ended sign-in lets the record go, and then the photo.
    store::mark_photo_uploaded(&sha).await.unwrap();
    store::forget_sent_records().await.unwrap();
    store::forget_sent_photos().await.unwrap();
    assert!(store::records().await.unwrap().is_empty());
    assert!(store::photo(&sha).await.unwrap().is_none());
}

#[wasm_bindgen_test]
async fn a_new_server_database_puts_synced_records_and_their_photos_back_to_be_sent() {
    clean().await;
    store::save_session(&session("totruong")).await.unwrap();
    let token = session("totruong").token;
    let sha = "e".repeat(64);
    store::save_photo(&photo_ref(&sha, 4), &blob(&[0xFF, 0xD8, 0xFF, 0]))
        .await
        .unwrap();
    let (synced, refused) = (new_id(), new_id());
    let mut record = envelope(synced, "Đã gửi trước khi máy chủ khôi phục");
    record
        .data
        .insert("photos".into(), json!([photo_ref(&sha, 4)]));
    store::submit(&record, NOW).await.unwrap();
    store::submit(&envelope(refused, "Bị từ chối"), NOW)
        .await
        .unwrap();
    let results = vec![
        (synced.to_string(), PushOutcome::Accepted),
        (
            refused.to_string(),
            PushOutcome::Rejected {
                message: "sửa".into(),
                errors: Vec::new(),
            },
        ),
    ];
    store::apply_push_results(&results, NOW).await.unwrap();
    store::mark_photo_uploaded(&sha).await.unwrap();
    store::apply_pull_page(&[], 42, Some("aaaa"), NOW, Some(&token))
        .await
        .unwrap();
    assert_eq!(store::epoch().await.unwrap().as_deref(), Some("aaaa"));
    assert_eq!(store::outbox_len().await.unwrap(), 0);

    // Another database: the synced record, exactly as it was, goes back to the outbox with its
    // photo; the refused one stays with its user.
    assert_eq!(store::start_over("bbbb", NOW, &token).await.unwrap(), 1);
    assert_eq!(store::epoch().await.unwrap().as_deref(), Some("bbbb"));
    assert_eq!(store::cursor().await.unwrap(), 0);
    let outbox = store::outbox(10).await.unwrap();
    assert_eq!(outbox.len(), 1);
    assert_eq!(outbox[0].id, synced);
    assert_eq!(outbox[0].content_hash(), record.content_hash());
    assert_eq!(state_of(synced).await, LocalState::Outbox);
    assert_eq!(state_of(refused).await, LocalState::Rejected);
    assert_eq!(
        store::photos_waiting().await.unwrap(),
        1,
        "its photo is sent again"
    );

    // An answer for a user who signed out meanwhile changes nothing.
    let err = store::start_over("cccc", NOW, "another-token")
        .await
        .unwrap_err();
    assert_eq!(err, store::StoreError::SignedOutMeanwhile);
    assert_eq!(store::epoch().await.unwrap().as_deref(), Some("bbbb"));
}

#[wasm_bindgen_test]
async fn a_reset_in_the_same_epoch_means_the_database_went_back_and_synced_records_go_again() {
    clean().await;
    store::save_session(&session("totruong")).await.unwrap();
    let token = session("totruong").token;
    let id = new_id();
    store::submit(&envelope(id, "Trước khi máy chủ lùi lại"), NOW)
        .await
        .unwrap();
    store::apply_push_results(&[(id.to_string(), PushOutcome::Accepted)], NOW)
        .await
        .unwrap();
    store::apply_pull_page(&[], 900, Some("aaaa"), NOW, Some(&token))
        .await
        .unwrap();
    // The phone's cursor (900) is past the server's counter: the same epoch, yet a reset.
    assert_eq!(store::start_over("aaaa", NOW, &token).await.unwrap(), 1);
    assert_eq!(outbox_ids().await, [id]);
}

#[wasm_bindgen_test]
async fn a_server_that_names_no_epoch_never_makes_the_phone_send_again() {
    clean().await;
    store::save_session(&session("totruong")).await.unwrap();
    let token = session("totruong").token;
    let id = new_id();
    store::submit(&envelope(id, "Máy chủ cũ"), NOW)
        .await
        .unwrap();
    store::apply_push_results(&[(id.to_string(), PushOutcome::Accepted)], NOW)
        .await
        .unwrap();
    store::apply_pull_page(&[], 5, Some(""), NOW, Some(&token))
        .await
        .unwrap();
    assert_eq!(
        store::epoch().await.unwrap(),
        None,
        "an empty epoch is not kept"
    );
    assert_eq!(store::start_over("", NOW, &token).await.unwrap(), 0);
    assert_eq!(store::outbox_len().await.unwrap(), 0);
}

#[wasm_bindgen_test]
async fn a_returned_record_brings_its_data_and_its_correction_becomes_the_current_revision() {
    clean().await;
    // Filed on another phone (or before a reinstall): this one knows nothing of it.
    let id = new_id();
    let original = envelope(id, "Cháy nhỏ ở bếp.");
    let mut returned = record_state(id, RecordStatus::Returned, Some("Ghi rõ giờ xảy ra."));
    returned.data = Some(original.data.clone());
    store::apply_pull_page(&[Change::Record(returned)], 9, None, NOW, None)
        .await
        .unwrap();
    let rec = store::record(&id.to_string()).await.unwrap().unwrap();
    assert!(rec.returned() && rec.needs_action());
    assert_eq!(rec.data.as_ref(), Some(&original.data));
    assert_eq!(rec.status_note.as_deref(), Some("Ghi rõ giờ xảy ra."));
    assert_eq!(rec.revision, None, "the current revision is the first");

    // Corrected and submitted: a new revision on the first, waiting in the outbox.
    let mut corrected = envelope(id, "Cháy nhỏ ở bếp lúc 21 giờ.");
    let revision = domain::record::Revision {
        id: new_id(),
        base: id,
    };
    corrected.revision = Some(revision);
    store::submit(&corrected, NOW).await.unwrap();
    assert_eq!(outbox_ids().await, [id]);
    assert_eq!(store::outbox(10).await.unwrap()[0].revision, Some(revision));
    let rec = store::record(&id.to_string()).await.unwrap().unwrap();
    assert!(!rec.needs_action(), "sent, not waiting for the user");

    // A pull meanwhile (the server has not seen the correction) leaves it alone.
    let mut still = record_state(id, RecordStatus::Returned, Some("Ghi rõ giờ xảy ra."));
    still.data = Some(original.data.clone());
    store::apply_pull_page(&[Change::Record(still)], 10, None, NOW, None)
        .await
        .unwrap();
    assert_eq!(state_of(id).await, LocalState::Outbox);

    // Taken: the correction is the current revision, back for review.
    store::apply_push_results(&[(id.to_string(), PushOutcome::Accepted)], NOW)
        .await
        .unwrap();
    let rec = store::record(&id.to_string()).await.unwrap().unwrap();
    assert_eq!(rec.state, LocalState::Synced);
    assert_eq!(rec.status, Some(RecordStatus::Received));
    assert_eq!(rec.status_note, None);
    assert_eq!(rec.revision, Some(revision.id.to_string()));
    assert_eq!(rec.sent_revision, None);
    assert!(!rec.needs_action());
}

#[wasm_bindgen_test]
async fn a_refused_correction_keeps_the_revision_it_was_based_on() {
    clean().await;
    let id = new_id();
    let mut corrected = envelope(id, "x");
    let revision = domain::record::Revision {
        id: new_id(),
        base: new_id(),
    };
    corrected.revision = Some(revision);
    store::submit(&corrected, NOW).await.unwrap();
    store::apply_push_results(
        &[(
            id.to_string(),
            PushOutcome::Rejected {
                message: "no".into(),
                errors: vec![],
            },
        )],
        NOW,
    )
    .await
    .unwrap();
    let rec = store::record(&id.to_string()).await.unwrap().unwrap();
    assert_eq!(rec.state, LocalState::Rejected);
    assert!(rec.needs_action());
    // Corrected again, it is still a correction of the same base.
    assert_eq!(rec.sent_revision.map(|r| r.base), Some(revision.base));
}

#[wasm_bindgen_test]
async fn a_correction_keeps_the_reviewers_note_and_goes_as_a_first_submission_to_a_new_database() {
    clean().await;
    store::save_session(&session("totruong")).await.unwrap();
    let token = session("totruong").token;
    store::apply_pull_page(&[], 1, Some("aaaa"), NOW, Some(&token))
        .await
        .unwrap();
    let id = new_id();
    let mut returned = record_state(id, RecordStatus::Returned, Some("Ghi rõ số nhà."));
    returned.data = Some(envelope(id, "x").data);
    store::apply_pull_page(
        &[Change::Record(returned)],
        2,
        Some("aaaa"),
        NOW,
        Some(&token),
    )
    .await
    .unwrap();
    let mut corrected = envelope(id, "Số 12.");
    corrected.revision = Some(domain::record::Revision {
        id: new_id(),
        base: id,
    });
    store::submit(&corrected, NOW).await.unwrap();
    let rec = store::record(&id.to_string()).await.unwrap().unwrap();
    assert_eq!(rec.status_note.as_deref(), Some("Ghi rõ số nhà."));
    assert_eq!(rec.status, Some(RecordStatus::Returned));

    // The server's database is another one: it never had the record, so the correction goes
    // as the record's first submission.
    store::start_over("bbbb", NOW, &token).await.unwrap();
    let outbox = store::outbox(10).await.unwrap();
    assert_eq!(outbox.len(), 1);
    assert_eq!(outbox[0].revision, None);
    assert_eq!(outbox[0].data, corrected.data);
    let rec = store::record(&id.to_string()).await.unwrap().unwrap();
    assert_eq!(rec.sent_revision, None);
}

#[wasm_bindgen_test]
async fn a_copy_in_conflict_is_settled_by_the_next_news_of_the_record() {
    clean().await;
    // A correction that conflicted, and which a reviewer then chose.
    let chosen = new_id();
    let mut mine = envelope(chosen, "Bản của máy này.");
    let revision = domain::record::Revision {
        id: new_id(),
        base: chosen,
    };
    mine.revision = Some(revision);
    // A first submission that clashed with another copy under its id, later returned.
    let clashed = new_id();
    let other = envelope(clashed, "Bản khác cùng mã.");
    store::submit(&mine, NOW).await.unwrap();
    store::submit(&other, NOW).await.unwrap();
    let conflict = || PushOutcome::Conflict {
        message: "differs".into(),
    };
    store::apply_push_results(
        &[
            (chosen.to_string(), conflict()),
            (clashed.to_string(), conflict()),
        ],
        NOW,
    )
    .await
    .unwrap();
    assert_eq!(state_of(chosen).await, LocalState::Conflict);

    let mut taken = record_state(chosen, RecordStatus::Received, None);
    taken.revision = Some(revision.id);
    let server_copy = envelope(clashed, "Bản trên máy chủ.").data;
    let mut returned = record_state(clashed, RecordStatus::Returned, Some("Sửa lại."));
    returned.data = Some(server_copy.clone());
    store::apply_pull_page(
        &[Change::Record(taken), Change::Record(returned)],
        4,
        None,
        NOW,
        None,
    )
    .await
    .unwrap();
    let rec = store::record(&chosen.to_string()).await.unwrap().unwrap();
    assert_eq!(rec.state, LocalState::Synced);
    assert_eq!(
        rec.data.as_ref(),
        Some(&mine.data),
        "ours is the record now"
    );
    assert_eq!(rec.message, None);
    let rec = store::record(&clashed.to_string()).await.unwrap().unwrap();
    assert!(rec.returned(), "corrected from the server's copy");
    assert_eq!(rec.data, Some(server_copy));
}

#[wasm_bindgen_test]
async fn a_conflicting_copys_photos_are_still_sent_and_kept_until_it_is_settled() {
    clean().await;
    let (mine, refused) = ("d".repeat(64), "e".repeat(64));
    for sha in [&mine, &refused] {
        store::save_photo(&photo_ref(sha, 3), &blob(&[0xFF, 0xD8, 0xFF]))
            .await
            .unwrap();
    }
    let id = new_id();
    let mut copy = envelope(id, "Bản sửa trên máy này.");
    copy.data
        .insert("photos".into(), json!([photo_ref(&mine, 3)]));
    copy.revision = Some(domain::record::Revision {
        id: new_id(),
        base: id,
    });
    let bad = new_id();
    let mut bad_record = envelope(bad, "Bị từ chối.");
    bad_record
        .data
        .insert("photos".into(), json!([photo_ref(&refused, 3)]));
    store::submit(&copy, NOW).await.unwrap();
    store::submit(&bad_record, NOW).await.unwrap();
    store::apply_push_results(
        &[
            (
                id.to_string(),
                PushOutcome::Conflict {
                    message: "changed meanwhile".into(),
                },
            ),
            (
                bad.to_string(),
                PushOutcome::Rejected {
                    message: "thiếu mục".into(),
                    errors: Vec::new(),
                },
            ),
        ],
        NOW,
    )
    .await
    .unwrap();
    assert_eq!(state_of(id).await, LocalState::Conflict);
    let waiting: Vec<String> = store::photos_to_upload()
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.sha256)
        .collect();
    assert_eq!(
        waiting,
        std::slice::from_ref(&mine),
        "the server keeps the conflicting copy for a reviewer, so its photo goes; a refused record's waits"
    );
    // News of the record (returned again, with the server's data) replaces what this phone
    // shows of it; the copy on the server still names the photo, so it is still owed.
    let mut news = record_state(id, RecordStatus::Returned, Some("Sửa lại."));
    news.data = Some(envelope(id, "Bản trên máy chủ.").data);
    news.conflict_open = true;
    store::apply_pull_page(&[Change::Record(news)], 9, None, NOW, None)
        .await
        .unwrap();
    store::forget_sent_photos().await.unwrap();
    let waiting: Vec<String> = store::photos_to_upload()
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.sha256)
        .collect();
    assert_eq!(
        waiting,
        std::slice::from_ref(&mine),
        "still owed to the server"
    );

    store::mark_photo_uploaded(&mine).await.unwrap();
    assert!(store::photos_to_upload().await.unwrap().is_empty());
    assert!(store::photo(&refused).await.unwrap().is_some());
}
