//! The audit trail, for supervisors (their ward's entries) and administrators (all):
//! `GET /api/audit` pages through it newest first, `GET /api/audit/export` downloads all of it
//! that a filter selects as CSV, streamed.
//! There is no endpoint that changes or removes an entry, and the database refuses it too.

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use domain::admin::AuditEntry;
use domain::api::Role;
use futures_util::StreamExt;
use serde::Deserialize;
use sqlx::Row;

use crate::auth::Caller;
use crate::db::{record_audit, Audit};
use crate::error::{AppError, AppQuery, AppResult};
use crate::serve::{PerKey, Slot};
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/audit", get(list))
        .route("/audit/export", get(export))
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Only entries older than this id (paging back).
    pub before_id: Option<i64>,
    /// At most this many, 100 by default (1 to 500; a number outside is taken as the nearest).
    /// The export takes every entry the filter selects, whatever this says.
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

#[utoipa::path(get, path = "/api/audit", tag = "audit", summary = "Read the audit trail, newest first, a page at a time", params(crate::routes::audit::AuditQuery), responses(
    (status = 200, description = "Newest first: everything for administrators, their ward for supervisors", body = Vec<domain::admin::AuditEntry>),
    (status = 403, body = domain::api::ErrorBody),
))]
pub(crate) async fn list(
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
    format!("\"{}\"", crate::exports::defuse(s).replace('"', "\"\""))
}

/// Exports running at once on this server: each holds a database connection for a moment per
/// page, and a download lasts as long as its reader reads.
static EXPORTS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(32);
/// Of which one person's: so a reader who stops reading holds up only themselves.
const EXPORTS_PER_USER: usize = 2;
/// The audit exports running, per person.
static RUNNING: std::sync::LazyLock<std::sync::Arc<PerKey<i64>>> =
    std::sync::LazyLock::new(Default::default);

/// Entries read from the database at a time while exporting.
const EXPORT_PAGE: i64 = 2_000;

fn csv_rows(entries: &[AuditEntry], out: &mut String) {
    let opt = |v: &Option<serde_json::Value>| v.as_ref().map(|v| v.to_string()).unwrap_or_default();
    for e in entries {
        let row = [
            e.id.to_string(),
            e.at.to_string(),
            e.actor.clone().unwrap_or_default(),
            e.action.clone(),
            e.entity.clone(),
            e.entity_id.clone(),
            e.ward_id.map(|w| w.to_string()).unwrap_or_default(),
            e.detail.clone(),
            opt(&e.before),
            opt(&e.after),
        ];
        out.push_str(&row.iter().map(|c| cell(c)).collect::<Vec<_>>().join(","));
        out.push_str("\r\n");
    }
}

/// Where a streamed export stands between pages.
struct Cursor {
    state: AppState,
    ward: Option<i64>,
    q: AuditQuery,
    /// The page to write next (already read).
    page: Vec<AuditEntry>,
    header: bool,
    _running: (tokio::sync::SemaphorePermit<'static>, Slot<i64>),
}

/// The whole trail the filter selects, newest first, as CSV: written a page at a time as the
/// download goes, so memory stays flat however long it is. The first page is read before the
/// answer starts (a refusal still gets its status); a database error later cuts the download
/// off, which the browser shows as failed (never a short file that looks whole).
#[utoipa::path(get, path = "/api/audit/export", tag = "audit", summary = "Download the audit trail as CSV", params(crate::routes::audit::AuditQuery), responses(
    (status = 200, description = "The same entries as CSV", content_type = "text/csv"),
    (status = 403, body = domain::api::ErrorBody),
))]
pub(crate) async fn export(
    State(state): State<AppState>,
    caller: Caller,
    AppQuery(q): AppQuery<AuditQuery>,
) -> AppResult<impl IntoResponse> {
    let ward = scope(&caller)?;
    let mine = RUNNING
        .take(caller.user_id, EXPORTS_PER_USER)
        .ok_or(AppError::Busy)?;
    let running = (EXPORTS.try_acquire().map_err(|_| AppError::Busy)?, mine);
    let page = fetch(&state, ward, &q, EXPORT_PAGE).await?;
    // Who took a copy of the trail, and of which part of it, is in the trail too.
    let mut conn = state.db.writer.acquire().await?;
    record_audit(
        &mut conn,
        Audit {
            actor: Some(caller.user_id),
            action: "audit.export",
            entity: "audit",
            entity_id: "",
            ward_id: caller.ward_id,
            before: None,
            after: Some(serde_json::json!({
                "from": q.from, "to": q.to, "action": q.action, "entity_id": q.entity_id,
            })),
            detail: "",
        },
    )
    .await?;
    drop(conn);
    let cursor = Cursor {
        state,
        ward,
        q,
        page,
        header: true,
        _running: running,
    };
    let stream = futures_util::stream::unfold(Some(cursor), |cursor| async move {
        let mut c = cursor?;
        if c.page.is_empty() && !c.header {
            return None;
        }
        let mut chunk = String::new();
        if std::mem::take(&mut c.header) {
            chunk.push_str(
                "\u{feff}id,at_utc_ms,actor,action,entity,entity_id,ward_id,detail,before,after\r\n",
            );
        }
        csv_rows(&c.page, &mut chunk);
        let last = c.page.last().map(|e| e.id);
        let full = c.page.len() as i64 == EXPORT_PAGE;
        let next = match last {
            Some(last) if full => {
                c.q.before_id = Some(last);
                match fetch(&c.state, c.ward, &c.q, EXPORT_PAGE).await {
                    Ok(page) => {
                        c.page = page;
                        Some(c)
                    }
                    Err(e) => {
                        tracing::error!("audit export cut off: {e}");
                        return Some((
                            Err(std::io::Error::other("the audit trail could not be read")),
                            None,
                        ));
                    }
                }
            }
            // The last page.
            _ => None,
        };
        Some((Ok::<_, std::io::Error>(chunk), next))
    })
    // The compression layer polls once more after the end; `unfold` alone would panic there.
    .fuse();
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"wardbook-audit.csv\"".to_owned(),
            ),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        axum::body::Body::from_stream(stream),
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
