//! Signed-in callers read lately, so that a request on PostgreSQL need not read its session
//! again (see [`Sessions`]).
//!
//! Every request but sign-in reads its session and user, one round trip to the database before
//! the handler's own statements. On PostgreSQL, a round trip costs both processes more than the
//! statement does: keeping callers for a few seconds took 12% off the CPU a request of
//! `cargo xtask bench load --postgres` (0.82 against 0.93 ms, the same machine, alternating
//! builds). A session must still end everywhere the moment it is revoked, so the cache is
//! emptied:
//!
//! - on this server, right after it commits any change of a session or a user, or tries to (a
//!   commit whose answer was lost may have happened): those writers commit through
//!   [`Sessions::commit`];
//! - on every server, when PostgreSQL notifies [`CHANNEL`]: a trigger on `sessions` and `users`
//!   (migration 0028) notifies it at the commit of any change, a `wardbook` command's or a
//!   hand-typed statement's too;
//! - and entries live [`TTL`] at most, whatever else fails.
//!
//! Callers are kept only while the connection that listens is known to hear: each server
//! notifies the channel itself every second, and a listener that hears nothing for 3 s is taken
//! for broken (a half-open connection after a failover) and opened again; a new one must hear
//! this server's own notification before anything is kept, which never happens behind a pooler
//! in transaction mode, where LISTEN cannot work. That listening connection is each server's
//! one connection beyond its pool. On SQLite nothing is cached: there the session's statement
//! runs in the server's own process and costs little.
//!
//! A map behind a mutex rather than a cache crate: the entries are few (a ward's signed-in
//! people), and what matters here is the generation check in [`Sessions::put`], which no
//! general cache offers.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sqlx::postgres::PgListener;
use sqlx::AnyPool;

use crate::auth::Caller;

/// The channel PostgreSQL notifies when a session or a user changes.
pub const CHANNEL: &str = "wardbook_sessions";

/// How long a caller read from the database is used again at most.
pub const TTL: Duration = Duration::from_secs(5);

/// At most this many callers are kept; beyond it, new ones are not (expired ones go first).
const MAX_ENTRIES: usize = 4096;

#[derive(Default)]
pub struct Sessions {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    /// Whether changes are being followed (the listening connection is up): nothing is cached
    /// otherwise.
    live: bool,
    /// Bumped by every [`Sessions::forget_all`]: a caller read before it is not kept.
    generation: u64,
    /// By session token hash.
    entries: HashMap<String, Entry>,
    /// When a full map was last swept of expired entries.
    swept_at: Option<Instant>,
}

impl Inner {
    fn forget(&mut self) {
        self.generation += 1;
        self.entries.clear();
    }
}

struct Entry {
    read_at: Instant,
    /// The session's end (ms since the epoch).
    expires_at: i64,
    caller: Caller,
}

impl Sessions {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while the lock was held left at worst a map to be emptied.
        self.inner.lock().unwrap_or_else(|poisoned| {
            let mut inner = poisoned.into_inner();
            inner.forget();
            inner
        })
    }

    /// The caller of session `hash` as read lately, if still valid at `now_ms`.
    pub fn get(&self, hash: &str, now_ms: i64) -> Option<Caller> {
        let inner = self.lock();
        if !inner.live {
            return None;
        }
        inner
            .entries
            .get(hash)
            .filter(|e| e.read_at.elapsed() < TTL && e.expires_at > now_ms)
            .map(|e| e.caller.clone())
    }

    /// The generation to pass to [`Sessions::put`], taken before the session is read; `None`
    /// while changes are not followed.
    pub fn generation(&self) -> Option<u64> {
        let inner = self.lock();
        inner.live.then_some(inner.generation)
    }

    /// Keeps `caller`, read after [`Sessions::generation`] gave `generation`, unless the cache
    /// was emptied since: the read may have seen the session before a change that emptied it.
    pub fn put(&self, generation: u64, hash: &str, expires_at: i64, caller: &Caller) {
        let mut inner = self.lock();
        if !inner.live || inner.generation != generation {
            return;
        }
        if inner.entries.len() >= MAX_ENTRIES {
            // Swept at most once a second: a full map of live sessions is not scanned by every
            // request that misses.
            if inner
                .swept_at
                .is_some_and(|at| at.elapsed() < Duration::from_secs(1))
            {
                return;
            }
            inner.swept_at = Some(Instant::now());
            inner.entries.retain(|_, e| e.read_at.elapsed() < TTL);
            if inner.entries.len() >= MAX_ENTRIES {
                return;
            }
        }
        inner.entries.insert(
            hash.to_owned(),
            Entry {
                read_at: Instant::now(),
                expires_at,
                caller: caller.clone(),
            },
        );
    }

    /// Forgets every caller: a session or a user has changed.
    pub fn forget_all(&self) {
        self.lock().forget();
    }

    /// Commits `tx`, which changed a session or a user, then forgets every caller, whether or
    /// not the commit answered: a commit whose answer was lost may have happened.
    pub async fn commit(&self, tx: sqlx::Transaction<'_, sqlx::Any>) -> sqlx::Result<()> {
        let committed = tx.commit().await;
        self.forget_all();
        committed
    }

    /// Turns caching on or off, forgetting every caller either way. Only [`follow_changes`]
    /// turns it on in a server; tests on SQLite, where nothing follows changes, turn it on to
    /// check that a server forgets callers after its own changes.
    pub fn set_live(&self, live: bool) {
        let mut inner = self.lock();
        inner.live = live;
        inner.forget();
    }

    /// Number of callers kept (for tests).
    #[cfg(test)]
    fn len(&self) -> usize {
        self.lock().entries.len()
    }
}

/// How often each server notifies [`CHANNEL`] itself ("ping"), so that a listening connection
/// that hears nothing is known to be broken.
const PING_EVERY: Duration = Duration::from_secs(1);

/// A listening connection that hears nothing (not even the servers' pings) this long is taken
/// for broken: a connection half-open after a failover, which would wait for ever.
const SILENT_AT_MOST: Duration = Duration::from_secs(3);

/// Listens on [`CHANNEL`] at `url` (PostgreSQL) and empties `sessions` on every notification;
/// caching is on only while the listening connection is known to hear notifications: after
/// LISTEN, this server's own ping, sent through `pool`, must come back on it first. That fails
/// where LISTEN cannot work, behind a pooler in transaction mode (PgBouncer's default), and then
/// nothing is cached. Runs until aborted; caching stops when it does.
pub async fn follow_changes(sessions: Arc<Sessions>, url: String, pool: AnyPool) {
    // Dropped on every way out, an abort included.
    struct Off(Arc<Sessions>);
    impl Drop for Off {
        fn drop(&mut self) {
            self.0.set_live(false);
        }
    }
    let _off = Off(sessions.clone());
    let pinger = tokio::spawn(ping_often(pool.clone()));
    struct Abort(tokio::task::JoinHandle<()>);
    impl Drop for Abort {
        fn drop(&mut self) {
            self.0.abort();
        }
    }
    let _pinger = Abort(pinger);
    let mut said = false;
    loop {
        match listen(&url, &pool).await {
            Ok(mut listener) => {
                sessions.set_live(true);
                tracing::info!("following session changes: signed-in callers are kept");
                said = false;
                let why = loop {
                    match tokio::time::timeout(SILENT_AT_MOST, listener.try_recv()).await {
                        Ok(Ok(Some(note))) => {
                            if !note.payload().starts_with("ping") {
                                sessions.forget_all();
                            }
                        }
                        Ok(Ok(None)) => break "the connection was lost".to_owned(),
                        Ok(Err(e)) => break e.to_string(),
                        Err(_) => break format!("nothing heard for {SILENT_AT_MOST:?}"),
                    }
                };
                sessions.set_live(false);
                tracing::warn!(reason = %why, "stopped following session changes; sessions are read every request until it resumes");
            }
            Err(e) => {
                // Said once, not every second while it cannot work.
                if !said {
                    tracing::warn!(error = %e, "cannot follow session changes; sessions are read every request");
                    said = true;
                }
            }
        }
        tokio::time::sleep(PING_EVERY).await;
    }
}

/// A listening connection that has heard its own ping.
async fn listen(url: &str, pool: &AnyPool) -> anyhow::Result<PgListener> {
    let mut listener = PgListener::connect(url).await?;
    // A lost connection is not reconnected by the listener itself: `follow_changes` connects
    // again, through `set_live`, which empties the cache of what the gap may have missed.
    listener.eager_reconnect(false);
    listener.listen(CHANNEL).await?;
    let mine = format!("ping {}", uuid::Uuid::now_v7());
    ping(pool, &mine).await?;
    let heard = tokio::time::timeout(SILENT_AT_MOST, async {
        loop {
            match listener.try_recv().await? {
                Some(note) if note.payload() == mine => return Ok(()),
                Some(_) => {}
                None => anyhow::bail!("the connection was lost"),
            }
        }
    })
    .await;
    match heard {
        Ok(Ok(())) => Ok(listener),
        Ok(Err(e)) => Err(e),
        Err(_) => anyhow::bail!(
            "this server's own notification did not come back within {SILENT_AT_MOST:?} \
             (behind a pooler in transaction mode LISTEN cannot work)"
        ),
    }
}

async fn ping(pool: &AnyPool, payload: &str) -> sqlx::Result<()> {
    sqlx::query("SELECT pg_notify($1, $2)")
        .bind(CHANNEL)
        .bind(payload)
        .execute(pool)
        .await
        .map(|_| ())
}

/// Notifies [`CHANNEL`] every [`PING_EVERY`], so that every server's listening connection
/// hears something while it works.
async fn ping_often(pool: AnyPool) {
    let mut every = tokio::time::interval(PING_EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        // A failure (the database away) shows as silence on the listening connections.
        let _ = ping(&pool, "ping").await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::api::Role;

    fn caller(id: i64) -> Caller {
        Caller {
            user_id: id,
            username: format!("u{id}"),
            display_name: format!("User {id}"),
            role: Role::Officer,
            ward_id: Some(1),
            group_id: None,
            province_id: None,
            session: format!("hash{id}"),
            created_at: 0,
        }
    }

    fn live() -> Sessions {
        let s = Sessions::default();
        s.set_live(true);
        s
    }

    #[test]
    fn nothing_is_cached_while_changes_are_not_followed() {
        let s = Sessions::default();
        assert_eq!(s.generation(), None);
        s.put(0, "hash1", i64::MAX, &caller(1));
        assert!(s.get("hash1", 0).is_none());
        assert_eq!(s.len(), 0);
    }

    #[test]
    fn a_kept_caller_is_given_back_until_its_session_ends() {
        let s = live();
        let g = s.generation().expect("live");
        s.put(g, "hash1", 1_000, &caller(1));
        assert_eq!(s.get("hash1", 999).map(|c| c.user_id), Some(1));
        assert!(
            s.get("hash1", 1_000).is_none(),
            "the session ended at 1,000"
        );
        assert!(s.get("hash2", 0).is_none());
    }

    #[test]
    fn a_caller_read_before_the_cache_was_emptied_is_not_kept() {
        let s = live();
        let before = s.generation().expect("live");
        // A session changed while this caller was being read.
        s.forget_all();
        s.put(before, "hash1", i64::MAX, &caller(1));
        assert!(s.get("hash1", 0).is_none());
        let after = s.generation().expect("live");
        s.put(after, "hash1", i64::MAX, &caller(1));
        assert!(s.get("hash1", 0).is_some());
    }

    #[test]
    fn losing_the_listener_forgets_every_caller_and_stops_caching() {
        let s = live();
        let g = s.generation().expect("live");
        s.put(g, "hash1", i64::MAX, &caller(1));
        s.set_live(false);
        assert!(s.get("hash1", 0).is_none());
        assert_eq!(s.len(), 0);
        assert_eq!(s.generation(), None);
    }

    #[test]
    fn the_cache_holds_at_most_its_bound() {
        let s = live();
        let g = s.generation().expect("live");
        for k in 0..(MAX_ENTRIES as i64 + 10) {
            s.put(g, &format!("hash{k}"), i64::MAX, &caller(k));
        }
        assert_eq!(s.len(), MAX_ENTRIES);
    }
}
