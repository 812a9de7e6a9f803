//! Form definitions: administrators publish them, the server gives the versions, a published
//! version never changes, a refused file says where and what in the caller's language, and a new
//! version reaches the phones while records made on an older one stay valid.

use std::path::Path;

use domain::form::{FormDef, NEIGHBORHOOD_REPORT};
use domain::sync::{Change, PushOutcome};
use domain::validate::Violation;
use domain::Lang;
use reqwest::header::{ACCEPT_LANGUAGE, CONTENT_TYPE};
use reqwest::{Method, Response, StatusCode};
use serde_json::{json, Value};
use server::forms::{FormVersions, Published};

use crate::helpers::{expect_error, own_group, spawn_app, valid_report, TestApp};

const STRAY: &str = "stray_dog_report";

fn label(vi: &str, en: &str) -> Value {
    json!({ "vi": vi, "en": en })
}

/// A small valid definition of a form the server does not have.
fn stray_dog_report() -> Value {
    json!({
        "key": STRAY,
        "title": label("Báo chó thả rông", "Stray dog report"),
        "filed_by": ["group_leader", "officer"],
        "fields": [
            {"key": "location", "type": "text", "required": true, "label": label("Địa điểm", "Location")},
            {"key": "count", "type": "integer", "min": 1, "label": label("Số con", "How many")},
            {"key": "bit_someone", "type": "yes_no", "label": label("Có cắn người?", "Bit someone?")},
            {"key": "victim", "type": "text", "show_if": "bit_someone = true",
             "label": label("Người bị cắn", "Who was bitten")}
        ]
    })
}

/// The built-in neighborhood report with one more optional field, `witness_name`; no version.
fn neighborhood_report_v2() -> Value {
    let builtin = FormDef::builtin()
        .into_iter()
        .find(|f| f.key == NEIGHBORHOOD_REPORT)
        .expect("the neighborhood report is built in");
    let mut def = serde_json::to_value(builtin).unwrap();
    def.as_object_mut().unwrap().remove("version");
    def["fields"].as_array_mut().unwrap().push(json!({
        "key": "witness_name", "type": "text", "max_len": 100,
        "label": label("Người chứng kiến", "Witness")
    }));
    def
}

/// `POST /api/forms` with `body` as the definition file, answered in `lang`.
async fn publish_raw(app: &TestApp, token: Option<&str>, body: String, lang: &str) -> Response {
    app.request(Method::POST, "/api/forms", token)
        .header(CONTENT_TYPE, "application/json")
        .header(ACCEPT_LANGUAGE, lang)
        .body(body)
        .send()
        .await
        .expect("publish request")
}

/// Publishes `def` as `token`, expects `status`, returns the answer.
async fn publish(app: &TestApp, token: &str, def: &Value, status: StatusCode) -> Published {
    let resp = publish_raw(app, Some(token), def.to_string(), "vi").await;
    let got = resp.status();
    let text = resp.text().await.unwrap();
    assert_eq!(got, status, "publish answered {got}: {text}");
    serde_json::from_str(&text).expect("the publication answer")
}

/// `GET /api/forms/{key}/{version}`: the status and the body text.
async fn definition(app: &TestApp, token: &str, key: &str, version: u32) -> (StatusCode, String) {
    let resp = app.get(token, &format!("/api/forms/{key}/{version}")).await;
    (resp.status(), resp.text().await.unwrap())
}

async fn form_list(app: &TestApp, token: &str) -> Vec<FormVersions> {
    let resp = app.get(token, "/api/forms").await;
    assert_eq!(resp.status(), StatusCode::OK, "form list");
    resp.json().await.expect("form list")
}

/// How many versions of `key` are stored.
async fn stored_versions(app: &TestApp, key: &str) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM forms WHERE form_key = $1")
        .bind(key)
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap()
}

fn published(key: &str, version: u32, unchanged: bool) -> Published {
    Published {
        key: key.into(),
        version,
        unchanged,
    }
}

// ---------------------------------------------------------------------------------------------
// Publishing
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn an_administrator_publishes_a_new_form_as_version_1_and_a_changed_one_as_version_2() {
    let app = spawn_app().await;
    let admin = app.login_full("admin").await;
    let token = admin.token.as_str();
    let v1 = stray_dog_report();
    assert_eq!(
        publish(&app, token, &v1, StatusCode::CREATED).await,
        published(STRAY, 1, false)
    );
    let (status, v1_text) = definition(&app, token, STRAY, 1).await;
    assert_eq!(status, StatusCode::OK, "{v1_text}");
    let stored = FormDef::parse(&v1_text).expect("the stored definition reads back");
    let mut sent = FormDef::parse(&v1.to_string()).unwrap();
    sent.version = 1;
    assert_eq!(stored, sent);

    let mut v2 = stray_dog_report();
    v2["fields"].as_array_mut().unwrap().push(json!({
        "key": "photos", "type": "photo", "max_count": 2, "label": label("Ảnh", "Photos")
    }));
    assert_eq!(
        publish(&app, token, &v2, StatusCode::CREATED).await,
        published(STRAY, 2, false)
    );
    let (status, v2_text) = definition(&app, token, STRAY, 2).await;
    assert_eq!(status, StatusCode::OK);
    let stored_v2 = FormDef::parse(&v2_text).unwrap();
    assert_eq!(stored_v2.version, 2);
    assert!(stored_v2.field("photos").is_some());

    // Version 1 is still there, exactly as it was, for anyone signed in.
    for reader in ["admin", "canbo", "totruong"] {
        let reader = app.login(reader).await;
        assert_eq!(
            definition(&app, &reader, STRAY, 1).await,
            (StatusCode::OK, v1_text.clone())
        );
    }

    let (actor, detail): (Option<i64>, String) = sqlx::query_as(
        "SELECT actor_id, detail FROM audit_log WHERE action = 'form.publish' AND entity_id = $1",
    )
    .bind(format!("{STRAY}@2"))
    .fetch_one(&app.state.db.pool)
    .await
    .expect("the publication is in the audit trail");
    assert_eq!((actor, detail.as_str()), (Some(admin.me.user_id), "api"));
}

#[tokio::test]
async fn publishing_the_same_definition_again_stores_nothing_and_says_unchanged() {
    let app = spawn_app().await;
    let admin = app.login("admin").await;
    let def = stray_dog_report();
    publish(&app, &admin, &def, StatusCode::CREATED).await;
    assert_eq!(
        publish(&app, &admin, &def, StatusCode::OK).await,
        published(STRAY, 1, true)
    );
    // The file's own version is ignored, whatever it says.
    let mut claims_seven = def.clone();
    claims_seven["version"] = json!(7);
    assert_eq!(
        publish(&app, &admin, &claims_seven, StatusCode::OK).await,
        published(STRAY, 1, true)
    );
    assert_eq!(stored_versions(&app, STRAY).await, 1);

    claims_seven["title"] = label("Báo chó, mèo thả rông", "Stray dog or cat report");
    assert_eq!(
        publish(&app, &admin, &claims_seven, StatusCode::CREATED).await,
        published(STRAY, 2, false)
    );
    let (_, text) = definition(&app, &admin, STRAY, 2).await;
    assert_eq!(FormDef::parse(&text).unwrap().version, 2);

    // A built-in form published again as it is: nothing new either.
    let mut builtin = neighborhood_report_v2();
    builtin["fields"].as_array_mut().unwrap().pop();
    assert_eq!(
        publish(&app, &admin, &builtin, StatusCode::OK).await,
        published(NEIGHBORHOOD_REPORT, 1, true)
    );
    assert_eq!(stored_versions(&app, NEIGHBORHOOD_REPORT).await, 1);
}

/// A field of `stray_dog_report` replaced, for the refusal cases.
fn with_fields(fields: Value) -> String {
    let mut def = stray_dog_report();
    def["fields"] = fields;
    def.to_string()
}

#[tokio::test]
async fn refused_definitions_name_the_place_and_the_problem_in_the_callers_language() {
    let app = spawn_app().await;
    let admin = app.login("admin").await;
    let text = |key: &str, show_if: &str| {
        let mut f = json!({"key": key, "type": "text", "label": label("Nhãn", "Label")});
        if !show_if.is_empty() {
            f["show_if"] = json!(show_if);
        }
        f
    };
    // (case, file, path, the message in English, in Vietnamese)
    let cases = [
        (
            "unknown field type",
            with_fields(json!([text("location", ""),
                {"key": "colour", "type": "hologram", "label": label("Màu", "Colour")}])),
            "colour",
            "Field “colour”: there is no type “hologram”; types are: text, long_text,",
            "Mục «colour»: không có loại «hologram»; các loại: text, long_text,",
        ),
        (
            "unknown type inside a repeat group",
            with_fields(
                json!([{"key": "dogs", "type": "repeat", "label": label("Chó", "Dogs"),
                "fields": [{"key": "colour", "type": "hologram", "label": label("Màu", "Colour")}]}]),
            ),
            "dogs.colour",
            "Field “dogs.colour”: there is no type “hologram”",
            "Mục «dogs.colour»: không có loại «hologram»",
        ),
        (
            "duplicate key",
            with_fields(json!([text("location", ""), text("location", "")])),
            "location",
            "Field “location”: key “location” is used twice",
            "Mục «location»: khóa «location» bị dùng hai lần",
        ),
        (
            "circular conditions",
            with_fields(json!([
                text("location", ""),
                text("a", "filled(b)"),
                text("b", "filled(a)")
            ])),
            "a",
            "Field “a”: conditions go round in a circle: a → b → a",
            "Mục «a»: điều kiện hiển thị vòng tròn: a → b → a",
        ),
        (
            "condition naming a missing field",
            with_fields(json!([
                text("location", ""),
                text("victim", "bitten = true")
            ])),
            "victim",
            "Field “victim”: the condition refers to “bitten”, which is not a field of the form",
            "Mục «victim»: điều kiện nhắc tới mục «bitten» không có trong biểu mẫu",
        ),
        (
            "malformed JSON",
            r#"{"key": "stray_dog_report", "title": "#.to_owned(),
            "",
            "Form: the file is not valid JSON (",
            "Biểu mẫu: tệp không phải JSON hợp lệ (",
        ),
    ];
    for (case, file, path, en, vi) in cases {
        let refusal = FormDef::parse(&file).expect_err(case);
        for (lang, code, start) in [("en", Lang::En, en), ("vi", Lang::Vi, vi)] {
            let resp = publish_raw(&app, Some(&admin), file.clone(), lang).await;
            let err = expect_error(resp, StatusCode::UNPROCESSABLE_ENTITY, "invalid_form").await;
            assert!(
                err.message.starts_with(start),
                "{case} ({lang}): {}",
                err.message
            );
            assert_eq!(err.message, refusal.message(code), "{case} ({lang})");
            assert_eq!(err.fields.len(), 1, "{case}: {:?}", err.fields);
            assert_eq!(err.fields[0].field, path, "{case}");
            assert_eq!(err.fields[0].message, err.message, "{case}");
            // Re-rendered from the entry alone, the message is the same in either language.
            assert_eq!(err.fields[0].violation.message(code), err.message, "{case}");
        }
    }
    // Without Accept-Language, Vietnamese.
    let resp = app
        .request(Method::POST, "/api/forms", Some(&admin))
        .header(CONTENT_TYPE, "application/json")
        .body(with_fields(json!([
            text("location", ""),
            text("location", "")
        ])))
        .send()
        .await
        .unwrap();
    let err = expect_error(resp, StatusCode::UNPROCESSABLE_ENTITY, "invalid_form").await;
    assert_eq!(
        err.message,
        "Mục «location»: khóa «location» bị dùng hai lần"
    );
    assert_eq!(
        stored_versions(&app, STRAY).await,
        0,
        "nothing refused is stored"
    );
}

#[tokio::test]
async fn only_administrators_may_publish_forms() {
    let app = spawn_app().await;
    let def = stray_dog_report().to_string();
    for user in ["truongcong", "canbo", "totruong"] {
        let token = app.login(user).await;
        let resp = publish_raw(&app, Some(&token), def.clone(), "vi").await;
        let err = expect_error(resp, StatusCode::FORBIDDEN, "forbidden").await;
        assert_eq!(err.message, "Bạn không có quyền làm việc này.", "{user}");
        let resp = publish_raw(&app, Some(&token), def.clone(), "en").await;
        let err = expect_error(resp, StatusCode::FORBIDDEN, "forbidden").await;
        assert_eq!(err.message, "You are not allowed to do this.", "{user}");
    }
    let resp = publish_raw(&app, None, def.clone(), "en").await;
    let err = expect_error(resp, StatusCode::UNAUTHORIZED, "unauthenticated").await;
    assert_eq!(err.message, "Please sign in.");
    let resp = publish_raw(&app, Some("not-a-session"), def, "vi").await;
    expect_error(resp, StatusCode::UNAUTHORIZED, "unauthenticated").await;
    assert_eq!(stored_versions(&app, STRAY).await, 0);
}

#[tokio::test]
async fn a_definition_must_be_sent_as_json() {
    let app = spawn_app().await;
    let admin = app.login("admin").await;
    let resp = app
        .request(Method::POST, "/api/forms", Some(&admin))
        .header(CONTENT_TYPE, "text/plain")
        .header(ACCEPT_LANGUAGE, "en")
        .body(stray_dog_report().to_string())
        .send()
        .await
        .unwrap();
    let err = expect_error(
        resp,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
    )
    .await;
    assert_eq!(err.message, "The body must be JSON.");
    assert_eq!(stored_versions(&app, STRAY).await, 0);
}

#[tokio::test]
async fn concurrent_publications_of_one_form_get_distinct_consecutive_versions() {
    let app = spawn_app().await;
    let admin = app.login("admin").await;
    let mut tasks = tokio::task::JoinSet::new();
    for n in 1..=6 {
        let mut def = stray_dog_report();
        def["title"] = label(
            &format!("Báo chó thả rông {n}"),
            &format!("Stray dog report {n}"),
        );
        let req = app
            .request(Method::POST, "/api/forms", Some(&admin))
            .header(CONTENT_TYPE, "application/json")
            .body(def.to_string());
        tasks.spawn(async move {
            let resp = req.send().await.expect("publish request");
            let status = resp.status();
            let text = resp.text().await.unwrap();
            assert_eq!(status, StatusCode::CREATED, "{text}");
            serde_json::from_str::<Published>(&text).unwrap().version
        });
    }
    let mut versions = tasks.join_all().await;
    versions.sort_unstable();
    assert_eq!(versions, [1, 2, 3, 4, 5, 6]);
    assert_eq!(stored_versions(&app, STRAY).await, 6);
}

// ---------------------------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn administrators_supervisors_and_officers_list_every_form_with_its_versions_newest_first() {
    let app = spawn_app().await;
    let admin = app.login("admin").await;
    publish(&app, &admin, &neighborhood_report_v2(), StatusCode::CREATED).await;
    publish(&app, &admin, &stray_dog_report(), StatusCode::CREATED).await;

    for reader in ["admin", "truongcong", "canbo"] {
        let token = app.login(reader).await;
        let list = form_list(&app, &token).await;
        let keys: Vec<&str> = list.iter().map(|f| f.key.as_str()).collect();
        let mut expected: Vec<String> = FormDef::builtin().into_iter().map(|f| f.key).collect();
        expected.push(STRAY.into());
        expected.sort();
        assert_eq!(keys, expected, "{reader}");
        let report = list.iter().find(|f| f.key == NEIGHBORHOOD_REPORT).unwrap();
        let versions: Vec<u32> = report.versions.iter().map(|v| v.version).collect();
        assert_eq!(versions, [2, 1]);
        assert!(report.versions[0].published_at >= report.versions[1].published_at);
        assert_eq!(report.title.vi, "Tin báo / phản ánh");
        let stray = list.iter().find(|f| f.key == STRAY).unwrap();
        assert_eq!(stray.title.en, "Stray dog report");
        assert_eq!(stray.versions.len(), 1);
    }
    {
        let token = app.login("totruong").await;
        let resp = app.get(&token, "/api/forms").await;
        expect_error(resp, StatusCode::FORBIDDEN, "forbidden").await;
    }
    let resp = app
        .request(Method::GET, "/api/forms", None)
        .send()
        .await
        .unwrap();
    expect_error(resp, StatusCode::UNAUTHORIZED, "unauthenticated").await;
}

#[tokio::test]
async fn a_version_that_was_never_published_is_not_found() {
    let app = spawn_app().await;
    let officer = app.login("canbo").await;
    for path in [
        "/api/forms/neighborhood_report/2",
        "/api/forms/ghost_form/1",
    ] {
        let resp = app.get(&officer, path).await;
        expect_error(resp, StatusCode::NOT_FOUND, "not_found").await;
    }
    let resp = app
        .get(&officer, "/api/forms/neighborhood_report/latest")
        .await;
    expect_error(resp, StatusCode::BAD_REQUEST, "bad_request").await;
    let resp = app
        .request(Method::GET, "/api/forms/neighborhood_report/1", None)
        .send()
        .await
        .unwrap();
    expect_error(resp, StatusCode::UNAUTHORIZED, "unauthenticated").await;
    let (status, text) = definition(&app, &officer, NEIGHBORHOOD_REPORT, 1).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(FormDef::parse(&text).unwrap().version, 1);
}

// ---------------------------------------------------------------------------------------------
// Phones and records
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_new_version_reaches_the_phone_through_pull() {
    let app = spawn_app().await;
    let lan = app.login("totruong").await;
    let admin = app.login("admin").await;
    let cursor = app.pull(&lan, 0).await.cursor;

    publish(&app, &admin, &neighborhood_report_v2(), StatusCode::CREATED).await;
    let page = app.pull(&lan, cursor).await;
    assert!(!page.reset && !page.more);
    let [Change::Form { form }] = page.changes.as_slice() else {
        panic!("expected the new version alone: {:?}", page.changes);
    };
    assert_eq!((form.key.as_str(), form.version), (NEIGHBORHOOD_REPORT, 2));
    assert!(form.field("witness_name").is_some());

    // Publishing it again changes nothing, so the phone has nothing new to pull.
    publish(&app, &admin, &neighborhood_report_v2(), StatusCode::OK).await;
    let again = app.pull(&lan, page.cursor).await;
    assert!(again.changes.is_empty(), "{:?}", again.changes);
    assert_eq!(again.cursor, page.cursor);
}

#[tokio::test]
async fn a_record_made_on_version_1_is_still_accepted_after_version_2_is_published() {
    let app = spawn_app().await;
    let lan = app.login("totruong").await;
    let boss = app.login("truongcong").await;
    let admin = app.login("admin").await;
    let group = own_group(&app, &lan).await;
    // Filled in on the phone while it knew only version 1, and sent after version 2 came out.
    let old = valid_report(group);
    assert_eq!(old.form_version, 1);

    assert_eq!(
        publish(&app, &admin, &neighborhood_report_v2(), StatusCode::CREATED).await,
        published(NEIGHBORHOOD_REPORT, 2, false)
    );

    assert_eq!(
        app.push_ok(&lan, vec![old.clone()]).await,
        [PushOutcome::Accepted]
    );
    let stored = app.record(&boss, old.id).await;
    assert_eq!(stored.summary.form_version, 1);
    assert_eq!(stored.data, old.data);

    let mut new = valid_report(group);
    new.form_version = 2;
    new.data
        .insert("witness_name".into(), json!("Ông Trần Văn Bình"));
    assert_eq!(
        app.push_ok(&lan, vec![new.clone()]).await,
        [PushOutcome::Accepted]
    );
    let stored = app.record(&boss, new.id).await;
    assert_eq!(stored.summary.form_version, 2);
    assert_eq!(stored.data["witness_name"], "Ông Trần Văn Bình");

    // Version 1 does not have the new field: a version-1 record using it is refused.
    let mut mixed = valid_report(group);
    mixed
        .data
        .insert("witness_name".into(), json!("Ông Trần Văn Bình"));
    let outcomes = app.push_ok(&lan, vec![mixed]).await;
    let PushOutcome::Rejected { errors, .. } = &outcomes[0] else {
        panic!("expected a rejection: {outcomes:?}");
    };
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(
        (errors[0].field.as_str(), &errors[0].violation),
        ("witness_name", &Violation::UnknownField)
    );
}

#[tokio::test]
async fn a_restart_adds_no_built_in_version_beside_an_administrators() {
    let app = spawn_app().await;
    let admin = app.login("admin").await;
    publish(&app, &admin, &neighborhood_report_v2(), StatusCode::CREATED).await;

    let app = app.restart().await;
    let list = form_list(&app, &admin).await;
    for form in &list {
        let versions: Vec<u32> = form.versions.iter().map(|v| v.version).collect();
        let expected: &[u32] = if form.key == NEIGHBORHOOD_REPORT {
            &[2, 1]
        } else {
            &[1]
        };
        assert_eq!(versions, expected, "{}", form.key);
    }
    assert_eq!(list.len(), FormDef::builtin().len());
}

// ---------------------------------------------------------------------------------------------
// Command line
// ---------------------------------------------------------------------------------------------

fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

#[tokio::test]
async fn the_command_line_publishes_with_the_same_rules_and_errors() {
    let app = spawn_app().await;
    let admin = app.login("admin").await;
    let dir = tempfile::tempdir().unwrap();
    // The command opens the database on its own, beside the running server.
    let db = server::cli::open(&app.database_url)
        .await
        .expect("the command opens the database");
    let file = write(dir.path(), "stray.json", &stray_dog_report().to_string());

    assert_eq!(
        server::cli::form_publish(&db, &file, Lang::En).await,
        Ok(format!("published {STRAY} version 1"))
    );
    assert_eq!(
        server::cli::form_publish(&db, &file, Lang::En).await,
        Ok(format!("unchanged: {STRAY} is already version 1"))
    );
    assert_eq!(
        server::cli::form_publish(&db, &file, Lang::Vi).await,
        Ok(format!("không đổi: {STRAY} đã là phiên bản 1"))
    );
    let mut changed = stray_dog_report();
    changed["title"] = label("Báo chó, mèo thả rông", "Stray dog or cat report");
    let changed = write(dir.path(), "stray-2.json", &changed.to_string());
    assert_eq!(
        server::cli::form_publish(&db, &changed, Lang::Vi).await,
        Ok(format!("đã xuất bản {STRAY} phiên bản 2"))
    );
    // The server sees what the command published.
    let (status, text) = definition(&app, &admin, STRAY, 2).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        FormDef::parse(&text).unwrap().title.en,
        "Stray dog or cat report"
    );

    let bad_text = with_fields(
        json!([{"key": "colour", "type": "hologram", "label": label("Màu", "Colour")}]),
    );
    let bad = write(dir.path(), "bad.json", &bad_text);
    let refusal = FormDef::parse(&bad_text).unwrap_err();
    let err = server::cli::form_publish(&db, &bad, Lang::En)
        .await
        .unwrap_err();
    assert_eq!(
        err,
        format!("{}: {}", bad.display(), refusal.message(Lang::En))
    );
    assert!(
        err.contains(": Field “colour”: there is no type “hologram”"),
        "{err}"
    );
    let err = server::cli::form_publish(&db, &bad, Lang::Vi)
        .await
        .unwrap_err();
    assert!(
        err.contains(": Mục «colour»: không có loại «hologram»"),
        "{err}"
    );

    let missing = dir.path().join("missing.json");
    let err = server::cli::form_publish(&db, &missing, Lang::En)
        .await
        .unwrap_err();
    assert!(
        err.starts_with(&format!("cannot read {}: ", missing.display())),
        "{err}"
    );
    assert_eq!(stored_versions(&app, STRAY).await, 2);

    let listing = server::cli::form_list(&db, Lang::En).await.unwrap();
    assert!(
        listing.contains(&format!(
            "{STRAY} — Stray dog or cat report\n  version 2  published "
        )),
        "{listing}"
    );
    assert!(
        listing.contains("neighborhood_report — Neighborhood report\n  version 1  published "),
        "{listing}"
    );
    assert!(listing.contains(" (UTC+7)"), "{listing}");

    let (actor, detail): (Option<i64>, String) = sqlx::query_as(
        "SELECT actor_id, detail FROM audit_log WHERE action = 'form.publish' AND entity_id = $1",
    )
    .bind(format!("{STRAY}@1"))
    .fetch_one(&app.state.db.pool)
    .await
    .unwrap();
    assert_eq!((actor, detail.as_str()), (None, "command line"));
    db.close().await;
}
