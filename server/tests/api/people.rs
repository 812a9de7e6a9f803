//! People and places as an administrator manages them: users of every role, their places,
//! deactivation and password resets (which sign their devices out), wards and residential
//! groups; refusals name the field and the reason in the caller's language; names are stored as
//! the text they are.

use domain::admin::{UserView, WardView};
use domain::api::{ErrorBody, Place, Role};
use domain::validate::Violation;
use reqwest::header::{ACCEPT_LANGUAGE, CONTENT_TYPE};
use reqwest::{Method, Response, StatusCode};
use serde_json::{json, Value};

use crate::helpers::{edit_of, expect_error, spawn_app, TestApp, PASSWORD};

/// A password every rule accepts.
const GOOD_PASSWORD: &str = "một câu dài dễ nhớ";

/// `base` with the keys of `patch` replaced (a `null` in `patch` removes the key).
fn with(mut base: Value, patch: Value) -> Value {
    for (k, v) in patch.as_object().unwrap() {
        if v.is_null() {
            base.as_object_mut().unwrap().remove(k);
        } else {
            base[k] = v.clone();
        }
    }
    base
}

/// The input that creates `username` as an officer of `ward`.
fn officer(username: &str, ward: i64) -> Value {
    json!({
        "username": username,
        "display_name": format!("Cán bộ {username}"),
        "role": "officer",
        "ward_id": ward,
        "password": GOOD_PASSWORD
    })
}

async fn send_in(
    app: &TestApp,
    method: Method,
    token: &str,
    path: &str,
    body: &Value,
    lang: &str,
) -> Response {
    app.request(method, path, Some(token))
        .header(ACCEPT_LANGUAGE, lang)
        .json(body)
        .send()
        .await
        .expect("request")
}

async fn user_by_name(app: &TestApp, admin: &str, username: &str) -> UserView {
    users(app, admin)
        .await
        .into_iter()
        .find(|u| u.username == username)
        .unwrap_or_else(|| panic!("no user {username}"))
}

async fn users(app: &TestApp, admin: &str) -> Vec<UserView> {
    let resp = app.get(admin, "/api/admin/users").await;
    assert_eq!(resp.status(), StatusCode::OK);
    resp.json().await.unwrap()
}

async fn update(app: &TestApp, admin: &str, id: i64, body: &Value) -> UserView {
    let resp = app
        .send(
            Method::PUT,
            Some(admin),
            &format!("/api/admin/users/{id}"),
            Some(body),
        )
        .await;
    let status = resp.status();
    let text = resp.text().await.unwrap();
    assert_eq!(status, StatusCode::OK, "update {body}: {text}");
    serde_json::from_str(&text).unwrap()
}

/// Expects a 422 naming exactly `field`, with the reason in the request's language, and both
/// languages in the violation.
async fn expect_refusal(resp: Response, field: &str, fragment: &str, what: &str) -> ErrorBody {
    let body = expect_error(resp, StatusCode::UNPROCESSABLE_ENTITY, "validation").await;
    assert_eq!(body.fields.len(), 1, "{what}: {body:?}");
    let f = &body.fields[0];
    assert_eq!(f.field, field, "{what}: {body:?}");
    assert!(
        f.message.contains(fragment),
        "{what}: {:?} should say {fragment:?}",
        f.message
    );
    assert_eq!(body.message, f.message, "{what}");
    match &f.violation {
        Violation::Invalid { reason } => {
            assert!(!reason.vi.is_empty() && !reason.en.is_empty(), "{what}");
            assert_ne!(reason.vi, reason.en, "{what}: two languages");
        }
        v => panic!("{what}: {v:?}"),
    }
    body
}

/// Expects the token to be refused as an expired session (the phone keeps its outbox).
async fn expect_signed_out(app: &TestApp, token: &str, what: &str) {
    let resp = app.get(token, "/api/me").await;
    let body = expect_error(resp, StatusCode::UNAUTHORIZED, "session_expired").await;
    assert!(!body.message.is_empty(), "{what}");
}

/// Signs `username` in with `password`; returns the token.
async fn sign_in(app: &TestApp, username: &str, password: &str) -> String {
    let resp = app.login_response(username, password).await;
    assert_eq!(resp.status(), StatusCode::OK, "sign-in of {username}");
    resp.json::<domain::api::LoginResponse>()
        .await
        .unwrap()
        .token
}

async fn expect_signed_in(app: &TestApp, token: &str, what: &str) {
    let resp = app.get(token, "/api/me").await;
    assert_eq!(resp.status(), StatusCode::OK, "{what}");
}

// ---- creating users ------------------------------------------------------------------------

#[tokio::test]
async fn an_administrator_creates_each_kind_of_user_who_then_signs_in_to_their_place() {
    let app = spawn_app().await;
    let admin = app.login("admin").await;
    let nt = app.ward_named(&admin, "Nhật Tân").await;
    let (g2, g3, g4) = (&nt.groups[1], &nt.groups[2], &nt.groups[3]);

    let supervisor = app
        .create_user(
            &admin,
            &json!({
                "username": "giamsat.moi", "display_name": "Thiếu tá Trần Văn Bình",
                "role": "supervisor", "ward_id": nt.id, "password": GOOD_PASSWORD
            }),
        )
        .await;
    assert_eq!(supervisor.username, "giamsat.moi");
    assert_eq!(supervisor.display_name, "Thiếu tá Trần Văn Bình");
    assert_eq!(supervisor.role, Role::Supervisor);
    assert_eq!(
        supervisor.ward,
        Some(Place {
            id: nt.id,
            name: "Nhật Tân".into()
        })
    );
    assert_eq!(supervisor.group, None);
    assert!(supervisor.groups.is_empty());
    assert!(supervisor.active);
    assert_eq!(supervisor.sessions, 0);
    assert!(supervisor.created_at > 0);

    // An officer responsible for two groups (named twice: kept once); the username is taken
    // trimmed and in lowercase.
    let officer = app
        .create_user(
            &admin,
            &json!({
                "username": "  CanBo.Moi_2 ", "display_name": "Trung úy Vũ Hà", "role": "officer",
                "ward_id": nt.id, "groups": [g3.id, g2.id, g3.id], "password": GOOD_PASSWORD
            }),
        )
        .await;
    assert_eq!(officer.username, "canbo.moi_2");
    assert_eq!(officer.role, Role::Officer);
    assert_eq!(officer.ward.as_ref().unwrap().id, nt.id);
    assert_eq!(officer.groups, vec![g2.clone(), g3.clone()]);

    // A group leader's ward is their group's.
    let leader = app
        .create_user(
            &admin,
            &json!({
                "username": "totruong4", "display_name": "Ông Đinh Văn Tư", "role": "group_leader",
                "group_id": g4.id, "password": GOOD_PASSWORD
            }),
        )
        .await;
    assert_eq!(leader.role, Role::GroupLeader);
    assert_eq!(leader.ward.as_ref().unwrap().id, nt.id);
    assert_eq!(leader.group.as_ref(), Some(g4));

    let second_admin = app
        .create_user(
            &admin,
            &json!({
                "username": "quantri2", "display_name": "Quản trị hai", "role": "admin",
                "ward_id": nt.id, "password": GOOD_PASSWORD
            }),
        )
        .await;
    assert_eq!(second_admin.role, Role::Admin);
    assert_eq!(
        second_admin.ward, None,
        "an administrator belongs to no ward"
    );

    // Each signs in with their first password and finds their place.
    for (user, ward, group) in [
        (&supervisor, Some(nt.id), None),
        (&officer, Some(nt.id), None),
        (&leader, Some(nt.id), Some(g4.id)),
        (&second_admin, None, None),
    ] {
        let resp = app.login_response(&user.username, GOOD_PASSWORD).await;
        assert_eq!(resp.status(), StatusCode::OK, "{}", user.username);
        let login: domain::api::LoginResponse = resp.json().await.unwrap();
        assert_eq!(login.me.user_id, user.id);
        assert_eq!(login.me.role, user.role);
        assert_eq!(login.me.ward.map(|w| w.id), ward, "{}", user.username);
        assert_eq!(login.me.group.map(|g| g.id), group, "{}", user.username);
    }

    // The administration pages read the same, and never a password or its hash.
    let resp = app
        .get(&admin, &format!("/api/admin/users/{}", officer.id))
        .await;
    let mut again: UserView = resp.json().await.unwrap();
    assert_eq!(again.sessions, 1, "signed in once");
    again.sessions = 0;
    assert_eq!(again, officer);
    let list = app
        .get(&admin, "/api/admin/users")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        !list.contains("argon2") && !list.contains("password"),
        "{list}"
    );
    let list: Vec<UserView> = serde_json::from_str(&list).unwrap();
    let names: Vec<&str> = list.iter().map(|u| u.username.as_str()).collect();
    let mut sorted = names.clone();
    sorted.sort_unstable();
    assert_eq!(names, sorted, "listed by username");
    for u in [
        "giamsat.moi",
        "canbo.moi_2",
        "totruong4",
        "quantri2",
        "canbo",
    ] {
        assert!(names.contains(&u), "{u} in {names:?}");
    }
}

#[tokio::test]
async fn a_refused_new_user_is_told_which_field_and_why_in_vietnamese_and_english() {
    let app = spawn_app().await;
    let admin = app.login("admin").await;
    let nt = app.ward_named(&admin, "Nhật Tân").await;
    let xl = app.ward_named(&admin, "Xuân La").await;
    let before = users(&app, &admin).await.len();
    let base = officer("nguoi.moi", nt.id);
    let long_password = "x".repeat(100) + &"y".repeat(29);
    // (what, input, field, Vietnamese fragment, English fragment)
    let cases = [
        (
            "too short a username",
            with(base.clone(), json!({"username": "ab"})),
            "username",
            "3–32",
            "3–32 lowercase",
        ),
        (
            "too long a username",
            with(base.clone(), json!({"username": "a".repeat(33)})),
            "username",
            "3–32",
            "3–32 lowercase",
        ),
        (
            "diacritics in a username",
            with(base.clone(), json!({"username": "nguyễn"})),
            "username",
            "không dấu",
            "lowercase letters",
        ),
        (
            "a space in a username",
            with(base.clone(), json!({"username": "nguoi moi"})),
            "username",
            "3–32",
            "digits, dots",
        ),
        (
            "a symbol in a username",
            with(base.clone(), json!({"username": "lan@ward"})),
            "username",
            "3–32",
            "digits, dots",
        ),
        (
            "a taken username",
            with(base.clone(), json!({"username": "canbo"})),
            "username",
            "đã có người dùng",
            "already taken",
        ),
        (
            "a taken username in capitals",
            with(base.clone(), json!({"username": " CanBo "})),
            "username",
            "đã có người dùng",
            "already taken",
        ),
        (
            "a short password",
            with(base.clone(), json!({"password": "ngắn quá"})),
            "password",
            "ít nhất 10 ký tự",
            "at least 10 characters",
        ),
        (
            "no password",
            with(base.clone(), json!({"password": null})),
            "password",
            "ít nhất 10 ký tự",
            "at least 10 characters",
        ),
        (
            "a too long password",
            with(base.clone(), json!({"password": long_password})),
            "password",
            "tối đa 128",
            "at most 128",
        ),
        (
            "a common password",
            with(base.clone(), json!({"password": "1234567890"})),
            "password",
            "quá dễ đoán",
            "too easy to guess",
        ),
        (
            "a password of one character",
            with(base.clone(), json!({"password": "aaaaaaaaaaaa"})),
            "password",
            "quá dễ đoán",
            "too easy to guess",
        ),
        (
            "a password holding the username",
            with(base.clone(), json!({"password": "Nguoi.Moi-2026!"})),
            "password",
            "quá dễ đoán",
            "too easy to guess",
        ),
        (
            "a group leader without a group",
            with(
                base.clone(),
                json!({"role": "group_leader", "ward_id": null}),
            ),
            "group_id",
            "Tổ trưởng cần thuộc một tổ dân phố",
            "needs an existing residential group",
        ),
        (
            "a group leader of a group that does not exist",
            with(
                base.clone(),
                json!({"role": "group_leader", "group_id": 987_654_321}),
            ),
            "group_id",
            "Tổ trưởng cần thuộc một tổ dân phố",
            "needs an existing residential group",
        ),
        (
            "an officer with a group of another ward",
            with(
                base.clone(),
                json!({"groups": [nt.groups[0].id, xl.groups[0].id]}),
            ),
            "groups",
            "phải thuộc phường",
            "must be in their ward",
        ),
        (
            "an officer of a ward that does not exist",
            with(base.clone(), json!({"ward_id": 987_654_321})),
            "ward_id",
            "phường / xã đang hoạt động",
            "existing ward",
        ),
        (
            "a supervisor of a ward that does not exist",
            with(
                base.clone(),
                json!({"role": "supervisor", "ward_id": 987_654_321}),
            ),
            "ward_id",
            "phường / xã đang hoạt động",
            "existing ward",
        ),
        (
            "a supervisor without a ward",
            with(base.clone(), json!({"role": "supervisor", "ward_id": null})),
            "ward_id",
            "phường / xã đang hoạt động",
            "existing ward",
        ),
        (
            "an empty display name",
            with(base.clone(), json!({"display_name": "   "})),
            "display_name",
            "từ 1 đến 100 ký tự",
            "1 to 100 characters",
        ),
    ];
    for (what, input, field, vi, en) in &cases {
        for (lang, fragment) in [("vi", vi), ("en", en)] {
            let resp = send_in(&app, Method::POST, &admin, "/api/admin/users", input, lang).await;
            expect_refusal(resp, field, fragment, &format!("{what} ({lang})")).await;
        }
    }
    assert_eq!(
        users(&app, &admin).await.len(),
        before,
        "nobody was created"
    );

    // An unknown role or a missing field is a malformed request, refused as such.
    let resp = app
        .send(
            Method::POST,
            Some(&admin),
            "/api/admin/users",
            Some(&with(base.clone(), json!({"role": "chief"}))),
        )
        .await;
    expect_error(resp, StatusCode::UNPROCESSABLE_ENTITY, "validation").await;
    let resp = app
        .send(
            Method::POST,
            Some(&admin),
            "/api/admin/users",
            Some(&with(base, json!({"display_name": null}))),
        )
        .await;
    expect_error(resp, StatusCode::UNPROCESSABLE_ENTITY, "validation").await;
    assert_eq!(users(&app, &admin).await.len(), before);
}

#[tokio::test]
async fn two_administrators_creating_the_same_username_at_once_make_one_account_and_one_refusal() {
    let app = spawn_app().await;
    let admin = app.login("admin").await;
    let nt = app.ward_named(&admin, "Nhật Tân").await;
    let mut input = officer("quantri.hai", nt.id);
    input["role"] = json!("admin");
    app.create_user(&admin, &input).await;
    let other_admin = sign_in(&app, "quantri.hai", GOOD_PASSWORD).await;
    for round in 0..6 {
        let input = officer(&format!("trungten{round}"), nt.id);
        let create = |token: String, input: Value| {
            let app = &app;
            async move {
                let resp = app
                    .send(Method::POST, Some(&token), "/api/admin/users", Some(&input))
                    .await;
                (resp.status(), resp.text().await.unwrap())
            }
        };
        let (a, b) = tokio::join!(
            create(admin.clone(), input.clone()),
            create(other_admin.clone(), input.clone())
        );
        let mut statuses = [a.0, b.0];
        statuses.sort();
        assert_eq!(
            statuses,
            [StatusCode::CREATED, StatusCode::UNPROCESSABLE_ENTITY],
            "round {round}: one account, one refusal; got {a:?} and {b:?}"
        );
        let refusal = if a.0 == StatusCode::CREATED {
            &b.1
        } else {
            &a.1
        };
        let refusal: ErrorBody = serde_json::from_str(refusal).unwrap();
        assert_eq!(refusal.fields[0].field, "username", "{refusal:?}");
    }
    let list = users(&app, &admin).await;
    for round in 0..6 {
        let name = format!("trungten{round}");
        assert_eq!(list.iter().filter(|u| u.username == name).count(), 1);
    }
}

#[tokio::test]
async fn two_administrators_changing_different_things_at_once_both_succeed() {
    let app = spawn_app().await;
    let admin = app.login("admin").await;
    let nt = app.ward_named(&admin, "Nhật Tân").await;
    let mut input = officer("quantri.ba", nt.id);
    input["role"] = json!("admin");
    app.create_user(&admin, &input).await;
    let other_admin = sign_in(&app, "quantri.ba", GOOD_PASSWORD).await;
    let canbo = user_by_name(&app, &admin, "canbo").await;
    let mut failures = Vec::new();
    for round in 0..20 {
        let mut edit = edit_of(&canbo);
        edit["display_name"] = json!(format!("Đại úy Lê Thị Hoa {round}"));
        let group_name = format!("Tổ số 1 ({round})");
        let user_path = format!("/api/admin/users/{}", canbo.id);
        let (group, user) = tokio::join!(
            rename_group(&app, &admin, nt.groups[0].id, &group_name),
            app.send(Method::PUT, Some(&other_admin), &user_path, Some(&edit))
        );
        for (what, resp) in [("rename a group", group), ("rename a user", user)] {
            let status = resp.status();
            if status != StatusCode::OK {
                failures.push(format!(
                    "round {round}, {what}: {status} {}",
                    resp.text().await.unwrap()
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

// ---- editing users -------------------------------------------------------------------------

#[tokio::test]
async fn a_rename_keeps_the_user_signed_in_but_moving_them_signs_every_device_out() {
    let app = spawn_app().await;
    let admin = app.login("admin").await;
    let nt = app.ward_named(&admin, "Nhật Tân").await;
    let xl = app.ward_named(&admin, "Xuân La").await;
    let mut input = officer("canbo.di", nt.id);
    input["groups"] = json!([nt.groups[0].id]);
    let user = app.create_user(&admin, &input).await;
    let phone = app.login("canbo").await; // somebody else, untouched throughout
    let token = sign_in(&app, "canbo.di", GOOD_PASSWORD).await;

    // A new name and other responsible groups: same place, still signed in.
    let mut edit = edit_of(&user);
    edit["display_name"] = json!("Đại úy Hoàng Văn Đi");
    edit["groups"] = json!([nt.groups[1].id, nt.groups[2].id]);
    let renamed = update(&app, &admin, user.id, &edit).await;
    assert_eq!(renamed.display_name, "Đại úy Hoàng Văn Đi");
    assert_eq!(
        renamed.groups,
        vec![nt.groups[1].clone(), nt.groups[2].clone()]
    );
    assert_eq!(renamed.username, "canbo.di");
    assert_eq!(renamed.sessions, 1);
    expect_signed_in(&app, &token, "after a rename").await;
    assert_eq!(app.me(&token).await.display_name, "Đại úy Hoàng Văn Đi");

    // Moved to Xuân La: signed out; the next sign-in is in Xuân La.
    let mut edit = edit_of(&renamed);
    edit["ward_id"] = json!(xl.id);
    edit["groups"] = json!([]);
    let moved = update(&app, &admin, user.id, &edit).await;
    assert_eq!(moved.ward.as_ref().unwrap().id, xl.id);
    assert_eq!(moved.sessions, 0);
    expect_signed_out(&app, &token, "after a move to another ward").await;
    let token = sign_in(&app, "canbo.di", GOOD_PASSWORD).await;
    assert_eq!(app.me(&token).await.ward.unwrap().id, xl.id);

    // Another role in the same ward: signed out too.
    let mut edit = edit_of(&moved);
    edit["role"] = json!("supervisor");
    let promoted = update(&app, &admin, user.id, &edit).await;
    assert_eq!(promoted.role, Role::Supervisor);
    expect_signed_out(&app, &token, "after a change of role").await;

    // A group leader moved to another group of the same ward: signed out.
    let lan = app.login("totruong").await;
    let leader = user_by_name(&app, &admin, "totruong").await;
    let mut edit = edit_of(&leader);
    edit["group_id"] = json!(nt.groups[1].id);
    let moved = update(&app, &admin, leader.id, &edit).await;
    assert_eq!(moved.group.unwrap().id, nt.groups[1].id);
    expect_signed_out(&app, &lan, "a group leader after a move to another group").await;

    expect_signed_in(&app, &phone, "somebody else").await;

    // The username never changes; a user that does not exist is not found.
    let mut edit = edit_of(&promoted);
    edit["username"] = json!("ten.khac");
    assert_eq!(
        update(&app, &admin, user.id, &edit).await.username,
        "canbo.di"
    );
    let resp = app
        .send(
            Method::PUT,
            Some(&admin),
            "/api/admin/users/987654321",
            Some(&edit),
        )
        .await;
    expect_error(resp, StatusCode::NOT_FOUND, "not_found").await;

    // An edit is checked like a creation.
    let mut edit = edit_of(&promoted);
    edit["role"] = json!("officer");
    edit["groups"] = json!([nt.groups[0].id]);
    let resp = send_in(
        &app,
        Method::PUT,
        &admin,
        &format!("/api/admin/users/{}", user.id),
        &edit,
        "en",
    )
    .await;
    expect_refusal(
        resp,
        "groups",
        "must be in their ward",
        "groups of another ward",
    )
    .await;
}

#[tokio::test]
async fn a_deactivated_user_is_signed_out_everywhere_and_cannot_sign_in_until_reactivated() {
    let app = spawn_app().await;
    let admin = app.login("admin").await;
    let phone = app.login("canbo").await;
    let tablet = app.login("canbo").await;
    let canbo = user_by_name(&app, &admin, "canbo").await;
    assert_eq!(canbo.sessions, 2);

    let mut edit = edit_of(&canbo);
    edit["active"] = json!(false);
    let off = update(&app, &admin, canbo.id, &edit).await;
    assert!(!off.active);
    assert_eq!(off.sessions, 0);
    expect_signed_out(&app, &phone, "phone").await;
    expect_signed_out(&app, &tablet, "tablet").await;
    let resp = app.login_response("canbo", PASSWORD).await;
    expect_error(resp, StatusCode::UNAUTHORIZED, "bad_credentials").await;

    edit["active"] = json!(true);
    assert!(update(&app, &admin, canbo.id, &edit).await.active);
    let token = app.login("canbo").await;
    expect_signed_in(&app, &token, "reactivated").await;
}

#[tokio::test]
async fn a_password_reset_refuses_the_old_password_takes_the_new_and_signs_out_every_device() {
    let app = spawn_app().await;
    let admin = app.login("admin").await;
    let phone = app.login("canbo").await;
    let tablet = app.login("canbo").await;
    let canbo = user_by_name(&app, &admin, "canbo").await;
    let path = format!("/api/admin/users/{}/password", canbo.id);

    // A weak new password is refused, and changes nothing.
    for (password, fragment) in [
        ("ngắn", "at least 10 characters"),
        ("1234567890", "too easy to guess"),
        ("canbo-canbo-canbo", "too easy to guess"),
    ] {
        let resp = send_in(
            &app,
            Method::POST,
            &admin,
            &path,
            &json!({ "password": password }),
            "en",
        )
        .await;
        expect_refusal(resp, "password", fragment, password).await;
    }
    expect_signed_in(&app, &phone, "after a refused reset").await;

    let new_password = "mật khẩu mới của cán bộ Hoa";
    let resp = app
        .send(
            Method::POST,
            Some(&admin),
            &path,
            Some(&json!({ "password": new_password })),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    expect_signed_out(&app, &phone, "phone").await;
    expect_signed_out(&app, &tablet, "tablet").await;
    let resp = app.login_response("canbo", PASSWORD).await;
    expect_error(resp, StatusCode::UNAUTHORIZED, "bad_credentials").await;
    let resp = app.login_response("canbo", new_password).await;
    assert_eq!(resp.status(), StatusCode::OK);

    let resp = app
        .send(
            Method::POST,
            Some(&admin),
            "/api/admin/users/987654321/password",
            Some(&json!({ "password": new_password })),
        )
        .await;
    expect_error(resp, StatusCode::NOT_FOUND, "not_found").await;
}

#[tokio::test]
async fn an_administrator_cannot_deactivate_themself_nor_change_their_own_role() {
    let app = spawn_app().await;
    let admin = app.login("admin").await;
    let nt = app.ward_named(&admin, "Nhật Tân").await;
    let me = user_by_name(&app, &admin, "admin").await;
    let path = format!("/api/admin/users/{}", me.id);

    let mut edit = edit_of(&me);
    edit["active"] = json!(false);
    for (lang, fragment) in [
        ("vi", "Không thể tự khóa"),
        ("en", "cannot deactivate yourself"),
    ] {
        let resp = send_in(&app, Method::PUT, &admin, &path, &edit, lang).await;
        expect_refusal(resp, "role", fragment, lang).await;
    }
    let mut edit = edit_of(&me);
    edit["role"] = json!("supervisor");
    edit["ward_id"] = json!(nt.id);
    let resp = send_in(&app, Method::PUT, &admin, &path, &edit, "en").await;
    expect_refusal(resp, "role", "change your own role", "own role").await;

    expect_signed_in(&app, &admin, "still signed in").await;
    let still = user_by_name(&app, &admin, "admin").await;
    assert!(still.active);
    assert_eq!(still.role, Role::Admin);

    // A new name is fine.
    let mut edit = edit_of(&me);
    edit["display_name"] = json!("Quản trị viên");
    assert_eq!(
        update(&app, &admin, me.id, &edit).await.display_name,
        "Quản trị viên"
    );
    expect_signed_in(&app, &admin, "after renaming themself").await;
}

// ---- wards and groups ----------------------------------------------------------------------

async fn create_ward(app: &TestApp, admin: &str, name: &str, district: &str) -> Response {
    app.send(
        Method::POST,
        Some(admin),
        "/api/admin/wards",
        Some(&json!({ "name": name, "district": district, "city": "Hà Nội" })),
    )
    .await
}

async fn create_group(app: &TestApp, admin: &str, ward: i64, name: &str) -> Response {
    app.send(
        Method::POST,
        Some(admin),
        &format!("/api/admin/wards/{ward}/groups"),
        Some(&json!({ "name": name })),
    )
    .await
}

async fn rename_group(app: &TestApp, admin: &str, group: i64, name: &str) -> Response {
    app.send(
        Method::PUT,
        Some(admin),
        &format!("/api/admin/groups/{group}"),
        Some(&json!({ "name": name })),
    )
    .await
}

async fn rename_ward(app: &TestApp, admin: &str, ward: i64, name: &str) -> Response {
    app.send(
        Method::PUT,
        Some(admin),
        &format!("/api/admin/wards/{ward}"),
        Some(&json!({ "name": name, "district": "Tây Hồ", "city": "Hà Nội" })),
    )
    .await
}

#[tokio::test]
async fn wards_and_groups_are_created_and_renamed_and_a_name_used_twice_is_refused() {
    let app = spawn_app().await;
    let admin = app.login("admin").await;

    let resp = create_ward(&app, &admin, "  Phú Thượng ", "Tây Hồ").await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let ward: WardView = resp.json().await.unwrap();
    assert_eq!(
        (
            ward.name.as_str(),
            ward.district.as_str(),
            ward.city.as_str()
        ),
        ("Phú Thượng", "Tây Hồ", "Hà Nội")
    );
    assert!(ward.groups.is_empty());
    assert!(app.admin_wards(&admin).await.contains(&ward));

    // The same ward again is refused; the same name in another district is another ward.
    for lang in ["vi", "en"] {
        let resp = app
            .request(Method::POST, "/api/admin/wards", Some(&admin))
            .header(ACCEPT_LANGUAGE, lang)
            .json(&json!({"name": "Phú Thượng", "district": "Tây Hồ", "city": "Hà Nội"}))
            .send()
            .await
            .unwrap();
        let fragment = if lang == "vi" {
            "Đã có phường"
        } else {
            "already used"
        };
        expect_refusal(resp, "name", fragment, lang).await;
    }
    let resp = create_ward(&app, &admin, "Phú Thượng", "Ba Đình").await;
    assert_eq!(resp.status(), StatusCode::CREATED);

    let resp = rename_ward(&app, &admin, ward.id, "Phú Thượng Mới").await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    let wards = app.admin_wards(&admin).await;
    let renamed = wards.iter().find(|w| w.id == ward.id).unwrap();
    assert_eq!(renamed.name, "Phú Thượng Mới");
    let resp = rename_ward(&app, &admin, ward.id, "Nhật Tân").await;
    expect_refusal(resp, "name", "Đã có phường", "rename to a used name").await;
    let resp = rename_ward(&app, &admin, 987_654_321, "Không có").await;
    expect_error(resp, StatusCode::NOT_FOUND, "not_found").await;

    // Groups: a name once per ward; the same name in another ward is fine.
    let resp = create_group(&app, &admin, ward.id, "Tổ dân phố số 1").await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let group: Place = resp.json().await.unwrap();
    assert_eq!(group.name, "Tổ dân phố số 1");
    let resp = create_group(&app, &admin, ward.id, " Tổ dân phố số 1 ").await;
    expect_refusal(resp, "name", "Đã có tổ dân phố", "a group name used twice").await;
    let resp = create_group(&app, &admin, ward.id, "Tổ dân phố số 2").await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let second: Place = resp.json().await.unwrap();
    let resp = create_group(&app, &admin, 987_654_321, "Tổ mồ côi").await;
    expect_error(resp, StatusCode::NOT_FOUND, "not_found").await;

    let resp = rename_group(&app, &admin, group.id, "Tổ dân phố số 9").await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(
        resp.json::<Place>().await.unwrap(),
        Place {
            id: group.id,
            name: "Tổ dân phố số 9".into()
        }
    );
    let resp = rename_group(&app, &admin, group.id, "Tổ dân phố số 2").await;
    expect_refusal(resp, "name", "Đã có tổ dân phố", "rename to a used name").await;
    let resp = rename_group(&app, &admin, 987_654_321, "Tổ mồ côi").await;
    expect_error(resp, StatusCode::NOT_FOUND, "not_found").await;

    let wards = app.admin_wards(&admin).await;
    let listed = wards.iter().find(|w| w.id == ward.id).unwrap();
    assert_eq!(
        listed.groups,
        vec![
            Place {
                id: group.id,
                name: "Tổ dân phố số 9".into()
            },
            second
        ]
    );

    // A new group can have its officer and group leader at once.
    let leader = app
        .create_user(
            &admin,
            &json!({"username": "totruong.pt", "display_name": "Tổ trưởng", "role": "group_leader",
                    "group_id": group.id, "password": GOOD_PASSWORD}),
        )
        .await;
    assert_eq!(leader.ward.unwrap().name, "Phú Thượng Mới");
}

// ---- names are text ------------------------------------------------------------------------

const INJECTIONS: [&str; 5] = [
    "'; DROP TABLE users; --",
    "<script>alert(1)</script>",
    "Robert'); DELETE FROM audit_log; --",
    "\" OR 1=1 -- <img src=x onerror=alert(2)>",
    "=HYPERLINK(\"http://x\")",
];

#[tokio::test]
async fn sql_and_html_in_names_are_stored_and_returned_as_the_very_same_text() {
    let app = spawn_app().await;
    let admin = app.login("admin").await;
    let nt = app.ward_named(&admin, "Nhật Tân").await;
    for (i, text) in INJECTIONS.iter().enumerate() {
        // A display name…
        let mut input = officer(&format!("thu.{i}"), nt.id);
        input["display_name"] = json!(text);
        let user = app.create_user(&admin, &input).await;
        assert_eq!(user.display_name, *text);
        let resp = app
            .get(&admin, &format!("/api/admin/users/{}", user.id))
            .await;
        let content_type = resp.headers()[CONTENT_TYPE].to_str().unwrap().to_owned();
        assert!(
            content_type.starts_with("application/json"),
            "{content_type}"
        );
        assert_eq!(resp.json::<UserView>().await.unwrap().display_name, *text);
        let resp = app.login_response(&format!("thu.{i}"), GOOD_PASSWORD).await;
        let login: domain::api::LoginResponse = resp.json().await.unwrap();
        assert_eq!(login.me.display_name, *text);

        // …a ward's name, district and city…
        let resp = app
            .send(
                Method::POST,
                Some(&admin),
                "/api/admin/wards",
                Some(&json!({"name": text, "district": text, "city": text})),
            )
            .await;
        assert_eq!(resp.status(), StatusCode::CREATED, "ward {text}");
        let ward: WardView = resp.json().await.unwrap();
        assert_eq!(
            (&*ward.name, &*ward.district, &*ward.city),
            (*text, *text, *text)
        );

        // …and a group's name, created and renamed.
        let resp = create_group(&app, &admin, ward.id, text).await;
        assert_eq!(resp.status(), StatusCode::CREATED, "group {text}");
        let group: Place = resp.json().await.unwrap();
        assert_eq!(group.name, *text);
        let renamed = format!("{text} (2)");
        let resp = rename_group(&app, &admin, nt.groups[3].id, &renamed).await;
        assert_eq!(resp.json::<Place>().await.unwrap().name, renamed);
    }
    let wards = app.admin_wards(&admin).await;
    for text in INJECTIONS {
        assert!(wards
            .iter()
            .any(|w| w.name == text && w.groups[0].name == text));
    }
    let nt_now = wards.iter().find(|w| w.id == nt.id).unwrap();
    assert_eq!(nt_now.groups[3].name, format!("{} (2)", INJECTIONS[4]));
    // Nothing was run: every table and account is still there.
    let demo = users(&app, &admin).await;
    assert!(demo.iter().any(|u| u.username == "truongcong"));
    let audit: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_log")
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    assert!(audit > 0);
    app.login("totruong").await;
}

#[tokio::test]
async fn over_long_empty_and_control_character_names_are_refused_with_422() {
    let app = spawn_app().await;
    let admin = app.login("admin").await;
    let nt = app.ward_named(&admin, "Nhật Tân").await;
    // Characters are counted, not bytes: 100 Vietnamese letters are fine.
    let longest = "ạ".repeat(100);
    let too_long = "ạ".repeat(101);

    let mut input = officer("ten.dai", nt.id);
    input["display_name"] = json!(longest);
    let user = app.create_user(&admin, &input).await;
    assert_eq!(user.display_name, longest);
    for bad in [too_long.as_str(), "", "   ", "Tên\u{0}ẩn", "Hai\ndòng"] {
        let mut input = officer("ten.xau", nt.id);
        input["display_name"] = json!(bad);
        let resp = send_in(&app, Method::POST, &admin, "/api/admin/users", &input, "en").await;
        expect_refusal(
            resp,
            "display_name",
            "1 to 100 characters",
            &format!("{bad:?}"),
        )
        .await;
        let mut edit = edit_of(&user);
        edit["display_name"] = json!(bad);
        let path = format!("/api/admin/users/{}", user.id);
        let resp = send_in(&app, Method::PUT, &admin, &path, &edit, "en").await;
        expect_refusal(
            resp,
            "display_name",
            "1 to 100 characters",
            &format!("{bad:?}"),
        )
        .await;
    }

    for field in ["name", "district", "city"] {
        let mut ward = json!({"name": "Phường dài", "district": "Tây Hồ", "city": "Hà Nội"});
        ward[field] = json!(too_long);
        let resp = send_in(&app, Method::POST, &admin, "/api/admin/wards", &ward, "vi").await;
        expect_refusal(resp, field, "từ 1 đến 100 ký tự", field).await;
        let path = format!("/api/admin/wards/{}", nt.id);
        let resp = send_in(&app, Method::PUT, &admin, &path, &ward, "vi").await;
        expect_refusal(resp, field, "từ 1 đến 100 ký tự", field).await;
    }
    let resp = create_ward(&app, &admin, &longest, "Tây Hồ").await;
    assert_eq!(resp.status(), StatusCode::CREATED);

    for bad in [too_long.as_str(), " ", "Tổ\tmột"] {
        let resp = create_group(&app, &admin, nt.id, bad).await;
        expect_refusal(resp, "name", "từ 1 đến 100 ký tự", bad).await;
        let resp = rename_group(&app, &admin, nt.groups[0].id, bad).await;
        expect_refusal(resp, "name", "từ 1 đến 100 ký tự", bad).await;
    }
    let resp = create_group(&app, &admin, nt.id, &longest).await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    // Nothing of the refused names was stored.
    let wards = app.admin_wards(&admin).await;
    let nt_now = wards.iter().find(|w| w.id == nt.id).unwrap();
    assert_eq!(nt_now.name, "Nhật Tân");
    assert_eq!(nt_now.groups[0].name, "Tổ dân phố số 1");
    assert_eq!(nt_now.groups.len(), 5);
}

#[tokio::test]
async fn an_edit_that_leaves_out_state_and_groups_keeps_them() {
    let app = spawn_app().await;
    let admin = app.login("admin").await;
    let wards: serde_json::Value = app
        .get(&admin, "/api/admin/wards")
        .await
        .json()
        .await
        .unwrap();
    let nt = wards
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["name"] == "Nhật Tân")
        .unwrap()
        .clone();
    let group = nt["groups"][1]["id"].clone();
    let created = app
        .request(reqwest::Method::POST, "/api/admin/users", Some(&admin))
        .json(&serde_json::json!({
            "username": "an.nv", "display_name": "Nguyễn Văn An", "role": "officer",
            "ward_id": nt["id"], "groups": [group], "password": "ngõ năm mươi hai"
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let user: serde_json::Value = created.json().await.unwrap();
    let path = format!("/api/admin/users/{}", user["id"]);
    let put = |body: serde_json::Value| {
        app.request(reqwest::Method::PUT, &path, Some(&admin))
            .json(&body)
            .send()
    };
    let r = put(serde_json::json!({"username": "an.nv", "display_name": "Nguyễn Văn An", "role": "officer", "ward_id": nt["id"], "active": false}))
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // A rename that says nothing of state or groups keeps both.
    let r = put(serde_json::json!({"username": "an.nv", "display_name": "Nguyễn Văn Ân", "role": "officer", "ward_id": nt["id"]}))
        .await
        .unwrap();
    let after: serde_json::Value = r.json().await.unwrap();
    assert_eq!(after["display_name"], "Nguyễn Văn Ân");
    assert_eq!(after["active"], false, "not reactivated");
    assert_eq!(after["groups"][0]["id"], group, "responsible groups kept");
}

#[tokio::test]
async fn changes_made_on_the_command_line_say_so_in_the_audit_trail() {
    let app = spawn_app().await;
    let db = server::cli::open(&app.database_url).await.unwrap();
    let add = server::cli::UserCommand::Add {
        username: "lan.tt".into(),
        name: "Trần Thị Lan".into(),
        role: "group_leader".into(),
        ward: None,
        group: Some(1),
        province: None,
        groups: Vec::new(),
        password_stdin: false,
    };
    let work = server::cli::user_command(&db, &add, domain::Lang::En);
    let out = server::db::from_source(server::cli::cli_source(), work)
        .await
        .unwrap();
    assert!(out.starts_with("added lan.tt (Trần Thị Lan)"), "{out}");
    assert!(
        out.contains("\npassword: "),
        "a made-up password is printed once: {out}"
    );
    let admin = app.login("admin").await;
    let entries = app.audit(&admin, "action=user.create").await;
    let entry = entries
        .iter()
        .find(|e| e.after.as_ref().is_some_and(|a| a["username"] == "lan.tt"))
        .unwrap();
    assert_eq!(entry.actor, None);
    assert!(entry.detail.starts_with("command line: "), "{entry:?}");
}

#[tokio::test]
async fn anyone_but_an_administrator_is_refused_403_before_the_body_is_even_read() {
    let app = spawn_app().await;
    let lan = app.login("totruong").await;
    for (method, path) in [
        (Method::POST, "/api/admin/users/3/password"),
        (Method::PUT, "/api/admin/wards/1"),
        (Method::POST, "/api/admin/users"),
        (Method::PUT, "/api/admin/groups/1"),
    ] {
        // An empty or malformed body: the answer is about who asks, not about the body.
        for body in [json!({}), json!("rác")] {
            let resp = app
                .send(method.clone(), Some(&lan), path, Some(&body))
                .await;
            let err = expect_error(resp, StatusCode::FORBIDDEN, "forbidden").await;
            assert!(!err.message.contains("field"), "{method} {path}: {err:?}");
        }
    }
}
