//! Reorganising wards from a date: merging, splitting and moving residential groups, as the 2025
//! reform did in Tây Hồ. Records keep the ward they were filed in and follow their group to the
//! ward that answers for it; people move with their group; a phone that filed offline before
//! the change still sends what it filed.

use domain::admin::{ReorganisationDone, WardView};
use domain::calendar::{LocalTime, DAY_MS};
use domain::sync::PushOutcome;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::{expect_error, spawn_app, valid_report, TestApp};

/// `dd/mm/yyyy` of `days` ago, in ward time.
fn days_ago(days: i64) -> String {
    LocalTime::at(server::now_ms() - days * DAY_MS).date.dmy()
}

/// RFC 3339 of `days` ago, as a phone writes `created_at`.
fn rfc3339_days_ago(days: i64) -> String {
    let t = LocalTime::at(server::now_ms() - days * DAY_MS);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:00+07:00",
        t.date.year, t.date.month, t.date.day, t.hour, t.minute
    )
}

/// Makes `username`'s account `days` older: nothing is accepted as filed before it existed.
async fn backdate_account(app: &TestApp, username: &str, days: i64) {
    sqlx::query("UPDATE users SET created_at = created_at - $1 WHERE username = $2")
        .bind(days * DAY_MS)
        .bind(username)
        .execute(&app.state.db.pool)
        .await
        .unwrap();
}

async fn new_ward(app: &TestApp, admin: &str, name: &str) -> WardView {
    let resp = app
        .send(
            Method::POST,
            Some(admin),
            "/api/admin/wards",
            Some(&json!({"name": name, "city": "Hà Nội"})),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    resp.json().await.unwrap()
}

async fn reorganise(app: &TestApp, admin: &str, body: &Value) -> reqwest::Response {
    app.send(
        Method::POST,
        Some(admin),
        "/api/admin/reorganisations",
        Some(body),
    )
    .await
}

async fn reorganise_ok(app: &TestApp, admin: &str, body: &Value) -> ReorganisationDone {
    let resp = reorganise(app, admin, body).await;
    let status = resp.status();
    let text = resp.text().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{text}");
    serde_json::from_str(&text).unwrap()
}

#[tokio::test]
async fn a_wards_indicators_counted_before_a_group_moves_in_are_not_answered_after_it() {
    let app = spawn_app().await;
    let admin = app.login("admin").await;
    let nhat_tan = app.ward_named(&admin, "Nhật Tân").await;
    let quang_an = app.ward_named(&admin, "Quảng An").await;
    let leader = app.login("totruong").await;
    assert_eq!(
        app.push_ok(&leader, vec![valid_report(nhat_tan.groups[0].id)])
            .await,
        [PushOutcome::Accepted]
    );
    let db = &app.state.db;
    let now = server::now_ms();
    let today = LocalTime::at(now).date;
    let month = (today.year, today.month);
    let reports = |w: &domain::indicators::WardIndicators| -> u32 {
        w.reports.iter().map(|s| s.year_to_date).sum()
    };
    let before = server::indicators::ward(db, quang_an.id, month, now, false)
        .await
        .unwrap();
    reorganise_ok(
        &app,
        &admin,
        &json!({
            "effective": days_ago(1),
            "moves": [{"group_id": nhat_tan.groups[0].id, "ward_id": quang_an.id}],
        }),
    )
    .await;
    // Within the fifteen seconds the figures would be answered as counted; the move forgot them.
    let after = server::indicators::ward(db, quang_an.id, month, now + 1, false)
        .await
        .unwrap();
    assert_eq!(reports(&after), reports(&before) + 1);
    assert_eq!(after.counted_at, now + 1);
}

#[tokio::test]
async fn merging_wards_moves_their_groups_people_and_records_and_closes_them() {
    let app = spawn_app().await;
    let admin = app.login("admin").await;
    let nhat_tan = app.ward_named(&admin, "Nhật Tân").await;
    let quang_an = app.ward_named(&admin, "Quảng An").await;
    let leader = app.login("totruong").await;
    let filed = valid_report(nhat_tan.groups[0].id);
    let filed_id = filed.id;
    assert_eq!(
        app.push_ok(&leader, vec![filed]).await,
        [PushOutcome::Accepted]
    );
    let tay_ho = new_ward(&app, &admin, "Tây Hồ").await;

    let moves: Vec<Value> = nhat_tan
        .groups
        .iter()
        .chain(&quang_an.groups)
        .map(|g| json!({"group_id": g.id, "ward_id": tay_ho.id}))
        .collect();
    let done = reorganise_ok(
        &app,
        &admin,
        &json!({
            "effective": days_ago(1),
            "moves": moves,
            "close": [{"ward_id": nhat_tan.id}, {"ward_id": quang_an.id}],
        }),
    )
    .await;
    assert_eq!(done.groups_moved, 8);
    assert_eq!(done.records_moved, 1);
    assert_eq!(done.wards_closed, [nhat_tan.id, quang_an.id]);
    // Both wards had "Tổ dân phố số 1": each takes its former ward's name after it.
    assert_eq!(done.renamed.len(), 8, "{:?}", done.renamed);
    assert!(done
        .renamed
        .contains(&(nhat_tan.groups[0].id, "Tổ dân phố số 1 (Nhật Tân)".into())));

    let wards = app.admin_wards(&admin).await;
    let find = |id| wards.iter().find(|w| w.id == id).unwrap();
    assert!(find(nhat_tan.id).closed_from.is_some());
    assert!(find(nhat_tan.id).groups.is_empty());
    assert_eq!(find(tay_ho.id).groups.len(), 8);

    // The group leader moved with the group; the supervisor with the ward's staff.
    let me = app.me(&leader).await;
    assert_eq!(me.ward.as_ref().map(|w| w.id), Some(tay_ho.id));
    assert_eq!(
        me.group.map(|g| g.name).as_deref(),
        Some("Tổ dân phố số 1 (Nhật Tân)")
    );
    let supervisor = app.login("truongcong").await;
    assert_eq!(
        app.me(&supervisor).await.ward.map(|w| w.id),
        Some(tay_ho.id)
    );
    // The record answers to Tây Hồ now and remembers it was filed in Nhật Tân.
    let detail = app.record(&supervisor, filed_id).await;
    assert_eq!(detail.ward.id, tay_ho.id);
    assert_eq!(
        detail.filed_ward.map(|w| w.name).as_deref(),
        Some("Nhật Tân")
    );
    // The group leader goes on filing, now in Tây Hồ.
    let mut next = valid_report(nhat_tan.groups[0].id);
    next.created_at = rfc3339_days_ago(0);
    let next_id = next.id;
    assert_eq!(
        app.push_ok(&leader, vec![next]).await,
        [PushOutcome::Accepted]
    );
    let detail = app.record(&supervisor, next_id).await;
    assert_eq!((detail.ward.id, detail.filed_ward), (tay_ho.id, None));

    // Closed wards take no one and no group.
    let resp = app
        .send(
            Method::POST,
            Some(&admin),
            &format!("/api/admin/wards/{}/groups", nhat_tan.id),
            Some(&json!({"name": "Tổ mới"})),
        )
        .await;
    expect_error(resp, StatusCode::UNPROCESSABLE_ENTITY, "validation").await;

    // Every change is in the trail, in the wards concerned.
    let moved = app.audit(&admin, "action=group.move").await;
    assert_eq!(
        moved.len(),
        16,
        "one entry in the old and one in the new ward per group"
    );
    assert_eq!(app.audit(&admin, "action=ward.close").await.len(), 4);
    let whole = app.audit(&admin, "action=ward.reorganise").await;
    assert_eq!(whole.len(), 1);
    assert_eq!(whole[0].actor.as_deref(), Some("admin"));
    app.assert_tallies_match().await;
}

#[tokio::test]
async fn a_record_filed_offline_before_a_split_is_accepted_and_keeps_the_ward_it_was_filed_in() {
    let app = spawn_app().await;
    let admin = app.login("admin").await;
    app.add_officer("canboxuanla", "Xuân La").await;
    backdate_account(&app, "canboxuanla", 30).await;
    let officer = app.login("canboxuanla").await;
    let xuan_la = app.ward_named(&admin, "Xuân La").await;
    let tay_ho = new_ward(&app, &admin, "Tây Hồ").await;
    let phu_thuong = new_ward(&app, &admin, "Phú Thượng").await;
    // The officer filed a report offline three days ago.
    let mut before = valid_report(xuan_la.groups[0].id);
    before.created_at = rfc3339_days_ago(3);

    // Xuân La splits from yesterday: group 1 to Tây Hồ, the rest to Phú Thượng (and its staff
    // with them, where most of its groups went).
    let mut moves = vec![json!({"group_id": xuan_la.groups[0].id, "ward_id": tay_ho.id})];
    moves.extend(
        xuan_la.groups[1..]
            .iter()
            .map(|g| json!({"group_id": g.id, "ward_id": phu_thuong.id})),
    );
    let done = reorganise_ok(
        &app,
        &admin,
        &json!({"effective": days_ago(1), "moves": moves, "close": [{"ward_id": xuan_la.id}]}),
    )
    .await;
    assert_eq!(done.renamed, []);
    assert_eq!(
        app.me(&officer).await.ward.map(|w| w.id),
        Some(phu_thuong.id)
    );
    // And files another once the split is known (its clock a little ahead).
    let mut after = valid_report(xuan_la.groups[0].id);
    after.created_at = rfc3339_days_ago(-1);

    // What was filed in Xuân La before the split still arrives; what the officer filed for a
    // group of another ward after it does not.
    let (before_id, after_id) = (before.id, after.id);
    let resend = before.clone();
    let outcomes = app.push_ok(&officer, vec![before, after]).await;
    assert_eq!(outcomes[0], PushOutcome::Accepted);
    assert!(
        matches!(&outcomes[1], PushOutcome::Rejected { .. }),
        "{:?}",
        outcomes[1]
    );
    assert_eq!(app.stored_count(after_id).await, 0);
    // Tây Hồ answers for it now; it was filed in Xuân La. Tây Hồ has no supervisor yet: an
    // officer placed there reads it.
    app.add_officer("canbotayho", "Tây Hồ").await;
    let tay_ho_officer = app.login("canbotayho").await;
    let detail = app.record(&tay_ho_officer, before_id).await;
    assert_eq!(detail.ward.id, tay_ho.id);
    assert_eq!(
        detail.filed_ward.map(|w| w.name).as_deref(),
        Some("Xuân La")
    );
    // Sent again, it is the same record.
    assert_eq!(
        app.push_ok(&officer, vec![resend]).await,
        [PushOutcome::Duplicate]
    );
    assert_eq!(app.stored_count(before_id).await, 1);

    // Filed before the split in Xuân La, but by someone who was not there then: an officer made
    // after the split in Phú Thượng cannot reach Tây Hồ's group by dating a record back.
    app.add_officer("canbomoi", "Phú Thượng").await;
    let newcomer = app.login("canbomoi").await;
    let mut forged = valid_report(xuan_la.groups[0].id);
    forged.created_at = rfc3339_days_ago(3);
    let outcomes = app.push_ok(&newcomer, vec![forged]).await;
    assert!(
        matches!(&outcomes[0], PushOutcome::Rejected { .. }),
        "{outcomes:?}"
    );

    // Old places are honoured for a while after the reorganisation was entered, not for ever.
    sqlx::query("UPDATE user_places SET applied_at = applied_at - $1")
        .bind(31 * DAY_MS)
        .execute(&app.state.db.pool)
        .await
        .unwrap();
    sqlx::query("UPDATE group_places SET applied_at = applied_at - $1 WHERE applied_at > 0")
        .bind(31 * DAY_MS)
        .execute(&app.state.db.pool)
        .await
        .unwrap();
    let mut late = valid_report(xuan_la.groups[0].id);
    late.created_at = rfc3339_days_ago(3);
    let outcomes = app.push_ok(&officer, vec![late]).await;
    assert!(
        matches!(&outcomes[0], PushOutcome::Rejected { .. }),
        "{outcomes:?}"
    );
}

#[tokio::test]
async fn a_reorganisation_with_any_wrong_part_changes_nothing() {
    let app = spawn_app().await;
    let admin = app.login("admin").await;
    let nhat_tan = app.ward_named(&admin, "Nhật Tân").await;
    let xuan_la = app.ward_named(&admin, "Xuân La").await;
    let other_city = app
        .send(
            Method::POST,
            Some(&admin),
            "/api/admin/wards",
            Some(&json!({"name": "Phường Một", "city": "Huế"})),
        )
        .await
        .json::<WardView>()
        .await
        .unwrap();
    let g = nhat_tan.groups[0].id;
    let tomorrow = LocalTime::at(server::now_ms() + DAY_MS).date.dmy();
    let cases = [
        // In the future.
        json!({"effective": tomorrow, "moves": [{"group_id": g, "ward_id": xuan_la.id}]}),
        // Not a date.
        json!({"effective": "2025-07-01", "moves": [{"group_id": g, "ward_id": xuan_la.id}]}),
        // Nothing to do.
        json!({"effective": days_ago(1)}),
        // A group that does not exist.
        json!({"effective": days_ago(1), "moves": [{"group_id": 999_999, "ward_id": xuan_la.id}]}),
        // To the ward it is in.
        json!({"effective": days_ago(1), "moves": [{"group_id": g, "ward_id": nhat_tan.id}]}),
        // To another province.
        json!({"effective": days_ago(1), "moves": [{"group_id": g, "ward_id": other_city.id}]}),
        // Twice.
        json!({"effective": days_ago(1), "moves": [
            {"group_id": g, "ward_id": xuan_la.id}, {"group_id": g, "ward_id": xuan_la.id}]}),
        // Closing a ward that keeps groups (only one of Nhật Tân's four moves).
        json!({"effective": days_ago(1), "moves": [{"group_id": g, "ward_id": xuan_la.id}],
               "close": [{"ward_id": nhat_tan.id}]}),
        // Before the first places (1970).
        json!({"effective": "01/01/1960", "moves": [{"group_id": g, "ward_id": xuan_la.id}]}),
        // Closing a ward that receives groups.
        json!({"effective": days_ago(1), "moves": [{"group_id": g, "ward_id": xuan_la.id}],
               "close": [{"ward_id": xuan_la.id}]}),
    ];
    for body in &cases {
        let resp = reorganise(&app, &admin, body).await;
        let err = expect_error(resp, StatusCode::UNPROCESSABLE_ENTITY, "validation").await;
        assert!(!err.message.is_empty(), "{body}");
    }
    // A ward with groups cannot change province by a new city name either.
    let resp = app
        .send(
            Method::PUT,
            Some(&admin),
            &format!("/api/admin/wards/{}", nhat_tan.id),
            Some(&json!({"name": "Nhật Tân", "district": "Tây Hồ", "city": "Huế"})),
        )
        .await;
    expect_error(resp, StatusCode::UNPROCESSABLE_ENTITY, "validation").await;
    assert_eq!(app.ward_named(&admin, "Nhật Tân").await, nhat_tan);
    assert_eq!(app.ward_named(&admin, "Xuân La").await, xuan_la);
    assert!(app.audit(&admin, "action=group.move").await.is_empty());

    // A group that moved cannot move again with an earlier or the same date.
    reorganise_ok(
        &app,
        &admin,
        &json!({"effective": days_ago(2), "moves": [{"group_id": g, "ward_id": xuan_la.id}]}),
    )
    .await;
    let resp = reorganise(
        &app,
        &admin,
        &json!({"effective": days_ago(3), "moves": [{"group_id": g, "ward_id": nhat_tan.id}]}),
    )
    .await;
    expect_error(resp, StatusCode::UNPROCESSABLE_ENTITY, "validation").await;
    reorganise_ok(
        &app,
        &admin,
        &json!({"effective": days_ago(1), "moves": [{"group_id": g, "ward_id": nhat_tan.id}]}),
    )
    .await;
}

#[tokio::test]
async fn wards_merge_and_split_from_the_command_line_as_from_the_admin_page() {
    let app = spawn_app().await;
    let admin = app.login("admin").await;
    let db = server::cli::open(&app.database_url).await.unwrap();
    let run = |command: server::cli::WardCommand| {
        let db = db.clone();
        async move {
            let work = server::error::in_language(
                domain::Lang::En,
                server::cli::ward_command(&db, &command, domain::Lang::En),
            );
            server::db::from_source(server::cli::cli_source(), work).await
        }
    };
    let tay_ho = new_ward(&app, &admin, "Tây Hồ").await;
    let phu_thuong = new_ward(&app, &admin, "Phú Thượng").await;
    let nhat_tan = app.ward_named(&admin, "Nhật Tân").await;
    let quang_an = app.ward_named(&admin, "Quảng An").await;
    let xuan_la = app.ward_named(&admin, "Xuân La").await;

    let out = run(server::cli::WardCommand::Merge {
        wards: vec![nhat_tan.id, quang_an.id],
        into: tay_ho.id,
        effective: days_ago(2),
    })
    .await
    .unwrap();
    assert!(out.contains("8 groups moved"), "{out}");
    // Splitting needs every group placed: one left behind is refused, nothing changes.
    let half: Vec<(i64, i64)> = xuan_la.groups[..2]
        .iter()
        .map(|g| (g.id, tay_ho.id))
        .collect();
    let refused = run(server::cli::WardCommand::Split {
        ward: xuan_la.id,
        moves: half.clone(),
        staff_to: None,
        effective: days_ago(1),
    })
    .await
    .unwrap_err();
    assert!(refused.contains("still has groups"), "{refused}");
    assert_eq!(app.ward_named(&admin, "Xuân La").await, xuan_la);
    let mut moves = half;
    moves.extend(xuan_la.groups[2..].iter().map(|g| (g.id, phu_thuong.id)));
    run(server::cli::WardCommand::Split {
        ward: xuan_la.id,
        moves,
        staff_to: Some(phu_thuong.id),
        effective: days_ago(1),
    })
    .await
    .unwrap();
    let wards = app.admin_wards(&admin).await;
    let find = |id| wards.iter().find(|w: &&WardView| w.id == id).unwrap();
    assert_eq!(find(tay_ho.id).groups.len(), 10);
    assert_eq!(find(phu_thuong.id).groups.len(), 2);
    assert!(find(xuan_la.id).closed_from.is_some());
    // Xuân La's supervisor went where they were told.
    let supervisor = app.login("truongxuanla").await;
    assert_eq!(
        app.me(&supervisor).await.ward.map(|w| w.id),
        Some(phu_thuong.id)
    );
    // The command line's changes are the command line's in the trail.
    let whole = app.audit(&admin, "action=ward.reorganise").await;
    assert_eq!(whole.len(), 2);
    assert!(whole.iter().all(|e| e.actor.is_none()));
}

#[tokio::test]
async fn an_officer_whose_ward_stays_still_sends_what_they_filed_for_a_group_before_it_moved() {
    let app = spawn_app().await;
    let admin = app.login("admin").await;
    backdate_account(&app, "canbo", 30).await;
    let officer = app.login("canbo").await;
    let nhat_tan = app.ward_named(&admin, "Nhật Tân").await;
    let xuan_la = app.ward_named(&admin, "Xuân La").await;
    let group = nhat_tan.groups[3].id;
    let mut before = valid_report(group);
    before.created_at = rfc3339_days_ago(2);
    reorganise_ok(
        &app,
        &admin,
        &json!({"effective": days_ago(1), "moves": [{"group_id": group, "ward_id": xuan_la.id}]}),
    )
    .await;
    let mut after = valid_report(group);
    after.created_at = rfc3339_days_ago(-1);
    let outcomes = app.push_ok(&officer, vec![before.clone(), after]).await;
    assert_eq!(outcomes[0], PushOutcome::Accepted);
    assert!(
        matches!(&outcomes[1], PushOutcome::Rejected { .. }),
        "{outcomes:?}"
    );
    // Xuân La answers for it; Nhật Tân's officer, who filed it, reads it no more.
    let xl = app.login("truongxuanla").await;
    let detail = app.record(&xl, before.id).await;
    assert_eq!(detail.ward.id, xuan_la.id);
    assert_eq!(detail.filed_ward.map(|w| w.id), Some(nhat_tan.id));
}
