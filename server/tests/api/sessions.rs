//! Signed-in devices: a user sees theirs and signs one out, an administrator signs out every
//! device of a user (a lost phone), sessions expire; what a phone sent before stays on the
//! server, and what it sends again after signing in is not recorded twice.

use domain::admin::{SessionView, UserView};
use domain::sync::PushOutcome;
use reqwest::header::USER_AGENT;
use reqwest::{Method, StatusCode};
use sha2::{Digest, Sha256};

use crate::helpers::{
    edit_of, expect_error, own_group, spawn_app, spawn_app_with_config, valid_report, TestApp,
    PASSWORD,
};

/// Signs `username` in from a device that calls itself `device`; returns the token.
async fn sign_in_from(app: &TestApp, username: &str, device: &str) -> String {
    let resp = app
        .request(Method::POST, "/api/auth/login", None)
        .header(USER_AGENT, device)
        .json(&serde_json::json!({ "username": username, "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK, "sign-in of {username}");
    resp.json::<domain::api::LoginResponse>()
        .await
        .unwrap()
        .token
}

async fn sessions(app: &TestApp, token: &str) -> Vec<SessionView> {
    let resp = app.get(token, "/api/sessions").await;
    assert_eq!(resp.status(), StatusCode::OK);
    resp.json().await.unwrap()
}

async fn sign_out_device(app: &TestApp, token: &str, id: &str) -> reqwest::Response {
    app.send(
        Method::DELETE,
        Some(token),
        &format!("/api/sessions/{id}"),
        None,
    )
    .await
}

/// Expects `token` to be refused as an expired session, on reading and on pushing alike.
async fn expect_expired(app: &TestApp, token: &str, what: &str) {
    let resp = app.get(token, "/api/me").await;
    let err = expect_error(resp, StatusCode::UNAUTHORIZED, "session_expired").await;
    assert!(err.message.contains("đăng nhập lại"), "{what}: {err:?}");
    let resp = app.get(token, "/api/sync/pull?cursor=0").await;
    expect_error(resp, StatusCode::UNAUTHORIZED, "session_expired").await;
}

async fn expect_working(app: &TestApp, token: &str, what: &str) {
    let resp = app.get(token, "/api/me").await;
    assert_eq!(resp.status(), StatusCode::OK, "{what}");
}

/// An administrator signs every device of user `id` out.
async fn sign_out_everywhere(app: &TestApp, admin: &str, id: i64) {
    let path = format!("/api/admin/users/{id}/signout");
    let resp = app.send(Method::POST, Some(admin), &path, None).await;
    assert_eq!(
        resp.status(),
        StatusCode::NO_CONTENT,
        "sign-out of user {id}"
    );
}

async fn user(app: &TestApp, admin: &str, username: &str) -> UserView {
    let resp = app.get(admin, "/api/admin/users").await;
    let users: Vec<UserView> = resp.json().await.unwrap();
    users
        .into_iter()
        .find(|u| u.username == username)
        .unwrap_or_else(|| panic!("no user {username}"))
}

#[tokio::test]
async fn a_user_sees_both_devices_and_signs_the_other_one_out() {
    let app = spawn_app().await;
    let phone = sign_in_from(&app, "canbo", "Mozilla/5.0 (Linux; Android 12) Phone").await;
    let laptop = sign_in_from(&app, "canbo", "Mozilla/5.0 (X11; Linux x86_64) Laptop").await;

    let list = sessions(&app, &laptop).await;
    assert_eq!(list.len(), 2, "{list:?}");
    assert_eq!(list.iter().filter(|s| s.current).count(), 1, "{list:?}");
    let current = list.iter().find(|s| s.current).unwrap();
    let other = list.iter().find(|s| !s.current).unwrap();
    assert!(current.device.contains("Laptop"), "{current:?}");
    assert!(other.device.contains("Phone"), "{other:?}");
    for s in &list {
        assert_eq!(s.id.len(), 16);
        assert!(s.expires_at > s.created_at);
    }
    // The list names sessions without giving their tokens away.
    let raw = app
        .get(&laptop, "/api/sessions")
        .await
        .text()
        .await
        .unwrap();
    assert!(!raw.contains(&phone) && !raw.contains(&laptop));
    let phone_hash = hex::encode(Sha256::digest(phone.as_bytes()));
    assert!(!raw.contains(&phone_hash), "not even the whole hash");
    // The phone sees the same two, itself as current.
    let from_phone = sessions(&app, &phone).await;
    assert_eq!(
        from_phone.iter().find(|s| s.current).map(|s| &s.id),
        Some(&other.id)
    );

    let resp = sign_out_device(&app, &laptop, &other.id).await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    expect_expired(&app, &phone, "the phone signed out from the laptop").await;
    expect_working(&app, &laptop, "the laptop").await;
    let list = sessions(&app, &laptop).await;
    assert_eq!(list.len(), 1);
    assert!(list[0].current);
    // Signing it out again: it is gone.
    let resp = sign_out_device(&app, &laptop, &other.id).await;
    expect_error(resp, StatusCode::NOT_FOUND, "not_found").await;
}

#[tokio::test]
async fn someone_elses_session_is_not_found_and_stays_signed_in() {
    let app = spawn_app().await;
    let hoa = app.login("canbo").await;
    let lan = app.login("totruong").await;
    let boss = app.login("truongcong").await;
    let hoas = sessions(&app, &hoa).await[0].id.clone();

    for token in [&lan, &boss] {
        let resp = sign_out_device(&app, token, &hoas).await;
        let theirs = expect_error(resp, StatusCode::NOT_FOUND, "not_found").await;
        // Exactly what a session that never existed gets.
        let resp = sign_out_device(&app, token, "0123456789abcdef").await;
        let never = expect_error(resp, StatusCode::NOT_FOUND, "not_found").await;
        assert_eq!(theirs, never);
    }
    // Nor can an administrator sign out one device of someone else by its id.
    let admin = app.login("admin").await;
    let resp = sign_out_device(&app, &admin, &hoas).await;
    expect_error(resp, StatusCode::NOT_FOUND, "not_found").await;
    // Malformed ids are not found either.
    for bad in [
        "xyz",
        "0123456789abcdefff",
        "ZZZZZZZZZZZZZZZZ",
        "%27%20OR%201%3D1--",
    ] {
        let resp = sign_out_device(&app, &lan, bad).await;
        expect_error(resp, StatusCode::NOT_FOUND, "not_found").await;
    }
    expect_working(&app, &hoa, "Hoa's session").await;
    assert_eq!(sessions(&app, &hoa).await.len(), 1);
}

#[tokio::test]
async fn an_administrator_signs_out_every_device_of_a_user_with_a_lost_phone() {
    let app = spawn_app().await;
    let admin = app.login("admin").await;
    let phone = app.login("canbo").await;
    let tablet = app.login("canbo").await;
    let colleague = app.login("truongcong").await;
    let hoa = user(&app, &admin, "canbo").await;
    assert_eq!(hoa.sessions, 2);

    sign_out_everywhere(&app, &admin, hoa.id).await;
    expect_expired(&app, &phone, "phone").await;
    expect_expired(&app, &tablet, "tablet").await;
    expect_working(&app, &colleague, "somebody else").await;
    assert_eq!(user(&app, &admin, "canbo").await.sessions, 0);

    // She signs in again (a new phone) and works.
    let new_phone = app.login("canbo").await;
    expect_working(&app, &new_phone, "the new phone").await;
    assert_eq!(sessions(&app, &new_phone).await.len(), 1);
}

#[tokio::test]
async fn records_sent_before_a_revocation_stay_and_sending_them_again_after_signing_in_is_a_duplicate(
) {
    let app = spawn_app().await;
    let admin = app.login("admin").await;
    let boss = app.login("truongcong").await;
    let phone = app.login("totruong").await;
    let group = own_group(&app, &phone).await;
    let sent = valid_report(group);
    let waiting = valid_report(group);
    assert_eq!(
        app.push_ok(&phone, vec![sent.clone()]).await,
        [PushOutcome::Accepted]
    );

    let lan = user(&app, &admin, "totruong").await;
    sign_out_everywhere(&app, &admin, lan.id).await;

    // The phone's next push is refused as an expired session: it keeps its outbox.
    let resp = app.push(&phone, vec![sent.clone(), waiting.clone()]).await;
    expect_error(resp, StatusCode::UNAUTHORIZED, "session_expired").await;
    assert_eq!(app.stored_count(waiting.id).await, 0);
    // What it had sent stays on the server.
    let list = app.records(&boss).await;
    assert_eq!(list.iter().map(|r| r.id).collect::<Vec<_>>(), [sent.id]);

    // Signed in again, the phone sends its whole outbox, the already sent record included.
    let phone = app.login("totruong").await;
    assert_eq!(
        app.push_ok(&phone, vec![sent.clone(), waiting.clone()])
            .await,
        [PushOutcome::Duplicate, PushOutcome::Accepted]
    );
    assert_eq!(app.stored_count(sent.id).await, 1);
    assert_eq!(app.stored_count(waiting.id).await, 1);
    assert_eq!(app.total_records().await, 2);
    assert_eq!(app.records(&boss).await.len(), 2);
}

#[tokio::test]
async fn a_session_lasts_the_configured_time() {
    let app = spawn_app().await;
    let before = server::now_ms();
    let login = app.login_full("canbo").await;
    let after = server::now_ms();
    let hours = app.state.config.session_hours;
    assert_eq!(hours, 720, "30 days by default");
    let length = hours * 3_600_000;
    assert!(
        (before + length..=after + length).contains(&login.expires_at),
        "expires at {}, signed in at {before}..{after}",
        login.expires_at
    );
    let list = sessions(&app, &login.token).await;
    assert_eq!(list[0].expires_at, login.expires_at);
}

#[tokio::test]
async fn a_session_past_its_time_is_refused_as_expired_and_the_outbox_goes_through_after_signing_in(
) {
    let app = spawn_app().await;
    let boss = app.login("truongcong").await;
    let old = app.login("totruong").await;
    let fresh = app.login("totruong").await;
    let group = own_group(&app, &old).await;
    // The first session's time runs out.
    let hash = hex::encode(Sha256::digest(old.as_bytes()));
    sqlx::query("UPDATE sessions SET expires_at = $1 WHERE token_hash = $2")
        .bind(server::now_ms() - 1)
        .bind(&hash)
        .execute(&app.state.db.pool)
        .await
        .unwrap();

    // Changed by a statement of its own rather than by the server, which the server learns
    // within milliseconds on PostgreSQL (`server::sessions`).
    expect_expired_within(&app, &old, std::time::Duration::from_secs(1)).await;

    let report = valid_report(group);
    let resp = app.push(&old, vec![report.clone()]).await;
    expect_error(resp, StatusCode::UNAUTHORIZED, "session_expired").await;
    expect_expired(&app, &old, "past its time").await;
    assert_eq!(app.stored_count(report.id).await, 0);
    // An expired session is no longer listed among the devices.
    let list = sessions(&app, &fresh).await;
    assert_eq!(list.len(), 1);
    assert!(list[0].current);
    assert_ne!(list[0].id, hash[..16]);

    let again = app.login("totruong").await;
    assert_eq!(
        app.push_ok(&again, vec![report.clone()]).await,
        [PushOutcome::Accepted]
    );
    assert_eq!(app.records(&boss).await.len(), 1);
}

#[tokio::test]
async fn with_a_session_length_of_zero_hours_every_sign_in_expires_at_once() {
    let app = spawn_app_with_config(|c| c.session_hours = 0).await;
    let login = app.login_full("canbo").await;
    assert!(login.expires_at <= server::now_ms());
    expect_expired(&app, &login.token, "a zero-hour session").await;
    let resp = app.get(&login.token, "/api/sessions").await;
    expect_error(resp, StatusCode::UNAUTHORIZED, "session_expired").await;
}

#[tokio::test]
async fn an_unknown_token_is_unauthenticated_not_expired() {
    let app = spawn_app().await;
    let resp = app.get("not-a-token-the-server-gave", "/api/me").await;
    expect_error(resp, StatusCode::UNAUTHORIZED, "unauthenticated").await;
    let resp = app
        .request(Method::GET, "/api/sessions", None)
        .send()
        .await
        .unwrap();
    expect_error(resp, StatusCode::UNAUTHORIZED, "unauthenticated").await;
}

/// Whether `app` keeps the caller of `token` (see `server::sessions`).
fn kept(app: &TestApp, token: &str) -> bool {
    app.state
        .db
        .sessions
        .get(&server::auth::token_hash(token), server::now_ms())
        .is_some()
}

/// Waits up to `within` for `token` to be refused as an expired session on `app`.
async fn expect_expired_within(app: &TestApp, token: &str, within: std::time::Duration) {
    let deadline = std::time::Instant::now() + within;
    loop {
        let resp = app.get(token, "/api/me").await;
        if resp.status() == StatusCode::UNAUTHORIZED {
            expect_error(resp, StatusCode::UNAUTHORIZED, "session_expired").await;
            return;
        }
        assert_eq!(resp.status(), StatusCode::OK);
        assert!(
            std::time::Instant::now() < deadline,
            "the session still worked {within:?} after it was ended"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// Servers on PostgreSQL keep the callers they read for a few seconds
/// (`server::sessions::TTL`); a session ended on one server, or by a statement typed into the
/// database, must end on every server long before that.
#[tokio::test]
async fn on_postgresql_a_session_ended_anywhere_is_refused_by_every_server_within_a_second() {
    let first = spawn_app().await;
    if first.state.db.backend != server::db::Backend::Postgres {
        // On SQLite one server owns the database and keeps no callers.
        return;
    }
    let second = first.another_instance().await;
    let within = std::time::Duration::from_secs(1);
    assert!(within < server::sessions::TTL);

    // Signed out through the first server: both had read (and kept) the session.
    let phone = first.login("canbo").await;
    expect_working(&first, &phone, "the phone on the first server").await;
    expect_working(&second, &phone, "the phone on the second server").await;
    assert!(kept(&first, &phone) && kept(&second, &phone));
    let resp = first
        .send(Method::POST, Some(&phone), "/api/auth/logout", None)
        .await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    expect_expired(&first, &phone, "signed out on this server").await;
    expect_expired_within(&second, &phone, within).await;

    // Deactivated by a statement outside any server (a `wardbook` command, an operator).
    let leader = first.login("totruong").await;
    expect_working(&first, &leader, "the leader on the first server").await;
    expect_working(&second, &leader, "the leader on the second server").await;
    assert!(kept(&first, &leader) && kept(&second, &leader));
    sqlx::query("UPDATE users SET active = 0 WHERE username = 'totruong'")
        .execute(&first.state.db.pool)
        .await
        .unwrap();
    expect_expired_within(&first, &leader, within).await;
    expect_expired_within(&second, &leader, within).await;

    // An administrator on the second server signs an officer out everywhere. (Every sign-in
    // goes through the first server: the two test servers' sign-in clocks stand still at
    // different times.)
    let admin = first.login("admin").await;
    let officer = first.login("canbo").await;
    expect_working(&first, &officer, "the officer on the first server").await;
    assert!(kept(&first, &officer));
    let hoa = user(&second, &admin, "canbo").await;
    sign_out_everywhere(&second, &admin, hoa.id).await;
    expect_expired_within(&first, &officer, within).await;
}

/// A server forgets the callers it keeps as soon as it has itself changed a session or a user,
/// without waiting for PostgreSQL's notification. Checked on SQLite, where no notification
/// comes (and nothing is kept unless a test turns keeping on), so that nothing else could have
/// emptied the cache.
#[tokio::test]
async fn a_server_forgets_kept_callers_at_once_after_its_own_changes() {
    let app = spawn_app().await;
    if app.state.db.backend != server::db::Backend::Sqlite {
        // On PostgreSQL the notification may come first; the test above covers it.
        return;
    }
    let admin = app.login("admin").await;
    let keep_from_now_on = || app.state.db.sessions.set_live(true);
    let read_and_kept = |token: String, what: &'static str| {
        let app = &app;
        async move {
            expect_working(app, &token, what).await;
            assert!(kept(app, &token), "{what}: kept");
            token
        }
    };
    let canbo = user(&app, &admin, "canbo").await;

    // Signing out.
    let phone = app.login("canbo").await;
    keep_from_now_on();
    let phone = read_and_kept(phone, "before signing out").await;
    let resp = app
        .send(Method::POST, Some(&phone), "/api/auth/logout", None)
        .await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    expect_expired(&app, &phone, "signed out").await;

    // Signing one device out from another.
    let laptop = sign_in_from(&app, "canbo", "Laptop").await;
    let tablet = sign_in_from(&app, "canbo", "Tablet").await;
    let tablet = read_and_kept(tablet, "the tablet").await;
    let laptop = read_and_kept(laptop, "the laptop").await;
    let id = sessions(&app, &laptop)
        .await
        .into_iter()
        .find(|s| !s.current)
        .expect("the tablet's session")
        .id;
    assert_eq!(
        sign_out_device(&app, &laptop, &id).await.status(),
        StatusCode::NO_CONTENT
    );
    expect_expired(&app, &tablet, "signed out from the laptop").await;

    // An administrator signs every device out.
    let laptop = read_and_kept(laptop, "the laptop again").await;
    sign_out_everywhere(&app, &admin, canbo.id).await;
    expect_expired(&app, &laptop, "signed out everywhere").await;

    // An administrator sets a new password.
    let phone = read_and_kept(app.login("canbo").await, "a new sign-in").await;
    let resp = app
        .send(
            Method::POST,
            Some(&admin),
            &format!("/api/admin/users/{}/password", canbo.id),
            Some(&serde_json::json!({ "password": "mật khẩu mới của cán bộ Hoa" })),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    expect_expired(&app, &phone, "after a new password").await;

    // An administrator deactivates the account.
    let leader = read_and_kept(app.login("totruong").await, "the leader").await;
    let totruong = user(&app, &admin, "totruong").await;
    let resp = app
        .send(
            Method::PUT,
            Some(&admin),
            &format!("/api/admin/users/{}", totruong.id),
            Some(&{
                let mut edit = edit_of(&totruong);
                edit["active"] = serde_json::json!(false);
                edit
            }),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    expect_expired(&app, &leader, "deactivated").await;
}

/// A server whose listening connection is cut keeps nothing until it listens again, and then
/// hears changes as before.
#[tokio::test]
async fn on_postgresql_a_cut_listening_connection_keeps_nothing_until_it_is_back() {
    let first = spawn_app().await;
    if first.state.db.backend != server::db::Backend::Postgres {
        return;
    }
    let second = first.another_instance().await;
    let within = std::time::Duration::from_secs(1);
    let phone = first.login("canbo").await;
    expect_working(&second, &phone, "the phone").await;
    assert!(kept(&second, &phone));

    // Every listening connection of this database is ended (both servers').
    let (mut admin, database) = first.postgres_admin().await;
    let ended: Vec<bool> = sqlx::query_scalar(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE datname = $1 AND query LIKE 'LISTEN %'",
    )
    .bind(&database)
    .fetch_all(&mut admin)
    .await
    .unwrap();
    assert_eq!(ended, [true, true], "each server's listening connection");
    // The cut is noticed within a second or two (nothing heard for 3 s at the latest), and
    // nothing is kept meanwhile: a hand-typed revocation is seen at the next request.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while second.state.db.sessions.generation().is_some() && kept(&second, &phone) {
        assert!(
            std::time::Instant::now() < deadline,
            "the cut was not noticed"
        );
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    // Back within seconds, and changes reach both servers again.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while first.state.db.sessions.generation().is_none()
        || second.state.db.sessions.generation().is_none()
    {
        assert!(std::time::Instant::now() < deadline, "not listening again");
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    expect_working(&second, &phone, "the phone again").await;
    assert!(kept(&second, &phone), "kept again");
    sqlx::query("UPDATE sessions SET revoked_at = 1 WHERE token_hash = $1")
        .bind(server::auth::token_hash(&phone))
        .execute(&first.state.db.pool)
        .await
        .unwrap();
    expect_expired_within(&second, &phone, within).await;
    expect_expired_within(&first, &phone, within).await;
}
