//! Photos, by SHA-256: `GET /api/photos/{sha}/upload` (how much the server holds),
//! `PUT /api/photos/{sha}` (one chunk, resumable), `GET /api/photos/{sha}` (the image, only for
//! people who may see a record that shows it, or who took it).

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use domain::api::{Role, UploadState};
use domain::form::MAX_PHOTO_BYTES;
use domain::sync::{ChunkHeaderError, ChunkHeaders};
use domain::value::is_sha256;

use crate::auth::Caller;
use crate::error::{AppError, AppPath, AppResult};
use crate::photos::{self, Progress, UploadError};
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/photos/{sha}", get(download).put(upload))
        .route("/photos/{sha}/upload", get(upload_status))
}

fn checked_sha(sha: String) -> AppResult<String> {
    if is_sha256(&sha) {
        Ok(sha)
    } else {
        Err(AppError::NotFound)
    }
}

fn may_upload(caller: &Caller) -> AppResult<()> {
    match caller.role {
        Role::Admin | Role::Provincial => Err(AppError::Forbidden),
        _ => Ok(()),
    }
}

/// How many bytes of a photo the server holds.
#[utoipa::path(get, path = "/api/photos/{sha}/upload", tag = "photos", summary = "How much of a photo the server holds",
    params(("sha" = String, Path, pattern = "^[0-9a-f]{64}$", description = "SHA-256 of the photo, lowercase hex")),
    responses(
        (status = 200, body = UploadState),
        (status = 403, description = "Administrators and provincial staff take no photos", body = domain::api::ErrorBody),
        (status = 404, description = "Not a SHA-256 name", body = domain::api::ErrorBody),
    ))]
pub async fn upload_status(
    State(state): State<AppState>,
    caller: Caller,
    AppPath(sha): AppPath<String>,
) -> AppResult<Json<UploadState>> {
    may_upload(&caller)?;
    let sha = checked_sha(sha)?;
    let (complete, received) = photos::status(&state.db, &sha, caller.user_id)
        .await
        .map_err(anyhow::Error::from)?;
    Ok(Json(UploadState { complete, received }))
}

/// Takes one chunk of a photo. Headers: `Content-Type` (image/jpeg or image/webp),
/// `Upload-Length` (the photo's size) and `Upload-Offset` (where this chunk starts).
#[utoipa::path(put, path = "/api/photos/{sha}", tag = "photos", summary = "Upload a photo, a chunk at a time (resumable)",
    params(
        ("sha" = String, Path, pattern = "^[0-9a-f]{64}$", description = "SHA-256 of the photo, lowercase hex"),
        ("Upload-Length" = u64, Header, minimum = 1, maximum = 4194304, description = "The whole photo's size in bytes (at most 4 MiB)"),
        ("Upload-Offset" = u64, Header, description = "Where this chunk starts in the photo"),
    ),
    request_body(content((inline(crate::openapi::Binary) = "image/jpeg"), (inline(crate::openapi::Binary) = "image/webp")), description = "The chunk's bytes"),
    responses(
        (status = 200, description = "The chunk is kept; `complete` once the whole photo arrived and matched its name", body = UploadState),
        (status = 400, description = "A header missing or not a number, or a chunk that does not fit the upload (size, type or range)", body = domain::api::ErrorBody),
        (status = 403, description = "Administrators and provincial staff take no photos", body = domain::api::ErrorBody),
        (status = 404, description = "Not a SHA-256 name", body = domain::api::ErrorBody),
        (status = 409, description = "The chunk does not start where the upload stands: resume from the Upload-Offset header", body = domain::api::ErrorBody),
        (status = 413, description = "The photo is over the size the server keeps", body = domain::api::ErrorBody),
        (status = 415, description = "Not JPEG or WebP", body = domain::api::ErrorBody),
        (status = 422, description = "All of the photo arrived but it does not match its name or its type; it is sent again", body = domain::api::ErrorBody),
    ))]
pub async fn upload(
    State(state): State<AppState>,
    caller: Caller,
    AppPath(sha): AppPath<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, AppError> {
    may_upload(&caller)?;
    let sha = checked_sha(sha)?;
    let parsed = ChunkHeaders::parse(
        headers.get(header::CONTENT_TYPE).map(|v| v.as_bytes()),
        headers.get("upload-length").map(|v| v.as_bytes()),
        headers.get("upload-offset").map(|v| v.as_bytes()),
    )
    .map_err(|e| match e {
        ChunkHeaderError::Type => AppError::PhotoType,
        ChunkHeaderError::Invalid(name) => {
            AppError::BadRequest(format!("missing or invalid {name} header"))
        }
        ChunkHeaderError::Empty => AppError::BadRequest("Upload-Length must be more than 0".into()),
        ChunkHeaderError::TooLarge => AppError::PhotoTooLarge {
            max_mb: MAX_PHOTO_BYTES / (1024 * 1024),
        },
    });
    // A photo of a type not kept is refused before its bytes are read.
    if let Err(AppError::PhotoType) = parsed {
        return Err(AppError::PhotoType);
    }
    let body = body?;
    let ChunkHeaders {
        content_type,
        total,
        offset,
    } = parsed?;
    let chunk = photos::Chunk {
        sha: &sha,
        content_type,
        total,
        offset,
        bytes: body,
    };
    let progress = photos::receive_chunk(&state.db, &state.photos, caller.user_id, chunk).await;
    let answer = |complete: bool, received: u64| {
        let mut r = Json(UploadState { complete, received }).into_response();
        r.headers_mut()
            .insert("upload-offset", HeaderValue::from(received));
        r
    };
    match progress {
        Ok(Progress::Complete) => {
            let (_, stored) = photos::status(&state.db, &sha, caller.user_id)
                .await
                .map_err(anyhow::Error::from)?;
            Ok(answer(true, stored))
        }
        Ok(Progress::Partial { received }) => Ok(answer(false, received)),
        Err(UploadError::WrongOffset { received }) => {
            let mut r = AppError::UploadOffset { received }.into_response();
            r.headers_mut()
                .insert("upload-offset", HeaderValue::from(received));
            Ok(r)
        }
        Err(UploadError::Mismatch) => Err(AppError::BadRequest(
            "the chunk does not fit the upload (size, type or range)".into(),
        )),
        Err(UploadError::Damaged) => Err(AppError::PhotoDamaged),
        Err(UploadError::Internal(e)) => Err(AppError::Internal(e)),
    }
}

/// The photo, for its uploader and for whoever may see a record that shows it.
#[utoipa::path(get, path = "/api/photos/{sha}", tag = "photos", summary = "Download a photo",
    params(("sha" = String, Path, pattern = "^[0-9a-f]{64}$", description = "SHA-256 of the photo, lowercase hex")),
    responses(
        (status = 200, description = "The photo as it was taken", content((inline(crate::openapi::Binary) = "image/jpeg"), (inline(crate::openapi::Binary) = "image/webp"))),
        (status = 404, description = "No such photo, or not the caller's to see", body = domain::api::ErrorBody),
    ))]
pub async fn download(
    State(state): State<AppState>,
    caller: Caller,
    AppPath(sha): AppPath<String>,
) -> AppResult<Response> {
    let sha = checked_sha(sha)?;
    // The caller sent these bytes, or may see a record whose author sent them.
    let own: Option<String> = sqlx::query_scalar(
        "SELECT p.content_type FROM photos p JOIN photo_owners o ON o.sha256 = p.sha256 \
         WHERE p.sha256 = $1 AND o.user_id = $2",
    )
    .bind(&sha)
    .bind(caller.user_id)
    .fetch_optional(&state.db.pool)
    .await
    .map_err(anyhow::Error::from)?;
    let content_type = match own {
        Some(t) => t,
        None => {
            // Administrators do not read residents' records, nor their photos.
            let (cond, place) = super::records::scope(&caller).map_err(|_| AppError::NotFound)?;
            let sql = format!(
                "SELECT p.content_type FROM photos p WHERE p.sha256 = $2 AND EXISTS (\
                 SELECT 1 FROM record_photos rp JOIN records r ON r.id = rp.record_id \
                 JOIN photo_owners o ON o.sha256 = rp.sha256 AND o.user_id = r.author_id \
                 WHERE rp.sha256 = p.sha256 AND {cond})"
            );
            sqlx::query_scalar::<_, String>(&sql)
                .bind(place)
                .bind(&sha)
                .fetch_optional(&state.db.pool)
                .await
                .map_err(anyhow::Error::from)?
                .ok_or(AppError::NotFound)?
        }
    };
    let bytes = state.photos.get(&sha).await?.ok_or(AppError::NotFound)?;
    Ok((
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, content_type),
            // Never kept in the browser's cache: it is keyed by the address alone, so on a
            // shared phone it would outlive the sign-out and answer the next user.
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        bytes,
    )
        .into_response())
}
