//! The ward's indicators: the facets each record is counted by, and the dashboard's numbers,
//! checked against the demo's history counted here, apart from the server's SQL.

use domain::sync::PushOutcome;
use serde_json::json;

use crate::helpers::{spawn_app, valid_report};

async fn facets_of(app: &crate::helpers::TestApp, id: uuid::Uuid) -> (String, i64, Option<String>) {
    sqlx::query_as("SELECT category, serious, subject FROM records WHERE id = $1")
        .bind(id.to_string())
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_records_facets_are_stored_with_it_and_filled_in_for_older_records_at_start() {
    let app = spawn_app().await;
    // The account is older than the record (nothing counts as filed before its account).
    sqlx::query("UPDATE users SET created_at = 0 WHERE username = 'totruong'")
        .execute(&app.state.db.pool)
        .await
        .unwrap();
    let leader = app.login("totruong").await;
    let group = app.me(&leader).await.group.unwrap().id;
    let mut report = valid_report(group);
    report
        .data
        .insert("category".into(), json!("traffic_accident"));
    report.data.insert("serious".into(), json!(true));
    let id = report.id;
    assert_eq!(
        app.push_ok(&leader, vec![report]).await,
        [PushOutcome::Accepted]
    );
    assert_eq!(
        facets_of(&app, id).await,
        ("traffic_accident".into(), 1, None)
    );

    let filed_at = |app: &crate::helpers::TestApp| {
        let pool = app.state.db.pool.clone();
        async move {
            sqlx::query_scalar::<_, Option<i64>>("SELECT filed_at FROM records WHERE id = $1")
                .bind(id.to_string())
                .fetch_one(&pool)
                .await
                .unwrap()
        }
    };
    // When the phone says it was filed (valid_report: 25/11/2026 21:35 in the ward).
    let filed = domain::calendar::parse_rfc3339_ms("2026-11-25T21:35:00+07:00");
    assert_eq!(filed_at(&app).await, filed);
    // A record stored before the columns existed gets them at the next start.
    sqlx::query("UPDATE records SET category = NULL, serious = 0, filed_at = NULL WHERE id = $1")
        .bind(id.to_string())
        .execute(&app.state.db.pool)
        .await
        .unwrap();
    let app = app.restart().await;
    assert_eq!(
        facets_of(&app, id).await,
        ("traffic_accident".into(), 1, None)
    );
    assert_eq!(filed_at(&app).await, filed);
    app.assert_tallies_match().await;
}

mod against_the_demo_history {
    use std::collections::BTreeSet;

    use domain::calendar::{Date, LocalTime};
    use domain::indicators::{WardIndicators, ZeroKind};
    use domain::record::RecordStatus;
    use domain::review::ReviewAction;
    use reqwest::StatusCode;
    use server::demo::history::{self, Generated, History};

    use crate::helpers::{spawn_app_with_config, TestApp};

    /// Tây Hồ and Phú Thượng's indicators, from the generated history, counted here record by
    /// record: no SQL, no shared code beyond the calendar.
    struct Expect<'a> {
        history: &'a History,
        /// An index of `history::NEW_WARDS`.
        ward: usize,
    }

    impl Expect<'_> {
        fn records(&self) -> impl Iterator<Item = &Generated> {
            self.history
                .records
                .iter()
                .filter(move |r| r.new_ward() == self.ward)
        }

        fn reports_in(&self, category: &str, from: i64, to: i64) -> u32 {
            self.records()
                .filter(|r| r.form == "neighborhood_report" && r.data["category"] == category)
                .filter(|r| (from..to).contains(&r.received_at))
                .count() as u32
        }

        fn issues_in(&self, kind: &str, from: i64, to: i64) -> u32 {
            self.records()
                .filter(|r| r.form == "field_visit" && r.data["issues_found"] == true)
                .filter(|r| {
                    r.data["issue_kinds"]
                        .as_array()
                        .is_some_and(|k| k.iter().any(|v| v == kind))
                })
                .filter(|r| (from..to).contains(&r.received_at))
                .count() as u32
        }
    }

    async fn indicators(app: &TestApp, token: &str, query: &str) -> WardIndicators {
        let resp = app.get(token, &format!("/api/indicators?{query}")).await;
        let status = resp.status();
        let text = resp.text().await.unwrap();
        assert_eq!(status, StatusCode::OK, "{text}");
        serde_json::from_str(&text).unwrap()
    }

    fn check(got: &WardIndicators, expect: &Expect<'_>) {
        let (y, m) = (got.year, got.month);
        for s in &got.reports {
            for (i, n) in s.months.iter().enumerate() {
                let from = Date::new(y, i as u32 + 1, 1).unwrap().start_ms();
                let to = Date::new(y, i as u32 + 1, 1)
                    .unwrap()
                    .next_month()
                    .start_ms();
                assert_eq!(
                    *n,
                    expect.reports_in(&s.category, from, to.min(got.month_to)),
                    "{} {}/{y}",
                    s.category,
                    i + 1
                );
            }
            assert_eq!(
                s.last_year_to_date,
                expect.reports_in(&s.category, got.last_year_from, got.last_year_to),
                "{} last year",
                s.category
            );
        }
        for s in &got.visit_issues {
            assert_eq!(
                s.year_to_date,
                expect.issues_in(&s.category, got.year_from, got.month_to),
                "{}",
                s.category
            );
            assert_eq!(
                s.last_year_to_date,
                expect.issues_in(&s.category, got.last_year_from, got.last_year_to),
                "{} last year",
                s.category
            );
        }
        // The zero-indicators, and the records behind a "no".
        for z in &got.zero {
            let breaking: Vec<(uuid::Uuid, i64)> = expect
                .records()
                .filter(|r| r.form == "neighborhood_report")
                .filter(|r| (got.year_from..got.month_to).contains(&r.received_at))
                .filter(|r| {
                    let category = r.data["category"].as_str().unwrap();
                    let serious = r.data.get("serious") == Some(&serde_json::json!(true));
                    match z.kind {
                        ZeroKind::SeriousCrime => {
                            serious && ["theft", "disturbance", "drugs"].contains(&category)
                        }
                        ZeroKind::SeriousFire => serious && category == "fire_explosion",
                        ZeroKind::SeriousTrafficAccident => {
                            serious && category == "traffic_accident"
                        }
                        ZeroKind::IllegalRacing => category == "illegal_racing",
                    }
                })
                .map(|r| (r.id, r.received_at))
                .collect();
            let in_month = breaking.iter().any(|r| r.1 >= got.month_from);
            let breaking: BTreeSet<uuid::Uuid> = breaking.into_iter().map(|r| r.0).collect();
            assert_eq!(z.year_clear, breaking.is_empty(), "{:?}", z.kind);
            assert_eq!(z.month_clear, !in_month, "{:?} in the month", z.kind);
            if breaking.len() <= 50 {
                assert_eq!(
                    z.records.iter().copied().collect::<BTreeSet<_>>(),
                    breaking,
                    "{:?}",
                    z.kind
                );
            }
        }
        // People under management visited in the month, of those visited in the year before.
        let visits: Vec<(&str, i64)> = expect
            .records()
            .filter(|r| r.form == "managed_person_visit")
            .filter(|r| (got.month_to - 365 * 86_400_000..got.month_to).contains(&r.received_at))
            .map(|r| (r.data["person_id"].as_str().unwrap(), r.received_at))
            .collect();
        let persons: BTreeSet<&str> = visits.iter().map(|v| v.0).collect();
        let visited: BTreeSet<&str> = visits
            .iter()
            .filter(|v| v.1 >= got.month_from)
            .map(|v| v.0)
            .collect();
        assert_eq!(got.managed.persons as usize, persons.len());
        assert_eq!(got.managed.visited as usize, visited.len());
        // Reports of the month: how fast they were taken up.
        let mut handled: Vec<u32> = expect
            .records()
            .filter(|r| r.form == "neighborhood_report")
            .filter(|r| (got.month_from..got.month_to).contains(&r.received_at))
            .filter_map(|r| {
                r.reviews
                    .iter()
                    .find(|v| v.action == ReviewAction::StartHandling)
                    .map(|v| ((v.at - r.received_at + 30_000) / 60_000) as u32)
            })
            .collect();
        handled.sort_unstable();
        assert_eq!(got.speed.handled_slowest, handled.last().copied());
        if handled.len() % 2 == 1 {
            assert_eq!(got.speed.handled_median, Some(handled[handled.len() / 2]));
        }
        let month_reports = || {
            expect
                .records()
                .filter(|r| r.form == "neighborhood_report")
                .filter(|r| (got.month_from..got.month_to).contains(&r.received_at))
        };
        let mut received: Vec<u32> = month_reports()
            .map(|r| ((r.received_at - r.filed_at + 30_000) / 60_000) as u32)
            .collect();
        received.sort_unstable();
        assert_eq!(got.speed.received_slowest, received.last().copied());
        if received.len() % 2 == 1 {
            assert_eq!(
                got.speed.received_median,
                Some(received[received.len() / 2])
            );
        }
        let mut resolved: Vec<u32> = month_reports()
            .filter_map(|r| {
                r.reviews
                    .iter()
                    .find(|v| v.action == ReviewAction::Resolve)
                    .map(|v| ((v.at - r.received_at + 30_000) / 60_000) as u32)
            })
            .collect();
        resolved.sort_unstable();
        assert_eq!(got.speed.resolved_slowest, resolved.last().copied());
        assert_eq!(got.speed.reports as usize, month_reports().count());
        // Police records per officer add up to the month's.
        let police = [
            "field_visit",
            "residence_check",
            "fire_safety_check",
            "managed_person_visit",
        ];
        let month_police = expect
            .records()
            .filter(|r| police.contains(&r.form))
            .filter(|r| (got.month_from..got.month_to).contains(&r.received_at))
            .count() as u32;
        assert_eq!(
            got.officers.iter().map(|o| o.total).sum::<u32>(),
            month_police
        );
        // Groups' year to date add up to the reports'.
        assert_eq!(
            got.groups.iter().map(|g| g.total).sum::<u32>(),
            got.reports.iter().map(|s| s.year_to_date).sum::<u32>()
        );
        let waiting = expect
            .records()
            .filter(|r| r.status == RecordStatus::Received)
            .count() as u32;
        assert_eq!(got.waiting.received, waiting);
        assert!(m >= 1 && y >= 2025);
    }

    #[tokio::test]
    async fn a_wards_indicators_are_what_its_records_say_across_the_merger_and_the_year_boundary() {
        let app = spawn_app_with_config(|c| c.demo_history = true).await;
        let today = LocalTime::at(server::now_ms()).date;
        let history = history::generate(today);
        let tay_ho = app.login("truongcong").await;
        let phu_thuong = app.login("truongxuanla").await;
        let expect = |ward| Expect {
            history: &history,
            ward,
        };
        // This month, as of today; against the same days of last year.
        check(&indicators(&app, &tay_ho, "").await, &expect(0));
        // January: across the year boundary, last year's January before the merger, counted
        // for the groups that make Tây Hồ now.
        let january = indicators(&app, &tay_ho, &format!("year={}&month=1", today.year)).await;
        check(&january, &expect(0));
        let now: u32 = january.reports.iter().map(|s| s.year_to_date).sum();
        let before: u32 = january.reports.iter().map(|s| s.last_year_to_date).sum();
        assert!(
            now > 20 && before > 20,
            "the comparison has something to compare: {now} and {before}"
        );
        // Every count opens the review queue on the same records.
        for (form, series) in [
            ("neighborhood_report", &january.reports),
            ("field_visit", &january.visit_issues),
        ] {
            for s in series {
                let query = format!(
                    "form={form}&category={}&from={}&to={}",
                    s.category, january.year_from, january.month_to
                );
                let counts: Vec<domain::api::StateCount> = app
                    .get(&tay_ho, &format!("/api/records/counts?{query}"))
                    .await
                    .json()
                    .await
                    .unwrap();
                let total: i64 = counts.iter().map(|c| c.count).sum();
                assert_eq!(total, i64::from(s.year_to_date), "{query}");
            }
        }
        check(
            &indicators(&app, &phu_thuong, &format!("year={}&month=3", today.year)).await,
            &expect(1),
        );
        // Provincial staff see each ward side by side as its own indicators say.
        let province = app.login("congantinh").await;
        for query in ["", "year=2025&month=7", "year=2025&month=2"] {
            let side: domain::indicators::ProvinceIndicators = app
                .get(&province, &format!("/api/indicators/province?{query}"))
                .await
                .json()
                .await
                .unwrap();
            assert_eq!(side.province.name, "Hà Nội");
            let names: Vec<&str> = side.wards.iter().map(|w| w.ward.name.as_str()).collect();
            assert_eq!(names, ["Phú Thượng", "Tây Hồ"]);
            for row in &side.wards {
                let own = indicators(
                    &app,
                    &province,
                    &format!(
                        "ward={}&year={}&month={}",
                        row.ward.id, side.year, side.month
                    ),
                )
                .await;
                assert_eq!(
                    row.reports,
                    own.reports.iter().map(|s| s.year_to_date).sum::<u32>()
                );
                assert_eq!(
                    row.reports_last_year,
                    own.reports.iter().map(|s| s.last_year_to_date).sum::<u32>()
                );
                let zero: Vec<_> = own
                    .zero
                    .iter()
                    .map(|z| (z.kind, z.month_clear, z.year_clear))
                    .collect();
                assert_eq!(row.zero, zero, "{}", row.ward.name);
                assert_eq!(row.managed, own.managed);
                assert_eq!(row.waiting.received, own.waiting.received);
                assert_eq!(row.waiting.in_progress, own.waiting.in_progress);
            }
        }
        // The merger's month, and a month of the old wards (their records now answer to the new).
        check(
            &indicators(&app, &tay_ho, "year=2025&month=7").await,
            &expect(0),
        );
        check(
            &indicators(&app, &phu_thuong, "year=2025&month=2").await,
            &expect(1),
        );
        app.assert_tallies_match().await;
    }
}

#[tokio::test]
async fn a_wards_indicators_are_counted_once_in_fifteen_seconds_unless_asked_fresh_and_then_again_behind_the_answer(
) {
    use server::indicators::{settled, ward, FRESH_MS};
    let app = spawn_app().await;
    let leader = app.login("totruong").await;
    let group = app.me(&leader).await.group.unwrap().id;
    let ward_id: i64 = sqlx::query_scalar("SELECT ward_id FROM residential_groups WHERE id = $1")
        .bind(group)
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    let db = &app.state.db;
    // Noon of today, ward time: fifteen seconds later is still today.
    let today = domain::calendar::LocalTime::at(server::now_ms()).date;
    let now = today.start_ms() + 12 * 3_600_000;
    let month = (today.year, today.month);
    let reports = |w: &domain::indicators::WardIndicators| -> u32 {
        w.reports.iter().map(|s| s.year_to_date).sum()
    };
    let before = ward(db, ward_id, month, now, false).await.unwrap();
    assert_eq!(
        app.push_ok(&leader, vec![valid_report(group)]).await,
        [PushOutcome::Accepted]
    );
    // Within the fifteen seconds: the figures counted before, even from many requests at once.
    let again = futures_util::future::join_all(
        (0..8).map(|_| ward(db, ward_id, month, now + FRESH_MS - 1, false)),
    )
    .await;
    for got in again {
        assert_eq!(reports(&got.unwrap()), reports(&before));
    }
    assert_eq!(before.counted_at, now);
    // Asked for fresh figures (`Cache-Control: no-cache`): counted again, with the new report.
    let fresh = ward(db, ward_id, month, now + 1, true).await.unwrap();
    assert_eq!(reports(&fresh), reports(&before) + 1);
    assert_eq!(fresh.counted_at, now + 1);
    // Past the fifteen seconds: the last count answers at once, and the month is counted again
    // behind the answer; the next request has the new report.
    assert_eq!(
        app.push_ok(&leader, vec![valid_report(group)]).await,
        [PushOutcome::Accepted]
    );
    // (Thirty seconds: past the fifteen, and short of four times them, unless counting took
    // over 3 s: see `FRESH_PER_COUNT` and `STALE_PER_FRESH`.)
    let later = now + 1 + 2 * FRESH_MS;
    let stale = ward(db, ward_id, month, later, false).await.unwrap();
    assert_eq!(reports(&stale), reports(&before) + 1);
    assert_eq!(stale.counted_at, now + 1);
    settled(db, ward_id, month).await;
    let after = ward(db, ward_id, month, later + 1, false).await.unwrap();
    assert_eq!(reports(&after), reports(&before) + 2);
    assert_eq!(
        after.counted_at, later,
        "counted behind the answer at {later}"
    );
    // An hour later the figures are too old to answer: counted while the request waits.
    assert_eq!(
        app.push_ok(&leader, vec![valid_report(group)]).await,
        [PushOutcome::Accepted]
    );
    let hour = later + 3_600_000;
    let old = ward(db, ward_id, month, hour, false).await.unwrap();
    assert_eq!(reports(&old), reports(&before) + 3);
    assert_eq!(old.counted_at, hour);
    // Many asking fresh at once (each a millisecond apart) share the first one's count, begun
    // after they all came.
    let at_once =
        futures_util::future::join_all((1..=8).map(|i| ward(db, ward_id, month, hour + i, true)))
            .await;
    for got in at_once {
        assert_eq!(got.unwrap().counted_at, hour + 1);
    }
}

#[tokio::test]
async fn a_report_at_half_past_eleven_on_the_last_night_of_january_counts_for_january() {
    use domain::calendar::Date;
    use domain::indicators::WardIndicators;
    let app = spawn_app().await;
    let leader = app.login("totruong").await;
    let group = app.me(&leader).await.group.unwrap().id;
    let year = domain::calendar::LocalTime::at(server::now_ms()).date.year - 1;
    let mut ids = Vec::new();
    for _ in 0..2 {
        let report = valid_report(group);
        ids.push(report.id);
        assert_eq!(
            app.push_ok(&leader, vec![report]).await,
            [PushOutcome::Accepted]
        );
    }
    // 23:30 on 31/01 and 00:30 on 01/02, ward time (16:30 and 17:30 UTC on 31/01).
    let feb = Date::new(year, 2, 1).unwrap().start_ms();
    for (id, at) in ids.iter().zip([feb - 30 * 60_000, feb + 30 * 60_000]) {
        sqlx::query("UPDATE records SET received_at = $1 WHERE id = $2")
            .bind(at)
            .bind(id.to_string())
            .execute(&app.state.db.pool)
            .await
            .unwrap();
    }
    let boss = app.login("truongcong").await;
    let got: WardIndicators = app
        .get(&boss, &format!("/api/indicators?year={year}&month=2"))
        .await
        .json()
        .await
        .unwrap();
    let theft = got.reports.iter().find(|s| s.category == "theft").unwrap();
    assert_eq!(theft.months, [1, 1]);
    assert_eq!(got.month_from, feb);
}

#[tokio::test]
async fn a_month_not_begun_is_not_found_and_not_a_month_at_all_is_refused() {
    let app = spawn_app().await;
    let boss = app.login("truongcong").await;
    let next_year = domain::calendar::LocalTime::at(server::now_ms()).date.year + 1;
    for path in [
        format!("/api/indicators?year={next_year}&month=1"),
        format!("/api/indicators/province?year={next_year}"),
    ] {
        let token = if path.contains("province") {
            app.login("congantinh").await
        } else {
            boss.clone()
        };
        let resp = app.get(&token, &path).await;
        let body =
            crate::helpers::expect_error(resp, reqwest::StatusCode::NOT_FOUND, "not_found").await;
        assert!(
            body.message.contains("chưa bắt đầu"),
            "{path}: {}",
            body.message
        );
    }
    for query in [
        "year=1999&month=12",
        "year=-2147483648&month=1",
        "year=2147483647&month=1",
    ] {
        let resp = app.get(&boss, &format!("/api/indicators?{query}")).await;
        crate::helpers::expect_error(
            resp,
            reqwest::StatusCode::UNPROCESSABLE_ENTITY,
            "validation",
        )
        .await;
    }
    let resp = app.get(&boss, "/api/indicators?month=13").await;
    crate::helpers::expect_error(
        resp,
        reqwest::StatusCode::UNPROCESSABLE_ENTITY,
        "validation",
    )
    .await;
}
