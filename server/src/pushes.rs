//! New records written together: the push handler checks each record of a push (its form, the
//! caller's permissions, whether it is stored already) and hands the new ones to one task per
//! server, which writes every push waiting at that moment in one transaction.
//!
//! Every writer of changes takes the change counter's row (`next_seq`) and holds it to its
//! commit, so that change numbers are committed in order (sync rule 6). On PostgreSQL a push
//! used to take it in its own transaction: pushes ran one after another through five round
//! trips each, and under load they queued for the row for a second and more (`UPDATE
//! counters` waiting 30 ms on average and over a second at worst in `cargo xtask bench load
//! --postgres`). Written together, the pushes that queue share one counter update, one
//! statement per table and one commit, and nothing is answered before that commit (rule 4).
//!
//! One push's records are never split across transactions, and two pushes that name the same
//! record are never in the same one: the second waits for the next transaction, so that each
//! learns whether its copy was stored as it would alone. If a transaction of several pushes
//! fails on the data of one (a value the database refuses) or panics, each push is written
//! again alone, so that one push's failure is only its own; pushes whose client has gone are
//! not written, and a transaction is given up after 30 s.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use serde_json::{Map, Value};
use sqlx::Connection;
use tokio::sync::{mpsc, oneshot};

use crate::db::{next_seq, Db};
use crate::now_ms;
use crate::revisions;
use crate::routes::sync::{placeholders, stored};

/// At most this many pushes in one transaction, and about this many records (a push is
/// never split, so one of 200 records may pass it).
const MAX_PUSHES: usize = 64;
const MAX_RECORDS: usize = 1000;
/// Records per INSERT statement: 20 values each.
const ROWS_PER_INSERT: usize = 100;

/// A record that passed every check, as it will be stored.
pub(crate) struct NewRecord {
    pub id: String,
    pub form_key: String,
    pub form_version: i64,
    /// The group's ward when the push was checked: kept if the group is gone at the write.
    pub ward_checked: i64,
    pub filed_ward: i64,
    pub group_id: i64,
    pub data: Map<String, Value>,
    pub content_hash: String,
    pub client_created_at: String,
    pub search_text: String,
    pub urgency: Option<String>,
    pub category: String,
    pub serious: bool,
    pub subject: Option<String>,
    pub filed_at: i64,
}

/// A copy under a stored id with other content: kept for a reviewer, never applied.
pub(crate) struct KeptConflict {
    pub record_id: String,
    pub group_id: i64,
    pub form_version: i64,
    pub ward_id: Option<i64>,
    pub data: Map<String, Value>,
    pub content_hash: String,
    /// See `revisions::Conflict::legacy_hash`.
    pub legacy_hash: Option<String>,
}

/// What one push writes.
pub(crate) struct Push {
    pub author_id: i64,
    pub fresh: Vec<NewRecord>,
    pub conflicts: Vec<KeptConflict>,
}

impl Push {
    /// What it weighs in a transaction: its rows.
    fn size(&self) -> usize {
        self.fresh.len() + self.conflicts.len()
    }
}

/// What became of a new record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Written {
    Accepted,
    /// Stored meanwhile by another push of the same author with the same content.
    Duplicate,
    /// Stored meanwhile with other content or by someone else: kept as a conflict.
    Conflict,
}

struct Job {
    push: Arc<Push>,
    reply: oneshot::Sender<anyhow::Result<Vec<Written>>>,
}

impl Job {
    fn ids(&self) -> impl Iterator<Item = &str> {
        self.push
            .fresh
            .iter()
            .map(|r| r.id.as_str())
            .chain(self.push.conflicts.iter().map(|c| c.record_id.as_str()))
    }
}

/// The way to the writer task.
#[derive(Clone)]
pub struct Pushes {
    jobs: mpsc::Sender<Job>,
}

/// Pushes waiting for the writer. Each is a request being answered, so the connection limit
/// bounds them too; pushes whose client gave up are dropped unwritten (below).
const QUEUE: usize = 256;
/// A transaction that takes longer is given up (rolled back) and its pushes answered with an
/// error, so that a stuck write cannot hold every push behind it; the phones send them again.
const WRITE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

impl Pushes {
    /// Starts the writer task on the current runtime; it ends when every `Pushes` is dropped.
    pub fn start(db: Db) -> Pushes {
        let (jobs, waiting) = mpsc::channel(QUEUE);
        tokio::spawn(write_all(db, waiting));
        Pushes { jobs }
    }

    /// Writes `push` and answers for each of its new records, in order, after the commit.
    pub(crate) async fn write(&self, push: Push) -> anyhow::Result<Vec<Written>> {
        let (reply, answer) = oneshot::channel();
        self.jobs
            .send(Job {
                push: Arc::new(push),
                reply,
            })
            .await
            .map_err(|_| anyhow::anyhow!("the push writer has stopped"))?;
        answer
            .await
            .map_err(|_| anyhow::anyhow!("the push writer gave no answer"))?
    }
}

async fn write_all(db: Db, mut waiting: mpsc::Receiver<Job>) {
    let mut held: Option<Job> = None;
    loop {
        let first = match held.take() {
            Some(job) => job,
            None => match waiting.recv().await {
                Some(job) => job,
                None => return,
            },
        };
        // A push whose client is gone (disconnected, or answered 408) is not written: nothing
        // of it was acknowledged, and the phone sends it again.
        if first.reply.is_closed() {
            continue;
        }
        let mut ids: HashSet<String> = first.ids().map(str::to_owned).collect();
        let mut size = first.push.size();
        let mut group = vec![first];
        while group.len() < MAX_PUSHES && size < MAX_RECORDS {
            let Ok(job) = waiting.try_recv() else { break };
            if job.reply.is_closed() {
                continue;
            }
            if job.ids().any(|id| ids.contains(id)) {
                held = Some(job);
                break;
            }
            ids.extend(job.ids().map(str::to_owned));
            size += job.push.size();
            group.push(job);
        }
        write_group(&db, group).await;
    }
}

/// Writes a group and answers each of its pushes. A panic is an error for that write only, and
/// the writer goes on.
async fn write_group(db: &Db, group: Vec<Job>) {
    let pushes: Vec<Arc<Push>> = group.iter().map(|j| j.push.clone()).collect();
    let together = write_within(db, pushes, WRITE_TIMEOUT).await;
    match together {
        Ok(results) => {
            for (job, result) in group.into_iter().zip(results) {
                let _ = job.reply.send(Ok(result));
            }
        }
        // Something in the data of one push (a broken constraint): written alone, the others
        // are stored and only that push fails. Any other error (the database unreachable, a
        // timeout) would fail them alone too, so all are answered with it.
        Err(e) if group.len() > 1 && is_about_the_data(&e) => {
            tracing::warn!(error = ?e, pushes = group.len(), "pushes written together failed; writing each alone");
            for job in group {
                let alone = write_within(db, vec![job.push.clone()], WRITE_TIMEOUT).await;
                let _ = job
                    .reply
                    .send(alone.map(|mut r| r.pop().unwrap_or_default()));
            }
        }
        Err(e) => {
            let message = format!("{e:#}");
            for job in group {
                let _ = job.reply.send(Err(anyhow::anyhow!("{message}")));
            }
        }
    }
}

/// [`write`] within `limit` ([`WRITE_TIMEOUT`] but in tests); a panic is caught and is an
/// error. It runs in the writer's own task rather than one spawned per transaction.
async fn write_within(
    db: &Db,
    pushes: Vec<Arc<Push>>,
    limit: std::time::Duration,
) -> anyhow::Result<Vec<Vec<Written>>> {
    use futures_util::FutureExt;
    let pushes: Vec<&Push> = pushes.iter().map(|p| p.as_ref()).collect();
    let write = tokio::time::timeout(limit, write(db, &pushes));
    match std::panic::AssertUnwindSafe(write).catch_unwind().await {
        Ok(Ok(written)) => written,
        Ok(Err(_)) => Err(anyhow::anyhow!(
            "writing pushes took over {} ms",
            limit.as_millis()
        )),
        Err(panic) => Err(anyhow::Error::new(Panicked(
            panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default(),
        ))),
    }
}

/// A write that panicked (a bug): its pushes are written again alone, as after a refused value.
#[derive(Debug)]
struct Panicked(String);

impl std::fmt::Display for Panicked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "writing pushes panicked: {}", self.0)
    }
}

impl std::error::Error for Panicked {}

/// Whether `e` is the database refusing some value (a constraint, a value it cannot store),
/// as opposed to the database failing; a panic counts as the data's too.
fn is_about_the_data(e: &anyhow::Error) -> bool {
    if e.is::<Panicked>() {
        return true;
    }
    match e.downcast_ref::<sqlx::Error>() {
        Some(sqlx::Error::Database(db)) => {
            db.kind() != sqlx::error::ErrorKind::Other
                || db
                    .code()
                    .is_some_and(|c| c.starts_with("22") || c.starts_with("23"))
        }
        _ => false,
    }
}

/// Writes `pushes` in one transaction: their new records, each push's conflicts, the audit
/// trail and the photos the records name. Answers per push, per new record.
async fn write(db: &Db, pushes: &[&Push]) -> anyhow::Result<Vec<Vec<Written>>> {
    let backend = db.backend;
    let mut conn = db.writer.acquire().await?;
    let mut tx = conn.begin().await?;
    let now = now_ms();
    let all: Vec<(&Push, &NewRecord)> = pushes
        .iter()
        .flat_map(|p| p.fresh.iter().map(move |r| (*p, r)))
        .collect();
    // The copies each push found conflicting before it was written. They need no change
    // number, so they are kept before the counter is taken, which they would hold up.
    for push in pushes {
        for c in &push.conflicts {
            revisions::keep_conflict(
                &mut tx,
                revisions::Conflict {
                    record_id: &c.record_id,
                    author_id: push.author_id,
                    group_id: c.group_id,
                    form_version: c.form_version,
                    ward_id: c.ward_id,
                    data: &c.data,
                    content_hash: &c.content_hash,
                    legacy_hash: c.legacy_hash.as_deref(),
                    revision: None,
                    now,
                },
            )
            .await?;
        }
    }
    let mut inserted: HashSet<String> = HashSet::new();
    let mut now_stored = HashMap::new();
    if !all.is_empty() {
        let base = next_seq(&mut tx, all.len() as i64).await?;
        // The groups' wards as they are now that this transaction holds the write lock: a
        // reorganisation that committed since the pushes were checked has moved them.
        let mut group_ids: Vec<i64> = all.iter().map(|(_, r)| r.group_id).collect();
        group_ids.sort_unstable();
        group_ids.dedup();
        let sql = format!(
            "SELECT id, ward_id FROM residential_groups WHERE id IN ({})",
            placeholders(backend, 1, group_ids.len())
        );
        let mut q = sqlx::query_as::<_, (i64, i64)>(&sql);
        for g in &group_ids {
            q = q.bind(g);
        }
        let ward_now: HashMap<i64, i64> = q.fetch_all(&mut *tx).await?.into_iter().collect();
        let ward = |r: &NewRecord| ward_now.get(&r.group_id).copied().unwrap_or(r.ward_checked);
        const COLS: usize = 20;
        for (c, chunk) in all.chunks(ROWS_PER_INSERT).enumerate() {
            let rows: Vec<String> = (0..chunk.len())
                .map(|k| format!("({})", placeholders(backend, k * COLS + 1, COLS)))
                .collect();
            let sql = format!(
                "INSERT INTO records (id, form_key, form_version, ward_id, filed_ward_id, group_id, author_id, data, \
                 content_hash, status, client_created_at, received_at, updated_at, seq, search_text, urgency, \
                 category, serious, subject, filed_at) VALUES {} \
                 ON CONFLICT (id) DO NOTHING",
                rows.join(", ")
            );
            let mut q = sqlx::query(&sql);
            for (k, (push, r)) in chunk.iter().enumerate() {
                q = q
                    .bind(&r.id)
                    .bind(&r.form_key)
                    .bind(r.form_version)
                    .bind(ward(r))
                    .bind(r.filed_ward)
                    .bind(r.group_id)
                    .bind(push.author_id)
                    .bind(serde_json::to_string(&r.data)?)
                    .bind(&r.content_hash)
                    .bind(domain::record::RecordStatus::Received.as_str())
                    .bind(&r.client_created_at)
                    .bind(now)
                    .bind(now)
                    .bind(base + (c * ROWS_PER_INSERT + k) as i64)
                    .bind(&r.search_text)
                    .bind(r.urgency.as_deref())
                    .bind(&r.category)
                    .bind(i64::from(r.serious))
                    .bind(r.subject.as_deref())
                    .bind(r.filed_at);
            }
            // Counted rather than returned (no row per record to hand across from SQLite's
            // thread): nearly always every row goes in.
            let went_in = q.execute(&mut *tx).await?.rows_affected();
            if went_in == chunk.len() as u64 {
                inserted.extend(chunk.iter().map(|(_, r)| r.id.clone()));
            } else {
                // An id was stored meanwhile: the rows that went in are those with this
                // chunk's change numbers (this transaction's own, so written into the SQL).
                let from = base + (c * ROWS_PER_INSERT) as i64;
                let to = from + chunk.len() as i64;
                let sql = format!("SELECT id FROM records WHERE seq >= {from} AND seq < {to}");
                inserted.extend(
                    sqlx::query_scalar::<_, String>(&sql)
                        .fetch_all(&mut *tx)
                        .await?,
                );
            }
        }
        // Another push of the same id may have committed since the handler looked.
        let raced: Vec<String> = all
            .iter()
            .filter(|(_, r)| !inserted.contains(&r.id))
            .map(|(_, r)| r.id.clone())
            .collect();
        now_stored = stored(&mut tx, backend, &raced).await?;
        let new: Vec<&(&Push, &NewRecord)> = all
            .iter()
            .filter(|(_, r)| inserted.contains(&r.id))
            .collect();
        for chunk in new.chunks(ROWS_PER_INSERT) {
            let rows: Vec<String> = (0..chunk.len())
                .map(|k| {
                    format!(
                        "({}, 'record.create', 'record')",
                        placeholders(backend, k * 5 + 1, 5)
                    )
                })
                .collect();
            let sql = format!(
                "INSERT INTO audit_log (at, actor_id, entity_id, ward_id, after_state, action, entity) VALUES {}",
                rows.join(", ")
            );
            let mut q = sqlx::query(&sql);
            for (push, r) in chunk {
                let after = serde_json::json!({
                    "form": format!("{}@{}", r.form_key, r.form_version),
                    "group_id": r.group_id,
                    "content_hash": r.content_hash,
                });
                q = q
                    .bind(now)
                    .bind(push.author_id)
                    .bind(&r.id)
                    .bind(ward(r))
                    .bind(after.to_string());
            }
            q.execute(&mut *tx).await?;
        }
        // The photos each new record names: it is complete once all of them arrived.
        let named: Vec<(&String, String)> = new
            .iter()
            .flat_map(|(_, r)| {
                domain::value::photo_shas(&r.data)
                    .into_iter()
                    .map(move |sha| (&r.id, sha))
            })
            .collect();
        for chunk in named.chunks(200) {
            let rows: Vec<String> = (0..chunk.len())
                .map(|k| format!("({})", placeholders(backend, k * 2 + 1, 2)))
                .collect();
            let sql = format!(
                "INSERT INTO record_photos (record_id, sha256) VALUES {} ON CONFLICT DO NOTHING",
                rows.join(", ")
            );
            let mut q = sqlx::query(&sql);
            for (id, sha) in chunk {
                q = q.bind(*id).bind(sha);
            }
            q.execute(&mut *tx).await?;
        }
    }
    let mut answers = Vec::with_capacity(pushes.len());
    for push in pushes {
        let mut written = Vec::with_capacity(push.fresh.len());
        for r in &push.fresh {
            written.push(if inserted.contains(&r.id) {
                Written::Accepted
            } else {
                match now_stored.get(&r.id) {
                    Some(s)
                        if s.content_hash == r.content_hash && s.author_id == push.author_id =>
                    {
                        Written::Duplicate
                    }
                    _ => {
                        revisions::keep_conflict(
                            &mut tx,
                            revisions::Conflict {
                                record_id: &r.id,
                                author_id: push.author_id,
                                group_id: r.group_id,
                                form_version: r.form_version,
                                ward_id: Some(r.ward_checked),
                                data: &r.data,
                                content_hash: &r.content_hash,
                                // Raced by a push of this moment, never by an older server.
                                legacy_hash: None,
                                revision: None,
                                now,
                            },
                        )
                        .await?;
                        Written::Conflict
                    }
                }
            });
        }
        answers.push(written);
    }
    // Sync rule 4: nothing is acknowledged before this returns.
    tx.commit().await?;
    Ok(answers)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A demo database and its group leader: (directory, database, author, group, ward).
    pub(crate) async fn demo_db() -> (tempfile::TempDir, Db, i64, i64, i64) {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("w.db").display());
        let db = Db::connect(&url).await.unwrap();
        db.migrate().await.unwrap();
        db.publish_builtin_forms().await.unwrap();
        crate::demo::load(&db).await.unwrap();
        let (author, group, ward): (i64, i64, i64) = sqlx::query_as(
            "SELECT u.id, u.group_id, g.ward_id FROM users u \
             JOIN residential_groups g ON g.id = u.group_id WHERE u.username = 'totruong'",
        )
        .fetch_one(&db.pool)
        .await
        .unwrap();
        (dir, db, author, group, ward)
    }

    async fn stored(db: &Db, id: &str) -> i64 {
        sqlx::query_scalar("SELECT COUNT(*) FROM records WHERE id = $1")
            .bind(id)
            .fetch_one(&db.pool)
            .await
            .unwrap()
    }

    /// Puts `push` on the writer's queue; gives where its answer will come.
    async fn queued(
        jobs: &mpsc::Sender<Job>,
        push: Push,
    ) -> oneshot::Receiver<anyhow::Result<Vec<Written>>> {
        let (reply, answer) = oneshot::channel();
        jobs.send(Job {
            push: Arc::new(push),
            reply,
        })
        .await
        .unwrap();
        answer
    }

    pub(crate) fn report(author_id: i64, group_id: i64, ward: i64) -> Push {
        let data = serde_json::json!({
            "category": "theft",
            "urgency": "normal",
            "occurred_at": "2026-11-25T21:00",
            "location": "Ngõ 5 Nhật Tân",
            "description": "Mất xe máy",
            "people_involved": 1,
        });
        let data = data.as_object().unwrap().clone();
        Push {
            author_id,
            fresh: vec![NewRecord {
                id: uuid::Uuid::now_v7().to_string(),
                form_key: domain::form::NEIGHBORHOOD_REPORT.into(),
                form_version: 1,
                ward_checked: ward,
                filed_ward: ward,
                group_id,
                content_hash: "h".into(),
                client_created_at: "2026-11-25T21:35:00+07:00".into(),
                search_text: domain::fold::search_text(None, &data),
                urgency: None,
                category: "theft".into(),
                serious: false,
                subject: None,
                filed_at: 0,
                data,
            }],
            conflicts: Vec::new(),
        }
    }

    #[tokio::test]
    async fn a_record_stored_after_its_push_was_checked_is_a_duplicate_and_the_rest_are_accepted() {
        let (_dir, db, author, group, ward) = demo_db().await;
        let earlier = report(author, group, ward);
        let again = earlier.fresh[0].id.clone();
        assert_eq!(
            write(&db, &[&earlier]).await.unwrap(),
            [vec![Written::Accepted]]
        );
        // 150 records, written in two inserts; the one stored meanwhile is in the second.
        let mut push = report(author, group, ward);
        for _ in 1..150 {
            push.fresh.extend(report(author, group, ward).fresh);
        }
        push.fresh[120].id = again.clone();
        let ids: Vec<String> = push.fresh.iter().map(|r| r.id.clone()).collect();
        let written = write(&db, &[&push]).await.unwrap();
        let expected: Vec<Written> = (0..150)
            .map(|k| {
                if k == 120 {
                    Written::Duplicate
                } else {
                    Written::Accepted
                }
            })
            .collect();
        assert_eq!(written, [expected]);
        for id in &ids {
            assert_eq!(stored(&db, id).await, 1, "{id}");
        }
        let created: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'record.create' AND entity_id = $1",
        )
        .bind(&again)
        .fetch_one(&db.pool)
        .await
        .unwrap();
        assert_eq!(created, 1, "the record stored before is not created again");
    }

    #[tokio::test]
    async fn a_write_that_cannot_finish_in_time_is_given_up_and_stores_nothing() {
        let (_dir, db, author, group, ward) = demo_db().await;
        let push = Arc::new(report(author, group, ward));
        let id = push.fresh[0].id.clone();
        // SQLite's one writer connection, held elsewhere: the write cannot begin.
        let held = db.writer.acquire().await.unwrap();
        let limit = std::time::Duration::from_millis(300);
        let late = write_within(&db, vec![push.clone()], limit).await;
        assert!(
            late.as_ref()
                .is_err_and(|e| e.to_string().contains("took over 300 ms")),
            "{late:?}"
        );
        assert_eq!(stored(&db, &id).await, 0);
        drop(held);
        // Free now, the write goes in; with the usual limit, not 300 ms: a loaded machine's
        // fsync alone may take longer.
        let written = write_within(&db, vec![push], WRITE_TIMEOUT).await.unwrap();
        assert_eq!(written, [vec![Written::Accepted]]);
        assert_eq!(stored(&db, &id).await, 1);
    }

    #[tokio::test]
    async fn pushes_of_one_id_queued_together_are_written_apart_accepted_once_and_kept_as_conflicts(
    ) {
        let (_dir, db, author, group, ward) = demo_db().await;
        let (jobs, waiting) = mpsc::channel(QUEUE);
        let mut answers = Vec::new();
        let mut id = String::new();
        for k in 0..4 {
            let mut push = report(author, group, ward);
            if k == 0 {
                id = push.fresh[0].id.clone();
            }
            push.fresh[0].id = id.clone();
            push.fresh[0].content_hash = format!("h{k}");
            push.fresh[0]
                .data
                .insert("description".into(), Value::from(format!("Bản thứ {k}")));
            answers.push(queued(&jobs, push).await);
        }
        drop(jobs);
        // All four wait before the writer starts: without the rule, one transaction took them.
        write_all(db.clone(), waiting).await;
        let mut written = Vec::new();
        for answer in answers {
            written.extend(answer.await.unwrap().unwrap());
        }
        assert_eq!(
            written,
            [
                Written::Accepted,
                Written::Conflict,
                Written::Conflict,
                Written::Conflict
            ]
        );
        assert_eq!(stored(&db, &id).await, 1);
        let kept: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM record_conflicts WHERE record_id = $1")
                .bind(&id)
                .fetch_one(&db.pool)
                .await
                .unwrap();
        assert_eq!(kept, 3);
    }

    #[tokio::test]
    async fn a_push_whose_client_has_gone_is_not_written_and_the_others_are() {
        let (_dir, db, author, group, ward) = demo_db().await;
        let (jobs, waiting) = mpsc::channel(QUEUE);
        let mut answers = Vec::new();
        let mut ids = Vec::new();
        for _ in 0..3 {
            let push = report(author, group, ward);
            ids.push(push.fresh[0].id.clone());
            answers.push(queued(&jobs, push).await);
        }
        // The second push's client disconnects before the writer gets to it.
        let gone = answers.remove(1);
        drop(gone);
        drop(jobs);
        write_all(db.clone(), waiting).await;
        for answer in answers {
            assert_eq!(answer.await.unwrap().unwrap(), [Written::Accepted]);
        }
        for (id, expected) in ids.iter().zip([1, 0, 1]) {
            assert_eq!(stored(&db, id).await, expected, "{id}");
        }
    }

    #[tokio::test]
    async fn a_push_that_fails_beside_others_fails_alone_and_the_others_are_written() {
        let (_dir, db, author, group, ward) = demo_db().await;
        // No such account: the insert breaks a foreign key, and with it the shared transaction.
        let (good, bad, later) = (
            report(author, group, ward),
            report(987_654, group, ward),
            report(author, group, ward),
        );
        let ids: Vec<String> = [&good, &bad, &later]
            .iter()
            .map(|p| p.fresh[0].id.clone())
            .collect();
        assert!(
            write(&db, &[&good, &bad]).await.is_err(),
            "together they fail"
        );
        let mut answers = Vec::new();
        let mut group_of = Vec::new();
        for push in [good, bad, later] {
            let (reply, answer) = oneshot::channel();
            answers.push(answer);
            group_of.push(Job {
                push: Arc::new(push),
                reply,
            });
        }
        write_group(&db, group_of).await;
        let mut got = Vec::new();
        for answer in answers {
            got.push(answer.await.unwrap());
        }
        assert_eq!(got[0].as_ref().unwrap(), &[Written::Accepted]);
        assert!(got[1].is_err(), "the bad push fails: {:?}", got[1]);
        assert_eq!(got[2].as_ref().unwrap(), &[Written::Accepted]);
        for (id, expected) in ids.iter().zip([1, 0, 1]) {
            assert_eq!(stored(&db, id).await, expected, "{id}");
        }
    }
}
