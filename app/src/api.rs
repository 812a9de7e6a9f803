//! Calls to the Wardbook server. Every failure is one of a few kinds the app reacts to.

use domain::api::{
    ErrorBody, FormVersions, LoginRequest, LoginResponse, Published, RecordDetail, RecordSummary,
    UploadState,
};
use domain::sync::{PullResponse, PushRequest, PushResponse};
use domain::Lang;
use gloo_net::http::{Request, RequestBuilder, Response};
use serde::de::DeserializeOwned;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq)]
pub enum ApiError {
    /// No answer: no network, or the server is down.
    Offline,
    /// The token is missing, expired or revoked; sign in again.
    Unauthorized(String),
    /// The server answered with an error for a person to read.
    Server { status: u16, body: ErrorBody },
    /// A success whose body is not what this app expects: a Wi-Fi login page answering in the
    /// server's place, or a server this version of the app does not understand. Not "offline":
    /// the network is there, and retrying at once would not help.
    Undecodable { status: u16 },
}

impl ApiError {
    pub fn message(&self, lang: Lang) -> String {
        match self {
            ApiError::Offline => crate::i18n::Msg::Offline.text(lang).to_owned(),
            ApiError::Unauthorized(m) => m.clone(),
            ApiError::Server { body, .. } => body.message.clone(),
            ApiError::Undecodable { .. } => {
                crate::i18n::Msg::UnreadableAnswer.text(lang).to_owned()
            }
        }
    }
}

/// No request waits longer than this: a connection that stalls in a basement must not hold the
/// sync engine (it fails as "offline" and is retried with back-off).
const REQUEST_TIMEOUT_MS: u32 = 60_000;

fn with_headers(req: RequestBuilder, token: Option<&str>, lang: Lang) -> RequestBuilder {
    let timeout = web_sys::AbortSignal::timeout_with_u32(REQUEST_TIMEOUT_MS);
    let req = req
        .header("Accept-Language", lang.code())
        .abort_signal(Some(&timeout));
    match token {
        Some(t) => req.header("Authorization", &format!("Bearer {t}")),
        None => req,
    }
}

/// JSON goes through the browser's own parser and `serde_wasm_bindgen`, not `serde_json`:
/// it keeps a second set of deserializers out of the phone's download.
async fn decode<T: DeserializeOwned>(res: &Response) -> Option<T> {
    let text = res.text().await.ok()?;
    let value = js_sys::JSON::parse(&text).ok()?;
    serde_wasm_bindgen::from_value(value).ok()
}

fn encode<T: Serialize>(builder: RequestBuilder, body: &T) -> Result<Request, ApiError> {
    let value = body
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|_| ApiError::Offline)?;
    let text: String = js_sys::JSON::stringify(&value)
        .map_err(|_| ApiError::Offline)?
        .into();
    builder
        .header("Content-Type", "application/json")
        .body(text)
        .map_err(|_| ApiError::Offline)
}

thread_local! {
    static ON_UNAUTHORIZED: std::cell::RefCell<Option<Box<dyn Fn()>>> = const { std::cell::RefCell::new(None) };
}

/// Calls `f` whenever the server answers 401 (the sign-in expired or was revoked). The desk uses
/// it to ask for the password again; the phone's sync engine handles 401 itself.
pub fn on_unauthorized(f: impl Fn() + 'static) {
    ON_UNAUTHORIZED.with(|h| *h.borrow_mut() = Some(Box::new(f)));
}

async fn read<T: DeserializeOwned>(res: Result<Response, gloo_net::Error>) -> Result<T, ApiError> {
    let res = success(res).await?;
    decode::<T>(&res).await.ok_or(ApiError::Undecodable {
        status: res.status(),
    })
}

/// A 2xx answer, or the failure the app reacts to: offline, signed out (the 401 hook is told),
/// or the server's own error body in the caller's language.
async fn success(res: Result<Response, gloo_net::Error>) -> Result<Response, ApiError> {
    let res = res.map_err(|_| ApiError::Offline)?;
    let status = res.status();
    if (200..300).contains(&status) {
        return Ok(res);
    }
    // A proxy or a half-dead server may answer without our error body.
    let body = decode::<ErrorBody>(&res)
        .await
        .unwrap_or_else(|| ErrorBody {
            code: "http".into(),
            message: format!("HTTP {status}"),
            fields: Vec::new(),
        });
    if status == 401 {
        ON_UNAUTHORIZED.with(|h| {
            if let Some(f) = h.borrow().as_ref() {
                f();
            }
        });
        return Err(ApiError::Unauthorized(body.message));
    }
    if status == 502 || status == 503 || status == 504 {
        return Err(ApiError::Offline);
    }
    Err(ApiError::Server { status, body })
}

pub async fn login(req: &LoginRequest, lang: Lang) -> Result<LoginResponse, ApiError> {
    let res = encode(
        with_headers(Request::post("/api/auth/login"), None, lang),
        req,
    )?
    .send()
    .await;
    read(res).await
}

/// Who the caller is and where they work now (a reorganisation may have moved them).
pub async fn me(token: &str, lang: Lang) -> Result<domain::api::Me, ApiError> {
    let res = with_headers(Request::get("/api/me"), Some(token), lang)
        .send()
        .await;
    read(res).await
}

pub async fn logout(token: &str, lang: Lang) {
    let _ = with_headers(Request::post("/api/auth/logout"), Some(token), lang)
        .send()
        .await;
}

pub async fn push(token: &str, req: &PushRequest, lang: Lang) -> Result<PushResponse, ApiError> {
    let res = encode(
        with_headers(Request::post("/api/sync/push"), Some(token), lang),
        req,
    )?
    .send()
    .await;
    read(res).await
}

pub async fn pull(
    token: &str,
    cursor: i64,
    epoch: Option<&str>,
    lang: Lang,
) -> Result<PullResponse, ApiError> {
    let url = match epoch {
        // The server's epochs are hex: nothing to escape.
        Some(e) if !e.is_empty() && e.chars().all(|c| c.is_ascii_alphanumeric()) => {
            format!("/api/sync/pull?cursor={cursor}&epoch={e}")
        }
        _ => format!("/api/sync/pull?cursor={cursor}"),
    };
    read(
        with_headers(Request::get(&url), Some(token), lang)
            .send()
            .await,
    )
    .await
}

/// A page of the review queue; `query` is the list's query string (filter and paging).
pub async fn ward_records(
    token: &str,
    query: &str,
    lang: Lang,
) -> Result<Vec<RecordSummary>, ApiError> {
    let url = format!("/api/records?{query}");
    read(
        with_headers(Request::get(&url), Some(token), lang)
            .send()
            .await,
    )
    .await
}

/// The queue's count per review state for the filter in `query`.
pub async fn record_counts(
    token: &str,
    query: &str,
    lang: Lang,
) -> Result<Vec<domain::api::StateCount>, ApiError> {
    let url = format!("/api/records/counts?{query}");
    read(
        with_headers(Request::get(&url), Some(token), lang)
            .send()
            .await,
    )
    .await
}

/// A ward's indicators for a month (`query`: `ward=..&year=..&month=..`, each optional).
pub async fn indicators(
    token: &str,
    query: &str,
    lang: Lang,
) -> Result<domain::indicators::WardIndicators, ApiError> {
    let url = format!("/api/indicators?{query}");
    read(
        with_headers(Request::get(&url), Some(token), lang)
            .send()
            .await,
    )
    .await
}

/// A provincial user's wards and communes side by side (`query`: `year=..&month=..`).
pub async fn province_indicators(
    token: &str,
    query: &str,
    lang: Lang,
) -> Result<domain::indicators::ProvinceIndicators, ApiError> {
    let url = format!("/api/indicators/province?{query}");
    read(
        with_headers(Request::get(&url), Some(token), lang)
            .send()
            .await,
    )
    .await
}

/// The wards whose indicators the caller may read.
pub async fn indicator_wards(
    token: &str,
    lang: Lang,
) -> Result<Vec<domain::indicators::IndicatorWard>, ApiError> {
    read(
        with_headers(Request::get("/api/indicators/wards"), Some(token), lang)
            .send()
            .await,
    )
    .await
}

/// The people of the caller's ward who file records, for the queue's author filter.
pub async fn record_authors(token: &str, lang: Lang) -> Result<Vec<domain::api::Author>, ApiError> {
    read(
        with_headers(Request::get("/api/records/authors"), Some(token), lang)
            .send()
            .await,
    )
    .await
}

/// A record's revisions, reviews and conflicting copies.
pub async fn record_history(
    token: &str,
    id: &str,
    lang: Lang,
) -> Result<domain::review::RecordHistory, ApiError> {
    let url = format!("/api/records/{id}/history");
    read(
        with_headers(Request::get(&url), Some(token), lang)
            .send()
            .await,
    )
    .await
}

/// A reviewer settles a conflict by keeping one copy.
pub async fn resolve_conflict(
    token: &str,
    id: &str,
    conflict: i64,
    keep: domain::review::Keep,
    current: Option<uuid::Uuid>,
    lang: Lang,
) -> Result<RecordSummary, ApiError> {
    let url = format!("/api/records/{id}/conflicts/{conflict}/resolve");
    let req = encode(
        with_headers(Request::post(&url), Some(token), lang),
        &domain::review::ResolveRequest { keep, current },
    )?;
    read(req.send().await).await
}

/// One review action on many records, each reviewed on its own.
pub async fn review_many(
    token: &str,
    request: &domain::review::BulkReviewRequest,
    lang: Lang,
) -> Result<Vec<domain::review::BulkReviewResult>, ApiError> {
    let req = encode(
        with_headers(Request::post("/api/records/review"), Some(token), lang),
        request,
    )?;
    read(req.send().await).await
}

pub async fn record_detail(token: &str, id: &str, lang: Lang) -> Result<RecordDetail, ApiError> {
    let url = format!("/api/records/{id}");
    read(
        with_headers(Request::get(&url), Some(token), lang)
            .send()
            .await,
    )
    .await
}

/// A supervisor or officer reviews a record (`domain::review`); its author sees the outcome at
/// their next sync.
pub async fn review(
    token: &str,
    id: &str,
    request: &domain::review::ReviewRequest,
    lang: Lang,
) -> Result<RecordSummary, ApiError> {
    let url = format!("/api/records/{id}/review");
    let req = encode(
        with_headers(Request::post(&url), Some(token), lang),
        request,
    )?;
    read(req.send().await).await
}

pub async fn photo_upload_state(
    token: &str,
    sha: &str,
    lang: Lang,
) -> Result<UploadState, ApiError> {
    let url = format!("/api/photos/{sha}/upload");
    read(
        with_headers(Request::get(&url), Some(token), lang)
            .send()
            .await,
    )
    .await
}

/// Sends bytes `offset..offset + chunk.size()` of a photo of `total` bytes.
pub async fn put_photo_chunk(
    token: &str,
    sha: &str,
    content_type: &str,
    total: u64,
    offset: u64,
    chunk: &web_sys::Blob,
    lang: Lang,
) -> Result<UploadState, ApiError> {
    let url = format!("/api/photos/{sha}");
    let req = with_headers(Request::put(&url), Some(token), lang)
        .header("Content-Type", content_type)
        .header("Upload-Length", &total.to_string())
        .header("Upload-Offset", &offset.to_string())
        .body(wasm_bindgen::JsValue::from(chunk.clone()))
        .map_err(|_| ApiError::Offline)?;
    read(req.send().await).await
}

/// A photo's bytes from the server, as a Blob the page can show.
pub async fn photo(token: &str, sha: &str, lang: Lang) -> Result<web_sys::Blob, ApiError> {
    blob(&format!("/api/photos/{sha}"), token, lang).await
}

/// Starts an export of the queue's records matching `query` (the queue's own query string).
pub async fn start_export(
    token: &str,
    format: domain::api::ExportFormat,
    query: &str,
    lang: Lang,
) -> Result<domain::api::ExportJob, ApiError> {
    let url = format!("/api/exports?format={}&{query}", format.as_str());
    read(
        with_headers(Request::post(&url), Some(token), lang)
            .send()
            .await,
    )
    .await
}

/// The caller's exports of the last day, newest first.
pub async fn exports(token: &str, lang: Lang) -> Result<Vec<domain::api::ExportJob>, ApiError> {
    read(
        with_headers(Request::get("/api/exports"), Some(token), lang)
            .send()
            .await,
    )
    .await
}

pub async fn export_status(
    token: &str,
    id: uuid::Uuid,
    lang: Lang,
) -> Result<domain::api::ExportJob, ApiError> {
    let url = format!("/api/exports/{id}");
    read(
        with_headers(Request::get(&url), Some(token), lang)
            .send()
            .await,
    )
    .await
}

/// A finished export's file.
pub async fn export_file(
    token: &str,
    id: uuid::Uuid,
    lang: Lang,
) -> Result<web_sys::Blob, ApiError> {
    blob(&format!("/api/exports/{id}/file"), token, lang).await
}

/// A binary answer as a Blob, straight from the browser (a large export is never copied through
/// the app's memory).
async fn blob(url: &str, token: &str, lang: Lang) -> Result<web_sys::Blob, ApiError> {
    let res = success(
        with_headers(Request::get(url), Some(token), lang)
            .send()
            .await,
    )
    .await?;
    let promise = web_sys::Response::from(res)
        .blob()
        .map_err(|_| ApiError::Offline)?;
    let blob = wasm_bindgen_futures::JsFuture::from(promise)
        .await
        .map_err(|_| ApiError::Offline)?;
    Ok(blob.into())
}

pub async fn list_forms(token: &str, lang: Lang) -> Result<Vec<FormVersions>, ApiError> {
    read(
        with_headers(Request::get("/api/forms"), Some(token), lang)
            .send()
            .await,
    )
    .await
}

/// One published form version's definition (the desk labels a record's fields with it).
pub async fn form_definition(
    token: &str,
    key: &str,
    version: u32,
    lang: Lang,
) -> Result<domain::form::FormDef, ApiError> {
    let url = format!("/api/forms/{key}/{version}");
    read(
        with_headers(Request::get(&url), Some(token), lang)
            .send()
            .await,
    )
    .await
}

/// Sends a definition file as it is; the server reads it strictly and names what is wrong.
pub async fn publish_form(
    token: &str,
    file_text: String,
    lang: Lang,
) -> Result<Published, ApiError> {
    let req = with_headers(Request::post("/api/forms"), Some(token), lang)
        .header("Content-Type", "application/json")
        .body(file_text)
        .map_err(|_| ApiError::Offline)?;
    read(req.send().await).await
}

// ---- administration, sessions, audit ------------------------------------------------------

async fn send_json<B: Serialize, T: DeserializeOwned>(
    builder: RequestBuilder,
    token: &str,
    body: &B,
    lang: Lang,
) -> Result<T, ApiError> {
    let req = encode(with_headers(builder, Some(token), lang), body)?;
    read(req.send().await).await
}

/// For answers with no body (204).
async fn send_empty(req: Result<Request, ApiError>) -> Result<(), ApiError> {
    let res = req?.send().await.map_err(|_| ApiError::Offline)?;
    if (200..300).contains(&res.status()) {
        return Ok(());
    }
    read::<serde_json::Value>(Ok(res)).await.map(|_| ())
}

pub async fn users(token: &str, lang: Lang) -> Result<Vec<domain::admin::UserView>, ApiError> {
    read(
        with_headers(Request::get("/api/admin/users"), Some(token), lang)
            .send()
            .await,
    )
    .await
}

pub async fn create_user(
    token: &str,
    input: &domain::admin::UserInput,
    lang: Lang,
) -> Result<domain::admin::UserView, ApiError> {
    send_json(Request::post("/api/admin/users"), token, input, lang).await
}

pub async fn update_user(
    token: &str,
    id: i64,
    input: &domain::admin::UserInput,
    lang: Lang,
) -> Result<domain::admin::UserView, ApiError> {
    send_json(
        Request::put(&format!("/api/admin/users/{id}")),
        token,
        input,
        lang,
    )
    .await
}

pub async fn reset_password(
    token: &str,
    id: i64,
    password: String,
    lang: Lang,
) -> Result<(), ApiError> {
    let body = domain::admin::PasswordInput { password };
    send_empty(encode(
        with_headers(
            Request::post(&format!("/api/admin/users/{id}/password")),
            Some(token),
            lang,
        ),
        &body,
    ))
    .await
}

pub async fn sign_out_user(token: &str, id: i64, lang: Lang) -> Result<(), ApiError> {
    send_empty(Ok(with_headers(
        Request::post(&format!("/api/admin/users/{id}/signout")),
        Some(token),
        lang,
    )
    .build()
    .map_err(|_| ApiError::Offline)?))
    .await
}

pub async fn wards(token: &str, lang: Lang) -> Result<Vec<domain::admin::WardView>, ApiError> {
    read(
        with_headers(Request::get("/api/admin/wards"), Some(token), lang)
            .send()
            .await,
    )
    .await
}

pub async fn create_ward(
    token: &str,
    input: &domain::admin::WardInput,
    lang: Lang,
) -> Result<domain::admin::WardView, ApiError> {
    send_json(Request::post("/api/admin/wards"), token, input, lang).await
}

/// Moves groups, merges or splits wards from a date (administrators).
pub async fn reorganise(
    token: &str,
    input: &domain::admin::ReorganisationInput,
    lang: Lang,
) -> Result<domain::admin::ReorganisationDone, ApiError> {
    send_json(
        Request::post("/api/admin/reorganisations"),
        token,
        input,
        lang,
    )
    .await
}

pub async fn create_group(
    token: &str,
    ward: i64,
    name: String,
    lang: Lang,
) -> Result<domain::api::Place, ApiError> {
    let body = domain::admin::NameInput { name };
    send_json(
        Request::post(&format!("/api/admin/wards/{ward}/groups")),
        token,
        &body,
        lang,
    )
    .await
}

pub async fn sessions(
    token: &str,
    lang: Lang,
) -> Result<Vec<domain::admin::SessionView>, ApiError> {
    read(
        with_headers(Request::get("/api/sessions"), Some(token), lang)
            .send()
            .await,
    )
    .await
}

pub async fn revoke_session(token: &str, id: &str, lang: Lang) -> Result<(), ApiError> {
    send_empty(Ok(with_headers(
        Request::delete(&format!("/api/sessions/{id}")),
        Some(token),
        lang,
    )
    .build()
    .map_err(|_| ApiError::Offline)?))
    .await
}

pub async fn audit(
    token: &str,
    before_id: Option<i64>,
    lang: Lang,
) -> Result<Vec<domain::admin::AuditEntry>, ApiError> {
    let url = match before_id {
        Some(b) => format!("/api/audit?limit=100&before_id={b}"),
        None => "/api/audit?limit=100".to_owned(),
    };
    read(
        with_headers(Request::get(&url), Some(token), lang)
            .send()
            .await,
    )
    .await
}

/// The audit trail as CSV text, fetched with the sign-in.
/// The audit trail's entries about one record, newest first (supervisors).
pub async fn record_audit(
    token: &str,
    id: &str,
    lang: Lang,
) -> Result<Vec<domain::admin::AuditEntry>, ApiError> {
    let url = format!("/api/audit?limit=100&entity_id={id}");
    read(
        with_headers(Request::get(&url), Some(token), lang)
            .send()
            .await,
    )
    .await
}

pub async fn audit_csv(token: &str, lang: Lang) -> Result<String, ApiError> {
    let res = with_headers(Request::get("/api/audit/export"), Some(token), lang)
        .send()
        .await
        .map_err(|_| ApiError::Offline)?;
    if !res.ok() {
        return read::<serde_json::Value>(Ok(res))
            .await
            .and(Err(ApiError::Offline));
    }
    res.text().await.map_err(|_| ApiError::Offline)
}

pub async fn update_ward(
    token: &str,
    id: i64,
    input: &domain::admin::WardInput,
    lang: Lang,
) -> Result<(), ApiError> {
    send_empty(encode(
        with_headers(
            Request::put(&format!("/api/admin/wards/{id}")),
            Some(token),
            lang,
        ),
        input,
    ))
    .await
}

pub async fn rename_group(
    token: &str,
    id: i64,
    name: String,
    lang: Lang,
) -> Result<domain::api::Place, ApiError> {
    let body = domain::admin::NameInput { name };
    send_json(
        Request::put(&format!("/api/admin/groups/{id}")),
        token,
        &body,
        lang,
    )
    .await
}
