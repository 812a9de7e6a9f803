//! One error type for every route. Each becomes the JSON [`ErrorBody`] with the right status, in
//! the caller's language; a 5xx says nothing internal to the caller and logs the details.

use axum::extract::rejection::{BytesRejection, JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use domain::api::ErrorBody;
use domain::form::DefError;
use domain::review::Refusal;
use domain::validate::{FieldError, Violation};
use domain::{Lang, Text};

tokio::task_local! {
    /// The language of the request being answered, set by [`language_scope`].
    static LANG: Lang;
}

/// Runs `f` answering in `lang` (the command line's language, for code shared with the API).
pub async fn in_language<F: std::future::Future>(lang: Lang, f: F) -> F::Output {
    LANG.scope(lang, f).await
}

/// Runs `f` answering in `lang`, outside any request's scope (middleware that runs before
/// [`language_scope`]).
pub fn with_language<R>(lang: Lang, f: impl FnOnce() -> R) -> R {
    LANG.sync_scope(lang, f)
}

/// The language `Accept-Language` asks for; Vietnamese when absent or unsupported.
pub fn lang_of(headers: &axum::http::HeaderMap) -> Lang {
    headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .map(Lang::from_accept_language)
        .unwrap_or_default()
}

/// The caller's language: `Accept-Language`, Vietnamese when absent or unsupported.
pub fn request_lang() -> Lang {
    LANG.try_with(|l| *l).unwrap_or_default()
}

/// Middleware: answers every error of the request in the caller's language.
pub async fn language_scope(req: Request, next: Next) -> Response {
    let lang = lang_of(req.headers());
    LANG.scope(lang, next.run(req)).await
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("malformed request: {0}")]
    BadRequest(String),
    #[error("not signed in")]
    Unauthenticated,
    #[error("session expired or revoked")]
    SessionExpired,
    #[error("wrong username or password")]
    BadCredentials,
    #[error("forbidden")]
    Forbidden,
    #[error("not found")]
    NotFound,
    /// Not found, with why in both languages (a month that has not begun has no report yet).
    #[error("not found: {0:?}")]
    NotFoundSaying(Text),
    #[error("request too large")]
    TooLarge,
    #[error("batch too large")]
    BatchTooLarge { max: usize },
    #[error("invalid input")]
    Validation {
        message: Option<String>,
        fields: Vec<FieldError>,
    },
    /// A form definition file that cannot be published: where and what, in the caller's language.
    #[error("invalid form definition: {0}")]
    InvalidForm(DefError),
    #[error("unsupported media type")]
    UnsupportedMediaType,
    /// A photo that is not JPEG or WebP.
    #[error("photo type not accepted")]
    PhotoType,
    /// A photo larger than the server keeps.
    #[error("photo too large")]
    PhotoTooLarge { max_mb: u64 },
    /// A photo chunk that does not start where the upload stands; resume from `received`.
    #[error("upload is at {received}")]
    UploadOffset { received: u64 },
    /// All of a photo arrived but it does not match its name or its type.
    #[error("photo damaged in transit")]
    PhotoDamaged,
    #[error("method not allowed")]
    MethodNotAllowed,
    /// Too much work at once (every database connection busy, too many exports running): try
    /// again shortly.
    #[error("server busy")]
    Busy,
    /// The request (or its body) did not arrive in time.
    #[error("request timed out")]
    RequestTimeout,
    #[error("too many failed sign-ins")]
    TooManyAttempts { retry_after_secs: i64 },
    /// The export asked for is still being made: its file comes when it is done.
    #[error("export not ready")]
    ExportNotReady,
    /// The caller already has `running` exports building: wait for one to finish.
    #[error("{running} exports still running")]
    ExportsRunning { running: i64 },
    /// A review the state machine refuses: not a reviewer, one's own record, a state the
    /// action does not start from (someone else was quicker), a missing comment.
    #[error("review refused: {0:?}")]
    Review(domain::review::Refusal),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<crate::forms::PublishError> for AppError {
    fn from(e: crate::forms::PublishError) -> Self {
        match e {
            crate::forms::PublishError::Invalid(e) => AppError::InvalidForm(e),
            crate::forms::PublishError::Internal(e) => AppError::Internal(e),
        }
    }
}

impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> Self {
        match e {
            // Every connection is taken: overload, not a fault; the caller should come back.
            sqlx::Error::PoolTimedOut => {
                tracing::warn!("no database connection free in time: answering busy");
                AppError::Busy
            }
            e => AppError::Internal(e.into()),
        }
    }
}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    fn status(&self) -> StatusCode {
        match self {
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Unauthenticated | AppError::SessionExpired | AppError::BadCredentials => {
                StatusCode::UNAUTHORIZED
            }
            AppError::Forbidden => StatusCode::FORBIDDEN,
            AppError::NotFound | AppError::NotFoundSaying(_) => StatusCode::NOT_FOUND,
            AppError::TooLarge
            | AppError::BatchTooLarge { .. }
            | AppError::PhotoTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::PhotoType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::UploadOffset { .. } | AppError::ExportNotReady => StatusCode::CONFLICT,
            AppError::PhotoDamaged => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::Validation { .. } | AppError::InvalidForm(_) => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            AppError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            AppError::TooManyAttempts { .. } | AppError::ExportsRunning { .. } => {
                StatusCode::TOO_MANY_REQUESTS
            }
            AppError::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            AppError::Busy => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Review(r) => match r {
                Refusal::NotAReviewer | Refusal::OwnRecord | Refusal::NotResubmittable => {
                    StatusCode::FORBIDDEN
                }
                Refusal::WrongState { .. }
                | Refusal::AlreadySettled
                | Refusal::ChangedMeanwhile => StatusCode::CONFLICT,
                Refusal::NotAReport
                | Refusal::CommentRequired(_)
                | Refusal::CommentTooLong
                | Refusal::CommentUnreadable
                | Refusal::CopyInvalid => StatusCode::UNPROCESSABLE_ENTITY,
            },
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            AppError::BadRequest(_) => "bad_request",
            AppError::Unauthenticated => "unauthenticated",
            AppError::SessionExpired => "session_expired",
            AppError::BadCredentials => "bad_credentials",
            AppError::Forbidden => "forbidden",
            AppError::NotFound | AppError::NotFoundSaying(_) => "not_found",
            AppError::TooLarge => "too_large",
            AppError::BatchTooLarge { .. } => "batch_too_large",
            AppError::Validation { .. } => "validation",
            AppError::InvalidForm(_) => "invalid_form",
            AppError::UnsupportedMediaType => "unsupported_media_type",
            AppError::PhotoType => "photo_type",
            AppError::PhotoTooLarge { .. } => "photo_too_large",
            AppError::UploadOffset { .. } => "upload_offset",
            AppError::PhotoDamaged => "photo_damaged",
            AppError::MethodNotAllowed => "method_not_allowed",
            AppError::TooManyAttempts { .. } => "too_many_attempts",
            AppError::ExportsRunning { .. } => "exports_running",
            AppError::ExportNotReady => "not_ready",
            AppError::RequestTimeout => "request_timeout",
            AppError::Busy => "busy",
            AppError::Review(r) => match r {
                Refusal::NotAReviewer | Refusal::OwnRecord | Refusal::NotResubmittable => {
                    "forbidden"
                }
                Refusal::WrongState { .. }
                | Refusal::AlreadySettled
                | Refusal::ChangedMeanwhile => "wrong_state",
                Refusal::NotAReport
                | Refusal::CommentRequired(_)
                | Refusal::CommentTooLong
                | Refusal::CommentUnreadable
                | Refusal::CopyInvalid => "validation",
            },
            AppError::Internal(_) => "internal",
        }
    }

    /// The message in both languages: every error must give both (a missing one does not
    /// compile), and the caller's language picks one.
    fn text(&self) -> Text {
        let t = |vi: &str, en: &str| Text::new(vi, en);
        match self {
            AppError::BadRequest(detail) => Text::new(
                format!("Yêu cầu không hợp lệ: {detail}"),
                format!("The request is not valid: {detail}"),
            ),
            AppError::Unauthenticated => t("Bạn cần đăng nhập.", "Please sign in."),
            AppError::SessionExpired => t(
                "Phiên đăng nhập đã hết hạn. Hãy đăng nhập lại; dữ liệu chưa gửi vẫn được giữ.",
                "Your sign-in has expired. Please sign in again; unsent records are kept.",
            ),
            AppError::BadCredentials => t(
                "Sai tên đăng nhập hoặc mật khẩu.",
                "Wrong username or password.",
            ),
            AppError::Forbidden => t(
                "Bạn không có quyền làm việc này.",
                "You are not allowed to do this.",
            ),
            AppError::NotFound => t("Không tìm thấy.", "Not found."),
            AppError::NotFoundSaying(text) => text.clone(),
            AppError::TooLarge => t("Dữ liệu gửi lên quá lớn.", "The request is too large."),
            AppError::BatchTooLarge { max } => Text::new(
                format!("Mỗi lần tối đa {max} hồ sơ."),
                format!("At most {max} records at a time."),
            ),
            // Already in the caller's language (made where the request was read).
            AppError::Validation {
                message: Some(m), ..
            } => Text::new(m.clone(), m.clone()),
            AppError::Validation { message: None, .. } => {
                t("Có mục chưa hợp lệ.", "Some fields are not valid.")
            }
            AppError::InvalidForm(e) => Text::new(e.message(Lang::Vi), e.message(Lang::En)),
            AppError::UnsupportedMediaType => {
                t("Dữ liệu phải ở dạng JSON.", "The body must be JSON.")
            }
            AppError::PhotoType => t(
                "Ảnh phải ở dạng JPEG hoặc WebP.",
                "Photos must be JPEG or WebP.",
            ),
            AppError::PhotoTooLarge { max_mb } => Text::new(
                format!("Ảnh quá lớn: tối đa {max_mb} MB."),
                format!("The photo is too large: at most {max_mb} MB."),
            ),
            AppError::UploadOffset { received } => Text::new(
                format!("Máy chủ đã nhận {received} byte của ảnh; hãy gửi tiếp từ đó."),
                format!("The server holds {received} bytes of this photo; continue from there."),
            ),
            AppError::PhotoDamaged => t(
                "Ảnh bị hỏng trên đường truyền; ảnh sẽ được gửi lại.",
                "The photo was damaged on the way; it will be sent again.",
            ),
            AppError::MethodNotAllowed => t(
                "Địa chỉ này không nhận kiểu yêu cầu đó.",
                "This address does not accept that method.",
            ),
            AppError::TooManyAttempts {
                retry_after_secs: s,
            } if *s < 60 => Text::new(
                format!("Đăng nhập sai quá nhiều lần. Hãy thử lại sau {s} giây."),
                format!("Too many failed sign-ins. Try again in {s} seconds."),
            ),
            AppError::TooManyAttempts {
                retry_after_secs: s,
            } => Text::new(
                format!(
                    "Đăng nhập sai quá nhiều lần. Hãy thử lại sau {} phút.",
                    (s + 59) / 60
                ),
                format!(
                    "Too many failed sign-ins. Try again in {} minutes.",
                    (s + 59) / 60
                ),
            ),
            AppError::ExportNotReady => t(
                "Dữ liệu còn đang được xuất. Hãy chờ xong rồi tải về.",
                "The export is still being made. Download it once it is done.",
            ),
            AppError::ExportsRunning { running } => Text::new(
                format!(
                    "Bạn đang có {running} lần xuất chưa xong. Hãy chờ chúng xong rồi xuất tiếp."
                ),
                format!("You have {running} exports still running. Wait for them to finish."),
            ),
            AppError::Busy => t(
                "Máy chủ đang quá tải. Hãy thử lại sau ít phút.",
                "The server is busy. Please try again in a few minutes.",
            ),
            AppError::RequestTimeout => t(
                "Yêu cầu mất quá nhiều thời gian nên đã bị dừng; hãy gửi lại.",
                "The request took too long and was stopped; send it again.",
            ),
            AppError::Review(r) => r.text(),
            AppError::Internal(_) => t(
                "Máy chủ gặp lỗi. Hãy thử lại sau.",
                "The server had a problem. Please try again later.",
            ),
        }
    }

    /// Input refused as a whole (422), with `text` in the caller's language and no field named.
    pub fn invalid(text: Text) -> AppError {
        AppError::Validation {
            message: Some(text.get(request_lang()).to_owned()),
            fields: Vec::new(),
        }
    }

    pub(crate) fn message(&self, lang: Lang) -> String {
        self.text().get(lang).to_owned()
    }

    pub fn body(&self, lang: Lang) -> ErrorBody {
        let fields = match self {
            AppError::Validation { fields, .. } => fields.clone(),
            AppError::InvalidForm(e) => vec![definition_error_entry(e, lang)],
            _ => Vec::new(),
        };
        ErrorBody {
            code: self.code().into(),
            message: self.message(lang),
            fields,
        }
    }
}

/// A refused definition as the one entry of the body's field list: `field` is the path in the
/// definition (`violations.kind`; empty for the form itself) and `message` the whole message,
/// also in both languages in `violation` so a client may re-render it.
fn definition_error_entry(e: &DefError, lang: Lang) -> FieldError {
    FieldError {
        field: e.path.clone(),
        violation: Violation::Invalid {
            reason: Text::new(e.message(Lang::Vi), e.message(Lang::En)),
        },
        message: e.message(lang),
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        if let AppError::Internal(e) = &self {
            tracing::error!(error = ?e, "internal error");
        }
        let status = self.status();
        let mut res = (status, axum::Json(self.body(request_lang()))).into_response();
        let retry_after = match self {
            AppError::TooManyAttempts { retry_after_secs } => Some(retry_after_secs),
            AppError::Busy => Some(5),
            // An export takes seconds; asking again sooner finds the same.
            AppError::ExportsRunning { .. } => Some(10),
            _ => None,
        };
        if let Some(secs) = retry_after {
            if let Ok(v) = axum::http::HeaderValue::from_str(&secs.to_string()) {
                res.headers_mut().insert(header::RETRY_AFTER, v);
            }
        }
        res
    }
}

/// A raw body that could not be read: it stalled (408), it is over the limit (413), or it is
/// otherwise unreadable (400).
impl From<BytesRejection> for AppError {
    fn from(r: BytesRejection) -> Self {
        match r.status() {
            _ if crate::serve::is_body_timeout(&r) => AppError::RequestTimeout,
            StatusCode::PAYLOAD_TOO_LARGE => AppError::TooLarge,
            _ => AppError::BadRequest(r.body_text()),
        }
    }
}

/// `Json` whose rejections answer with [`ErrorBody`] like every other error.
pub struct AppJson<T>(pub T);

impl<S, T> FromRequest<S> for AppJson<T>
where
    axum::Json<T>: FromRequest<S, Rejection = JsonRejection>,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(AppJson(v)),
            Err(rejection) if crate::serve::is_body_timeout(&rejection) => {
                Err(AppError::RequestTimeout)
            }
            Err(rejection) => Err(match rejection.status() {
                StatusCode::PAYLOAD_TOO_LARGE => AppError::TooLarge,
                StatusCode::UNSUPPORTED_MEDIA_TYPE => AppError::UnsupportedMediaType,
                // Well-formed JSON of the wrong shape: the body text names the place.
                StatusCode::UNPROCESSABLE_ENTITY => AppError::Validation {
                    message: Some(match request_lang() {
                        Lang::Vi => format!("Dữ liệu sai kiểu: {}", rejection.body_text()),
                        Lang::En => format!("Wrong data types: {}", rejection.body_text()),
                    }),
                    fields: Vec::new(),
                },
                _ => AppError::BadRequest(rejection.body_text()),
            }),
        }
    }
}

/// A rejected path or query string: the caller's mistake, unless axum reports its own (5xx).
fn url_rejection(status: StatusCode, text: String) -> AppError {
    if status.is_server_error() {
        AppError::Internal(anyhow::anyhow!(text))
    } else {
        AppError::BadRequest(text)
    }
}

/// `Path` whose rejections answer with [`ErrorBody`] like every other error.
pub struct AppPath<T>(pub T);

impl<S, T> FromRequestParts<S> for AppPath<T>
where
    axum::extract::Path<T>: FromRequestParts<S, Rejection = PathRejection>,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(v)| AppPath(v))
            .map_err(|r| url_rejection(r.status(), r.body_text()))
    }
}

/// `Query` whose rejections answer with [`ErrorBody`] like every other error.
pub struct AppQuery<T>(pub T);

impl<S, T> FromRequestParts<S> for AppQuery<T>
where
    axum::extract::Query<T>: FromRequestParts<S, Rejection = QueryRejection>,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Query(v)| AppQuery(v))
            .map_err(|r| url_rejection(r.status(), r.body_text()))
    }
}

impl<T: serde::Serialize> IntoResponse for AppJson<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_says_itself_in_vietnamese_and_in_english() {
        let all = [
            AppError::BadRequest("x".into()),
            AppError::Unauthenticated,
            AppError::SessionExpired,
            AppError::BadCredentials,
            AppError::Forbidden,
            AppError::NotFound,
            AppError::TooLarge,
            AppError::BatchTooLarge { max: 200 },
            AppError::Validation {
                message: None,
                fields: Vec::new(),
            },
            AppError::UnsupportedMediaType,
            AppError::PhotoType,
            AppError::PhotoTooLarge { max_mb: 4 },
            AppError::UploadOffset { received: 7 },
            AppError::PhotoDamaged,
            AppError::MethodNotAllowed,
            AppError::TooManyAttempts {
                retry_after_secs: 5,
            },
            AppError::TooManyAttempts {
                retry_after_secs: 900,
            },
            AppError::Busy,
            AppError::RequestTimeout,
            AppError::Internal(anyhow::anyhow!("x")),
        ];
        for e in all {
            let (vi, en) = (e.message(Lang::Vi), e.message(Lang::En));
            assert!(!vi.is_empty() && !en.is_empty(), "{e:?}");
            assert_ne!(vi, en, "{e:?} says the same in both languages");
        }
    }

    #[test]
    fn no_free_database_connection_is_busy_with_a_retry_not_an_internal_error() {
        let res = AppError::from(sqlx::Error::PoolTimedOut).into_response();
        assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(res.headers()[header::RETRY_AFTER], "5");
        let other = AppError::from(sqlx::Error::RowNotFound).into_response();
        assert_eq!(other.status(), StatusCode::INTERNAL_SERVER_ERROR);
    }
}
