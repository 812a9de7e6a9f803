//! The database's identity (its epoch), which every pull cursor carries.
//!
//! A cursor counts changes in one database. After a restore from backup the change counter
//! starts again from the backup's value and soon climbs past the cursors phones hold, so a phone
//! would skip every change numbered between the two — and the records it sent after the backup
//! are gone from the server while the phone holds them as synced. A new epoch makes every
//! cursor of before answer `reset`: the phone pulls its view again and pushes back what it holds
//! as synced (pushes are idempotent, so what the server still has answers `duplicate`).
//!
//! The epoch changes:
//! - when the database is created (a random value, by the migration);
//! - when the server starts on a database whose counter is below the high-water mark the
//!   servers recorded in the photo store (`meta/high-water.json`, beside the photos, shared by
//!   every instance, written every 30 s and at shutdown): the database went back in time;
//! - by `wardbook db restored`, for a restore the high-water mark cannot see (a photo store
//!   restored too, or replaced).

use serde::{Deserialize, Serialize};

use crate::db::Db;
use crate::photos::PhotoStore;

/// The database's epoch and its change counter, read together.
pub async fn current(db: &Db) -> sqlx::Result<(String, i64)> {
    let row: (String, i64) = sqlx::query_as(
        "SELECT (SELECT epoch FROM db_identity WHERE id = 1), value FROM counters WHERE name = 'seq'",
    )
    .fetch_one(&db.pool)
    .await?;
    Ok(row)
}

/// Gives the database a new epoch; every cursor handed out before is answered `reset`.
pub async fn renew(db: &Db) -> sqlx::Result<String> {
    let epoch = hex::encode(rand::random::<[u8; 16]>());
    sqlx::query("UPDATE db_identity SET epoch = $1 WHERE id = 1")
        .bind(&epoch)
        .execute(&db.writer)
        .await?;
    Ok(epoch)
}

/// The highest counter value the servers have seen in an epoch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HighWater {
    pub epoch: String,
    pub seq: i64,
}

/// Records the database's current counter as the high-water mark, unless the mark is higher.
/// (Two instances writing at once may leave the lower of their two readings, for at most the
/// 30 s until the next write: the mark trails the counter a little, which only delays by so
/// much the detection of a restore made in that moment.)
pub async fn record_high_water(db: &Db, photos: &PhotoStore) -> anyhow::Result<()> {
    let (epoch, seq) = current(db).await?;
    let mark = match photos.high_water().await? {
        Some(old) if old.epoch == epoch && old.seq > seq => return Ok(()),
        _ => HighWater { epoch, seq },
    };
    photos.set_high_water(&mark).await
}

/// At start: a database whose counter is below the mark of its own epoch was restored from a
/// backup, so it gets a new epoch. Returns the epoch in force.
pub async fn check_at_start(db: &Db, photos: &PhotoStore) -> anyhow::Result<String> {
    let (epoch, seq) = current(db).await?;
    let epoch = match photos.high_water().await? {
        // The mark stays where it is: it is only ever raised.
        Some(m) if m.epoch == epoch && seq == m.seq => return Ok(epoch),
        Some(m) if m.epoch == epoch && seq < m.seq => {
            let new = renew(db).await?;
            tracing::warn!(
                old = %epoch, %new, seq, high_water = m.seq,
                "the database is behind what phones were told (restored from a backup?): new epoch, phones pull again and push back what they hold"
            );
            new
        }
        _ => epoch,
    };
    photos
        .set_high_water(&HighWater {
            epoch: epoch.clone(),
            seq,
        })
        .await?;
    Ok(epoch)
}
