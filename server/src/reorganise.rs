//! Reorganising wards, effective from a date: residential groups move to another ward, wards
//! merge and split (the 2025 reform: the eight wards of former Tây Hồ district became Phường Tây
//! Hồ and Phường Phú Thượng). One transaction does it all, for the admin page and the
//! `wardbook ward merge|split` and `wardbook group move` commands alike.
//!
//! What moves and what stays:
//! - a group moves with its group leaders and, from then on, its records: `records.ward_id` is
//!   the ward that answers for the record now (its queue and its indicators, so a merged ward's
//!   "last year" is what its groups did last year, wherever they belonged), while
//!   `records.filed_ward_id` keeps the ward it was filed in;
//! - a closed ward's supervisors and officers move to the ward named for them;
//! - the places over time (`group_places`, `user_places`) let a phone that filed offline before
//!   the change still send what it filed (see `routes::sync`);
//! - sessions stay signed in: the next request already sees the new place.
//!
//! Every change is in the audit trail: one entry per group moved and per ward closed, in the
//! wards concerned, and one for the whole reorganisation.

use std::collections::{BTreeMap, HashMap, HashSet};

use domain::admin::{ReorganisationDone, ReorganisationInput};
use domain::calendar::{Date, LocalTime};
use domain::Text;
use serde_json::json;
use sqlx::Row;

use crate::db::{record_audit, write_first, Audit, Db};
use crate::error::{AppError, AppResult};
use crate::people::invalid;

/// At most this many groups move, and wards close, in one reorganisation.
pub const MAX_MOVES: usize = 5_000;

struct Group {
    name: String,
    ward: i64,
    latest_since: i64,
}

struct Ward {
    name: String,
    province: Option<i64>,
    closed: bool,
}

fn effective_problem() -> AppError {
    invalid(
        "effective",
        Text::new(
            "Ngày hiệu lực viết theo dạng dd/mm/yyyy, không sau hôm nay.",
            "Write the effective date as dd/mm/yyyy, today or earlier.",
        ),
    )
}

async fn ward(conn: &mut sqlx::AnyConnection, id: i64) -> AppResult<Option<Ward>> {
    Ok(
        sqlx::query("SELECT name, province_id, closed_from FROM wards WHERE id = $1")
            .bind(id)
            .fetch_optional(conn)
            .await?
            .map(|r| Ward {
                name: r.get(0),
                province: r.get(1),
                closed: r.get::<Option<i64>, _>(2).is_some(),
            }),
    )
}

fn no_such_ward(field: &str) -> AppError {
    invalid(
        field,
        Text::new(
            "Hãy chọn một phường / xã đang hoạt động.",
            "Choose an existing ward or commune.",
        ),
    )
}

/// Applies `input`; refuses it whole, changing nothing, when any part is wrong.
pub async fn reorganise(
    db: &Db,
    actor: Option<i64>,
    input: &ReorganisationInput,
    now: i64,
) -> AppResult<ReorganisationDone> {
    let mut tx = db.writer.begin().await?;
    write_first(&mut tx).await?;
    let done = reorganise_in(&mut tx, actor, input, now).await?;
    // People moved with their groups: their sessions are read again.
    db.sessions.commit(tx).await?;
    // Records moved between wards: no ward's remembered indicators hold. (Other instances, and
    // a running server when this runs from the command line, count theirs again within four
    // minutes: `indicators::FRESH_MAX_MS` and `STALE_PER_FRESH`.)
    db.indicators.forget_all();
    Ok(done)
}

/// [`reorganise`] inside the caller's transaction, which must hold the write lock
/// ([`write_first`]); entered at `now`.
pub async fn reorganise_in(
    tx: &mut sqlx::AnyConnection,
    actor: Option<i64>,
    input: &ReorganisationInput,
    now: i64,
) -> AppResult<ReorganisationDone> {
    let date = Date::parse_dmy(&input.effective).ok_or_else(effective_problem)?;
    let since = date.start_ms();
    // Before 1970 `since` would not come after a group's first place (0).
    if date > LocalTime::at(now).date || since <= 0 {
        return Err(effective_problem());
    }
    if input.moves.is_empty() && input.close.is_empty() {
        return Err(invalid(
            "moves",
            Text::new(
                "Hãy chọn ít nhất một tổ dân phố để chuyển hoặc một phường / xã để giải thể.",
                "Choose at least one residential group to move or one ward to close.",
            ),
        ));
    }
    if input.moves.len() > MAX_MOVES || input.close.len() > MAX_MOVES {
        return Err(invalid(
            "moves",
            Text::new(
                format!("Mỗi lần tối đa {MAX_MOVES} tổ dân phố và {MAX_MOVES} phường / xã."),
                format!("At most {MAX_MOVES} groups and {MAX_MOVES} wards at a time."),
            ),
        ));
    }
    // Every ward named, read once.
    let mut wards: HashMap<i64, Ward> = HashMap::new();
    let named = input
        .moves
        .iter()
        .map(|m| m.ward_id)
        .chain(input.close.iter().map(|c| c.ward_id))
        .chain(input.close.iter().filter_map(|c| c.staff_to));
    for id in named {
        if let std::collections::hash_map::Entry::Vacant(e) = wards.entry(id) {
            if let Some(w) = ward(&mut *tx, id).await? {
                e.insert(w);
            }
        }
    }

    // The groups that move.
    let mut groups: BTreeMap<i64, Group> = BTreeMap::new();
    for m in &input.moves {
        let row = sqlx::query(
            "SELECT g.name, g.ward_id, (SELECT MAX(since) FROM group_places p WHERE p.group_id = g.id) \
             FROM residential_groups g WHERE g.id = $1",
        )
        .bind(m.group_id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| {
            invalid(
                "moves",
                Text::new(
                    "Có tổ dân phố không tồn tại.",
                    "A residential group does not exist.",
                ),
            )
        })?;
        let g = Group {
            name: row.get(0),
            ward: row.get(1),
            latest_since: row.get::<Option<i64>, _>(2).unwrap_or(0),
        };
        if g.latest_since >= since && g.latest_since > 0 {
            return Err(invalid(
                "effective",
                Text::new(
                    format!(
                        "{} đã được chuyển từ ngày {}; ngày hiệu lực phải sau ngày đó.",
                        g.name,
                        LocalTime::at(g.latest_since).date.dmy()
                    ),
                    format!(
                        "{} moved on {}; the effective date must be later.",
                        g.name,
                        LocalTime::at(g.latest_since).date.dmy()
                    ),
                ),
            ));
        }
        let target = wards
            .get(&m.ward_id)
            .filter(|w| !w.closed)
            .ok_or_else(|| no_such_ward("moves"))?;
        if g.ward == m.ward_id {
            return Err(invalid(
                "moves",
                Text::new(
                    format!("{} đã thuộc {}.", g.name, target.name),
                    format!("{} already belongs to {}.", g.name, target.name),
                ),
            ));
        }
        let from = match wards.get(&g.ward) {
            Some(w) => w.province,
            None => ward(&mut *tx, g.ward).await?.and_then(|w| w.province),
        };
        if from != target.province {
            return Err(invalid(
                "moves",
                Text::new(
                    "Chỉ chuyển tổ dân phố giữa các phường / xã của cùng một tỉnh / thành phố.",
                    "Groups move only between wards of one province.",
                ),
            ));
        }
        if groups.insert(m.group_id, g).is_some() {
            return Err(invalid(
                "moves",
                Text::new(
                    "Mỗi tổ dân phố chỉ được chuyển một lần.",
                    "Each group may move only once.",
                ),
            ));
        }
    }
    let target_of: HashMap<i64, i64> = input
        .moves
        .iter()
        .map(|m| (m.group_id, m.ward_id))
        .collect();

    // The wards that close: left without groups, their staff going where they are told or to
    // the ward that took most of their groups.
    let targets: HashSet<i64> = target_of.values().copied().collect();
    let mut closures: Vec<(i64, i64)> = Vec::new();
    for c in &input.close {
        let w = wards
            .get(&c.ward_id)
            .filter(|w| !w.closed)
            .ok_or_else(|| no_such_ward("close"))?;
        if targets.contains(&c.ward_id) || closures.iter().any(|(id, _)| *id == c.ward_id) {
            return Err(invalid(
                "close",
                Text::new(
                    format!(
                        "{} vừa nhận tổ dân phố hoặc đã có trong danh sách giải thể.",
                        w.name
                    ),
                    format!("{} receives groups or is listed twice.", w.name),
                ),
            ));
        }
        let remaining: Vec<(i64, String)> = sqlx::query_as(
            "SELECT id, name FROM residential_groups WHERE ward_id = $1 ORDER BY id",
        )
        .bind(c.ward_id)
        .fetch_all(&mut *tx)
        .await?;
        let kept: Vec<&str> = remaining
            .iter()
            .filter(|(id, _)| !groups.contains_key(id))
            .map(|(_, name)| name.as_str())
            .collect();
        if !kept.is_empty() {
            let names = kept.join(", ");
            return Err(invalid(
                "close",
                Text::new(
                    format!(
                        "{} vẫn còn tổ dân phố: {names}. Hãy chuyển hết trước khi giải thể.",
                        w.name
                    ),
                    format!(
                        "{} still has groups: {names}. Move them all before closing it.",
                        w.name
                    ),
                ),
            ));
        }
        let staff_to = match c.staff_to {
            Some(to) => to,
            None => {
                let mut taken: BTreeMap<i64, usize> = BTreeMap::new();
                for (id, g) in &groups {
                    if g.ward == c.ward_id {
                        *taken.entry(target_of[id]).or_default() += 1;
                    }
                }
                // Most groups first; on a tie, the lowest id.
                taken
                    .iter()
                    .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
                    .map(|(id, _)| *id)
                    .ok_or_else(|| {
                        invalid(
                            "close",
                            Text::new(
                                format!("Hãy chọn nơi chuyển cán bộ của {}.", w.name),
                                format!("Choose where the staff of {} go.", w.name),
                            ),
                        )
                    })?
            }
        };
        if !wards
            .get(&staff_to)
            .is_some_and(|t| !t.closed && t.province == w.province)
        {
            return Err(no_such_ward("close"));
        }
        closures.push((c.ward_id, staff_to));
    }
    if closures
        .iter()
        .any(|(_, to)| closures.iter().any(|(id, _)| id == to))
    {
        return Err(no_such_ward("close"));
    }

    // Names: a moved group whose name another group of its new ward has (or will have) takes
    // its former ward's name after it, e.g. "Tổ dân phố số 1 (Nhật Tân)", and its id as well
    // should that still clash.
    let mut names: HashMap<i64, String> = HashMap::new();
    let mut renamed: Vec<(i64, String)> = Vec::new();
    for (&id, g) in &groups {
        let to = target_of[&id];
        let staying: Vec<String> = sqlx::query_as::<_, (i64, String)>(
            "SELECT id, name FROM residential_groups WHERE ward_id = $1 ORDER BY id",
        )
        .bind(to)
        .fetch_all(&mut *tx)
        .await?
        .into_iter()
        .filter(|(other, _)| !groups.contains_key(other))
        .map(|(_, name)| name)
        .collect();
        let taken = |name: &str, names: &HashMap<i64, String>| {
            staying.iter().any(|n| n == name)
                || groups.iter().any(|(other, _)| {
                    *other != id
                        && target_of[other] == to
                        && names
                            .get(other)
                            .map_or(groups[other].name.as_str(), String::as_str)
                            == name
                })
        };
        // Groups of one name moving into one ward are all renamed alike.
        let clash = staying.contains(&g.name)
            || groups
                .iter()
                .any(|(other, o)| *other != id && target_of[other] == to && o.name == g.name);
        let name = if clash {
            let former = match wards.get(&g.ward) {
                Some(w) => w.name.clone(),
                None => ward(&mut *tx, g.ward)
                    .await?
                    .map(|w| w.name)
                    .unwrap_or_default(),
            };
            let mut name = format!("{} ({former})", g.name);
            if taken(&name, &names) {
                name = format!("{} ({former}, {id})", g.name);
            }
            renamed.push((id, name.clone()));
            name
        } else {
            g.name.clone()
        };
        names.insert(id, name);
    }

    let mut people_moved = 0u32;
    let mut records_moved = 0u64;
    for (&id, g) in &groups {
        let to = target_of[&id];
        let name = &names[&id];
        sqlx::query("UPDATE residential_groups SET ward_id = $1, name = $2 WHERE id = $3")
            .bind(to)
            .bind(name)
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(|e| match e {
                sqlx::Error::Database(d) if d.is_unique_violation() => invalid(
                    "moves",
                    Text::new(
                        format!("Phường / xã nhận đã có tổ dân phố tên {name}."),
                        format!("The receiving ward already has a group named {name}."),
                    ),
                ),
                e => e.into(),
            })?;
        // A group placed before places were kept has been where it was until now.
        sqlx::query(
            "INSERT INTO group_places (group_id, ward_id, since, applied_at) SELECT $1, $2, 0, 0 \
             WHERE NOT EXISTS (SELECT 1 FROM group_places WHERE group_id = $1)",
        )
        .bind(id)
        .bind(g.ward)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO group_places (group_id, ward_id, since, applied_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(id)
        .bind(to)
        .bind(since)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let leaders: Vec<i64> =
            sqlx::query_scalar("SELECT id FROM users WHERE group_id = $1 ORDER BY id")
                .bind(id)
                .fetch_all(&mut *tx)
                .await?;
        for &leader in &leaders {
            sqlx::query("UPDATE users SET ward_id = $1 WHERE id = $2")
                .bind(to)
                .bind(leader)
                .execute(&mut *tx)
                .await?;
            place_user(&mut *tx, leader, g.ward, to, since, now).await?;
        }
        people_moved += leaders.len() as u32;
        let records = sqlx::query("UPDATE records SET ward_id = $1 WHERE group_id = $2")
            .bind(to)
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        records_moved += records;
        let before = json!({"ward_id": g.ward, "name": g.name});
        let after = json!({
            "ward_id": to, "name": name, "effective": date.dmy(), "group_leaders": leaders,
            "records": records,
        });
        for ward_id in [to, g.ward] {
            record_audit(
                &mut *tx,
                Audit {
                    actor,
                    action: "group.move",
                    entity: "group",
                    entity_id: &id.to_string(),
                    ward_id: Some(ward_id),
                    before: Some(before.clone()),
                    after: Some(after.clone()),
                    detail: "",
                },
            )
            .await?;
        }
    }

    for &(closing, staff_to) in &closures {
        sqlx::query("UPDATE wards SET closed_from = $1 WHERE id = $2")
            .bind(since)
            .bind(closing)
            .execute(&mut *tx)
            .await?;
        let staff: Vec<i64> = sqlx::query_scalar(
            "SELECT id FROM users WHERE ward_id = $1 AND role IN ('supervisor', 'officer') ORDER BY id",
        )
        .bind(closing)
        .fetch_all(&mut *tx)
        .await?;
        for &person in &staff {
            sqlx::query("UPDATE users SET ward_id = $1 WHERE id = $2")
                .bind(staff_to)
                .bind(person)
                .execute(&mut *tx)
                .await?;
            place_user(&mut *tx, person, closing, staff_to, since, now).await?;
        }
        people_moved += staff.len() as u32;
        for ward_id in [closing, staff_to] {
            record_audit(
                &mut *tx,
                Audit {
                    actor,
                    action: "ward.close",
                    entity: "ward",
                    entity_id: &closing.to_string(),
                    ward_id: Some(ward_id),
                    before: Some(json!({"closed_from": null})),
                    after: Some(json!({
                        "closed_from": since, "effective": date.dmy(), "staff_to": staff_to,
                        "staff": staff,
                    })),
                    detail: "",
                },
            )
            .await?;
        }
    }

    // An officer answers only for groups of their own ward.
    let outside = "FROM officer_groups WHERE EXISTS (SELECT 1 FROM users u, residential_groups g \
         WHERE u.id = officer_groups.user_id AND g.id = officer_groups.group_id \
           AND (u.ward_id IS NULL OR u.ward_id <> g.ward_id))";
    let responsibilities_ended: Vec<(i64, i64)> =
        sqlx::query_as(&format!("SELECT user_id, group_id {outside}"))
            .fetch_all(&mut *tx)
            .await?;
    sqlx::query(&format!("DELETE {outside}"))
        .execute(&mut *tx)
        .await?;

    let done = ReorganisationDone {
        effective: since,
        groups_moved: groups.len() as u32,
        renamed,
        people_moved,
        records_moved,
        wards_closed: closures.iter().map(|(id, _)| *id).collect(),
    };
    record_audit(
        &mut *tx,
        Audit {
            actor,
            action: "ward.reorganise",
            entity: "reorganisation",
            entity_id: &date.dmy(),
            ward_id: None,
            before: None,
            after: Some(json!({
                "input": input, "done": done,
                "officer_groups_ended": responsibilities_ended,
            })),
            detail: "",
        },
    )
    .await?;
    Ok(done)
}

/// `user` is in `ward` from `since`, as a reorganisation entered at `applied_at` says; `from` is
/// where they were until then, kept as their first place when this is their first move.
async fn place_user(
    conn: &mut sqlx::AnyConnection,
    user: i64,
    from: i64,
    ward: i64,
    since: i64,
    applied_at: i64,
) -> AppResult<()> {
    let latest: Option<i64> =
        sqlx::query_scalar("SELECT MAX(since) FROM user_places WHERE user_id = $1")
            .bind(user)
            .fetch_one(&mut *conn)
            .await?;
    match latest {
        None => {
            sqlx::query(
                "INSERT INTO user_places (user_id, ward_id, since, applied_at) VALUES ($1, $2, 0, 0)",
            )
            .bind(user)
            .bind(from)
            .execute(&mut *conn)
            .await?;
        }
        Some(latest) if latest >= since => {
            return Err(invalid(
                "effective",
                Text::new(
                    format!(
                        "Có người đã được chuyển từ ngày {}; ngày hiệu lực phải sau ngày đó.",
                        LocalTime::at(latest).date.dmy()
                    ),
                    format!(
                        "Someone moved on {}; the effective date must be later.",
                        LocalTime::at(latest).date.dmy()
                    ),
                ),
            ))
        }
        Some(_) => {}
    }
    sqlx::query(
        "INSERT INTO user_places (user_id, ward_id, since, applied_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(user)
    .bind(ward)
    .bind(since)
    .bind(applied_at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}
