//! `POST /api/auth/login`, `POST /api/auth/logout`, `GET /api/me`.

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::{Json, Router};
use domain::api::{LoginRequest, LoginResponse, Me};
use sqlx::Row;

use crate::auth::{hash_password, new_token, token_hash, verify_password, Caller, Signed};
use crate::db::{record_audit, Audit};
use crate::error::{AppError, AppJson, AppResult};
use crate::throttle::{Begin, Keys};
use crate::{now_ms, AppState};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/auth/login", post(login))
        .route("/auth/logout", post(logout))
        .route("/me", get(me))
}

/// Writes the audit entry of a key that has just started to be slowed: once per crossing, not
/// once per refused attempt.
async fn audit_slowed(state: &AppState, username: &str, address: &str) -> AppResult<()> {
    tracing::warn!(%username, %address, "sign-in slowed: too many failures");
    let user: Option<(i64, Option<i64>)> =
        sqlx::query("SELECT id, ward_id FROM users WHERE username = $1")
            .bind(username)
            .fetch_optional(&state.db.pool)
            .await?
            .map(|r| (r.get(0), r.get(1)));
    let mut conn = state.db.writer.acquire().await?;
    record_audit(
        &mut conn,
        Audit {
            actor: None,
            action: "session.refused",
            entity: "user",
            entity_id: &user.map_or_else(|| username.to_owned(), |u| u.0.to_string()),
            ward_id: user.and_then(|u| u.1),
            before: None,
            after: None,
            detail: &format!("too many failed sign-ins from {address}"),
        },
    )
    .await?;
    Ok(())
}

/// Password checks running at once.
static VERIFYING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(4);

#[utoipa::path(post, path = "/api/auth/login", tag = "auth", summary = "Sign in: a bearer token for this device", security(), request_body = domain::api::LoginRequest, responses(
    (status = 200, body = domain::api::LoginResponse),
    (status = 401, description = "Wrong username or password", body = domain::api::ErrorBody),
    (status = 429, description = "Too many failed sign-ins for this account or address; see Retry-After", body = domain::api::ErrorBody),
))]
pub(crate) async fn login(
    State(state): State<AppState>,
    headers: HeaderMap,
    extensions: axum::http::Extensions,
    AppJson(req): AppJson<LoginRequest>,
) -> AppResult<Json<LoginResponse>> {
    let username = req.username.trim().to_lowercase();
    if username.is_empty() || username.len() > 100 || req.password.len() > 1000 {
        return Err(AppError::BadCredentials);
    }
    // The peer's address (none without a listener, in in-process tests), or behind trusted
    // proxies the address they saw.
    let peer = extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip());
    // Every X-Forwarded-For line, in order: a proxy may add its own line instead of appending.
    let forwarded: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    let forwarded = (!forwarded.is_empty()).then(|| forwarded.join(","));
    let address = state.config.client_address(peer, forwarded.as_deref());
    // Counted as a failure until the password proves right (forgiven below); refused here,
    // before any hashing or database write, while the account at this address or the address
    // itself must wait.
    let keys = Keys::new(&username, &address);
    let newly_slowed = match state.throttle.begin(&keys).await? {
        Begin::Wait { ms } => {
            return Err(AppError::TooManyAttempts {
                retry_after_secs: (ms + 999) / 1000,
            })
        }
        Begin::Allowed { newly_slowed } => newly_slowed,
    };
    let row = sqlx::query("SELECT id, password_hash, active FROM users WHERE username = $1")
        .bind(&username)
        .fetch_optional(&state.db.pool)
        .await?;
    // Unknown users cost the same hashing time as known ones, so timing does not tell them apart.
    let (user_id, hash, active) = match row {
        Some(r) => (
            r.get::<i64, _>(0),
            r.get::<String, _>(1),
            r.get::<i64, _>(2),
        ),
        None => (0, dummy_hash().to_owned(), 0),
    };
    let password = req.password;
    // At most a few hashes at once: each takes 7 MiB, and a burst of guesses must not exhaust
    // the server's memory.
    let ok = {
        let _permit = VERIFYING.acquire().await.map_err(anyhow::Error::from)?;
        tokio::task::spawn_blocking(move || verify_password(&password, &hash))
            .await
            .map_err(anyhow::Error::from)?
    };
    if !ok || active == 0 {
        if newly_slowed {
            // Once, when a failure starts the delays for this account or address.
            audit_slowed(&state, &username, &address).await?;
        }
        return Err(AppError::BadCredentials);
    }
    let token = new_token();
    let now = now_ms();
    let expires_at = now + state.config.session_hours * 3_600_000;
    let agent: String = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .chars()
        .take(200)
        .collect();
    let mut tx = state.db.writer.begin().await?;
    sqlx::query(
        "INSERT INTO sessions (token_hash, user_id, created_at, expires_at, user_agent) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(token_hash(&token))
    .bind(user_id)
    .bind(now)
    .bind(expires_at)
    .bind(agent)
    .execute(&mut *tx)
    .await?;
    let ward: Option<i64> = sqlx::query_scalar("SELECT ward_id FROM users WHERE id = $1")
        .bind(user_id)
        .fetch_one(&mut *tx)
        .await?;
    let session_id: String = token_hash(&token).chars().take(16).collect();
    record_audit(
        &mut tx,
        Audit {
            actor: Some(user_id),
            action: "session.create",
            entity: "session",
            entity_id: &session_id,
            ward_id: ward,
            before: None,
            after: None,
            detail: "",
        },
    )
    .await?;
    tx.commit().await?;
    // The session exists now: failing to forgive the attempt must not lose it.
    if let Err(e) = state.throttle.succeeded(&keys).await {
        tracing::warn!(error = ?e, "cannot clear the sign-in count");
    }
    let caller = caller_by_id(&state, user_id, token_hash(&token)).await?;
    let me = crate::auth::me(&mut *state.db.pool.acquire().await?, &caller).await?;
    Ok(Json(LoginResponse {
        token,
        expires_at,
        me,
    }))
}

fn dummy_hash() -> &'static str {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| hash_password("not a real password").expect("hashing works"))
}

async fn caller_by_id(state: &AppState, user_id: i64, session: String) -> AppResult<Caller> {
    let r = sqlx::query(
        "SELECT username, display_name, role, ward_id, group_id, province_id, created_at FROM users \
         WHERE id = $1",
    )
    .bind(user_id)
    .fetch_one(&state.db.pool)
    .await?;
    let role: String = r.get(2);
    Ok(Caller {
        user_id,
        username: r.get(0),
        display_name: r.get(1),
        role: domain::api::Role::parse(&role)
            .ok_or_else(|| anyhow::anyhow!("unknown role {role:?}"))?,
        ward_id: r.get(3),
        group_id: r.get(4),
        province_id: r.get(5),
        session,
        created_at: r.get(6),
    })
}

#[utoipa::path(post, path = "/api/auth/logout", tag = "auth", summary = "Sign this device out", responses((status = 204, description = "The session is revoked")))]
pub(crate) async fn logout(State(state): State<AppState>, caller: Caller) -> AppResult<StatusCode> {
    let mut tx = state.db.writer.begin().await?;
    sqlx::query("UPDATE sessions SET revoked_at = $1 WHERE token_hash = $2 AND revoked_at IS NULL")
        .bind(now_ms())
        .bind(&caller.session)
        .execute(&mut *tx)
        .await?;
    record_audit(
        &mut tx,
        Audit {
            actor: Some(caller.user_id),
            action: "session.revoke",
            entity: "session",
            entity_id: &caller.session.chars().take(16).collect::<String>(),
            ward_id: caller.ward_id,
            before: None,
            after: None,
            detail: "sign-out",
        },
    )
    .await?;
    state.db.sessions.commit(tx).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/me", tag = "auth", summary = "Who is signed in, their role and place", responses((status = 200, body = domain::api::Me)))]
pub(crate) async fn me(Signed { caller, mut conn }: Signed) -> AppResult<Json<Me>> {
    Ok(Json(crate::auth::me(&mut conn, &caller).await?))
}
