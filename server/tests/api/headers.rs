//! The security headers every response carries, whatever answered it: an API handler, an error,
//! a static file or the app shell. HSTS only when the server is reached over HTTPS.

use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use tower::ServiceExt;

use crate::helpers::{spawn_app, TestApp};

/// A router over `app`'s database with a small built app and the given public address.
fn router(app: &TestApp, dist: &std::path::Path, public_url: Option<&str>) -> axum::Router {
    let mut config = (*app.state.config).clone();
    config.static_dir = dist.to_path_buf();
    config.public_url = public_url.map(str::to_owned);
    server::routes::router(server::AppState {
        db: app.state.db.clone(),
        photos: app.state.photos.clone(),
        config: std::sync::Arc::new(config),
        throttle: app.state.throttle.clone(),
        pushes: app.state.pushes.clone(),
    })
}

fn built_app() -> tempfile::TempDir {
    let dist = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dist.path().join("assets")).unwrap();
    std::fs::write(
        dist.path().join("index.html"),
        "<!doctype html><title>shell</title>",
    )
    .unwrap();
    std::fs::write(dist.path().join("assets/app-abc.js"), "export default 1;").unwrap();
    dist
}

/// Every kind of answer: (what it is, method, path, status).
const ANSWERS: &[(&str, &str, &str, StatusCode)] = &[
    ("API JSON", "GET", "/api/health", StatusCode::OK),
    (
        "API error: no sign-in",
        "GET",
        "/api/me",
        StatusCode::UNAUTHORIZED,
    ),
    (
        "API error: unknown",
        "GET",
        "/api/nothing-here",
        StatusCode::NOT_FOUND,
    ),
    (
        "API error: method",
        "DELETE",
        "/api/health",
        StatusCode::METHOD_NOT_ALLOWED,
    ),
    ("hashed asset", "GET", "/assets/app-abc.js", StatusCode::OK),
    (
        "missing asset",
        "GET",
        "/assets/app-old.js",
        StatusCode::NOT_FOUND,
    ),
    ("index.html", "GET", "/", StatusCode::OK),
    (
        "app route (the shell)",
        "GET",
        "/report/0193",
        StatusCode::OK,
    ),
];

async fn headers(router: &axum::Router, method: &str, path: &str) -> (StatusCode, HeaderMap) {
    let res = router
        .clone()
        .oneshot(
            Request::builder()
                .method(Method::from_bytes(method.as_bytes()).unwrap())
                .uri(path)
                .header("accept-encoding", "br, gzip")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    (res.status(), res.headers().clone())
}

fn assert_security_headers(h: &HeaderMap, what: &str) {
    let get = |name: &str| {
        h.get(name)
            .unwrap_or_else(|| panic!("{what}: no {name} in {h:?}"))
            .to_str()
            .unwrap()
            .to_owned()
    };
    let csp = get("content-security-policy");
    let directives: Vec<&str> = csp.split(';').map(str::trim).collect();
    let directive = |name: &str| {
        directives
            .iter()
            .find(|d| d.split_whitespace().next() == Some(name))
            .unwrap_or_else(|| panic!("{what}: no {name} in {csp}"))
            .to_string()
    };
    assert_eq!(
        directive("script-src"),
        "script-src 'self' 'wasm-unsafe-eval'",
        "{what}"
    );
    assert!(!csp.contains("'unsafe-eval'"), "{what}: {csp}");
    assert!(!csp.contains("'unsafe-inline'"), "{what}: {csp}");
    assert_eq!(directive("img-src"), "img-src 'self' blob:", "{what}");
    assert_eq!(directive("connect-src"), "connect-src 'self'", "{what}");
    assert_eq!(
        directive("frame-ancestors"),
        "frame-ancestors 'none'",
        "{what}"
    );
    assert_eq!(directive("default-src"), "default-src 'self'", "{what}");
    assert_eq!(get("x-content-type-options"), "nosniff", "{what}");
    assert_eq!(get("referrer-policy"), "no-referrer", "{what}");
    assert_eq!(get("x-frame-options"), "DENY", "{what}");
}

#[tokio::test]
async fn every_kind_of_answer_carries_the_security_headers_and_no_hsts_over_plain_http() {
    let app = spawn_app().await;
    assert_eq!(app.state.config.public_url, None);
    let dist = built_app();
    for public_url in [None, Some("http://wardbook.example"), Some("")] {
        let router = router(&app, dist.path(), public_url);
        for &(what, method, path, status) in ANSWERS {
            let (got, h) = headers(&router, method, path).await;
            let what = format!("{what} ({method} {path}, public url {public_url:?})");
            assert_eq!(got, status, "{what}");
            assert_security_headers(&h, &what);
            assert!(
                !h.contains_key("strict-transport-security"),
                "{what}: HSTS over plain HTTP"
            );
        }
    }
}

#[tokio::test]
async fn behind_a_tls_proxy_every_answer_carries_hsts() {
    let app = spawn_app().await;
    let dist = built_app();
    for public_url in [
        "https://wardbook.cand.gov.vn",
        "HTTPS://wardbook.cand.gov.vn/",
    ] {
        let router = router(&app, dist.path(), Some(public_url));
        for &(what, method, path, status) in ANSWERS {
            let (got, h) = headers(&router, method, path).await;
            let what = format!("{what} ({method} {path}, public url {public_url})");
            assert_eq!(got, status, "{what}");
            assert_security_headers(&h, &what);
            assert_eq!(
                h.get("strict-transport-security")
                    .map(|v| v.to_str().unwrap()),
                Some("max-age=31536000; includeSubDomains"),
                "{what}"
            );
        }
    }
}

#[tokio::test]
async fn a_real_listener_sends_the_same_headers() {
    let app = spawn_app().await;
    for (path, status) in [
        ("/api/health", StatusCode::OK),
        ("/api/me", StatusCode::UNAUTHORIZED),
    ] {
        let resp = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(resp.status(), status, "{path}");
        assert_security_headers(resp.headers(), path);
        assert!(!resp.headers().contains_key("strict-transport-security"));
    }
}

#[test]
fn only_an_https_public_url_means_tls() {
    use clap::Parser;
    #[derive(clap::Parser)]
    struct Cli {
        #[command(flatten)]
        config: server::Config,
    }
    let cli =
        Cli::try_parse_from(["wardbook", "--public-url", "https://wardbook.cand.gov.vn"]).unwrap();
    assert_eq!(
        cli.config.public_url.as_deref(),
        Some("https://wardbook.cand.gov.vn")
    );
    assert!(cli.config.served_over_tls());
    let cli = Cli::try_parse_from(["wardbook", "--public-url", "http://10.0.0.5:8080"]).unwrap();
    assert!(!cli.config.served_over_tls());
    assert!(!server::Config::for_tests("sqlite::memory:").served_over_tls());
}
