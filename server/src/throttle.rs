//! Slowing down password guessing (OWASP ASVS V2.2) without ever locking the owner out.
//!
//! Attempts are counted per (account, address) and per address. Each key has a few free
//! attempts; after those, each further failure makes the key wait twice as long as the last
//! (1 s, 2 s, 4 s, … at most 15 minutes). A guesser at one address therefore never slows the
//! owner signing in from another, and the owner who mistypes at home waits seconds, not a
//! quarter of an hour. An IPv6 caller is counted by its /64, which one household or phone holds.
//!
//! An attempt is counted *before* its password is checked (and forgiven on success), so a burst
//! of simultaneous guesses cannot slip past the limit. A refused attempt writes nothing.
//!
//! Where the counts live:
//! - SQLite (one server process per database file): in this process's memory, bounded (the
//!   least recently used keys make way), lost at a restart, which costs a guesser nothing.
//! - PostgreSQL (any number of server instances): in the UNLOGGED table `login_throttle`, which
//!   every instance shares. It is written without the write-ahead log (no fsync) and emptied if
//!   PostgreSQL crashes, which is the right durability for counters this short-lived. Two
//!   instances checking the same keys at once are serialized by row locks.

use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Mutex;

use sqlx::Row;

use crate::db::{Backend, Db};

/// Attempts per (account, address) before delays start: people mistype.
pub const FREE_PER_ACCOUNT_AND_ADDRESS: u32 = 5;
/// Attempts per address before delays start: a station's phones may share one address.
pub const FREE_PER_ADDRESS: u32 = 30;
/// The first delay, doubled with every further failure…
const FIRST_DELAY_MS: i64 = 1_000;
/// …up to this.
pub const MAX_DELAY_MS: i64 = 15 * 60_000;
/// A key with no failure for this long starts again from zero.
pub const FORGET_AFTER_MS: i64 = 60 * 60_000;
/// Keys kept in memory (SQLite); about 100 bytes each.
const MEMORY_KEYS: usize = 100_000;

/// How long a key must wait after its `failures`-th failure.
pub fn delay_ms(failures: u32, free: u32) -> i64 {
    if failures < free {
        return 0;
    }
    let doublings = (failures - free).min(20);
    (FIRST_DELAY_MS << doublings).min(MAX_DELAY_MS)
}

/// One key's count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Count {
    failures: u32,
    last_at: i64,
}

impl Count {
    /// The count as it stands at `now` (forgotten after a quiet hour).
    fn at(self, now: i64) -> Count {
        if now - self.last_at > FORGET_AFTER_MS {
            Count {
                failures: 0,
                last_at: self.last_at,
            }
        } else {
            self
        }
    }

    fn allowed_at(self, free: u32) -> i64 {
        self.last_at + delay_ms(self.failures, free)
    }
}

/// The two keys of one sign-in attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keys {
    pair: String,
    address: String,
}

impl Keys {
    pub fn new(username: &str, address: &str) -> Keys {
        let address = network_of(address);
        Keys {
            pair: format!("u:{username}\n{address}"),
            address: format!("a:{address}"),
        }
    }
}

/// The address as counted (see [`crate::serve::network_of`]); one that is not an IP address
/// ("unknown" in in-process tests) as it is.
fn network_of(address: &str) -> String {
    address.parse::<std::net::IpAddr>().map_or_else(
        |_| address.to_owned(),
        |ip| crate::serve::network_of(ip).to_string(),
    )
}

/// What [`Throttle::begin`] decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Begin {
    /// Go on and check the password; `newly_slowed` when this attempt is the one that starts
    /// the delays for a key (worth one line in the audit trail).
    Allowed { newly_slowed: bool },
    /// Refused without looking at the password; try again after this many milliseconds.
    Wait { ms: i64 },
}

pub struct Throttle {
    store: Store,
    /// Added to the clock: lets tests step through the delays without sleeping.
    skew_ms: AtomicI64,
    /// When not zero, the clock stands still at this time (plus the skew): a test's attempts
    /// then fall inside their window however slowly a busy machine runs them.
    frozen_at_ms: AtomicI64,
    last_prune: AtomicI64,
}

enum Store {
    Memory(Mutex<lru::LruCache<String, Count>>),
    Postgres(sqlx::AnyPool),
}

impl Throttle {
    pub fn for_db(db: &Db) -> Throttle {
        let store = match db.backend {
            Backend::Sqlite => Store::Memory(Mutex::new(lru::LruCache::new(
                NonZeroUsize::new(MEMORY_KEYS).expect("not zero"),
            ))),
            Backend::Postgres => Store::Postgres(db.pool.clone()),
        };
        Throttle {
            store,
            skew_ms: AtomicI64::new(0),
            frozen_at_ms: AtomicI64::new(0),
            last_prune: AtomicI64::new(0),
        }
    }

    /// The throttle's clock (ms).
    pub fn now(&self) -> i64 {
        let frozen = self.frozen_at_ms.load(Ordering::Relaxed);
        let base = if frozen == 0 { crate::now_ms() } else { frozen };
        base + self.skew_ms.load(Ordering::Relaxed)
    }

    /// Stops the throttle's clock where it stands; only [`Throttle::skip_ahead`] moves it
    /// then (tests).
    pub fn freeze(&self) {
        let _ = self.frozen_at_ms.compare_exchange(
            0,
            crate::now_ms(),
            Ordering::Relaxed,
            Ordering::Relaxed,
        );
    }

    /// Moves the throttle's clock forward (tests).
    pub fn skip_ahead(&self, ms: i64) {
        self.skew_ms.fetch_add(ms, Ordering::Relaxed);
    }

    /// Counts an attempt, unless either key must still wait.
    pub async fn begin(&self, keys: &Keys) -> anyhow::Result<Begin> {
        let now = self.now();
        match &self.store {
            Store::Memory(cache) => {
                let mut cache = cache.lock().unwrap_or_else(|p| p.into_inner());
                let zero = Count {
                    failures: 0,
                    last_at: now,
                };
                let pair = cache.get(&keys.pair).copied().unwrap_or(zero).at(now);
                let address = cache.get(&keys.address).copied().unwrap_or(zero).at(now);
                let (decision, pair, address) = decide(pair, address, now);
                if let Begin::Allowed { .. } = decision {
                    cache.put(keys.pair.clone(), pair);
                    cache.put(keys.address.clone(), address);
                }
                Ok(decision)
            }
            Store::Postgres(pool) => {
                self.prune(pool, now).await;
                let mut tx = pool.begin().await?;
                // Rows must exist to be locked; a new key's row is made with no failures. Both
                // statements take the keys in the same order ("a:…" before "u:…"), so two
                // instances cannot deadlock on them.
                sqlx::query(
                    "INSERT INTO login_throttle (key, failures, last_at) VALUES ($2, 0, $3), ($1, 0, $3) \
                     ON CONFLICT (key) DO NOTHING",
                )
                .bind(&keys.pair)
                .bind(&keys.address)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                let rows = sqlx::query(
                    "SELECT key, failures, last_at FROM login_throttle WHERE key IN ($1, $2) \
                     ORDER BY key FOR UPDATE",
                )
                .bind(&keys.pair)
                .bind(&keys.address)
                .fetch_all(&mut *tx)
                .await?;
                let count_of = |key: &str| {
                    rows.iter()
                        .find(|r| r.get::<String, _>(0) == key)
                        .map_or(
                            Count {
                                failures: 0,
                                last_at: now,
                            },
                            |r| Count {
                                failures: u32::try_from(r.get::<i64, _>(1)).unwrap_or(u32::MAX),
                                last_at: r.get(2),
                            },
                        )
                        .at(now)
                };
                let (decision, pair, address) =
                    decide(count_of(&keys.pair), count_of(&keys.address), now);
                if let Begin::Wait { .. } = decision {
                    // Nothing of a refused attempt is kept.
                    tx.rollback().await?;
                    return Ok(decision);
                }
                for (key, c) in [(&keys.pair, pair), (&keys.address, address)] {
                    sqlx::query(
                        "UPDATE login_throttle SET failures = $1, last_at = $2 WHERE key = $3",
                    )
                    .bind(i64::from(c.failures))
                    .bind(c.last_at)
                    .bind(key)
                    .execute(&mut *tx)
                    .await?;
                }
                tx.commit().await?;
                Ok(decision)
            }
        }
    }

    /// The password was right: the attempt is forgiven, and so are the account's earlier
    /// mistakes from this address.
    pub async fn succeeded(&self, keys: &Keys) -> anyhow::Result<()> {
        match &self.store {
            Store::Memory(cache) => {
                let mut cache = cache.lock().unwrap_or_else(|p| p.into_inner());
                cache.pop(&keys.pair);
                if let Some(c) = cache.get_mut(&keys.address) {
                    c.failures = c.failures.saturating_sub(1);
                }
            }
            Store::Postgres(pool) => {
                // The address row first, as in `begin`: the same lock order everywhere, so a
                // double tap on "sign in" cannot deadlock with itself.
                let mut tx = pool.begin().await?;
                sqlx::query(
                    "UPDATE login_throttle SET failures = failures - 1 WHERE key = $1 AND failures > 0",
                )
                .bind(&keys.address)
                .execute(&mut *tx)
                .await?;
                sqlx::query("DELETE FROM login_throttle WHERE key = $1")
                    .bind(&keys.pair)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
            }
        }
        Ok(())
    }

    /// Drops keys quiet for longer than [`FORGET_AFTER_MS`], at most once a minute per server.
    async fn prune(&self, pool: &sqlx::AnyPool, now: i64) {
        let last = self.last_prune.load(Ordering::Relaxed);
        if now - last < 60_000
            || self
                .last_prune
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_err()
        {
            return;
        }
        // Rows a sign-in holds are skipped (they are not quiet anyway), so the clean-up never
        // waits for, or deadlocks with, an attempt in progress.
        let done = sqlx::query(
            "DELETE FROM login_throttle WHERE key IN (SELECT key FROM login_throttle \
             WHERE last_at < $1 FOR UPDATE SKIP LOCKED)",
        )
        .bind(now - FORGET_AFTER_MS)
        .execute(pool)
        .await;
        if let Err(e) = done {
            tracing::warn!(error = %e, "cannot prune login_throttle");
        }
    }
}

/// Whether an attempt may go on, and the counts after it.
fn decide(pair: Count, address: Count, now: i64) -> (Begin, Count, Count) {
    let allowed_at = pair
        .allowed_at(FREE_PER_ACCOUNT_AND_ADDRESS)
        .max(address.allowed_at(FREE_PER_ADDRESS));
    if now < allowed_at {
        return (
            Begin::Wait {
                ms: allowed_at - now,
            },
            pair,
            address,
        );
    }
    let bump = |c: Count| Count {
        failures: c.failures.saturating_add(1),
        last_at: now,
    };
    let (pair, address) = (bump(pair), bump(address));
    let newly_slowed =
        pair.failures == FREE_PER_ACCOUNT_AND_ADDRESS || address.failures == FREE_PER_ADDRESS;
    (Begin::Allowed { newly_slowed }, pair, address)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An in-memory throttle whose clock moves only by `skip_ahead`.
    fn memory() -> Throttle {
        let t = Throttle {
            store: Store::Memory(Mutex::new(lru::LruCache::new(
                NonZeroUsize::new(MEMORY_KEYS).unwrap(),
            ))),
            skew_ms: AtomicI64::new(0),
            frozen_at_ms: AtomicI64::new(0),
            last_prune: AtomicI64::new(0),
        };
        t.freeze();
        t
    }

    #[test]
    fn delays_double_after_the_free_attempts_and_stop_at_fifteen_minutes() {
        let free = FREE_PER_ACCOUNT_AND_ADDRESS;
        assert_eq!(delay_ms(free - 1, free), 0);
        assert_eq!(delay_ms(free, free), 1_000);
        assert_eq!(delay_ms(free + 1, free), 2_000);
        assert_eq!(delay_ms(free + 3, free), 8_000);
        assert_eq!(delay_ms(free + 10, free), MAX_DELAY_MS);
        assert_eq!(delay_ms(u32::MAX, free), MAX_DELAY_MS);
    }

    #[tokio::test]
    async fn each_failure_past_the_free_ones_waits_twice_as_long() {
        let t = memory();
        let keys = Keys::new("truongcong", "203.0.113.7");
        for _ in 0..FREE_PER_ACCOUNT_AND_ADDRESS {
            assert!(matches!(
                t.begin(&keys).await.unwrap(),
                Begin::Allowed { .. }
            ));
        }
        for wait in [1_000, 2_000, 4_000, 8_000] {
            let Begin::Wait { ms } = t.begin(&keys).await.unwrap() else {
                panic!("must wait {wait} ms")
            };
            assert_eq!(ms, wait);
            t.skip_ahead(ms);
            assert!(matches!(
                t.begin(&keys).await.unwrap(),
                Begin::Allowed { .. }
            ));
        }
    }

    #[tokio::test]
    async fn a_guesser_at_one_address_does_not_slow_the_owner_at_another() {
        let t = memory();
        let guesser = Keys::new("truongcong", "198.51.100.1");
        for _ in 0..50 {
            t.begin(&guesser).await.unwrap();
        }
        assert!(matches!(
            t.begin(&guesser).await.unwrap(),
            Begin::Wait { .. }
        ));
        let owner = Keys::new("truongcong", "203.0.113.7");
        assert_eq!(
            t.begin(&owner).await.unwrap(),
            Begin::Allowed {
                newly_slowed: false
            }
        );
    }

    #[tokio::test]
    async fn a_success_forgives_the_accounts_mistakes_at_that_address() {
        let t = memory();
        let keys = Keys::new("canbo", "203.0.113.7");
        for _ in 0..FREE_PER_ACCOUNT_AND_ADDRESS - 1 {
            t.begin(&keys).await.unwrap();
        }
        t.succeeded(&keys).await.unwrap();
        for _ in 0..FREE_PER_ACCOUNT_AND_ADDRESS {
            assert!(matches!(
                t.begin(&keys).await.unwrap(),
                Begin::Allowed { .. }
            ));
        }
    }

    #[tokio::test]
    async fn an_hour_without_failures_starts_a_key_again() {
        let t = memory();
        let keys = Keys::new("canbo", "203.0.113.7");
        for _ in 0..20 {
            t.begin(&keys).await.unwrap();
            t.skip_ahead(MAX_DELAY_MS);
        }
        t.skip_ahead(FORGET_AFTER_MS + 1);
        for _ in 0..FREE_PER_ACCOUNT_AND_ADDRESS {
            assert!(matches!(
                t.begin(&keys).await.unwrap(),
                Begin::Allowed { .. }
            ));
        }
    }

    #[test]
    fn ipv6_callers_are_counted_by_their_64_and_mapped_ipv4_as_ipv4() {
        assert_eq!(
            Keys::new("a", "2001:db8:1:2:aaaa::1"),
            Keys::new("a", "2001:db8:1:2:bbbb::9")
        );
        assert_ne!(
            Keys::new("a", "2001:db8:1:2::1"),
            Keys::new("a", "2001:db8:1:3::1")
        );
        assert_eq!(
            Keys::new("a", "::ffff:203.0.113.7"),
            Keys::new("a", "203.0.113.7")
        );
    }
}
