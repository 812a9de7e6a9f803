//! Exports of the queue's records: made in the background, downloaded by whoever asked, opened
//! here as their users would open them (a workbook read back with calamine, the zip's CSV files
//! parsed and joined, GeoJSON parsed by the georust crate).

use std::collections::{BTreeSet, HashMap};
use std::io::{Cursor, Read};
use std::time::{Duration, Instant};

use calamine::{Data, Reader, Xlsx};
use domain::api::{ExportJob, ExportState};
use domain::form::FormDef;
use domain::record::RecordEnvelope;
use domain::sync::PushOutcome;
use reqwest::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::helpers::{expect_error, spawn_app, valid_report, TestApp};

/// Asks for an export and gives the job as the server answered (202).
pub async fn start(app: &TestApp, token: &str, query: &str) -> ExportJob {
    let resp = app
        .request(Method::POST, &format!("/api/exports?{query}"), Some(token))
        .send()
        .await
        .unwrap();
    let status = resp.status();
    assert_eq!(
        status,
        StatusCode::ACCEPTED,
        "{}",
        resp.text().await.unwrap()
    );
    resp.json().await.unwrap()
}

/// Polls the job until it is done (failing the test if it fails or takes over a minute).
pub async fn wait_done(app: &TestApp, token: &str, id: Uuid) -> ExportJob {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let resp = app.get(token, &format!("/api/exports/{id}")).await;
        assert_eq!(resp.status(), StatusCode::OK);
        let job: ExportJob = resp.json().await.unwrap();
        match job.state {
            ExportState::Done => return job,
            ExportState::Failed => panic!("export failed: {:?}", job.error),
            ExportState::Running => {}
        }
        assert!(
            Instant::now() < deadline,
            "export not done in a minute: {job:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A job row as a running export leaves it: 100 records, `done` written, its heartbeat at `at`.
async fn running_job(app: &TestApp, id: Uuid, user_id: i64, done: i64, at: i64) {
    sqlx::query(
        "INSERT INTO exports (id, user_id, format, filter, file_name, state, total, done, \
                              created_at, heartbeat) \
         VALUES ($1, $2, 'xlsx', '', 'x.xlsx', 'running', 100, $3, $4, $4)",
    )
    .bind(id.to_string())
    .bind(user_id)
    .bind(done)
    .bind(at)
    .execute(&app.state.db.pool)
    .await
    .unwrap();
}

/// Exports with `query` and downloads the file: (job, content type, bytes).
async fn export(app: &TestApp, token: &str, query: &str) -> (ExportJob, String, Vec<u8>) {
    let job = start(app, token, query).await;
    let job = wait_done(app, token, job.id).await;
    let resp = app
        .get(token, &format!("/api/exports/{}/file", job.id))
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let header = |name| {
        resp.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned()
    };
    let disposition = header(CONTENT_DISPOSITION);
    assert_eq!(
        disposition,
        format!("attachment; filename=\"{}\"", job.file_name)
    );
    assert_eq!(header(reqwest::header::CACHE_CONTROL), "no-store");
    let content_type = header(CONTENT_TYPE);
    let bytes = resp.bytes().await.unwrap().to_vec();
    assert_eq!(job.bytes, Some(bytes.len() as u64));
    (job, content_type, bytes)
}

fn form(key: &str) -> FormDef {
    FormDef::builtin()
        .into_iter()
        .find(|f| f.key == key)
        .unwrap()
}

fn choice_label(form: &FormDef, field: &str, value: &str) -> String {
    form.fields
        .iter()
        .chain(form.fields.iter().flat_map(|f| match &f.kind {
            domain::form::FieldKind::Repeat { fields, .. } => fields.as_slice(),
            _ => &[],
        }))
        .find(|f| f.key == field)
        .and_then(|f| match &f.kind {
            domain::form::FieldKind::SingleChoice { choices }
            | domain::form::FieldKind::MultipleChoice { choices, .. } => {
                choices.iter().find(|c| c.value == value)
            }
            _ => None,
        })
        .map(|c| c.label.vi.clone())
        .unwrap_or_else(|| panic!("{field}={value} is a choice"))
}

/// A field visit log with a GPS point and `people` met (the repeat group).
pub(crate) fn visit(group: i64, people: Value, lat: f64) -> RecordEnvelope {
    RecordEnvelope {
        id: Uuid::now_v7(),
        form_key: "field_visit".into(),
        form_version: 1,
        group_id: group,
        created_at: "2026-11-25T08:35:00+07:00".into(),
        data: json!({
            "visit_type": "patrol",
            "started_at": "2026-11-25T08:00",
            "address": "Ngõ 5 Nhật Tân",
            "position": {"lat": lat, "lon": 105.8241, "accuracy_m": 8.0,
                         "at": "2026-11-25T08:01:00+07:00"},
            "people_met": people,
            "findings": "Tình hình bình thường.",
            "issues_found": true,
            "issue_kinds": ["drugs", "gambling"],
            "follow_up_needed": false,
            "officer": "Cán bộ Nhật Tân"
        })
        .as_object()
        .unwrap()
        .clone(),
        revision: None,
    }
}

/// Nhật Tân's records: two visits (one with two people met, one a formula in a name), one
/// report. Gives (first visit, second visit, report).
async fn file_records(app: &TestApp) -> (RecordEnvelope, RecordEnvelope, RecordEnvelope) {
    let officer = app.login("canbo").await;
    let group = app.ward_groups(&officer).await[0];
    let first = visit(
        group,
        json!([
            {"name": "Nguyễn Văn An", "role": "resident", "phone": "0912345678"},
            {"name": "=HYPERLINK(\"http://x\")", "role": "business_owner"}
        ]),
        21.0812,
    );
    let second = visit(group, json!([]), 21.0799);
    let outcomes = app
        .push_ok(&officer, vec![first.clone(), second.clone()])
        .await;
    assert_eq!(outcomes, [PushOutcome::Accepted, PushOutcome::Accepted]);
    let leader = app.login("totruong").await;
    let report = valid_report(crate::helpers::own_group(app, &leader).await);
    assert_eq!(
        app.push_ok(&leader, vec![report.clone()]).await,
        [PushOutcome::Accepted]
    );
    (first, second, report)
}

fn text(d: &Data) -> String {
    match d {
        Data::String(s) => s.clone(),
        Data::Empty => String::new(),
        other => other.to_string(),
    }
}

#[tokio::test]
async fn an_xlsx_export_has_a_sheet_per_form_and_per_repeat_group_headed_by_the_forms_labels() {
    let app = spawn_app().await;
    let (first, second, report) = file_records(&app).await;
    let boss = app.login("truongcong").await;
    let (job, content_type, bytes) = export(&app, &boss, "format=xlsx").await;
    assert_eq!(
        content_type,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    assert_eq!((job.total, job.done), (3, 3));
    assert!(job.file_name.ends_with(".xlsx"), "{}", job.file_name);

    let mut book: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes)).unwrap();
    let visit_form = form("field_visit");
    let report_form = form("neighborhood_report");
    let visits = visit_form.title.vi.clone();
    let people_label = visit_form
        .fields
        .iter()
        .find(|f| f.key == "people_met")
        .unwrap()
        .label
        .vi
        .clone();
    let people_sheet: String = format!("{visits} - {people_label}")
        .chars()
        .take(31)
        .collect();
    let people_sheet = people_sheet.trim().to_owned();
    assert_eq!(
        book.sheet_names(),
        [
            visits.clone(),
            people_sheet.clone(),
            "Tin báo - phản ánh".to_owned()
        ]
    );
    assert_eq!(
        report_form.title.vi, "Tin báo / phản ánh",
        "a name Excel refuses, made fit"
    );

    // The visits: a header row of labels, then one row per record in the order received.
    let sheet = book.worksheet_range(&visits).unwrap();
    let rows: Vec<Vec<String>> = sheet.rows().map(|r| r.iter().map(text).collect()).collect();
    assert_eq!(rows.len(), 3, "{rows:?}");
    let col = |label: &str| {
        rows[0]
            .iter()
            .position(|h| h == label)
            .unwrap_or_else(|| panic!("no column {label:?} in {:?}", rows[0]))
    };
    for label in [
        "Mã hồ sơ",
        "Phường / xã",
        "Tổ dân phố",
        "Trạng thái",
        "Thời điểm lập",
        "Vị trí GPS (vĩ độ)",
        "Vị trí GPS (kinh độ)",
        &format!("{people_label} (số dòng)"),
    ] {
        col(label);
    }
    assert_eq!(rows[1][col("Mã hồ sơ")], first.id.to_string());
    assert_eq!(rows[2][col("Mã hồ sơ")], second.id.to_string());
    assert_eq!(rows[1][col("Phường / xã")], "Nhật Tân");
    // dd/mm/yyyy HH:MM on the ward's clock (the filing time: never before the account existed).
    let filed = &rows[1][col("Thời điểm lập")];
    assert!(
        filed.len() == 16 && filed.as_bytes()[2] == b'/' && filed.as_bytes()[13] == b':',
        "{filed}"
    );
    assert_eq!(
        rows[1][col("Loại công tác")],
        choice_label(&visit_form, "visit_type", "patrol")
    );
    assert_eq!(
        rows[1][col("Vấn đề phát hiện")],
        format!(
            "{}, {}",
            choice_label(&visit_form, "issue_kinds", "drugs"),
            choice_label(&visit_form, "issue_kinds", "gambling")
        )
    );
    assert_eq!(rows[1][col("Có phát hiện vấn đề về ANTT?")], "Có");
    let number = |r: usize, c: usize| match sheet.get((r, c)) {
        Some(Data::Float(f)) => *f,
        other => panic!("({r}, {c}) is not a number: {other:?}"),
    };
    assert_eq!(number(1, col("Vị trí GPS (vĩ độ)")), 21.0812);
    assert_eq!(number(1, col(&format!("{people_label} (số dòng)"))), 2.0);
    assert_eq!(number(2, col(&format!("{people_label} (số dòng)"))), 0.0);

    // The people met: one row each, joined to its record by id, numbered from 1; a name that
    // looks like a formula is text, never a formula.
    let people = book.worksheet_range(&people_sheet).unwrap();
    let rows: Vec<Vec<String>> = people
        .rows()
        .map(|r| r.iter().map(text).collect())
        .collect();
    assert_eq!(rows[0][..3], ["Mã hồ sơ", "Dòng", "Họ và tên"]);
    assert_eq!(rows.len(), 3, "{rows:?}");
    assert_eq!(rows[1][0], first.id.to_string());
    assert_eq!(rows[1][1], "1");
    assert_eq!(rows[1][2], "Nguyễn Văn An");
    assert_eq!(rows[2][1], "2");
    assert_eq!(rows[2][2], "=HYPERLINK(\"http://x\")");
    assert!(
        book.worksheet_formula(&people_sheet)
            .unwrap()
            .used_cells()
            .next()
            .is_none(),
        "no cell is a formula"
    );

    let reports = book.worksheet_range("Tin báo - phản ánh").unwrap();
    let rows: Vec<Vec<String>> = reports
        .rows()
        .map(|r| r.iter().map(text).collect())
        .collect();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[1][0], report.id.to_string());
    assert!(
        rows[1].contains(&"Số 12 ngõ 45 Nhật Tân".to_owned()),
        "{rows:?}"
    );
}

/// The files of a zip by name.
fn unzip(bytes: Vec<u8>) -> HashMap<String, String> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    let mut files = HashMap::new();
    for i in 0..zip.len() {
        let mut file = zip.by_index(i).unwrap();
        let mut text = String::new();
        file.read_to_string(&mut text).unwrap();
        files.insert(file.name().unwrap().into_owned(), text);
    }
    files
}

/// A CSV file's rows by header name.
fn csv_rows(text: &str) -> Vec<HashMap<String, String>> {
    let text = text
        .strip_prefix('\u{feff}')
        .expect("a byte-order mark, so spreadsheets read UTF-8");
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let headers = reader.headers().unwrap().clone();
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            headers
                .iter()
                .zip(r.iter())
                .map(|(h, v)| (h.to_owned(), v.to_owned()))
                .collect()
        })
        .collect()
}

#[tokio::test]
async fn a_csv_export_is_a_zip_of_a_file_per_form_and_repeat_group_whose_rows_join_on_record_id() {
    let app = spawn_app().await;
    let (first, second, report) = file_records(&app).await;
    let boss = app.login("truongcong").await;
    let (job, content_type, bytes) = export(&app, &boss, "format=csv").await;
    assert_eq!(content_type, "application/zip");
    assert!(job.file_name.ends_with(".csv.zip"), "{}", job.file_name);
    let files = unzip(bytes);
    assert_eq!(
        files.keys().cloned().collect::<BTreeSet<_>>(),
        BTreeSet::from([
            "field_visit.csv".to_owned(),
            "field_visit-people_met.csv".to_owned(),
            "neighborhood_report.csv".to_owned()
        ])
    );
    let visits = csv_rows(&files["field_visit.csv"]);
    let people = csv_rows(&files["field_visit-people_met.csv"]);
    let reports = csv_rows(&files["neighborhood_report.csv"]);
    assert_eq!(visits.len(), 2);
    assert_eq!(reports.len(), 1);
    assert_eq!(reports[0]["record_id"], report.id.to_string());
    assert_eq!(reports[0]["category"], "theft");

    // Stored values, for machines: choice values, GPS parts, booleans, local times with their
    // offset.
    let v = &visits[0];
    assert_eq!(v["record_id"], first.id.to_string());
    assert_eq!(visits[1]["record_id"], second.id.to_string());
    assert_eq!(v["visit_type"], "patrol");
    assert_eq!(v["issue_kinds"], "drugs gambling");
    assert_eq!(v["issues_found"], "true");
    assert_eq!(v["position.lat"], "21.0812");
    assert_eq!(v["position.lon"], "105.8241");
    let filed = &v["filed_at"];
    assert!(
        filed.len() == 22 && filed.ends_with("+07:00") && filed.as_bytes()[10] == b'T',
        "{filed}"
    );
    assert_eq!(v["status"], "received");
    assert_eq!(v["ward"], "Nhật Tân");
    assert_eq!(v["people_met"], "2");

    // The repeat group's rows join their records by id; the count column agrees.
    let ids: BTreeSet<&String> = visits.iter().map(|v| &v["record_id"]).collect();
    assert_eq!(people.len(), 2);
    for p in &people {
        assert!(ids.contains(&p["record_id"]), "{p:?} joins no record");
    }
    for v in &visits {
        let rows = people
            .iter()
            .filter(|p| p["record_id"] == v["record_id"])
            .count();
        assert_eq!(rows.to_string(), v["people_met"]);
    }
    assert_eq!(people[0]["name"], "Nguyễn Văn An");
    assert_eq!(people[0]["row"], "1");
    assert_eq!(people[0]["phone"], "0912345678");
    // A cell a spreadsheet would run as a formula is defused.
    assert_eq!(people[1]["name"], "'=HYPERLINK(\"http://x\")");
}

#[tokio::test]
async fn a_geojson_export_is_a_valid_feature_collection_with_a_point_per_gps_answer() {
    let app = spawn_app().await;
    let (first, second, _report) = file_records(&app).await;
    let boss = app.login("truongcong").await;
    let (_, content_type, bytes) = export(&app, &boss, "format=geojson").await;
    assert_eq!(content_type, "application/geo+json");
    let geo: geojson::GeoJson = String::from_utf8(bytes).unwrap().parse().unwrap();
    let geojson::GeoJson::FeatureCollection(fc) = geo else {
        panic!("not a FeatureCollection")
    };
    // The report has no GPS answer: two points, the visits'.
    assert_eq!(fc.features.len(), 2);
    for (feature, (record, lat)) in fc
        .features
        .iter()
        .zip([(&first, 21.0812), (&second, 21.0799)])
    {
        let Some(geojson::Geometry {
            value: geojson::GeometryValue::Point { coordinates: point },
            ..
        }) = &feature.geometry
        else {
            panic!("not a point: {feature:?}")
        };
        assert_eq!(point.as_slice(), [105.8241, lat], "[lon, lat]");
        let props = feature.properties.as_ref().unwrap();
        assert_eq!(props["record_id"], record.id.to_string());
        assert_eq!(props["form"], "field_visit");
        assert_eq!(props["field"], "position");
        assert_eq!(props["accuracy_m"], 8.0);
    }
}

#[tokio::test]
async fn an_export_keeps_to_the_queues_filter_and_the_callers_place() {
    let app = spawn_app().await;
    let (first, second, report) = file_records(&app).await;
    let boss = app.login("truongcong").await;
    let ids = |bytes: Vec<u8>| -> BTreeSet<String> {
        unzip(bytes)
            .iter()
            .filter(|(name, _)| name.ends_with(".csv"))
            .flat_map(|(_, text)| csv_rows(text))
            .filter(|r| !r.contains_key("row"))
            .map(|r| r["record_id"].clone())
            .collect()
    };
    let (job, _, bytes) = export(&app, &boss, "format=csv&form=neighborhood_report").await;
    assert_eq!(ids(bytes), BTreeSet::from([report.id.to_string()]));
    assert!(job.file_name.starts_with("wardbook-neighborhood_report-"));
    assert_eq!(job.filter, "form=neighborhood_report");
    let (_, _, bytes) = export(&app, &boss, "format=csv&q=hyperlink").await;
    assert_eq!(ids(bytes), BTreeSet::from([first.id.to_string()]));

    // Another ward's supervisor gets none of Nhật Tân's records.
    let other = app.login("truongxuanla").await;
    let (job, _, bytes) = export(&app, &other, "format=csv").await;
    assert_eq!(job.total, 0);
    // An empty zip says why it is empty.
    let files = unzip(bytes);
    assert_eq!(files.keys().collect::<Vec<_>>(), ["README.txt"]);
    assert!(files["README.txt"].contains("Không có hồ sơ"));

    // Provincial staff of Hà Nội export the whole province; of Huế, nothing of it.
    let admin = app.login("admin").await;
    let nhat_tan = app.ward_named(&admin, "Nhật Tân").await;
    app.create_user(
        &admin,
        &json!({"username": "tinh.hn", "display_name": "Công an thành phố",
                "role": "provincial", "province_id": nhat_tan.province_id,
                "password": crate::helpers::PASSWORD}),
    )
    .await;
    let province = app.login("tinh.hn").await;
    let (job, _, bytes) = export(&app, &province, "format=csv").await;
    assert_eq!(job.total, 3);
    assert_eq!(
        ids(bytes),
        BTreeSet::from([
            first.id.to_string(),
            second.id.to_string(),
            report.id.to_string()
        ])
    );
}

#[tokio::test]
async fn exports_are_audited_when_made_and_when_downloaded() {
    let app = spawn_app().await;
    file_records(&app).await;
    let boss = app.login("truongcong").await;
    let (job, _, _) = export(&app, &boss, "format=xlsx&status=received").await;
    let admin = app.login("admin").await;
    let made = app.audit(&admin, "action=export.create").await;
    assert_eq!(made.len(), 1);
    assert_eq!(made[0].entity_id, job.id.to_string());
    assert_eq!(made[0].actor.as_deref(), Some("truongcong"));
    let after = made[0].after.as_ref().unwrap();
    assert_eq!(after["format"], "xlsx");
    assert_eq!(after["filter"], "status=received");
    assert_eq!(after["records"], 3);
    let taken = app.audit(&admin, "action=export.download").await;
    assert_eq!(taken.len(), 1);
    assert_eq!(taken[0].entity_id, job.id.to_string());
    // The ward's supervisor sees both in their ward's trail.
    assert_eq!(app.audit(&boss, "action=export.create").await.len(), 1);
}

#[tokio::test]
async fn a_bad_format_or_filter_is_refused_in_the_callers_language_and_starts_nothing() {
    let app = spawn_app().await;
    let boss = app.login("truongcong").await;
    let long_search = format!("format=xlsx&q={}", "x".repeat(201));
    for query in ["", "format=pdf", &long_search] {
        let resp = app
            .request(Method::POST, &format!("/api/exports?{query}"), Some(&boss))
            .send()
            .await
            .unwrap();
        let body = expect_error(resp, StatusCode::UNPROCESSABLE_ENTITY, "validation").await;
        assert!(!body.message.is_empty());
        if query.is_empty() {
            // Vietnamese unless the caller asks otherwise.
            assert!(body.message.contains("định dạng"), "{}", body.message);
        }
    }
    let resp = app.get(&boss, "/api/exports").await;
    let jobs: Vec<ExportJob> = resp.json().await.unwrap();
    assert!(jobs.is_empty(), "{jobs:?}");
}

#[tokio::test]
async fn a_job_whose_server_stopped_shows_as_failed_and_serves_no_file() {
    let app = spawn_app().await;
    let boss = app.login("truongcong").await;
    let me = app.me(&boss).await;
    let id = Uuid::now_v7();
    let long_ago = server::now_ms() - 5 * 60_000;
    // What a server killed mid-export leaves: a running job whose heartbeat stopped.
    running_job(&app, id, me.user_id, 40, long_ago).await;
    let job: ExportJob = app
        .get(&boss, &format!("/api/exports/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(job.state, ExportState::Failed);
    assert!(
        job.error.as_deref().unwrap_or("").contains("gián đoạn"),
        "{job:?}"
    );
    let resp = app.get(&boss, &format!("/api/exports/{id}/file")).await;
    expect_error(resp, StatusCode::NOT_FOUND, "not_found").await;
    // Nor does it count against the person's running exports.
    for _ in 0..3 {
        start(&app, &boss, "format=geojson").await;
    }
}

#[tokio::test]
async fn only_a_persons_newest_exports_are_kept() {
    let app = spawn_app().await;
    let boss = app.login("truongcong").await;
    let mut ids = Vec::new();
    for _ in 0..=server::routes::exports::KEEP_PER_USER {
        let job = start(&app, &boss, "format=geojson").await;
        wait_done(&app, &boss, job.id).await;
        ids.push(job.id);
    }
    let listed: Vec<ExportJob> = app.get(&boss, "/api/exports").await.json().await.unwrap();
    assert_eq!(listed.len() as i64, server::routes::exports::KEEP_PER_USER);
    assert_eq!(listed[0].id, *ids.last().unwrap(), "newest first");
    let resp = app.get(&boss, &format!("/api/exports/{}", ids[0])).await;
    expect_error(resp, StatusCode::NOT_FOUND, "not_found").await;
    let resp = app
        .get(&boss, &format!("/api/exports/{}/file", ids[1]))
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
}

#[tokio::test]
async fn exports_older_than_a_day_are_removed_with_their_files_when_the_server_starts() {
    let app = crate::helpers::spawn_app_with_photo_dir().await;
    let boss = app.login("truongcong").await;
    let old = start(&app, &boss, "format=geojson").await;
    wait_done(&app, &boss, old.id).await;
    let fresh = start(&app, &boss, "format=csv").await;
    wait_done(&app, &boss, fresh.id).await;
    let dir = app.photo_dir().unwrap().to_owned();
    let file = |id: Uuid| dir.join(format!("exports/{id}"));
    assert!(file(old.id).exists() && file(fresh.id).exists());
    sqlx::query("UPDATE exports SET created_at = created_at - 2 * 86400000 WHERE id = $1")
        .bind(old.id.to_string())
        .execute(&app.state.db.pool)
        .await
        .unwrap();
    let app = app.restart().await;
    let boss = app.login("truongcong").await;
    assert!(!file(old.id).exists(), "the old file is gone");
    let resp = app.get(&boss, &format!("/api/exports/{}", old.id)).await;
    expect_error(resp, StatusCode::NOT_FOUND, "not_found").await;
    assert!(file(fresh.id).exists(), "a fresh one stays");
    let resp = app
        .get(&boss, &format!("/api/exports/{}/file", fresh.id))
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_person_with_three_exports_running_is_asked_to_wait_however_many_ask_at_once() {
    let app = spawn_app().await;
    let boss = app.login("truongcong").await;
    let me = app.me(&boss).await;
    // Three of this person's exports still building (their heartbeats fresh).
    let mut running = Vec::new();
    for _ in 0..server::routes::exports::MAX_RUNNING_PER_USER {
        let id = Uuid::now_v7();
        running.push(id);
        running_job(&app, id, me.user_id, 0, server::now_ms()).await;
    }
    // A file asked for before it is made: not ready, not "not found".
    let resp = app
        .get(&boss, &format!("/api/exports/{}/file", running[0]))
        .await;
    expect_error(resp, StatusCode::CONFLICT, "not_ready").await;
    let asks = (0..6).map(|_| {
        app.request(Method::POST, "/api/exports?format=csv", Some(&boss))
            .send()
    });
    for resp in futures_util::future::join_all(asks).await {
        let resp = resp.unwrap();
        assert_eq!(resp.headers()["retry-after"], "10");
        let body = expect_error(resp, StatusCode::TOO_MANY_REQUESTS, "exports_running").await;
        assert!(body.message.contains("3 lần xuất"), "{}", body.message);
    }
    let made = app
        .audit(&app.login("admin").await, "action=export.create")
        .await;
    assert!(made.is_empty(), "a refused export leaves nothing: {made:?}");
    // Someone else is not held up.
    let other = app.login("truongxuanla").await;
    start(&app, &other, "format=csv").await;
}

#[tokio::test]
async fn text_past_excels_cell_limit_and_a_title_of_emoji_still_make_a_workbook() {
    let app = spawn_app().await;
    let admin = app.login("admin").await;
    // A title of emoji, apostrophes at both ends and a control character; a label longer than
    // a cell holds.
    let title = format!("' 'Báo cáo\u{1} khẩn {}", "🚨".repeat(21));
    let huge_label = "🚨".repeat(17_000);
    let form = json!({
        "key": "long_notes", "title": {"vi": title, "en": "Long notes"}, "filed_by": ["officer"],
        "fields": [{"key": "notes", "type": "long_text", "max_len": 100000,
                    "label": {"vi": "Ghi chép", "en": "Notes"}},
                   {"key": "other", "type": "text",
                    "label": {"vi": huge_label, "en": "Other"}}]
    });
    let resp = app.post_json(&admin, "/api/forms", &form).await;
    assert!(resp.status().is_success(), "{}", resp.text().await.unwrap());
    let officer = app.login("canbo").await;
    let group = app.ward_groups(&officer).await[0];
    let notes = format!("Báo cáo 🚨 {}", "a".repeat(39_000));
    let record = RecordEnvelope {
        id: Uuid::now_v7(),
        form_key: "long_notes".into(),
        form_version: 1,
        group_id: group,
        created_at: "2026-11-25T08:35:00+07:00".into(),
        data: json!({ "notes": notes }).as_object().unwrap().clone(),
        revision: None,
    };
    assert_eq!(
        app.push_ok(&officer, vec![record]).await,
        [PushOutcome::Accepted]
    );

    let boss = app.login("truongcong").await;
    let (_, _, bytes) = export(&app, &boss, "format=xlsx&form=long_notes").await;
    let mut book: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes)).unwrap();
    let name = book.sheet_names()[0].clone();
    assert!(name.encode_utf16().count() <= 31, "{name}");
    assert!(name.starts_with("Báo cáo khẩn 🚨"), "{name}");
    let sheet = book.worksheet_range(&name).unwrap();
    let header: Vec<String> = sheet.rows().next().unwrap().iter().map(text).collect();
    let col = header.iter().position(|h| h == "Ghi chép").unwrap();
    assert!(header
        .iter()
        .any(|h| h.starts_with("🚨") && h.encode_utf16().count() <= 32_767));
    let cell = text(sheet.get((1, col)).unwrap());
    assert_eq!(cell.encode_utf16().count(), 32_767, "cut to Excel's limit");
    assert!(cell.ends_with('…') && notes.starts_with(cell.trim_end_matches('…')));
    // The CSV keeps all of it.
    let (_, _, bytes) = export(&app, &boss, "format=csv&form=long_notes").await;
    let rows = csv_rows(&unzip(bytes)["long_notes.csv"]);
    assert_eq!(rows[0]["notes"], notes);
}
