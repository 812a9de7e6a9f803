use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use domain::api::{ErrorBody, LoginResponse, Me};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tower::ServiceExt;

use crate::helpers::{fresh_postgres_url, spawn_app, PASSWORD};

#[tokio::test]
async fn health_answers_ok_with_the_server_version() {
    let app = spawn_app().await;
    let resp = app.client.get(app.url("/api/health")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["status"], "ok");
    assert_eq!(body["version"], env!("CARGO_PKG_VERSION"));
}

#[tokio::test]
async fn api_answers_are_never_cached_and_carry_the_security_headers() {
    let app = spawn_app().await;
    let resp = app.client.get(app.url("/api/health")).send().await.unwrap();
    let h = resp.headers();
    assert_eq!(h["cache-control"], "no-store");
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["x-frame-options"], "DENY");
    let csp = h["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("'wasm-unsafe-eval'"), "{csp}");
    assert!(!csp.contains("'unsafe-eval'"), "{csp}");
}

async fn body_json<T: serde::de::DeserializeOwned>(resp: axum::response::Response) -> T {
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    serde_json::from_slice(&bytes)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&bytes)))
}

/// The router alone, without a listener: what a load balancer's health check and a signed-in
/// phone get, straight through `tower::ServiceExt::oneshot`.
#[tokio::test]
async fn the_router_answers_in_process_without_a_listener() {
    let app = spawn_app().await;

    let resp = app
        .router()
        .oneshot(Request::get("/api/health").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let health: Value = body_json(resp).await;
    assert_eq!(health["status"], "ok");

    let login = Request::post("/api/auth/login")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(
            json!({ "username": "canbo", "password": PASSWORD }).to_string(),
        ))
        .unwrap();
    let resp = app.router().oneshot(login).await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let login: LoginResponse = body_json(resp).await;

    let me = Request::get("/api/me")
        .header(header::AUTHORIZATION, format!("Bearer {}", login.token))
        .body(Body::empty())
        .unwrap();
    let resp = app.router().oneshot(me).await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let me: Me = body_json(resp).await;
    assert_eq!(me.username, "canbo");

    // The same router refuses the caller whose token it does not know.
    let stranger = Request::get("/api/me")
        .header(header::AUTHORIZATION, "Bearer not-a-token")
        .header(header::ACCEPT_LANGUAGE, "en")
        .body(Body::empty())
        .unwrap();
    let resp = app.router().oneshot(stranger).await.unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    let err: ErrorBody = body_json(resp).await;
    assert_eq!(err.code, "unauthenticated");
    assert_eq!(err.message, "Please sign in.");
}

#[test]
fn every_route_in_the_source_is_in_the_openapi_description_with_its_method() {
    let source = crate::access::routes_in_source();
    let spec = server::openapi::spec();
    let paths = spec["paths"].as_object().expect("paths");
    let mut missing = Vec::new();
    for (method, path) in &source {
        let described = paths
            .get(path)
            .and_then(|p| p.get(method.to_lowercase()))
            .is_some();
        if !described {
            missing.push(format!("{method} {path}"));
        }
    }
    assert!(missing.is_empty(), "not in /api/openapi.json: {missing:#?}");
    // And nothing is described that the router does not serve.
    let mut stale = Vec::new();
    for (path, ops) in paths {
        for method in ops.as_object().unwrap().keys() {
            if !source.contains(&(method.to_uppercase(), path.clone())) {
                stale.push(format!("{method} {path}"));
            }
        }
    }
    assert!(stale.is_empty(), "described but not routed: {stale:#?}");
}

#[tokio::test]
async fn on_postgresql_instances_started_at_once_on_a_new_database_all_migrate_it_and_leave_every_index_valid(
) {
    let Some(url) = fresh_postgres_url().await else {
        // On SQLite one server owns the database file.
        return;
    };
    let mut dbs = Vec::new();
    for _ in 0..3 {
        dbs.push(server::db::Db::connect(&url).await.unwrap());
    }
    // Each builds its indexes without blocking writes (CREATE INDEX CONCURRENTLY), which waits
    // for every older snapshot: one waiting for the others inside a query would hold one.
    let migrated = tokio::time::timeout(
        std::time::Duration::from_secs(120),
        futures_util::future::join_all(dbs.iter().map(|db| db.migrate())),
    )
    .await
    .expect("all migrated within two minutes (with sqlx's own lock they waited on each other)");
    for (i, m) in migrated.into_iter().enumerate() {
        m.unwrap_or_else(|e| panic!("instance {i}: {e:#}"));
    }
    let invalid: Vec<String> = sqlx::query_scalar(
        "SELECT CAST(c.relname AS TEXT) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid \
         WHERE NOT i.indisvalid",
    )
    .fetch_all(&dbs[0].pool)
    .await
    .unwrap();
    assert_eq!(invalid, Vec::<String>::new());
    let breaking: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM pg_indexes WHERE indexname IN ('records_search', 'records_breaking')",
    )
    .fetch_one(&dbs[0].pool)
    .await
    .unwrap();
    assert_eq!(breaking, 2);
    for db in dbs {
        db.close().await;
    }
}

#[tokio::test]
async fn on_postgresql_connections_the_database_dropped_are_replaced_without_failing_a_request() {
    let app = spawn_app().await;
    if app.state.db.backend != server::db::Backend::Postgres {
        // A SQLite connection is a file handle; nothing can drop it.
        return;
    }
    let boss = app.login("truongcong").await;
    let queue = || async {
        let resp = app
            .get(&boss, "/api/records?status=received&limit=50")
            .await;
        resp.status()
    };
    // Several connections open and in the pool.
    let warm = futures_util::future::join_all((0..8).map(|_| queue())).await;
    assert!(warm.iter().all(|s| *s == StatusCode::OK), "{warm:?}");

    // The database ends every session of the app (as a restart or a failover would).
    let (mut admin, name) = app.postgres_admin().await;
    let ended = crate::helpers::end_sessions(&mut admin, &name).await;
    assert!(!ended.is_empty() && ended.iter().all(|e| *e), "{ended:?}");

    // A connection idle this long is tested before it is used (the rule's own time, not a
    // stand-in for a condition): each dead one is found, closed and replaced.
    tokio::time::sleep(server::db::UNTESTED_IDLE + std::time::Duration::from_millis(200)).await;
    for round in 0..3 {
        let answers = futures_util::future::join_all((0..8).map(|_| queue())).await;
        assert!(
            answers.iter().all(|s| *s == StatusCode::OK),
            "round {round}: {answers:?}"
        );
    }
    assert_eq!(app.me(&boss).await.username, "truongcong");
}
