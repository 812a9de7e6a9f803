//! Passwords (Argon2id), sessions (random tokens, stored only as SHA-256) and the [`Caller`]
//! extractor that every route but sign-in uses ([`Signed`] where the handler reads on the
//! session's connection).

use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::{Algorithm, Argon2, Params, Version};
use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use base64::Engine;
use domain::api::{Me, Place, Role};
use rand::RngCore;
use sha2::{Digest, Sha256};
use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyConnection, Row};

use crate::error::AppError;
use crate::AppState;

/// Argon2id with 7 MiB and 5 passes: one of OWASP's equivalent settings (as strong as the
/// 19 MiB, 2-pass default) that keeps a small ward server's memory low while people sign in.
/// Stored hashes carry their own parameters, so verifying older ones keeps working.
fn argon2() -> Argon2<'static> {
    let params = Params::new(7 * 1024, 5, 1, None).expect("valid Argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// The same password typed on any keyboard: Vietnamese letters may arrive precomposed (Android)
/// or as a letter plus combining marks (Unikey's "Unicode tổ hợp" on a PC).
pub fn normalize_password(password: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    password.nfc().collect()
}

pub fn hash_password(password: &str) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    argon2()
        .hash_password(normalize_password(password).as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("hashing failed: {e}"))
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| {
        let normalized = normalize_password(password);
        argon2()
            .verify_password(normalized.as_bytes(), &parsed)
            .is_ok()
            // Hashes made before normalization: the bytes as they were typed.
            || (normalized != password
                && argon2().verify_password(password.as_bytes(), &parsed).is_ok())
    })
}

/// A new session token: 32 random bytes, base64url. Only its hash is stored.
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// The signed-in user making the request, with their role and place.
#[derive(Debug, Clone)]
pub struct Caller {
    pub user_id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub ward_id: Option<i64>,
    pub group_id: Option<i64>,
    /// A provincial user's province.
    pub province_id: Option<i64>,
    /// The hash of the session token this request came with.
    pub session: String,
    /// When the account was made (ms): a push files nothing earlier, read with the session so
    /// that a push needs no statement of its own for it.
    pub created_at: i64,
}

/// The session token a request carries (`Authorization: Bearer …`).
fn bearer(parts: &Parts) -> Result<&str, AppError> {
    parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or(AppError::Unauthenticated)
}

impl Caller {
    /// The signed-in user whose session's token hash is `session`, read on `conn`, and when
    /// the session ends. Read from the primary database, never a replica: a caller kept after
    /// this read is forgotten when the primary notifies a change (`crate::sessions`), which a
    /// replica may not have applied yet.
    async fn of_session(
        conn: &mut AnyConnection,
        session: String,
    ) -> Result<(Caller, i64), AppError> {
        let row = sqlx::query(
            "SELECT u.id, u.username, u.display_name, u.role, u.ward_id, u.group_id, \
                    s.expires_at, s.revoked_at, u.active, u.province_id, u.created_at \
             FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1",
        )
        .bind(&session)
        .fetch_optional(conn)
        .await?
        .ok_or(AppError::Unauthenticated)?;
        let expires_at: i64 = row.get(6);
        let revoked_at: Option<i64> = row.get(7);
        let active: i64 = row.get(8);
        if revoked_at.is_some() || expires_at <= crate::now_ms() || active == 0 {
            return Err(AppError::SessionExpired);
        }
        let role: String = row.get(3);
        let caller = Caller {
            user_id: row.get(0),
            username: row.get(1),
            display_name: row.get(2),
            role: Role::parse(&role).ok_or_else(|| anyhow::anyhow!("unknown role {role:?}"))?,
            ward_id: row.get(4),
            group_id: row.get(5),
            province_id: row.get(9),
            session,
            created_at: row.get(10),
        };
        Ok((caller, expires_at))
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        // The connection goes back to the pool here.
        Ok(Signed::from_request_parts(parts, state).await?.caller)
    }
}

/// The caller with the connection their session was read on, for a handler that reads on it.
///
/// sqlx tests a connection with a round trip to the database every time it goes back to the
/// pool (`PoolConnection`'s return), so a request whose statements each take their own
/// connection pays one round trip more per statement; on PostgreSQL those round trips were a
/// large part of the server's and the database's CPU (`perf record` of `cargo xtask bench
/// load --postgres`: a quarter of the work in the kernel, spread over sockets and task
/// switches). A handler that takes `Signed` reads through `conn` and must drop it before it
/// takes any other connection (a write through `Db::writer`, `Db::form`): on PostgreSQL the
/// writer is the same pool, and requests each holding one connection while waiting for a
/// second could take the whole pool and wait for ever. Only for a request without a body: the
/// connection would be held while a slow phone sends it.
pub struct Signed {
    pub caller: Caller,
    pub conn: PoolConnection<Any>,
}

impl FromRequestParts<AppState> for Signed {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let session = token_hash(bearer(parts)?);
        let mut conn = state.db.pool.acquire().await?;
        let sessions = &state.db.sessions;
        if let Some(caller) = sessions.get(&session, crate::now_ms()) {
            return Ok(Signed { caller, conn });
        }
        // Taken before the read: a change committed meanwhile keeps this caller out.
        let generation = sessions.generation();
        let (caller, expires_at) = Caller::of_session(&mut conn, session).await?;
        if let Some(generation) = generation {
            sessions.put(generation, &caller.session, expires_at, &caller);
        }
        Ok(Signed { caller, conn })
    }
}

/// The caller's identity with the names of their places, as the app shows it.
pub async fn me(conn: &mut AnyConnection, caller: &Caller) -> sqlx::Result<Me> {
    let (ward, ward_kind) = match caller.ward_id {
        Some(id) => sqlx::query("SELECT id, name, kind FROM wards WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?
            .map(|r| {
                (
                    Some(Place {
                        id: r.get(0),
                        name: r.get(1),
                    }),
                    domain::admin::WardKind::parse(&r.get::<String, _>(2)),
                )
            })
            .unwrap_or_default(),
        None => (None, None),
    };
    let groups: Vec<Place> = match (caller.role, caller.ward_id, caller.group_id) {
        (Role::GroupLeader, _, Some(group)) => {
            sqlx::query("SELECT id, name FROM residential_groups WHERE id = $1")
                .bind(group)
                .fetch_all(&mut *conn)
                .await?
        }
        // An officer's own groups come first, so a new record starts in one of them.
        (Role::Officer | Role::Supervisor, Some(ward), _) => {
            sqlx::query(
                "SELECT g.id, g.name FROM residential_groups g \
             LEFT JOIN officer_groups o ON o.group_id = g.id AND o.user_id = $2 \
             WHERE g.ward_id = $1 ORDER BY CASE WHEN o.user_id IS NULL THEN 1 ELSE 0 END, g.id",
            )
            .bind(ward)
            .bind(caller.user_id)
            .fetch_all(&mut *conn)
            .await?
        }
        _ => Vec::new(),
    }
    .into_iter()
    .map(|r| Place {
        id: r.get(0),
        name: r.get(1),
    })
    .collect();
    let province = match caller.province_id {
        Some(id) => sqlx::query("SELECT id, name FROM provinces WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?
            .map(|r| Place {
                id: r.get(0),
                name: r.get(1),
            }),
        None => None,
    };
    let group = caller
        .group_id
        .and_then(|g| groups.iter().find(|p| p.id == g).cloned());
    Ok(Me {
        user_id: caller.user_id,
        username: caller.username.clone(),
        display_name: caller.display_name.clone(),
        role: caller.role,
        ward,
        group,
        groups,
        province,
        ward_kind,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_hashed_with_argon2id_and_verify_only_themselves() {
        let hash = hash_password("mật khẩu dài của tổ trưởng").unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=7168,t=5,p=1$"), "{hash}");
        assert!(verify_password("mật khẩu dài của tổ trưởng", &hash));
        assert!(!verify_password("mat khau dai cua to truong", &hash));
        assert!(!verify_password("anything", "not a hash"));
        // Composed and decomposed Vietnamese are the same password.
        let composed = "ngõ năm mươi hai";
        let decomposed: String =
            unicode_normalization::UnicodeNormalization::nfd(composed).collect();
        assert_ne!(composed, decomposed);
        let hash = hash_password(&decomposed).unwrap();
        assert!(verify_password(composed, &hash));
    }

    #[test]
    fn tokens_are_random_and_stored_only_as_their_hash() {
        let (a, b) = (new_token(), new_token());
        assert_ne!(a, b);
        assert_eq!(a.len(), 43, "32 bytes, base64url");
        assert_eq!(token_hash(&a).len(), 64);
        assert_ne!(token_hash(&a), a);
    }
}
