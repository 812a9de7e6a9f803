//! Photos: named by the SHA-256 of their bytes, stored through one object-store interface
//! (a local directory by default, memory in tests, S3-compatible storage with the `s3` feature),
//! uploaded in chunks that survive a dropped connection or a server restart.
//!
//! An upload is a row in `photo_uploads` (how many bytes have arrived) and one object per chunk;
//! when the last chunk arrives the whole is read back, its hash and type are checked, and it
//! becomes `photos/<sha256>` and a row in `photos`. Nothing half-uploaded is ever served.

use std::sync::Arc;

use anyhow::Context;
use futures_util::TryStreamExt;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use sha2::{Digest, Sha256};
use sqlx::Row;

use crate::db::Db;

/// Where photo bytes live.
#[derive(Clone)]
pub struct PhotoStore {
    store: Arc<dyn ObjectStore>,
}

impl std::fmt::Debug for PhotoStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PhotoStore({})", self.store)
    }
}

impl PhotoStore {
    /// `memory:` (tests), `s3://bucket/prefix` (with the `s3` feature; credentials and endpoint
    /// from the usual `AWS_*` variables), or a local directory, created if missing.
    pub fn open(spec: &str) -> anyhow::Result<Self> {
        let store: Arc<dyn ObjectStore> = if spec == "memory:" {
            Arc::new(object_store::memory::InMemory::new())
        } else if spec.starts_with("s3://") {
            s3(spec)?
        } else {
            std::fs::create_dir_all(spec)
                .with_context(|| format!("cannot create the photo directory {spec}"))?;
            Arc::new(object_store::local::LocalFileSystem::new_with_prefix(spec)?)
        };
        Ok(PhotoStore { store })
    }

    fn photo_path(sha: &str) -> Path {
        Path::from(format!("photos/{}/{sha}", &sha[..2]))
    }

    fn upload_prefix(sha: &str) -> Path {
        Path::from(format!("uploads/{sha}"))
    }

    /// The bytes of a complete photo.
    pub async fn get(&self, sha: &str) -> anyhow::Result<Option<bytes::Bytes>> {
        match self.store.get(&Self::photo_path(sha)).await {
            Ok(r) => Ok(Some(r.bytes().await?)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    async fn put_chunk(&self, sha: &str, offset: u64, chunk: bytes::Bytes) -> anyhow::Result<()> {
        let path = Path::from(format!("uploads/{sha}/{offset:010}"));
        self.store.put(&path, PutPayload::from(chunk)).await?;
        Ok(())
    }

    /// The chunks of an upload, in order, joined.
    async fn assemble(&self, sha: &str) -> anyhow::Result<Vec<u8>> {
        let mut metas: Vec<_> = self
            .store
            .list(Some(&Self::upload_prefix(sha)))
            .try_collect()
            .await?;
        metas.sort_by(|a, b| a.location.cmp(&b.location));
        let mut all = Vec::new();
        for m in metas {
            all.extend_from_slice(&self.store.get(&m.location).await?.bytes().await?);
        }
        Ok(all)
    }

    async fn discard_upload(&self, sha: &str) -> anyhow::Result<()> {
        let metas: Vec<_> = self
            .store
            .list(Some(&Self::upload_prefix(sha)))
            .try_collect()
            .await?;
        for m in metas {
            match self.store.delete(&m.location).await {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }

    async fn put_photo(&self, sha: &str, bytes: Vec<u8>) -> anyhow::Result<()> {
        self.store
            .put(&Self::photo_path(sha), PutPayload::from(bytes))
            .await?;
        Ok(())
    }
}

#[cfg(feature = "s3")]
fn s3(spec: &str) -> anyhow::Result<Arc<dyn ObjectStore>> {
    let store = object_store::aws::AmazonS3Builder::from_env()
        .with_url(spec)
        .build()?;
    Ok(Arc::new(store))
}

#[cfg(not(feature = "s3"))]
fn s3(spec: &str) -> anyhow::Result<Arc<dyn ObjectStore>> {
    anyhow::bail!("{spec}: this build has no S3 support; build the server with `--features s3`")
}

/// Whether `bytes` really are an image of `content_type` (by their first bytes).
pub fn looks_like(content_type: &str, bytes: &[u8]) -> bool {
    match content_type {
        "image/jpeg" => bytes.starts_with(&[0xFF, 0xD8, 0xFF]),
        "image/webp" => bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP",
        _ => false,
    }
}

/// Where an upload stands after a chunk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Progress {
    /// More bytes are expected, from `received` on.
    Partial { received: u64 },
    /// The photo is stored and checked.
    Complete,
}

/// Why a chunk was not taken.
#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    /// The chunk does not start where the upload stands; resume from `received`.
    #[error("upload is at {received}")]
    WrongOffset { received: u64 },
    /// The size or type differs from what the upload started with, or the chunk overruns it.
    #[error("chunk does not fit the upload")]
    Mismatch,
    /// All bytes arrived but they do not hash to the name, or are not the image type stated.
    #[error("photo damaged")]
    Damaged,
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<sqlx::Error> for UploadError {
    fn from(e: sqlx::Error) -> Self {
        UploadError::Internal(e.into())
    }
}

/// How many bytes of `sha` the server holds: `Some(total)` with `complete` when stored.
/// A photo counts as complete for `user` only once they have sent all of it themselves (or the
/// same bytes earlier): nobody gains a photo by naming its hash.
pub async fn status(db: &Db, sha: &str, user: i64) -> sqlx::Result<(bool, u64)> {
    if let Some(row) = sqlx::query(
        "SELECT p.bytes FROM photos p JOIN photo_owners o ON o.sha256 = p.sha256 \
         WHERE p.sha256 = $1 AND o.user_id = $2",
    )
    .bind(sha)
    .bind(user)
    .fetch_optional(&db.pool)
    .await?
    {
        return Ok((true, row.get::<i64, _>(0) as u64));
    }
    let received: Option<i64> =
        sqlx::query_scalar("SELECT received FROM photo_uploads WHERE sha256 = $1")
            .bind(sha)
            .fetch_optional(&db.pool)
            .await?;
    Ok((false, received.unwrap_or(0) as u64))
}

/// One piece of a photo upload.
pub struct Chunk<'a> {
    pub sha: &'a str,
    pub content_type: &'a str,
    /// The whole photo's size.
    pub total: u64,
    /// Where this piece starts.
    pub offset: u64,
    pub bytes: bytes::Bytes,
}

/// Takes one chunk of an upload. A chunk that was already taken (a retry after a lost answer)
/// is answered with where the upload stands, so the phone simply carries on from there.
pub async fn receive_chunk(
    db: &Db,
    store: &PhotoStore,
    user_id: i64,
    chunk: Chunk<'_>,
) -> Result<Progress, UploadError> {
    let Chunk {
        sha,
        content_type,
        total,
        offset,
        bytes: chunk,
    } = chunk;
    let (complete, _) = status(db, sha, user_id).await?;
    if complete {
        return Ok(Progress::Complete);
    }
    let mut current = upload_row(db, sha).await?;
    if let Some((ty, up_total, received, sender)) = &current {
        if received == up_total && *sender == user_id {
            // Every byte arrived but storing the whole failed (or the server stopped): finish now.
            return finish(db, store, user_id, sha, ty).await;
        }
        // Another user's upload never lets this one skip sending the bytes: a fresh start
        // replaces it (the hash check keeps the result honest either way).
        let someone_elses_full_upload = received == up_total && *sender != user_id;
        if offset == 0 && (ty != content_type || *up_total != total || someone_elses_full_upload) {
            // A fresh start that disagrees with a stale upload (another phone, or a wrong type
            // stated once) replaces it: the final hash check keeps the result honest.
            discard(db, store, sha).await?;
            current = None;
        }
    }
    let end = offset
        .checked_add(chunk.len() as u64)
        .filter(|end| !chunk.is_empty() && *end <= total)
        .ok_or(UploadError::Mismatch)?;
    let now = crate::now_ms();
    if current.is_none() {
        if offset != 0 {
            return Err(UploadError::WrongOffset { received: 0 });
        }
        // Start the upload row; a racing starter of the same photo is fine.
        sqlx::query(
            "INSERT INTO photo_uploads (sha256, content_type, total, received, user_id, updated_at) \
             VALUES ($1, $2, $3, 0, $4, $5) ON CONFLICT (sha256) DO NOTHING",
        )
        .bind(sha)
        .bind(content_type)
        .bind(total as i64)
        .bind(user_id)
        .bind(now)
        .execute(&db.pool)
        .await?;
        current = upload_row(db, sha).await?;
    }
    let Some((ty, up_total, received, _)) = current else {
        return Err(UploadError::WrongOffset { received: 0 });
    };
    if ty != content_type || up_total != total {
        return Err(UploadError::Mismatch);
    }
    if received != offset {
        return Err(UploadError::WrongOffset { received });
    }
    store.put_chunk(sha, offset, chunk).await?;
    // Only one writer moves an upload forward from a given offset.
    let moved = sqlx::query(
        "UPDATE photo_uploads SET received = $1, updated_at = $2 WHERE sha256 = $3 AND received = $4",
    )
    .bind(end as i64)
    .bind(now)
    .bind(sha)
    .bind(offset as i64)
    .execute(&db.pool)
    .await?;
    if moved.rows_affected() == 0 {
        let (_, received) = status(db, sha, user_id).await?;
        return Err(UploadError::WrongOffset { received });
    }
    if end < total {
        return Ok(Progress::Partial { received: end });
    }
    finish(db, store, user_id, sha, content_type).await
}

/// An upload in progress: its stated type, total size and bytes received.
async fn upload_row(db: &Db, sha: &str) -> sqlx::Result<Option<(String, u64, u64, i64)>> {
    let row = sqlx::query(
        "SELECT content_type, total, received, user_id FROM photo_uploads WHERE sha256 = $1",
    )
    .bind(sha)
    .fetch_optional(&db.pool)
    .await?;
    Ok(row.map(|r| {
        let (ty, total, received, user): (String, i64, i64, i64) =
            (r.get(0), r.get(1), r.get(2), r.get(3));
        (ty, total as u64, received as u64, user)
    }))
}

/// Forgets an upload in progress: its row and its chunks.
async fn discard(db: &Db, store: &PhotoStore, sha: &str) -> Result<(), UploadError> {
    sqlx::query("DELETE FROM photo_uploads WHERE sha256 = $1")
        .bind(sha)
        .execute(&db.pool)
        .await?;
    store.discard_upload(sha).await?;
    Ok(())
}

/// Checks the joined chunks and makes them the photo.
async fn finish(
    db: &Db,
    store: &PhotoStore,
    user_id: i64,
    sha: &str,
    content_type: &str,
) -> Result<Progress, UploadError> {
    let bytes = store.assemble(sha).await?;
    let good = hex::encode(Sha256::digest(&bytes)) == sha && looks_like(content_type, &bytes);
    if !good {
        discard(db, store, sha).await?;
        return Err(UploadError::Damaged);
    }
    let len = bytes.len() as i64;
    store.put_photo(sha, bytes).await?;
    let mut tx = db.pool.begin().await?;
    sqlx::query(
        "INSERT INTO photos (sha256, content_type, bytes, uploaded_by, uploaded_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (sha256) DO NOTHING",
    )
    .bind(sha)
    .bind(content_type)
    .bind(len)
    .bind(user_id)
    .bind(crate::now_ms())
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO photo_owners (sha256, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
    )
    .bind(sha)
    .bind(user_id)
    .execute(&mut *tx)
    .await?;
    sqlx::query("DELETE FROM photo_uploads WHERE sha256 = $1")
        .bind(sha)
        .execute(&mut *tx)
        .await?;
    let ward: Option<i64> = sqlx::query_scalar("SELECT ward_id FROM users WHERE id = $1")
        .bind(user_id)
        .fetch_optional(&mut *tx)
        .await?
        .flatten();
    crate::db::record_audit(
        &mut tx,
        crate::db::Audit {
            actor: Some(user_id),
            action: "photo.upload",
            entity: "photo",
            entity_id: sha,
            ward_id: ward,
            before: None,
            after: Some(serde_json::json!({ "type": content_type, "bytes": len })),
            detail: "",
        },
    )
    .await?;
    tx.commit().await?;
    store.discard_upload(sha).await?;
    Ok(Progress::Complete)
}

/// The SHA-256 names of every photo a (validated) record's data refers to, at the top level
/// and in repeat rows: every object with a `sha256` is a photo reference.
pub fn referenced(data: &serde_json::Map<String, serde_json::Value>) -> Vec<String> {
    fn walk(v: &serde_json::Value, out: &mut Vec<String>) {
        match v {
            serde_json::Value::Object(o) => {
                if let Some(sha) = o.get("sha256").and_then(|s| s.as_str()) {
                    if domain::validate::is_sha256(sha) && !out.iter().any(|x| x == sha) {
                        out.push(sha.to_owned());
                    }
                }
                o.values().for_each(|v| walk(v, out));
            }
            serde_json::Value::Array(a) => a.iter().for_each(|v| walk(v, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    data.values().for_each(|v| walk(v, &mut out));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_types_are_recognised_by_their_first_bytes() {
        assert!(looks_like("image/jpeg", &[0xFF, 0xD8, 0xFF, 0xE0, 0]));
        assert!(!looks_like("image/jpeg", b"<svg onload=alert(1)>"));
        assert!(looks_like("image/webp", b"RIFF\x10\0\0\0WEBPVP8 "));
        assert!(!looks_like("image/webp", b"RIFF\x10\0\0\0WAVE"));
        assert!(!looks_like("image/png", b"\x89PNG\r\n\x1a\n"));
    }

    #[tokio::test]
    async fn chunks_are_joined_in_offset_order() {
        let store = PhotoStore::open("memory:").unwrap();
        let sha = "ab".repeat(32);
        store
            .put_chunk(&sha, 5, bytes::Bytes::from_static(b"world"))
            .await
            .unwrap();
        store
            .put_chunk(&sha, 0, bytes::Bytes::from_static(b"hello"))
            .await
            .unwrap();
        assert_eq!(store.assemble(&sha).await.unwrap(), b"helloworld");
        store.discard_upload(&sha).await.unwrap();
        assert!(store.assemble(&sha).await.unwrap().is_empty());
    }
}
