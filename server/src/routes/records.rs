//! Records as ward staff read them: `GET /api/records`, `GET /api/records/{id}`, and
//! `POST /api/records/{id}/status`. Every query is scoped by the caller's role and place; a record
//! outside that scope is "not found", so a denial reveals nothing.

use std::collections::HashMap;

use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use domain::api::{Place, RecordDetail, RecordSummary, Role};
use domain::form::{FieldKind, FormDef};
use domain::record::RecordStatus;
use domain::Lang;
use serde::Deserialize;
use sqlx::any::AnyRow;
use sqlx::Row;
use uuid::Uuid;

use crate::auth::Caller;
use crate::db::{next_seq, record_audit, Audit};
use crate::error::{request_lang, AppError, AppJson, AppPath, AppQuery, AppResult};
use crate::{now_ms, AppState};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/records", get(list))
        .route("/records/{id}", get(detail))
        .route("/records/{id}/status", post(set_status))
}

/// The SQL condition limiting records to what `caller` may read, and its bound value.
/// Parameters are numbered from `$1`.
pub(crate) fn scope(caller: &Caller) -> AppResult<(&'static str, i64)> {
    match caller.role {
        Role::Supervisor | Role::Officer => {
            Ok(("r.ward_id = $1", caller.ward_id.ok_or(AppError::Forbidden)?))
        }
        // A group leader sees their group's records of forms group leaders file (neighborhood
        // reports), never officers' police records (visits, checks) about the same residents.
        Role::GroupLeader => Ok((
            "r.group_id = $1 AND EXISTS (SELECT 1 FROM forms f WHERE f.form_key = r.form_key \
             AND f.version = r.form_version AND f.for_group_leaders = 1)",
            caller.group_id.ok_or(AppError::Forbidden)?,
        )),
        // Administrators manage people and forms; they do not read residents' records.
        Role::Admin => Err(AppError::Forbidden),
    }
}

const SUMMARY_COLUMNS: &str =
    "r.id, r.form_key, r.form_version, r.group_id, g.name, u.display_name, r.status, \
     r.received_at, r.data, r.ward_id, w.name, r.client_created_at, \
     (SELECT COUNT(*) FROM record_photos rp WHERE rp.record_id = r.id \
      AND NOT EXISTS (SELECT 1 FROM photo_owners o \
                      WHERE o.sha256 = rp.sha256 AND o.user_id = r.author_id)), r.status_note";
const SUMMARY_JOINS: &str = "FROM records r JOIN residential_groups g ON g.id = r.group_id \
     JOIN users u ON u.id = r.author_id JOIN wards w ON w.id = r.ward_id";

#[derive(Debug, Deserialize)]
struct ListQuery {
    /// Paging back: only records after this one in the list's order — received before this time
    /// (ms), or at this time with a smaller id. Records of one push share their time, so the
    /// time alone would skip those on a page boundary; (time, id) is unique and never changes.
    before: Option<i64>,
    /// The id of the last record of the previous page (with `before`, its `received_at`).
    before_id: Option<Uuid>,
    limit: Option<i64>,
}

/// Forms by (key, version), loaded once per request.
struct FormCache<'a> {
    state: &'a AppState,
    forms: HashMap<(String, u32), Option<FormDef>>,
}

impl FormCache<'_> {
    async fn get(&mut self, key: &str, version: u32) -> sqlx::Result<Option<&FormDef>> {
        let k = (key.to_owned(), version);
        if !self.forms.contains_key(&k) {
            let form = self.state.db.form(key, version).await?;
            self.forms.insert(k.clone(), form);
        }
        Ok(self.forms[&k].as_ref())
    }
}

/// "Trộm cắp — Số 12 ngõ 45": the first choice field's label and the first text field.
fn headline(
    form: Option<&FormDef>,
    data: &serde_json::Map<String, serde_json::Value>,
    lang: Lang,
) -> String {
    let Some(form) = form else {
        return String::new();
    };
    let mut parts = Vec::new();
    if let Some((f, choices)) = form.fields.iter().find_map(|f| match &f.kind {
        FieldKind::SingleChoice { choices } => Some((f, choices)),
        _ => None,
    }) {
        if let Some(c) = data
            .get(&f.key)
            .and_then(|v| v.as_str())
            .and_then(|v| choices.iter().find(|c| c.value == v))
        {
            parts.push(c.label.get(lang).to_owned());
        }
    }
    if let Some(text) = form
        .fields
        .iter()
        .find(|f| matches!(f.kind, FieldKind::Text { .. }))
        .and_then(|f| data.get(&f.key))
        .and_then(|v| v.as_str())
    {
        parts.push(text.chars().take(80).collect());
    }
    parts.join(" — ")
}

async fn summary(
    row: &AnyRow,
    forms: &mut FormCache<'_>,
    lang: Lang,
) -> AppResult<(RecordSummary, serde_json::Map<String, serde_json::Value>)> {
    let id: String = row.get(0);
    let form_key: String = row.get(1);
    let form_version = u32::try_from(row.get::<i64, _>(2)).map_err(anyhow::Error::from)?;
    let status: String = row.get(6);
    let data: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(&row.get::<String, _>(8)).map_err(anyhow::Error::from)?;
    let form = forms.get(&form_key, form_version).await?;
    let summary = RecordSummary {
        id: id.parse().map_err(anyhow::Error::from)?,
        headline: headline(form, &data, lang),
        form_key,
        form_version,
        group: Place {
            id: row.get(3),
            name: row.get(4),
        },
        author: row.get(5),
        status: RecordStatus::parse(&status)
            .ok_or_else(|| anyhow::anyhow!("unknown status {status:?}"))?,
        received_at: row.get(7),
        photos_missing: u32::try_from(row.get::<i64, _>(12)).unwrap_or(u32::MAX),
    };
    Ok((summary, data))
}

async fn list(
    State(state): State<AppState>,
    caller: Caller,
    AppQuery(q): AppQuery<ListQuery>,
) -> AppResult<Json<Vec<RecordSummary>>> {
    let (cond, place) = scope(&caller)?;
    let limit = q.limit.unwrap_or(50).clamp(1, 200);
    let sql = format!(
        "SELECT {SUMMARY_COLUMNS} {SUMMARY_JOINS} WHERE {cond} \
         AND (r.received_at < $2 OR (r.received_at = $3 AND r.id < $4)) \
         ORDER BY r.received_at DESC, r.id DESC LIMIT $5"
    );
    let before = q.before.unwrap_or(i64::MAX);
    let rows = sqlx::query(&sql)
        .bind(place)
        .bind(before)
        .bind(before)
        // No id: strictly before the time ("" is below every id).
        .bind(q.before_id.map(|id| id.to_string()).unwrap_or_default())
        .bind(limit)
        .fetch_all(&state.db.pool)
        .await?;
    let lang = request_lang();
    let mut forms = FormCache {
        state: &state,
        forms: HashMap::new(),
    };
    let mut out = Vec::with_capacity(rows.len());
    for row in &rows {
        out.push(summary(row, &mut forms, lang).await?.0);
    }
    Ok(Json(out))
}

async fn fetch_scoped(state: &AppState, caller: &Caller, id: Uuid) -> AppResult<AnyRow> {
    let (cond, place) = scope(caller)?;
    let sql = format!("SELECT {SUMMARY_COLUMNS} {SUMMARY_JOINS} WHERE {cond} AND r.id = $2");
    sqlx::query(&sql)
        .bind(place)
        .bind(id.to_string())
        .fetch_optional(&state.db.pool)
        .await?
        .ok_or(AppError::NotFound)
}

async fn detail(
    State(state): State<AppState>,
    caller: Caller,
    AppPath(id): AppPath<Uuid>,
) -> AppResult<Json<RecordDetail>> {
    let row = fetch_scoped(&state, &caller, id).await?;
    let mut forms = FormCache {
        state: &state,
        forms: HashMap::new(),
    };
    let (summary, data) = summary(&row, &mut forms, request_lang()).await?;
    if matches!(caller.role, Role::Supervisor | Role::Admin) {
        let mut conn = state.db.pool.acquire().await?;
        record_audit(
            &mut conn,
            Audit {
                actor: Some(caller.user_id),
                action: "record.view",
                entity: "record",
                entity_id: &id.to_string(),
                ward_id: row.get(9),
                before: None,
                after: None,
                detail: "",
            },
        )
        .await?;
    }
    Ok(Json(RecordDetail {
        summary,
        ward: Place {
            id: row.get(9),
            name: row.get(10),
        },
        client_created_at: row.get(11),
        data,
    }))
}

/// A supervisor or officer moving a record along.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct StatusChange {
    pub status: RecordStatus,
    /// Shown to the record's author; at most 1000 characters.
    #[serde(default)]
    pub note: Option<String>,
}

async fn set_status(
    State(state): State<AppState>,
    caller: Caller,
    AppPath(id): AppPath<Uuid>,
    AppJson(change): AppJson<StatusChange>,
) -> AppResult<Json<RecordSummary>> {
    if !matches!(caller.role, Role::Supervisor | Role::Officer) {
        // Group leaders may read their group's reports but not move them; check scope first so
        // the answer for a record they cannot see stays "not found".
        fetch_scoped(&state, &caller, id).await?;
        return Err(AppError::Forbidden);
    }
    let row = fetch_scoped(&state, &caller, id).await?;
    let note = change
        .note
        .map(|n| n.trim().to_owned())
        .filter(|n| !n.is_empty());
    if note
        .as_ref()
        .is_some_and(|n| n.chars().count() > 1000 || n.chars().any(|c| c.is_control() && c != '\n'))
    {
        return Err(AppError::Validation {
            message: Some(match request_lang() {
                Lang::Vi => "Ghi chú tối đa 1000 ký tự.".into(),
                Lang::En => "The note may have at most 1000 characters.".into(),
            }),
            fields: Vec::new(),
        });
    }
    let mut tx = state.db.pool.begin().await?;
    let seq = next_seq(&mut tx, 1).await?;
    // Read again under the lock next_seq took: a change made meanwhile is the true "before".
    let current = sqlx::query("SELECT status, status_note FROM records WHERE id = $1")
        .bind(id.to_string())
        .fetch_one(&mut *tx)
        .await?;
    let (before, before_note): (String, Option<String>) = (current.get(0), current.get(1));
    sqlx::query(
        "UPDATE records SET status = $1, status_note = $2, updated_at = $3, seq = $4 WHERE id = $5",
    )
    .bind(change.status.as_str())
    .bind(&note)
    .bind(now_ms())
    .bind(seq)
    .bind(id.to_string())
    .execute(&mut *tx)
    .await?;
    let detail = format!("{before} -> {}", change.status.as_str());
    record_audit(
        &mut tx,
        Audit {
            actor: Some(caller.user_id),
            action: "record.status",
            entity: "record",
            entity_id: &id.to_string(),
            ward_id: row.get(9),
            before: Some(serde_json::json!({"status": before, "note": before_note})),
            after: Some(serde_json::json!({"status": change.status.as_str(), "note": note})),
            detail: &detail,
        },
    )
    .await?;
    tx.commit().await?;
    let row = fetch_scoped(&state, &caller, id).await?;
    let mut forms = FormCache {
        state: &state,
        forms: HashMap::new(),
    };
    Ok(Json(summary(&row, &mut forms, request_lang()).await?.0))
}
