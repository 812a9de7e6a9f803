//! All HTTP routes, merged in one place; grouped by who calls them.

use axum::extract::DefaultBodyLimit;
use axum::routing::get;
use axum::Router;

use crate::AppState;

/// People and places (administrators).
pub mod admin;
/// The audit trail (supervisors for their ward, administrators).
pub mod audit;
/// Sign-in and the caller's identity (everyone).
pub mod auth;
/// Exports of records as files (supervisors, provincial staff).
pub mod exports;
/// Form definitions: publishing (administrators), listing and reading versions.
pub mod forms;
/// A ward's "model ward" indicators (its staff, provincial staff).
pub mod indicators;
/// Photos: resumable upload (phones) and download (whoever may see the record).
pub mod photos;
/// Records for supervisors and their readers (ward staff).
pub mod records;
/// A user's own signed-in devices (everyone).
pub mod sessions;
/// Push and pull between phone and server (phones).
pub mod sync;

pub fn router(state: AppState) -> Router {
    let api = Router::new()
        .route("/health", get(health))
        .route("/openapi.json", get(openapi_json))
        .merge(auth::router())
        .merge(sync::router())
        .merge(records::router())
        .merge(forms::router())
        .merge(indicators::router())
        .merge(photos::router())
        .merge(admin::router())
        .merge(sessions::router())
        .merge(audit::router())
        .merge(exports::router())
        .fallback(|| async { crate::error::AppError::NotFound })
        .method_not_allowed_fallback(|| async { crate::error::AppError::MethodNotAllowed })
        .layer(DefaultBodyLimit::max(state.config.max_body_bytes));
    let router = Router::new()
        .nest("/api", api)
        .merge(crate::web::static_files(&state.config.static_dir))
        .layer(axum::middleware::from_fn(crate::error::language_scope))
        .with_state(state.clone());
    crate::web::wrap(router, &state.config)
}

/// This description of the API (OpenAPI 3.1), generated from the handlers' annotations.
#[utoipa::path(get, path = "/api/openapi.json", tag = "health", summary = "This description of the API", security(), responses((status = 200, description = "This description (OpenAPI 3.1)", body = serde_json::Value)))]
pub(crate) async fn openapi_json() -> impl axum::response::IntoResponse {
    // Built once: it never changes while the server runs.
    static SPEC: std::sync::LazyLock<axum::body::Bytes> = std::sync::LazyLock::new(|| {
        serde_json::to_vec(&crate::openapi::spec())
            .expect("the description serializes")
            .into()
    });
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        SPEC.clone(),
    )
}

#[utoipa::path(get, path = "/api/health", tag = "health", summary = "Is the server and its database up", security(), responses((status = 200, description = "The server and its database answer: `status` and `version`", body = serde_json::Value)))]
pub(crate) async fn health(
    axum::extract::State(state): axum::extract::State<AppState>,
) -> crate::error::AppResult<axum::Json<serde_json::Value>> {
    sqlx::query("SELECT 1").execute(&state.db.pool).await?;
    Ok(axum::Json(
        serde_json::json!({ "status": "ok", "version": env!("CARGO_PKG_VERSION") }),
    ))
}
