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
//! - on this server, right after it commits any change of a session or a user
//!   ([`Sessions::forget_all`], called by those writers);
//! - on every server, when PostgreSQL notifies [`CHANNEL`]: a trigger on `sessions` and `users`
//!   (migration 0028) notifies it at the commit of any change, a `wardbook` command's or a
//!   hand-typed statement's too;
//! - and entries live [`TTL`] at most, in case a notification is lost without the connection
//!   that listens for them noticing.
//!
//! While that connection is down, nothing is cached. On SQLite nothing is cached: there the
//! session's statement runs in the server's own process and costs little.
//!
//! A map behind a mutex rather than a cache crate: the entries are few (a ward's signed-in
//! people), and what matters here is the generation check in [`Sessions::put`], which no
//! general cache offers.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use sqlx::postgres::PgListener;

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
            inner.entries.clear();
            inner.generation += 1;
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
        let mut inner = self.lock();
        inner.generation += 1;
        inner.entries.clear();
    }

    fn set_live(&self, live: bool) {
        let mut inner = self.lock();
        inner.live = live;
        inner.generation += 1;
        inner.entries.clear();
    }

    /// Number of callers kept (for tests).
    #[cfg(test)]
    fn len(&self) -> usize {
        self.lock().entries.len()
    }
}

/// Listens on [`CHANNEL`] at `url` (PostgreSQL) and empties `sessions` on every notification;
/// caching is on only while the listening connection is up. Runs until aborted.
pub async fn follow_changes(sessions: std::sync::Arc<Sessions>, url: String) {
    let mut failures = 0u32;
    loop {
        match listen(&url).await {
            Ok(mut listener) => {
                failures = 0;
                sessions.set_live(true);
                loop {
                    match listener.try_recv().await {
                        Ok(Some(_)) => sessions.forget_all(),
                        // The connection was lost: notifications may have been missed.
                        Ok(None) => break,
                        Err(e) => {
                            tracing::warn!(error = %e, "lost the session change listener");
                            break;
                        }
                    }
                }
                sessions.set_live(false);
            }
            Err(e) => {
                failures += 1;
                // Said once, not every second while the database is away.
                if failures == 1 {
                    tracing::warn!(error = %e, "cannot listen for session changes; sessions are read every request");
                }
            }
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

async fn listen(url: &str) -> sqlx::Result<PgListener> {
    let mut listener = PgListener::connect(url).await?;
    // A lost connection is not reconnected by the listener itself: `follow_changes` connects
    // again, through `set_live`, which empties the cache of what the gap may have missed.
    listener.eager_reconnect(false);
    listener.listen(CHANNEL).await?;
    Ok(listener)
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
