//! Demo data: three wards of Tây Hồ, Hà Nội, a few residential groups each, and one account of
//! each role. Loading twice changes nothing.

use sqlx::Row;

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

pub const ACCOUNTS: [DemoAccount; 5] = [
    ("admin", "Quản trị hệ thống", "admin", None, None),
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
    let mut tx = db.pool.begin().await?;
    let mut ward_ids = Vec::new();
    let mut group_ids: Vec<Vec<i64>> = Vec::new();
    let province = crate::people::province_named(&mut tx, "Hà Nội")
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    for ward in WARDS {
        sqlx::query(
            "INSERT INTO wards (name, district, city, province_id) VALUES ($1, 'Tây Hồ', 'Hà Nội', $2) \
             ON CONFLICT DO NOTHING",
        )
        .bind(ward)
        .bind(province)
        .execute(&mut *tx)
        .await?;
        let id: i64 = sqlx::query("SELECT id FROM wards WHERE name = $1 AND district = 'Tây Hồ'")
            .bind(ward)
            .fetch_one(&mut *tx)
            .await?
            .get(0);
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
        if exists {
            continue;
        }
        sqlx::query(
            "INSERT INTO users (username, display_name, password_hash, role, ward_id, group_id, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(username)
        .bind(name)
        .bind(hash_password(PASSWORD)?)
        .bind(role)
        .bind(ward.map(|w| ward_ids[w]))
        .bind(ward.zip(group).map(|(w, g)| group_ids[w][g]))
        .bind(crate::now_ms())
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

pub fn print_accounts() {
    println!("Demo accounts (password for all: {PASSWORD}):");
    for (username, name, role, ward, _) in ACCOUNTS {
        let place = ward.map(|w| WARDS[w]).unwrap_or("-");
        println!("  {username:<14} {role:<13} {place:<10} {name}");
    }
}
