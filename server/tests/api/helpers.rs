//! A real server per test: a fresh database (a SQLite file in a temporary directory, or a fresh
//! PostgreSQL database when `WARDBOOK_TEST_POSTGRES` names a server), the demo accounts, and a
//! listener on port 0; plus typed helpers for the calls the phone and the supervisors make.

use domain::api::{ErrorBody, LoginResponse, Me, RecordDetail, RecordSummary};
use domain::record::RecordEnvelope;
use domain::sync::{PullResponse, PushOutcome, PushRequest, PushResponse};
use reqwest::header::{ACCEPT_LANGUAGE, CONTENT_TYPE};
use reqwest::{Client, Method, RequestBuilder, Response, StatusCode};
use serde_json::{json, Map, Value};
use sqlx::Connection;
use tempfile::TempDir;
use tokio::sync::OnceCell;
use tokio::task::JoinHandle;
use uuid::Uuid;

/// The password of every demo account.
pub const PASSWORD: &str = server::demo::PASSWORD;

/// Set to an admin URL of a PostgreSQL server to run the suite against PostgreSQL.
const POSTGRES_ENV: &str = "WARDBOOK_TEST_POSTGRES";
/// Set to `s3://bucket` (in a build with the `s3` feature, `AWS_*` naming the store) to keep
/// the photos and exports of [`spawn_app`] in S3-compatible storage, under a prefix of their
/// own, instead of memory.
const S3_ENV: &str = "WARDBOOK_TEST_S3";

/// A fresh place in the test bucket, when there is one.
fn s3_store() -> Option<String> {
    let bucket = std::env::var(S3_ENV)
        .ok()
        .filter(|b| !b.trim().is_empty())?;
    Some(format!(
        "{}/{}",
        bucket.trim().trim_end_matches('/'),
        Uuid::now_v7()
    ))
}

pub struct TestApp {
    /// `http://127.0.0.1:<port>`
    pub address: String,
    pub client: Client,
    /// The running server's state (database handle, configuration).
    pub state: server::AppState,
    pub database_url: String,
    server: Option<JoinHandle<anyhow::Result<()>>>,
    /// Keeps the SQLite file alive for as long as the app (and any restart of it).
    dir: Option<TempDir>,
    /// The photo directory of [`spawn_app_with_photo_dir`], kept across restarts; `None` when
    /// photos are kept in memory (and so are lost at a restart).
    photo_dir: Option<TempDir>,
    /// The S3 place of the photos (`WARDBOOK_TEST_S3`), kept across restarts.
    photo_store: Option<String>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(server) = self.server.take() {
            server.abort();
        }
    }
}

/// Starts a server with demo data on a fresh database of the selected backend.
pub async fn spawn_app() -> TestApp {
    spawn(None).await
}

/// Like [`spawn_app`], but photos are kept in a temporary directory instead of memory, and
/// [`TestApp::restart`] keeps that directory: stored photos and uploads survive a restart.
pub async fn spawn_app_with_photo_dir() -> TestApp {
    spawn(Some(tempfile::tempdir().expect("create a photo directory"))).await
}

async fn spawn(photo_dir: Option<TempDir>) -> TestApp {
    let s3 = photo_dir.is_none().then(s3_store).flatten();
    match std::env::var(POSTGRES_ENV) {
        Ok(admin) if !admin.trim().is_empty() => {
            let url = fresh_postgres_database(admin.trim()).await;
            start(url, None, photo_dir, s3).await
        }
        _ => {
            let dir = tempfile::tempdir().expect("create a temporary directory");
            let url = format!("sqlite://{}", dir.path().join("wardbook.db").display());
            start(url, Some(dir), photo_dir, s3).await
        }
    }
}

async fn start(
    database_url: String,
    dir: Option<TempDir>,
    photo_dir: Option<TempDir>,
    photo_store: Option<String>,
) -> TestApp {
    let mut config = server::Config::for_tests(&database_url);
    if let Some(photos) = &photo_dir {
        config.photo_store = photos.path().display().to_string();
    }
    if let Some(store) = &photo_store {
        config.photo_store = store.clone();
    }
    let app = server::Application::build(config)
        .await
        .expect("the application builds");
    let address = format!("http://{}", app.local_addr());
    let state = app.state.clone();
    // Sign-in delays are stepped through with `skip_ahead`, never waited out: a wait of one
    // second must not run out while a loaded machine is still answering the attempts before it.
    state.throttle.freeze();
    let server = tokio::spawn(app.run_until_stopped());
    if state.db.backend == server::db::Backend::Postgres {
        // Callers are kept only once the server follows session changes: every test on
        // PostgreSQL runs with them kept.
        wait_for_session_following(&state).await;
    }
    TestApp {
        address,
        client: Client::new(),
        state,
        database_url,
        server: Some(server),
        dir,
        photo_dir,
        photo_store,
    }
}

/// Waits (10 s at most) until the server follows session changes on PostgreSQL.
async fn wait_for_session_following(state: &server::AppState) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while state.db.sessions.generation().is_none() {
        assert!(
            std::time::Instant::now() < deadline,
            "the server did not start following session changes within 10 s"
        );
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
}

/// A new, empty PostgreSQL database when the suite runs on PostgreSQL (`WARDBOOK_TEST_POSTGRES`).
pub async fn fresh_postgres_url() -> Option<String> {
    match std::env::var(POSTGRES_ENV) {
        Ok(admin) if !admin.trim().is_empty() => Some(fresh_postgres_database(admin.trim()).await),
        _ => None,
    }
}

/// Drops the `wbt_%` databases of earlier runs, once per test process, before the first new one.
static POSTGRES_CLEANUP: OnceCell<()> = OnceCell::const_new();

async fn fresh_postgres_database(admin_url: &str) -> String {
    POSTGRES_CLEANUP
        .get_or_init(|| async {
            let mut conn = sqlx::PgConnection::connect(admin_url)
                .await
                .unwrap_or_else(|e| panic!("cannot connect to {POSTGRES_ENV}={admin_url}: {e}"));
            let old: Vec<String> =
                sqlx::query_scalar("SELECT datname FROM pg_database WHERE datname LIKE 'wbt\\_%'")
                    .fetch_all(&mut conn)
                    .await
                    .expect("list old test databases");
            for name in old {
                sqlx::query(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                    .execute(&mut conn)
                    .await
                    .unwrap_or_else(|e| panic!("drop old test database {name}: {e}"));
            }
            conn.close().await.ok();
        })
        .await;
    let name = format!("wbt_{:016x}", rand::random::<u64>());
    let mut conn = sqlx::PgConnection::connect(admin_url)
        .await
        .expect("connect to the PostgreSQL server");
    sqlx::query(&format!("CREATE DATABASE \"{name}\""))
        .execute(&mut conn)
        .await
        .unwrap_or_else(|e| panic!("create database {name}: {e}"));
    conn.close().await.ok();
    with_database(admin_url, &name)
}

/// The database ends every session of `database` but `admin`'s own, as a restart or a failover
/// would; one answer per session, true if it was ended.
pub async fn end_sessions(admin: &mut sqlx::PgConnection, database: &str) -> Vec<bool> {
    sqlx::query_scalar(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE datname = $1 AND pid <> pg_backend_pid()",
    )
    .bind(database)
    .fetch_all(admin)
    .await
    .expect("end the app's sessions")
}

/// `postgres://u@h:5432/postgres?x=y` with its database replaced by `name`.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (url, String::new()),
    };
    let host_start = base.find("://").map_or(0, |i| i + 3);
    let base = match base[host_start..].find('/') {
        Some(slash) => &base[..host_start + slash],
        None => base,
    };
    format!("{base}/{name}{query}")
}

impl TestApp {
    /// Stops the server, closes its database, and builds a NEW application on the same
    /// database: what a restart (or another instance) sees is what was committed.
    pub async fn restart(mut self) -> TestApp {
        if let Some(server) = self.server.take() {
            server.abort();
            // Wait until the task (and the router holding the pool) is gone.
            let _ = server.await;
        }
        self.state.db.close().await;
        let dir = self.dir.take();
        let photo_dir = self.photo_dir.take();
        let photo_store = self.photo_store.take();
        let url = std::mem::take(&mut self.database_url);
        drop(self);
        start(url, dir, photo_dir, photo_store).await
    }

    /// On PostgreSQL, a connection as the suite's administrator and the name of this app's
    /// database, for [`end_sessions`].
    pub async fn postgres_admin(&self) -> (sqlx::PgConnection, String) {
        let admin = std::env::var(POSTGRES_ENV).expect("the suite runs on PostgreSQL");
        let conn = <sqlx::PgConnection as sqlx::Connection>::connect(admin.trim())
            .await
            .expect("connect as the administrator");
        let path = self.database_url.split('?').next().unwrap_or_default();
        (conn, path.rsplit('/').next().unwrap_or_default().to_owned())
    }

    /// A second server instance on the same database (PostgreSQL: several stateless servers),
    /// and the same S3 place when there is one.
    pub async fn another_instance(&self) -> TestApp {
        start(
            self.database_url.clone(),
            None,
            None,
            self.photo_store.clone(),
        )
        .await
    }

    /// The photo directory of an app from [`spawn_app_with_photo_dir`].
    pub fn photo_dir(&self) -> Option<&std::path::Path> {
        self.photo_dir.as_ref().map(TempDir::path)
    }

    /// The axum router over this app's state, for in-process requests without a listener.
    pub fn router(&self) -> axum::Router {
        server::routes::router(self.state.clone())
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// A request to `path`, with the bearer token when given.
    pub fn request(&self, method: Method, path: &str, token: Option<&str>) -> RequestBuilder {
        let req = self.client.request(method, self.url(path));
        match token {
            Some(t) => req.bearer_auth(t),
            None => req,
        }
    }

    pub async fn login_response(&self, username: &str, password: &str) -> Response {
        self.request(Method::POST, "/api/auth/login", None)
            .json(&json!({ "username": username, "password": password }))
            .send()
            .await
            .expect("login request")
    }

    /// Signs in a demo account and returns the whole answer (token and identity).
    pub async fn login_full(&self, username: &str) -> LoginResponse {
        let resp = self.login_response(username, PASSWORD).await;
        assert_eq!(resp.status(), StatusCode::OK, "login of {username}");
        resp.json().await.expect("login answer")
    }

    /// Signs in a demo account and returns its bearer token.
    pub async fn login(&self, username: &str) -> String {
        self.login_full(username).await.token
    }

    pub async fn me(&self, token: &str) -> Me {
        let resp = self.get(token, "/api/me").await;
        assert_eq!(resp.status(), StatusCode::OK);
        resp.json().await.expect("me")
    }

    pub async fn get(&self, token: &str, path: &str) -> Response {
        self.request(Method::GET, path, Some(token))
            .send()
            .await
            .expect("GET request")
    }

    pub async fn post_json(&self, token: &str, path: &str, body: &Value) -> Response {
        self.request(Method::POST, path, Some(token))
            .json(body)
            .send()
            .await
            .expect("POST request")
    }

    pub async fn push(&self, token: &str, records: Vec<RecordEnvelope>) -> Response {
        self.push_in(token, records, "vi").await
    }

    /// Pushes with `Accept-Language: lang`.
    pub async fn push_in(&self, token: &str, records: Vec<RecordEnvelope>, lang: &str) -> Response {
        self.request(Method::POST, "/api/sync/push", Some(token))
            .header(ACCEPT_LANGUAGE, lang)
            .json(&PushRequest { records })
            .send()
            .await
            .expect("push request")
    }

    /// Pushes, expects 200, and returns the outcome of each record in order, checking the ids.
    pub async fn push_ok(&self, token: &str, records: Vec<RecordEnvelope>) -> Vec<PushOutcome> {
        push_outcomes(&records, self.push(token, records.clone()).await).await
    }

    pub async fn pull(&self, token: &str, cursor: i64) -> PullResponse {
        self.pull_path(token, &format!("/api/sync/pull?cursor={cursor}"))
            .await
    }

    pub async fn pull_page(&self, token: &str, cursor: i64, limit: u32) -> PullResponse {
        self.pull_path(
            token,
            &format!("/api/sync/pull?cursor={cursor}&limit={limit}"),
        )
        .await
    }

    /// A pull by its full path and query (e.g. with an `epoch`); expects 200.
    pub async fn pull_path_pub(&self, token: &str, path: &str) -> PullResponse {
        self.pull_path(token, path).await
    }

    async fn pull_path(&self, token: &str, path: &str) -> PullResponse {
        let resp = self.get(token, path).await;
        assert_eq!(resp.status(), StatusCode::OK, "pull {path}");
        resp.json().await.expect("pull answer")
    }

    /// `GET /api/records` as the given user; expects 200.
    pub async fn records(&self, token: &str) -> Vec<RecordSummary> {
        let resp = self.get(token, "/api/records").await;
        assert_eq!(resp.status(), StatusCode::OK, "records list");
        resp.json().await.expect("records list")
    }

    /// `GET /api/records/{id}` as the given user; expects 200.
    pub async fn record(&self, token: &str, id: Uuid) -> RecordDetail {
        let resp = self.get(token, &format!("/api/records/{id}")).await;
        assert_eq!(resp.status(), StatusCode::OK, "record {id}");
        resp.json().await.expect("record detail")
    }

    /// `POST /api/records/{id}/review` with `action` and, if any, `comment`.
    pub async fn review(
        &self,
        token: &str,
        id: Uuid,
        action: &str,
        comment: Option<&str>,
    ) -> Response {
        self.post_json(
            token,
            &format!("/api/records/{id}/review"),
            &json!({ "action": action, "comment": comment }),
        )
        .await
    }

    /// The ids of the residential groups of a ward, in order ("Tổ dân phố số 1" first).
    pub async fn ward_groups(&self, officer_token: &str) -> Vec<i64> {
        self.me(officer_token)
            .await
            .groups
            .into_iter()
            .map(|g| g.id)
            .collect()
    }

    /// Adds an officer of the demo ward `ward` (e.g. "Xuân La", which has no demo officer), with
    /// the demo password, straight in the database.
    pub async fn add_officer(&self, username: &str, ward: &str) {
        let ward_id: i64 = sqlx::query_scalar("SELECT id FROM wards WHERE name = $1")
            .bind(ward)
            .fetch_one(&self.state.db.pool)
            .await
            .expect("the ward exists");
        sqlx::query(
            "INSERT INTO users (username, display_name, password_hash, role, ward_id, group_id, created_at) \
             VALUES ($1, $2, $3, 'officer', $4, NULL, $5)",
        )
        .bind(username)
        .bind(format!("Cán bộ {username}"))
        .bind(server::auth::hash_password(PASSWORD).unwrap())
        .bind(ward_id)
        .bind(server::now_ms())
        .execute(&self.state.db.pool)
        .await
        .expect("insert officer");
    }

    /// How many rows of `records` carry this id (straight from the database).
    pub async fn stored_count(&self, id: Uuid) -> i64 {
        sqlx::query_scalar("SELECT COUNT(*) FROM records WHERE id = $1")
            .bind(id.to_string())
            .fetch_one(&self.state.db.pool)
            .await
            .unwrap()
    }

    /// How many conflicting copies of this record are kept for a reviewer.
    pub async fn conflicts_kept(&self, id: Uuid) -> i64 {
        sqlx::query_scalar("SELECT COUNT(*) FROM record_conflicts WHERE record_id = $1")
            .bind(id.to_string())
            .fetch_one(&self.state.db.pool)
            .await
            .unwrap()
    }

    /// Sets the content hash stored for record `id` in `table` (`records` or
    /// `record_conflicts`), as an older server would have stored it.
    pub async fn set_stored_hash(&self, table: &str, id: Uuid, hash: &str) {
        let key = if table == "records" {
            "id"
        } else {
            "record_id"
        };
        sqlx::query(&format!(
            "UPDATE {table} SET content_hash = $1 WHERE {key} = $2"
        ))
        .bind(hash)
        .bind(id.to_string())
        .execute(&self.state.db.writer)
        .await
        .unwrap();
    }

    /// Fails unless the ward tallies the triggers keep (`record_tallies`, read by the province's
    /// indicators, and `record_status_counts`, by the queue's counts) are exactly the records
    /// counted afresh, row for row.
    pub async fn assert_tallies_match(&self) {
        let month = match self.state.db.backend {
            server::db::Backend::Sqlite => {
                "CAST(strftime('%Y%m', (received_at + 25200000) / 1000, 'unixepoch') AS INTEGER)"
            }
            server::db::Backend::Postgres => "record_month(received_at)",
        };
        let counted = format!(
            "SELECT ward_id, form_key, CAST({month} AS BIGINT), COALESCE(category, ''), serious, \
             status, COUNT(*) FROM records GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 1, 2, 3, 4, 5, 6"
        );
        let kept = "SELECT ward_id, form_key, CAST(month AS BIGINT), category, serious, status, n \
                    FROM record_tallies WHERE n <> 0 ORDER BY 1, 2, 3, 4, 5, 6";
        type Row = (i64, String, i64, String, i64, String, i64);
        let read = |sql: String| async move {
            sqlx::query_as::<_, Row>(&sql)
                .fetch_all(&self.state.db.pool)
                .await
                .unwrap()
        };
        let (counted, kept) = (read(counted).await, read(kept.to_owned()).await);
        assert!(!counted.is_empty(), "there are records to count");
        assert_eq!(
            kept, counted,
            "the ward tallies are the records counted afresh"
        );
        let by_state = |sql: &'static str| async move {
            sqlx::query_as::<_, (i64, String, i64)>(sql)
                .fetch_all(&self.state.db.pool)
                .await
                .unwrap()
        };
        assert_eq!(
            by_state(
                "SELECT ward_id, status, n FROM record_status_counts WHERE n <> 0 ORDER BY 1, 2"
            )
            .await,
            by_state("SELECT ward_id, status, COUNT(*) FROM records GROUP BY 1, 2 ORDER BY 1, 2")
                .await,
            "the wards' state counts are the records counted afresh"
        );
    }

    pub async fn total_records(&self) -> i64 {
        sqlx::query_scalar("SELECT COUNT(*) FROM records")
            .fetch_one(&self.state.db.pool)
            .await
            .unwrap()
    }
}

/// Reads a push answer: 200, one result per record, same ids in the same order.
pub async fn push_outcomes(records: &[RecordEnvelope], resp: Response) -> Vec<PushOutcome> {
    let status = resp.status();
    let text = resp.text().await.unwrap();
    assert_eq!(status, StatusCode::OK, "push answered {status}: {text}");
    let body: PushResponse = serde_json::from_str(&text).expect("push answer");
    let ids: Vec<Uuid> = body.results.iter().map(|r| r.id).collect();
    let sent: Vec<Uuid> = records.iter().map(|r| r.id).collect();
    assert_eq!(ids, sent, "one result per record, in push order");
    body.results.into_iter().map(|r| r.outcome).collect()
}

/// Checks an error answer: the status, the JSON body and its code; returns the body.
pub async fn expect_error(resp: Response, status: StatusCode, code: &str) -> ErrorBody {
    let got = resp.status();
    let content_type = resp
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let text = resp.text().await.unwrap();
    assert_eq!(got, status, "body: {text}");
    assert!(
        content_type.starts_with("application/json"),
        "error body must be JSON, got {content_type:?}: {text}"
    );
    let body: ErrorBody = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("not the JSON error shape ({e}): {text}"));
    assert_eq!(body.code, code, "{body:?}");
    assert!(!body.message.trim().is_empty(), "an error explains itself");
    body
}

/// The data of a complete neighborhood report.
pub fn valid_report_data() -> Map<String, Value> {
    json!({
        "category": "theft",
        "urgency": "urgent",
        "occurred_at": "2026-11-25T21:30",
        "location": "Số 12 ngõ 45 Nhật Tân",
        "description": "Mất xe máy trước cửa nhà.",
        "people_involved": 1
    })
    .as_object()
    .unwrap()
    .clone()
}

/// A valid neighborhood report about `group_id` with a fresh UUIDv7, as the phone makes it.
pub fn valid_report(group_id: i64) -> RecordEnvelope {
    RecordEnvelope {
        id: Uuid::now_v7(),
        form_key: domain::form::NEIGHBORHOOD_REPORT.into(),
        form_version: 1,
        group_id,
        created_at: "2026-11-25T21:35:00+07:00".into(),
        data: valid_report_data(),
        revision: None,
    }
}

/// The group of a group leader's token (`me.group`).
/// A valid visit to a person under management (an officer's police record, not a report)
/// about `group_id`.
pub fn valid_visit(group_id: i64) -> RecordEnvelope {
    RecordEnvelope {
        id: Uuid::now_v7(),
        form_key: domain::form::MANAGED_PERSON_VISIT.into(),
        form_version: 1,
        group_id,
        created_at: "2026-11-25T21:35:00+07:00".into(),
        data: json!({
            "visited_at": "2026-11-25T09:00",
            "person_name": "Nguyễn Văn X",
            "person_id": "001203012345",
            "category": "released_prisoner",
            "address": "Ngõ 5 Nhật Tân",
            "met_in_person": false,
            "absence_reason": "Đi làm xa",
            "risk_level": "low",
            "notes": "Gặp mẹ đối tượng.",
            "officer": "Cán bộ"
        })
        .as_object()
        .unwrap()
        .clone(),
        revision: None,
    }
}

pub async fn own_group(app: &TestApp, token: &str) -> i64 {
    app.me(token)
        .await
        .group
        .expect("a group leader has a group")
        .id
}

pub fn is_accepted(o: &PushOutcome) -> bool {
    matches!(o, PushOutcome::Accepted)
}

pub fn is_duplicate(o: &PushOutcome) -> bool {
    matches!(o, PushOutcome::Duplicate)
}

// ---- people, places, sessions and the audit trail --------------------------------------------

/// The input that edits `user` to what it is now (change what the test is about).
pub fn edit_of(user: &domain::admin::UserView) -> Value {
    json!({
        "username": user.username,
        "display_name": user.display_name,
        "role": user.role,
        "ward_id": user.ward.as_ref().map(|w| w.id),
        "group_id": user.group.as_ref().map(|g| g.id),
        "groups": user.groups.iter().map(|g| g.id).collect::<Vec<_>>(),
        "active": user.active
    })
}

/// Like [`spawn_app`], with the test configuration changed by `configure` first (e.g. a session
/// length of 0 hours). [`TestApp::restart`] goes back to the plain test configuration.
pub async fn spawn_app_with_config(configure: impl FnOnce(&mut server::Config)) -> TestApp {
    let (database_url, dir) = match std::env::var(POSTGRES_ENV) {
        Ok(admin) if !admin.trim().is_empty() => {
            (fresh_postgres_database(admin.trim()).await, None)
        }
        _ => {
            let dir = tempfile::tempdir().expect("create a temporary directory");
            let url = format!("sqlite://{}", dir.path().join("wardbook.db").display());
            (url, Some(dir))
        }
    };
    let mut config = server::Config::for_tests(&database_url);
    let photo_store = s3_store();
    if let Some(store) = &photo_store {
        config.photo_store = store.clone();
    }
    configure(&mut config);
    let app = server::Application::build(config)
        .await
        .expect("the application builds");
    let address = format!("http://{}", app.local_addr());
    let state = app.state.clone();
    // Sign-in delays are stepped through with `skip_ahead`, never waited out: a wait of one
    // second must not run out while a loaded machine is still answering the attempts before it.
    state.throttle.freeze();
    let server = tokio::spawn(app.run_until_stopped());
    if state.db.backend == server::db::Backend::Postgres {
        wait_for_session_following(&state).await;
    }
    TestApp {
        address,
        client: Client::new(),
        state,
        database_url,
        server: Some(server),
        dir,
        photo_dir: None,
        photo_store,
    }
}

impl TestApp {
    /// A request with any method and, when given, a JSON body.
    pub async fn send(
        &self,
        method: Method,
        token: Option<&str>,
        path: &str,
        body: Option<&Value>,
    ) -> Response {
        let req = self.request(method.clone(), path, token);
        let req = match body {
            Some(b) => req.json(b),
            None => req,
        };
        req.send()
            .await
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"))
    }

    /// Creates a user through `POST /api/admin/users` as `admin`; expects 201.
    pub async fn create_user(&self, admin: &str, input: &Value) -> domain::admin::UserView {
        let resp = self
            .send(Method::POST, Some(admin), "/api/admin/users", Some(input))
            .await;
        let status = resp.status();
        let text = resp.text().await.unwrap();
        assert_eq!(status, StatusCode::CREATED, "create user {input}: {text}");
        serde_json::from_str(&text).expect("a user")
    }

    /// `GET /api/admin/wards` as `admin`: every ward with its groups.
    pub async fn admin_wards(&self, admin: &str) -> Vec<domain::admin::WardView> {
        let resp = self.get(admin, "/api/admin/wards").await;
        assert_eq!(resp.status(), StatusCode::OK, "wards");
        resp.json().await.expect("wards")
    }

    /// The demo ward named `name`, as an administrator sees it.
    pub async fn ward_named(&self, admin: &str, name: &str) -> domain::admin::WardView {
        self.admin_wards(admin)
            .await
            .into_iter()
            .find(|w| w.name == name)
            .unwrap_or_else(|| panic!("no ward {name}"))
    }

    /// `GET /api/audit?{query}` as `token`; expects 200.
    pub async fn audit(&self, token: &str, query: &str) -> Vec<domain::admin::AuditEntry> {
        let resp = self.get(token, &format!("/api/audit?{query}")).await;
        let status = resp.status();
        let text = resp.text().await.unwrap();
        assert_eq!(status, StatusCode::OK, "audit ?{query}: {text}");
        serde_json::from_str(&text).expect("audit entries")
    }
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn the_test_database_replaces_the_admin_database_in_the_url() {
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:5432/postgres", "wbt_1"),
            "postgres://postgres@127.0.0.1:5432/wbt_1"
        );
        assert_eq!(
            with_database("postgres://u:p@h/db?sslmode=disable", "wbt_2"),
            "postgres://u:p@h/wbt_2?sslmode=disable"
        );
        assert_eq!(
            with_database("postgres://h:1", "wbt_3"),
            "postgres://h:1/wbt_3"
        );
    }
}
