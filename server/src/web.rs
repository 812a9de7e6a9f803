//! The built app as static files, with the caching the service worker relies on, compression,
//! and the security headers every response carries.

use std::path::Path;

use axum::extract::Request;
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use axum::Router;
use tower_http::compression::predicate::{DefaultPredicate, NotForContentType, Predicate};
use tower_http::compression::CompressionLayer;
use tower_http::services::{ServeDir, ServeFile};
use tower_http::set_header::SetResponseHeaderLayer;

use crate::{AppState, Config};

/// The app needs WebAssembly compilation ('wasm-unsafe-eval'), never general `eval`, and nothing
/// inline; photos are shown from object URLs (`blob:`); it talks only to its own server.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; \
     style-src 'self'; img-src 'self' blob:; connect-src 'self'; worker-src 'self'; \
     manifest-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Serves `dir`; unknown paths get the phone app's `index.html` and `/desk/...` the desk's
/// `desk.html`, so each app's own routes survive a reload. A missing hashed asset is a plain
/// 404, never a page (which would then be cached for a year under the asset's name).
pub fn static_files(dir: &Path) -> Router<AppState> {
    let index = ServeFile::new(dir.join("index.html"));
    let desk = ServeFile::new(dir.join("desk.html"));
    let assets = ServeDir::new(dir.join("assets"))
        .precompressed_br()
        .precompressed_gzip();
    let files = ServeDir::new(dir)
        .precompressed_br()
        .precompressed_gzip()
        .fallback(index);
    Router::new()
        .nest_service("/assets", assets)
        .route_service("/desk", desk.clone())
        .route_service("/desk/{*page}", desk)
        .fallback_service(files)
        .layer(axum::middleware::from_fn(cache_control))
}

/// Hashed assets never change, so they are cached for a year; everything else (index.html,
/// sw.js, the manifest) is revalidated so a new build reaches phones at their next start.
async fn cache_control(req: Request, next: Next) -> Response {
    let immutable = req.uri().path().starts_with("/assets/");
    let mut res = next.run(req).await;
    let value = if immutable && res.status().is_success() {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static(value));
    res
}

/// API answers are personal and must never be cached by the browser or a proxy, unless the
/// handler said otherwise (a photo is private but its bytes never change).
async fn api_no_store(req: Request, next: Next) -> Response {
    let api = req.uri().path().starts_with("/api/");
    let mut res = next.run(req).await;
    if api && !res.headers().contains_key(header::CACHE_CONTROL) {
        res.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}

/// HSTS for a year, sent only when users reach the server over HTTPS (see
/// [`Config::served_over_tls`]): over plain HTTP browsers ignore it.
pub const STRICT_TRANSPORT_SECURITY: &str = "max-age=31536000; includeSubDomains";

/// Compression and security headers around the whole router.
pub fn wrap(router: Router, config: &Config) -> Router {
    let hdr = |name: &'static str, value: &'static str| {
        SetResponseHeaderLayer::if_not_present(
            header::HeaderName::from_static(name),
            HeaderValue::from_static(value),
        )
    };
    let router = router
        .layer(axum::middleware::from_fn(api_no_store))
        // Workbooks and zips are compressed already (gzip would save under 1% of them).
        .layer(
            CompressionLayer::new().br(true).gzip(true).compress_when(
                DefaultPredicate::new()
                    .and(NotForContentType::const_new("application/zip"))
                    .and(NotForContentType::const_new(
                        "application/vnd.openxmlformats-officedocument",
                    )),
            ),
        )
        .layer(hdr("content-security-policy", CONTENT_SECURITY_POLICY))
        .layer(hdr("x-content-type-options", "nosniff"))
        .layer(hdr("referrer-policy", "no-referrer"))
        .layer(hdr("x-frame-options", "DENY"))
        .layer(hdr(
            "permissions-policy",
            "camera=(self), geolocation=(self), microphone=()",
        ));
    let router = if config.served_over_tls() {
        router.layer(hdr("strict-transport-security", STRICT_TRANSPORT_SECURITY))
    } else {
        router
    };
    router.layer(tower_http::trace::TraceLayer::new_for_http())
}
