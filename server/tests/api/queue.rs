//! The review queue: filters, diacritics-blind search and counts per state, each within the
//! caller's place, on either database.

use domain::api::{RecordSummary, StateCount};
use domain::record::RecordStatus;
use domain::sync::PushOutcome;
use reqwest::StatusCode;
use serde_json::Value;
use uuid::Uuid;

use crate::helpers::{expect_error, own_group, spawn_app, valid_report, valid_visit, TestApp};

async fn file_with(app: &TestApp, token: &str, group: i64, location: &str) -> Uuid {
    let mut r = valid_report(group);
    r.data
        .insert("location".into(), Value::String(location.into()));
    let id = r.id;
    assert_eq!(app.push_ok(token, vec![r]).await, [PushOutcome::Accepted]);
    id
}

async fn list(app: &TestApp, token: &str, query: &str) -> Vec<Uuid> {
    let resp = app.get(token, &format!("/api/records?{query}")).await;
    assert_eq!(resp.status(), StatusCode::OK, "{query}");
    let rows: Vec<RecordSummary> = resp.json().await.unwrap();
    rows.into_iter().map(|r| r.id).collect()
}

async fn counts(app: &TestApp, token: &str, query: &str) -> Vec<(RecordStatus, i64)> {
    let resp = app
        .get(token, &format!("/api/records/counts?{query}"))
        .await;
    assert_eq!(resp.status(), StatusCode::OK, "{query}");
    let rows: Vec<StateCount> = resp.json().await.unwrap();
    rows.into_iter()
        .filter(|c| c.count > 0)
        .map(|c| (c.status, c.count))
        .collect()
}

fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[tokio::test]
async fn counts_without_a_filter_are_read_from_the_wards_state_counts_and_with_one_from_the_records(
) {
    // Which of the two answers is proven by a tally that disagrees with the records on purpose:
    // the unfiltered counts show it, the filtered ones do not.
    let app = spawn_app().await;
    let leader = app.login("totruong").await;
    let boss = app.login("truongcong").await;
    let group = own_group(&app, &leader).await;
    file_with(&app, &leader, group, "Ngõ 12").await;
    file_with(&app, &leader, group, "Ngõ 14").await;
    let received = |counts: &[(RecordStatus, i64)]| {
        counts
            .iter()
            .find(|c| c.0 == RecordStatus::Received)
            .map_or(0, |c| c.1)
    };
    assert_eq!(received(&counts(&app, &boss, "").await), 2);
    assert_eq!(received(&counts(&app, &boss, "from=0").await), 2);

    sqlx::query("UPDATE record_status_counts SET n = n + 40 WHERE status = 'received'")
        .execute(&app.state.db.pool)
        .await
        .unwrap();
    assert_eq!(received(&counts(&app, &boss, "").await), 42);
    assert_eq!(received(&counts(&app, &boss, "from=0").await), 2);
}

#[tokio::test]
async fn search_finds_what_people_wrote_ignoring_diacritics_case_and_unicode_form() {
    let app = spawn_app().await;
    let lan = app.login("totruong").await;
    let boss = app.login("truongcong").await;
    let group = own_group(&app, &lan).await;
    let hit = file_with(&app, &lan, group, "Số 4 phố Nhật Tân").await;
    file_with(&app, &lan, group, "Ngõ 7 Tô Ngọc Vân").await;

    for q in [
        "nhat tan",
        "NHẬT TÂN",
        "Nha\u{323}\u{302}t Ta\u{302}n",
        "  nhật  ",
    ] {
        assert_eq!(
            list(&app, &boss, &format!("q={}", enc(q))).await,
            [hit],
            "{q:?}"
        );
    }
    // What nobody wrote is not searched: the choice's value, the ISO time of the incident.
    for q in ["theft", "urgent", "2026-11-25"] {
        assert!(
            list(&app, &boss, &format!("q={}", enc(q))).await.is_empty(),
            "{q:?} is no one's words"
        );
    }
    // The description is.
    assert_eq!(
        list(&app, &boss, &format!("q={}", enc("mất xe máy")))
            .await
            .len(),
        2
    );
    // LIKE's wildcards are plain characters in a query.
    assert!(list(&app, &boss, &format!("q={}", enc("%")))
        .await
        .is_empty());
    assert!(list(&app, &boss, &format!("q={}", enc("_")))
        .await
        .is_empty());
    assert_eq!(
        list(&app, &boss, "q=").await.len(),
        2,
        "an empty query finds all"
    );
}

#[tokio::test]
async fn filters_combine_and_counts_follow_them_per_state() {
    let app = spawn_app().await;
    let lan = app.login("totruong").await;
    let hoa = app.login("canbo").await;
    let boss = app.login("truongcong").await;
    let group = own_group(&app, &lan).await;
    let a = file_with(&app, &lan, group, "Ngõ 1").await;
    let b = file_with(&app, &lan, group, "Ngõ 2").await;
    let visit = valid_visit(group);
    let v = visit.id;
    app.push_ok(&hoa, vec![visit]).await;
    let resp = app.review(&boss, a, "approve", None).await;
    assert_eq!(resp.status(), StatusCode::OK);

    assert_eq!(list(&app, &boss, "status=approved").await, [a]);
    assert_eq!(list(&app, &boss, "status=received").await, [v, b]);
    assert_eq!(list(&app, &boss, "form=managed_person_visit").await, [v]);
    let leader = app.me(&lan).await.user_id;
    assert_eq!(
        list(&app, &boss, &format!("author={leader}&status=received")).await,
        [b]
    );
    assert_eq!(list(&app, &boss, &format!("group={group}")).await.len(), 3);
    assert!(list(&app, &boss, "group=987654321").await.is_empty());
    assert!(list(&app, &boss, "from=99999999999999").await.is_empty());
    assert!(list(&app, &boss, "to=1").await.is_empty());

    assert_eq!(
        counts(&app, &boss, "").await,
        [(RecordStatus::Received, 2), (RecordStatus::Approved, 1)]
    );
    assert_eq!(
        counts(&app, &boss, "form=neighborhood_report&status=received").await,
        [(RecordStatus::Received, 1), (RecordStatus::Approved, 1)],
        "counts ignore the state filter: they are the tabs"
    );
    // A group leader counts only what they may see: their group's reports.
    assert_eq!(
        counts(&app, &lan, "").await,
        [(RecordStatus::Received, 1), (RecordStatus::Approved, 1)]
    );
}

#[tokio::test]
async fn another_wards_queue_and_counts_are_empty() {
    let app = spawn_app().await;
    let lan = app.login("totruong").await;
    let xl = app.login("truongxuanla").await;
    file_with(&app, &lan, own_group(&app, &lan).await, "Số 4 phố Nhật Tân").await;
    assert!(list(&app, &xl, "q=nhat").await.is_empty());
    assert!(counts(&app, &xl, "").await.is_empty());
    let admin = app.login("admin").await;
    let resp = app.get(&admin, "/api/records/counts").await;
    expect_error(resp, StatusCode::FORBIDDEN, "forbidden").await;
}

#[tokio::test]
async fn a_malformed_filter_is_a_clear_error() {
    let app = spawn_app().await;
    let boss = app.login("truongcong").await;
    for q in ["status=deleted", "group=abc", "from=yesterday"] {
        let resp = app.get(&boss, &format!("/api/records?{q}")).await;
        expect_error(resp, StatusCode::BAD_REQUEST, "bad_request").await;
        let resp = app.get(&boss, &format!("/api/records/counts?{q}")).await;
        expect_error(resp, StatusCode::BAD_REQUEST, "bad_request").await;
    }
}

#[tokio::test]
async fn a_search_longer_than_anyone_types_is_refused_in_words() {
    let app = spawn_app().await;
    let boss = app.login("truongcong").await;
    let long = "ư".repeat(201);
    for path in ["/api/records", "/api/records/counts"] {
        let resp = app.get(&boss, &format!("{path}?q={}", enc(&long))).await;
        let err = expect_error(resp, StatusCode::UNPROCESSABLE_ENTITY, "validation").await;
        assert_eq!(err.message, "Nội dung tìm kiếm tối đa 200 ký tự.");
    }
    let resp = app
        .get(&boss, &format!("/api/records?q={}", enc(&"ư".repeat(200))))
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
}

#[tokio::test]
async fn the_queue_filters_by_urgency_and_counts_follow() {
    let app = spawn_app().await;
    let lan = app.login("totruong").await;
    let boss = app.login("truongcong").await;
    let group = own_group(&app, &lan).await;
    let mut urgent = valid_report(group);
    urgent
        .data
        .insert("urgency".into(), Value::String("emergency".into()));
    let mut calm = valid_report(group);
    calm.data
        .insert("urgency".into(), Value::String("normal".into()));
    let (u, c) = (urgent.id, calm.id);
    app.push_ok(&lan, vec![urgent, calm]).await;
    assert_eq!(list(&app, &boss, "urgency=emergency").await, [u]);
    assert_eq!(list(&app, &boss, "urgency=normal").await, [c]);
    assert!(list(&app, &boss, "urgency=nonsense").await.is_empty());
    assert_eq!(
        counts(&app, &boss, "urgency=emergency").await,
        [(RecordStatus::Received, 1)]
    );
}

#[tokio::test]
async fn the_author_filter_lists_the_people_of_the_callers_ward_only() {
    let app = spawn_app().await;
    let admin = app.login("admin").await;
    let xuan_la = app.ward_named(&admin, "Xuân La").await;
    app.create_user(
        &admin,
        &serde_json::json!({"username": "canboxl", "display_name": "Cán bộ Xuân La", "role": "officer",
            "ward_id": xuan_la.id, "password": "một câu dài dễ nhớ"}),
    )
    .await;
    for reader in ["truongcong", "canbo"] {
        let token = app.login(reader).await;
        let resp = app.get(&token, "/api/records/authors").await;
        assert_eq!(resp.status(), StatusCode::OK, "{reader}");
        let people: Vec<domain::api::Author> = resp.json().await.unwrap();
        let mut names: Vec<&str> = people.iter().map(|p| p.name.as_str()).collect();
        names.sort();
        assert_eq!(
            names,
            [
                "Bà Phạm Thị Lan",
                "Thượng tá Nguyễn Văn Trường",
                "Đại úy Lê Thị Hoa"
            ],
            "{reader}: no administrator, nobody of Xuân La"
        );
        let lan = people.iter().find(|p| p.name == "Bà Phạm Thị Lan").unwrap();
        assert_eq!(lan.role, domain::api::Role::GroupLeader);
        assert!(
            lan.group.is_some(),
            "a group leader is shown with their group"
        );
        assert!(lan.active);
    }
    for refused in ["totruong", "admin"] {
        let token = app.login(refused).await;
        let resp = app.get(&token, "/api/records/authors").await;
        expect_error(resp, StatusCode::FORBIDDEN, "forbidden").await;
    }
}

#[tokio::test]
async fn filter_parts_given_empty_are_left_out_as_a_form_sends_them() {
    let app = crate::helpers::spawn_app().await;
    let leader = app.login("totruong").await;
    let group = crate::helpers::own_group(&app, &leader).await;
    let report = crate::helpers::valid_report(group);
    app.push_ok(&leader, vec![report.clone()]).await;
    let boss = app.login("truongcong").await;
    for path in [
        "/api/records?status=&form=&group=&author=&from=&to=&q=&urgency=&conflict=&category=",
        "/api/records/counts?status=&conflict=&group=",
    ] {
        let resp = app.get(&boss, path).await;
        assert_eq!(resp.status(), reqwest::StatusCode::OK, "{path}");
        let body: serde_json::Value = resp.json().await.unwrap();
        assert!(
            body.to_string().contains(&report.id.to_string()) || path.contains("counts"),
            "{path}: {body}"
        );
        if path.contains("counts") {
            let total: i64 = body
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["count"].as_i64().unwrap())
                .sum();
            assert_eq!(total, 1, "{path}: {body}");
        }
    }
    // A part given wrongly is still refused.
    let resp = app.get(&boss, "/api/records?group=abc").await;
    assert_eq!(resp.status(), reqwest::StatusCode::BAD_REQUEST);
}
