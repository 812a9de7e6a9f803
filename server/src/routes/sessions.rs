//! A user's signed-in devices: `GET /api/sessions` lists them, `DELETE /api/sessions/{id}`
//! signs one out (a phone left behind). Only one's own sessions are visible.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{delete, get};
use axum::{Json, Router};
use domain::admin::SessionView;
use sqlx::Row;

use crate::auth::Caller;
use crate::db::{record_audit, Audit};
use crate::error::{AppError, AppPath, AppResult};
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/sessions", get(list))
        .route("/sessions/{id}", delete(revoke))
}

/// A session's public name: the first 16 hex digits of its token's hash (not the token).
fn public_id(token_hash: &str) -> String {
    token_hash.chars().take(16).collect()
}

#[utoipa::path(get, path = "/api/sessions", tag = "sessions", summary = "The caller's signed-in devices", responses(
    (status = 200, description = "The caller's signed-in devices", body = Vec<domain::admin::SessionView>), ))]
pub(crate) async fn list(
    State(state): State<AppState>,
    caller: Caller,
) -> AppResult<Json<Vec<SessionView>>> {
    let rows = sqlx::query(
        "SELECT token_hash, created_at, expires_at, user_agent FROM sessions \
         WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > $2 ORDER BY created_at DESC",
    )
    .bind(caller.user_id)
    .bind(crate::now_ms())
    .fetch_all(&state.db.pool)
    .await?;
    Ok(Json(
        rows.into_iter()
            .map(|r| {
                let hash: String = r.get(0);
                SessionView {
                    id: public_id(&hash),
                    current: hash == caller.session,
                    created_at: r.get(1),
                    expires_at: r.get(2),
                    device: r.get(3),
                }
            })
            .collect(),
    ))
}

#[utoipa::path(delete, path = "/api/sessions/{id}", tag = "sessions", summary = "Sign one of the caller's devices out", params(("id" = String, Path, description = "The session's 16-character id")), responses(
    (status = 204, description = "That device is signed out"), (status = 404, description = "No such session of the caller", body = domain::api::ErrorBody),
))]
pub(crate) async fn revoke(
    State(state): State<AppState>,
    caller: Caller,
    AppPath(id): AppPath<String>,
) -> AppResult<StatusCode> {
    if id.len() != 16 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(AppError::NotFound);
    }
    let mut tx = state.db.writer.begin().await?;
    let done = sqlx::query(
        "UPDATE sessions SET revoked_at = $1 WHERE user_id = $2 AND substr(token_hash, 1, 16) = $3 \
         AND revoked_at IS NULL AND expires_at > $1",
    )
    .bind(crate::now_ms())
    .bind(caller.user_id)
    .bind(&id)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(AppError::NotFound);
    }
    record_audit(
        &mut tx,
        Audit {
            actor: Some(caller.user_id),
            action: "session.revoke",
            entity: "session",
            entity_id: &id,
            ward_id: caller.ward_id,
            before: None,
            after: None,
            detail: "",
        },
    )
    .await?;
    state.db.sessions.commit(tx).await?;
    Ok(StatusCode::NO_CONTENT)
}
