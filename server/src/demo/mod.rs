//! Demo data: three wards of Tây Hồ, Hà Nội, a few residential groups each, and one account of
//! each role. Loading twice changes nothing.

use sqlx::Row;

pub mod history;

use crate::auth::hash_password;
use crate::Db;

pub const WARDS: [&str; 3] = ["Nhật Tân", "Xuân La", "Quảng An"];
pub const GROUPS_PER_WARD: usize = 4;
pub const PASSWORD: &str = "wardbook-demo";

/// (username, display name, role, ward index, group index within the ward)
pub type DemoAccount = (
    &'static str,
    &'static str,
    &'static str,
    Option<usize>,
    Option<usize>,
);

pub const ACCOUNTS: [DemoAccount; 6] = [
    ("admin", "Quản trị hệ thống", "admin", None, None),
    (
        "congantinh",
        "Thượng tá Trần Quốc Bảo",
        "provincial",
        None,
        None,
    ),
    (
        "truongcong",
        "Thượng tá Nguyễn Văn Trường",
        "supervisor",
        Some(0),
        None,
    ),
    ("canbo", "Đại úy Lê Thị Hoa", "officer", Some(0), None),
    (
        "totruong",
        "Bà Phạm Thị Lan",
        "group_leader",
        Some(0),
        Some(0),
    ),
    (
        "truongxuanla",
        "Trung tá Đỗ Minh Quân",
        "supervisor",
        Some(1),
        None,
    ),
];

pub async fn load(db: &Db) -> anyhow::Result<()> {
    let mut tx = db.writer.begin().await?;
    let mut ward_ids = Vec::new();
    let mut group_ids: Vec<Vec<i64>> = Vec::new();
    let province = crate::people::province_named(&mut tx, "Hà Nội")
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    for ward in WARDS {
        let existing: Option<(i64, Option<i64>)> = sqlx::query_as(
            "SELECT id, closed_from FROM wards WHERE name = $1 AND district = 'Tây Hồ'",
        )
        .bind(ward)
        .fetch_optional(&mut *tx)
        .await?;
        let id: i64 = match existing {
            // Loaded before: its groups are there, or moved on (the demo's history merged it).
            Some((id, closed)) => {
                ward_ids.push(id);
                let mut groups = Vec::new();
                if closed.is_none() {
                    for n in 1..=GROUPS_PER_WARD {
                        let gid: Option<i64> = sqlx::query_scalar(
                            "SELECT id FROM residential_groups WHERE ward_id = $1 AND name = $2",
                        )
                        .bind(id)
                        .bind(format!("Tổ dân phố số {n}"))
                        .fetch_optional(&mut *tx)
                        .await?;
                        groups.extend(gid);
                    }
                }
                group_ids.push(groups);
                continue;
            }
            None => {
                sqlx::query(
                    "INSERT INTO wards (name, district, city, province_id) VALUES ($1, 'Tây Hồ', 'Hà Nội', $2) \
                     RETURNING id",
                )
                .bind(ward)
                .bind(province)
                .fetch_one(&mut *tx)
                .await?
                .get(0)
            }
        };
        let mut groups = Vec::new();
        for n in 1..=GROUPS_PER_WARD {
            let name = format!("Tổ dân phố số {n}");
            sqlx::query("INSERT INTO residential_groups (ward_id, name) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                .bind(id)
                .bind(&name)
                .execute(&mut *tx)
                .await?;
            let gid: i64 =
                sqlx::query("SELECT id FROM residential_groups WHERE ward_id = $1 AND name = $2")
                    .bind(id)
                    .bind(&name)
                    .fetch_one(&mut *tx)
                    .await?
                    .get(0);
            sqlx::query(
                "INSERT INTO group_places (group_id, ward_id, since, applied_at) VALUES ($1, $2, 0, 0) \
                 ON CONFLICT DO NOTHING",
            )
            .bind(gid)
            .bind(id)
            .execute(&mut *tx)
            .await?;
            groups.push(gid);
        }
        ward_ids.push(id);
        group_ids.push(groups);
    }
    for (username, name, role, ward, group) in ACCOUNTS {
        let exists = sqlx::query("SELECT 1 FROM users WHERE username = $1")
            .bind(username)
            .fetch_optional(&mut *tx)
            .await?
            .is_some();
        // Already there, or its place is gone (merged away by the demo's history).
        let place = ward.map(|w| ward_ids[w]);
        let group_id = match ward.zip(group) {
            Some((w, g)) => match group_ids[w].get(g) {
                Some(id) => Some(*id),
                None => continue,
            },
            None => None,
        };
        if exists || (ward.is_some() && group_ids[ward.unwrap_or_default()].is_empty()) {
            continue;
        }
        sqlx::query(
            "INSERT INTO users (username, display_name, password_hash, role, ward_id, group_id, created_at, province_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(username)
        .bind(name)
        .bind(hash_password(PASSWORD)?)
        .bind(role)
        .bind(place)
        .bind(group_id)
        .bind(crate::now_ms())
        // Provincial staff of Hà Nội, the demo wards' city.
        .bind((role == "provincial").then_some(province))
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Prints the demo accounts with their places: with the demo's history, where the 2025 reform
/// put them (their group's or their staff's new ward).
pub fn print_accounts(with_history: bool) {
    println!("Demo accounts (password for all: {PASSWORD}):");
    for (username, name, role, ward, group) in ACCOUNTS {
        let place = match (role, ward) {
            ("provincial", _) => "Hà Nội",
            (_, Some(w)) if with_history => {
                // A group leader follows the group; staff went where their ward's did.
                let n = group.map_or(1, |g| g as u32 + 1);
                let new = match (WARDS[w], role) {
                    ("Xuân La", "supervisor" | "officer") => 1,
                    _ => history::new_ward_of(w, n),
                };
                history::NEW_WARDS[new]
            }
            (_, Some(w)) => WARDS[w],
            _ => "-",
        };
        println!("  {username:<14} {role:<13} {place:<10} {name}");
    }
}
