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
            // S3 answers a PUT only once the object is durably stored.
            s3(spec)?
        } else {
            std::fs::create_dir_all(spec)
                .with_context(|| format!("cannot create the photo directory {spec}"))?;
            Arc::new(local_store(spec)?)
        };
        Ok(PhotoStore { store })
    }

    /// Writes `bytes` at `path`; it is durable when this returns (see [`local_store`]).
    async fn put_durably(&self, path: &Path, bytes: PutPayload) -> anyhow::Result<()> {
        self.store.put(path, bytes).await?;
        Ok(())
    }

    fn export_path(id: &str) -> Path {
        Path::from(format!("exports/{id}"))
    }

    /// Keeps a finished export file (`routes/exports.rs`), read from `file` a part at a time;
    /// gives its size. Exports live beside the photos so that every server reads them.
    pub async fn put_export(&self, id: &str, file: &std::path::Path) -> anyhow::Result<u64> {
        use tokio::io::AsyncReadExt;
        let upload = self.store.put_multipart(&Self::export_path(id)).await?;
        let mut out = object_store::WriteMultipart::new_with_chunk_size(upload, 8 << 20);
        let mut file = tokio::fs::File::open(file).await?;
        let mut buf = vec![0; 1 << 20];
        let mut total = 0u64;
        loop {
            let n = file.read(&mut buf).await?;
            if n == 0 {
                break;
            }
            out.wait_for_capacity(2).await?;
            out.write(&buf[..n]);
            total += n as u64;
        }
        out.finish().await?;
        Ok(total)
    }

    /// An export file's size and its bytes as a stream; `None` if it is not there (removed).
    pub async fn open_export(
        &self,
        id: &str,
    ) -> anyhow::Result<
        Option<(
            u64,
            futures_util::stream::BoxStream<'static, object_store::Result<bytes::Bytes>>,
        )>,
    > {
        match self.store.get(&Self::export_path(id)).await {
            Ok(r) => Ok(Some((r.meta.size, r.into_stream()))),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Removes an export file (there or not).
    pub async fn delete_export(&self, id: &str) -> anyhow::Result<()> {
        self.delete_if_there(&Self::export_path(id)).await
    }

    /// Removes the object at `path`; one already gone is no error.
    async fn delete_if_there(&self, path: &Path) -> anyhow::Result<()> {
        match self.store.delete(path).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    fn photo_path(sha: &str) -> Path {
        Path::from(format!("photos/{}/{sha}", &sha[..2]))
    }

    /// Where one user's upload of one photo keeps its chunks: uploads are per (user, photo),
    /// so nobody can disturb another's.
    fn upload_prefix(user_id: i64, sha: &str) -> Path {
        Path::from(format!("uploads/{user_id}/{sha}"))
    }

    /// The bytes of a complete photo.
    pub async fn get(&self, sha: &str) -> anyhow::Result<Option<bytes::Bytes>> {
        match self.store.get(&Self::photo_path(sha)).await {
            Ok(r) => Ok(Some(r.bytes().await?)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Keeps bytes `offset..offset + len` of an upload. The object is named by both ends, so
    /// two attempts at the same offset with different lengths (a retry with a smaller chunk,
    /// racing the first) never overwrite each other's bytes.
    async fn put_chunk(
        &self,
        user_id: i64,
        sha: &str,
        offset: u64,
        chunk: bytes::Bytes,
    ) -> anyhow::Result<()> {
        let end = offset + chunk.len() as u64;
        let path = Path::from(format!("uploads/{user_id}/{sha}/{offset:010}-{end:010}"));
        self.put_durably(&path, PutPayload::from(chunk)).await
    }

    /// The chunks of an upload joined from 0 to `total`, following a chain of chunks that each
    /// start where the last ended; empty when there is none.
    async fn assemble(&self, user_id: i64, sha: &str, total: u64) -> anyhow::Result<Vec<u8>> {
        let metas: Vec<_> = self
            .store
            .list(Some(&Self::upload_prefix(user_id, sha)))
            .try_collect()
            .await?;
        let mut chunks: Vec<(u64, u64, Path)> = metas
            .into_iter()
            .filter_map(|m| {
                let name = m.location.filename()?.to_owned();
                let (a, b) = name.split_once('-')?;
                Some((a.parse().ok()?, b.parse().ok()?, m.location))
            })
            .filter(|(a, b, _)| a < b && *b <= total)
            .collect();
        // Longest chunks first at each offset: the fewest pieces, and any chain will do, since
        // every chunk is a slice of the same photo (the hash check catches one that is not).
        chunks.sort_by(|x, y| x.0.cmp(&y.0).then(y.1.cmp(&x.1)));
        let Some(chain) = chain_to(&chunks, 0, total) else {
            return Ok(Vec::new());
        };
        let mut all = Vec::with_capacity(total as usize);
        for i in chain {
            all.extend_from_slice(&self.store.get(&chunks[i].2).await?.bytes().await?);
        }
        Ok(all)
    }

    async fn discard_upload(&self, user_id: i64, sha: &str) -> anyhow::Result<()> {
        self.delete_under(&Self::upload_prefix(user_id, sha), None)
            .await
            .map(drop)
    }

    /// Deletes every object under `prefix` (last changed before `older_than`, when given);
    /// returns how many went.
    async fn delete_under(
        &self,
        prefix: &Path,
        older_than: Option<chrono::DateTime<chrono::Utc>>,
    ) -> anyhow::Result<usize> {
        let metas: Vec<_> = self.store.list(Some(prefix)).try_collect().await?;
        let mut n = 0;
        for m in metas {
            if older_than.is_some_and(|t| m.last_modified >= t) {
                continue;
            }
            n += 1;
            self.delete_if_there(&m.location).await?;
        }
        Ok(n)
    }

    pub(crate) async fn put_photo(&self, sha: &str, bytes: Vec<u8>) -> anyhow::Result<()> {
        self.put_durably(&Self::photo_path(sha), PutPayload::from(bytes))
            .await
    }

    /// The high-water mark of the change counter (see [`crate::epoch`]).
    pub async fn high_water(&self) -> anyhow::Result<Option<crate::epoch::HighWater>> {
        match self.store.get(&Path::from("meta/high-water.json")).await {
            Ok(r) => Ok(serde_json::from_slice(&r.bytes().await?).ok()),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    pub async fn set_high_water(&self, mark: &crate::epoch::HighWater) -> anyhow::Result<()> {
        let bytes = serde_json::to_vec(mark)?;
        self.put_durably(&Path::from("meta/high-water.json"), PutPayload::from(bytes))
            .await
    }

    async fn delete_photo(&self, sha: &str) -> anyhow::Result<()> {
        self.delete_if_there(&Self::photo_path(sha)).await
    }
}

/// Indices of `chunks` (sorted by start) that cover `from..total` end to end, if any do.
fn chain_to(chunks: &[(u64, u64, Path)], from: u64, total: u64) -> Option<Vec<usize>> {
    let mut dead_ends = std::collections::HashSet::new();
    let mut path = Vec::new();
    fn walk(
        chunks: &[(u64, u64, Path)],
        at: u64,
        total: u64,
        dead: &mut std::collections::HashSet<u64>,
        path: &mut Vec<usize>,
    ) -> bool {
        if at == total {
            return true;
        }
        if dead.contains(&at) {
            return false;
        }
        for (i, c) in chunks.iter().enumerate().filter(|(_, c)| c.0 == at) {
            path.push(i);
            if walk(chunks, c.1, total, dead, path) {
                return true;
            }
            path.pop();
        }
        dead.insert(at);
        false
    }
    walk(chunks, from, total, &mut dead_ends, &mut path).then_some(path)
}

/// A photo directory whose writes are durable before they return: by default `LocalFileSystem`
/// writes a staging file and renames it into place without syncing either, so a power cut
/// could lose bytes the phone was told are safe (and then deleted). With `with_fsync` it syncs
/// the file before the rename and the directories (new ones too) after it.
fn local_store(dir: &str) -> anyhow::Result<object_store::local::LocalFileSystem> {
    Ok(object_store::local::LocalFileSystem::new_with_prefix(dir)?.with_fsync(true))
}

/// `s3://bucket` or `s3://bucket/prefix`: the builder takes only the bucket from the URL, so
/// the prefix (several wards or test runs sharing one bucket) is a [`PrefixStore`] around it.
#[cfg(feature = "s3")]
fn s3(spec: &str) -> anyhow::Result<Arc<dyn ObjectStore>> {
    let store = object_store::aws::AmazonS3Builder::from_env()
        .with_url(spec)
        .build()?;
    let prefix = s3_prefix(spec);
    Ok(if prefix.is_empty() {
        Arc::new(store)
    } else {
        Arc::new(object_store::prefix::PrefixStore::new(store, prefix))
    })
}

/// The part of `s3://bucket/prefix` after the bucket, without slashes at either end.
#[cfg_attr(not(feature = "s3"), allow(dead_code))]
fn s3_prefix(spec: &str) -> &str {
    let rest = spec.strip_prefix("s3://").unwrap_or(spec);
    rest.split_once('/')
        .map_or("", |(_, p)| p.trim_matches('/'))
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

/// Unfinished uploads one user may have at once; starting one more drops their least recently
/// moved one (which that phone will simply start again). A phone sends one photo at a time, so
/// only interruptions leave uploads open; each holds at most one photo's bytes.
pub const MAX_OPEN_UPLOADS_PER_USER: i64 = 20;

/// How many bytes of `sha` the server holds for `user`, and whether the photo is complete.
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
        sqlx::query_scalar("SELECT received FROM photo_uploads WHERE user_id = $1 AND sha256 = $2")
            .bind(user)
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

/// Takes one chunk of `user_id`'s upload. A chunk that was already taken (a retry after a lost
/// answer) is answered with where the upload stands, so the phone simply carries on from there.
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
    let mut current = upload_row(db, user_id, sha).await?;
    if let Some((ty, up_total, received)) = &current {
        if received == up_total {
            // Every byte arrived but storing the whole failed (or the server stopped): finish now.
            return finish(db, store, user_id, sha, ty).await;
        }
        if offset == 0 && (ty != content_type || *up_total != total) {
            // A fresh start that disagrees with this user's stale upload (a wrong type stated
            // once) replaces it: the final hash check keeps the result honest.
            discard(db, store, user_id, sha).await?;
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
        make_room(db, store, user_id).await?;
        // Start the upload row; a racing start of the same upload (a retry) is fine.
        sqlx::query(
            "INSERT INTO photo_uploads (user_id, sha256, content_type, total, received, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, 0, $5, $6) ON CONFLICT (user_id, sha256) DO NOTHING",
        )
        .bind(user_id)
        .bind(sha)
        .bind(content_type)
        .bind(total as i64)
        .bind(now)
        .bind(now)
        .execute(&db.writer)
        .await?;
        current = upload_row(db, user_id, sha).await?;
    }
    let Some((ty, up_total, received)) = current else {
        return Err(UploadError::WrongOffset { received: 0 });
    };
    if ty != content_type || up_total != total {
        return Err(UploadError::Mismatch);
    }
    if received != offset {
        return Err(UploadError::WrongOffset { received });
    }
    store.put_chunk(user_id, sha, offset, chunk).await?;
    // Only one writer moves an upload forward from a given offset.
    let moved = sqlx::query(
        "UPDATE photo_uploads SET received = $1, updated_at = $2 \
         WHERE user_id = $3 AND sha256 = $4 AND received = $5",
    )
    .bind(end as i64)
    .bind(now)
    .bind(user_id)
    .bind(sha)
    .bind(offset as i64)
    .execute(&db.writer)
    .await?;
    if moved.rows_affected() == 0 {
        // Another attempt moved it first; it may even have finished the photo.
        let (complete, received) = status(db, sha, user_id).await?;
        if complete {
            return Ok(Progress::Complete);
        }
        return Err(UploadError::WrongOffset { received });
    }
    if end < total {
        return Ok(Progress::Partial { received: end });
    }
    finish(db, store, user_id, sha, content_type).await
}

/// Keeps a user's unfinished uploads under [`MAX_OPEN_UPLOADS_PER_USER`] before a new one
/// starts, dropping the ones that moved least recently.
async fn make_room(db: &Db, store: &PhotoStore, user_id: i64) -> Result<(), UploadError> {
    let open: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM photo_uploads WHERE user_id = $1")
        .bind(user_id)
        .fetch_one(&db.pool)
        .await?;
    let excess = open - (MAX_OPEN_UPLOADS_PER_USER - 1);
    if excess <= 0 {
        return Ok(());
    }
    let oldest: Vec<String> = sqlx::query_scalar(
        "SELECT sha256 FROM photo_uploads WHERE user_id = $1 ORDER BY updated_at, sha256 LIMIT $2",
    )
    .bind(user_id)
    .bind(excess)
    .fetch_all(&db.pool)
    .await?;
    for sha in oldest {
        tracing::info!(user_id, %sha, "dropping an unfinished upload: too many open");
        discard(db, store, user_id, &sha).await?;
    }
    Ok(())
}

/// One user's upload in progress: its stated type, total size and bytes received.
async fn upload_row(db: &Db, user_id: i64, sha: &str) -> sqlx::Result<Option<(String, u64, u64)>> {
    let row = sqlx::query(
        "SELECT content_type, total, received FROM photo_uploads WHERE user_id = $1 AND sha256 = $2",
    )
    .bind(user_id)
    .bind(sha)
    .fetch_optional(&db.pool)
    .await?;
    Ok(row.map(|r| {
        let (ty, total, received): (String, i64, i64) = (r.get(0), r.get(1), r.get(2));
        (ty, total as u64, received as u64)
    }))
}

/// Forgets one user's upload in progress: its row and its chunks.
async fn discard(db: &Db, store: &PhotoStore, user_id: i64, sha: &str) -> Result<(), UploadError> {
    sqlx::query("DELETE FROM photo_uploads WHERE user_id = $1 AND sha256 = $2")
        .bind(user_id)
        .bind(sha)
        .execute(&db.writer)
        .await?;
    store.discard_upload(user_id, sha).await?;
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
    // The upload or its chunks may be gone: another attempt at this same upload (a retried
    // last chunk, sent while the first was still on its way) finished it, or a sweep discarded
    // it, meanwhile. Nothing is damaged and nothing is granted then: the caller is told where
    // the upload stands.
    let where_it_stands = || async {
        let (complete, received) = status(db, sha, user_id).await?;
        if complete {
            Ok(Progress::Complete)
        } else {
            Err(UploadError::WrongOffset { received })
        }
    };
    let Some((_, total, _)) = upload_row(db, user_id, sha).await? else {
        return where_it_stands().await;
    };
    let bytes = store.assemble(user_id, sha, total).await?;
    if (bytes.len() as u64) < total {
        return where_it_stands().await;
    }
    let good = hex::encode(Sha256::digest(&bytes)) == sha && looks_like(content_type, &bytes);
    if !good {
        discard(db, store, user_id, sha).await?;
        return Err(UploadError::Damaged);
    }
    let len = bytes.len() as i64;
    // Durable (file and directory synced) before the database says the photo is here, and so
    // before the phone is told it may delete its copy.
    store.put_photo(sha, bytes).await?;
    let mut tx = db.writer.begin().await?;
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
    let finished_here = sqlx::query("DELETE FROM photo_uploads WHERE user_id = $1 AND sha256 = $2")
        .bind(user_id)
        .bind(sha)
        .execute(&mut *tx)
        .await?
        .rows_affected()
        == 1;
    if !finished_here {
        // Both attempts joined the whole photo; the other one finished first and put it in
        // the audit trail.
        tx.commit().await?;
        return Ok(Progress::Complete);
    }
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
    store.discard_upload(user_id, sha).await?;
    Ok(Progress::Complete)
}

/// What a sweep removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Swept {
    /// Unfinished uploads untouched for longer than the limit.
    pub uploads: usize,
    /// Chunk objects no upload owns any more (left by a crash between the two deletions).
    pub stray_chunks: usize,
    /// Complete photos that no record and no conflicting copy names, older than the limit.
    pub photos: usize,
}

/// Removes abandoned uploads (no chunk for `upload_hours`) and photos no record names (stored
/// more than `photo_hours` ago). A photo that any record or recorded conflicting copy names is
/// never removed. Safe to run on several servers at once.
pub async fn sweep(
    db: &Db,
    store: &PhotoStore,
    upload_hours: i64,
    photo_hours: i64,
) -> anyhow::Result<Swept> {
    let now = crate::now_ms();
    let mut swept = Swept::default();
    let stale: Vec<(i64, String)> =
        sqlx::query("SELECT user_id, sha256 FROM photo_uploads WHERE updated_at < $1")
            .bind(now - upload_hours * 3_600_000)
            .fetch_all(&db.pool)
            .await?
            .into_iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect();
    for (user, sha) in stale {
        discard(db, store, user, &sha)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        swept.uploads += 1;
    }
    // Chunks whose upload row is gone: anything under uploads/ older than the limit that no
    // live row accounts for (this also clears the layout before uploads were per user).
    let cutoff = chrono::Utc::now() - chrono::Duration::hours(upload_hours);
    let live: std::collections::HashSet<String> =
        sqlx::query("SELECT user_id, sha256 FROM photo_uploads")
            .fetch_all(&db.pool)
            .await?
            .into_iter()
            .map(|r| format!("uploads/{}/{}/", r.get::<i64, _>(0), r.get::<String, _>(1)))
            .collect();
    let objects: Vec<_> = store
        .store
        .list(Some(&Path::from("uploads")))
        .try_collect()
        .await?;
    for m in objects {
        let path = m.location.to_string();
        if m.last_modified < cutoff && !live.iter().any(|p| path.starts_with(p.as_str())) {
            match store.store.delete(&m.location).await {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => swept.stray_chunks += 1,
                Err(e) => return Err(e.into()),
            }
        }
    }
    let unnamed: Vec<String> = sqlx::query_scalar(
        "SELECT p.sha256 FROM photos p WHERE p.uploaded_at < $1 \
         AND NOT EXISTS (SELECT 1 FROM record_photos rp WHERE rp.sha256 = p.sha256) \
         AND NOT EXISTS (SELECT 1 FROM record_conflicts c WHERE c.data LIKE '%' || p.sha256 || '%')",
    )
    .bind(now - photo_hours * 3_600_000)
    .fetch_all(&db.pool)
    .await?;
    for sha in unnamed {
        let mut tx = db.writer.begin().await?;
        // Checked again inside the transaction: a record naming it may have arrived meanwhile.
        let gone = sqlx::query(
            "DELETE FROM photos WHERE sha256 = $1 \
             AND NOT EXISTS (SELECT 1 FROM record_photos rp WHERE rp.sha256 = $2) \
             AND NOT EXISTS (SELECT 1 FROM record_conflicts c WHERE c.data LIKE '%' || $3 || '%')",
        )
        .bind(&sha)
        .bind(&sha)
        .bind(&sha)
        .execute(&mut *tx)
        .await?;
        if gone.rows_affected() == 0 {
            continue;
        }
        sqlx::query("DELETE FROM photo_owners WHERE sha256 = $1")
            .bind(&sha)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        store.delete_photo(&sha).await?;
        swept.photos += 1;
    }
    if swept != Swept::default() {
        tracing::info!(?swept, "photo sweep");
    }
    Ok(swept)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_s3_address_gives_its_prefix_after_the_bucket() {
        assert_eq!(s3_prefix("s3://wardbook"), "");
        assert_eq!(s3_prefix("s3://wardbook/"), "");
        assert_eq!(s3_prefix("s3://wardbook/hanoi/"), "hanoi");
        assert_eq!(s3_prefix("s3://wardbook/vn/hanoi"), "vn/hanoi");
    }

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
            .put_chunk(7, &sha, 5, bytes::Bytes::from_static(b"world"))
            .await
            .unwrap();
        store
            .put_chunk(7, &sha, 0, bytes::Bytes::from_static(b"hello"))
            .await
            .unwrap();
        assert_eq!(store.assemble(7, &sha, 10).await.unwrap(), b"helloworld");
        assert!(
            store.assemble(8, &sha, 10).await.unwrap().is_empty(),
            "another user's upload of the same photo is separate"
        );
        store.discard_upload(7, &sha).await.unwrap();
        assert!(store.assemble(7, &sha, 10).await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn racing_chunks_of_different_sizes_at_one_offset_still_join_into_the_photo() {
        let store = PhotoStore::open("memory:").unwrap();
        let sha = "ef".repeat(32);
        let photo = b"0123456789abcdefghij";
        // A first try of 12 bytes and a retry of 5 at the same offset, then the rest after the
        // shorter one (the one the database counted).
        for (from, to) in [(0, 12), (0, 5), (5, 20)] {
            store
                .put_chunk(
                    1,
                    &sha,
                    from,
                    bytes::Bytes::copy_from_slice(&photo[from as usize..to]),
                )
                .await
                .unwrap();
        }
        assert_eq!(store.assemble(1, &sha, 20).await.unwrap(), photo);
        // A gap: no chain reaches the end.
        let gap = "aa".repeat(32);
        store
            .put_chunk(1, &gap, 0, bytes::Bytes::from_static(b"01234"))
            .await
            .unwrap();
        store
            .put_chunk(1, &gap, 6, bytes::Bytes::from_static(b"6789"))
            .await
            .unwrap();
        assert!(store.assemble(1, &gap, 10).await.unwrap().is_empty());
    }

    #[test]
    fn a_local_photo_directory_syncs_every_write_before_it_returns() {
        let dir = tempfile::tempdir().unwrap();
        let store = local_store(dir.path().to_str().unwrap()).unwrap();
        // The only way object_store shows the setting; without it nothing is synced.
        assert!(format!("{store:?}").contains("fsync: true"), "{store:?}");
    }

    #[tokio::test]
    async fn a_photo_and_a_chunk_written_to_a_local_directory_are_there_when_the_write_returns() {
        let dir = tempfile::tempdir().unwrap();
        let store = PhotoStore::open(dir.path().to_str().unwrap()).unwrap();
        let sha = "cd".repeat(32);
        store.put_photo(&sha, b"jpeg bytes".to_vec()).await.unwrap();
        let photo = dir.path().join(format!("photos/cd/{sha}"));
        assert_eq!(std::fs::read(photo).unwrap(), b"jpeg bytes");
        store
            .put_chunk(3, &sha, 0, bytes::Bytes::from_static(b"chunk"))
            .await
            .unwrap();
        let chunk = dir
            .path()
            .join(format!("uploads/3/{sha}/0000000000-0000000005"));
        assert_eq!(std::fs::read(chunk).unwrap(), b"chunk");
    }
}
