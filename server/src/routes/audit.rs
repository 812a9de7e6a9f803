//! The audit trail, for supervisors (their ward's entries) and administrators (all):
//! `GET /api/audit` pages through it newest first, `GET /api/audit/export` downloads it as CSV.
//! There is no endpoint that changes or removes an entry, and the database refuses it too.

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use domain::admin::AuditEntry;
use domain::api::Role;
use serde::Deserialize;
use sqlx::Row;

use crate::auth::Caller;
use crate::error::{AppError, AppQuery, AppResult};
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/audit", get(list))
        .route("/audit/export", get(export))
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
pub struct AuditQuery {
    /// Only entries older than this id (paging back).
    pub before_id: Option<i64>,
    /// At most 500; 100 by default.
    pub limit: Option<i64>,
    /// Only entries at or after this time (ms).
    pub from: Option<i64>,
    /// Only entries before this time (ms).
    pub to: Option<i64>,
    /// Only this kind of entry, e.g. `record.status`.
    pub action: Option<String>,
    /// Only entries about this entity (a record id, a user id...).
    pub entity_id: Option<String>,
}

/// The caller's view of the trail: everything for administrators, their ward for supervisors.
fn scope(caller: &Caller) -> AppResult<Option<i64>> {
    match caller.role {
        Role::Admin => Ok(None),
        Role::Supervisor => caller.ward_id.map(Some).ok_or(AppError::Forbidden),
        _ => Err(AppError::Forbidden),
    }
}

async fn fetch(
    state: &AppState,
    ward: Option<i64>,
    q: &AuditQuery,
    limit: i64,
) -> AppResult<Vec<AuditEntry>> {
    let rows = sqlx::query(
        "SELECT a.id, a.at, u.username, a.action, a.entity, a.entity_id, a.ward_id, a.detail, \
                a.before_state, a.after_state \
         FROM audit_log a LEFT JOIN users u ON u.id = a.actor_id \
         WHERE ($1 IS NULL OR a.ward_id = $1) AND ($2 IS NULL OR a.id < $2) \
           AND ($3 IS NULL OR a.at >= $3) AND ($4 IS NULL OR a.at < $4) \
           AND ($5 IS NULL OR a.action = $5) AND ($6 IS NULL OR a.entity_id = $6) \
         ORDER BY a.id DESC LIMIT $7",
    )
    .bind(ward)
    .bind(q.before_id)
    .bind(q.from)
    .bind(q.to)
    .bind(q.action.as_deref())
    .bind(q.entity_id.as_deref())
    .bind(limit)
    .fetch_all(&state.db.pool)
    .await?;
    let json = |s: Option<String>| s.and_then(|s| serde_json::from_str(&s).ok());
    Ok(rows
        .into_iter()
        .map(|r| AuditEntry {
            id: r.get(0),
            at: r.get(1),
            actor: r.get(2),
            action: r.get(3),
            entity: r.get(4),
            entity_id: r.get(5),
            ward_id: r.get(6),
            detail: r.get(7),
            before: json(r.get(8)),
            after: json(r.get(9)),
        })
        .collect())
}

async fn list(
    State(state): State<AppState>,
    caller: Caller,
    AppQuery(q): AppQuery<AuditQuery>,
) -> AppResult<Json<Vec<AuditEntry>>> {
    let ward = scope(&caller)?;
    let limit = q.limit.unwrap_or(100).clamp(1, 500);
    Ok(Json(fetch(&state, ward, &q, limit).await?))
}

/// A CSV cell: quoted, quotes doubled, and a leading `= + - @` defused so a spreadsheet shows
/// the text instead of running it as a formula.
fn cell(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_owned()
    };
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// Exports building at once: each reads up to 100,000 entries and holds the file in memory, so
/// more would take every database connection and a lot of memory (the streamed export comes
/// with the exports of a later issue).
static EXPORTS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);

async fn export(
    State(state): State<AppState>,
    caller: Caller,
    AppQuery(q): AppQuery<AuditQuery>,
) -> AppResult<impl IntoResponse> {
    let ward = scope(&caller)?;
    let _running = EXPORTS.try_acquire().map_err(|_| AppError::Busy)?;
    let entries = fetch(&state, ward, &q, 100_000).await?;
    let mut csv = String::from(
        "\u{feff}id,at_utc_ms,actor,action,entity,entity_id,ward_id,detail,before,after\r\n",
    );
    for e in entries {
        let opt =
            |v: &Option<serde_json::Value>| v.as_ref().map(|v| v.to_string()).unwrap_or_default();
        let row = [
            e.id.to_string(),
            e.at.to_string(),
            e.actor.unwrap_or_default(),
            e.action,
            e.entity,
            e.entity_id,
            e.ward_id.map(|w| w.to_string()).unwrap_or_default(),
            e.detail,
            opt(&e.before),
            opt(&e.after),
        ];
        csv.push_str(&row.iter().map(|c| cell(c)).collect::<Vec<_>>().join(","));
        csv.push_str("\r\n");
    }
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"wardbook-audit.csv\"".to_owned(),
            ),
        ],
        csv,
    ))
}

#[cfg(test)]
mod tests {
    #[test]
    fn csv_cells_are_quoted_and_formulas_defused() {
        assert_eq!(super::cell("a\"b"), "\"a\"\"b\"");
        assert_eq!(
            super::cell("=HYPERLINK(\"x\")"),
            "\"'=HYPERLINK(\"\"x\"\")\""
        );
        assert_eq!(super::cell("Nhật Tân"), "\"Nhật Tân\"");
    }
}
