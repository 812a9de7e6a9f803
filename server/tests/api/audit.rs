//! The audit trail: every change, and every opening of a record by a supervisor, leaves exactly
//! one entry saying who, what, where, when, and what it was before and after; supervisors browse
//! their ward's part and administrators all of it, page by page or as CSV; nothing changes or
//! removes an entry, neither an endpoint nor a statement sent to the database.

use domain::admin::{AuditEntry, UserView, WardView};
use domain::api::Place;
use domain::sync::PushOutcome;
use reqwest::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::helpers::{expect_error, own_group, spawn_app, valid_report, TestApp, PASSWORD};

/// The id of the newest entry (0 for none), straight from the database.
async fn mark(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) FROM audit_log")
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap()
}

/// The entries after `mark`, oldest first, as an administrator reads them.
async fn since(app: &TestApp, admin: &str, mark: i64) -> Vec<AuditEntry> {
    let mut entries = app.audit(admin, "limit=500").await;
    entries.retain(|e| e.id > mark);
    entries.reverse();
    entries
}

/// The one entry after `mark`.
async fn only_entry(app: &TestApp, admin: &str, mark: i64, what: &str) -> AuditEntry {
    let entries = since(app, admin, mark).await;
    assert_eq!(
        entries.len(),
        1,
        "{what}: exactly one entry, got {entries:#?}"
    );
    entries.into_iter().next().unwrap()
}

async fn expect_nothing_since(app: &TestApp, admin: &str, mark: i64, what: &str) {
    let entries = since(app, admin, mark).await;
    assert!(entries.is_empty(), "{what}: no entry, got {entries:#?}");
}

/// Checks who, what and where of `e`.
#[track_caller]
fn expect_entry(
    e: &AuditEntry,
    actor: &str,
    action: &str,
    entity: &str,
    entity_id: &str,
    ward: Option<i64>,
) {
    assert_eq!(e.actor.as_deref(), Some(actor), "actor of {e:#?}");
    assert_eq!(e.action, action, "{e:#?}");
    assert_eq!(e.entity, entity, "{e:#?}");
    assert_eq!(e.entity_id, entity_id, "{e:#?}");
    assert_eq!(e.ward_id, ward, "ward of {e:#?}");
    let now = server::now_ms();
    assert!(e.at > now - 60_000 && e.at <= now, "when: {e:#?}");
}

async fn nhat_tan(app: &TestApp, admin: &str) -> WardView {
    app.ward_named(admin, "Nhật Tân").await
}

async fn user_named(app: &TestApp, admin: &str, username: &str) -> UserView {
    let users: Vec<UserView> = app
        .get(admin, "/api/admin/users")
        .await
        .json()
        .await
        .unwrap();
    users.into_iter().find(|u| u.username == username).unwrap()
}

async fn file(app: &TestApp, token: &str, group: i64) -> Uuid {
    let report = valid_report(group);
    assert_eq!(
        app.push_ok(token, vec![report.clone()]).await,
        [PushOutcome::Accepted]
    );
    report.id
}

// ---- one entry per change and per view ------------------------------------------------------

#[tokio::test]
async fn filing_a_record_leaves_one_entry_and_sending_it_again_none() {
    let app = spawn_app().await;
    let admin = app.login("admin").await;
    let lan = app.login("totruong").await;
    let group = own_group(&app, &lan).await;
    let nt = nhat_tan(&app, &admin).await;

    let at = mark(&app).await;
    let report = valid_report(group);
    app.push_ok(&lan, vec![report.clone()]).await;
    let e = only_entry(&app, &admin, at, "a new record").await;
    expect_entry(
        &e,
        "totruong",
        "record.create",
        "record",
        &report.id.to_string(),
        Some(nt.id),
    );
    assert_eq!(e.before, None);
    let after = e.after.expect("what was stored");
    assert_eq!(after["form"], "neighborhood_report@1");
    assert_eq!(after["group_id"], group);
    assert_eq!(after["content_hash"], report.content_hash());

    // A replay is a duplicate: nothing new happened.
    let at = mark(&app).await;
    assert_eq!(
        app.push_ok(&lan, vec![report.clone()]).await,
        [PushOutcome::Duplicate]
    );
    expect_nothing_since(&app, &admin, at, "a replay").await;

    // Two records in one push: one entry each.
    let (a, b) = (valid_report(group), valid_report(group));
    app.push_ok(&lan, vec![a.clone(), b.clone()]).await;
    let entries = since(&app, &admin, at).await;
    let ids: Vec<&str> = entries.iter().map(|e| e.entity_id.as_str()).collect();
    assert_eq!(ids, [a.id.to_string(), b.id.to_string()]);
    assert!(entries.iter().all(|e| e.action == "record.create"));
}

#[tokio::test]
async fn a_status_change_leaves_one_entry_with_the_status_before_and_after() {
    let app = spawn_app().await;
    let admin = app.login("admin").await;
    let lan = app.login("totruong").await;
    let boss = app.login("truongcong").await;
    let hoa = app.login("canbo").await;
    let quan = app.login("truongxuanla").await;
    let nt = nhat_tan(&app, &admin).await;
    let id = file(&app, &lan, own_group(&app, &lan).await).await;

    let at = mark(&app).await;
    let resp = app
        .post_json(
            &boss,
            &format!("/api/records/{id}/review"),
            &json!({"action": "start_handling", "comment": "Đã cử cán bộ xuống"}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let e = only_entry(&app, &admin, at, "a review").await;
    expect_entry(
        &e,
        "truongcong",
        "record.review",
        "record",
        &id.to_string(),
        Some(nt.id),
    );
    assert_eq!(e.before, Some(json!({"status": "received", "note": null})));
    assert_eq!(
        e.after,
        Some(
            json!({"status": "in_progress", "note": "Đã cử cán bộ xuống", "action": "start_handling"})
        )
    );
    assert_eq!(e.detail, "received -> in_progress");

    let at = mark(&app).await;
    assert_eq!(
        app.review(&hoa, id, "resolve", Some("Đã xử lý xong."))
            .await
            .status(),
        StatusCode::OK
    );
    let e = only_entry(&app, &admin, at, "the officer's change").await;
    expect_entry(
        &e,
        "canbo",
        "record.review",
        "record",
        &id.to_string(),
        Some(nt.id),
    );
    assert_eq!(
        e.before,
        Some(json!({"status": "in_progress", "note": "Đã cử cán bộ xuống"}))
    );
    assert_eq!(
        e.after,
        Some(json!({"status": "resolved", "note": "Đã xử lý xong.", "action": "resolve"}))
    );

    // Refused changes leave nothing.
    let at = mark(&app).await;
    assert_eq!(
        app.review(&lan, id, "return", Some("Thiếu số nhà."))
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.review(&quan, id, "return", Some("Thiếu số nhà."))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    expect_nothing_since(&app, &admin, at, "refused changes").await;
}

#[tokio::test]
async fn a_supervisor_opening_a_record_leaves_one_view_entry_each_time_and_ward_staff_none() {
    let app = spawn_app().await;
    let admin = app.login("admin").await;
    let lan = app.login("totruong").await;
    let hoa = app.login("canbo").await;
    let boss = app.login("truongcong").await;
    let quan = app.login("truongxuanla").await;
    let nt = nhat_tan(&app, &admin).await;
    let id = file(&app, &lan, own_group(&app, &lan).await).await;

    let at = mark(&app).await;
    app.record(&boss, id).await;
    let e = only_entry(&app, &admin, at, "a supervisor's opening").await;
    expect_entry(
        &e,
        "truongcong",
        "record.view",
        "record",
        &id.to_string(),
        Some(nt.id),
    );
    assert_eq!((e.before, e.after), (None, None));

    let at = mark(&app).await;
    app.record(&boss, id).await;
    only_entry(&app, &admin, at, "every opening counts").await;

    // The list is not an opening; the officer and the group leader read without a trace (only
    // supervisors' and administrators' openings are recorded); refused openings leave nothing.
    let at = mark(&app).await;
    app.records(&boss).await;
    app.record(&hoa, id).await;
    app.record(&lan, id).await;
    assert_eq!(
        app.get(&quan, &format!("/api/records/{id}")).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get(&admin, &format!("/api/records/{id}"))
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    expect_nothing_since(&app, &admin, at, "reading without opening as a supervisor").await;
}

#[tokio::test]
async fn each_change_to_a_user_leaves_one_entry_with_what_it_was_and_became() {
    let app = spawn_app().await;
    let admin = app.login("admin").await;
    let nt = nhat_tan(&app, &admin).await;
    let password = "một câu dài dễ nhớ";

    let at = mark(&app).await;
    let user = app
        .create_user(
            &admin,
            &json!({"username": "canbo.moi", "display_name": "Trung úy Vũ Hà", "role": "officer",
                    "ward_id": nt.id, "groups": [nt.groups[1].id], "password": password}),
        )
        .await;
    let id = user.id.to_string();
    let e = only_entry(&app, &admin, at, "user.create").await;
    expect_entry(&e, "admin", "user.create", "user", &id, Some(nt.id));
    assert_eq!(e.before, None);
    assert_eq!(e.after, Some(serde_json::to_value(&user).unwrap()));
    let text = serde_json::to_string(&e).unwrap();
    assert!(
        !text.contains(password) && !text.contains("argon2"),
        "{text}"
    );

    let edit = |name: &str, active: bool| {
        json!({"username": "canbo.moi", "display_name": name, "role": "officer",
               "ward_id": nt.id, "groups": [nt.groups[1].id], "active": active})
    };
    let path = format!("/api/admin/users/{id}");
    let at = mark(&app).await;
    let resp = app
        .send(
            Method::PUT,
            Some(&admin),
            &path,
            Some(&edit("Đại úy Vũ Hà", true)),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let e = only_entry(&app, &admin, at, "user.update").await;
    expect_entry(&e, "admin", "user.update", "user", &id, Some(nt.id));
    assert_eq!(e.before.as_ref().unwrap()["display_name"], "Trung úy Vũ Hà");
    assert_eq!(e.after.as_ref().unwrap()["display_name"], "Đại úy Vũ Hà");

    // Saving without a change is no change.
    let at = mark(&app).await;
    let resp = app
        .send(
            Method::PUT,
            Some(&admin),
            &path,
            Some(&edit("Đại úy Vũ Hà", true)),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    expect_nothing_since(&app, &admin, at, "an edit that changes nothing").await;

    // A password reset says so, and not what the password is.
    let at = mark(&app).await;
    let new_password = "mật khẩu mới thật dài";
    let resp = app
        .send(
            Method::POST,
            Some(&admin),
            &format!("{path}/password"),
            Some(&json!({ "password": new_password })),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    let e = only_entry(&app, &admin, at, "user.password").await;
    expect_entry(&e, "admin", "user.password", "user", &id, Some(nt.id));
    let text = serde_json::to_string(&e).unwrap();
    assert!(
        !text.contains(new_password) && !text.contains(password),
        "{text}"
    );

    // Signing out every device: how many were signed in, and none after.
    for _ in 0..2 {
        let resp = app.login_response("canbo.moi", new_password).await;
        assert_eq!(resp.status(), StatusCode::OK);
    }
    let at = mark(&app).await;
    let resp = app
        .send(Method::POST, Some(&admin), &format!("{path}/signout"), None)
        .await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    let e = only_entry(&app, &admin, at, "user.signout").await;
    expect_entry(&e, "admin", "user.signout", "user", &id, Some(nt.id));
    assert_eq!(e.before, Some(json!({"sessions": 2})));
    assert_eq!(e.after, Some(json!({"sessions": 0})));

    // Deactivation is an update from active to inactive.
    let at = mark(&app).await;
    let resp = app
        .send(
            Method::PUT,
            Some(&admin),
            &path,
            Some(&edit("Đại úy Vũ Hà", false)),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let e = only_entry(&app, &admin, at, "deactivation").await;
    expect_entry(&e, "admin", "user.update", "user", &id, Some(nt.id));
    assert_eq!(e.before.as_ref().unwrap()["active"], true);
    assert_eq!(e.after.as_ref().unwrap()["active"], false);

    // A refused creation leaves nothing.
    let at = mark(&app).await;
    let resp = app
        .send(
            Method::POST,
            Some(&admin),
            "/api/admin/users",
            Some(
                &json!({"username": "canbo.moi", "display_name": "X", "role": "officer",
                         "ward_id": nt.id, "password": password}),
            ),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    expect_nothing_since(&app, &admin, at, "a refused creation").await;
}

#[tokio::test]
async fn each_change_to_a_ward_or_group_leaves_one_entry_with_what_it_was_and_became() {
    let app = spawn_app().await;
    let admin = app.login("admin").await;

    let at = mark(&app).await;
    let resp = app
        .send(
            Method::POST,
            Some(&admin),
            "/api/admin/wards",
            Some(&json!({"name": "Phú Thượng", "district": "Tây Hồ", "city": "Hà Nội"})),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let ward: WardView = resp.json().await.unwrap();
    let e = only_entry(&app, &admin, at, "ward.create").await;
    expect_entry(
        &e,
        "admin",
        "ward.create",
        "ward",
        &ward.id.to_string(),
        Some(ward.id),
    );
    assert_eq!(e.before, None);
    assert_eq!(e.after, Some(serde_json::to_value(&ward).unwrap()));

    let at = mark(&app).await;
    let resp = app
        .send(
            Method::PUT,
            Some(&admin),
            &format!("/api/admin/wards/{}", ward.id),
            Some(&json!({"name": "Phú Thượng Mới", "district": "Tây Hồ", "city": "Hà Nội"})),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    let e = only_entry(&app, &admin, at, "ward.update").await;
    expect_entry(
        &e,
        "admin",
        "ward.update",
        "ward",
        &ward.id.to_string(),
        Some(ward.id),
    );
    assert_eq!(
        e.before,
        Some(json!({"name": "Phú Thượng", "district": "Tây Hồ", "city": "Hà Nội", "kind": "ward"}))
    );
    assert_eq!(
        e.after,
        Some(
            json!({"name": "Phú Thượng Mới", "district": "Tây Hồ", "city": "Hà Nội", "kind": "ward"})
        )
    );

    let at = mark(&app).await;
    let resp = app
        .send(
            Method::POST,
            Some(&admin),
            &format!("/api/admin/wards/{}/groups", ward.id),
            Some(&json!({"name": "Tổ dân phố số 1"})),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let group: Place = resp.json().await.unwrap();
    let e = only_entry(&app, &admin, at, "group.create").await;
    expect_entry(
        &e,
        "admin",
        "group.create",
        "group",
        &group.id.to_string(),
        Some(ward.id),
    );
    assert_eq!(e.before, None);
    assert_eq!(
        e.after,
        Some(json!({"name": "Tổ dân phố số 1", "ward_id": ward.id}))
    );

    let at = mark(&app).await;
    let resp = app
        .send(
            Method::PUT,
            Some(&admin),
            &format!("/api/admin/groups/{}", group.id),
            Some(&json!({"name": "Tổ dân phố số 9"})),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let e = only_entry(&app, &admin, at, "group.update").await;
    expect_entry(
        &e,
        "admin",
        "group.update",
        "group",
        &group.id.to_string(),
        Some(ward.id),
    );
    assert_eq!(e.before, Some(json!({"name": "Tổ dân phố số 1"})));
    assert_eq!(e.after, Some(json!({"name": "Tổ dân phố số 9"})));

    // Refused changes leave nothing.
    let at = mark(&app).await;
    let resp = app
        .send(
            Method::POST,
            Some(&admin),
            &format!("/api/admin/wards/{}/groups", ward.id),
            Some(&json!({"name": "Tổ dân phố số 9"})),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let resp = app
        .send(
            Method::POST,
            Some(&admin),
            "/api/admin/wards",
            Some(&json!({"name": "Nhật Tân", "district": "Tây Hồ", "city": "Hà Nội"})),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    expect_nothing_since(&app, &admin, at, "refused changes").await;
}

/// The public id of the session of `token`.
fn session_id(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))[..16].to_owned()
}

#[tokio::test]
async fn signing_in_signing_a_device_out_and_signing_out_leave_one_entry_each() {
    let app = spawn_app().await;
    let admin = app.login("admin").await;
    let nt = nhat_tan(&app, &admin).await;
    let hoa = user_named(&app, &admin, "canbo").await;

    let at = mark(&app).await;
    let phone = app.login("canbo").await;
    let e = only_entry(&app, &admin, at, "session.create").await;
    assert_eq!(hoa.username, "canbo");
    expect_entry(
        &e,
        "canbo",
        "session.create",
        "session",
        &session_id(&phone),
        Some(nt.id),
    );

    // A wrong password is not a sign-in.
    let at = mark(&app).await;
    let resp = app.login_response("canbo", "not her password").await;
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    expect_nothing_since(&app, &admin, at, "a failed sign-in").await;

    let laptop = app.login("canbo").await;
    let at = mark(&app).await;
    let resp = app
        .send(
            Method::DELETE,
            Some(&laptop),
            &format!("/api/sessions/{}", session_id(&phone)),
            None,
        )
        .await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    let e = only_entry(&app, &admin, at, "session.revoke").await;
    expect_entry(
        &e,
        "canbo",
        "session.revoke",
        "session",
        &session_id(&phone),
        Some(nt.id),
    );

    let at = mark(&app).await;
    let resp = app
        .send(Method::POST, Some(&laptop), "/api/auth/logout", None)
        .await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    let e = only_entry(&app, &admin, at, "sign-out").await;
    expect_entry(
        &e,
        "canbo",
        "session.revoke",
        "session",
        &session_id(&laptop),
        Some(nt.id),
    );
}

#[tokio::test]
async fn sign_in_and_sign_out_entries_carry_the_users_ward_so_its_supervisor_sees_them() {
    let app = spawn_app().await;
    let admin = app.login("admin").await;
    let boss = app.login("truongcong").await;
    let nt = nhat_tan(&app, &admin).await;

    let at = mark(&app).await;
    let phone = app.login("canbo").await;
    let e = only_entry(&app, &admin, at, "session.create").await;
    assert_eq!(e.ward_id, Some(nt.id), "{e:#?}");

    let at = mark(&app).await;
    let resp = app
        .send(Method::POST, Some(&phone), "/api/auth/logout", None)
        .await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    let e = only_entry(&app, &admin, at, "sign-out").await;
    assert_eq!(e.ward_id, Some(nt.id), "{e:#?}");

    let seen = app.audit(&boss, "action=session.create").await;
    assert!(
        seen.iter().any(|e| e.actor.as_deref() == Some("canbo")),
        "the supervisor sees the officer's sign-in: {seen:#?}"
    );
}

#[tokio::test]
async fn publishing_a_form_leaves_one_entry_and_publishing_it_unchanged_none() {
    let app = spawn_app().await;
    let admin = app.login("admin").await;
    let def = json!({
        "key": "audit_form", "title": {"vi": "Thử", "en": "Test"}, "filed_by": ["officer"],
        "fields": [{"key": "x", "type": "text", "label": {"vi": "X", "en": "X"}}]
    });
    let publish = || {
        app.request(Method::POST, "/api/forms", Some(&admin))
            .header(CONTENT_TYPE, "application/json")
            .body(def.to_string())
            .send()
    };

    let at = mark(&app).await;
    assert_eq!(publish().await.unwrap().status(), StatusCode::CREATED);
    let e = only_entry(&app, &admin, at, "form.publish").await;
    expect_entry(&e, "admin", "form.publish", "form", "audit_form@1", None);
    assert_eq!(e.detail, "api");

    let at = mark(&app).await;
    assert_eq!(publish().await.unwrap().status(), StatusCode::OK);
    expect_nothing_since(&app, &admin, at, "an unchanged publication").await;
}

// ---- browsing -------------------------------------------------------------------------------

#[tokio::test]
async fn a_supervisor_browses_their_wards_entries_only_and_an_administrator_everything() {
    let app = spawn_app().await;
    let admin = app.login("admin").await;
    let nt = nhat_tan(&app, &admin).await;
    let xl = app.ward_named(&admin, "Xuân La").await;
    app.create_user(
        &admin,
        &json!({"username": "canboxuanla", "display_name": "Cán bộ Xuân La", "role": "officer",
                "ward_id": xl.id, "password": PASSWORD}),
    )
    .await;
    let lan = app.login("totruong").await;
    let hoa = app.login("canbo").await;
    let boss = app.login("truongcong").await;
    let quan = app.login("truongxuanla").await;
    let xl_officer = app.login("canboxuanla").await;

    let nt_record = file(&app, &lan, nt.groups[0].id).await;
    let xl_record = file(&app, &xl_officer, xl.groups[0].id).await;
    assert_eq!(
        app.review(&boss, nt_record, "start_handling", None)
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        app.review(&quan, xl_record, "start_handling", None)
            .await
            .status(),
        StatusCode::OK
    );
    app.record(&boss, nt_record).await;
    app.record(&quan, xl_record).await;

    let about = |entries: &[AuditEntry], id: Uuid| {
        let mut actions: Vec<String> = entries
            .iter()
            .filter(|e| e.entity_id == id.to_string())
            .map(|e| e.action.clone())
            .collect();
        actions.sort();
        actions
    };
    let all_three = ["record.create", "record.review", "record.view"];

    let mine = app.audit(&boss, "limit=500").await;
    assert!(mine.iter().all(|e| e.ward_id == Some(nt.id)), "{mine:#?}");
    assert_eq!(about(&mine, nt_record), all_three);
    assert!(about(&mine, xl_record).is_empty());
    // Asking for the other ward's record by id finds nothing.
    let asked = app.audit(&boss, &format!("entity_id={xl_record}")).await;
    assert!(asked.is_empty(), "{asked:#?}");
    let asked = app.audit(&boss, &format!("ward_id={}", xl.id)).await;
    assert!(asked.iter().all(|e| e.ward_id == Some(nt.id)));

    let theirs = app.audit(&quan, "limit=500").await;
    assert!(
        theirs.iter().all(|e| e.ward_id == Some(xl.id)),
        "{theirs:#?}"
    );
    assert_eq!(about(&theirs, xl_record), all_three);
    assert!(about(&theirs, nt_record).is_empty());
    assert!(
        theirs.iter().any(|e| e.action == "user.create"),
        "the creation of the ward's officer is the ward's"
    );

    let everything = app.audit(&admin, "limit=500").await;
    assert_eq!(about(&everything, nt_record), all_three);
    assert_eq!(about(&everything, xl_record), all_three);
    assert!(
        everything.iter().any(|e| e.ward_id.is_none()),
        "entries of no ward (the built-in forms) are the administrator's"
    );
    assert_eq!(
        everything.len(),
        usize::try_from(mark_count(&app).await).unwrap(),
        "the administrator sees every entry"
    );

    // Officers and group leaders do not browse the trail.
    for token in [&hoa, &lan, &xl_officer] {
        for path in ["/api/audit", "/api/audit/export"] {
            let resp = app.get(token, path).await;
            expect_error(resp, StatusCode::FORBIDDEN, "forbidden").await;
        }
    }
}

async fn mark_count(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM audit_log")
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn the_trail_pages_back_newest_first_and_filters_by_action_and_entity() {
    let app = spawn_app().await;
    let admin = app.login("admin").await;
    let lan = app.login("totruong").await;
    let boss = app.login("truongcong").await;
    let group = own_group(&app, &lan).await;
    let first = file(&app, &lan, group).await;
    let second = file(&app, &lan, group).await;
    for _ in 0..3 {
        app.record(&boss, first).await;
    }
    app.record(&boss, second).await;
    assert_eq!(
        app.review(&boss, first, "resolve", Some("Đã xử lý xong."))
            .await
            .status(),
        StatusCode::OK
    );

    let all = app.audit(&admin, "limit=500").await;
    assert!(all.len() >= 10, "{}", all.len());
    assert!(all.windows(2).all(|w| w[0].id > w[1].id), "newest first");
    assert_eq!(
        app.audit(&admin, "").await,
        all,
        "100 by default, and there are fewer"
    );

    // Pages of 3, each starting below the last id of the one before.
    let mut paged = Vec::new();
    let mut query = "limit=3".to_owned();
    loop {
        let page = app.audit(&admin, &query).await;
        assert!(page.len() <= 3);
        let Some(last) = page.last() else { break };
        query = format!("limit=3&before_id={}", last.id);
        paged.extend(page);
    }
    assert_eq!(paged, all);

    let views = app.audit(&admin, "action=record.view").await;
    assert_eq!(views.len(), 4);
    assert!(views.iter().all(|e| e.action == "record.view"));
    let about_first = app.audit(&admin, &format!("entity_id={first}")).await;
    let actions: Vec<&str> = about_first.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "record.review",
            "record.view",
            "record.view",
            "record.view",
            "record.create"
        ]
    );
    let both = app
        .audit(&admin, &format!("action=record.view&entity_id={second}"))
        .await;
    assert_eq!(both.len(), 1);
    assert_eq!(both[0].entity_id, second.to_string());
    let paged_views = app
        .audit(
            &admin,
            &format!("action=record.view&limit=2&before_id={}", views[1].id),
        )
        .await;
    assert_eq!(paged_views, views[2..4]);
    // By time: nothing is from the future.
    let later = app
        .audit(&admin, &format!("from={}", server::now_ms() + 60_000))
        .await;
    assert!(later.is_empty());
    let until_now = app
        .audit(&admin, &format!("to={}&limit=500", server::now_ms() + 1))
        .await;
    assert_eq!(until_now, all);
    // A malformed query is the caller's mistake.
    let resp = app.get(&admin, "/api/audit?before_id=soon").await;
    expect_error(resp, StatusCode::BAD_REQUEST, "bad_request").await;
}

// ---- the CSV export -------------------------------------------------------------------------

/// A small RFC 4180 reader: quoted cells, doubled quotes, CRLF line ends.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut cell = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    cell.push('"');
                }
                '"' => quoted = false,
                c => cell.push(c),
            }
            continue;
        }
        match c {
            '"' => quoted = true,
            ',' => row.push(std::mem::take(&mut cell)),
            '\r' => {
                assert_eq!(chars.next(), Some('\n'), "CRLF line ends");
                row.push(std::mem::take(&mut cell));
                rows.push(std::mem::take(&mut row));
            }
            '\n' => panic!("a bare LF ends a line"),
            c => cell.push(c),
        }
    }
    assert!(
        cell.is_empty() && row.is_empty(),
        "the last line ends with CRLF"
    );
    rows
}

/// `n` entries of action `bulk.test` written at once (the trail's own rows, as many days of a
/// busy ward make), entity ids 1 to `n`.
async fn bulk_entries(app: &TestApp, n: i64) {
    sqlx::query(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $1) \
         INSERT INTO audit_log (at, actor_id, action, entity, entity_id, detail, ward_id) \
         SELECT 1700000000000 + i, NULL, 'bulk.test', 'record', CAST(i AS TEXT), 'x', NULL FROM n",
    )
    .bind(n)
    .execute(&app.state.db.pool)
    .await
    .unwrap();
}

async fn export(app: &TestApp, token: &str, query: &str) -> Vec<Vec<String>> {
    let resp = app.get(token, &format!("/api/audit/export?{query}")).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let header = |name| {
        resp.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned()
    };
    assert_eq!(header(CONTENT_TYPE), "text/csv; charset=utf-8");
    let disposition = header(CONTENT_DISPOSITION);
    assert!(
        disposition.starts_with("attachment") && disposition.contains(".csv"),
        "{disposition}"
    );
    let text = resp.text().await.unwrap();
    let text = text
        .strip_prefix('\u{feff}')
        .expect("a byte-order mark, so spreadsheets read UTF-8");
    parse_csv(text)
}

const HEADER: [&str; 10] = [
    "id",
    "at_utc_ms",
    "actor",
    "action",
    "entity",
    "entity_id",
    "ward_id",
    "detail",
    "before",
    "after",
];

#[tokio::test]
async fn the_export_is_csv_with_a_header_and_one_row_per_entry_and_no_cell_runs_as_a_formula() {
    let app = spawn_app().await;
    let admin = app.login("admin").await;
    let nt = nhat_tan(&app, &admin).await;
    let lan = app.login("totruong").await;
    let boss = app.login("truongcong").await;
    // Text that a spreadsheet would run: a username starting with "-" (the only formula
    // character a username may start with) and a display name starting with "=".
    let sneaky = "=HYPERLINK(\"http://evil.example\",\"Bấm vào đây\")";
    app.create_user(
        &admin,
        &json!({"username": "-cmd", "display_name": sneaky, "role": "officer",
                "ward_id": nt.id, "password": PASSWORD}),
    )
    .await;
    app.login("-cmd").await;
    let id = file(&app, &lan, nt.groups[0].id).await;
    app.record(&boss, id).await;

    let entries = app.audit(&admin, "limit=500").await;
    let rows = export(&app, &admin, "").await;
    assert_eq!(rows[0], HEADER);
    assert_eq!(rows.len(), entries.len() + 1, "one row per entry");
    for (row, e) in rows[1..].iter().zip(&entries) {
        assert_eq!(row.len(), HEADER.len(), "{row:?}");
        assert_eq!(row[0], e.id.to_string());
        assert_eq!(row[1], e.at.to_string());
        let actor = e.actor.clone().unwrap_or_default();
        let actor = if actor.starts_with('-') {
            format!("'{actor}")
        } else {
            actor
        };
        assert_eq!(row[2], actor);
        assert_eq!(row[3], e.action);
        assert_eq!(row[4], e.entity);
        assert_eq!(row[5], e.entity_id);
        assert_eq!(row[6], e.ward_id.map(|w| w.to_string()).unwrap_or_default());
        assert_eq!(row[7], e.detail);
        for (cell, state) in [(&row[8], &e.before), (&row[9], &e.after)] {
            let parsed: Option<Value> =
                (!cell.is_empty()).then(|| serde_json::from_str(cell).unwrap());
            assert_eq!(&parsed, state, "{row:?}");
        }
    }
    // No cell starts with a character that makes a spreadsheet compute.
    for row in &rows {
        for cell in row {
            assert!(
                !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "a live formula: {cell:?}"
            );
        }
    }
    assert!(rows
        .iter()
        .any(|r| r[2] == "'-cmd" && r[3] == "session.create"));
    assert!(
        rows.iter()
            .any(|r| r[3] == "user.create" && r[9].contains("=HYPERLINK")),
        "the display name is inside the JSON of the creation, quoted"
    );

    // The export takes the same filters, and a supervisor gets their ward's part.
    let views = export(&app, &admin, "action=record.view").await;
    assert_eq!(views.len(), 2);
    assert_eq!(views[1][5], id.to_string());
    let wards = export(&app, &boss, "").await;
    assert!(
        wards[1..].iter().all(|r| r[6] == nt.id.to_string()),
        "{wards:?}"
    );
    // Every entry of the ward but one: taking the export, written after its first page.
    let listed = app.audit(&boss, "limit=500").await;
    assert_eq!(
        listed[0].action, "audit.export",
        "taking a copy is in the trail"
    );
    assert_eq!(listed[0].actor.as_deref(), Some("truongcong"));
    assert_eq!(wards.len() - 1, listed.len() - 1);
}

// ---- append-only ----------------------------------------------------------------------------

async fn all_rows(app: &TestApp) -> Vec<(i64, String, String, String)> {
    sqlx::query_as("SELECT id, action, entity_id, detail FROM audit_log ORDER BY id")
        .fetch_all(&app.state.db.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn no_endpoint_changes_or_removes_an_entry() {
    let app = spawn_app().await;
    let admin = app.login("admin").await;
    let boss = app.login("truongcong").await;
    let before = all_rows(&app).await;
    let last = before.last().unwrap().0;
    for token in [&admin, &boss] {
        for path in [
            "/api/audit".to_owned(),
            "/api/audit/export".to_owned(),
            format!("/api/audit/{last}"),
            format!("/api/audit?before_id={last}"),
        ] {
            for method in [Method::POST, Method::PUT, Method::PATCH, Method::DELETE] {
                let resp = app
                    .send(
                        method.clone(),
                        Some(token),
                        &path,
                        Some(&json!({"action": "x"})),
                    )
                    .await;
                let status = resp.status();
                assert!(
                    status == StatusCode::METHOD_NOT_ALLOWED || status == StatusCode::NOT_FOUND,
                    "{method} {path}: {status}"
                );
            }
        }
    }
    assert_eq!(all_rows(&app).await, before);
}

#[tokio::test]
async fn the_database_refuses_to_change_or_remove_an_entry() {
    let app = spawn_app().await;
    let lan = app.login("totruong").await;
    file(&app, &lan, own_group(&app, &lan).await).await;
    let before = all_rows(&app).await;
    let last = before.last().unwrap().0;
    let pool = &app.state.db.pool;
    for sql in [
        format!("UPDATE audit_log SET action = 'record.nothing' WHERE id = {last}"),
        "UPDATE audit_log SET detail = 'rewritten'".to_owned(),
        "UPDATE audit_log SET actor_id = NULL, before_state = NULL, after_state = NULL".to_owned(),
        format!("DELETE FROM audit_log WHERE id = {last}"),
        "DELETE FROM audit_log".to_owned(),
    ] {
        let Err(err) = sqlx::query(&sql).execute(pool).await else {
            panic!("the database must refuse {sql}");
        };
        assert!(err.to_string().contains("append-only"), "{sql}: {err}");
    }
    // Inside a transaction too.
    let mut tx = pool.begin().await.unwrap();
    let refused = sqlx::query("DELETE FROM audit_log").execute(&mut *tx).await;
    assert!(refused.is_err());
    drop(tx);
    assert_eq!(all_rows(&app).await, before);
    // Appending still works.
    app.login("canbo").await;
    assert_eq!(all_rows(&app).await.len(), before.len() + 1);
}

#[tokio::test]
async fn the_database_refuses_to_truncate_the_trail() {
    let app = spawn_app().await;
    let before = all_rows(&app).await;
    assert!(!before.is_empty());
    // SQLite has no TRUNCATE; on PostgreSQL it must be refused like DELETE.
    let _ = sqlx::query("TRUNCATE audit_log")
        .execute(&app.state.db.pool)
        .await;
    assert_eq!(all_rows(&app).await, before);
}

#[tokio::test]
async fn moving_an_officer_to_another_ward_is_in_both_wards_part_of_the_trail() {
    let app = spawn_app().await;
    let admin = app.login("admin").await;
    let nt = nhat_tan(&app, &admin).await;
    let xl = app.ward_named(&admin, "Xuân La").await;
    let canbo = user_named(&app, &admin, "canbo").await;
    let at = mark(&app).await;
    let body = json!({
        "username": "canbo",
        "display_name": canbo.display_name,
        "role": "officer",
        "ward_id": xl.id,
    });
    let resp = app
        .send(
            Method::PUT,
            Some(&admin),
            &format!("/api/admin/users/{}", canbo.id),
            Some(&body),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let entries = since(&app, &admin, at).await;
    let wards: Vec<Option<i64>> = entries
        .iter()
        .filter(|e| e.action == "user.update")
        .map(|e| e.ward_id)
        .collect();
    assert_eq!(wards, [Some(xl.id), Some(nt.id)]);
    for boss in ["truongcong", "truongxuanla"] {
        let token = app.login(boss).await;
        let seen = app.audit(&token, "action=user.update").await;
        assert_eq!(seen.len(), 1, "{boss} sees the move once");
        assert_eq!(seen[0].entity_id, canbo.id.to_string());
    }
}

#[tokio::test]
async fn a_stored_photo_a_conflicting_copy_and_a_sign_in_lockout_are_each_in_the_trail() {
    let app = spawn_app().await;
    let admin = app.login("admin").await;
    let nt = nhat_tan(&app, &admin).await;
    let hoa = app.login("canbo").await;

    // A photo, once all its bytes are checked and stored.
    let mut photo = vec![0xFF, 0xD8, 0xFF, 0xE0];
    photo.extend(std::iter::repeat_n(7u8, 5000));
    let sha = hex::encode(Sha256::digest(&photo));
    let at = mark(&app).await;
    let resp = app
        .request(Method::PUT, &format!("/api/photos/{sha}"), Some(&hoa))
        .header(CONTENT_TYPE, "image/jpeg")
        .header("Upload-Length", photo.len().to_string())
        .header("Upload-Offset", "0")
        .body(photo.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let e = only_entry(&app, &admin, at, "photo.upload").await;
    expect_entry(&e, "canbo", "photo.upload", "photo", &sha, Some(nt.id));

    // A record id pushed again with other content: the copy is kept once and reported once.
    let lan = app.login("totruong").await;
    let group = own_group(&app, &lan).await;
    let report = valid_report(group);
    let id = report.id;
    assert_eq!(
        app.push_ok(&lan, vec![report.clone()]).await,
        [PushOutcome::Accepted]
    );
    let mut changed = report;
    changed
        .data
        .insert("description".into(), json!("Nội dung khác"));
    let at = mark(&app).await;
    for _ in 0..2 {
        let outcome = app.push_ok(&lan, vec![changed.clone()]).await;
        assert!(
            matches!(outcome[0], PushOutcome::Conflict { .. }),
            "{outcome:?}"
        );
    }
    let e = only_entry(&app, &admin, at, "record.conflict").await;
    expect_entry(
        &e,
        "totruong",
        "record.conflict",
        "record",
        &id.to_string(),
        Some(nt.id),
    );

    // Too many wrong passwords: reported once, when the limit is crossed.
    let at = mark(&app).await;
    for i in 0..8 {
        let _ = app.login_response("canbo", &format!("wrong {i}")).await;
    }
    let entries = since(&app, &admin, at).await;
    let refused: Vec<_> = entries
        .iter()
        .filter(|e| e.action == "session.refused")
        .collect();
    assert_eq!(refused.len(), 1, "{entries:#?}");
    assert_eq!(refused[0].ward_id, Some(nt.id));
    // The ward's supervisor sees it.
    let boss = app.login("truongcong").await;
    let seen = app.audit(&boss, "action=session.refused").await;
    assert_eq!(seen.len(), 1);
}

#[tokio::test]
async fn the_export_streams_every_entry_the_filter_selects_past_100000_rows() {
    let app = spawn_app().await;
    let admin = app.login("admin").await;
    // 100,500 entries written at once (the trail's own rows, as many days of a busy ward make).
    const N: i64 = 100_500;
    bulk_entries(&app, N).await;
    let rows = export(&app, &admin, "action=bulk.test").await;
    assert_eq!(rows[0], HEADER);
    assert_eq!(rows.len() as i64, N + 1, "a header and every entry");
    // Newest first, each once: the pages join without a gap or an overlap.
    let ids: Vec<i64> = rows[1..].iter().map(|r| r[0].parse().unwrap()).collect();
    assert!(ids.windows(2).all(|w| w[0] > w[1]), "ids strictly falling");
    let entities: std::collections::BTreeSet<&str> =
        rows[1..].iter().map(|r| r[5].as_str()).collect();
    assert_eq!(entities.len() as i64, N);
}

/// Browsers ask for compressed answers: the streamed export must end cleanly through the
/// compression layer (it once panicked there, polled after its end, and cut the download off).
#[tokio::test]
async fn the_export_arrives_whole_when_the_answer_is_compressed() {
    let app = spawn_app().await;
    let admin = app.login("admin").await;
    // Two pages of the export's (2,000 entries each).
    bulk_entries(&app, 3100).await;
    let plain = app
        .get(&admin, "/api/audit/export?action=bulk.test")
        .await
        .bytes()
        .await
        .unwrap();
    for encoding in ["gzip", "br"] {
        let resp = app
            .request(
                Method::GET,
                "/api/audit/export?action=bulk.test",
                Some(&admin),
            )
            .header("accept-encoding", encoding)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        assert_eq!(resp.headers()["content-encoding"], encoding);
        let body = resp
            .bytes()
            .await
            .expect("the whole compressed body arrives");
        let mut text = Vec::new();
        let read = match encoding {
            "gzip" => {
                std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&body[..]), &mut text)
            }
            _ => std::io::Read::read_to_end(
                &mut brotli_decompressor::Decompressor::new(&body[..], 4096),
                &mut text,
            ),
        };
        read.expect("a complete stream");
        assert_eq!(text, plain, "{encoding}: the same CSV as uncompressed");
    }
    let lines = plain
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .count();
    assert_eq!(lines, 3101, "a header and every entry");
}
