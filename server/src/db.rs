//! The database behind an `AnyPool`: SQLite (embedded, WAL, durable commits) or PostgreSQL,
//! chosen by the URL. Queries are written once in the SQL both understand, with `$n` parameters
//! (long generated parameter lists are the exception: see `placeholders` in `routes/sync.rs`).

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::{Arc, Mutex};

use anyhow::Context;
use domain::form::FormDef;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Connection, Executor, Row};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Which version a publication may create.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PublishRule {
    /// The next version of the key (1 for a new key), unless the latest version says the same.
    NextVersion,
    /// Version 1, only when the key has no version at all (the built-in forms).
    FirstVersionOnly,
}

/// What a publication did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Publication {
    /// The version now stored, or the latest version when nothing was stored.
    pub version: u32,
    /// Whether a new version was stored.
    pub stored: bool,
}

fn is_unique_violation(e: &anyhow::Error) -> bool {
    e.downcast_ref::<sqlx::Error>()
        .and_then(sqlx::Error::as_database_error)
        .is_some_and(|d| d.is_unique_violation())
}

/// Published form versions by (key, version).
type FormCache = Mutex<HashMap<(String, u32), Arc<FormDef>>>;

#[derive(Clone)]
pub struct Db {
    /// For reading, and for writing on PostgreSQL.
    pub pool: AnyPool,
    /// For writing: every statement that changes the database goes through here. On SQLite
    /// this is one connection, so writers wait their turn in order, asleep in tokio; through
    /// `pool` they would collide inside SQLite, whose busy handler sleeps 1, 2, 5, 10… ms
    /// between tries (measured by `cargo xtask bench load`: opening records, each of which
    /// writes an audit row, from 16 connections had a p99 of 63 ms, 5.8 ms for reads alone).
    /// On PostgreSQL it is `pool` itself. A write transaction must not wait for a connection
    /// of `pool` (read through the transaction instead): pool connections may be held by
    /// requests waiting here.
    pub writer: AnyPool,
    pub backend: Backend,
    /// Published form versions already read; a version never changes once published, so an
    /// entry never goes stale. Versions not found are not remembered.
    forms: Arc<FormCache>,
    /// Wards' indicators computed lately (see `indicators::ward`).
    pub(crate) indicators: Arc<crate::indicators::Recent>,
    /// Signed-in callers read lately (PostgreSQL; see [`crate::sessions`]). Whatever changes a
    /// session or a user commits through `sessions.commit`.
    pub sessions: Arc<crate::sessions::Sessions>,
}

/// How long a PostgreSQL connection may have sat idle and still be used untested. It was
/// tested on its release (sqlx pings it then); HikariCP skips its own test within 500 ms of a
/// connection's last use in the same way (`aliveBypassWindowMs`).
pub const UNTESTED_IDLE: std::time::Duration = std::time::Duration::from_millis(500);

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

impl Db {
    pub async fn connect(url: &str) -> anyhow::Result<Db> {
        sqlx::any::install_default_drivers();
        let (backend, url) = if url.starts_with("sqlite:") {
            (Backend::Sqlite, sqlite_url(url)?)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            (Backend::Postgres, url.to_owned())
        } else {
            anyhow::bail!("DATABASE_URL must start with sqlite: or postgres:, got {url:?}");
        };
        let options = AnyConnectOptions::from_str(&url)?;
        let pool_of = |max: u32| {
            AnyPoolOptions::new()
                .max_connections(max)
                // A connection is tested before use only if it has sat idle a while (a
                // PostgreSQL connection, and only after `UNTESTED_IDLE`): sqlx's own test is a
                // round trip on every checkout, besides the one it makes on every release.
                // A SQLite connection is a file handle that cannot drop out from under us.
                .test_before_acquire(false)
                .before_acquire(move |conn, meta| {
                    Box::pin(async move {
                        if backend != Backend::Sqlite && meta.idle_for >= UNTESTED_IDLE {
                            // A connection the database ended (a restart, a failover) fails
                            // here and is closed, and the pool opens a new one. One used again
                            // sooner than `UNTESTED_IDLE` after such an end fails its request
                            // instead (at most one a connection, the pool's size in all); the
                            // phones' outboxes send again.
                            conn.ping().await?;
                        }
                        Ok(true)
                    })
                })
                // sqlx counts a connection's transactions itself. When a write fails for want of
                // room, SQLite may roll the transaction back on its own; sqlx's ROLLBACK then
                // fails and its count stays at one. On such a connection the next BEGIN would
                // be a SAVEPOINT, a later ROLLBACK TO would leave SQLite's transaction open, and
                // what followed would be answered as committed but never be (found by
                // `cargo xtask chaos`, a full disk; test `a_connection_sqlite_rolled_back_by_
                // itself_is_not_used_again`). So a SQLite connection that comes back with a
                // transaction counted open is closed, not used again; it costs a new
                // connection after a failed write, which is rare.
                .after_release(move |conn, _meta| {
                    let keep = backend != Backend::Sqlite || !conn.is_in_transaction();
                    Box::pin(async move { Ok(keep) })
                })
                .after_connect(move |conn, _meta| {
                    Box::pin(async move {
                        if backend == Backend::Sqlite {
                            // WAL lets readers work beside the writer; FULL makes a commit
                            // durable before the server acknowledges it (sync rule 4).
                            conn.execute("PRAGMA journal_mode = WAL").await?;
                            conn.execute("PRAGMA synchronous = FULL").await?;
                            conn.execute("PRAGMA foreign_keys = ON").await?;
                            conn.execute("PRAGMA busy_timeout = 10000").await?;
                        }
                        Ok(())
                    })
                })
        };
        let opened = |e| {
            anyhow::Error::from(e).context(format!("cannot open the database at {}", redact(&url)))
        };
        // SQLite takes one writer at a time; a few readers beside it are plenty.
        let pool = pool_of(if backend == Backend::Sqlite { 4 } else { 16 })
            .connect_with(options.clone())
            .await
            .map_err(opened)?;
        let writer = match backend {
            Backend::Sqlite => pool_of(1).connect_with(options).await.map_err(opened)?,
            Backend::Postgres => pool.clone(),
        };
        Ok(Db {
            pool,
            writer,
            backend,
            forms: Arc::default(),
            indicators: Arc::default(),
            sessions: Arc::default(),
        })
    }

    pub async fn migrate(&self) -> anyhow::Result<()> {
        match self.backend {
            Backend::Sqlite => SQLITE_MIGRATIONS
                .run(&self.pool)
                .await
                .context("database migration failed")?,
            Backend::Postgres => self.migrate_postgres().await?,
        }
        self.mark_forms_for_group_leaders().await?;
        self.fill_search_text().await?;
        Ok(())
    }

    /// PostgreSQL's migrations, one instance at a time. sqlx's own lock (`pg_advisory_lock`)
    /// makes a second instance wait inside a query, holding a snapshot, while `CREATE INDEX
    /// CONCURRENTLY` (0025, 0026) waits for every older snapshot to end: the two wait on each
    /// other until PostgreSQL cancels one, perhaps the build, which leaves an invalid index that
    /// `IF NOT EXISTS` then keeps. Here the lock is tried between sleeps on the connection that
    /// migrates, so an instance waiting its turn holds no snapshot.
    async fn migrate_postgres(&self) -> anyhow::Result<()> {
        /// "WARDBOOK" as a number: the advisory lock's key.
        const LOCK: i64 = 0x5741_5244_424f_4f4b;
        let mut conn = self.pool.acquire().await?;
        let waiting = std::time::Instant::now();
        while !sqlx::query_scalar::<_, bool>("SELECT pg_try_advisory_lock($1)")
            .bind(LOCK)
            .fetch_one(&mut *conn)
            .await?
        {
            anyhow::ensure!(
                waiting.elapsed() < std::time::Duration::from_secs(3600),
                "another instance has been migrating the database for an hour"
            );
            tokio::time::sleep(std::time::Duration::from_millis(250)).await;
        }
        let mut migrator = sqlx::migrate::Migrator {
            // (The macro's fields, public for it; the lock is the only change.)
            migrations: POSTGRES_MIGRATIONS.migrations.clone(),
            ..sqlx::migrate::Migrator::DEFAULT
        };
        migrator.set_locking(false);
        let migrated = migrator.run(&mut *conn).await;
        sqlx::query("SELECT pg_advisory_unlock($1)")
            .bind(LOCK)
            .execute(&mut *conn)
            .await?;
        migrated.context("database migration failed")?;
        // A build stopped halfway (the server killed during it) leaves its index invalid.
        let invalid: Vec<String> = sqlx::query_scalar(
            "SELECT CAST(c.relname AS TEXT) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid \
             WHERE NOT i.indisvalid",
        )
        .fetch_all(&mut *conn)
        .await?;
        for name in invalid {
            tracing::error!(
                index = %name,
                "an index build was stopped halfway and the index is not used: run `DROP INDEX {name};` \
                 and start one instance, which builds it again"
            );
        }
        Ok(())
    }

    /// Fills `records.search_text` and the indicators' facets for records stored before the
    /// columns existed, a batch at a time (memory stays flat whatever the number of records).
    /// The partial index `records_to_fill` holds exactly these rows, so once they are filled
    /// the check at each start costs nothing.
    async fn fill_search_text(&self) -> anyhow::Result<()> {
        loop {
            let rows = sqlx::query(
                "SELECT id, data, form_key, client_created_at, received_at, form_version FROM records \
                 WHERE search_text IS NULL OR category IS NULL OR filed_at IS NULL LIMIT 500",
            )
            .fetch_all(&self.pool)
            .await?;
            if rows.is_empty() {
                return Ok(());
            }
            let mut forms = HashMap::new();
            for r in &rows {
                let (key, version) = (r.get::<String, _>(2), r.get::<i64, _>(5));
                if !forms.contains_key(&(key.clone(), version)) {
                    let form = match u32::try_from(version) {
                        Ok(v) => self.form(&key, v).await?,
                        Err(_) => None,
                    };
                    forms.insert((key, version), form);
                }
            }
            let mut tx = self.writer.begin().await?;
            // The counter row first, as every writer of records takes it: the facets it sets
            // move records between the ward tallies' rows (0023_record_tallies.sql).
            write_first(&mut tx).await?;
            for r in rows {
                let data: serde_json::Map<String, serde_json::Value> =
                    serde_json::from_str(&r.get::<String, _>(1)).unwrap_or_default();
                let facets = domain::indicators::facets(&r.get::<String, _>(2), &data);
                sqlx::query(
                    "UPDATE records SET search_text = $1, category = $2, serious = $3, subject = $4, \
                     filed_at = $6 WHERE id = $5",
                )
                .bind(domain::fold::search_text(
                    forms[&(r.get::<String, _>(2), r.get::<i64, _>(5))].as_deref(),
                    &data,
                ))
                .bind(facets.category)
                .bind(i64::from(facets.serious))
                .bind(facets.subject)
                .bind(r.get::<String, _>(0))
                .bind(domain::calendar::filed_at_ms(
                    &r.get::<String, _>(3),
                    r.get(4),
                ))
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
        }
    }

    /// Fills `forms.for_group_leaders` for versions published before the column existed.
    async fn mark_forms_for_group_leaders(&self) -> anyhow::Result<()> {
        let rows = sqlx::query(
            "SELECT form_key, version, definition FROM forms WHERE for_group_leaders = 0",
        )
        .fetch_all(&self.pool)
        .await?;
        for r in rows {
            let Ok(form) = serde_json::from_str::<FormDef>(&r.get::<String, _>(2)) else {
                continue;
            };
            if form.filed_by.contains(&domain::api::Role::GroupLeader) {
                sqlx::query(
                    "UPDATE forms SET for_group_leaders = 1 WHERE form_key = $1 AND version = $2",
                )
                .bind(r.get::<String, _>(0))
                .bind(r.get::<i64, _>(1))
                .execute(&self.writer)
                .await?;
            }
        }
        Ok(())
    }

    pub async fn close(&self) {
        self.pool.close().await;
        // On SQLite the writer's connection is its own; on PostgreSQL this is `pool` again.
        self.writer.close().await;
    }

    /// Publishes each built-in form whose key has no version yet, as version 1. A key an
    /// administrator has published (or an earlier start stored) is left alone, so restarts and
    /// upgrades never add versions behind an administrator's back.
    pub async fn publish_builtin_forms(&self) -> anyhow::Result<()> {
        for form in FormDef::builtin() {
            self.publish_form(&form, PublishRule::FirstVersionOnly, None, "built-in")
                .await?;
        }
        Ok(())
    }

    /// Stores `form` as a new version of its key under `rule`; its own `version` is ignored and
    /// the stored definition carries the version given here. Versions are immutable: nothing is
    /// ever rewritten.
    ///
    /// Publications are serialized: the transaction first reserves a change number, which locks
    /// the counter row until it ends, and only then reads the latest version. Two concurrent
    /// publications of one key therefore get consecutive versions; should the primary key
    /// (form_key, version) still refuse a row, the publication is tried again.
    pub async fn publish_form(
        &self,
        form: &FormDef,
        rule: PublishRule,
        actor: Option<i64>,
        source: &str,
    ) -> anyhow::Result<Publication> {
        form.check().map_err(anyhow::Error::msg)?;
        let mut attempt = 0;
        loop {
            match self.try_publish_form(form, rule, actor, source).await {
                Err(e) if attempt < 3 && is_unique_violation(&e) => attempt += 1,
                result => return result,
            }
        }
    }

    async fn try_publish_form(
        &self,
        form: &FormDef,
        rule: PublishRule,
        actor: Option<i64>,
        source: &str,
    ) -> anyhow::Result<Publication> {
        let mut tx = self.writer.begin().await?;
        // First, so that the lock is held before the latest version is read.
        let seq = next_seq(&mut tx, 1).await?;
        let latest = sqlx::query(
            "SELECT version, definition FROM forms WHERE form_key = $1 ORDER BY version DESC LIMIT 1",
        )
        .bind(&form.key)
        .fetch_optional(&mut *tx)
        .await?;
        let latest = latest
            .map(|r| -> anyhow::Result<(u32, String)> {
                Ok((u32::try_from(r.get::<i64, _>(0))?, r.get(1)))
            })
            .transpose()?;
        if let Some((version, definition)) = &latest {
            let same = serde_json::from_str::<FormDef>(definition)
                .is_ok_and(|stored| stored.same_content(form));
            if same || rule == PublishRule::FirstVersionOnly {
                tx.rollback().await?;
                return Ok(Publication {
                    version: *version,
                    stored: false,
                });
            }
        }
        let version = latest.map_or(1, |(v, _)| v + 1);
        let stored = FormDef {
            version,
            ..form.clone()
        };
        sqlx::query(
            "INSERT INTO forms (form_key, version, definition, published_at, seq, for_group_leaders) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&form.key)
        .bind(i64::from(version))
        .bind(serde_json::to_string(&stored)?)
        .bind(crate::now_ms())
        .bind(seq)
        .bind(i64::from(form.filed_by.contains(&domain::api::Role::GroupLeader)))
        .execute(&mut *tx)
        .await?;
        audit(
            &mut tx,
            actor,
            "form.publish",
            "form",
            &format!("{}@{version}", form.key),
            source,
        )
        .await?;
        tx.commit().await?;
        Ok(Publication {
            version,
            stored: true,
        })
    }

    /// A published form version (shared: the cache's own copy).
    pub async fn form(&self, key: &str, version: u32) -> sqlx::Result<Option<Arc<FormDef>>> {
        if let Some(form) = self.cached_form(key, version) {
            return Ok(Some(form));
        }
        self.form_on(&mut *self.pool.acquire().await?, key, version)
            .await
    }

    /// A published form version, read on a connection the caller already holds.
    pub async fn form_on(
        &self,
        conn: &mut sqlx::AnyConnection,
        key: &str,
        version: u32,
    ) -> sqlx::Result<Option<Arc<FormDef>>> {
        if let Some(form) = self.cached_form(key, version) {
            return Ok(Some(form));
        }
        let row = sqlx::query("SELECT definition FROM forms WHERE form_key = $1 AND version = $2")
            .bind(key)
            .bind(i64::from(version))
            .fetch_optional(conn)
            .await?;
        let Some(form) =
            row.and_then(|r| serde_json::from_str::<FormDef>(&r.get::<String, _>(0)).ok())
        else {
            return Ok(None);
        };
        let form = Arc::new(form);
        self.forms
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert((key.to_owned(), version), Arc::clone(&form));
        Ok(Some(form))
    }

    fn cached_form(&self, key: &str, version: u32) -> Option<Arc<FormDef>> {
        self.forms
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(&(key.to_owned(), version))
            .cloned()
    }
}

/// Reserves `n` consecutive change numbers and returns the first. The counter row stays locked
/// until the transaction ends, so changes become visible in sequence order (pull cursors never
/// skip a change that commits late).
pub async fn next_seq(conn: &mut sqlx::AnyConnection, n: i64) -> sqlx::Result<i64> {
    let last: i64 = sqlx::query_scalar(
        "UPDATE counters SET value = value + $1 WHERE name = 'seq' RETURNING value",
    )
    .bind(n)
    .fetch_one(conn)
    .await?;
    Ok(last - n + 1)
}

/// Appends to the audit trail, inside the caller's transaction.
pub async fn audit(
    conn: &mut sqlx::AnyConnection,
    actor: Option<i64>,
    action: &str,
    entity: &str,
    entity_id: &str,
    detail: &str,
) -> sqlx::Result<()> {
    record_audit(
        conn,
        Audit {
            actor,
            action,
            entity,
            entity_id,
            ward_id: None,
            before: None,
            after: None,
            detail,
        },
    )
    .await
}

/// Takes the database's write lock at the start of a transaction (the counter row every writer
/// of changes takes), so that a transaction that reads before it writes cannot fail on SQLite
/// when another writer commits in between ("database is locked" on the lock upgrade).
pub async fn write_first(conn: &mut sqlx::AnyConnection) -> sqlx::Result<()> {
    sqlx::query("UPDATE counters SET value = value WHERE name = 'seq'")
        .execute(conn)
        .await?;
    Ok(())
}

/// One entry of the append-only audit trail: who (`actor`), what (`action` on `entity`
/// `entity_id`, with the state `before` and `after`), where (`ward_id`, so a supervisor sees
/// their ward's part) and when (now).
pub struct Audit<'a> {
    pub actor: Option<i64>,
    pub action: &'a str,
    pub entity: &'a str,
    pub entity_id: &'a str,
    pub ward_id: Option<i64>,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
    pub detail: &'a str,
}

tokio::task_local! {
    /// Where changes with no signed-in actor come from (the command line and its OS user).
    static AUDIT_SOURCE: String;
}

/// Runs `f` with its audit entries marked as coming from `source` when they have no actor.
pub async fn from_source<F: std::future::Future>(source: String, f: F) -> F::Output {
    AUDIT_SOURCE.scope(source, f).await
}

pub async fn record_audit(conn: &mut sqlx::AnyConnection, entry: Audit<'_>) -> sqlx::Result<()> {
    let source = (entry.actor.is_none() && entry.detail.is_empty())
        .then(|| AUDIT_SOURCE.try_with(Clone::clone).ok())
        .flatten();
    let detail = source.as_deref().unwrap_or(entry.detail);
    sqlx::query(
        "INSERT INTO audit_log (at, actor_id, action, entity, entity_id, detail, ward_id, before_state, after_state) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(crate::now_ms())
    .bind(entry.actor)
    .bind(entry.action)
    .bind(entry.entity)
    .bind(entry.entity_id)
    .bind(detail)
    .bind(entry.ward_id)
    .bind(entry.before.map(|v| v.to_string()))
    .bind(entry.after.map(|v| v.to_string()))
    .execute(conn)
    .await?;
    Ok(())
}

impl Db {
    /// Writes `entry` after a read on `conn`, a connection of [`Db::pool`], and gives `conn`
    /// back: on PostgreSQL the row goes through `conn` itself (the writer is the same pool, and
    /// a second connection would cost a checkout and sqlx's test of it on its return); on
    /// SQLite through [`Db::writer`], once `conn` is back in the pool, so that requests
    /// waiting for the writer never hold the few readers.
    pub async fn audit_beside(
        &self,
        mut conn: sqlx::pool::PoolConnection<sqlx::Any>,
        entry: Audit<'_>,
    ) -> sqlx::Result<()> {
        match self.backend {
            Backend::Postgres => record_audit(&mut conn, entry).await,
            Backend::Sqlite => {
                drop(conn);
                record_audit(&mut *self.writer.acquire().await?, entry).await
            }
        }
    }
}

/// Makes sure the SQLite file's directory exists and the file is created on first start.
fn sqlite_url(url: &str) -> anyhow::Result<String> {
    let path = url
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:");
    let (path, query) = path.split_once('?').unwrap_or((path, ""));
    if path != ":memory:" {
        if let Some(dir) = std::path::Path::new(path)
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
        {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
        }
    }
    let mut params: Vec<&str> = query.split('&').filter(|p| !p.is_empty()).collect();
    if !params.iter().any(|p| p.starts_with("mode=")) {
        params.push("mode=rwc");
    }
    Ok(format!("sqlite://{path}?{}", params.join("&")))
}

fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => format!("{}://***{}", &url[..s], &url[at..]),
        _ => url.to_owned(),
    }
}
