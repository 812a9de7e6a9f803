//! Revisions name their base (sync rule 7): a returned record is corrected on its author's
//! phone and resubmitted as a new revision; replays are duplicates; a stale base is a conflict
//! that is kept and never applied.

use domain::record::{RecordEnvelope, RecordStatus, Revision};
use domain::sync::{Change, PushOutcome, RecordState};
use reqwest::StatusCode;
use serde_json::Value;
use uuid::Uuid;

use crate::helpers::{own_group, spawn_app, valid_report, TestApp};

/// The author's view of `id` in a pull from the start, as a phone that lost everything sees it.
async fn pulled(app: &TestApp, token: &str, id: Uuid) -> RecordState {
    app.pull(token, 0)
        .await
        .changes
        .into_iter()
        .find_map(|c| match c {
            Change::Record(r) if r.id == id => Some(r),
            _ => None,
        })
        .expect("the record in its author's pull")
}

/// `rec` corrected: a new revision on `base`, with another description.
fn corrected(rec: &RecordEnvelope, base: Uuid, text: &str) -> RecordEnvelope {
    let mut next = rec.clone();
    next.data
        .insert("description".into(), Value::String(text.into()));
    next.revision = Some(Revision {
        id: Uuid::now_v7(),
        base,
    });
    next
}

async fn returned(app: &TestApp, boss: &str, id: Uuid, comment: &str) {
    let resp = app.review(boss, id, "return", Some(comment)).await;
    assert_eq!(resp.status(), StatusCode::OK);
}

/// `GET /api/records/{id}/history` as `token`; expects 200.
async fn history(app: &TestApp, token: &str, id: Uuid) -> domain::review::RecordHistory {
    let resp = app.get(token, &format!("/api/records/{id}/history")).await;
    assert_eq!(resp.status(), StatusCode::OK, "history of {id}");
    resp.json().await.unwrap()
}

async fn audit_count(app: &TestApp, id: Uuid, action: &str) -> usize {
    let admin = app.login("admin").await;
    app.audit(&admin, &format!("entity_id={id}&action={action}"))
        .await
        .len()
}

#[tokio::test]
async fn a_returned_record_comes_back_with_its_data_and_a_resubmission_is_its_new_revision() {
    let app = spawn_app().await;
    let lan = app.login("totruong").await;
    let boss = app.login("truongcong").await;
    let report = valid_report(own_group(&app, &lan).await);
    app.push_ok(&lan, vec![report.clone()]).await;
    returned(&app, &boss, report.id, "Ghi rõ số nhà.").await;

    // Even a phone that kept nothing gets what it needs to correct it.
    let state = pulled(&app, &lan, report.id).await;
    assert_eq!(state.status, RecordStatus::Returned);
    assert_eq!(state.note.as_deref(), Some("Ghi rõ số nhà."));
    assert_eq!(state.data.as_ref(), Some(&report.data));
    assert_eq!(
        state.current_revision(),
        report.id,
        "the first revision is the record"
    );

    let fixed = corrected(
        &report,
        state.current_revision(),
        "Số 12 ngõ 45, có hai xe máy.",
    );
    assert_eq!(
        app.push_ok(&lan, vec![fixed.clone()]).await,
        [PushOutcome::Accepted]
    );
    let state = pulled(&app, &lan, report.id).await;
    assert_eq!(state.status, RecordStatus::Received, "back for review");
    assert_eq!(state.note, None);
    assert_eq!(state.data, None, "data travels only while returned");
    assert_eq!(state.revision, Some(fixed.revision.unwrap().id));
    let detail = app.record(&boss, report.id).await;
    assert_eq!(detail.data, fixed.data);
    assert_eq!(detail.summary.status, RecordStatus::Received);
    assert_eq!(audit_count(&app, report.id, "record.resubmit").await, 1);

    // The answer was lost and the phone sends it again: nothing changes.
    assert_eq!(
        app.push_ok(&lan, vec![fixed]).await,
        [PushOutcome::Duplicate]
    );
    assert_eq!(audit_count(&app, report.id, "record.resubmit").await, 1);
    assert_eq!(app.stored_count(report.id).await, 1);
}

#[tokio::test]
async fn a_resubmission_on_a_stale_base_is_a_conflict_kept_and_never_applied() {
    let app = spawn_app().await;
    let lan = app.login("totruong").await;
    let boss = app.login("truongcong").await;
    let report = valid_report(own_group(&app, &lan).await);
    app.push_ok(&lan, vec![report.clone()]).await;
    returned(&app, &boss, report.id, "Thiếu ảnh.").await;
    let base = pulled(&app, &lan, report.id).await.current_revision();

    // Two phones of the same leader both take the returned record up.
    let first = corrected(&report, base, "Bản sửa trên máy thứ nhất.");
    let second = corrected(&report, base, "Bản sửa trên máy thứ hai.");
    assert_eq!(
        app.push_ok(&lan, vec![first.clone()]).await,
        [PushOutcome::Accepted]
    );
    let outcomes = app.push_ok(&lan, vec![second.clone()]).await;
    let [PushOutcome::Conflict { message }] = outcomes.as_slice() else {
        panic!("expected a conflict: {outcomes:?}");
    };
    assert!(message.contains("đã thay đổi trên máy chủ"), "{message}");
    assert_eq!(app.record(&boss, report.id).await.data, first.data);
    assert_eq!(audit_count(&app, report.id, "record.conflict").await, 1);
    // A replay of the conflicting copy is the same conflict, recorded once.
    let again = app.push_ok(&lan, vec![second]).await;
    assert!(
        matches!(again.as_slice(), [PushOutcome::Conflict { .. }]),
        "{again:?}"
    );
    assert_eq!(audit_count(&app, report.id, "record.conflict").await, 1);

    // Returned a second time, then a correction made on the first return's base: stale too.
    returned(&app, &boss, report.id, "Vẫn thiếu ảnh.").await;
    let late = corrected(&report, base, "Sửa muộn.");
    assert!(matches!(
        app.push_ok(&lan, vec![late]).await.as_slice(),
        [PushOutcome::Conflict { .. }]
    ));
    // On the current base it goes through.
    let current = pulled(&app, &lan, report.id).await.current_revision();
    assert_eq!(current, first.revision.unwrap().id);
    let right = corrected(&report, current, "Đã bổ sung ảnh.");
    assert_eq!(
        app.push_ok(&lan, vec![right]).await,
        [PushOutcome::Accepted]
    );
}

#[tokio::test]
async fn only_a_returned_record_is_resubmitted_and_only_by_its_author() {
    let app = spawn_app().await;
    let lan = app.login("totruong").await;
    let hoa = app.login("canbo").await;
    let boss = app.login("truongcong").await;
    let report = valid_report(own_group(&app, &lan).await);
    app.push_ok(&lan, vec![report.clone()]).await;

    // Not returned: a second version is a conflict, not an overwrite.
    let early = corrected(&report, report.id, "Sửa khi chưa bị trả lại.");
    assert!(matches!(
        app.push_ok(&lan, vec![early]).await.as_slice(),
        [PushOutcome::Conflict { .. }]
    ));
    assert_eq!(app.record(&boss, report.id).await.data, report.data);

    returned(&app, &boss, report.id, "Ghi rõ số nhà.").await;
    // Somebody else may not correct it.
    let theirs = corrected(&report, report.id, "Cán bộ sửa hộ.");
    let outcomes = app.push_ok(&hoa, vec![theirs]).await;
    assert!(
        matches!(outcomes.as_slice(), [PushOutcome::Rejected { .. }]),
        "{outcomes:?}"
    );
    // A correction that is itself invalid is refused with its reasons; the record waits.
    let mut invalid = corrected(&report, report.id, "x");
    invalid.data.remove("location");
    let outcomes = app.push_ok(&lan, vec![invalid]).await;
    let [PushOutcome::Rejected { errors, .. }] = outcomes.as_slice() else {
        panic!("expected a rejection: {outcomes:?}");
    };
    assert!(!errors.is_empty());
    let state = pulled(&app, &lan, report.id).await;
    assert_eq!(state.status, RecordStatus::Returned);
    assert_eq!(state.data.as_ref(), Some(&report.data));
    // A correction of a record the server never had.
    let mut orphan = corrected(&report, report.id, "x");
    orphan.id = Uuid::now_v7();
    let outcomes = app.push_ok(&lan, vec![orphan]).await;
    assert!(
        matches!(outcomes.as_slice(), [PushOutcome::Rejected { .. }]),
        "{outcomes:?}"
    );
}

#[tokio::test]
async fn a_revision_id_that_names_another_record_is_refused_and_that_record_stays_correctable() {
    let app = spawn_app().await;
    let lan = app.login("totruong").await;
    let boss = app.login("truongcong").await;
    let group = own_group(&app, &lan).await;
    let mine = valid_report(group);
    let other = valid_report(group);
    app.push_ok(&lan, vec![mine.clone(), other.clone()]).await;
    returned(&app, &boss, mine.id, "Sửa lại.").await;
    returned(&app, &boss, other.id, "Sửa lại.").await;

    // A correction of `mine` whose revision id is `other`'s id.
    let mut hijack = corrected(&mine, mine.id, "Sửa.");
    hijack.revision = Some(Revision {
        id: other.id,
        base: mine.id,
    });
    let outcomes = app.push_ok(&lan, vec![hijack]).await;
    assert!(
        matches!(outcomes.as_slice(), [PushOutcome::Rejected { .. }]),
        "{outcomes:?}"
    );
    // Its own id as a revision id is no better.
    let mut own = corrected(&mine, mine.id, "Sửa.");
    own.revision = Some(Revision {
        id: mine.id,
        base: mine.id,
    });
    let outcomes = app.push_ok(&lan, vec![own]).await;
    assert!(
        matches!(outcomes.as_slice(), [PushOutcome::Rejected { .. }]),
        "{outcomes:?}"
    );
    // Both records are still corrected normally.
    let fixed_mine = corrected(&mine, mine.id, "Đã sửa bản của tôi.");
    let fixed_other = corrected(&other, other.id, "Đã sửa bản kia.");
    assert_eq!(
        app.push_ok(&lan, vec![fixed_mine, fixed_other]).await,
        [PushOutcome::Accepted, PushOutcome::Accepted]
    );
}

#[tokio::test]
async fn a_correction_cannot_carry_a_record_into_another_ward() {
    let app = spawn_app().await;
    app.add_officer("canboxuanla", "Xuân La").await;
    let lan = app.login("totruong").await;
    let boss = app.login("truongcong").await;
    let xl_group = app.ward_groups(&app.login("canboxuanla").await).await[0];
    let report = valid_report(own_group(&app, &lan).await);
    app.push_ok(&lan, vec![report.clone()]).await;
    returned(&app, &boss, report.id, "Sửa lại.").await;
    // An officer of the same ward may file about any of its groups; a correction naming a
    // group of another ward is refused whoever sends it.
    let mut moved = corrected(&report, report.id, "Chuyển sang phường khác.");
    moved.group_id = xl_group;
    let outcomes = app.push_ok(&lan, vec![moved]).await;
    assert!(
        matches!(outcomes.as_slice(), [PushOutcome::Rejected { .. }]),
        "{outcomes:?}"
    );
    let mut other_form = corrected(&report, report.id, "Đổi biểu mẫu.");
    other_form.form_key = domain::form::MANAGED_PERSON_VISIT.into();
    let outcomes = app.push_ok(&lan, vec![other_form]).await;
    assert!(
        matches!(outcomes.as_slice(), [PushOutcome::Rejected { .. }]),
        "{outcomes:?}"
    );
    assert_eq!(app.record(&boss, report.id).await.data, report.data);
}

/// A report returned, corrected on two phones: the first correction stands, the second is a
/// conflict. Returns (the record, the first correction, the second).
async fn with_a_conflict(app: &TestApp) -> (RecordEnvelope, RecordEnvelope, RecordEnvelope) {
    let lan = app.login("totruong").await;
    let boss = app.login("truongcong").await;
    let report = valid_report(own_group(app, &lan).await);
    app.push_ok(&lan, vec![report.clone()]).await;
    returned(app, &boss, report.id, "Thiếu ảnh.").await;
    let first = corrected(&report, report.id, "Bản sửa thứ nhất.");
    let second = corrected(&report, report.id, "Bản sửa thứ hai.");
    assert_eq!(
        app.push_ok(&lan, vec![first.clone()]).await,
        [PushOutcome::Accepted]
    );
    let outcomes = app.push_ok(&lan, vec![second.clone()]).await;
    assert!(matches!(
        outcomes.as_slice(),
        [PushOutcome::Conflict { .. }]
    ));
    (report, first, second)
}

#[tokio::test]
async fn a_records_history_lists_its_revisions_reviews_and_conflicting_copies() {
    let app = spawn_app().await;
    let boss = app.login("truongcong").await;
    let (report, first, second) = with_a_conflict(&app).await;
    let h = history(&app, &boss, report.id).await;
    let revisions: Vec<(Uuid, Option<Uuid>)> = h.revisions.iter().map(|r| (r.id, r.base)).collect();
    assert_eq!(
        revisions,
        [
            (report.id, None),
            (first.revision.unwrap().id, Some(report.id))
        ]
    );
    assert_eq!(h.revisions[0].data, report.data);
    assert_eq!(h.revisions[1].data, first.data);
    let reviews: Vec<(&str, Option<&str>)> = h
        .reviews
        .iter()
        .map(|r| (r.action.as_str(), r.comment.as_deref()))
        .collect();
    assert_eq!(
        reviews,
        [("return", Some("Thiếu ảnh.")), ("resubmit", None)]
    );
    assert_eq!(h.conflicts.len(), 1);
    assert_eq!(h.conflicts[0].data, second.data);
    assert_eq!(h.conflicts[0].revision, Some(second.revision.unwrap().id));
    assert_eq!(h.conflicts[0].resolution, None);
    // Another ward sees nothing of it.
    let xl = app.login("truongxuanla").await;
    let resp = app
        .get(&xl, &format!("/api/records/{}/history", report.id))
        .await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_reviewer_resolves_a_conflict_by_choosing_a_copy_once() {
    let app = spawn_app().await;
    let boss = app.login("truongcong").await;
    let lan = app.login("totruong").await;
    let (report, _first, second) = with_a_conflict(&app).await;
    let h = history(&app, &boss, report.id).await;
    let conflict = h.conflicts[0].id;
    let path = format!("/api/records/{}/conflicts/{conflict}/resolve", report.id);
    assert!(
        pulled(&app, &lan, report.id).await.conflict_open,
        "the author's copy waits"
    );
    // Chosen on what the reviewer saw: a revision that is no longer current is refused.
    let resp = app
        .post_json(
            &boss,
            &path,
            &serde_json::json!({"keep": "theirs", "current": report.id}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CONFLICT);

    // The author settles nothing about their own record.
    let resp = app
        .post_json(&lan, &path, &serde_json::json!({"keep": "theirs"}))
        .await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    // The reviewer takes the conflicting copy: it is the new current revision.
    let current = h.revisions.last().unwrap().id;
    let resp = app
        .post_json(
            &boss,
            &path,
            &serde_json::json!({"keep": "theirs", "current": current}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let detail = app.record(&boss, report.id).await;
    assert_eq!(detail.data, second.data);
    assert_eq!(
        detail.summary.status,
        RecordStatus::Received,
        "new content, looked at again"
    );
    let state = pulled(&app, &lan, report.id).await;
    assert_eq!(state.revision, Some(second.revision.unwrap().id));
    assert!(
        !state.conflict_open,
        "the author's phone learns it was settled"
    );
    // The same choice again changes nothing; the other choice is refused in words.
    let resp = app
        .post_json(&boss, &path, &serde_json::json!({"keep": "theirs"}))
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let resp = app
        .post_json(&boss, &path, &serde_json::json!({"keep": "current"}))
        .await;
    let err = crate::helpers::expect_error(resp, StatusCode::CONFLICT, "wrong_state").await;
    assert_eq!(
        err.message,
        "Xung đột này đã được giải quyết theo cách khác."
    );
    assert_eq!(
        audit_count(&app, report.id, "record.conflict_resolved").await,
        1
    );
    let h = history(&app, &boss, report.id).await;
    assert_eq!(h.conflicts[0].resolution.as_deref(), Some("theirs"));
    assert_eq!(h.revisions.len(), 3);
    assert_eq!(
        h.reviews.last().map(|r| r.action.as_str()),
        Some("conflict_theirs")
    );
    // A conflict of another record, or none at all, is not found.
    let resp = app
        .post_json(
            &boss,
            &format!("/api/records/{}/conflicts/987654/resolve", report.id),
            &serde_json::json!({"keep": "current"}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_conflicting_copy_that_fails_the_form_never_becomes_the_record() {
    let app = spawn_app().await;
    let lan = app.login("totruong").await;
    let boss = app.login("truongcong").await;
    let report = valid_report(own_group(&app, &lan).await);
    app.push_ok(&lan, vec![report.clone()]).await;
    // The same id again with other content that was never checked: a conflict.
    let mut junk = report.clone();
    junk.data.remove("location");
    junk.data
        .insert("unknown_field".into(), Value::String("x".into()));
    let outcomes = app.push_ok(&lan, vec![junk]).await;
    assert!(matches!(
        outcomes.as_slice(),
        [PushOutcome::Conflict { .. }]
    ));
    let h = history(&app, &boss, report.id).await;
    let path = format!(
        "/api/records/{}/conflicts/{}/resolve",
        report.id, h.conflicts[0].id
    );
    let resp = app
        .post_json(
            &boss,
            &path,
            &serde_json::json!({"keep": "theirs", "current": report.id}),
        )
        .await;
    let err =
        crate::helpers::expect_error(resp, StatusCode::UNPROCESSABLE_ENTITY, "validation").await;
    assert!(err.message.contains("không hợp lệ"), "{}", err.message);
    assert_eq!(app.record(&boss, report.id).await.data, report.data);
    // Keeping the current revision settles it, and the author's phone hears of it.
    assert!(pulled(&app, &lan, report.id).await.conflict_open);
    let resp = app
        .post_json(&boss, &path, &serde_json::json!({"keep": "current"}))
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(!pulled(&app, &lan, report.id).await.conflict_open);
}

async fn waiting_conflicts(app: &TestApp, token: &str) -> Vec<Uuid> {
    let rows: Vec<domain::api::RecordSummary> = app
        .get(token, "/api/records?conflict=open")
        .await
        .json()
        .await
        .unwrap();
    rows.into_iter().map(|r| r.id).collect()
}

#[tokio::test]
async fn records_with_a_waiting_conflict_are_found_in_the_queue_until_it_is_settled() {
    let app = spawn_app().await;
    let boss = app.login("truongcong").await;
    let (report, _first, _second) = with_a_conflict(&app).await;
    let other = valid_report(own_group(&app, &app.login("totruong").await).await);
    app.push_ok(&app.login("totruong").await, vec![other]).await;
    assert_eq!(waiting_conflicts(&app, &boss).await, [report.id]);
    let h = history(&app, &boss, report.id).await;
    let path = format!(
        "/api/records/{}/conflicts/{}/resolve",
        report.id, h.conflicts[0].id
    );
    let resp = app
        .post_json(&boss, &path, &serde_json::json!({"keep": "current"}))
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(waiting_conflicts(&app, &boss).await.is_empty());
    let resp = app.get(&boss, "/api/records?conflict=maybe").await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
}

/// Migration 0016 once more, as on a server upgraded from before returned records carried data.
async fn resend_returned(app: &TestApp) {
    let sql = match app.state.db.backend {
        server::db::Backend::Sqlite => {
            include_str!("../../migrations/sqlite/0016_resend_returned.sql")
        }
        server::db::Backend::Postgres => {
            include_str!("../../migrations/postgres/0016_resend_returned.sql")
        }
    };
    sqlx::raw_sql(sql)
        .execute(&app.state.db.pool)
        .await
        .unwrap();
}

#[tokio::test]
async fn the_upgrade_sends_records_returned_earlier_once_more_so_phones_get_their_data() {
    let app = spawn_app().await;
    let lan = app.login("totruong").await;
    let boss = app.login("truongcong").await;
    let group = own_group(&app, &lan).await;
    let (sent_back, accepted) = (valid_report(group), valid_report(group));
    app.push_ok(&lan, vec![sent_back.clone(), accepted.clone()])
        .await;
    returned(&app, &boss, sent_back.id, "Ghi rõ số nhà.").await;
    let cursor = app.pull(&lan, 0).await.cursor;
    assert!(
        app.pull(&lan, cursor).await.changes.is_empty(),
        "a phone that is up to date gets nothing new"
    );

    resend_returned(&app).await;
    let again: Vec<RecordState> = app
        .pull(&lan, cursor)
        .await
        .changes
        .into_iter()
        .filter_map(|c| match c {
            Change::Record(r) => Some(r),
            _ => None,
        })
        .collect();
    assert_eq!(again.len(), 1, "only the returned record comes again");
    assert_eq!(again[0].id, sent_back.id);
    assert_eq!(again[0].data.as_ref(), Some(&sent_back.data));
    // The change counter moved past the new numbers: what is stored next comes after them.
    let later = valid_report(group);
    app.push_ok(&lan, vec![later.clone()]).await;
    let next = app.pull(&lan, cursor).await;
    assert_eq!(next.changes.len(), 2, "the returned record and the new one");
}

#[tokio::test]
async fn a_review_of_a_revision_the_author_has_replaced_meanwhile_is_refused() {
    let app = spawn_app().await;
    let lan = app.login("totruong").await;
    let boss = app.login("truongcong").await;
    let report = valid_report(own_group(&app, &lan).await);
    app.push_ok(&lan, vec![report.clone()]).await;
    // The queue names the revision shown: the record itself, at first.
    assert_eq!(
        app.record(&boss, report.id).await.summary.revision,
        report.id
    );
    returned(&app, &boss, report.id, "Ghi rõ số nhà.").await;
    let fixed = corrected(&report, report.id, "Số 12 ngõ 45.");
    let outcomes = app.push_ok(&lan, vec![fixed.clone()]).await;
    assert_eq!(outcomes, [PushOutcome::Accepted]);
    let new_revision = fixed.revision.unwrap().id;
    assert_eq!(
        app.record(&boss, report.id).await.summary.revision,
        new_revision
    );

    // A reviewer who still has the first version on screen approves nothing.
    let stale = serde_json::json!({"action": "approve", "revision": report.id});
    let resp = app
        .post_json(&boss, &format!("/api/records/{}/review", report.id), &stale)
        .await;
    let body = crate::helpers::expect_error(resp, StatusCode::CONFLICT, "wrong_state").await;
    assert!(body.message.contains("đã thay đổi"), "{}", body.message);
    let bulk =
        serde_json::json!({"ids": [report.id], "action": "approve", "revisions": [report.id]});
    let resp = app.post_json(&boss, "/api/records/review", &bulk).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let results: Vec<domain::review::BulkReviewResult> = resp.json().await.unwrap();
    assert!(
        matches!(
            results[0].outcome,
            domain::review::BulkReviewOutcome::Refused { .. }
        ),
        "{results:?}"
    );
    assert_eq!(
        app.record(&boss, report.id).await.summary.status,
        RecordStatus::Received
    );
    // Revisions that do not pair with the records are a clear error, before anything is done.
    let resp = app
        .post_json(
            &boss,
            "/api/records/review",
            &serde_json::json!({"ids": [report.id], "action": "approve", "revisions": [new_revision, new_revision]}),
        )
        .await;
    crate::helpers::expect_error(resp, StatusCode::UNPROCESSABLE_ENTITY, "validation").await;

    // The version on screen now is approved.
    let fresh = serde_json::json!({"action": "approve", "revision": new_revision});
    let resp = app
        .post_json(&boss, &format!("/api/records/{}/review", report.id), &fresh)
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(
        app.record(&boss, report.id).await.summary.status,
        RecordStatus::Approved
    );
}

#[tokio::test]
async fn choosing_a_conflicting_copy_takes_its_residential_group_and_needs_the_current_revision_named(
) {
    let app = spawn_app().await;
    let hoa = app.login("canbo").await;
    let boss = app.login("truongcong").await;
    let groups = app.ward_groups(&hoa).await;
    let visit = crate::helpers::valid_visit(groups[0]);
    app.push_ok(&hoa, vec![visit.clone()]).await;
    returned(&app, &boss, visit.id, "Sai tổ dân phố.").await;
    // Two corrections on the same base (two phones): the first is taken, the second, which
    // also moves the record to the right group, is kept as a conflict.
    let mut first = corrected(&visit, visit.id, "");
    first.data.remove("description");
    first
        .data
        .insert("notes".into(), Value::String("Bản sửa thứ nhất.".into()));
    let mut second = first.clone();
    second
        .data
        .insert("notes".into(), Value::String("Bản sửa đúng tổ.".into()));
    second.revision = Some(Revision {
        id: Uuid::now_v7(),
        base: visit.id,
    });
    second.group_id = groups[1];
    app.push_ok(&hoa, vec![first.clone()]).await;
    let outcomes = app.push_ok(&hoa, vec![second.clone()]).await;
    assert!(matches!(
        outcomes.as_slice(),
        [PushOutcome::Conflict { .. }]
    ));
    let h = history(&app, &boss, visit.id).await;
    let path = format!(
        "/api/records/{}/conflicts/{}/resolve",
        visit.id, h.conflicts[0].id
    );

    // "Theirs" without naming what it replaces is refused: nothing changes blindly.
    let resp = app
        .post_json(&boss, &path, &serde_json::json!({"keep": "theirs"}))
        .await;
    crate::helpers::expect_error(resp, StatusCode::UNPROCESSABLE_ENTITY, "validation").await;
    let current = first.revision.unwrap().id;
    let resp = app
        .post_json(
            &boss,
            &path,
            &serde_json::json!({"keep": "theirs", "current": current}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let detail = app.record(&boss, visit.id).await;
    assert_eq!(
        detail.summary.group.id, groups[1],
        "the copy's group came with it"
    );
    assert_eq!(detail.data, second.data);
    // Its author's phone learns the record's group too.
    assert_eq!(pulled(&app, &hoa, visit.id).await.group_id, groups[1]);
}

#[tokio::test]
async fn a_new_record_under_an_id_that_is_a_revision_is_refused_and_the_record_stays_correctable() {
    let app = spawn_app().await;
    let lan = app.login("totruong").await;
    let boss = app.login("truongcong").await;
    let group = own_group(&app, &lan).await;
    let report = valid_report(group);
    app.push_ok(&lan, vec![report.clone()]).await;
    returned(&app, &boss, report.id, "Ghi rõ số nhà.").await;
    let fixed = corrected(&report, report.id, "Số 12 ngõ 45.");
    app.push_ok(&lan, vec![fixed.clone()]).await;
    let taken = fixed.revision.unwrap().id;

    let mut squatter = valid_report(group);
    squatter.id = taken;
    let outcomes = app.push_ok(&lan, vec![squatter]).await;
    assert!(
        matches!(outcomes.as_slice(), [PushOutcome::Rejected { .. }]),
        "{outcomes:?}"
    );
    assert_eq!(
        app.stored_count(taken).await,
        0,
        "no record under a revision's id"
    );

    // The record's own history goes on: returned again, corrected on the revision it has.
    returned(&app, &boss, report.id, "Thêm ảnh.").await;
    let again = corrected(&fixed, taken, "Số 12 ngõ 45, có ảnh.");
    assert_eq!(
        app.push_ok(&lan, vec![again.clone()]).await,
        [PushOutcome::Accepted]
    );
    // And a replay of the correction is still a duplicate, not a stranger's record.
    assert_eq!(
        app.push_ok(&lan, vec![again]).await,
        [PushOutcome::Duplicate]
    );
}

#[tokio::test]
async fn a_correction_comes_back_at_the_top_of_the_queue_and_its_first_time_stays_in_the_history() {
    let app = spawn_app().await;
    let lan = app.login("totruong").await;
    let boss = app.login("truongcong").await;
    let group = own_group(&app, &lan).await;
    let older = valid_report(group);
    app.push_ok(&lan, vec![older.clone()]).await;
    let newer = valid_report(group);
    app.push_ok(&lan, vec![newer.clone()]).await;
    let first_received = app.record(&boss, older.id).await.summary.received_at;
    returned(&app, &boss, older.id, "Ghi rõ số nhà.").await;
    let fixed = corrected(&older, older.id, "Số 12 ngõ 45.");
    app.push_ok(&lan, vec![fixed]).await;

    let queue: Vec<Uuid> = app.records(&boss).await.into_iter().map(|r| r.id).collect();
    assert_eq!(
        queue,
        [older.id, newer.id],
        "the correction is the newest to review"
    );
    let h = history(&app, &boss, older.id).await;
    assert_eq!(h.revisions[0].received_at, first_received);
    assert!(h.revisions[1].received_at >= first_received);
    app.assert_tallies_match().await;
}

/// As `a_record_stored_before_exact_number_reading_and_sent_again_is_a_duplicate`, for a
/// correction: one stored by a server that read its latitude one unit off, sent again after
/// the upgrade, is a duplicate and changes nothing.
#[tokio::test]
async fn a_correction_stored_before_exact_number_reading_and_sent_again_is_a_duplicate() {
    let app = spawn_app().await;
    let officer = app.login("canbo").await;
    let boss = app.login("truongcong").await;
    let group = app.ward_groups(&officer).await[0];
    let visit = crate::exports::visit(group, serde_json::json!([]), 21.0812);
    app.push_ok(&officer, vec![visit.clone()]).await;
    returned(&app, &boss, visit.id, "Ghi lại vị trí.").await;
    let mut fixed = visit.clone();
    fixed.data["position"]["lat"] = serde_json::json!(21.067493816419294);
    fixed.revision = Some(Revision {
        id: Uuid::now_v7(),
        base: visit.id,
    });
    let old_hash = fixed
        .legacy_content_hash()
        .expect("this latitude was read one unit off");
    assert_eq!(
        app.push_ok(&officer, vec![fixed.clone()]).await,
        [PushOutcome::Accepted]
    );
    app.set_stored_hash("records", visit.id, &old_hash).await;
    assert_eq!(
        app.push_ok(&officer, vec![fixed]).await,
        [PushOutcome::Duplicate]
    );
    assert_eq!(audit_count(&app, visit.id, "record.resubmit").await, 1);
    assert_eq!(app.stored_count(visit.id).await, 1);
}
