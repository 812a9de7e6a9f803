//! Publishing and listing form definitions: the one code path behind `POST /api/forms`,
//! `GET /api/forms` and the `wardbook form` commands.
//!
//! A definition file is read strictly by [`FormDef::parse`]. The server gives the version: the
//! latest version of the key plus one (1 for a new key); a `version` written in the file is
//! ignored. A definition that says the same as the latest version stores nothing, so publishing
//! the same file twice is harmless. Published versions are never changed or removed.

use std::collections::BTreeMap;

use domain::form::{DefError, DefProblem, FormDef};
use sqlx::Row;

use crate::db::{Db, PublishRule};
pub use domain::api::{FormVersion, FormVersions, Published};

/// Why a publication failed.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    /// The definition file is refused; the error names the place and the problem.
    #[error("{0}")]
    Invalid(DefError),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

/// Reads a definition file (UTF-8 JSON) and publishes it as the next version of its form.
/// `actor` is the administrator (none from the command line); `source` goes to the audit trail.
pub async fn publish(
    db: &Db,
    file: &[u8],
    actor: Option<i64>,
    source: &str,
) -> Result<Published, PublishError> {
    let text = std::str::from_utf8(file).map_err(|e| {
        PublishError::Invalid(DefError {
            path: String::new(),
            problem: DefProblem::NotJson(format!("not UTF-8 text: {e}")),
        })
    })?;
    let form = FormDef::parse(text).map_err(PublishError::Invalid)?;
    let publication = db
        .publish_form(&form, PublishRule::NextVersion, actor, source)
        .await?;
    Ok(Published {
        key: form.key,
        version: publication.version,
        unchanged: !publication.stored,
    })
}

/// Every published form with its versions, by key.
pub async fn list(db: &Db) -> anyhow::Result<Vec<FormVersions>> {
    let rows = sqlx::query("SELECT form_key, version, published_at FROM forms")
        .fetch_all(&db.pool)
        .await?;
    let mut by_key: BTreeMap<String, Vec<FormVersion>> = BTreeMap::new();
    for r in rows {
        by_key.entry(r.get(0)).or_default().push(FormVersion {
            version: u32::try_from(r.get::<i64, _>(1))?,
            published_at: r.get(2),
        });
    }
    let mut out = Vec::with_capacity(by_key.len());
    for (key, mut versions) in by_key {
        versions.sort_by_key(|v| std::cmp::Reverse(v.version));
        let latest = versions[0].version;
        let form = db
            .form(&key, latest)
            .await?
            .ok_or_else(|| anyhow::anyhow!("stored form {key}@{latest} does not read"))?;
        out.push(FormVersions {
            key,
            title: form.title.clone(),
            versions,
        });
    }
    Ok(out)
}

/// The stored definition of one version, as JSON text (with the version the server gave).
pub async fn definition(db: &Db, key: &str, version: u32) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar("SELECT definition FROM forms WHERE form_key = $1 AND version = $2")
        .bind(key)
        .bind(i64::from(version))
        .fetch_optional(&db.pool)
        .await
}
