//! The built app as the server serves it: caching that lets a new build reach phones, and no
//! HTML where a script was asked for.

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use tower::ServiceExt;

use crate::helpers::spawn_app;

async fn get(router: &axum::Router, path: &str) -> (StatusCode, String, String) {
    let res = router
        .clone()
        .oneshot(Request::get(path).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let cache = res
        .headers()
        .get(header::CACHE_CONTROL)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let status = res.status();
    let body = http_body_util::BodyExt::collect(res.into_body())
        .await
        .unwrap()
        .to_bytes();
    (status, cache, String::from_utf8_lossy(&body).into_owned())
}

#[tokio::test]
async fn hashed_assets_are_immutable_both_apps_pages_are_revalidated_desk_routes_get_the_desk_and_a_missing_asset_is_a_404(
) {
    let app = spawn_app().await;
    let dist = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dist.path().join("assets")).unwrap();
    std::fs::write(
        dist.path().join("index.html"),
        "<!doctype html><title>shell</title>",
    )
    .unwrap();
    std::fs::write(
        dist.path().join("desk.html"),
        "<!doctype html><title>desk</title>",
    )
    .unwrap();
    std::fs::write(dist.path().join("sw.js"), "// worker").unwrap();
    std::fs::write(dist.path().join("assets/app-abc.js"), "export default 1;").unwrap();
    let mut config = (*app.state.config).clone();
    config.static_dir = dist.path().to_path_buf();
    let state = server::AppState {
        db: app.state.db.clone(),
        photos: app.state.photos.clone(),
        config: std::sync::Arc::new(config),
        throttle: app.state.throttle.clone(),
        pushes: app.state.pushes.clone(),
    };
    let router = server::routes::router(state);

    let (status, cache, body) = get(&router, "/assets/app-abc.js").await;
    assert_eq!(
        (status, cache.as_str(), body.as_str()),
        (
            StatusCode::OK,
            "public, max-age=31536000, immutable",
            "export default 1;"
        )
    );

    for path in ["/", "/sw.js", "/report/0193"] {
        let (status, cache, _) = get(&router, path).await;
        assert_eq!(
            (status, cache.as_str()),
            (StatusCode::OK, "no-cache"),
            "{path}"
        );
    }
    let (_, _, body) = get(&router, "/report/some-record").await;
    assert!(
        body.contains("<title>shell</title>"),
        "phone routes get the phone app's page: {body}"
    );
    for path in ["/desk", "/desk/records", "/desk/records/0193-abc"] {
        let (status, cache, body) = get(&router, path).await;
        assert_eq!(
            (status, cache.as_str()),
            (StatusCode::OK, "no-cache"),
            "{path}"
        );
        assert!(
            body.contains("<title>desk</title>"),
            "desk routes get the desk's page: {path} {body}"
        );
    }
    // Only `/desk` and below: a phone route that merely starts with the letters is the phone's.
    let (_, _, body) = get(&router, "/desktop").await;
    assert!(body.contains("<title>shell</title>"), "{body}");

    let (status, cache, body) = get(&router, "/assets/app-old.js").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(cache, "no-cache");
    assert!(!body.contains("<title>shell</title>"));
}
