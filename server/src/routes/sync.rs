//! `POST /api/sync/push` and `GET /api/sync/pull`: the phone's only way in and out.
//!
//! Push is idempotent: records are keyed by the id the phone made, a replay of stored content
//! answers `duplicate`, different content under a stored id is recorded as a conflict and never
//! applied. The answer is sent only after the transaction has committed.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use domain::api::Role;
use domain::form::FormDef;
use domain::record::{RecordEnvelope, RecordStatus};
use domain::sync::{
    Change, PullQuery, PullResponse, PushOutcome, PushRequest, PushResponse, PushResult,
    RecordState, MAX_ERRORS_PER_PUSH, MAX_PULL_PAGE, MAX_PUSH_BATCH,
};
use domain::validate::{validate_at_most, MAX_ERRORS_PER_RECORD};
use domain::Lang;
use sqlx::{Connection, Row};

use crate::auth::{Caller, Signed};
use crate::db::{next_seq, record_audit, Audit, Backend};
use crate::error::{request_lang, AppError, AppJson, AppQuery, AppResult};
use crate::pushes::{KeptConflict, NewRecord, Push, Written};
use crate::revisions;
use crate::{now_ms, AppState};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/sync/push", post(push))
        .route("/sync/pull", get(pull))
}

/// A stored record's identity, to tell a replay from a conflicting edit.
pub(crate) struct Stored {
    pub content_hash: String,
    pub author_id: i64,
}

/// `n` bind parameters, the first numbered `start`; every statement that uses them must take
/// all its parameters from here, in order. PostgreSQL gets `$start, …`; SQLite gets plain `?`
/// (numbered in order of appearance), because it looks each numbered parameter up by a linear
/// scan, which makes binding a 100-record insert (1,300 parameters) quadratic.
pub(crate) fn placeholders(backend: Backend, start: usize, n: usize) -> String {
    let mut out = String::with_capacity(n * 6);
    for i in start..start + n {
        if i > start {
            out.push_str(", ");
        }
        match backend {
            Backend::Sqlite => out.push('?'),
            Backend::Postgres => {
                out.push('$');
                out.push_str(&i.to_string());
            }
        }
    }
    out
}

pub(crate) async fn stored(
    conn: &mut sqlx::AnyConnection,
    backend: Backend,
    ids: &[String],
) -> sqlx::Result<HashMap<String, Stored>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    // An id that is a later revision of some record is taken too: a new record under it
    // would make the id name two things. It answers as nobody's record (author 0), so it is
    // refused, never confirmed.
    let sql = format!(
        "SELECT id, content_hash, author_id FROM records WHERE id IN ({}) \
         UNION ALL SELECT v.id, '', 0 FROM record_revisions v \
         WHERE v.id IN ({}) AND v.id <> v.record_id",
        placeholders(backend, 1, ids.len()),
        placeholders(backend, ids.len() + 1, ids.len())
    );
    let mut q = sqlx::query(&sql);
    for id in ids.iter().chain(ids) {
        q = q.bind(id);
    }
    Ok(q.fetch_all(conn)
        .await?
        .into_iter()
        .map(|r| {
            (
                r.get(0),
                Stored {
                    content_hash: r.get(1),
                    author_id: r.get(2),
                },
            )
        })
        .collect())
}

/// Whether `stored` is the hash a server that read numbers one unit off (before exact float
/// reading) gave this same record: sent again after the upgrade, it is a duplicate, not a
/// conflicting copy for a supervisor. Only asked when the hashes differ.
fn same_as_stored_before_exact_numbers(rec: &RecordEnvelope, stored: &str) -> bool {
    rec.legacy_content_hash().is_some_and(|h| h == stored)
}

fn conflict_message(lang: Lang) -> String {
    match lang {
        Lang::Vi => "Máy chủ đã có hồ sơ này với nội dung khác. Cán bộ phụ trách sẽ xem xét.".into(),
        Lang::En => "The server already has this record with different content. A supervisor will review it.".into(),
    }
}

fn invalid_message(lang: Lang, omitted: usize) -> String {
    match (lang, omitted) {
        (Lang::Vi, 0) => "Hồ sơ có mục chưa hợp lệ; hãy sửa rồi gửi lại.".into(),
        (Lang::En, 0) => "Some fields are not valid; correct them and send again.".into(),
        (Lang::Vi, n) => {
            format!(
                "Hồ sơ có mục chưa hợp lệ (còn {n} lỗi khác không hiển thị); hãy sửa rồi gửi lại."
            )
        }
        (Lang::En, n) => {
            format!("Some fields are not valid ({n} more problems not shown); correct them and send again.")
        }
    }
}

fn rejected(message: String) -> PushOutcome {
    PushOutcome::Rejected {
        message,
        errors: Vec::new(),
    }
}

/// What a caller may file: which groups (and their ward), which forms.
struct Permissions {
    /// The groups the caller may file for now and, for a member of a ward's staff, the groups
    /// of wards they or the groups left lately (see [`Permissions::place`]).
    groups: HashMap<i64, GroupPlaces>,
    /// Where a member of a ward's staff was, as reorganisations moved them, oldest first; empty
    /// when none did.
    own: Vec<Place>,
    /// The caller's ward now.
    ward: Option<i64>,
    /// When the caller's account was made (ms): nothing they sent was filed before.
    created_at: i64,
    /// A group leader's group.
    group: Option<i64>,
    role: Role,
}

/// A place over time: in `ward` from `since` (ms, the effective date), as entered at `applied`.
#[derive(Debug, Clone, Copy)]
struct Place {
    ward: i64,
    since: i64,
    applied: i64,
}

#[derive(Debug, Default)]
struct GroupPlaces {
    /// The group's ward now.
    now: i64,
    /// Oldest first.
    places: Vec<Place>,
}

/// How long after a reorganisation was entered records filed before it in the old place are
/// still accepted: phones that were offline then send them later.
const OLD_PLACE_GRACE_MS: i64 = 30 * domain::calendar::DAY_MS;

/// The place of `places` (oldest first) in effect at `t`, its changes counted from `key` (the
/// effective date, or when the change was entered), and the next one.
fn place_at(
    places: &[Place],
    t: i64,
    key: impl Fn(&Place) -> i64,
) -> Option<(&Place, Option<&Place>)> {
    let i = places.iter().rposition(|p| key(p) <= t).unwrap_or_default();
    places.get(i).map(|p| (p, places.get(i + 1)))
}

/// Where a record is kept: the ward that answers for its group now, and the ward its group
/// belonged to when it was filed.
#[derive(Debug, Clone, Copy)]
struct Placed {
    now: i64,
    filed: i64,
}

impl Permissions {
    /// Where a record about `group` filed at `filed_at` (ms, the phone's clock) is kept, if the
    /// caller may file it: a group leader for their group; a member of a ward's staff for a
    /// group of their ward now, or for a group of the ward they were in when they filed it,
    /// if a reorganisation entered within [`OLD_PLACE_GRACE_MS`] of `now` moved them or the
    /// group since (a record filed offline before the change). The phone's clock is not
    /// trusted beyond that: at worst it reaches the groups its user had until lately.
    fn place(&self, group: i64, filed_at: i64, now: i64) -> Option<Placed> {
        let g = self.groups.get(&group)?;
        let filed = place_at(&g.places, filed_at, |p| p.since).map_or(g.now, |(p, _)| p.ward);
        let placed = Placed { now: g.now, filed };
        let allowed = match self.role {
            Role::GroupLeader => self.group == Some(group),
            Role::Officer | Role::Supervisor => {
                Some(g.now) == self.ward || self.filed_before_a_recent_change(g, filed_at, now)
            }
            Role::Admin | Role::Provincial => false,
        };
        allowed.then_some(placed)
    }

    fn filed_before_a_recent_change(&self, g: &GroupPlaces, t: i64, now: i64) -> bool {
        if t < self.created_at {
            return false;
        }
        // Changes count from when they were entered: until then, phones knew the old places.
        let entered = |p: &Place| p.applied;
        let (mine, my_next) = match place_at(&self.own, t, entered) {
            Some((p, next)) => (p.ward, next),
            None => match self.ward {
                Some(w) => (w, None),
                None => return false,
            },
        };
        let Some((theirs, their_next)) = place_at(&g.places, t, entered) else {
            return false;
        };
        let change = [my_next, their_next]
            .into_iter()
            .flatten()
            .map(|p| p.applied)
            .min();
        mine == theirs.ward && change.is_some_and(|at| now < at + OLD_PLACE_GRACE_MS)
    }
}

/// When a record was filed by the phone's clock (its `created_at`), never later than `now`;
/// `now` when the phone's time cannot be read.
fn filed_at(rec: &RecordEnvelope, now: i64) -> i64 {
    domain::calendar::filed_at_ms(&rec.created_at, now)
}

/// Groups with their ward now and their places over time; a group placed before places were
/// kept (or by hand in the database) has always been where it is.
const PLACES: &str = "SELECT g.id, g.ward_id, COALESCE(p.ward_id, g.ward_id), COALESCE(p.since, 0), \
     COALESCE(p.applied_at, 0) FROM residential_groups g LEFT JOIN group_places p ON p.group_id = g.id";

async fn permissions(conn: &mut sqlx::AnyConnection, caller: &Caller) -> sqlx::Result<Permissions> {
    let (own, rows) = match (caller.role, caller.ward_id, caller.group_id) {
        (Role::GroupLeader, _, Some(g)) => {
            let rows = sqlx::query(&format!("{PLACES} WHERE g.id = $1 ORDER BY 1, 4"))
                .bind(g)
                .fetch_all(&mut *conn)
                .await?;
            (Vec::new(), rows)
        }
        (Role::Officer | Role::Supervisor, Some(w), _) => {
            let own: Vec<(i64, i64, i64)> = sqlx::query_as(
                "SELECT ward_id, since, applied_at FROM user_places WHERE user_id = $1 ORDER BY since",
            )
            .bind(caller.user_id)
            .fetch_all(&mut *conn)
            .await?;
            // The groups of the caller's ward now, and of the wards it and they were in lately.
            let rows = sqlx::query(&format!(
                "{PLACES} WHERE g.ward_id = $1 \
                    OR g.id IN (SELECT q.group_id FROM group_places q WHERE q.ward_id = $1) \
                    OR g.id IN (SELECT q.group_id FROM group_places q \
                                JOIN user_places u ON u.ward_id = q.ward_id \
                                WHERE u.user_id = $2) \
                 ORDER BY 1, 4"
            ))
            .bind(w)
            .bind(caller.user_id)
            .fetch_all(&mut *conn)
            .await?;
            let own = own
                .into_iter()
                .map(|(ward, since, applied)| Place {
                    ward,
                    since,
                    applied,
                })
                .collect();
            (own, rows)
        }
        _ => (Vec::new(), Vec::new()),
    };
    let mut groups: HashMap<i64, GroupPlaces> = HashMap::new();
    for r in rows {
        let g = groups.entry(r.get(0)).or_default();
        g.now = r.get(1);
        g.places.push(Place {
            ward: r.get(2),
            since: r.get(3),
            applied: r.get(4),
        });
    }
    Ok(Permissions {
        groups,
        own,
        ward: caller.ward_id,
        created_at: caller.created_at,
        group: caller.group_id,
        role: caller.role,
    })
}

#[utoipa::path(post, path = "/api/sync/push", tag = "sync", summary = "Send records from the phone's outbox", request_body = domain::sync::PushRequest, responses(
    (status = 200, description = "One result per record: accepted, duplicate, conflict or rejected. Sent only after the commit.", body = domain::sync::PushResponse),
    (status = 413, description = "Body or batch too large", body = domain::api::ErrorBody),
    ))]
pub(crate) async fn push(
    State(state): State<AppState>,
    caller: Caller,
    AppJson(req): AppJson<PushRequest>,
) -> AppResult<Json<PushResponse>> {
    if req.records.len() > MAX_PUSH_BATCH {
        return Err(AppError::BatchTooLarge {
            max: MAX_PUSH_BATCH,
        });
    }
    let lang = request_lang();
    let backend = state.db.backend;
    let mut records = req.records;
    let hashes: Vec<String> = records.iter().map(RecordEnvelope::content_hash).collect();
    let ids: Vec<String> = records.iter().map(|r| r.id.to_string()).collect();
    let mut outcomes: Vec<Option<PushOutcome>> = vec![None; records.len()];

    // One connection for the whole push: every checkout and check-in is a round trip to the
    // SQLite worker thread, and a second checkout while holding one could starve the pool.
    let mut conn = state.db.pool.acquire().await?;
    let perms = permissions(&mut conn, &caller).await?;
    let mut forms: HashMap<(String, u32), Option<Arc<FormDef>>> = HashMap::new();
    let already = stored(&mut conn, backend, &ids).await?;

    // Decide what can be stored before opening the write transaction, so it stays short.
    let mut first_of: HashMap<&str, usize> = HashMap::new();
    let mut fresh: Vec<usize> = Vec::new();
    // Resubmissions name a stored record on purpose: they are checked like new records, then
    // applied one by one against the record as it is then (see `resubmit`).
    let mut resubmissions: Vec<usize> = Vec::new();
    let mut error_budget = MAX_ERRORS_PER_PUSH;
    let arrived = now_ms();
    let placed: Vec<Option<Placed>> = records
        .iter()
        .map(|rec| perms.place(rec.group_id, filed_at(rec, arrived), arrived))
        .collect();
    for (i, rec) in records.iter().enumerate() {
        let known = rec
            .revision
            .is_none()
            .then(|| {
                already
                    .get(&ids[i])
                    .map(|s| (s.content_hash.as_str(), s.author_id))
                    .or_else(|| {
                        first_of
                            .get(ids[i].as_str())
                            .map(|&j| (hashes[j].as_str(), caller.user_id))
                    })
            })
            .flatten();
        if let Some((hash, author)) = known {
            outcomes[i] = Some(if author != caller.user_id {
                // Someone else's record: nothing of it is stored or confirmed for this caller.
                rejected(match lang {
                    Lang::Vi => "Không thể lưu hồ sơ này.".into(),
                    Lang::En => "This record cannot be stored.".into(),
                })
            } else if hash == hashes[i] || same_as_stored_before_exact_numbers(rec, hash) {
                PushOutcome::Duplicate
            } else {
                PushOutcome::Conflict {
                    message: conflict_message(lang),
                }
            });
            continue;
        }
        let key = (rec.form_key.clone(), rec.form_version);
        if !forms.contains_key(&key) {
            let form = state
                .db
                .form_on(&mut conn, &rec.form_key, rec.form_version)
                .await?;
            forms.insert(key.clone(), form);
        }
        let Some(form) = &forms[&key] else {
            outcomes[i] = Some(rejected(match lang {
                Lang::Vi => format!(
                    "Máy chủ không có biểu mẫu {} phiên bản {}.",
                    rec.form_key, rec.form_version
                ),
                Lang::En => format!(
                    "The server has no form {} version {}.",
                    rec.form_key, rec.form_version
                ),
            }));
            continue;
        };
        if !form.filed_by.contains(&perms.role) {
            outcomes[i] = Some(rejected(match lang {
                Lang::Vi => "Tài khoản của bạn không được gửi loại hồ sơ này.".into(),
                Lang::En => "Your account may not file this kind of record.".into(),
            }));
            continue;
        }
        if placed[i].is_none() {
            outcomes[i] = Some(rejected(match lang {
                Lang::Vi => "Bạn không phụ trách tổ dân phố này.".into(),
                Lang::En => "You are not responsible for this residential group.".into(),
            }));
            continue;
        }
        // Errors are bounded per record and per answer, so that a small push of junk cannot
        // make a huge answer: past the budget a record is refused with its count only.
        let max = MAX_ERRORS_PER_RECORD.min(error_budget);
        let found = validate_at_most(form, &rec.data, lang, max);
        if !found.is_empty() {
            error_budget -= found.errors.len();
            outcomes[i] = Some(PushOutcome::Rejected {
                message: invalid_message(lang, found.omitted),
                errors: found.errors,
            });
            continue;
        }
        if rec.revision.is_some() {
            resubmissions.push(i);
            continue;
        }
        // Only a copy that passed every check counts as "already in this batch".
        first_of.insert(&ids[i], i);
        fresh.push(i);
    }

    // The reads are done; what is written goes through the server's one writer of pushes
    // (see `crate::pushes`), and a push that writes nothing does not wait for it.
    drop(conn);
    let conflicts: Vec<usize> = (0..records.len())
        .filter(|&i| matches!(outcomes[i], Some(PushOutcome::Conflict { .. })))
        .collect();
    if !fresh.is_empty() || !conflicts.is_empty() {
        let mut new = Vec::with_capacity(fresh.len());
        for &i in &fresh {
            // The answers move to the writer: the handler needs no more than the id.
            let data = std::mem::take(&mut records[i].data);
            let rec = &records[i];
            let place = placed[i].expect("checked");
            let facets = domain::indicators::facets(&rec.form_key, &data);
            new.push(NewRecord {
                id: ids[i].clone(),
                form_key: rec.form_key.clone(),
                form_version: i64::from(rec.form_version),
                ward_checked: place.now,
                filed_ward: place.filed,
                group_id: rec.group_id,
                content_hash: hashes[i].clone(),
                // As the phone wrote it, but for NUL, which PostgreSQL's text cannot hold.
                client_created_at: rec
                    .created_at
                    .chars()
                    .filter(|&c| c != '\0')
                    .take(40)
                    .collect(),
                search_text: domain::fold::search_text(
                    forms[&(rec.form_key.clone(), rec.form_version)].as_deref(),
                    &data,
                ),
                urgency: domain::fold::urgency(&data).map(str::to_owned),
                category: facets.category,
                serious: facets.serious,
                subject: facets.subject,
                // Never before the account existed (a phone's clock can be years off).
                filed_at: filed_at(rec, arrived).max(perms.created_at.min(arrived)),
                data,
            });
        }
        let kept = conflicts
            .iter()
            .map(|&i| KeptConflict {
                record_id: ids[i].clone(),
                group_id: records[i].group_id,
                form_version: i64::from(records[i].form_version),
                ward_id: placed[i].map(|p| p.now),
                legacy_hash: records[i].legacy_content_hash(),
                data: std::mem::take(&mut records[i].data),
                content_hash: hashes[i].clone(),
            })
            .collect();
        let written = state
            .pushes
            .write(Push {
                author_id: caller.user_id,
                fresh: new,
                conflicts: kept,
            })
            .await?;
        for (&i, w) in fresh.iter().zip(written) {
            outcomes[i] = Some(match w {
                Written::Accepted => PushOutcome::Accepted,
                Written::Duplicate => PushOutcome::Duplicate,
                Written::Conflict => PushOutcome::Conflict {
                    message: conflict_message(lang),
                },
            });
        }
    }
    let mut writer = None;
    for i in resubmissions {
        let conn = match &mut writer {
            Some(conn) => conn,
            None => writer.insert(state.db.writer.acquire().await?),
        };
        let ward = placed[i].expect("checked").now;
        let rec = &records[i];
        let form = forms[&(rec.form_key.clone(), rec.form_version)].as_deref();
        outcomes[i] = Some(resubmit(conn, &caller, (ward, form), rec, &hashes[i], lang).await?);
    }

    let results = records
        .iter()
        .zip(outcomes)
        .map(|(rec, outcome)| PushResult {
            id: rec.id,
            outcome: outcome.expect("every record has an outcome"),
        })
        .collect();
    Ok(Json(PushResponse { results }))
}

fn stale_message(lang: Lang) -> String {
    match lang {
        Lang::Vi => "Hồ sơ đã thay đổi trên máy chủ trong lúc bạn sửa (đã bị trả lại lần nữa hoặc được sửa trên máy khác). Bản sửa của bạn được giữ lại để cán bộ phụ trách xem xét.".into(),
        Lang::En => "The record changed on the server while you corrected it (returned again, or corrected on another phone). Your copy is kept for a supervisor to review.".into(),
    }
}

/// Applies one resubmission (sync rule 7) in its own transaction, against the record as it is
/// under the lock: it becomes the record's current revision if it names the current one as its
/// base and the record is returned to this author; a replay of a stored revision is a
/// duplicate; anything else is a conflict, kept for a supervisor and never applied.
async fn resubmit(
    conn: &mut sqlx::AnyConnection,
    caller: &Caller,
    (ward, form): (i64, Option<&FormDef>),
    rec: &RecordEnvelope,
    hash: &str,
    lang: Lang,
) -> AppResult<PushOutcome> {
    let Some(rev) = rec.revision else {
        return Err(anyhow::anyhow!("resubmit without a revision").into());
    };
    let id = rec.id.to_string();
    let mut tx = conn.begin().await?;
    let seq = next_seq(&mut tx, 1).await?;
    // Someone else's record and no record at all answer alike: nothing is revealed.
    let cannot = || {
        rejected(match lang {
            Lang::Vi => "Không thể lưu hồ sơ này.".into(),
            Lang::En => "This record cannot be stored.".into(),
        })
    };
    let Some(row) = sqlx::query(
        "SELECT status, author_id, COALESCE(revision_id, id), content_hash, form_key, ward_id \
         FROM records WHERE id = $1",
    )
    .bind(&id)
    .fetch_optional(&mut *tx)
    .await?
    else {
        return Ok(cannot());
    };
    let (status, author, current, current_hash): (String, i64, String, String) =
        (row.get(0), row.get(1), row.get(2), row.get(3));
    if author != caller.user_id {
        return Ok(cannot());
    }
    // A correction stays in its form and its ward: it cannot carry a record out of the sight
    // of the ward that returned it (its author may have moved since).
    if row.get::<String, _>(4) != rec.form_key || row.get::<i64, _>(5) != ward {
        return Ok(rejected(match lang {
            Lang::Vi => "Bản sửa phải giữ nguyên biểu mẫu và phường của hồ sơ.".into(),
            Lang::En => "A correction keeps the record's form and ward.".into(),
        }));
    }
    // A replay: the revision is stored already (as the current one, or in the history). A
    // revision id is unique across all records: one naming another record (or its history) is
    // refused here rather than breaking that record's next correction.
    let rev_id = rev.id.to_string();
    if rev_id == id {
        // The first revision is the record: a correction is always another one.
        return Ok(cannot());
    }
    let stored_hash: Option<String> = if current == rev_id {
        Some(current_hash.clone())
    } else {
        match revisions::owner_of(&mut tx, &rev_id).await? {
            Some((owner, _)) if owner != id => return Ok(cannot()),
            Some((_, hash)) => Some(hash),
            None => None,
        }
    };
    let now = now_ms();
    let status =
        RecordStatus::parse(&status).ok_or_else(|| anyhow::anyhow!("unknown status {status:?}"))?;
    let applies = stored_hash.is_none()
        && current == rev.base.to_string()
        && domain::review::resubmit(status, true).is_ok();
    if let Some(h) = &stored_hash {
        if h == hash || same_as_stored_before_exact_numbers(rec, h) {
            return Ok(PushOutcome::Duplicate);
        }
    }
    let base = rev.base.to_string();
    if !applies {
        let legacy = rec.legacy_content_hash();
        let conflict = revisions::Conflict {
            record_id: &id,
            author_id: caller.user_id,
            group_id: rec.group_id,
            form_version: i64::from(rec.form_version),
            ward_id: Some(ward),
            data: &rec.data,
            content_hash: hash,
            legacy_hash: legacy.as_deref(),
            revision: Some((&rev_id, &base)),
            now,
        };
        if revisions::keep_conflict(&mut tx, conflict).await? {
            tx.commit().await?;
        }
        return Ok(PushOutcome::Conflict {
            message: stale_message(lang),
        });
    }
    revisions::make_current(
        &mut tx,
        revisions::NewRevision {
            record_id: &id,
            id: &rev_id,
            base: &base,
            author_id: caller.user_id,
            form_version: i64::from(rec.form_version),
            form,
            group_id: rec.group_id,
            ward_id: ward,
            data: &rec.data,
            content_hash: hash,
            now,
            seq,
        },
    )
    .await?;
    sqlx::query(
        "INSERT INTO record_reviews (record_id, action, from_status, to_status, comment, reviewer_id, at) \
         VALUES ($1, 'resubmit', $2, $3, NULL, $4, $5)",
    )
    .bind(&id)
    .bind(status.as_str())
    .bind(RecordStatus::Received.as_str())
    .bind(caller.user_id)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    record_audit(
        &mut tx,
        Audit {
            actor: Some(caller.user_id),
            action: "record.resubmit",
            entity: "record",
            entity_id: &id,
            ward_id: Some(ward),
            before: Some(serde_json::json!({"status": status.as_str(), "revision": current})),
            after: Some(serde_json::json!({
                "status": RecordStatus::Received.as_str(), "revision": rev_id, "content_hash": hash
            })),
            detail: "",
        },
    )
    .await?;
    // Sync rule 4: acknowledged only once committed.
    tx.commit().await?;
    Ok(PushOutcome::Accepted)
}

#[utoipa::path(get, path = "/api/sync/pull", tag = "sync", summary = "Changes for the phone since its cursor", params(
    ("cursor" = Option<i64>, Query, description = "The cursor of the previous page; 0 (everything) when left out"),
    ("limit" = Option<u32>, Query, description = "At most this many changes, 500 by default (1 to 500; a number outside is taken as the nearest)"),
    ("epoch" = Option<String>, Query, description = "The epoch of the answer that gave the cursor; a cursor of another database is answered with reset"),
), responses((status = 200, body = domain::sync::PullResponse)))]
pub(crate) async fn pull(
    Signed { caller, mut conn }: Signed,
    AppQuery(query): AppQuery<PullQuery>,
) -> AppResult<Json<PullResponse>> {
    let limit = i64::from(query.limit.unwrap_or(MAX_PULL_PAGE).clamp(1, MAX_PULL_PAGE));
    // Everything up to the counter's committed value is committed (see `next_seq`). Forms are
    // published a few times a year: whether one was since the cursor is asked in the same
    // statement, so that most pulls take two statements, not three.
    let (epoch, snapshot, new_forms): (String, i64, i64) = sqlx::query_as(
        "SELECT (SELECT epoch FROM db_identity WHERE id = 1), c.value, \
                CASE WHEN EXISTS (SELECT 1 FROM forms f WHERE f.seq > $1 AND f.seq <= c.value) \
                THEN 1 ELSE 0 END \
         FROM counters c WHERE c.name = 'seq'",
    )
    .bind(query.cursor)
    .fetch_one(&mut *conn)
    .await?;
    // A cursor of another database (another epoch) or beyond this one's counter cannot be
    // answered from: the phone starts again from 0.
    let foreign = query.epoch.as_ref().is_some_and(|e| *e != epoch);
    if foreign || query.cursor > snapshot || query.cursor < 0 {
        return Ok(Json(PullResponse {
            changes: Vec::new(),
            cursor: 0,
            more: false,
            reset: true,
            epoch,
        }));
    }
    let forms = if new_forms == 0 {
        Vec::new()
    } else {
        sqlx::query(
            "SELECT definition, seq FROM forms WHERE seq > $1 AND seq <= $2 ORDER BY seq LIMIT $3",
        )
        .bind(query.cursor)
        .bind(snapshot)
        .bind(limit + 1)
        .fetch_all(&mut *conn)
        .await?
    };
    // The caller's own records, within their current place: someone moved to another group or
    // ward no longer follows what happens to the old place's records.
    let (in_group, in_ward) = match caller.role {
        Role::GroupLeader => (Some(caller.group_id.unwrap_or(-1)), None),
        Role::Officer | Role::Supervisor => (None, Some(caller.ward_id.unwrap_or(-1))),
        Role::Admin | Role::Provincial => (Some(-1), None),
    };
    let records = sqlx::query(
        "SELECT id, form_key, form_version, status, updated_at, status_note, seq, group_id, revision_id, \
                CASE WHEN status = 'returned' THEN data END, \
                CASE WHEN EXISTS (SELECT 1 FROM record_conflicts c WHERE c.record_id = records.id \
                        AND c.author_id = records.author_id AND c.resolution IS NULL) THEN 1 ELSE 0 END \
                FROM records \
         WHERE author_id = $1 AND seq > $2 AND seq <= $3 \
           AND ($5 IS NULL OR group_id = $5) AND ($6 IS NULL OR ward_id = $6) \
         ORDER BY seq LIMIT $4",
    )
    .bind(caller.user_id)
    .bind(query.cursor)
    .bind(snapshot)
    .bind(limit + 1)
    .bind(in_group)
    .bind(in_ward)
    .fetch_all(&mut *conn)
    .await?;

    // Parsing the answers needs no connection; on SQLite there are four for every reader.
    drop(conn);
    let mut changes: Vec<(i64, Change)> = Vec::with_capacity(forms.len() + records.len());
    for r in forms {
        let form: FormDef =
            serde_json::from_str(&r.get::<String, _>(0)).map_err(anyhow::Error::from)?;
        changes.push((r.get(1), Change::Form { form }));
    }
    for r in records {
        let id: String = r.get(0);
        let status: String = r.get(3);
        changes.push((
            r.get(6),
            Change::Record(RecordState {
                id: id.parse().map_err(anyhow::Error::from)?,
                form_key: r.get(1),
                form_version: u32::try_from(r.get::<i64, _>(2)).map_err(anyhow::Error::from)?,
                status: RecordStatus::parse(&status)
                    .ok_or_else(|| anyhow::anyhow!("unknown status {status:?}"))?,
                updated_at: r.get(4),
                note: r.get(5),
                group_id: r.get(7),
                revision: r
                    .get::<Option<String>, _>(8)
                    .map(|s| s.parse())
                    .transpose()
                    .map_err(anyhow::Error::from)?,
                data: r
                    .get::<Option<String>, _>(9)
                    .map(|d| serde_json::from_str(&d))
                    .transpose()
                    .map_err(anyhow::Error::from)?,
                conflict_open: r.get::<i64, _>(10) != 0,
            }),
        ));
    }
    changes.sort_by_key(|(seq, _)| *seq);
    let more = changes.len() as i64 > limit;
    changes.truncate(limit as usize);
    let cursor = if more {
        changes.last().map(|(s, _)| *s).unwrap_or(query.cursor)
    } else {
        snapshot
    };
    Ok(Json(PullResponse {
        changes: changes.into_iter().map(|(_, c)| c).collect(),
        cursor,
        more,
        reset: false,
        epoch,
    }))
}
