//! Exports of the review queue's records (supervisors for their ward, provincial staff for
//! their province): `POST /api/exports?format=xlsx&<the queue's filter>` starts one and answers
//! at once (202); `GET /api/exports/{id}` tells how far it is; `GET /api/exports/{id}/file`
//! downloads it when done; `GET /api/exports` lists the caller's exports of the last day.
//!
//! The server that took the request builds the file in the background: it reads the records a
//! page at a time (no connection held between pages, so a slow export never starves the
//! phones), hands each page to a writer on a blocking thread (`crate::exports`, memory flat),
//! and keeps the finished file in the object store, where every server can serve it. The job's
//! row in `exports` carries its progress and a heartbeat; a job whose server died shows as
//! failed once its heartbeat stops. Starting and downloading an export are audited. Files are
//! kept for a day, and at most [`KEEP_PER_USER`] per person.

use std::time::Duration;

use axum::body::Body;
use axum::extract::{RawQuery, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use domain::api::{ExportFormat, ExportJob, ExportState, Role};
use domain::form::FormDef;
use domain::record::RecordStatus;
use domain::{Lang, Text};
use futures_util::TryStreamExt;
use serde::Deserialize;
use sqlx::Row;
use uuid::Uuid;

use super::records::{bind_all, scope, Filter, SUMMARY_JOINS};
use crate::auth::Caller;
use crate::db::{record_audit, Audit};
use crate::error::{request_lang, AppError, AppPath, AppQuery, AppResult};
use crate::exports::{content_type, ExportRow, Writer};
use crate::{now_ms, AppState};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/exports", post(create).get(list))
        .route("/exports/{id}", get(status))
        .route("/exports/{id}/file", get(download))
}

/// The most records one export holds (a workbook's sheet holds 1,048,576 rows).
pub const MAX_EXPORT_RECORDS: i64 = 1_000_000;
/// Records read from the database at a time.
const PAGE: i64 = 500;
/// How long a finished export is kept.
const KEEP_MS: i64 = 24 * 3_600_000;
/// Exports kept per person; older ones are removed when a new one starts.
pub const KEEP_PER_USER: i64 = 10;
/// A running job writes its heartbeat this often...
const HEARTBEAT: Duration = Duration::from_secs(10);
/// ... and is taken for dead (its server stopped) when it has not for this long.
const STALE_MS: i64 = 60_000;
/// Progress is written at most this often.
const PROGRESS_EVERY_MS: i64 = 500;

/// Exports one person may have running (or waiting) at once.
pub const MAX_RUNNING_PER_USER: i64 = 3;
/// PostgreSQL advisory locks of export requests: this plus the user's id.
const EXPORT_LOCK_BASE: i64 = 0x5750_4558 << 32;

/// Exports building at once on this server (each takes a blocking thread and a database
/// connection for a moment per page); the others wait their turn.
static JOBS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);

/// Who may export: the people who review (a ward's supervisors) and provincial staff. Officers
/// and group leaders read records on their phones; administrators do not read records.
fn may_export(caller: &Caller) -> AppResult<()> {
    match caller.role {
        Role::Supervisor | Role::Provincial => Ok(()),
        _ => Err(AppError::Forbidden),
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct FormatQuery {
    format: Option<String>,
}

/// Why a job failed, as stored (`exports.error`) and as said.
fn failure_text(code: &str) -> Text {
    match code {
        "interrupted" => Text::new(
            "Việc xuất bị gián đoạn (máy chủ khởi động lại). Hãy xuất lại.",
            "The export was interrupted (the server restarted). Please export again.",
        ),
        "too_many_rows" => Text::new(
            "Quá nhiều dòng cho một trang tính Excel. Hãy thu hẹp bộ lọc hoặc xuất CSV.",
            "Too many rows for one Excel sheet. Narrow the filter or export CSV.",
        ),
        _ => Text::new(
            "Việc xuất gặp lỗi. Hãy thử lại sau.",
            "The export failed. Please try again later.",
        ),
    }
}

fn job_from_row(r: &sqlx::any::AnyRow, now: i64, lang: Lang) -> AppResult<ExportJob> {
    let id: String = r.get(0);
    let format: String = r.get(1);
    let state: String = r.get(4);
    let heartbeat: i64 = r.get(10);
    let mut error: Option<String> = r.get(8);
    let state = match state.as_str() {
        "done" => ExportState::Done,
        "running" if now - heartbeat > STALE_MS => {
            error = Some("interrupted".into());
            ExportState::Failed
        }
        "running" => ExportState::Running,
        _ => ExportState::Failed,
    };
    let count = |v: i64| u64::try_from(v).unwrap_or(0);
    Ok(ExportJob {
        id: id.parse().map_err(anyhow::Error::from)?,
        format: ExportFormat::parse(&format)
            .ok_or_else(|| anyhow::anyhow!("unknown export format {format:?}"))?,
        filter: r.get(2),
        file_name: r.get(3),
        state,
        total: count(r.get(5)),
        done: count(r.get(6)),
        bytes: r.get::<Option<i64>, _>(7).map(count),
        created_at: r.get(9),
        error: (state == ExportState::Failed).then(|| {
            failure_text(error.as_deref().unwrap_or(""))
                .get(lang)
                .to_owned()
        }),
    })
}

const JOB_COLUMNS: &str =
    "id, format, filter, file_name, state, total, done, bytes, error, created_at, heartbeat";

/// The caller's export `id`; someone else's is "not found".
async fn own_job(state: &AppState, caller: &Caller, id: Uuid) -> AppResult<ExportJob> {
    let row = sqlx::query(&format!(
        "SELECT {JOB_COLUMNS} FROM exports WHERE id = $1 AND user_id = $2"
    ))
    .bind(id.to_string())
    .bind(caller.user_id)
    .fetch_optional(&state.db.pool)
    .await?
    .ok_or(AppError::NotFound)?;
    job_from_row(&row, now_ms(), request_lang())
}

/// At start: removes the files and rows of exports older than a day, and working directories
/// that a server killed mid-export left in the temporary directory.
pub async fn sweep_at_start(state: &AppState) -> anyhow::Result<()> {
    loop {
        let ids = expired(state).await?;
        if ids.is_empty() {
            break;
        }
        remove(state, ids).await?;
    }
    // An export takes seconds to minutes: a working directory an hour old belongs to no running
    // server.
    let old = std::time::SystemTime::now() - Duration::from_secs(3600);
    for entry in std::fs::read_dir(std::env::temp_dir())?.flatten() {
        let name = entry.file_name();
        let stale = entry
            .metadata()
            .and_then(|m| m.modified())
            .is_ok_and(|t| t < old);
        if stale && name.to_string_lossy().starts_with(WORK_DIR_PREFIX) {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
    Ok(())
}

/// Up to 100 exports older than a day.
async fn expired(state: &AppState) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar("SELECT id FROM exports WHERE created_at < $1 LIMIT 100")
        .bind(now_ms() - KEEP_MS)
        .fetch_all(&state.db.pool)
        .await
}

/// The name of each export's working directory starts with this.
const WORK_DIR_PREFIX: &str = "wardbook-export-";

/// Removes exports older than a day, and the caller's beyond their newest [`KEEP_PER_USER`]
/// (a new one is about to start): files first, then rows.
async fn sweep(state: &AppState, user_id: i64) -> AppResult<()> {
    let mut ids = expired(state).await?;
    let mine: Vec<String> = sqlx::query_scalar(
        "SELECT id FROM exports WHERE user_id = $1 AND state <> 'running' \
         ORDER BY created_at DESC",
    )
    .bind(user_id)
    .fetch_all(&state.db.pool)
    .await?;
    let keep = usize::try_from(KEEP_PER_USER - 1).unwrap_or(0);
    ids.extend(mine.into_iter().skip(keep));
    Ok(remove(state, ids).await?)
}

/// Removes exports: each file first, then its row (a row never outlives its file unseen).
async fn remove(state: &AppState, ids: Vec<String>) -> anyhow::Result<()> {
    for id in ids {
        state.photos.delete_export(&id).await?;
        sqlx::query("DELETE FROM exports WHERE id = $1")
            .bind(&id)
            .execute(&state.db.writer)
            .await?;
    }
    Ok(())
}

/// The query string as the export keeps it: the filter without the format, at most 1,000
/// bytes (it is shown, not run again).
fn kept_filter(raw: Option<&str>) -> String {
    let kept = raw
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty() && !p.starts_with("format=") && !p.starts_with("lang="))
        .collect::<Vec<_>>()
        .join("&");
    let mut end = kept.len().min(1_000);
    while !kept.is_char_boundary(end) {
        end -= 1;
    }
    kept[..end].to_owned()
}

/// A file name safe in a header and on every disk: `wardbook-field_visit-2026-12-05.xlsx`.
fn file_name(form: Option<&str>, format: ExportFormat, now: i64) -> String {
    let what: String = form
        .unwrap_or("records")
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
        .take(40)
        .collect();
    let what = if what.is_empty() { "records" } else { &what };
    let day = domain::calendar::LocalTime::at(now).date.iso();
    format!("wardbook-{what}-{day}.{}", format.extension())
}

#[utoipa::path(post, path = "/api/exports", tag = "exports", summary = "Start exporting the queue's records as a file", params(
    ("format" = domain::api::ExportFormat, Query, description = "xlsx, csv (a zip) or geojson"),
    super::records::Filter), responses(
    (status = 202, description = "Started: poll GET /api/exports/{id}", body = domain::api::ExportJob),
    (status = 403, description = "Only supervisors and provincial staff export", body = domain::api::ErrorBody),
    (status = 422, description = "No or an unknown format, a bad filter, or more than 1,000,000 records", body = domain::api::ErrorBody),
    (status = 429, description = "Three exports of the caller are still running (`exports_running`); see Retry-After", body = domain::api::ErrorBody),
))]
pub(crate) async fn create(
    State(state): State<AppState>,
    caller: Caller,
    RawQuery(raw): RawQuery,
    AppQuery(fq): AppQuery<FormatQuery>,
    AppQuery(filter): AppQuery<Filter>,
) -> AppResult<(StatusCode, Json<ExportJob>)> {
    may_export(&caller)?;
    let (cond, place) = scope(&caller)?;
    filter.check()?;
    let format = fq
        .format
        .as_deref()
        .and_then(ExportFormat::parse)
        .ok_or_else(|| {
            AppError::invalid(Text::new(
                "Hãy chọn định dạng: xlsx, csv hoặc geojson.",
                "Choose a format: xlsx, csv or geojson.",
            ))
        })?;
    sweep(&state, caller.user_id).await?;
    let started = now_ms();
    let (conds, binds) = filter.sql(3, true);
    let count_sql =
        format!("SELECT COUNT(*) FROM records r WHERE {cond} AND r.received_at <= $2{conds}");
    let query = sqlx::query(&count_sql).bind(place).bind(started);
    let total: i64 = bind_all(query, binds)
        .fetch_one(&state.db.pool)
        .await?
        .get(0);
    if total > MAX_EXPORT_RECORDS {
        return Err(AppError::invalid(Text::new(
            format!(
                "{total} hồ sơ: quá nhiều cho một lần xuất (tối đa {MAX_EXPORT_RECORDS}). \
                 Hãy thu hẹp bộ lọc, ví dụ theo thời gian."
            ),
            format!(
                "{total} records: too many for one export (at most {MAX_EXPORT_RECORDS}). \
                 Narrow the filter, by time for example."
            ),
        )));
    }
    let id = Uuid::now_v7();
    let kept = kept_filter(raw.as_deref());
    let name = file_name(filter.form(), format, started);
    let mut tx = state.db.writer.begin().await?;
    // One person's requests are counted one at a time: on PostgreSQL under a lock of their own;
    // on SQLite the insert below takes the database's write lock before the count reads.
    if state.db.backend == crate::db::Backend::Postgres {
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(EXPORT_LOCK_BASE + caller.user_id)
            .execute(&mut *tx)
            .await?;
    }
    sqlx::query(
        "INSERT INTO exports (id, user_id, format, filter, file_name, state, total, done, \
                              created_at, heartbeat) \
         VALUES ($1, $2, $3, $4, $5, 'running', $6, 0, $7, $7)",
    )
    .bind(id.to_string())
    .bind(caller.user_id)
    .bind(format.as_str())
    .bind(&kept)
    .bind(&name)
    .bind(total)
    .bind(started)
    .execute(&mut *tx)
    .await?;
    // This one included.
    let running: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM exports WHERE user_id = $1 AND state = 'running' AND heartbeat >= $2",
    )
    .bind(caller.user_id)
    .bind(started - STALE_MS)
    .fetch_one(&mut *tx)
    .await?;
    if running > MAX_RUNNING_PER_USER {
        tx.rollback().await?;
        return Err(AppError::ExportsRunning {
            running: running - 1,
        });
    }
    record_audit(
        &mut tx,
        Audit {
            actor: Some(caller.user_id),
            action: "export.create",
            entity: "export",
            entity_id: &id.to_string(),
            ward_id: caller.ward_id,
            before: None,
            after: Some(serde_json::json!({
                "format": format.as_str(),
                "filter": kept,
                "records": total,
            })),
            detail: "",
        },
    )
    .await?;
    tx.commit().await?;
    let lang = request_lang();
    let job = Job {
        id,
        format,
        lang,
        cond,
        place,
        filter,
        started,
    };
    let task_state = state.clone();
    tokio::spawn(run(task_state, job));
    Ok((
        StatusCode::ACCEPTED,
        Json(ExportJob {
            id,
            format,
            file_name: name,
            state: ExportState::Running,
            total: u64::try_from(total).unwrap_or(0),
            done: 0,
            bytes: None,
            created_at: started,
            filter: kept,
            error: None,
        }),
    ))
}

/// What a job needs to read its records.
struct Job {
    id: Uuid,
    format: ExportFormat,
    lang: Lang,
    cond: &'static str,
    place: i64,
    filter: Filter,
    /// Records received after this (ms) are not in it.
    started: i64,
}

/// Stops a task when dropped.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

async fn run(state: AppState, job: Job) {
    let id = job.id.to_string();
    let beat_state = state.clone();
    let beat_id = id.clone();
    let _heartbeat = AbortOnDrop(tokio::spawn(async move {
        let mut every = tokio::time::interval(HEARTBEAT);
        loop {
            every.tick().await;
            // A missed beat only makes the job look dead a little sooner.
            let _ = sqlx::query("UPDATE exports SET heartbeat = $1 WHERE id = $2")
                .bind(now_ms())
                .bind(&beat_id)
                .execute(&beat_state.db.writer)
                .await;
        }
    }));
    // Waits its turn (shown as running with nothing done yet).
    let outcome = match JOBS.acquire().await {
        Ok(_turn) => build(&state, &job).await,
        Err(e) => Err(e.into()),
    };
    let update = match outcome {
        Ok((written, bytes)) => sqlx::query(
            "UPDATE exports SET state = 'done', done = $1, total = $1, bytes = $2, heartbeat = $3 \
             WHERE id = $4",
        )
        .bind(i64::try_from(written).unwrap_or(i64::MAX))
        .bind(i64::try_from(bytes).unwrap_or(i64::MAX))
        .bind(now_ms())
        .bind(&id),
        Err(e) => {
            tracing::error!(export = %id, "export failed: {e:#}");
            let code = if e.is::<crate::exports::TooManyRows>() {
                "too_many_rows"
            } else {
                "failed"
            };
            sqlx::query(
                "UPDATE exports SET state = 'failed', error = $1, heartbeat = $2 WHERE id = $3",
            )
            .bind(code)
            .bind(now_ms())
            .bind(&id)
        }
    };
    if let Err(e) = update.execute(&state.db.writer).await {
        // The heartbeat stops with this task, so the job shows as failed within a minute.
        tracing::error!(export = %id, "cannot record the export's end: {e}");
    }
}

/// Every published version of every form.
async fn all_forms(state: &AppState) -> anyhow::Result<Vec<FormDef>> {
    let texts: Vec<String> = sqlx::query_scalar("SELECT definition FROM forms")
        .fetch_all(&state.db.pool)
        .await?;
    texts
        .iter()
        .map(|t| serde_json::from_str(t).map_err(anyhow::Error::from))
        .collect()
}

/// Builds the file and keeps it in the object store: (records written, bytes).
async fn build(state: &AppState, job: &Job) -> anyhow::Result<(u64, u64)> {
    let dir = tempfile::Builder::new().prefix(WORK_DIR_PREFIX).tempdir()?;
    let writer = Writer::new(job.format, dir.path(), job.lang, all_forms(state).await?)?;
    // Two pages in flight at most: the reader waits for the writer, memory stays flat.
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Vec<ExportRow>>(2);
    let writing = tokio::task::spawn_blocking(move || -> anyhow::Result<_> {
        let mut writer = writer;
        while let Some(page) = rx.blocking_recv() {
            for row in &page {
                writer.add(row)?;
            }
        }
        let written = writer.written;
        Ok((writer.finish()?, written))
    });
    let (conds, _) = job.filter.sql(7, true);
    let sql = format!(
        "SELECT r.id, r.form_key, r.form_version, w.name, g.name, u.display_name, r.status, \
                COALESCE(r.filed_at, r.received_at), r.received_at, r.status_note, r.data \
         {SUMMARY_JOINS} \
         WHERE {} AND r.received_at <= $2 \
           AND (r.received_at > $3 OR (r.received_at = $4 AND r.id > $5)){conds} \
         ORDER BY r.received_at, r.id LIMIT $6",
        job.cond
    );
    let mut after = (i64::MIN, String::new());
    let mut done: i64 = 0;
    let mut reported = 0;
    loop {
        let (_, binds) = job.filter.sql(7, true);
        let query = sqlx::query(&sql)
            .bind(job.place)
            .bind(job.started)
            .bind(after.0)
            .bind(after.0)
            .bind(after.1.clone())
            .bind(PAGE);
        let rows = bind_all(query, binds).fetch_all(&state.db.pool).await?;
        let Some(last) = rows.last() else { break };
        after = (last.get(8), last.get(0));
        let page = rows
            .iter()
            .map(export_row)
            .collect::<anyhow::Result<Vec<_>>>()?;
        done += i64::try_from(page.len())?;
        if tx.send(page).await.is_err() {
            // The writer stopped: its error is the job's.
            break;
        }
        let now = now_ms();
        if now - reported >= PROGRESS_EVERY_MS {
            reported = now;
            sqlx::query("UPDATE exports SET done = $1, heartbeat = $2 WHERE id = $3")
                .bind(done)
                .bind(now)
                .bind(job.id.to_string())
                .execute(&state.db.writer)
                .await?;
        }
    }
    drop(tx);
    let (path, written) = writing.await??;
    let bytes = state.photos.put_export(&job.id.to_string(), &path).await?;
    Ok((written, bytes))
}

fn export_row(r: &sqlx::any::AnyRow) -> anyhow::Result<ExportRow> {
    let status: String = r.get(6);
    Ok(ExportRow {
        id: r.get(0),
        form_key: r.get(1),
        form_version: u32::try_from(r.get::<i64, _>(2))?,
        ward: r.get(3),
        group: r.get(4),
        author: r.get(5),
        status: RecordStatus::parse(&status)
            .ok_or_else(|| anyhow::anyhow!("unknown status {status:?}"))?,
        filed_at: r.get(7),
        received_at: r.get(8),
        status_note: r.get(9),
        data: serde_json::from_str(&r.get::<String, _>(10))?,
    })
}

#[utoipa::path(get, path = "/api/exports", tag = "exports", summary = "The caller's exports of the last day", responses(
    (status = 200, description = "The caller's exports of the last day, newest first", body = Vec<domain::api::ExportJob>),
    (status = 403, body = domain::api::ErrorBody),
))]
pub(crate) async fn list(
    State(state): State<AppState>,
    caller: Caller,
) -> AppResult<Json<Vec<ExportJob>>> {
    may_export(&caller)?;
    let rows = sqlx::query(&format!(
        "SELECT {JOB_COLUMNS} FROM exports WHERE user_id = $1 AND created_at >= $2 \
         ORDER BY created_at DESC LIMIT 20"
    ))
    .bind(caller.user_id)
    .bind(now_ms() - KEEP_MS)
    .fetch_all(&state.db.pool)
    .await?;
    let (now, lang) = (now_ms(), request_lang());
    Ok(Json(
        rows.iter()
            .map(|r| job_from_row(r, now, lang))
            .collect::<AppResult<_>>()?,
    ))
}

#[utoipa::path(get, path = "/api/exports/{id}", tag = "exports", summary = "How far an export is", params(("id" = uuid::Uuid, Path)), responses(
    (status = 200, description = "How far it is", body = domain::api::ExportJob),
    (status = 403, body = domain::api::ErrorBody),
    (status = 404, description = "No such export of the caller", body = domain::api::ErrorBody),
))]
pub(crate) async fn status(
    State(state): State<AppState>,
    caller: Caller,
    AppPath(id): AppPath<Uuid>,
) -> AppResult<Json<ExportJob>> {
    may_export(&caller)?;
    Ok(Json(own_job(&state, &caller, id).await?))
}

#[utoipa::path(get, path = "/api/exports/{id}/file", tag = "exports", summary = "Download a finished export", params(("id" = uuid::Uuid, Path)), responses(
    (status = 200, description = "The file: a workbook, a zip of CSV files or GeoJSON, as the export's format", content(
        (inline(crate::openapi::Binary) = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (inline(crate::openapi::Binary) = "application/zip"),
        (serde_json::Value = "application/geo+json"),
    )),
    (status = 403, body = domain::api::ErrorBody),
    (status = 404, description = "No such export of the caller, one that failed, or one older than a day", body = domain::api::ErrorBody),
    (status = 409, description = "Still being made (`not_ready`): poll GET /api/exports/{id}", body = domain::api::ErrorBody),
))]
pub(crate) async fn download(
    State(state): State<AppState>,
    caller: Caller,
    AppPath(id): AppPath<Uuid>,
) -> AppResult<Response> {
    may_export(&caller)?;
    let job = own_job(&state, &caller, id).await?;
    if job.state == ExportState::Running {
        return Err(AppError::ExportNotReady);
    }
    if job.state != ExportState::Done || now_ms() - job.created_at > KEEP_MS {
        return Err(AppError::NotFound);
    }
    let (size, stream) = state
        .photos
        .open_export(&id.to_string())
        .await?
        .ok_or(AppError::NotFound)?;
    let mut conn = state.db.writer.acquire().await?;
    record_audit(
        &mut conn,
        Audit {
            actor: Some(caller.user_id),
            action: "export.download",
            entity: "export",
            entity_id: &id.to_string(),
            ward_id: caller.ward_id,
            before: None,
            after: Some(serde_json::json!({ "format": job.format.as_str(), "bytes": size })),
            detail: "",
        },
    )
    .await?;
    drop(conn);
    let body = Body::from_stream(stream.map_err(std::io::Error::other));
    Ok((
        [
            (header::CONTENT_TYPE, content_type(job.format).to_owned()),
            (header::CONTENT_LENGTH, size.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{}\"", job.file_name),
            ),
            // Personal data: never kept by a shared cache or the browser's.
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        body,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_kept_filter_drops_the_format_and_stays_short() {
        assert_eq!(
            kept_filter(Some("format=xlsx&status=new&form=field_visit&lang=en")),
            "status=new&form=field_visit"
        );
        let long = format!("q={}", "ệ".repeat(600));
        let kept = kept_filter(Some(&long));
        assert!(kept.len() <= 1_000 && long.starts_with(&kept));
    }

    #[test]
    fn file_names_are_plain_ascii_whatever_the_form_key() {
        let t = 1_738_341_000_000; // 31/01/2025 23:30 in Hà Nội
        assert_eq!(
            file_name(Some("field_visit"), ExportFormat::Xlsx, t),
            "wardbook-field_visit-2025-01-31.xlsx"
        );
        assert_eq!(
            file_name(Some("\"x\r\n"), ExportFormat::Csv, t),
            "wardbook-x-2025-01-31.csv.zip"
        );
        assert_eq!(
            file_name(None, ExportFormat::Geojson, t),
            "wardbook-records-2025-01-31.geojson"
        );
    }
}
