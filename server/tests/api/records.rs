use domain::api::RecordSummary;
use domain::record::{RecordEnvelope, RecordStatus};
use domain::sync::PushOutcome;
use reqwest::{Method, StatusCode};
use serde_json::json;
use uuid::Uuid;

use crate::helpers::{
    expect_error, is_accepted, own_group, spawn_app, valid_report, valid_visit, TestApp,
};

/// Files a valid report as `token` about `group` and returns its id.
async fn file(app: &TestApp, token: &str, group: i64) -> Uuid {
    let report = valid_report(group);
    assert_eq!(
        app.push_ok(token, vec![report.clone()]).await,
        [PushOutcome::Accepted]
    );
    report.id
}

fn ids(list: &[RecordSummary]) -> Vec<Uuid> {
    list.iter().map(|r| r.id).collect()
}

#[tokio::test]
async fn the_wards_supervisor_sees_a_report_in_the_list_and_in_detail() {
    let app = spawn_app().await;
    let lan = app.login("totruong").await;
    let boss = app.login("truongcong").await;
    let group = own_group(&app, &lan).await;
    let report = valid_report(group);
    app.push_ok(&lan, vec![report.clone()]).await;

    let list = app.records(&boss).await;
    assert_eq!(ids(&list), [report.id]);
    let row = &list[0];
    assert_eq!(row.headline, "Trộm cắp — Số 12 ngõ 45 Nhật Tân");
    assert_eq!(row.author, "Bà Phạm Thị Lan");
    assert_eq!(row.group.id, group);
    assert_eq!(row.group.name, "Tổ dân phố số 1");
    assert_eq!(row.status, RecordStatus::Received);
    assert!(row.received_at > 0);

    let detail = app.record(&boss, report.id).await;
    assert_eq!(&detail.summary, row);
    assert_eq!(detail.ward.name, "Nhật Tân");
    assert_eq!(detail.data, report.data);

    // The headline follows the reader's language.
    let resp = app
        .request(Method::GET, "/api/records", Some(&boss))
        .header("accept-language", "en")
        .send()
        .await
        .unwrap();
    let list: Vec<RecordSummary> = resp.json().await.unwrap();
    assert_eq!(list[0].headline, "Theft — Số 12 ngõ 45 Nhật Tân");
}

#[tokio::test]
async fn the_list_shows_the_newest_first_and_pages_back() {
    let app = spawn_app().await;
    let lan = app.login("totruong").await;
    let boss = app.login("truongcong").await;
    let group = own_group(&app, &lan).await;
    let mut filed = Vec::new();
    for _ in 0..3 {
        filed.push(file(&app, &lan, group).await);
        // Distinct receive times, so the order is by time, not by chance.
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    let list = app.records(&boss).await;
    let newest_first: Vec<Uuid> = filed.iter().rev().copied().collect();
    assert_eq!(ids(&list), newest_first);

    let first = app.get(&boss, "/api/records?limit=2").await;
    let first: Vec<RecordSummary> = first.json().await.unwrap();
    assert_eq!(ids(&first), newest_first[..2]);
    let rest = app
        .get(
            &boss,
            &format!("/api/records?limit=2&before={}", first[1].received_at),
        )
        .await;
    let rest: Vec<RecordSummary> = rest.json().await.unwrap();
    assert_eq!(ids(&rest), newest_first[2..]);
}

#[tokio::test]
async fn paging_back_through_records_of_one_push_shows_each_exactly_once() {
    let app = spawn_app().await;
    let lan = app.login("totruong").await;
    let boss = app.login("truongcong").await;
    let group = own_group(&app, &lan).await;
    // One push: every record has the same receive time.
    let batch: Vec<RecordEnvelope> = (0..150).map(|_| valid_report(group)).collect();
    let outcomes = app.push_ok(&lan, batch.clone()).await;
    assert!(outcomes.iter().all(is_accepted));

    let mut seen: Vec<Uuid> = Vec::new();
    let mut path = "/api/records?limit=40".to_owned();
    for _ in 0..10 {
        let page: Vec<RecordSummary> = app.get(&boss, &path).await.json().await.unwrap();
        let Some(last) = page.last() else { break };
        path = format!(
            "/api/records?limit=40&before={}&before_id={}",
            last.received_at, last.id
        );
        seen.extend(ids(&page));
    }
    let distinct: std::collections::HashSet<_> = seen.iter().collect();
    assert_eq!(distinct.len(), seen.len(), "a record was listed twice");
    assert_eq!(
        seen.len(),
        batch.len(),
        "every record of the push is listed"
    );
}

#[tokio::test]
async fn another_wards_supervisor_sees_nothing_and_learns_nothing() {
    let app = spawn_app().await;
    let lan = app.login("totruong").await;
    let xuan_la = app.login("truongxuanla").await;
    let id = file(&app, &lan, own_group(&app, &lan).await).await;

    assert!(app.records(&xuan_la).await.is_empty());
    let resp = app.get(&xuan_la, &format!("/api/records/{id}")).await;
    expect_error(resp, StatusCode::NOT_FOUND, "not_found").await;
    // Exactly what a record that does not exist at all answers.
    let resp = app
        .get(&xuan_la, &format!("/api/records/{}", Uuid::now_v7()))
        .await;
    expect_error(resp, StatusCode::NOT_FOUND, "not_found").await;
    // Nor may they move it.
    let resp = app
        .review(&xuan_la, id, "resolve", Some("Đã xử lý xong."))
        .await;
    expect_error(resp, StatusCode::NOT_FOUND, "not_found").await;
    let boss = app.login("truongcong").await;
    assert_eq!(
        app.record(&boss, id).await.summary.status,
        RecordStatus::Received
    );
}

#[tokio::test]
async fn a_group_leader_sees_only_their_own_groups_reports() {
    let app = spawn_app().await;
    let lan = app.login("totruong").await;
    let hoa = app.login("canbo").await;
    let own = own_group(&app, &lan).await;
    let other = *app
        .ward_groups(&hoa)
        .await
        .iter()
        .find(|&&g| g != own)
        .unwrap();

    let by_lan = file(&app, &lan, own).await;
    let by_hoa_for_lan = file(&app, &hoa, own).await;
    let elsewhere = file(&app, &hoa, other).await;

    let mut seen = ids(&app.records(&lan).await);
    seen.sort();
    let mut expected = vec![by_lan, by_hoa_for_lan];
    expected.sort();
    assert_eq!(seen, expected);
    assert_eq!(app.record(&lan, by_hoa_for_lan).await.summary.group.id, own);
    let resp = app.get(&lan, &format!("/api/records/{elsewhere}")).await;
    expect_error(resp, StatusCode::NOT_FOUND, "not_found").await;

    // The ward's officer sees the whole ward.
    assert_eq!(app.records(&hoa).await.len(), 3);
}

#[tokio::test]
async fn an_administrator_does_not_read_residents_records() {
    let app = spawn_app().await;
    let lan = app.login("totruong").await;
    let admin = app.login("admin").await;
    let id = file(&app, &lan, own_group(&app, &lan).await).await;

    let resp = app.get(&admin, "/api/records").await;
    let err = expect_error(resp, StatusCode::FORBIDDEN, "forbidden").await;
    assert_eq!(err.message, "Bạn không có quyền làm việc này.");
    let resp = app.get(&admin, &format!("/api/records/{id}")).await;
    expect_error(resp, StatusCode::FORBIDDEN, "forbidden").await;
}

#[tokio::test]
async fn a_supervisor_moves_a_report_along() {
    let app = spawn_app().await;
    let lan = app.login("totruong").await;
    let boss = app.login("truongcong").await;
    let id = file(&app, &lan, own_group(&app, &lan).await).await;

    let resp = app.review(&boss, id, "start_handling", None).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let summary: RecordSummary = resp.json().await.unwrap();
    assert_eq!((summary.id, summary.status), (id, RecordStatus::InProgress));
    assert_eq!(app.records(&boss).await[0].status, RecordStatus::InProgress);
    // The author's group leader view shows it too.
    assert_eq!(
        app.record(&lan, id).await.summary.status,
        RecordStatus::InProgress
    );

    let resp = app
        .review(&boss, id, "resolve", Some("Đã xử lý xong."))
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(
        app.record(&boss, id).await.summary.status,
        RecordStatus::Resolved
    );
}

#[tokio::test]
async fn a_group_leader_reviews_nothing() {
    let app = spawn_app().await;
    app.add_officer("canboxuanla", "Xuân La").await;
    let lan = app.login("totruong").await;
    let boss = app.login("truongcong").await;
    let xuan_la_officer = app.login("canboxuanla").await;
    let own = file(&app, &lan, own_group(&app, &lan).await).await;
    let xuan_la_group = app.ward_groups(&xuan_la_officer).await[0];
    let foreign = file(&app, &xuan_la_officer, xuan_la_group).await;

    // Their own group's report: they may see it, not move it.
    let resp = app
        .review(&lan, own, "resolve", Some("Đã xử lý xong."))
        .await;
    expect_error(resp, StatusCode::FORBIDDEN, "forbidden").await;
    // Another ward's report: it does not exist for them.
    let resp = app
        .review(&lan, foreign, "resolve", Some("Đã xử lý xong."))
        .await;
    expect_error(resp, StatusCode::NOT_FOUND, "not_found").await;

    assert_eq!(
        app.record(&boss, own).await.summary.status,
        RecordStatus::Received
    );
    assert_eq!(
        app.record(&xuan_la_officer, foreign).await.summary.status,
        RecordStatus::Received
    );
}

#[tokio::test]
async fn a_return_with_an_overlong_comment_is_refused() {
    let app = spawn_app().await;
    let lan = app.login("totruong").await;
    let boss = app.login("truongcong").await;
    let id = file(&app, &lan, own_group(&app, &lan).await).await;

    let resp = app
        .post_json(
            &boss,
            &format!("/api/records/{id}/review"),
            &json!({ "action": "return", "comment": "ô".repeat(1001) }),
        )
        .await;
    let err = expect_error(resp, StatusCode::UNPROCESSABLE_ENTITY, "validation").await;
    assert_eq!(err.message, "Ghi chú tối đa 1000 ký tự.");
    assert_eq!(
        app.record(&boss, id).await.summary.status,
        RecordStatus::Received
    );

    // 1000 characters (of several bytes each) fit.
    let resp = app
        .post_json(
            &boss,
            &format!("/api/records/{id}/review"),
            &json!({ "action": "return", "comment": "ô".repeat(1000) }),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
}

#[tokio::test]
async fn an_unknown_review_action_is_a_validation_error() {
    let app = spawn_app().await;
    let lan = app.login("totruong").await;
    let boss = app.login("truongcong").await;
    let id = file(&app, &lan, own_group(&app, &lan).await).await;
    let resp = app.review(&boss, id, "delete", None).await;
    expect_error(resp, StatusCode::UNPROCESSABLE_ENTITY, "validation").await;
    assert_eq!(
        app.record(&boss, id).await.summary.status,
        RecordStatus::Received
    );
}

#[tokio::test]
async fn a_group_leader_sees_the_groups_reports_but_not_officers_police_records() {
    let app = spawn_app().await;
    let lan = app.login("totruong").await;
    let hoa = app.login("canbo").await;
    let group = own_group(&app, &lan).await;
    let report = valid_report(group);
    let report_id = report.id;
    assert!(is_accepted(&app.push_ok(&lan, vec![report]).await[0]));
    // The officer files a neighborhood report and a visit to a person under management,
    // both about the leader's group.
    let officers_report = valid_report(group);
    let officers_report_id = officers_report.id;
    let visit = valid_visit(group);
    let visit_id = visit.id;
    let outcomes = app.push_ok(&hoa, vec![officers_report, visit]).await;
    assert!(outcomes.iter().all(is_accepted), "{outcomes:?}");

    let mut seen: Vec<_> = app.records(&lan).await.into_iter().map(|r| r.id).collect();
    seen.sort();
    let mut reports = vec![report_id, officers_report_id];
    reports.sort();
    assert_eq!(
        seen, reports,
        "the group's neighborhood reports, whoever filed them"
    );
    let resp = app.get(&lan, &format!("/api/records/{visit_id}")).await;
    expect_error(resp, StatusCode::NOT_FOUND, "not_found").await;
    // The ward's supervisor sees all three.
    let boss = app.login("truongcong").await;
    let all: Vec<_> = app.records(&boss).await.into_iter().map(|r| r.id).collect();
    for id in [report_id, officers_report_id, visit_id] {
        assert!(all.contains(&id));
    }
}
