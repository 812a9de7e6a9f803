//! People and places: users, wards and residential groups, as administrators manage them through
//! the API and the `wardbook user|ward|group` commands. Every change is in the audit trail with
//! what it was before and after; nothing here ever returns a password hash.

use domain::admin::{UserInput, UserView, WardInput, WardKind, WardView};
use domain::api::{Place, Role};
use domain::validate::{FieldError, Violation};
use domain::Text;
use serde_json::json;
use sqlx::Row;

use crate::db::{record_audit, write_first, Audit, Db};
use crate::error::{request_lang, AppError, AppResult};

/// The shortest password accepted, in characters. Length protects better than forced symbols,
/// and a long phrase is easier for an older group leader to remember than `P@ss1!`.
pub const MIN_PASSWORD_CHARS: usize = 10;
pub const MAX_PASSWORD_CHARS: usize = 128;

/// Passwords people pick first; refused whatever their length.
const COMMON: [&str; 12] = [
    "1234567890",
    "12345678910",
    "0123456789",
    "1111111111",
    "matkhau123",
    "matkhau1234",
    "password12",
    "password123",
    "qwertyuiop",
    "abc1234567",
    "congan12345",
    "12345678900",
];

/// What is wrong with a new password, or `None` when it is acceptable.
pub fn password_problem(password: &str, username: &str) -> Option<Text> {
    let password = crate::auth::normalize_password(password);
    let password = password.as_str();
    let n = password.chars().count();
    if n < MIN_PASSWORD_CHARS {
        return Some(Text::new(
            format!("Mật khẩu cần ít nhất {MIN_PASSWORD_CHARS} ký tự; một câu dễ nhớ là tốt nhất."),
            format!("A password needs at least {MIN_PASSWORD_CHARS} characters; an easy-to-remember phrase is best."),
        ));
    }
    if n > MAX_PASSWORD_CHARS {
        return Some(Text::new(
            format!("Mật khẩu tối đa {MAX_PASSWORD_CHARS} ký tự."),
            format!("A password may have at most {MAX_PASSWORD_CHARS} characters."),
        ));
    }
    let lower = password.to_lowercase();
    let first = lower.chars().next();
    if lower.chars().all(|c| Some(c) == first)
        || COMMON.contains(&lower.as_str())
        || (username.len() >= 3 && lower.contains(&username.to_lowercase()))
    {
        return Some(Text::new(
            "Mật khẩu này quá dễ đoán (trùng tên đăng nhập, lặp một ký tự hoặc quá phổ biến).",
            "This password is too easy to guess (it holds the username, repeats one character or is very common).",
        ));
    }
    None
}

/// A refusal that names the field, in the caller's language.
pub fn invalid(field: &str, reason: Text) -> AppError {
    let lang = request_lang();
    AppError::Validation {
        message: Some(reason.get(lang).to_owned()),
        fields: vec![FieldError::new(field, Violation::Invalid { reason }, lang)],
    }
}

fn is_username(u: &str) -> bool {
    (3..=32).contains(&u.len())
        && u.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-')
        })
}

/// A trimmed name of 1 to `max` characters with no control characters.
fn clean_name(field: &str, value: &str, max: usize) -> AppResult<String> {
    let v = value.trim();
    // Control characters, and invisible format characters (bidi overrides, zero-width) that
    // would make a name look like another in lists and exports.
    let invisible = |c: char| {
        c.is_control()
            || matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2069}' | '\u{FEFF}')
    };
    if v.is_empty() || v.chars().count() > max || v.chars().any(invisible) {
        return Err(invalid(
            field,
            Text::new(
                format!("Cần từ 1 đến {max} ký tự, không có ký tự điều khiển."),
                format!("Needs 1 to {max} characters, without control characters."),
            ),
        ));
    }
    Ok(v.to_owned())
}

pub async fn hash(password: String) -> AppResult<String> {
    tokio::task::spawn_blocking(move || crate::auth::hash_password(&password))
        .await
        .map_err(anyhow::Error::from)?
        .map_err(AppError::Internal)
}

/// Where a user works, checked against their role.
struct UserPlace {
    ward: Option<i64>,
    group: Option<i64>,
    /// An officer's responsible groups.
    groups: Vec<i64>,
    province: Option<i64>,
}

/// Where a user works, checked against their role.
async fn resolve_place(conn: &mut sqlx::AnyConnection, input: &UserInput) -> AppResult<UserPlace> {
    let no_ward = || {
        invalid(
            "ward_id",
            Text::new(
                "Hãy chọn một phường / xã đang hoạt động.",
                "Choose an existing ward or commune.",
            ),
        )
    };
    let ward_exists = |id: i64| {
        sqlx::query_scalar::<_, i64>("SELECT id FROM wards WHERE id = $1 AND closed_from IS NULL")
            .bind(id)
    };
    let place = |ward, group, groups, province| UserPlace {
        ward,
        group,
        groups,
        province,
    };
    match input.role {
        Role::Admin => Ok(place(None, None, Vec::new(), None)),
        Role::Provincial => {
            let no_province = || {
                invalid(
                    "province_id",
                    Text::new(
                        "Hãy chọn một tỉnh / thành phố có thật.",
                        "Choose an existing province.",
                    ),
                )
            };
            let province = input.province_id.ok_or_else(no_province)?;
            sqlx::query_scalar::<_, i64>("SELECT id FROM provinces WHERE id = $1")
                .bind(province)
                .fetch_optional(&mut *conn)
                .await?
                .ok_or_else(no_province)?;
            Ok(place(None, None, Vec::new(), Some(province)))
        }
        Role::Supervisor | Role::Officer => {
            let ward = input.ward_id.ok_or_else(no_ward)?;
            ward_exists(ward)
                .fetch_optional(&mut *conn)
                .await?
                .ok_or_else(no_ward)?;
            let mut groups = Vec::new();
            if input.role == Role::Officer {
                for &g in input.groups.as_deref().unwrap_or_default() {
                    let in_ward: Option<i64> = sqlx::query_scalar(
                        "SELECT id FROM residential_groups WHERE id = $1 AND ward_id = $2",
                    )
                    .bind(g)
                    .bind(ward)
                    .fetch_optional(&mut *conn)
                    .await?;
                    if in_ward.is_none() {
                        return Err(invalid(
                            "groups",
                            Text::new(
                                "Các tổ dân phố phụ trách phải thuộc phường của cán bộ.",
                                "An officer's residential groups must be in their ward.",
                            ),
                        ));
                    }
                    if !groups.contains(&g) {
                        groups.push(g);
                    }
                }
            }
            Ok(place(Some(ward), None, groups, None))
        }
        Role::GroupLeader => {
            let no_group = || {
                invalid(
                    "group_id",
                    Text::new(
                        "Tổ trưởng cần thuộc một tổ dân phố có thật.",
                        "A group leader needs an existing residential group.",
                    ),
                )
            };
            let group = input.group_id.ok_or_else(no_group)?;
            let ward: i64 =
                sqlx::query_scalar("SELECT ward_id FROM residential_groups WHERE id = $1")
                    .bind(group)
                    .fetch_optional(&mut *conn)
                    .await?
                    .ok_or_else(no_group)?;
            Ok(place(Some(ward), Some(group), Vec::new(), None))
        }
    }
}

const USER_COLUMNS: &str = "u.id, u.username, u.display_name, u.role, u.ward_id, w.name, u.group_id, g.name, \
     u.active, u.created_at, \
     (SELECT COUNT(*) FROM sessions s WHERE s.user_id = u.id AND s.revoked_at IS NULL AND s.expires_at > $1), \
     u.province_id, p.name";
const USER_JOINS: &str = "FROM users u LEFT JOIN wards w ON w.id = u.ward_id \
     LEFT JOIN residential_groups g ON g.id = u.group_id LEFT JOIN provinces p ON p.id = u.province_id";

async fn user_from_row(
    conn: &mut sqlx::AnyConnection,
    row: &sqlx::any::AnyRow,
) -> AppResult<UserView> {
    let role: String = row.get(3);
    let id: i64 = row.get(0);
    let place = |id: Option<i64>, name: Option<String>| match (id, name) {
        (Some(id), Some(name)) => Some(Place { id, name }),
        _ => None,
    };
    let groups = sqlx::query(
        "SELECT g.id, g.name FROM officer_groups o JOIN residential_groups g ON g.id = o.group_id \
         WHERE o.user_id = $1 ORDER BY g.id",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(|r| Place {
        id: r.get(0),
        name: r.get(1),
    })
    .collect();
    Ok(UserView {
        id,
        username: row.get(1),
        display_name: row.get(2),
        role: Role::parse(&role).ok_or_else(|| anyhow::anyhow!("unknown role {role:?}"))?,
        ward: place(row.get(4), row.get(5)),
        group: place(row.get(6), row.get(7)),
        groups,
        province: place(row.get(11), row.get(12)),
        active: row.get::<i64, _>(8) != 0,
        created_at: row.get(9),
        sessions: u32::try_from(row.get::<i64, _>(10)).unwrap_or(u32::MAX),
    })
}

pub async fn user(conn: &mut sqlx::AnyConnection, id: i64) -> AppResult<UserView> {
    let sql = format!("SELECT {USER_COLUMNS} {USER_JOINS} WHERE u.id = $2");
    let row = sqlx::query(&sql)
        .bind(crate::now_ms())
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(AppError::NotFound)?;
    user_from_row(conn, &row).await
}

pub async fn user_id_by_name(db: &Db, username: &str) -> AppResult<i64> {
    sqlx::query_scalar("SELECT id FROM users WHERE username = $1")
        .bind(username)
        .fetch_optional(&db.pool)
        .await?
        .ok_or(AppError::NotFound)
}

/// Every user, by username.
pub async fn users(db: &Db) -> AppResult<Vec<UserView>> {
    let mut conn = db.pool.acquire().await?;
    let sql = format!("SELECT {USER_COLUMNS} {USER_JOINS} ORDER BY u.username");
    let rows = sqlx::query(&sql)
        .bind(crate::now_ms())
        .fetch_all(&mut *conn)
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in &rows {
        out.push(user_from_row(&mut conn, row).await?);
    }
    Ok(out)
}

fn audit_ward(u: &UserView) -> Option<i64> {
    u.ward.as_ref().map(|w| w.id)
}

/// Creates a user with their first password.
pub async fn create_user(db: &Db, actor: Option<i64>, input: UserInput) -> AppResult<UserView> {
    let username = input.username.trim().to_lowercase();
    if !is_username(&username) {
        return Err(invalid(
            "username",
            Text::new(
                "Tên đăng nhập gồm 3–32 chữ thường không dấu, số, dấu chấm, gạch dưới hoặc gạch ngang.",
                "A username has 3–32 lowercase letters, digits, dots, underscores or dashes.",
            ),
        ));
    }
    let display_name = clean_name("display_name", &input.display_name, 100)?;
    let password = input.password.clone().unwrap_or_default();
    if let Some(reason) = password_problem(&password, &username) {
        return Err(invalid("password", reason));
    }
    let password_hash = hash(password).await?;
    let mut tx = db.writer.begin().await?;
    write_first(&mut tx).await?;
    let taken: Option<i64> = sqlx::query_scalar("SELECT id FROM users WHERE username = $1")
        .bind(&username)
        .fetch_optional(&mut *tx)
        .await?;
    if taken.is_some() {
        return Err(invalid(
            "username",
            Text::new(
                "Tên đăng nhập này đã có người dùng.",
                "This username is already taken.",
            ),
        ));
    }
    let UserPlace {
        ward,
        group,
        groups,
        province,
    } = resolve_place(&mut tx, &input).await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO users (username, display_name, password_hash, role, ward_id, group_id, created_at, province_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(&username)
    .bind(&display_name)
    .bind(&password_hash)
    .bind(input.role.as_str())
    .bind(ward)
    .bind(group)
    .bind(crate::now_ms())
    .bind(province)
    .fetch_one(&mut *tx)
    .await
    .map_err(|e| match e {
        // Two administrators creating the same username at once.
        sqlx::Error::Database(d) if d.is_unique_violation() => invalid(
            "username",
            Text::new("Tên đăng nhập này đã có người dùng.", "This username is already taken."),
        ),
        e => e.into(),
    })?;
    set_officer_groups(&mut tx, id, &groups).await?;
    let after = user(&mut tx, id).await?;
    record_audit(
        &mut tx,
        Audit {
            actor,
            action: "user.create",
            entity: "user",
            entity_id: &id.to_string(),
            ward_id: audit_ward(&after),
            before: None,
            after: Some(json!(after)),
            detail: "",
        },
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}

/// An officer's responsible groups become exactly `groups`.
async fn set_officer_groups(
    conn: &mut sqlx::AnyConnection,
    user_id: i64,
    groups: &[i64],
) -> AppResult<()> {
    sqlx::query("DELETE FROM officer_groups WHERE user_id = $1")
        .bind(user_id)
        .execute(&mut *conn)
        .await?;
    for g in groups {
        sqlx::query("INSERT INTO officer_groups (user_id, group_id) VALUES ($1, $2)")
            .bind(user_id)
            .bind(g)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

async fn revoke_sessions(conn: &mut sqlx::AnyConnection, user_id: i64) -> AppResult<u64> {
    let done = sqlx::query(
        "UPDATE sessions SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL",
    )
    .bind(crate::now_ms())
    .bind(user_id)
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}

/// Changes a user's name, role, place or active state. Deactivating, or moving someone to
/// another role or place, signs out their devices: their phones keep unsent records until they
/// sign in again with their new scope.
pub async fn update_user(
    db: &Db,
    actor: Option<i64>,
    id: i64,
    input: UserInput,
) -> AppResult<UserView> {
    let display_name = clean_name("display_name", &input.display_name, 100)?;
    let mut tx = db.writer.begin().await?;
    write_first(&mut tx).await?;
    let before = user(&mut tx, id).await?;
    // Leaving `active` out keeps the user's state (an edit must not reactivate anyone).
    let active = input.active.unwrap_or(before.active);
    if actor == Some(id) && (!active || input.role != before.role) {
        return Err(invalid(
            "role",
            Text::new(
                "Không thể tự khóa hoặc tự đổi vai trò của chính mình.",
                "You cannot deactivate yourself or change your own role.",
            ),
        ));
    }
    let mut input = input;
    if input.groups.is_none() {
        input.groups = Some(before.groups.iter().map(|g| g.id).collect());
    }
    let UserPlace {
        ward,
        group,
        groups,
        province,
    } = resolve_place(&mut tx, &input).await?;
    sqlx::query(
        "UPDATE users SET display_name = $1, role = $2, ward_id = $3, group_id = $4, active = $5, \
         province_id = $6 WHERE id = $7",
    )
    .bind(&display_name)
    .bind(input.role.as_str())
    .bind(ward)
    .bind(group)
    .bind(i64::from(active))
    .bind(province)
    .bind(id)
    .execute(&mut *tx)
    .await?;
    set_officer_groups(&mut tx, id, &groups).await?;
    let moved = before.role != input.role
        || before.ward.as_ref().map(|w| w.id) != ward
        || before.group.as_ref().map(|g| g.id) != group
        || before.province.as_ref().map(|p| p.id) != province;
    if !active || moved {
        revoke_sessions(&mut tx, id).await?;
    }
    let after = user(&mut tx, id).await?;
    if after != before {
        // A move between wards is in both wards' part of the trail.
        let mut wards = vec![audit_ward(&after)];
        if audit_ward(&before) != audit_ward(&after) {
            wards.push(audit_ward(&before));
        }
        for ward_id in wards {
            record_audit(
                &mut tx,
                Audit {
                    actor,
                    action: "user.update",
                    entity: "user",
                    entity_id: &id.to_string(),
                    ward_id,
                    before: Some(json!(before)),
                    after: Some(json!(after)),
                    detail: "",
                },
            )
            .await?;
        }
    }
    db.sessions.commit(tx).await?;
    Ok(after)
}

/// Sets a new password and signs out every device of the user.
pub async fn reset_password(
    db: &Db,
    actor: Option<i64>,
    id: i64,
    password: String,
) -> AppResult<()> {
    let username: String = sqlx::query_scalar("SELECT username FROM users WHERE id = $1")
        .bind(id)
        .fetch_optional(&db.pool)
        .await?
        .ok_or(AppError::NotFound)?;
    if let Some(reason) = password_problem(&password, &username) {
        return Err(invalid("password", reason));
    }
    // Hashed before the transaction: the write lock is not held while Argon2 works.
    let password_hash = hash(password).await?;
    let mut tx = db.writer.begin().await?;
    write_first(&mut tx).await?;
    let target = user(&mut tx, id).await?;
    sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
        .bind(password_hash)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    let signed_out = revoke_sessions(&mut tx, id).await?;
    record_audit(
        &mut tx,
        Audit {
            actor,
            action: "user.password",
            entity: "user",
            entity_id: &id.to_string(),
            ward_id: audit_ward(&target),
            before: None,
            after: None,
            detail: &format!("sessions signed out: {signed_out}"),
        },
    )
    .await?;
    db.sessions.commit(tx).await?;
    Ok(())
}

/// Signs out every device of a user (a lost phone); what it already sent stays on the server.
pub async fn sign_out_everywhere(db: &Db, actor: Option<i64>, id: i64) -> AppResult<u64> {
    let mut tx = db.writer.begin().await?;
    write_first(&mut tx).await?;
    let target = user(&mut tx, id).await?;
    let n = revoke_sessions(&mut tx, id).await?;
    record_audit(
        &mut tx,
        Audit {
            actor,
            action: "user.signout",
            entity: "user",
            entity_id: &id.to_string(),
            ward_id: audit_ward(&target),
            before: Some(json!({"sessions": n})),
            after: Some(json!({"sessions": 0})),
            detail: "",
        },
    )
    .await?;
    db.sessions.commit(tx).await?;
    Ok(n)
}

// ---- wards and residential groups ----------------------------------------------------------

pub async fn wards(db: &Db) -> AppResult<Vec<WardView>> {
    let wards = sqlx::query(
        "SELECT id, name, kind, district, city, province_id, closed_from FROM wards \
         ORDER BY city, CASE WHEN closed_from IS NULL THEN 0 ELSE 1 END, district, name",
    )
    .fetch_all(&db.pool)
    .await?;
    let groups = sqlx::query("SELECT id, name, ward_id FROM residential_groups ORDER BY id")
        .fetch_all(&db.pool)
        .await?;
    wards
        .into_iter()
        .map(|w| {
            let id: i64 = w.get(0);
            let kind: String = w.get(2);
            Ok(WardView {
                id,
                name: w.get(1),
                kind: WardKind::parse(&kind)
                    .ok_or_else(|| anyhow::anyhow!("unknown ward kind {kind:?}"))?,
                district: w.get(3),
                city: w.get(4),
                province_id: w.get::<Option<i64>, _>(5).unwrap_or_default(),
                closed_from: w.get(6),
                groups: groups
                    .iter()
                    .filter(|g| g.get::<i64, _>(2) == id)
                    .map(|g| Place {
                        id: g.get(0),
                        name: g.get(1),
                    })
                    .collect(),
            })
        })
        .collect()
}

/// The province named `city`, added if it is new.
pub(crate) async fn province_named(conn: &mut sqlx::AnyConnection, city: &str) -> AppResult<i64> {
    sqlx::query("INSERT INTO provinces (name) VALUES ($1) ON CONFLICT (name) DO NOTHING")
        .bind(city)
        .execute(&mut *conn)
        .await?;
    Ok(
        sqlx::query_scalar("SELECT id FROM provinces WHERE name = $1")
            .bind(city)
            .fetch_one(&mut *conn)
            .await?,
    )
}

/// A ward's name, kind, former district (may be empty) and province, checked.
fn clean_ward(input: &WardInput) -> AppResult<(String, String, String)> {
    let name = clean_name("name", &input.name, 100)?;
    let district = if input.district.trim().is_empty() {
        String::new()
    } else {
        clean_name("district", &input.district, 100)?
    };
    let city = clean_name("city", &input.city, 100)?;
    Ok((name, district, city))
}

fn closed_ward() -> AppError {
    invalid(
        "ward_id",
        Text::new(
            "Phường / xã này đã sáp nhập hoặc chia tách, không còn hoạt động.",
            "This ward or commune was merged or split and no longer exists.",
        ),
    )
}

fn taken(what: &str) -> AppError {
    invalid(
        "name",
        Text::new(
            format!("Đã có {what} với tên này."),
            "That name is already used here.",
        ),
    )
}

fn unique_or(e: sqlx::Error, what: &str) -> AppError {
    match e {
        sqlx::Error::Database(d) if d.is_unique_violation() => taken(what),
        e => e.into(),
    }
}

pub async fn create_ward(db: &Db, actor: Option<i64>, input: WardInput) -> AppResult<WardView> {
    let mut tx = db.writer.begin().await?;
    write_first(&mut tx).await?;
    let view = create_ward_in(&mut tx, actor, input).await?;
    tx.commit().await?;
    Ok(view)
}

/// [`create_ward`] in the caller's transaction.
pub async fn create_ward_in(
    tx: &mut sqlx::AnyConnection,
    actor: Option<i64>,
    input: WardInput,
) -> AppResult<WardView> {
    let (name, district, city) = clean_ward(&input)?;
    let province_id = province_named(&mut *tx, &city).await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO wards (name, kind, district, city, province_id) VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(&name)
    .bind(input.kind.as_str())
    .bind(&district)
    .bind(&city)
    .bind(province_id)
    .fetch_one(&mut *tx)
    .await
    .map_err(|e| unique_or(e, "phường / xã"))?;
    let view = WardView {
        id,
        name,
        kind: input.kind,
        district,
        city,
        province_id,
        closed_from: None,
        groups: Vec::new(),
    };
    record_audit(
        &mut *tx,
        Audit {
            actor,
            action: "ward.create",
            entity: "ward",
            entity_id: &id.to_string(),
            ward_id: Some(id),
            before: None,
            after: Some(json!(view)),
            detail: "",
        },
    )
    .await?;
    Ok(view)
}

pub async fn update_ward(db: &Db, actor: Option<i64>, id: i64, input: WardInput) -> AppResult<()> {
    let (name, district, city) = clean_ward(&input)?;
    let mut tx = db.writer.begin().await?;
    write_first(&mut tx).await?;
    let before = sqlx::query("SELECT name, district, city, kind FROM wards WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(AppError::NotFound)?;
    let before = json!({
        "name": before.get::<String, _>(0), "district": before.get::<String, _>(1),
        "city": before.get::<String, _>(2), "kind": before.get::<String, _>(3),
    });
    let province_id = province_named(&mut tx, &city).await?;
    // A ward's groups and records stay in its province: moving them to another is a
    // reorganisation, which keeps groups within one province.
    let has_groups = sqlx::query_scalar::<_, i64>(
        "SELECT 1 FROM residential_groups g JOIN wards w ON w.id = g.ward_id \
         WHERE g.ward_id = $1 AND COALESCE(w.province_id, 0) <> $2 LIMIT 1",
    )
    .bind(id)
    .bind(province_id)
    .fetch_optional(&mut *tx)
    .await?
    .is_some();
    if has_groups {
        return Err(invalid(
            "city",
            Text::new(
                "Phường / xã đang có tổ dân phố không thể chuyển sang tỉnh / thành phố khác.",
                "A ward with residential groups cannot move to another province.",
            ),
        ));
    }
    sqlx::query(
        "UPDATE wards SET name = $1, district = $2, city = $3, kind = $4, province_id = $5 WHERE id = $6",
    )
    .bind(&name)
    .bind(&district)
    .bind(&city)
    .bind(input.kind.as_str())
    .bind(province_id)
    .bind(id)
    .execute(&mut *tx)
    .await
    .map_err(|e| unique_or(e, "phường / xã"))?;
    record_audit(
        &mut tx,
        Audit {
            actor,
            action: "ward.update",
            entity: "ward",
            entity_id: &id.to_string(),
            ward_id: Some(id),
            before: Some(before),
            after: Some(
                json!({"name": name, "district": district, "city": city, "kind": input.kind}),
            ),
            detail: "",
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

pub async fn create_group(db: &Db, actor: Option<i64>, ward: i64, name: &str) -> AppResult<Place> {
    let name = clean_name("name", name, 100)?;
    let mut tx = db.writer.begin().await?;
    write_first(&mut tx).await?;
    let closed: Option<i64> = sqlx::query_scalar("SELECT closed_from FROM wards WHERE id = $1")
        .bind(ward)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(AppError::NotFound)?;
    if closed.is_some() {
        return Err(closed_ward());
    }
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO residential_groups (ward_id, name) VALUES ($1, $2) RETURNING id",
    )
    .bind(ward)
    .bind(&name)
    .fetch_one(&mut *tx)
    .await
    .map_err(|e| unique_or(e, "tổ dân phố"))?;
    sqlx::query(
        "INSERT INTO group_places (group_id, ward_id, since, applied_at) VALUES ($1, $2, 0, 0)",
    )
    .bind(id)
    .bind(ward)
    .execute(&mut *tx)
    .await?;
    record_audit(
        &mut tx,
        Audit {
            actor,
            action: "group.create",
            entity: "group",
            entity_id: &id.to_string(),
            ward_id: Some(ward),
            before: None,
            after: Some(json!({"name": name, "ward_id": ward})),
            detail: "",
        },
    )
    .await?;
    tx.commit().await?;
    Ok(Place { id, name })
}

pub async fn rename_group(db: &Db, actor: Option<i64>, id: i64, name: &str) -> AppResult<Place> {
    let name = clean_name("name", name, 100)?;
    let mut tx = db.writer.begin().await?;
    write_first(&mut tx).await?;
    let row = sqlx::query("SELECT name, ward_id FROM residential_groups WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(AppError::NotFound)?;
    let (old, ward): (String, i64) = (row.get(0), row.get(1));
    sqlx::query("UPDATE residential_groups SET name = $1 WHERE id = $2")
        .bind(&name)
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(|e| unique_or(e, "tổ dân phố"))?;
    record_audit(
        &mut tx,
        Audit {
            actor,
            action: "group.update",
            entity: "group",
            entity_id: &id.to_string(),
            ward_id: Some(ward),
            before: Some(json!({"name": old})),
            after: Some(json!({"name": name})),
            detail: "",
        },
    )
    .await?;
    tx.commit().await?;
    Ok(Place { id, name })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_favour_length_over_symbols() {
        assert!(password_problem("ngõ năm mươi hai", "totruong").is_none());
        assert!(password_problem("correct horse battery", "canbo").is_none());
        assert!(
            password_problem("Ab1!x", "a").is_some(),
            "short, however complex"
        );
        assert!(password_problem("1234567890", "a").is_some(), "common");
        assert!(
            password_problem("aaaaaaaaaaaa", "a").is_some(),
            "one character"
        );
        assert!(
            password_problem("totruong-2026", "totruong").is_some(),
            "holds the username"
        );
        assert!(password_problem(&"x".repeat(129), "a").is_some());
        let msg = password_problem("ngắn", "a").unwrap();
        assert!(msg.vi.contains("10 ký tự") && msg.en.contains("10 characters"));
    }
}
