//! Revisions and conflicting copies of a record (sync rule 7), written inside the caller's
//! transaction. One place for what a resubmission and a reviewer's choice of a conflicting copy
//! both do to a record.

use serde_json::{Map, Value};

use crate::db::{record_audit, Audit};

/// Who owns revision id `id`, and that revision's content hash: the record it belongs to (a
/// record's id is its first revision's). Revision ids are unique across all records.
pub async fn owner_of(
    conn: &mut sqlx::AnyConnection,
    id: &str,
) -> sqlx::Result<Option<(String, String)>> {
    sqlx::query_as(
        "SELECT record_id, content_hash FROM record_revisions WHERE id = $1 \
         UNION ALL SELECT id, content_hash FROM records WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// A revision that becomes its record's current one.
pub struct NewRevision<'a> {
    pub record_id: &'a str,
    pub id: &'a str,
    /// The revision it was based on: the record's current one until now.
    pub base: &'a str,
    pub author_id: i64,
    pub form_version: i64,
    /// The definition of that version, for the search text (see `domain::fold::search_text`).
    pub form: Option<&'a domain::form::FormDef>,
    pub group_id: i64,
    pub ward_id: i64,
    pub data: &'a Map<String, Value>,
    pub content_hash: &'a str,
    pub now: i64,
    /// The change number the record takes, so that its author's phone pulls it.
    pub seq: i64,
}

/// Makes `r` the record's current revision, back for review ("received", no note, received
/// now, so it comes at the top of the queue): the first
/// revision joins the history when the second arrives, the new one is added to it, the record
/// takes its data (and what the queue searches and filters by), and the photos it names are
/// expected.
pub async fn make_current(
    conn: &mut sqlx::AnyConnection,
    r: NewRevision<'_>,
) -> anyhow::Result<()> {
    let data = serde_json::to_string(r.data)?;
    let form_key: String = sqlx::query_scalar("SELECT form_key FROM records WHERE id = $1")
        .bind(r.record_id)
        .fetch_one(&mut *conn)
        .await?;
    let facets = domain::indicators::facets(&form_key, r.data);
    sqlx::query(
        "INSERT INTO record_revisions (id, record_id, base_id, author_id, form_version, group_id, data, content_hash, received_at) \
         SELECT COALESCE(revision_id, id), id, NULL, author_id, form_version, group_id, data, content_hash, received_at \
         FROM records WHERE id = $1 AND revision_id IS NULL",
    )
    .bind(r.record_id)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "INSERT INTO record_revisions (id, record_id, base_id, author_id, form_version, group_id, data, content_hash, received_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(r.id)
    .bind(r.record_id)
    .bind(r.base)
    .bind(r.author_id)
    .bind(r.form_version)
    .bind(r.group_id)
    .bind(&data)
    .bind(r.content_hash)
    .bind(r.now)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "UPDATE records SET data = $1, content_hash = $2, form_version = $3, group_id = $4, ward_id = $5, \
         status = $6, status_note = NULL, revision_id = $7, updated_at = $8, seq = $9, \
         search_text = $10, urgency = $11, received_at = $12, category = $14, serious = $15, \
         subject = $16, filed_at = $12 WHERE id = $13",
    )
    .bind(&data)
    .bind(r.content_hash)
    .bind(r.form_version)
    .bind(r.group_id)
    .bind(r.ward_id)
    .bind(domain::record::RecordStatus::Received.as_str())
    .bind(r.id)
    .bind(r.now)
    .bind(r.seq)
    .bind(domain::fold::search_text(r.form, r.data))
    .bind(domain::fold::urgency(r.data))
    // Back in the queue as newly received (newest first); the first revision's time stays in
    // the history.
    .bind(r.now)
    .bind(r.record_id)
    .bind(facets.category)
    .bind(i64::from(facets.serious))
    .bind(facets.subject)
    .execute(&mut *conn)
    .await?;
    // The photos of earlier revisions stay readable in the history; only the new one's are
    // awaited.
    sqlx::query("UPDATE record_photos SET current = 0 WHERE record_id = $1")
        .bind(r.record_id)
        .execute(&mut *conn)
        .await?;
    for sha in domain::value::photo_shas(r.data) {
        sqlx::query(
            "INSERT INTO record_photos (record_id, sha256, current) VALUES ($1, $2, 1) \
             ON CONFLICT (record_id, sha256) DO UPDATE SET current = 1",
        )
        .bind(r.record_id)
        .bind(sha)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// A copy that conflicts with its record: kept for a reviewer, never applied.
pub struct Conflict<'a> {
    pub record_id: &'a str,
    pub author_id: i64,
    /// The residential group and form version the copy was made with.
    pub group_id: i64,
    pub form_version: i64,
    pub ward_id: Option<i64>,
    pub data: &'a Map<String, Value>,
    pub content_hash: &'a str,
    /// The copy's hash as a server before exact number reading gave it, when that differs
    /// (`RecordEnvelope::legacy_content_hash`): a copy kept then is not kept again.
    pub legacy_hash: Option<&'a str>,
    /// For a resubmission: the revision the phone made and the one it was based on.
    pub revision: Option<(&'a str, &'a str)>,
    pub now: i64,
}

/// Keeps a conflicting copy, once per distinct content (a replay adds nothing), and records it
/// in the audit trail the first time. Returns whether it was new.
pub async fn keep_conflict(
    conn: &mut sqlx::AnyConnection,
    c: Conflict<'_>,
) -> anyhow::Result<bool> {
    if let Some(legacy) = c.legacy_hash {
        let kept: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM record_conflicts WHERE record_id = $1 AND content_hash = $2",
        )
        .bind(c.record_id)
        .bind(legacy)
        .fetch_one(&mut *conn)
        .await?;
        if kept > 0 {
            return Ok(false);
        }
    }
    let (revision, base) = c.revision.unzip();
    let done = sqlx::query(
        "INSERT INTO record_conflicts (record_id, author_id, data, content_hash, received_at, revision_id, base_id, group_id, form_version) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (record_id, content_hash) DO NOTHING",
    )
    .bind(c.record_id)
    .bind(c.author_id)
    .bind(serde_json::to_string(c.data)?)
    .bind(c.content_hash)
    .bind(c.now)
    .bind(revision)
    .bind(base)
    .bind(c.group_id)
    .bind(c.form_version)
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() == 0 {
        return Ok(false);
    }
    let mut after = serde_json::json!({ "content_hash": c.content_hash });
    if let Some((revision, base)) = c.revision {
        after["revision"] = revision.into();
        after["base"] = base.into();
    }
    record_audit(
        conn,
        Audit {
            actor: Some(c.author_id),
            action: "record.conflict",
            entity: "record",
            entity_id: c.record_id,
            ward_id: c.ward_id,
            before: None,
            after: Some(after),
            detail: "",
        },
    )
    .await?;
    Ok(true)
}
