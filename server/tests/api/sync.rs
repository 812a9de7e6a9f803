use std::collections::HashSet;

use domain::form::{FormDef, NEIGHBORHOOD_REPORT};
use domain::record::{RecordEnvelope, RecordStatus};
use domain::sync::{Change, PushOutcome, MAX_PUSH_BATCH};
use domain::validate::Violation;
use reqwest::StatusCode;
use serde_json::json;
use uuid::Uuid;

use crate::helpers::{
    expect_error, is_accepted, is_duplicate, own_group, push_outcomes, spawn_app, valid_report,
    valid_visit, TestApp,
};

/// The ids of the caller's records in a pull, in order.
fn record_ids(changes: &[Change]) -> Vec<Uuid> {
    changes
        .iter()
        .filter_map(|c| match c {
            Change::Record(r) => Some(r.id),
            Change::Form { .. } => None,
        })
        .collect()
}

/// How many forms a fresh server publishes (the built-in ones).
fn builtin_forms() -> usize {
    FormDef::builtin().len()
}

/// How many times `id` is in the supervisor's list.
async fn times_listed(app: &TestApp, supervisor: &str, id: Uuid) -> usize {
    app.records(supervisor)
        .await
        .iter()
        .filter(|r| r.id == id)
        .count()
}

// ---------------------------------------------------------------------------------------------
// Push
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_valid_report_is_accepted_and_stored_once() {
    let app = spawn_app().await;
    let lan = app.login("totruong").await;
    let boss = app.login("truongcong").await;
    let report = valid_report(own_group(&app, &lan).await);

    let outcomes = app.push_ok(&lan, vec![report.clone()]).await;
    assert_eq!(outcomes, [PushOutcome::Accepted]);
    assert!(
        outcomes[0].is_settled(),
        "the phone may drop its outbox entry"
    );

    assert_eq!(app.stored_count(report.id).await, 1);
    assert_eq!(times_listed(&app, &boss, report.id).await, 1);
    let stored = app.record(&boss, report.id).await;
    assert_eq!(stored.data, report.data);
    assert_eq!(stored.summary.status, RecordStatus::Received);
    assert_eq!(stored.summary.author, "Bà Phạm Thị Lan");
    assert_eq!(stored.client_created_at, report.created_at);
}

#[tokio::test]
async fn an_empty_push_is_answered_with_no_results() {
    let app = spawn_app().await;
    let lan = app.login("totruong").await;
    assert_eq!(app.push_ok(&lan, vec![]).await, []);
}

#[tokio::test]
async fn replaying_a_push_answers_duplicate_for_every_record_every_time() {
    let app = spawn_app().await;
    let lan = app.login("totruong").await;
    let boss = app.login("truongcong").await;
    let group = own_group(&app, &lan).await;
    let batch: Vec<_> = (0..3).map(|_| valid_report(group)).collect();

    let first = app.push_ok(&lan, batch.clone()).await;
    assert!(first.iter().all(is_accepted), "{first:?}");

    for replay in 0..3 {
        let again = app.push_ok(&lan, batch.clone()).await;
        assert!(again.iter().all(is_duplicate), "replay {replay}: {again:?}");
    }
    // Replays arriving at the same moment (a flaky network retrying).
    let (a, b, c, d) = tokio::join!(
        app.push(&lan, batch.clone()),
        app.push(&lan, batch.clone()),
        app.push(&lan, batch.clone()),
        app.push(&lan, batch.clone()),
    );
    for resp in [a, b, c, d] {
        let outcomes = push_outcomes(&batch, resp).await;
        assert!(outcomes.iter().all(is_duplicate), "{outcomes:?}");
    }

    for r in &batch {
        assert_eq!(times_listed(&app, &boss, r.id).await, 1);
        assert_eq!(app.stored_count(r.id).await, 1);
    }
    assert_eq!(app.records(&boss).await.len(), batch.len());
}

#[tokio::test]
async fn concurrent_first_deliveries_store_each_record_exactly_once() {
    let app = spawn_app().await;
    let lan = app.login("totruong").await;
    let boss = app.login("truongcong").await;
    let group = own_group(&app, &lan).await;
    let batch: Vec<_> = (0..5).map(|_| valid_report(group)).collect();

    let (a, b, c, d) = tokio::join!(
        app.push(&lan, batch.clone()),
        app.push(&lan, batch.clone()),
        app.push(&lan, batch.clone()),
        app.push(&lan, batch.clone()),
    );
    let mut all = Vec::new();
    for resp in [a, b, c, d] {
        all.push(push_outcomes(&batch, resp).await);
    }
    for (k, r) in batch.iter().enumerate() {
        let accepted = all.iter().filter(|o| is_accepted(&o[k])).count();
        let duplicate = all.iter().filter(|o| is_duplicate(&o[k])).count();
        assert_eq!(
            (accepted, duplicate),
            (1, 3),
            "record {k}: {:?}",
            all.iter().map(|o| &o[k]).collect::<Vec<_>>()
        );
        assert_eq!(times_listed(&app, &boss, r.id).await, 1);
    }
    assert_eq!(app.total_records().await, batch.len() as i64);
}

#[tokio::test]
async fn the_same_id_with_different_content_is_a_conflict_and_changes_nothing() {
    let app = spawn_app().await;
    let lan = app.login("totruong").await;
    let boss = app.login("truongcong").await;
    let original = valid_report(own_group(&app, &lan).await);
    assert_eq!(
        app.push_ok(&lan, vec![original.clone()]).await,
        [PushOutcome::Accepted]
    );

    let mut edited = original.clone();
    edited
        .data
        .insert("description".into(), json!("Đã tìm thấy xe, không mất gì."));
    let outcomes = app.push_ok(&lan, vec![edited.clone()]).await;
    match &outcomes[0] {
        PushOutcome::Conflict { message } => {
            assert!(message.contains("nội dung khác"), "{message}")
        }
        other => panic!("expected a conflict, got {other:?}"),
    }
    assert!(!outcomes[0].is_settled(), "the phone keeps the edit");

    // Replayed, it is still a conflict, never applied.
    let outcomes = app.push_ok(&lan, vec![edited.clone()]).await;
    assert!(matches!(outcomes[0], PushOutcome::Conflict { .. }));

    let stored = app.record(&boss, original.id).await;
    assert_eq!(stored.data, original.data, "the stored record is unchanged");
    assert_eq!(times_listed(&app, &boss, original.id).await, 1);
    // The original content is still recognised as what the server has.
    assert_eq!(
        app.push_ok(&lan, vec![original.clone()]).await,
        [PushOutcome::Duplicate]
    );

    // The conflicting content is recorded once for a supervisor, not lost.
    let kept: Vec<String> =
        sqlx::query_scalar("SELECT data FROM record_conflicts WHERE record_id = $1")
            .bind(original.id.to_string())
            .fetch_all(&app.state.db.pool)
            .await
            .unwrap();
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert!(kept[0].contains("Đã tìm thấy xe"), "{}", kept[0]);
}

#[tokio::test]
async fn a_conflict_is_explained_in_english_to_an_english_phone() {
    let app = spawn_app().await;
    let lan = app.login("totruong").await;
    let original = valid_report(own_group(&app, &lan).await);
    app.push_ok(&lan, vec![original.clone()]).await;
    let mut edited = original.clone();
    edited.data.insert("people_involved".into(), json!(2));
    let outcomes = push_outcomes(
        std::slice::from_ref(&edited),
        app.push_in(&lan, vec![edited.clone()], "en").await,
    )
    .await;
    match &outcomes[0] {
        PushOutcome::Conflict { message } => {
            assert!(message.contains("different content"), "{message}")
        }
        other => panic!("expected a conflict, got {other:?}"),
    }
}

#[tokio::test]
async fn another_user_cannot_claim_a_stored_record_id() {
    let app = spawn_app().await;
    let lan = app.login("totruong").await;
    let hoa = app.login("canbo").await;
    let boss = app.login("truongcong").await;
    let report = valid_report(own_group(&app, &lan).await);
    app.push_ok(&lan, vec![report.clone()]).await;

    // The officer may file for that group, but the id is the group leader's record: it is
    // refused, and nothing of it (not even a conflict copy) is stored for the officer.
    let outcomes = app.push_ok(&hoa, vec![report.clone()]).await;
    assert!(
        matches!(outcomes[0], PushOutcome::Rejected { .. }),
        "{outcomes:?}"
    );
    let copies: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM record_conflicts")
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    assert_eq!(copies, 0);
    assert_eq!(
        app.record(&boss, report.id).await.summary.author,
        "Bà Phạm Thị Lan"
    );
    assert!(record_ids(&app.pull(&hoa, 0).await.changes).is_empty());
}

#[tokio::test]
async fn the_same_id_twice_in_one_batch_is_stored_once() {
    let app = spawn_app().await;
    let lan = app.login("totruong").await;
    let report = valid_report(own_group(&app, &lan).await);
    let mut edited = report.clone();
    edited.data.insert("urgency".into(), json!("emergency"));
    let outcomes = app
        .push_ok(&lan, vec![report.clone(), report.clone(), edited])
        .await;
    assert!(is_accepted(&outcomes[0]), "{outcomes:?}");
    assert!(is_duplicate(&outcomes[1]), "{outcomes:?}");
    assert!(
        matches!(outcomes[2], PushOutcome::Conflict { .. }),
        "{outcomes:?}"
    );
    assert_eq!(app.stored_count(report.id).await, 1);
    // The other content is kept for a reviewer on the first delivery, not only on a replay.
    let kept = app.conflicts_kept(report.id).await;
    assert_eq!(kept, 1);
}

#[tokio::test]
async fn a_nul_character_in_a_record_is_stored_on_both_databases_and_fails_no_other_push() {
    // PostgreSQL's text cannot hold NUL: folded into the search text, it failed the insert, and
    // with it every push written in the same transaction.
    let app = spawn_app().await;
    let lan = app.login("totruong").await;
    let boss = app.login("truongcong").await;
    let group = own_group(&app, &lan).await;
    let mut odd = valid_report(group);
    odd.data
        .insert("description".into(), json!("Mất xe\u{0} máy"));
    odd.created_at = "2026-11-25T21:35:00+07:00\u{0}".into();
    let plain = valid_report(group);
    let (a, b) = futures_util::future::join(
        app.push_ok(&lan, vec![odd.clone()]),
        app.push_ok(&lan, vec![plain.clone()]),
    )
    .await;
    assert_eq!(
        (a, b),
        (vec![PushOutcome::Accepted], vec![PushOutcome::Accepted])
    );
    let stored = app.record(&boss, odd.id).await;
    assert_eq!(stored.data, odd.data, "the answers are kept as sent");
    let found: Vec<serde_json::Value> = app
        .get(&boss, "/api/records?q=mat%20xe%20may")
        .await
        .json()
        .await
        .unwrap();
    assert!(
        found.iter().any(|r| r["id"] == json!(odd.id)),
        "found by its words around the NUL: {found:?}"
    );
}

#[tokio::test]
async fn eight_overlapping_pushes_of_one_phone_at_once_store_and_accept_each_record_once() {
    // A phone that retries while its earlier pushes are still being written, eight times over.
    // Pushes that look the records up before another one commits find their inserts partly done
    // by it and must tell their own rows from the others' (tried: all but the first did here;
    // the order is the scheduler's, so a run may race less, but never answers differently).
    let app = spawn_app().await;
    let lan = app.login("totruong").await;
    let group = own_group(&app, &lan).await;
    let records: Vec<_> = (0..40).map(|_| valid_report(group)).collect();
    let pushes = (0..8).map(|k| {
        // Each push sends 30 of the 40, from its own start, so every two pushes overlap.
        let batch: Vec<_> = records
            .iter()
            .cycle()
            .skip(k * 5)
            .take(30)
            .cloned()
            .collect();
        let (app, lan) = (&app, &lan);
        async move { (batch.clone(), app.push_ok(lan, batch).await) }
    });
    let answered = futures_util::future::join_all(pushes).await;
    for record in &records {
        let outcomes: Vec<&PushOutcome> = answered
            .iter()
            .flat_map(|(batch, outcomes)| batch.iter().zip(outcomes))
            .filter(|(sent, _)| sent.id == record.id)
            .map(|(_, outcome)| outcome)
            .collect();
        assert_eq!(
            outcomes.iter().filter(|o| is_accepted(o)).count(),
            1,
            "accepted by exactly one push: {outcomes:?}"
        );
        assert!(
            outcomes.iter().all(|o| is_accepted(o) || is_duplicate(o)),
            "the others answer it is already stored: {outcomes:?}"
        );
        assert_eq!(app.stored_count(record.id).await, 1);
    }
    let ids: Vec<String> = records.iter().map(|r| format!("'{}'", r.id)).collect();
    let created: i64 = sqlx::query_scalar(&format!(
        "SELECT COUNT(*) FROM audit_log WHERE action = 'record.create' AND entity_id IN ({})",
        ids.join(", ")
    ))
    .fetch_one(&app.state.db.pool)
    .await
    .unwrap();
    assert_eq!(created, 40, "one creation in the audit trail per record");
    app.assert_tallies_match().await;
}

#[tokio::test]
async fn pushes_of_two_people_at_once_are_each_stored_once_as_their_own_and_a_contested_id_once() {
    // Pushes that arrive together are written in one transaction (`server::pushes`): each
    // record must still be stored once, under its own author, with its own change number, and
    // one id sent with four contents at once must be accepted once and kept as conflicts for
    // the rest, as if the pushes had come one by one.
    let app = spawn_app().await;
    let lan = app.login("totruong").await;
    let officer = app.login("canbo").await;
    let group = own_group(&app, &lan).await;
    let mut sent = Vec::new();
    for k in 0..24 {
        let (token, make): (&String, fn(i64) -> RecordEnvelope) = if k % 3 == 0 {
            (&officer, valid_visit)
        } else {
            (&lan, valid_report)
        };
        sent.push((
            token.clone(),
            (0..1 + k % 3).map(|_| make(group)).collect::<Vec<_>>(),
        ));
    }
    let contested = valid_report(group);
    for k in 0..4 {
        let mut copy = contested.clone();
        copy.data
            .insert("description".into(), json!(format!("Bản thứ {k}")));
        sent.push((lan.clone(), vec![copy]));
    }
    let answered = futures_util::future::join_all(sent.iter().map(|(token, batch)| {
        let app = &app;
        async move { app.push_ok(token, batch.clone()).await }
    }))
    .await;

    let mut contested_outcomes = Vec::new();
    for ((token, batch), outcomes) in sent.iter().zip(&answered) {
        assert_eq!(outcomes.len(), batch.len());
        for (record, outcome) in batch.iter().zip(outcomes) {
            if record.id == contested.id {
                contested_outcomes.push(outcome.clone());
                continue;
            }
            assert!(is_accepted(outcome), "{outcome:?}");
            assert_eq!(app.stored_count(record.id).await, 1);
            let author: i64 = sqlx::query_scalar("SELECT author_id FROM records WHERE id = $1")
                .bind(record.id.to_string())
                .fetch_one(&app.state.db.pool)
                .await
                .unwrap();
            assert_eq!(
                author,
                app.me(token).await.user_id,
                "stored as its sender's"
            );
        }
    }
    assert_eq!(
        contested_outcomes.iter().filter(|o| is_accepted(o)).count(),
        1,
        "{contested_outcomes:?}"
    );
    assert_eq!(
        contested_outcomes
            .iter()
            .filter(|o| matches!(o, PushOutcome::Conflict { .. }))
            .count(),
        3,
        "{contested_outcomes:?}"
    );
    assert_eq!(app.stored_count(contested.id).await, 1);
    let kept = app.conflicts_kept(contested.id).await;
    assert_eq!(kept, 3, "each other content kept once for a reviewer");
    let (records, numbers): (i64, i64) =
        sqlx::query_as("SELECT COUNT(*), COUNT(DISTINCT seq) FROM records")
            .fetch_one(&app.state.db.pool)
            .await
            .unwrap();
    assert_eq!(records, numbers, "every record has its own change number");
    app.assert_tallies_match().await;
}

#[tokio::test]
async fn one_invalid_record_is_rejected_with_reasons_and_does_not_block_the_others() {
    let app = spawn_app().await;
    let lan = app.login("totruong").await;
    let boss = app.login("truongcong").await;
    let group = own_group(&app, &lan).await;
    let first = valid_report(group);
    let mut bad = valid_report(group);
    bad.data.remove("location");
    bad.data.insert("people_involved".into(), json!(-3));
    let last = valid_report(group);

    let outcomes = app
        .push_ok(&lan, vec![first.clone(), bad.clone(), last.clone()])
        .await;
    assert!(is_accepted(&outcomes[0]), "{outcomes:?}");
    assert!(is_accepted(&outcomes[2]), "{outcomes:?}");
    let PushOutcome::Rejected { message, errors } = &outcomes[1] else {
        panic!("expected the middle record rejected: {outcomes:?}");
    };
    assert!(
        !outcomes[1].is_settled(),
        "a rejected record stays on the phone"
    );
    assert_eq!(message, "Hồ sơ có mục chưa hợp lệ; hãy sửa rồi gửi lại.");
    let reasons: Vec<_> = errors
        .iter()
        .map(|e| (e.field.as_str(), &e.violation, e.message.as_str()))
        .collect();
    assert_eq!(
        reasons,
        [
            ("location", &Violation::Required, "Vui lòng điền mục này."),
            (
                "people_involved",
                &Violation::TooSmall { min: 0.0 },
                "Không được nhỏ hơn 0."
            ),
        ]
    );

    let listed: HashSet<Uuid> = app.records(&boss).await.iter().map(|r| r.id).collect();
    assert_eq!(listed, HashSet::from([first.id, last.id]));
    assert_eq!(app.stored_count(bad.id).await, 0);

    // Corrected on the phone and sent again under the same id, it is accepted.
    let mut fixed = bad.clone();
    fixed
        .data
        .insert("location".into(), json!("Ngõ 12 Nhật Tân"));
    fixed.data.insert("people_involved".into(), json!(3));
    assert_eq!(
        app.push_ok(&lan, vec![fixed]).await,
        [PushOutcome::Accepted]
    );
    assert_eq!(times_listed(&app, &boss, bad.id).await, 1);
}

#[tokio::test]
async fn field_reasons_come_in_the_callers_language() {
    let app = spawn_app().await;
    let lan = app.login("totruong").await;
    let mut bad = valid_report(own_group(&app, &lan).await);
    bad.data.insert("category".into(), json!("aliens"));
    bad.data.insert("weather".into(), json!("mưa"));
    let outcomes = push_outcomes(
        std::slice::from_ref(&bad),
        app.push_in(&lan, vec![bad.clone()], "en").await,
    )
    .await;
    let PushOutcome::Rejected { message, errors } = &outcomes[0] else {
        panic!("expected a rejection: {outcomes:?}");
    };
    assert_eq!(
        message,
        "Some fields are not valid; correct them and send again."
    );
    let reasons: Vec<_> = errors
        .iter()
        .map(|e| (e.field.as_str(), e.message.as_str()))
        .collect();
    assert_eq!(
        reasons,
        [
            ("weather", "This field is not part of the form."),
            ("category", "Please pick from the listed options."),
        ]
    );
}

#[tokio::test]
async fn an_unknown_form_or_form_version_is_rejected_with_a_message() {
    let app = spawn_app().await;
    let lan = app.login("totruong").await;
    let group = own_group(&app, &lan).await;
    let mut unknown_form = valid_report(group);
    unknown_form.form_key = "lost_dog".into();
    let mut unknown_version = valid_report(group);
    unknown_version.form_version = 99;

    let outcomes = app
        .push_ok(&lan, vec![unknown_form.clone(), unknown_version.clone()])
        .await;
    let messages: Vec<&str> = outcomes
        .iter()
        .map(|o| match o {
            PushOutcome::Rejected { message, .. } => message.as_str(),
            other => panic!("expected a rejection, got {other:?}"),
        })
        .collect();
    assert_eq!(
        messages,
        [
            "Máy chủ không có biểu mẫu lost_dog phiên bản 1.",
            "Máy chủ không có biểu mẫu neighborhood_report phiên bản 99.",
        ]
    );
    assert_eq!(app.total_records().await, 0);

    let outcomes = push_outcomes(
        std::slice::from_ref(&unknown_version),
        app.push_in(&lan, vec![unknown_version.clone()], "en").await,
    )
    .await;
    assert!(
        matches!(&outcomes[0], PushOutcome::Rejected { message, .. }
            if message == "The server has no form neighborhood_report version 99."),
        "{outcomes:?}"
    );
}

#[tokio::test]
async fn a_group_leader_cannot_file_for_another_group() {
    let app = spawn_app().await;
    let lan = app.login("totruong").await;
    let hoa = app.login("canbo").await;
    let groups = app.ward_groups(&hoa).await;
    let own = own_group(&app, &lan).await;
    let other = *groups.iter().find(|&&g| g != own).unwrap();

    let elsewhere = valid_report(other);
    let nowhere = valid_report(987_654);
    let outcomes = app
        .push_ok(&lan, vec![elsewhere.clone(), nowhere.clone()])
        .await;
    for o in &outcomes {
        assert!(
            matches!(o, PushOutcome::Rejected { message, .. }
                if message == "Bạn không phụ trách tổ dân phố này."),
            "{outcomes:?}"
        );
    }
    assert_eq!(app.total_records().await, 0);

    // The ward's officer may file for that same group.
    assert_eq!(
        app.push_ok(&hoa, vec![valid_report(other)]).await,
        [PushOutcome::Accepted]
    );
}

#[tokio::test]
async fn a_supervisor_may_not_file_neighborhood_reports() {
    let app = spawn_app().await;
    let boss = app.login("truongcong").await;
    let group = app.ward_groups(&boss).await[0];
    let report = valid_report(group);
    let outcomes = app.push_ok(&boss, vec![report]).await;
    assert!(
        matches!(&outcomes[0], PushOutcome::Rejected { message, .. }
            if message == "Tài khoản của bạn không được gửi loại hồ sơ này."),
        "{outcomes:?}"
    );
    assert_eq!(app.total_records().await, 0);
}

#[tokio::test]
async fn a_batch_of_the_maximum_size_is_accepted() {
    let app = spawn_app().await;
    let lan = app.login("totruong").await;
    let group = own_group(&app, &lan).await;
    let batch: Vec<_> = (0..MAX_PUSH_BATCH).map(|_| valid_report(group)).collect();
    let outcomes = app.push_ok(&lan, batch).await;
    assert!(outcomes.iter().all(is_accepted));
    assert_eq!(app.total_records().await, MAX_PUSH_BATCH as i64);
}

#[tokio::test]
async fn a_batch_over_the_maximum_is_refused_whole() {
    let app = spawn_app().await;
    let lan = app.login("totruong").await;
    let boss = app.login("truongcong").await;
    let group = own_group(&app, &lan).await;
    let batch: Vec<_> = (0..=MAX_PUSH_BATCH).map(|_| valid_report(group)).collect();

    let resp = app.push(&lan, batch).await;
    let err = expect_error(resp, StatusCode::PAYLOAD_TOO_LARGE, "batch_too_large").await;
    assert_eq!(
        err.message,
        format!("Mỗi lần tối đa {MAX_PUSH_BATCH} hồ sơ.")
    );

    assert!(app.records(&boss).await.is_empty());
    assert_eq!(app.total_records().await, 0);
    assert!(record_ids(&app.pull(&lan, 0).await.changes).is_empty());
}

// ---------------------------------------------------------------------------------------------
// Pull
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn pulling_from_zero_gives_the_forms_then_my_records() {
    let app = spawn_app().await;
    let lan = app.login("totruong").await;
    let group = own_group(&app, &lan).await;
    let batch: Vec<_> = (0..2).map(|_| valid_report(group)).collect();
    app.push_ok(&lan, batch.clone()).await;

    let page = app.pull(&lan, 0).await;
    assert!(!page.reset);
    assert!(!page.more);
    assert!(page.cursor > 0);
    let forms = builtin_forms();
    assert_eq!(page.changes.len(), forms + 2, "{:?}", page.changes);
    match &page.changes[0] {
        Change::Form { form } => {
            assert_eq!((form.key.as_str(), form.version), (NEIGHBORHOOD_REPORT, 1));
            assert!(!form.fields.is_empty());
        }
        other => panic!("the forms come first, got {other:?}"),
    }
    assert!(
        page.changes[..forms]
            .iter()
            .all(|c| matches!(c, Change::Form { form } if form.version == 1)),
        "{:?}",
        page.changes
    );
    for (change, sent) in page.changes[forms..].iter().zip(&batch) {
        let Change::Record(state) = change else {
            panic!("expected a record state, got {change:?}");
        };
        assert_eq!(state.id, sent.id);
        assert_eq!(state.form_key, NEIGHBORHOOD_REPORT);
        assert_eq!(state.status, RecordStatus::Received);
        assert_eq!(state.note, None);
    }

    // Nothing new since: an empty page, the cursor unchanged.
    let again = app.pull(&lan, page.cursor).await;
    assert!(again.changes.is_empty(), "{:?}", again.changes);
    assert_eq!(again.cursor, page.cursor);
    assert!(!again.more && !again.reset);
}

#[tokio::test]
async fn paging_one_change_at_a_time_walks_every_change_once_in_order() {
    let app = spawn_app().await;
    let lan = app.login("totruong").await;
    let group = own_group(&app, &lan).await;
    for _ in 0..3 {
        app.push_ok(&lan, vec![valid_report(group)]).await;
    }
    let whole = app.pull(&lan, 0).await;
    assert_eq!(whole.changes.len(), builtin_forms() + 3);

    let mut cursor = 0;
    let mut walked = Vec::new();
    let mut cursors = vec![cursor];
    loop {
        let page = app.pull_page(&lan, cursor, 1).await;
        assert!(!page.reset);
        assert!(page.changes.len() <= 1, "limit=1 gave {:?}", page.changes);
        walked.extend(page.changes);
        assert!(page.cursor >= cursor, "cursors never go back");
        cursor = page.cursor;
        cursors.push(cursor);
        if !page.more {
            break;
        }
        assert!(walked.len() <= whole.changes.len(), "paging does not end");
    }
    assert_eq!(walked, whole.changes, "each change once, in sequence order");
    assert_eq!(cursor, whole.cursor);
    assert!(
        cursors
            .windows(2)
            .take(builtin_forms() + 3)
            .all(|w| w[0] < w[1]),
        "each page moves the cursor: {cursors:?}"
    );
    assert!(app.pull_page(&lan, cursor, 1).await.changes.is_empty());
}

#[tokio::test]
async fn a_cursor_the_server_never_gave_asks_the_phone_to_reset() {
    let app = spawn_app().await;
    let lan = app.login("totruong").await;
    let current = app.pull(&lan, 0).await.cursor;
    for cursor in [current + 1, 1_000_000, -1] {
        let page = app.pull(&lan, cursor).await;
        assert!(page.reset, "cursor {cursor}");
        assert!(page.changes.is_empty());
        assert_eq!(page.cursor, 0);
        assert!(!page.more);
    }
    assert!(!app.pull(&lan, current).await.reset);
}

#[tokio::test]
async fn a_status_change_reaches_the_author_at_their_next_pull() {
    let app = spawn_app().await;
    let lan = app.login("totruong").await;
    let boss = app.login("truongcong").await;
    let group = own_group(&app, &lan).await;
    let report = valid_report(group);
    let untouched = valid_report(group);
    app.push_ok(&lan, vec![report.clone(), untouched.clone()])
        .await;
    let cursor = app.pull(&lan, 0).await.cursor;

    let resp = app
        .post_json(
            &boss,
            &format!("/api/records/{}/review", report.id),
            &json!({ "action": "start_handling", "comment": "  Đã cử cán bộ xuống xác minh.  " }),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);

    let page = app.pull(&lan, cursor).await;
    assert!(page.cursor > cursor);
    assert_eq!(
        page.changes.len(),
        1,
        "only what changed: {:?}",
        page.changes
    );
    let Change::Record(state) = &page.changes[0] else {
        panic!("expected a record state: {:?}", page.changes);
    };
    assert_eq!(state.id, report.id);
    assert_eq!(state.group_id, report.group_id);
    assert_eq!(state.status, RecordStatus::InProgress);
    assert_eq!(state.note.as_deref(), Some("Đã cử cán bộ xuống xác minh."));

    // A phone pulling from scratch sees the new status too, and each record once.
    let fresh = app.pull(&lan, 0).await;
    let states: Vec<_> = fresh
        .changes
        .iter()
        .filter_map(|c| match c {
            Change::Record(r) => Some((r.id, r.status)),
            _ => None,
        })
        .collect();
    assert_eq!(
        states,
        [
            (untouched.id, RecordStatus::Received),
            (report.id, RecordStatus::InProgress)
        ]
    );
}

#[tokio::test]
async fn another_users_records_never_appear_in_my_pull() {
    let app = spawn_app().await;
    let lan = app.login("totruong").await;
    let hoa = app.login("canbo").await;
    let boss = app.login("truongcong").await;
    let group = own_group(&app, &lan).await;
    let mine = valid_report(group);
    let hers = valid_report(group);
    app.push_ok(&lan, vec![mine.clone()]).await;
    app.push_ok(&hoa, vec![hers.clone()]).await;

    assert_eq!(record_ids(&app.pull(&lan, 0).await.changes), [mine.id]);
    assert_eq!(record_ids(&app.pull(&hoa, 0).await.changes), [hers.id]);
    // The supervisor reads records in the list, not through the phone's pull.
    let page = app.pull(&boss, 0).await;
    assert!(record_ids(&page.changes).is_empty(), "{:?}", page.changes);
    assert_eq!(page.changes.len(), builtin_forms(), "the forms only");

    // Not even when someone else's record changes.
    let cursor = app.pull(&lan, 0).await.cursor;
    let resp = app
        .review(&boss, hers.id, "resolve", Some("Đã xử lý xong."))
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(app.pull(&lan, cursor).await.changes.is_empty());
    assert_eq!(record_ids(&app.pull(&hoa, cursor).await.changes), [hers.id]);
}

// ---------------------------------------------------------------------------------------------
// Durability
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn an_accepted_record_and_a_sign_in_survive_a_restart() {
    let app = spawn_app().await;
    let lan = app.login("totruong").await;
    let boss = app.login("truongcong").await;
    let report = valid_report(own_group(&app, &lan).await);
    assert_eq!(
        app.push_ok(&lan, vec![report.clone()]).await,
        [PushOutcome::Accepted]
    );
    let cursor = app.pull(&lan, 0).await.cursor;

    let app = app.restart().await;

    let stored = app.record(&boss, report.id).await;
    assert_eq!(stored.data, report.data);
    assert_eq!(
        app.push_ok(&lan, vec![report.clone()]).await,
        [PushOutcome::Duplicate],
        "the restarted server still recognises the record"
    );
    // The phone's cursor stays valid: no reset, nothing new.
    let page = app.pull(&lan, cursor).await;
    assert!(!page.reset);
    assert!(page.changes.is_empty(), "{:?}", page.changes);
    // The restart loads the built-in forms and the demo accounts again without duplicating them.
    assert_eq!(app.pull(&lan, 0).await.changes.len(), builtin_forms() + 1);
}

#[tokio::test]
async fn someone_moved_to_another_ward_no_longer_follows_the_old_wards_records() {
    let app = spawn_app().await;
    let admin = app.login("admin").await;
    let hoa = app.login("canbo").await;
    let me = app.me(&hoa).await;
    let group = me.groups[0].id;
    let report = valid_report(group);
    let id = report.id;
    assert_eq!(
        app.push_ok(&hoa, vec![report]).await,
        [PushOutcome::Accepted]
    );
    let mine = |page: &domain::sync::PullResponse| {
        page.changes
            .iter()
            .filter(|c| matches!(c, Change::Record(r) if r.id == id))
            .count()
    };
    assert_eq!(mine(&app.pull(&hoa, 0).await), 1);

    // The officer is moved to Xuân La and signs in there.
    let wards: serde_json::Value = app
        .get(&admin, "/api/admin/wards")
        .await
        .json()
        .await
        .unwrap();
    let xuan_la = wards
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["name"] == "Xuân La")
        .unwrap()["id"]
        .clone();
    let resp = app
        .request(reqwest::Method::PUT, &format!("/api/admin/users/{}", me.user_id), Some(&admin))
        .json(&json!({"username": "canbo", "display_name": me.display_name, "role": "officer", "ward_id": xuan_la}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let hoa = app.login("canbo").await;
    assert_eq!(
        mine(&app.pull(&hoa, 0).await),
        0,
        "the old ward's record is not pulled"
    );
    // The record itself stays with its ward.
    let boss = app.login("truongcong").await;
    assert_eq!(app.record(&boss, id).await.summary.id, id);
}

// ---------------------------------------------------------------------------------------------
// Bounded answers
// ---------------------------------------------------------------------------------------------

/// Pushes `records` as raw JSON and returns (request bytes, status, answer bytes).
async fn push_sizes(
    app: &TestApp,
    token: &str,
    records: &[domain::record::RecordEnvelope],
) -> (usize, StatusCode, String) {
    let body = serde_json::to_string(&json!({ "records": records })).unwrap();
    let sent = body.len();
    let resp = app
        .request(reqwest::Method::POST, "/api/sync/push", Some(token))
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    let status = resp.status();
    (sent, status, resp.text().await.unwrap())
}

#[tokio::test]
async fn a_push_of_records_with_hundreds_of_unknown_keys_answers_less_than_its_own_size() {
    let app = spawn_app().await;
    let lan = app.login("totruong").await;
    let group = own_group(&app, &lan).await;
    let batch: Vec<_> = (0..MAX_PUSH_BATCH)
        .map(|n| {
            let mut r = valid_report(group);
            for k in 0..800 {
                r.data.insert(format!("x{k}"), json!(n));
            }
            r
        })
        .collect();
    let (sent, status, answer) = push_sizes(&app, &lan, &batch).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "{}",
        &answer[..answer.len().min(500)]
    );
    assert!(
        answer.len() < sent,
        "the answer ({} bytes) is larger than the push ({sent} bytes)",
        answer.len()
    );
    let body: domain::sync::PushResponse = serde_json::from_str(&answer).unwrap();
    assert_eq!(
        body.results.len(),
        MAX_PUSH_BATCH,
        "every record is answered"
    );
    let mut listed = 0;
    for r in &body.results {
        let PushOutcome::Rejected { message, errors } = &r.outcome else {
            panic!("a record with unknown keys is refused: {:?}", r.outcome)
        };
        assert!(errors.len() <= domain::validate::MAX_ERRORS_PER_RECORD);
        assert!(message.contains("không hiển thị"), "{message}");
        listed += errors.len();
    }
    assert!(
        listed <= domain::sync::MAX_ERRORS_PER_PUSH,
        "{listed} errors"
    );
    assert_eq!(app.total_records().await, 0);
}

#[tokio::test]
async fn a_push_of_tiny_records_each_missing_every_field_answers_within_a_small_multiple() {
    let app = spawn_app().await;
    let lan = app.login("totruong").await;
    let group = own_group(&app, &lan).await;
    // The smallest records that can be wrong in many ways: every required field is missing.
    let batch: Vec<_> = (0..MAX_PUSH_BATCH)
        .map(|_| {
            let mut r = valid_report(group);
            r.data.clear();
            r
        })
        .collect();
    let (sent, status, answer) = push_sizes(&app, &lan, &batch).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        answer.len() < 4 * sent,
        "the answer ({} bytes) is more than 4x the push ({sent} bytes)",
        answer.len()
    );
}

#[tokio::test]
async fn an_unknown_key_a_hundred_kilobytes_long_is_not_repeated_back_whole() {
    let app = spawn_app().await;
    let lan = app.login("totruong").await;
    let group = own_group(&app, &lan).await;
    let mut r = valid_report(group);
    r.data.insert("k".repeat(100_000), json!(1));
    let (sent, status, answer) = push_sizes(&app, &lan, &[r]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(answer.len() < sent / 10, "{} of {sent}", answer.len());
}

// ---------------------------------------------------------------------------------------------
// The database's identity
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_cursor_of_another_database_is_always_told_to_reset() {
    let app = spawn_app().await;
    let lan = app.login("totruong").await;
    let first = app.pull(&lan, 0).await;
    assert!(!first.epoch.is_empty(), "every answer names its epoch");
    // The same cursor with this database's epoch goes on; with another's, it resets.
    let ours = app
        .pull_path_pub(
            &lan,
            &format!(
                "/api/sync/pull?cursor={}&epoch={}",
                first.cursor, first.epoch
            ),
        )
        .await;
    assert!(!ours.reset);
    let other = app
        .pull_path_pub(
            &lan,
            &format!("/api/sync/pull?cursor={}&epoch=0123abcd", first.cursor),
        )
        .await;
    assert!(other.reset, "a cursor of another database resets");
    assert_eq!(other.cursor, 0);
    assert_eq!(other.epoch, first.epoch);
    // An old app that sends no epoch is answered as before.
    assert!(!app.pull(&lan, first.cursor).await.reset);
}

#[tokio::test]
async fn a_database_restored_from_a_backup_gets_a_new_epoch_and_old_cursors_reset() {
    let app = crate::helpers::spawn_app_with_photo_dir().await;
    let lan = app.login("totruong").await;
    let group = own_group(&app, &lan).await;
    // What the backup holds.
    let before: i64 = sqlx::query_scalar("SELECT value FROM counters WHERE name = 'seq'")
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    let after_backup: Vec<_> = (0..3).map(|_| valid_report(group)).collect();
    assert!(app
        .push_ok(&lan, after_backup.clone())
        .await
        .iter()
        .all(is_accepted));
    let page = app.pull(&lan, 0).await;
    assert!(page.cursor > before);
    // The server records how far its counter went (every 30 s; here at once).
    server::epoch::record_high_water(&app.state.db, &app.state.photos)
        .await
        .unwrap();

    // The database goes back to the backup: the records sent after it and the counter (the
    // audit trail refuses deletions, and keeping its rows changes nothing here).
    for r in &after_backup {
        for table in ["record_photos WHERE record_id", "records WHERE id"] {
            sqlx::query(&format!("DELETE FROM {table} = $1"))
                .bind(r.id.to_string())
                .execute(&app.state.db.pool)
                .await
                .unwrap();
        }
    }
    sqlx::query("UPDATE counters SET value = $1 WHERE name = 'seq'")
        .bind(before)
        .execute(&app.state.db.pool)
        .await
        .unwrap();
    let app = app.restart().await;
    let lan = app.login("totruong").await;
    // More work arrives after the restore, so the counter climbs past the phone's cursor.
    let more: Vec<_> = (0..5).map(|_| valid_report(group)).collect();
    assert!(app.push_ok(&lan, more).await.iter().all(is_accepted));

    let answer = app
        .pull_path_pub(
            &lan,
            &format!("/api/sync/pull?cursor={}&epoch={}", page.cursor, page.epoch),
        )
        .await;
    assert!(
        answer.reset,
        "the phone's cursor counts in the database before the restore"
    );
    assert_ne!(answer.epoch, page.epoch);
    // The phone pushes back what it held as synced: what the restored server lacks is stored.
    let again = app.push_ok(&lan, after_backup.clone()).await;
    assert!(again.iter().all(is_accepted), "{again:?}");
    for r in &after_backup {
        assert_eq!(app.stored_count(r.id).await, 1);
    }
}

#[tokio::test]
async fn a_restart_without_a_restore_keeps_the_epoch() {
    let app = crate::helpers::spawn_app_with_photo_dir().await;
    let lan = app.login("totruong").await;
    let group = own_group(&app, &lan).await;
    assert!(app
        .push_ok(&lan, vec![valid_report(group)])
        .await
        .iter()
        .all(is_accepted));
    let page = app.pull(&lan, 0).await;
    let app = app.restart().await;
    let lan = app.login("totruong").await;
    let answer = app
        .pull_path_pub(
            &lan,
            &format!("/api/sync/pull?cursor={}&epoch={}", page.cursor, page.epoch),
        )
        .await;
    assert!(!answer.reset);
    assert_eq!(answer.epoch, page.epoch);
}

/// Found by `cargo xtask chaos` (a full disk): when a write fails for want of room, SQLite may
/// roll the whole transaction back by itself while sqlx still counts it open. On that
/// connection the next push began a SAVEPOINT instead of a transaction, a later failure's
/// ROLLBACK TO left SQLite's transaction open, and every push after it was answered "accepted"
/// inside a transaction that never committed: seen by nobody, lost at the next restart. Here
/// SQLite's own rollback is played by a ROLLBACK that sqlx does not see, and the failed push by
/// `max_page_count` (no room for new pages) on the writer's connection.
#[tokio::test]
async fn a_connection_sqlite_rolled_back_by_itself_is_not_used_again() {
    let app = spawn_app().await;
    if app.state.db.backend != server::db::Backend::Sqlite {
        return; // PostgreSQL reports its own transaction state with every answer.
    }
    let lan = app.login("totruong").await;
    let boss = app.login("truongcong").await;
    let group = own_group(&app, &lan).await;
    {
        use sqlx::Connection;
        let mut w = app.state.db.writer.acquire().await.unwrap();
        let mut tx = w.begin().await.unwrap();
        sqlx::query("ROLLBACK").execute(&mut *tx).await.unwrap();
    }
    // No room for new pages on the writer's connection (the one a push will get now).
    {
        let mut w = app.state.db.writer.acquire().await.unwrap();
        let pages: i64 = sqlx::query_scalar("PRAGMA page_count")
            .fetch_one(&mut *w)
            .await
            .unwrap();
        sqlx::query(&format!("PRAGMA max_page_count = {pages}"))
            .execute(&mut *w)
            .await
            .unwrap();
    }
    let big: Vec<_> = (0..50)
        .map(|_| {
            let mut r = valid_report(group);
            r.data.insert("description".into(), json!("x".repeat(1900)));
            r
        })
        .collect();
    let refused = app.push(&lan, big.clone()).await;
    assert_eq!(refused.status(), StatusCode::INTERNAL_SERVER_ERROR);
    for r in &big {
        assert_eq!(app.stored_count(r.id).await, 0);
    }
    // Room again, on whichever connection the writer holds now.
    {
        let mut w = app.state.db.writer.acquire().await.unwrap();
        sqlx::query("PRAGMA max_page_count = 4294967294")
            .execute(&mut *w)
            .await
            .unwrap();
    }
    let after = valid_report(group);
    assert_eq!(
        app.push_ok(&lan, vec![after.clone()]).await,
        [PushOutcome::Accepted]
    );
    // Read through another connection: committed, not held in a transaction left open.
    assert_eq!(app.stored_count(after.id).await, 1);
    assert_eq!(times_listed(&app, &boss, after.id).await, 1);
}

/// Before exact number reading (serde_json without float_roundtrip) the server read one GPS
/// latitude in six one unit in the last place off, and hashed that. A record stored then and
/// sent again after the upgrade (its answer lost) is a duplicate, not a conflicting copy left
/// for a supervisor; other content under its id is still a conflict.
#[tokio::test]
async fn a_record_stored_before_exact_number_reading_and_sent_again_is_a_duplicate() {
    let app = spawn_app().await;
    let officer = app.login("canbo").await;
    let group = app.ward_groups(&officer).await[0];
    let rec = crate::exports::visit(group, json!([]), 21.067493816419294);
    let old_hash = rec
        .legacy_content_hash()
        .expect("this latitude was read one unit off");
    assert_eq!(
        app.push_ok(&officer, vec![rec.clone()]).await,
        [PushOutcome::Accepted]
    );
    // The hash as the old server stored it.
    app.set_stored_hash("records", rec.id, &old_hash).await;
    assert_eq!(
        app.push_ok(&officer, vec![rec.clone()]).await,
        [PushOutcome::Duplicate]
    );
    let mut edited = rec.clone();
    edited
        .data
        .insert("findings".into(), json!("Có xe lạ đỗ qua đêm."));
    assert!(matches!(
        app.push_ok(&officer, vec![edited]).await[..],
        [PushOutcome::Conflict { .. }]
    ));
    assert_eq!(app.stored_count(rec.id).await, 1);
}

/// A conflicting copy kept by a server that read its latitude one unit off, sent again after
/// the upgrade (its answer lost): still a conflict, and not kept, nor audited, a second time.
#[tokio::test]
async fn a_conflicting_copy_kept_before_exact_number_reading_is_not_kept_again() {
    let app = spawn_app().await;
    let officer = app.login("canbo").await;
    let group = app.ward_groups(&officer).await[0];
    let first = crate::exports::visit(group, json!([]), 21.0812);
    let mut copy = first.clone();
    copy.data["position"]["lat"] = json!(21.067493816419294);
    let old_hash = copy
        .legacy_content_hash()
        .expect("this latitude was read one unit off");
    app.push_ok(&officer, vec![first.clone()]).await;
    let is_conflict = |o: Vec<PushOutcome>| matches!(o[..], [PushOutcome::Conflict { .. }]);
    assert!(is_conflict(app.push_ok(&officer, vec![copy.clone()]).await));
    // The copy's hash as the old server kept it.
    app.set_stored_hash("record_conflicts", first.id, &old_hash)
        .await;
    assert!(is_conflict(app.push_ok(&officer, vec![copy]).await));
    let kept = app.conflicts_kept(first.id).await;
    assert_eq!(kept, 1);
    let admin = app.login("admin").await;
    let audited = app
        .audit(
            &admin,
            &format!("entity_id={}&action=record.conflict", first.id),
        )
        .await;
    assert_eq!(audited.len(), 1);
}

#[tokio::test]
async fn on_postgresql_pushes_cut_off_by_the_database_ending_its_sessions_are_stored_once_when_sent_again(
) {
    let app = spawn_app().await;
    if app.state.db.backend != server::db::Backend::Postgres {
        // A SQLite connection is a file handle; nothing ends it from outside.
        return;
    }
    let lan = app.login("totruong").await;
    let group = own_group(&app, &lan).await;
    let reports: Vec<RecordEnvelope> = (0..40).map(|_| valid_report(group)).collect();
    let before = app.total_records().await;

    // While the pushes go in, the database ends every session of the app again and again, as a
    // restart or a failover would at any moment: mid-transaction, at the commit, mid-answer.
    let (mut admin, name) = app.postgres_admin().await;
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let killer = {
        let done = done.clone();
        tokio::spawn(async move {
            let mut ended = 0;
            while !done.load(std::sync::atomic::Ordering::SeqCst) {
                let answers = crate::helpers::end_sessions(&mut admin, &name).await;
                ended += answers.iter().filter(|e| **e).count();
                // The pace of the faults, not a wait for a condition.
                tokio::time::sleep(std::time::Duration::from_millis(40)).await;
            }
            ended
        })
    };
    let first: Vec<(StatusCode, Option<PushOutcome>)> = {
        use futures_util::StreamExt;
        futures_util::stream::iter(reports.iter().cloned())
            .map(|r| {
                let (app, lan) = (&app, &lan);
                async move {
                    let resp = app.push(lan, vec![r.clone()]).await;
                    let status = resp.status();
                    if status == StatusCode::OK {
                        (status, push_outcomes(&[r], resp).await.pop())
                    } else {
                        (status, None)
                    }
                }
            })
            .buffered(8)
            .collect()
            .await
    };
    done.store(true, std::sync::atomic::Ordering::SeqCst);
    let ended = killer.await.unwrap();
    assert!(
        ended > 0,
        "no session of the app was ended during the pushes"
    );
    for (status, outcome) in &first {
        assert!(
            status.is_server_error() || *outcome == Some(PushOutcome::Accepted),
            "a push cut off answers a server error or is accepted whole: {status} {outcome:?}"
        );
    }

    // The phone sends again what was not acknowledged, and, to be sure, what was: each record
    // is stored once. A connection the database ended fails at most one request before the
    // pool drops it, so a few attempts are enough.
    for (report, (_, outcome)) in reports.iter().zip(&first) {
        let mut answer = None;
        for _ in 0..20 {
            let resp = app.push(&lan, vec![report.clone()]).await;
            if resp.status() == StatusCode::OK {
                answer = push_outcomes(std::slice::from_ref(report), resp)
                    .await
                    .pop();
                break;
            }
            assert!(resp.status().is_server_error(), "{}", resp.status());
        }
        let answer = answer.expect("the push went through within 20 attempts");
        if outcome.is_some() {
            assert_eq!(
                answer,
                PushOutcome::Duplicate,
                "acknowledged, then sent again"
            );
        } else {
            assert!(
                answer == PushOutcome::Accepted || answer == PushOutcome::Duplicate,
                "{answer:?}"
            );
        }
        assert_eq!(app.stored_count(report.id).await, 1, "stored once");
    }
    assert_eq!(app.total_records().await, before + reports.len() as i64);
}
