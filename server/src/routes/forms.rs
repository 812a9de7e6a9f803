//! Form definitions: `POST /api/forms` (administrators publish a definition file),
//! `GET /api/forms` (administrators, supervisors and officers list forms and versions) and
//! `GET /api/forms/{key}/{version}` (anyone signed in reads one stored version).
//! The work is done in [`crate::forms`], which the `wardbook form` commands share.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use domain::api::Role;

use crate::auth::Caller;
use crate::error::{AppError, AppPath, AppResult};
use crate::forms::{FormVersions, Published};
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/forms", get(list).post(publish))
        .route("/forms/{key}/{version}", get(definition))
}

/// Whether the body is declared as JSON (`application/json` or `application/…+json`).
fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|m| m.trim().to_ascii_lowercase())
        .is_some_and(|m| {
            m == "application/json" || (m.starts_with("application/") && m.ends_with("+json"))
        })
}

/// The body is the definition file itself, read as text so that [`domain::form::FormDef::parse`]
/// reports exactly what is wrong and where (serde's own messages would not).
#[utoipa::path(post, path = "/api/forms", tag = "forms", summary = "Publish a new version of a form", request_body(content = domain::form::FormDef, content_type = "application/json",
    description = "The definition file, read strictly (unknown types or properties, duplicate keys, conditions that do not parse, name missing fields or go round in a circle are refused). Its `version`, if any, is ignored: the server gives the latest version of the key plus one, or 1 for a new key."),
    responses(
    (status = 201, description = "Stored as a new version", body = crate::forms::Published),
    (status = 200, description = "Same content as the latest version: nothing stored, `unchanged` is true", body = crate::forms::Published),
    (status = 403, description = "Only administrators publish forms", body = domain::api::ErrorBody),
    (status = 415, description = "The body must be `application/json`", body = domain::api::ErrorBody),
    (status = 422, description = "`invalid_form`: the message says where and what, in the caller's language; `fields` holds one entry whose `field` is the path in the definition (empty for the form itself)", body = domain::api::ErrorBody),
))]
pub(crate) async fn publish(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> AppResult<(StatusCode, Json<Published>)> {
    if caller.role != Role::Admin {
        return Err(AppError::Forbidden);
    }
    if !is_json(&headers) {
        return Err(AppError::UnsupportedMediaType);
    }
    let body = body?;
    let published = crate::forms::publish(&state.db, &body, Some(caller.user_id), "api").await?;
    let status = if published.unchanged {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(published)))
}

#[utoipa::path(get, path = "/api/forms", tag = "forms", summary = "Every form with all its versions", responses(
    (status = 200, description = "Every form by key, with every version newest first", body = Vec<crate::forms::FormVersions>),
    (status = 403, description = "Group leaders (their phones get forms by pull)", body = domain::api::ErrorBody),
))]
pub(crate) async fn list(
    State(state): State<AppState>,
    caller: Caller,
) -> AppResult<Json<Vec<FormVersions>>> {
    // Officers read the list for the review queue's form filter.
    if !matches!(
        caller.role,
        Role::Admin | Role::Provincial | Role::Supervisor | Role::Officer
    ) {
        return Err(AppError::Forbidden);
    }
    Ok(Json(crate::forms::list(&state.db).await?))
}

#[utoipa::path(get, path = "/api/forms/{key}/{version}", tag = "forms", summary = "One published version of a form", params(("key" = String, Path), ("version" = u32, Path)), responses(
    (status = 200, description = "The stored definition of that version; published versions never change", body = domain::form::FormDef),
    (status = 404, description = "No such form or version", body = domain::api::ErrorBody),
))]
pub(crate) async fn definition(
    State(state): State<AppState>,
    _caller: Caller,
    AppPath((key, version)): AppPath<(String, u32)>,
) -> AppResult<Response> {
    let text = crate::forms::definition(&state.db, &key, version)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(([(header::CONTENT_TYPE, "application/json")], text).into_response())
}
