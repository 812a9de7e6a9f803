//! Review through the API: the state machine of `domain::review` enforced by the server, on
//! single records and many at once, with the audit trail and the author's pull to show for it.

use domain::api::RecordSummary;
use domain::record::RecordStatus;
use domain::review::{BulkReviewOutcome, BulkReviewResult, MAX_BULK_REVIEW};
use domain::sync::{Change, PushOutcome};
use reqwest::StatusCode;
use serde_json::json;
use uuid::Uuid;

use crate::helpers::{expect_error, own_group, spawn_app, valid_report, valid_visit, TestApp};

async fn file(app: &TestApp, token: &str, record: domain::record::RecordEnvelope) -> Uuid {
    let id = record.id;
    assert_eq!(
        app.push_ok(token, vec![record]).await,
        [PushOutcome::Accepted]
    );
    id
}

async fn status_of(app: &TestApp, token: &str, id: Uuid) -> RecordStatus {
    app.record(token, id).await.summary.status
}

async fn reviews_in_audit(app: &TestApp, id: Uuid) -> usize {
    let admin = app.login("admin").await;
    app.audit(&admin, &format!("entity_id={id}&action=record.review"))
        .await
        .len()
}

#[tokio::test]
async fn a_supervisor_approves_an_officers_visit_and_the_officer_sees_it_at_the_next_pull() {
    let app = spawn_app().await;
    let hoa = app.login("canbo").await;
    let boss = app.login("truongcong").await;
    let group = own_group(&app, &app.login("totruong").await).await;
    let id = file(&app, &hoa, valid_visit(group)).await;
    let cursor = app.pull(&hoa, 0).await.cursor;

    let resp = app.review(&boss, id, "approve", None).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let summary: RecordSummary = resp.json().await.unwrap();
    assert_eq!((summary.id, summary.status), (id, RecordStatus::Approved));

    let page = app.pull(&hoa, cursor).await;
    let [Change::Record(state)] = page.changes.as_slice() else {
        panic!("expected the one record's new state: {:?}", page.changes);
    };
    assert_eq!((state.id, state.status), (id, RecordStatus::Approved));
    assert_eq!(reviews_in_audit(&app, id).await, 1);
}

#[tokio::test]
async fn nobody_reviews_a_record_they_wrote() {
    let app = spawn_app().await;
    let hoa = app.login("canbo").await;
    let group = own_group(&app, &app.login("totruong").await).await;
    let id = file(&app, &hoa, valid_visit(group)).await;

    for action in ["approve", "return"] {
        let resp = app.review(&hoa, id, action, Some("Tự duyệt")).await;
        let err = expect_error(resp, StatusCode::FORBIDDEN, "forbidden").await;
        assert_eq!(err.message, "Không thể tự duyệt hồ sơ của chính mình.");
    }
    assert_eq!(status_of(&app, &hoa, id).await, RecordStatus::Received);
    assert_eq!(reviews_in_audit(&app, id).await, 0);
}

#[tokio::test]
async fn returning_needs_a_comment_which_reaches_the_author_in_their_pull() {
    let app = spawn_app().await;
    let lan = app.login("totruong").await;
    let boss = app.login("truongcong").await;
    let id = file(&app, &lan, valid_report(own_group(&app, &lan).await)).await;
    let cursor = app.pull(&lan, 0).await.cursor;

    for blank in [None, Some("   ")] {
        let resp = app.review(&boss, id, "return", blank).await;
        let err = expect_error(resp, StatusCode::UNPROCESSABLE_ENTITY, "validation").await;
        assert_eq!(err.message, "Hãy ghi rõ cần sửa gì.");
    }
    assert!(app.pull(&lan, cursor).await.changes.is_empty());

    let resp = app
        .review(&boss, id, "return", Some(" Ghi rõ số nhà. "))
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let page = app.pull(&lan, cursor).await;
    let [Change::Record(state)] = page.changes.as_slice() else {
        panic!("expected the returned record: {:?}", page.changes);
    };
    assert_eq!(state.status, RecordStatus::Returned);
    assert_eq!(state.note.as_deref(), Some("Ghi rõ số nhà."));
}

#[tokio::test]
async fn a_refusal_is_in_the_callers_language() {
    let app = spawn_app().await;
    let lan = app.login("totruong").await;
    let boss = app.login("truongcong").await;
    let id = file(&app, &lan, valid_report(own_group(&app, &lan).await)).await;
    let resp = app
        .request(
            reqwest::Method::POST,
            &format!("/api/records/{id}/review"),
            Some(&boss),
        )
        .header("Accept-Language", "en")
        .json(&json!({"action": "resolve"}))
        .send()
        .await
        .unwrap();
    let err = expect_error(resp, StatusCode::UNPROCESSABLE_ENTITY, "validation").await;
    assert_eq!(err.message, "Write a reply to the person who reported it.");
}

#[tokio::test]
async fn handling_is_for_neighborhood_reports_only() {
    let app = spawn_app().await;
    let hoa = app.login("canbo").await;
    let boss = app.login("truongcong").await;
    let group = own_group(&app, &app.login("totruong").await).await;
    let visit = file(&app, &hoa, valid_visit(group)).await;
    let resp = app.review(&boss, visit, "start_handling", None).await;
    expect_error(resp, StatusCode::UNPROCESSABLE_ENTITY, "validation").await;
    let resp = app
        .review(&boss, visit, "resolve", Some("Đã xử lý xong."))
        .await;
    expect_error(resp, StatusCode::UNPROCESSABLE_ENTITY, "validation").await;
    assert_eq!(status_of(&app, &boss, visit).await, RecordStatus::Received);
}

#[tokio::test]
async fn a_review_that_no_longer_applies_is_a_conflict_and_a_repeated_one_changes_nothing() {
    let app = spawn_app().await;
    let lan = app.login("totruong").await;
    let boss = app.login("truongcong").await;
    let hoa = app.login("canbo").await;
    let id = file(&app, &lan, valid_report(own_group(&app, &lan).await)).await;

    assert_eq!(
        app.review(&boss, id, "return", Some("Thiếu ảnh."))
            .await
            .status(),
        StatusCode::OK
    );
    // The officer, looking at the same record a moment ago, approves it: too late.
    let resp = app.review(&hoa, id, "approve", None).await;
    let err = expect_error(resp, StatusCode::CONFLICT, "wrong_state").await;
    assert_eq!(
        err.message,
        "Hồ sơ đang ở trạng thái “Trả lại để sửa” nên không thể duyệt."
    );
    // Returned again with other words: the first comment stands.
    let resp = app.review(&hoa, id, "return", Some("Ảnh mờ.")).await;
    expect_error(resp, StatusCode::CONFLICT, "wrong_state").await;
    // The supervisor's request arrives twice (a retry after a lost answer): one review.
    let resp = app.review(&boss, id, "return", Some("Thiếu ảnh.")).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let summary: RecordSummary = resp.json().await.unwrap();
    assert_eq!(summary.status, RecordStatus::Returned);
    assert_eq!(reviews_in_audit(&app, id).await, 1);
    let lan_pull = app.pull(&lan, 0).await;
    let note = lan_pull.changes.iter().find_map(|c| match c {
        Change::Record(r) if r.id == id => r.note.clone(),
        _ => None,
    });
    assert_eq!(note.as_deref(), Some("Thiếu ảnh."));
}

#[tokio::test]
async fn a_report_is_taken_up_and_resolved_with_a_reply() {
    let app = spawn_app().await;
    let lan = app.login("totruong").await;
    let hoa = app.login("canbo").await;
    let id = file(&app, &lan, valid_report(own_group(&app, &lan).await)).await;

    let steps = [
        ("start_handling", None, RecordStatus::InProgress),
        (
            "resolve",
            Some("Đã nhắc nhở hộ gia đình."),
            RecordStatus::Resolved,
        ),
    ];
    for (action, comment, want) in steps {
        let resp = app.review(&hoa, id, action, comment).await;
        assert_eq!(resp.status(), StatusCode::OK, "{action}");
        assert_eq!(status_of(&app, &hoa, id).await, want);
    }
    // Resolved is the end: nothing moves it again.
    for action in ["approve", "return", "start_handling"] {
        let resp = app.review(&hoa, id, action, Some("x")).await;
        expect_error(resp, StatusCode::CONFLICT, "wrong_state").await;
    }
    let state = app
        .pull(&lan, 0)
        .await
        .changes
        .into_iter()
        .find_map(|c| match c {
            Change::Record(r) if r.id == id => Some(r),
            _ => None,
        });
    let state = state.expect("the report in its author's pull");
    assert_eq!(state.status, RecordStatus::Resolved);
    assert_eq!(state.note.as_deref(), Some("Đã nhắc nhở hộ gia đình."));
    assert_eq!(reviews_in_audit(&app, id).await, 2);
    app.assert_tallies_match().await;
}

#[tokio::test]
async fn approving_many_reviews_each_record_on_its_own() {
    let app = spawn_app().await;
    app.add_officer("canboxuanla", "Xuân La").await;
    let lan = app.login("totruong").await;
    let hoa = app.login("canbo").await;
    let xl = app.login("canboxuanla").await;
    let group = own_group(&app, &lan).await;
    let fresh = file(&app, &lan, valid_report(group)).await;
    let approved = file(&app, &lan, valid_report(group)).await;
    let own = file(&app, &hoa, valid_visit(group)).await;
    let xl_group = app.ward_groups(&xl).await[0];
    let elsewhere = file(&app, &xl, valid_report(xl_group)).await;
    assert_eq!(
        app.review(&hoa, approved, "approve", None).await.status(),
        StatusCode::OK
    );

    let ids = [fresh, approved, own, elsewhere, Uuid::now_v7(), fresh];
    let resp = app
        .post_json(
            &hoa,
            "/api/records/review",
            &json!({"ids": ids, "action": "approve"}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let results: Vec<BulkReviewResult> = resp.json().await.unwrap();
    let got: Vec<(Uuid, BulkReviewOutcome)> =
        results.into_iter().map(|r| (r.id, r.outcome)).collect();
    assert_eq!(
        got,
        [
            (
                fresh,
                BulkReviewOutcome::Done {
                    status: RecordStatus::Approved
                }
            ),
            (
                approved,
                BulkReviewOutcome::Already {
                    status: RecordStatus::Approved
                }
            ),
            (
                own,
                BulkReviewOutcome::Refused {
                    message: "Không thể tự duyệt hồ sơ của chính mình.".into()
                }
            ),
            (elsewhere, BulkReviewOutcome::NotFound),
            (ids[4], BulkReviewOutcome::NotFound),
        ],
        "one result per distinct id, in order"
    );
    assert_eq!(status_of(&app, &hoa, fresh).await, RecordStatus::Approved);
    assert_eq!(status_of(&app, &hoa, own).await, RecordStatus::Received);
    assert_eq!(
        status_of(&app, &xl, elsewhere).await,
        RecordStatus::Received
    );
    assert_eq!(reviews_in_audit(&app, fresh).await, 1);
}

#[tokio::test]
async fn approving_more_than_the_limit_at_once_is_refused_whole() {
    let app = spawn_app().await;
    let boss = app.login("truongcong").await;
    let lan = app.login("totruong").await;
    let id = file(&app, &lan, valid_report(own_group(&app, &lan).await)).await;
    let mut ids = vec![id];
    ids.extend((0..MAX_BULK_REVIEW).map(|_| Uuid::now_v7()));
    let resp = app
        .post_json(
            &boss,
            "/api/records/review",
            &json!({"ids": ids, "action": "approve"}),
        )
        .await;
    expect_error(resp, StatusCode::PAYLOAD_TOO_LARGE, "batch_too_large").await;
    assert_eq!(status_of(&app, &boss, id).await, RecordStatus::Received);
}

#[tokio::test]
async fn group_leaders_cannot_approve_many_either() {
    let app = spawn_app().await;
    let lan = app.login("totruong").await;
    let id = file(&app, &lan, valid_report(own_group(&app, &lan).await)).await;
    let resp = app
        .post_json(
            &lan,
            "/api/records/review",
            &json!({"ids": [id], "action": "approve"}),
        )
        .await;
    let err = expect_error(resp, StatusCode::FORBIDDEN, "forbidden").await;
    assert_eq!(err.message, "Tài khoản này không duyệt hồ sơ.");
    let boss = app.login("truongcong").await;
    assert_eq!(status_of(&app, &boss, id).await, RecordStatus::Received);
}

#[tokio::test]
async fn a_records_detail_offers_exactly_the_actions_its_reader_may_take() {
    use domain::review::ReviewAction::*;
    let app = spawn_app().await;
    let lan = app.login("totruong").await;
    let hoa = app.login("canbo").await;
    let boss = app.login("truongcong").await;
    let group = own_group(&app, &lan).await;
    let report = file(&app, &lan, valid_report(group)).await;
    let visit = file(&app, &hoa, valid_visit(group)).await;

    assert_eq!(
        app.record(&boss, report).await.actions,
        [Approve, Return, StartHandling, Resolve]
    );
    assert_eq!(app.record(&boss, visit).await.actions, [Approve, Return]);
    assert_eq!(
        app.record(&hoa, visit).await.actions,
        [],
        "their own record"
    );
    assert_eq!(app.record(&lan, report).await.actions, [], "a group leader");
    let resp = app.review(&boss, report, "start_handling", None).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(app.record(&hoa, report).await.actions, [Return, Resolve]);
}

#[tokio::test]
async fn returning_many_without_a_comment_is_refused_once_before_any_record_is_touched() {
    let app = spawn_app().await;
    let lan = app.login("totruong").await;
    let boss = app.login("truongcong").await;
    let id = file(&app, &lan, valid_report(own_group(&app, &lan).await)).await;
    let resp = app
        .post_json(
            &boss,
            "/api/records/review",
            &json!({"ids": [id, Uuid::now_v7()], "action": "return"}),
        )
        .await;
    let err = expect_error(resp, StatusCode::UNPROCESSABLE_ENTITY, "validation").await;
    assert_eq!(err.message, "Hãy ghi rõ cần sửa gì.");
    assert_eq!(status_of(&app, &boss, id).await, RecordStatus::Received);
}
