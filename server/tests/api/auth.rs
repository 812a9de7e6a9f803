use domain::api::Role;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use reqwest::Response;
use sqlx::Connection;

use crate::helpers::{expect_error, spawn_app, spawn_app_with_config, TestApp, PASSWORD};

#[tokio::test]
async fn a_group_leader_signs_in_and_learns_their_role_ward_and_group() {
    let app = spawn_app().await;
    let login = app.login_full("totruong").await;
    assert!(login.token.len() >= 40, "a long random token");
    let me = login.me;
    assert_eq!(me.username, "totruong");
    assert_eq!(me.display_name, "Bà Phạm Thị Lan");
    assert_eq!(me.role, Role::GroupLeader);
    assert_eq!(me.ward.expect("a ward").name, "Nhật Tân");
    let group = me.group.expect("a group");
    assert_eq!(group.name, "Tổ dân phố số 1");
    // A group leader files only for their own group.
    assert_eq!(me.groups, vec![group]);
}

#[tokio::test]
async fn an_officer_signs_in_and_may_file_for_every_group_of_their_ward() {
    let app = spawn_app().await;
    let me = app.login_full("canbo").await.me;
    assert_eq!(me.role, Role::Officer);
    assert_eq!(me.ward.unwrap().name, "Nhật Tân");
    assert_eq!(me.group, None);
    let names: Vec<_> = me.groups.iter().map(|g| g.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "Tổ dân phố số 1",
            "Tổ dân phố số 2",
            "Tổ dân phố số 3",
            "Tổ dân phố số 4"
        ]
    );
}

#[tokio::test]
async fn the_supervisor_of_another_ward_sees_that_ward() {
    let app = spawn_app().await;
    let me = app.login_full("truongxuanla").await.me;
    assert_eq!(me.role, Role::Supervisor);
    assert_eq!(me.ward.unwrap().name, "Xuân La");
    let nhat_tan = app.login_full("canbo").await.me.groups;
    assert!(
        me.groups.iter().all(|g| !nhat_tan.contains(g)),
        "Xuân La's groups are not Nhật Tân's"
    );
}

#[tokio::test]
async fn the_username_is_case_and_space_insensitive() {
    let app = spawn_app().await;
    let resp = app.login_response("  TOTRUONG ", PASSWORD).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let login: domain::api::LoginResponse = resp.json().await.unwrap();
    assert_eq!(login.me.username, "totruong");
}

#[tokio::test]
async fn a_sign_in_lasts_thirty_days() {
    let app = spawn_app().await;
    let before = server::now_ms();
    let login = app.login_full("canbo").await;
    let thirty_days = 720 * 3_600_000;
    assert!(
        (before + thirty_days..=server::now_ms() + thirty_days).contains(&login.expires_at),
        "expires_at {} is not 30 days after now {before}",
        login.expires_at
    );
}

#[tokio::test]
async fn a_token_identifies_its_user() {
    let app = spawn_app().await;
    let lan = app.login("totruong").await;
    let hoa = app.login("canbo").await;
    assert_eq!(app.me(&lan).await.username, "totruong");
    assert_eq!(app.me(&hoa).await.username, "canbo");
}

#[tokio::test]
async fn a_wrong_password_is_refused_in_vietnamese_by_default() {
    let app = spawn_app().await;
    let resp = app.login_response("totruong", "wardbook-demo!").await;
    let err = expect_error(resp, StatusCode::UNAUTHORIZED, "bad_credentials").await;
    assert_eq!(err.message, "Sai tên đăng nhập hoặc mật khẩu.");
}

#[tokio::test]
async fn a_wrong_password_is_refused_in_english_when_the_caller_asks() {
    let app = spawn_app().await;
    let resp = app
        .request(Method::POST, "/api/auth/login", None)
        .header("accept-language", "en-US,en;q=0.9")
        .json(&json!({ "username": "totruong", "password": "nope" }))
        .send()
        .await
        .unwrap();
    let err = expect_error(resp, StatusCode::UNAUTHORIZED, "bad_credentials").await;
    assert_eq!(err.message, "Wrong username or password.");
}

#[tokio::test]
async fn an_unknown_user_is_refused_exactly_like_a_wrong_password() {
    let app = spawn_app().await;
    let unknown = app.login_response("nobody", PASSWORD).await;
    let unknown = expect_error(unknown, StatusCode::UNAUTHORIZED, "bad_credentials").await;
    let wrong = app.login_response("canbo", "guess").await;
    let wrong = expect_error(wrong, StatusCode::UNAUTHORIZED, "bad_credentials").await;
    assert_eq!(unknown, wrong, "the answer does not tell who exists");
}

#[tokio::test]
async fn a_request_without_a_token_must_sign_in() {
    let app = spawn_app().await;
    for path in ["/api/me", "/api/records", "/api/sync/pull?cursor=0"] {
        let resp = app.request(Method::GET, path, None).send().await.unwrap();
        let err = expect_error(resp, StatusCode::UNAUTHORIZED, "unauthenticated").await;
        assert_eq!(err.message, "Bạn cần đăng nhập.", "{path}");
    }
    let resp = app
        .request(Method::POST, "/api/sync/push", None)
        .json(&json!({ "records": [] }))
        .send()
        .await
        .unwrap();
    expect_error(resp, StatusCode::UNAUTHORIZED, "unauthenticated").await;
}

#[tokio::test]
async fn a_garbage_token_must_sign_in() {
    let app = spawn_app().await;
    let resp = app
        .get("garbage-token-that-was-never-issued", "/api/me")
        .await;
    expect_error(resp, StatusCode::UNAUTHORIZED, "unauthenticated").await;
    // Not a bearer token at all.
    let resp = app
        .request(Method::GET, "/api/me", None)
        .header("authorization", "Basic dG90cnVvbmc6d2FyZGJvb2stZGVtbw==")
        .send()
        .await
        .unwrap();
    expect_error(resp, StatusCode::UNAUTHORIZED, "unauthenticated").await;
}

#[tokio::test]
async fn after_logout_the_token_has_expired_but_other_sign_ins_continue() {
    let app = spawn_app().await;
    let phone = app.login("totruong").await;
    let tablet = app.login("totruong").await;
    assert_eq!(app.me(&phone).await.username, "totruong");

    let resp = app
        .request(Method::POST, "/api/auth/logout", Some(&phone))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);

    let resp = app.get(&phone, "/api/me").await;
    let err = expect_error(resp, StatusCode::UNAUTHORIZED, "session_expired").await;
    assert!(err.message.contains("đăng nhập lại"), "{}", err.message);
    let resp = app
        .request(Method::GET, "/api/sync/pull?cursor=0", Some(&phone))
        .header("accept-language", "en")
        .send()
        .await
        .unwrap();
    let err = expect_error(resp, StatusCode::UNAUTHORIZED, "session_expired").await;
    assert!(
        err.message.contains("unsent records are kept"),
        "{}",
        err.message
    );

    // Signing out one phone leaves the user's other sign-in working.
    assert_eq!(app.me(&tablet).await.username, "totruong");
}

#[tokio::test]
async fn after_logout_a_supervisors_token_reads_nothing_from_the_queue_its_counts_or_a_record() {
    let app = spawn_app().await;
    let desk = app.login("truongcong").await;
    // Signed in, each answers; a record that does not exist is not found.
    let paths = [
        ("/api/records?limit=50".to_owned(), StatusCode::OK),
        ("/api/records?status=received".to_owned(), StatusCode::OK),
        ("/api/records/counts".to_owned(), StatusCode::OK),
        (
            format!("/api/records/{}", uuid::Uuid::now_v7()),
            StatusCode::NOT_FOUND,
        ),
        ("/api/me".to_owned(), StatusCode::OK),
        ("/api/sync/pull?cursor=0".to_owned(), StatusCode::OK),
    ];
    for (path, status) in &paths {
        assert_eq!(app.get(&desk, path).await.status(), *status, "{path}");
    }
    let resp = app
        .request(Method::POST, "/api/auth/logout", Some(&desk))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    for (path, _) in &paths {
        expect_error(
            app.get(&desk, path).await,
            StatusCode::UNAUTHORIZED,
            "session_expired",
        )
        .await;
    }
}

#[tokio::test]
async fn a_token_with_spaces_around_it_is_the_same_token_and_a_blank_one_must_sign_in() {
    let app = spawn_app().await;
    let token = app.login("truongcong").await;
    for path in ["/api/me", "/api/records", "/api/records/counts"] {
        let resp = app
            .request(Method::GET, path, None)
            .header("authorization", format!("Bearer   {token}  "))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK, "{path}");
        let resp = app
            .request(Method::GET, path, None)
            .header("authorization", "Bearer    ")
            .send()
            .await
            .unwrap();
        expect_error(resp, StatusCode::UNAUTHORIZED, "unauthenticated").await;
    }
}

/// A sign-in as `username` from `forwarded` (the address a trusted proxy saw).
async fn login_from(app: &TestApp, username: &str, password: &str, forwarded: &str) -> Response {
    app.request(Method::POST, "/api/auth/login", None)
        .header("x-forwarded-for", forwarded)
        .json(&json!({ "username": username, "password": password }))
        .send()
        .await
        .unwrap()
}

fn retry_after(resp: &Response) -> i64 {
    resp.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap()
}

#[tokio::test]
async fn password_guessing_is_slowed_per_account_and_forgiven_after_a_success() {
    let app = spawn_app().await;
    // Two mistakes, then the right password: the count starts again.
    for _ in 0..2 {
        let resp = app.login_response("canbo", "sai mật khẩu").await;
        expect_error(resp, StatusCode::UNAUTHORIZED, "bad_credentials").await;
    }
    app.login("canbo").await;

    for _ in 0..5 {
        let resp = app.login_response("totruong", "đoán bừa").await;
        expect_error(resp, StatusCode::UNAUTHORIZED, "bad_credentials").await;
    }
    // The sixth try is refused before the password is even looked at, right or wrong.
    let resp = app.login_response("totruong", PASSWORD).await;
    assert_eq!(retry_after(&resp), 1);
    let err = expect_error(resp, StatusCode::TOO_MANY_REQUESTS, "too_many_attempts").await;
    assert_eq!(
        err.message,
        "Đăng nhập sai quá nhiều lần. Hãy thử lại sau 1 giây."
    );
    // Other accounts are not slowed by it.
    app.login("truongcong").await;
    // Once the wait is over, the owner signs in, and that forgives the mistakes.
    app.state.throttle.skip_ahead(1_000);
    app.login("totruong").await;
    for _ in 0..5 {
        let resp = app.login_response("totruong", "lại đoán").await;
        expect_error(resp, StatusCode::UNAUTHORIZED, "bad_credentials").await;
    }
}

#[tokio::test]
async fn each_further_wrong_password_doubles_the_wait_up_to_fifteen_minutes() {
    let app = spawn_app().await;
    for _ in 0..5 {
        let resp = app.login_response("truongcong", "đoán").await;
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    }
    let mut waits = Vec::new();
    for _ in 0..14 {
        let resp = app.login_response("truongcong", "đoán").await;
        assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
        let wait = retry_after(&resp);
        waits.push(wait);
        app.state.throttle.skip_ahead(wait * 1000);
        let resp = app.login_response("truongcong", "đoán").await;
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED, "after {wait} s");
    }
    assert_eq!(
        waits,
        [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900, 900, 900]
    );
    let resp = app
        .request(Method::POST, "/api/auth/login", None)
        .header("accept-language", "en")
        .json(&json!({ "username": "truongcong", "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    let err = expect_error(resp, StatusCode::TOO_MANY_REQUESTS, "too_many_attempts").await;
    assert_eq!(
        err.message,
        "Too many failed sign-ins. Try again in 15 minutes."
    );
}

#[tokio::test]
async fn a_guesser_at_one_address_never_stops_the_owner_signing_in_from_another() {
    let app = spawn_app_with_config(|c| c.trusted_proxies = 1).await;
    for i in 0..40 {
        let _ = login_from(&app, "truongcong", &format!("guess {i}"), "198.51.100.1").await;
    }
    let guesser = login_from(&app, "truongcong", PASSWORD, "198.51.100.1").await;
    assert_eq!(guesser.status(), StatusCode::TOO_MANY_REQUESTS);
    // The real supervisor, at the station, signs in at once with the right password.
    let owner = login_from(&app, "truongcong", PASSWORD, "203.0.113.7").await;
    assert_eq!(owner.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_forged_forwarded_for_changes_nothing_when_no_proxy_is_trusted() {
    let app = spawn_app().await;
    for i in 0..5 {
        let resp = login_from(&app, "canbo", "đoán", &format!("10.9.8.{i}")).await;
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    }
    // A new made-up address each time: still the same caller.
    let resp = login_from(&app, "canbo", PASSWORD, "10.9.8.200").await;
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn behind_one_trusted_proxy_only_the_address_it_saw_is_counted() {
    let app = spawn_app_with_config(|c| c.trusted_proxies = 1).await;
    for i in 0..5 {
        // The caller's own claims on the left change; the proxy's entry on the right does not.
        let xff = format!("10.0.0.{i}, 198.51.100.9");
        let resp = login_from(&app, "canbo", "đoán", &xff).await;
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    }
    let resp = login_from(&app, "canbo", PASSWORD, "10.0.0.99, 198.51.100.9").await;
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
    let resp = login_from(&app, "canbo", PASSWORD, "198.51.100.10").await;
    assert_eq!(resp.status(), StatusCode::OK);
}

#[tokio::test]
async fn password_guessing_across_accounts_from_one_address_is_slowed_too() {
    let app = spawn_app().await;
    for n in 0..30 {
        let resp = app.login_response(&format!("khong-co-{n}"), "x").await;
        expect_error(resp, StatusCode::UNAUTHORIZED, "bad_credentials").await;
    }
    let resp = app
        .request(Method::POST, "/api/auth/login", None)
        .header("accept-language", "en")
        .json(&json!({ "username": "canbo", "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    let err = expect_error(resp, StatusCode::TOO_MANY_REQUESTS, "too_many_attempts").await;
    assert!(
        err.message.starts_with("Too many failed sign-ins."),
        "{}",
        err.message
    );
}

async fn data_version(c: &mut sqlx::SqliteConnection) -> i64 {
    sqlx::query_scalar("PRAGMA data_version")
        .fetch_one(c)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_refused_sign_in_writes_nothing_to_the_database() {
    let app = spawn_app().await;
    for _ in 0..5 {
        let _ = app.login_response("truongcong", "đoán").await;
    }
    let audit_rows = || async {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM audit_log")
            .fetch_one(&app.state.db.pool)
            .await
            .unwrap()
    };
    let before = audit_rows().await;
    // SQLite's data_version, read on a connection of our own, moves with any other
    // connection's commit.
    let mut watcher = match app.state.db.backend {
        server::db::Backend::Sqlite => Some(
            sqlx::SqliteConnection::connect(&app.database_url)
                .await
                .unwrap(),
        ),
        server::db::Backend::Postgres => None,
    };
    let v0 = match &mut watcher {
        Some(c) => Some(data_version(c).await),
        None => None,
    };
    for _ in 0..50 {
        let resp = app.login_response("truongcong", "đoán").await;
        assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
    }
    assert_eq!(
        audit_rows().await,
        before,
        "no audit row per refused attempt"
    );
    if let (Some(c), Some(v0)) = (&mut watcher, v0) {
        assert_eq!(data_version(c).await, v0, "nothing was committed");
    }
}

#[tokio::test]
async fn on_postgresql_the_limits_hold_across_server_instances() {
    let first = spawn_app().await;
    if first.state.db.backend != server::db::Backend::Postgres {
        // On SQLite one server owns the database file and counts in memory.
        return;
    }
    let second = first.another_instance().await;
    for _ in 0..3 {
        let resp = first.login_response("canbo", "đoán").await;
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    }
    for _ in 0..2 {
        let resp = second.login_response("canbo", "đoán").await;
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    }
    let resp = second.login_response("canbo", PASSWORD).await;
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
    let resp = first.login_response("canbo", PASSWORD).await;
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn an_officers_own_residential_groups_come_first() {
    let app = spawn_app().await;
    let admin = app.login("admin").await;
    let me: Value = app.get(&admin, "/api/me").await.json().await.unwrap();
    assert_eq!(me["role"], "admin");
    let users: Value = app
        .get(&admin, "/api/admin/users")
        .await
        .json()
        .await
        .unwrap();
    let canbo = users
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == "canbo")
        .unwrap()
        .clone();
    let officer = app.login("canbo").await;
    let before: Value = app.get(&officer, "/api/me").await.json().await.unwrap();
    let last = before["groups"].as_array().unwrap().last().unwrap()["id"].clone();
    let body = json!({
        "username": "canbo",
        "display_name": canbo["display_name"],
        "role": "officer",
        "ward_id": canbo["ward"]["id"],
        "groups": [last],
    });
    let resp = app
        .request(
            Method::PUT,
            &format!("/api/admin/users/{}", canbo["id"]),
            Some(&admin),
        )
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let officer = app.login("canbo").await;
    let after: Value = app.get(&officer, "/api/me").await.json().await.unwrap();
    assert_eq!(after["groups"][0]["id"], last);
    assert_eq!(
        after["groups"].as_array().unwrap().len(),
        before["groups"].as_array().unwrap().len(),
        "an officer still reaches the whole ward"
    );
}

#[tokio::test]
async fn simultaneous_guesses_cannot_exceed_the_per_account_limit() {
    let app = spawn_app().await;
    let guesses = (0..20).map(|i| {
        let app = &app;
        async move {
            app.login_response("totruong", &format!("guess number {i}"))
                .await
                .status()
        }
    });
    let answers = futures_util::future::join_all(guesses).await;
    let wrong = answers
        .iter()
        .filter(|s| **s == StatusCode::UNAUTHORIZED)
        .count();
    let slowed = answers
        .iter()
        .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert_eq!(wrong + slowed, 20, "{answers:?}");
    assert!(wrong <= 5, "at most 5 passwords were tried: {answers:?}");
    // And the right password is refused too until the window passes.
    let resp = app.login_response("totruong", PASSWORD).await;
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
}
