//! The access matrix: every API endpoint × every kind of caller × a target in the caller's own
//! place, in another place, and one that does not exist, all from the one table [`MATRIX`].
//! A second test reads the router sources and checks that the table and the routes list the
//! same endpoints, so a new endpoint cannot be added without deciding who may call it.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::Path;

use domain::sync::{PushOutcome, PushResponse};
use reqwest::header::CONTENT_TYPE;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::helpers::{spawn_app, valid_report, TestApp, PASSWORD};

/// What a caller must get.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Want {
    /// Allowed: 2xx (for a push, every record accepted).
    O,
    /// A push answered 200 whose record is rejected: nothing stored for this caller.
    R,
    /// 403 `forbidden`: the caller's role may not do this anywhere.
    D,
    /// 404 `not_found`, byte for byte the answer for something that does not exist.
    H,
    /// 401 `unauthenticated`.
    U,
    /// 422 `validation`: let in, and refused for what the body asks (a request that would
    /// change the world for the rows after it).
    V,
}
use Want::{D, H, O, R, U, V};

/// The callers, in the order of the table's columns. "Own" is Nhật Tân (and its group 1).
const CALLERS: [&str; 11] = [
    "anonymous",
    "admin",
    "supervisor Nhật Tân",
    "supervisor Xuân La",
    "officer Nhật Tân",
    "officer Xuân La",
    "group leader Nhật Tân group 1",
    "group leader Nhật Tân group 2",
    "group leader Xuân La group 1",
    "provincial Hà Nội",
    "provincial Huế",
];

/// The usernames behind [`CALLERS`] (none for the anonymous caller).
const USERNAMES: [Option<&str>; 11] = [
    None,
    Some("admin"),
    Some("truongcong"),
    Some("truongxuanla"),
    Some("canbo"),
    Some("canboxuanla"),
    Some("totruong"),
    Some("totruong2"),
    Some("totruongxuanla"),
    Some("tinhhanoi"),
    Some("tinhhue"),
];

/// What the ids in a path (and the places in a body) name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tgt {
    /// The path has no id.
    No,
    /// Nhật Tân: a record of its group 1 (with two photos: one to read, one to upload again),
    /// an officer there, the ward, its group 1.
    Nt,
    /// The same in Xuân La.
    Xl,
    /// Ids that name nothing.
    Missing,
    /// A form version that exists (forms belong to no place).
    Any,
    /// Another signed-in device of the caller.
    Mine,
    /// A signed-in device of somebody else (an officer of Quảng An).
    Theirs,
    /// No id; the request is made with a fresh sign-in of the caller, which it may end.
    Throwaway,
}
use Tgt::{Any, Mine, Missing, No, Nt, Theirs, Throwaway, Xl};

/// What a request carries. In JSON, `{n}` becomes a number unique to the request and `{ward}`
/// the target's ward id.
#[derive(Debug, Clone, Copy)]
enum Body {
    Empty,
    Json(&'static str),
    /// A fresh valid neighborhood report about the target's group 1.
    Report,
    /// The whole target photo as one upload chunk: the second photo of the place's record, or
    /// fresh bytes for a photo the server does not have.
    Photo,
}
use Body::{Empty, Json, Photo, Report};

const LOGIN: Body = Json(r#"{"username": "canbo", "password": "wardbook-demo"}"#);
/// Repeatable: the first reviewer takes the report up, later ones find it taken up already.
const REVIEW: Body = Json(r#"{"action": "start_handling"}"#);
/// Reviews nothing, so only who may call it is tested (the records' own tests test the rest).
const RESOLVE: Body = Json(r#"{"keep": "current"}"#);
const BULK_REVIEW: Body = Json(r#"{"ids": [], "action": "approve"}"#);
const FORM: Body = Json(
    r#"{"key": "matrix_form", "title": {"vi": "Thử", "en": "Test"}, "filed_by": ["officer"],
        "fields": [{"key": "x", "type": "text", "label": {"vi": "X", "en": "X"}}]}"#,
);
const NEW_USER: Body = Json(
    r#"{"username": "moi{n}", "display_name": "Cán bộ mới {n}", "role": "officer",
        "ward_id": {ward}, "password": "một câu dài dễ nhớ"}"#,
);
const EDIT_USER: Body = Json(
    r#"{"username": "ignored", "display_name": "Cán bộ đã sửa {n}", "role": "officer",
        "ward_id": {ward}}"#,
);
const PASSWORD_RESET: Body = Json(r#"{"password": "một câu mới dài dễ nhớ"}"#);
const WARD: Body = Json(r#"{"name": "Phường {n}", "district": "Tây Hồ", "city": "Hà Nội"}"#);
const GROUP: Body = Json(r#"{"name": "Tổ {n}"}"#);
/// Moves a group that does not exist.
const REORGANISE: Body = Json(
    r#"{"effective": "01/07/2025", "moves": [{"group_id": 987654321, "ward_id": 987654321}]}"#,
);

struct Row {
    method: &'static str,
    path: &'static str,
    target: Tgt,
    body: Body,
    want: [Want; 11],
}

const fn r(
    method: &'static str,
    path: &'static str,
    target: Tgt,
    body: Body,
    want: [Want; 11],
) -> Row {
    Row {
        method,
        path,
        target,
        body,
        want,
    }
}

/// Every endpoint, one line per (method, path, target). Columns: anonymous, admin,
/// supervisor NT, supervisor XL, officer NT, officer XL, group leader NT-1, NT-2, XL-1,
/// provincial staff of Hà Nội (both wards' province) and of Huế (neither's).
#[rustfmt::skip]
static MATRIX: &[Row] = &[
    //  method    path                                   target     body            anon adm sNT sXL oNT oXL gN1 gN2 gX1 pHN pHue
    r("GET",    "/api/health",                         No,        Empty,          [O,  O,  O,  O,  O,  O,  O,  O,  O, O,  O]),
    r("GET",    "/api/openapi.json",                   No,        Empty,          [O,  O,  O,  O,  O,  O,  O,  O,  O, O,  O]),
    r("POST",   "/api/auth/login",                     No,        LOGIN,          [O,  O,  O,  O,  O,  O,  O,  O,  O, O,  O]),
    r("POST",   "/api/auth/logout",                    Throwaway, Empty,          [U,  O,  O,  O,  O,  O,  O,  O,  O, O,  O]),
    r("GET",    "/api/me",                             No,        Empty,          [U,  O,  O,  O,  O,  O,  O,  O,  O, O,  O]),
    r("POST",   "/api/sync/push",                      Nt,        Report,         [U,  R,  R,  R,  O,  R,  O,  R,  R, R,  R]),
    r("POST",   "/api/sync/push",                      Xl,        Report,         [U,  R,  R,  R,  R,  O,  R,  R,  O, R,  R]),
    r("GET",    "/api/sync/pull",                      No,        Empty,          [U,  O,  O,  O,  O,  O,  O,  O,  O, O,  O]),
    r("GET",    "/api/records",                        No,        Empty,          [U,  D,  O,  O,  O,  O,  O,  O,  O, O,  O]),
    r("GET",    "/api/records/counts",                 No,        Empty,          [U,  D,  O,  O,  O,  O,  O,  O,  O, O,  O]),
    r("GET",    "/api/records/authors",                No,        Empty,          [U,  D,  O,  O,  O,  O,  D,  D,  D, O,  O]),
    r("GET",    "/api/records/{id}",                   Nt,        Empty,          [U,  D,  O,  H,  O,  H,  O,  H,  H, O,  H]),
    r("GET",    "/api/records/{id}",                   Xl,        Empty,          [U,  D,  H,  O,  H,  O,  H,  H,  O, O,  H]),
    r("GET",    "/api/records/{id}",                   Missing,   Empty,          [U,  D,  H,  H,  H,  H,  H,  H,  H, H,  H]),
    r("POST",   "/api/records/{id}/review",            Nt,        REVIEW,         [U,  D,  O,  H,  O,  H,  D,  H,  H, D,  H]),
    r("POST",   "/api/records/{id}/review",            Xl,        REVIEW,         [U,  D,  H,  O,  H,  O,  H,  H,  D, D,  H]),
    r("POST",   "/api/records/{id}/review",            Missing,   REVIEW,         [U,  D,  H,  H,  H,  H,  H,  H,  H, H,  H]),
    r("POST",   "/api/records/review",                 No,        BULK_REVIEW,    [U,  D,  O,  O,  O,  O,  D,  D,  D, D,  D]),
    r("GET",    "/api/records/{id}/history",           Nt,        Empty,          [U,  D,  O,  H,  O,  H,  O,  H,  H, O,  H]),
    r("GET",    "/api/records/{id}/history",           Xl,        Empty,          [U,  D,  H,  O,  H,  O,  H,  H,  O, O,  H]),
    r("GET",    "/api/records/{id}/history",           Missing,   Empty,          [U,  D,  H,  H,  H,  H,  H,  H,  H, H,  H]),
    // The record's conflict named does not exist: reviewers in the place learn just that.
    r("POST",   "/api/records/{id}/conflicts/{conflict}/resolve", Nt, RESOLVE,    [U,  D,  H,  H,  H,  H,  D,  H,  H, D,  H]),
    r("POST",   "/api/records/{id}/conflicts/{conflict}/resolve", Xl, RESOLVE,    [U,  D,  H,  H,  H,  H,  H,  H,  D, D,  H]),
    r("POST",   "/api/records/{id}/conflicts/{conflict}/resolve", Missing, RESOLVE, [U, D,  H,  H,  H,  H,  H,  H,  H, H,  H]),
    // A provincial user names the ward; the others read their own (another is "not found").
    r("GET",    "/api/indicators",                     No,        Empty,          [U,  D,  O,  O,  O,  O,  D,  D,  D, V,  V]),
    r("GET",    "/api/indicators",                     Nt,        Empty,          [U,  D,  O,  H,  O,  H,  D,  D,  D, O,  H]),
    r("GET",    "/api/indicators",                     Xl,        Empty,          [U,  D,  H,  O,  H,  O,  D,  D,  D, O,  H]),
    r("GET",    "/api/indicators",                     Missing,   Empty,          [U,  D,  H,  H,  H,  H,  D,  D,  D, H,  H]),
    r("GET",    "/api/indicators/wards",               No,        Empty,          [U,  D,  O,  O,  O,  O,  D,  D,  D, O,  O]),
    r("GET",    "/api/indicators/province",            No,        Empty,          [U,  D,  D,  D,  D,  D,  D,  D,  D, O,  O]),
    r("GET",    "/api/forms",                          No,        Empty,          [U,  O,  O,  O,  O,  O,  D,  D,  D, O,  O]),
    r("POST",   "/api/forms",                          No,        FORM,           [U,  O,  D,  D,  D,  D,  D,  D,  D, D,  D]),
    r("GET",    "/api/forms/{key}/{version}",          Any,       Empty,          [U,  O,  O,  O,  O,  O,  O,  O,  O, O,  O]),
    r("GET",    "/api/forms/{key}/{version}",          Missing,   Empty,          [U,  H,  H,  H,  H,  H,  H,  H,  H, H,  H]),
    r("GET",    "/api/photos/{sha}",                   Nt,        Empty,          [U,  H,  O,  H,  O,  H,  O,  H,  H, O,  H]),
    r("GET",    "/api/photos/{sha}",                   Xl,        Empty,          [U,  H,  H,  O,  H,  O,  H,  H,  O, O,  H]),
    r("GET",    "/api/photos/{sha}",                   Missing,   Empty,          [U,  H,  H,  H,  H,  H,  H,  H,  H, H,  H]),
    r("PUT",    "/api/photos/{sha}",                   Nt,        Photo,          [U,  D,  O,  O,  O,  O,  O,  O,  O, D,  D]),
    r("PUT",    "/api/photos/{sha}",                   Xl,        Photo,          [U,  D,  O,  O,  O,  O,  O,  O,  O, D,  D]),
    r("PUT",    "/api/photos/{sha}",                   Missing,   Photo,          [U,  D,  O,  O,  O,  O,  O,  O,  O, D,  D]),
    r("GET",    "/api/photos/{sha}/upload",            Nt,        Empty,          [U,  D,  O,  O,  O,  O,  O,  O,  O, D,  D]),
    r("GET",    "/api/photos/{sha}/upload",            Xl,        Empty,          [U,  D,  O,  O,  O,  O,  O,  O,  O, D,  D]),
    r("GET",    "/api/photos/{sha}/upload",            Missing,   Empty,          [U,  D,  O,  O,  O,  O,  O,  O,  O, D,  D]),
    r("GET",    "/api/admin/users",                    No,        Empty,          [U,  O,  D,  D,  D,  D,  D,  D,  D, D,  D]),
    r("POST",   "/api/admin/users",                    Nt,        NEW_USER,       [U,  O,  D,  D,  D,  D,  D,  D,  D, D,  D]),
    r("POST",   "/api/admin/users",                    Xl,        NEW_USER,       [U,  O,  D,  D,  D,  D,  D,  D,  D, D,  D]),
    r("GET",    "/api/admin/users/{id}",               Nt,        Empty,          [U,  O,  D,  D,  D,  D,  D,  D,  D, D,  D]),
    r("GET",    "/api/admin/users/{id}",               Xl,        Empty,          [U,  O,  D,  D,  D,  D,  D,  D,  D, D,  D]),
    r("GET",    "/api/admin/users/{id}",               Missing,   Empty,          [U,  H,  D,  D,  D,  D,  D,  D,  D, D,  D]),
    r("PUT",    "/api/admin/users/{id}",               Nt,        EDIT_USER,      [U,  O,  D,  D,  D,  D,  D,  D,  D, D,  D]),
    r("PUT",    "/api/admin/users/{id}",               Xl,        EDIT_USER,      [U,  O,  D,  D,  D,  D,  D,  D,  D, D,  D]),
    r("PUT",    "/api/admin/users/{id}",               Missing,   EDIT_USER,      [U,  H,  D,  D,  D,  D,  D,  D,  D, D,  D]),
    r("POST",   "/api/admin/users/{id}/password",      Nt,        PASSWORD_RESET, [U,  O,  D,  D,  D,  D,  D,  D,  D, D,  D]),
    r("POST",   "/api/admin/users/{id}/password",      Xl,        PASSWORD_RESET, [U,  O,  D,  D,  D,  D,  D,  D,  D, D,  D]),
    r("POST",   "/api/admin/users/{id}/password",      Missing,   PASSWORD_RESET, [U,  H,  D,  D,  D,  D,  D,  D,  D, D,  D]),
    r("POST",   "/api/admin/users/{id}/signout",       Nt,        Empty,          [U,  O,  D,  D,  D,  D,  D,  D,  D, D,  D]),
    r("POST",   "/api/admin/users/{id}/signout",       Xl,        Empty,          [U,  O,  D,  D,  D,  D,  D,  D,  D, D,  D]),
    r("POST",   "/api/admin/users/{id}/signout",       Missing,   Empty,          [U,  H,  D,  D,  D,  D,  D,  D,  D, D,  D]),
    r("POST",   "/api/admin/reorganisations",          No,        REORGANISE,     [U,  V,  D,  D,  D,  D,  D,  D,  D, D,  D]),
    r("GET",    "/api/admin/wards",                    No,        Empty,          [U,  O,  D,  D,  D,  D,  D,  D,  D, D,  D]),
    r("POST",   "/api/admin/wards",                    No,        WARD,           [U,  O,  D,  D,  D,  D,  D,  D,  D, D,  D]),
    r("PUT",    "/api/admin/wards/{id}",               Nt,        WARD,           [U,  O,  D,  D,  D,  D,  D,  D,  D, D,  D]),
    r("PUT",    "/api/admin/wards/{id}",               Xl,        WARD,           [U,  O,  D,  D,  D,  D,  D,  D,  D, D,  D]),
    r("PUT",    "/api/admin/wards/{id}",               Missing,   WARD,           [U,  H,  D,  D,  D,  D,  D,  D,  D, D,  D]),
    r("POST",   "/api/admin/wards/{id}/groups",        Nt,        GROUP,          [U,  O,  D,  D,  D,  D,  D,  D,  D, D,  D]),
    r("POST",   "/api/admin/wards/{id}/groups",        Xl,        GROUP,          [U,  O,  D,  D,  D,  D,  D,  D,  D, D,  D]),
    r("POST",   "/api/admin/wards/{id}/groups",        Missing,   GROUP,          [U,  H,  D,  D,  D,  D,  D,  D,  D, D,  D]),
    r("PUT",    "/api/admin/groups/{id}",              Nt,        GROUP,          [U,  O,  D,  D,  D,  D,  D,  D,  D, D,  D]),
    r("PUT",    "/api/admin/groups/{id}",              Xl,        GROUP,          [U,  O,  D,  D,  D,  D,  D,  D,  D, D,  D]),
    r("PUT",    "/api/admin/groups/{id}",              Missing,   GROUP,          [U,  H,  D,  D,  D,  D,  D,  D,  D, D,  D]),
    r("GET",    "/api/sessions",                       No,        Empty,          [U,  O,  O,  O,  O,  O,  O,  O,  O, O,  O]),
    r("DELETE", "/api/sessions/{id}",                  Mine,      Empty,          [U,  O,  O,  O,  O,  O,  O,  O,  O, O,  O]),
    r("DELETE", "/api/sessions/{id}",                  Theirs,    Empty,          [U,  H,  H,  H,  H,  H,  H,  H,  H, H,  H]),
    r("DELETE", "/api/sessions/{id}",                  Missing,   Empty,          [U,  H,  H,  H,  H,  H,  H,  H,  H, H,  H]),
    r("GET",    "/api/audit",                          No,        Empty,          [U,  O,  O,  O,  D,  D,  D,  D,  D, D,  D]),
    r("GET",    "/api/audit/export",                   No,        Empty,          [U,  O,  O,  O,  D,  D,  D,  D,  D, D,  D]),
    r("POST",   "/api/exports",                        No,        Empty,          [U,  D,  O,  O,  D,  D,  D,  D,  D, O,  O]),
    r("GET",    "/api/exports",                        No,        Empty,          [U,  D,  O,  O,  D,  D,  D,  D,  D, O,  O]),
    r("GET",    "/api/exports/{id}",                   Mine,      Empty,          [U,  D,  O,  O,  D,  D,  D,  D,  D, O,  O]),
    r("GET",    "/api/exports/{id}",                   Theirs,    Empty,          [U,  D,  H,  H,  D,  D,  D,  D,  D, H,  H]),
    r("GET",    "/api/exports/{id}",                   Missing,   Empty,          [U,  D,  H,  H,  D,  D,  D,  D,  D, H,  H]),
    r("GET",    "/api/exports/{id}/file",              Mine,      Empty,          [U,  D,  O,  O,  D,  D,  D,  D,  D, O,  O]),
    r("GET",    "/api/exports/{id}/file",              Theirs,    Empty,          [U,  D,  H,  H,  D,  D,  D,  D,  D, H,  H]),
    r("GET",    "/api/exports/{id}/file",              Missing,   Empty,          [U,  D,  H,  H,  D,  D,  D,  D,  D, H,  H]),
];

/// The things a target names.
struct Place {
    ward: i64,
    group: i64,
    record: Uuid,
    /// Shown by the record; read by the GET rows.
    photo: Vec<u8>,
    /// Also shown by the record; sent again by the PUT rows (whoever sends all of a photo's
    /// bytes may read it afterwards, so the two rows must not share a photo).
    upload: Vec<u8>,
    user: i64,
}

impl Place {
    fn sha(&self) -> String {
        hex::encode(Sha256::digest(&self.photo))
    }
}

/// Everything the matrix needs: the callers' tokens, a spare device of each, the places.
struct World {
    app: TestApp,
    tokens: Vec<Option<String>>,
    /// The public id of a second session of each caller.
    spare_sessions: Vec<Option<String>>,
    /// The public id of a session of an officer of Quảng An, who is not one of the callers.
    bystander_session: String,
    bystander_token: String,
    nt: Place,
    xl: Place,
    missing: Place,
    /// The answer to a request for a path that does not exist at all.
    not_found: Value,
    /// A finished export of each caller who may export.
    exports: Vec<Option<Uuid>>,
    /// A finished export of a supervisor of Quảng An, who is not one of the callers.
    their_export: Uuid,
}

/// Bytes that look like a JPEG, different for every `seed`.
fn jpeg(len: usize, seed: u8) -> Vec<u8> {
    let mut bytes = vec![0xFF, 0xD8, 0xFF, 0xE0];
    bytes.extend((4..len).map(|i| (i as u8).wrapping_mul(17) ^ seed));
    bytes
}

async fn upload(app: &TestApp, token: &str, photo: &[u8]) -> reqwest::Response {
    let sha = hex::encode(Sha256::digest(photo));
    app.request(Method::PUT, &format!("/api/photos/{sha}"), Some(token))
        .header(CONTENT_TYPE, "image/jpeg")
        .header("Upload-Length", photo.len().to_string())
        .header("Upload-Offset", "0")
        .body(photo.to_vec())
        .send()
        .await
        .expect("PUT photo")
}

/// A report about `group` showing `photos`, filed and its photos uploaded by `token`.
async fn file_with_photos(app: &TestApp, token: &str, group: i64, photos: [&[u8]; 2]) -> Uuid {
    let mut refs = Vec::new();
    for photo in photos {
        let resp = upload(app, token, photo).await;
        let status = resp.status();
        assert_eq!(status, StatusCode::OK, "{}", resp.text().await.unwrap());
        refs.push(json!({
            "sha256": hex::encode(Sha256::digest(photo)),
            "type": "image/jpeg",
            "bytes": photo.len(),
            "width": 1600,
            "height": 1200
        }));
    }
    let mut report = valid_report(group);
    report.data.insert("photos".into(), Value::Array(refs));
    let id = report.id;
    let outcomes = app.push_ok(token, vec![report]).await;
    assert_eq!(outcomes, [PushOutcome::Accepted]);
    id
}

/// The public id of the session `token` is (the first 16 hex digits of its hash).
fn session_id(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))[..16].to_owned()
}

async fn world() -> World {
    let app = spawn_app().await;
    let admin = app.login("admin").await;
    let nhat_tan = app.ward_named(&admin, "Nhật Tân").await;
    let xuan_la = app.ward_named(&admin, "Xuân La").await;
    let quang_an = app.ward_named(&admin, "Quảng An").await;
    let user = |username: &str, role: &str, ward: Option<i64>, group: Option<i64>| {
        json!({
            "username": username, "display_name": format!("Người thử {username}"), "role": role,
            "ward_id": ward, "group_id": group, "password": PASSWORD
        })
    };
    // The callers the demo lacks, and people who are only targets.
    let callers = [
        user("canboxuanla", "officer", Some(xuan_la.id), None),
        user(
            "totruong2",
            "group_leader",
            None,
            Some(nhat_tan.groups[1].id),
        ),
        user(
            "totruongxuanla",
            "group_leader",
            None,
            Some(xuan_la.groups[0].id),
        ),
    ];
    for input in &callers {
        app.create_user(&admin, input).await;
    }
    // Provincial staff: of Hà Nội, the demo wards' province, and of Huế, a province of its own.
    let hue: domain::admin::WardView = app
        .send(
            Method::POST,
            Some(&admin),
            "/api/admin/wards",
            Some(&json!({"name": "Phường Thuận Hóa", "city": "Huế"})),
        )
        .await
        .json()
        .await
        .unwrap();
    for (username, province) in [
        ("tinhhanoi", nhat_tan.province_id),
        ("tinhhue", hue.province_id),
    ] {
        app.create_user(
            &admin,
            &json!({
                "username": username, "display_name": format!("Người thử {username}"),
                "role": "provincial", "province_id": province, "password": PASSWORD
            }),
        )
        .await;
    }
    let target_nt = app
        .create_user(
            &admin,
            &user("muctieu.nt", "officer", Some(nhat_tan.id), None),
        )
        .await;
    let target_xl = app
        .create_user(
            &admin,
            &user("muctieu.xl", "officer", Some(xuan_la.id), None),
        )
        .await;
    app.create_user(
        &admin,
        &user("nguoingoai", "officer", Some(quang_an.id), None),
    )
    .await;

    let mut tokens = Vec::new();
    let mut spare_sessions = Vec::new();
    for username in USERNAMES {
        match username {
            Some(u) => {
                tokens.push(Some(app.login(u).await));
                spare_sessions.push(Some(session_id(&app.login(u).await)));
            }
            None => {
                tokens.push(None);
                spare_sessions.push(None);
            }
        }
    }
    let bystander_token = app.login("nguoingoai").await;
    let bystander_session = session_id(&app.login("nguoingoai").await);

    // A report with a photo in each ward's group 1, filed by that group's leader (a group
    // leader sees only reports group leaders filed; officers' records are tested apart).
    let (nt_photo, nt_upload) = (jpeg(2000, 1), jpeg(2000, 11));
    let (xl_photo, xl_upload) = (jpeg(2000, 2), jpeg(2000, 12));
    let nt_group = nhat_tan.groups[0].id;
    let xl_group = xuan_la.groups[0].id;
    let leader_nt = tokens[6].clone().unwrap();
    let leader_xl = tokens[8].clone().unwrap();
    let nt_record = file_with_photos(&app, &leader_nt, nt_group, [&nt_photo, &nt_upload]).await;
    let xl_photos = [xl_photo.as_slice(), xl_upload.as_slice()];
    let xl_record = file_with_photos(&app, &leader_xl, xl_group, xl_photos).await;

    // A finished export of each caller who may export, and of somebody else.
    app.create_user(
        &admin,
        &user("truongquangan", "supervisor", Some(quang_an.id), None),
    )
    .await;
    let their_export = finished_export(&app, &app.login("truongquangan").await).await;
    let mut exports = Vec::new();
    for (caller, token) in tokens.iter().enumerate() {
        exports.push(match (caller, token) {
            (2 | 3 | 9 | 10, Some(token)) => Some(finished_export(&app, token).await),
            _ => None,
        });
    }

    let not_found = app.get(&admin, "/api/no-such-endpoint").await;
    assert_eq!(not_found.status(), StatusCode::NOT_FOUND);
    let not_found: Value = not_found.json().await.unwrap();
    assert_eq!(not_found["code"], "not_found");

    World {
        tokens,
        spare_sessions,
        bystander_session,
        bystander_token,
        nt: Place {
            ward: nhat_tan.id,
            group: nt_group,
            record: nt_record,
            photo: nt_photo,
            upload: nt_upload,
            user: target_nt.id,
        },
        xl: Place {
            ward: xuan_la.id,
            group: xl_group,
            record: xl_record,
            photo: xl_photo,
            upload: xl_upload,
            user: target_xl.id,
        },
        missing: Place {
            ward: 987_654_321,
            group: 987_654_321,
            record: Uuid::now_v7(),
            photo: jpeg(2000, 3),
            upload: Vec::new(),
            user: 987_654_321,
        },
        not_found,
        exports,
        their_export,
        app,
    }
}

/// Starts an export for `token` and waits until it is done.
async fn finished_export(app: &TestApp, token: &str) -> Uuid {
    let job = crate::exports::start(app, token, "format=geojson").await;
    crate::exports::wait_done(app, token, job.id).await.id
}

impl World {
    fn place(&self, target: Tgt) -> Option<&Place> {
        match target {
            Nt => Some(&self.nt),
            Xl => Some(&self.xl),
            Missing => Some(&self.missing),
            _ => None,
        }
    }

    /// The photo the `n`th request (of `row`) sends, if it sends one.
    fn upload_of(&self, row: &Row, n: usize) -> Option<Vec<u8>> {
        match (row.body, row.target) {
            (Photo, Missing) => Some(jpeg(3000 + n, 3)),
            (Photo, t) => Some(self.place(t).expect("a photo needs a place").upload.clone()),
            _ => None,
        }
    }

    /// The path of `row` for `caller`, its ids filled in.
    fn path(&self, row: &Row, caller: usize, n: usize) -> String {
        let place = self.place(row.target);
        let id = |f: &dyn Fn(&Place) -> String| {
            f(place.unwrap_or_else(|| panic!("{} {} needs a place", row.method, row.path)))
        };
        let p = row.path;
        if p == "/api/indicators" {
            // The ward is a query parameter.
            place.map_or(p.to_owned(), |pl| format!("{p}?ward={}", pl.ward))
        } else if p == "/api/exports" && row.method == "POST" {
            format!("{p}?format=geojson")
        } else if !p.contains('{') {
            p.to_owned()
        } else if p.starts_with("/api/records/") {
            p.replace("{id}", &id(&|pl| pl.record.to_string()))
                .replace("{conflict}", "987654")
        } else if p.starts_with("/api/photos/") {
            let sha = match self.upload_of(row, n) {
                Some(bytes) => hex::encode(Sha256::digest(bytes)),
                None => id(&|pl| pl.sha()),
            };
            p.replace("{sha}", &sha)
        } else if p.starts_with("/api/admin/users/") {
            p.replace("{id}", &id(&|pl| pl.user.to_string()))
        } else if p.starts_with("/api/admin/wards/") {
            p.replace("{id}", &id(&|pl| pl.ward.to_string()))
        } else if p.starts_with("/api/admin/groups/") {
            p.replace("{id}", &id(&|pl| pl.group.to_string()))
        } else if p.starts_with("/api/sessions/") {
            let session = match row.target {
                Mine => self.spare_sessions[caller]
                    .clone()
                    .unwrap_or_else(|| "0123456789abcdef".into()),
                Theirs => self.bystander_session.clone(),
                Missing => "0123456789abcdef".into(),
                t => panic!("no session for {t:?}"),
            };
            p.replace("{id}", &session)
        } else if p.starts_with("/api/exports/") {
            let export = match row.target {
                Mine => self.exports[caller].unwrap_or_else(Uuid::now_v7),
                Theirs => self.their_export,
                Missing => Uuid::now_v7(),
                t => panic!("no export for {t:?}"),
            };
            p.replace("{id}", &export.to_string())
        } else if p.starts_with("/api/forms/") {
            let (key, version) = match row.target {
                Any => ("neighborhood_report", "1"),
                Missing => ("no_such_form", "1"),
                t => panic!("no form for {t:?}"),
            };
            p.replace("{key}", key).replace("{version}", version)
        } else {
            assert!(!p.contains('{'), "no rule fills in the ids of {p}");
            p.to_owned()
        }
    }

    async fn fire(&self, row: &Row, caller: usize, n: usize) -> (StatusCode, String) {
        let app = &self.app;
        let token = match (row.target, USERNAMES[caller]) {
            (Throwaway, Some(u)) => Some(app.login(u).await),
            _ => self.tokens[caller].clone(),
        };
        let method = Method::from_bytes(row.method.as_bytes()).unwrap();
        let mut req = app.request(method, &self.path(row, caller, n), token.as_deref());
        let place = self.place(row.target);
        req = match row.body {
            Empty => req,
            Json(template) => {
                let ward = place.map_or(0, |p| p.ward);
                let text = template
                    .replace("{n}", &n.to_string())
                    .replace("{ward}", &ward.to_string());
                req.header(CONTENT_TYPE, "application/json").body(text)
            }
            Report => {
                let report = valid_report(place.expect("a report needs a place").group);
                req.json(&json!({ "records": [report] }))
            }
            Photo => {
                let photo = self.upload_of(row, n).unwrap();
                req.header(CONTENT_TYPE, "image/jpeg")
                    .header("Upload-Length", photo.len().to_string())
                    .header("Upload-Offset", "0")
                    .body(photo)
            }
        };
        let resp = req.send().await.expect("request");
        let status = resp.status();
        (status, resp.text().await.unwrap())
    }

    /// Why the answer is not what `want` says, or `None` when it is.
    fn mismatch(&self, row: &Row, want: Want, status: StatusCode, body: &str) -> Option<String> {
        let json: Option<Value> = serde_json::from_str(body).ok();
        let code = json.as_ref().and_then(|j| j["code"].as_str()).unwrap_or("");
        let ok = match want {
            O | R if !status.is_success() => false,
            O | R => match row.body {
                Report => {
                    let Ok(push) = serde_json::from_str::<PushResponse>(body) else {
                        return Some("not a push answer".into());
                    };
                    push.results.iter().all(|r| match want {
                        O => r.outcome == PushOutcome::Accepted,
                        _ => matches!(r.outcome, PushOutcome::Rejected { .. }),
                    })
                }
                _ => want == O,
            },
            D => status == StatusCode::FORBIDDEN && code == "forbidden",
            H => status == StatusCode::NOT_FOUND && json.as_ref() == Some(&self.not_found),
            U => status == StatusCode::UNAUTHORIZED && code == "unauthenticated",
            V => status == StatusCode::UNPROCESSABLE_ENTITY && code == "validation",
        };
        (!ok).then(|| format!("want {want:?}, got {status}"))
    }
}

#[tokio::test]
async fn every_endpoint_answers_every_kind_of_caller_as_the_access_matrix_says() {
    let world = world().await;
    let mut failures = String::new();
    let mut n = 0;
    let mut fired = 0;
    for row in MATRIX {
        for (caller, name) in CALLERS.iter().enumerate() {
            n += 1;
            let (status, body) = world.fire(row, caller, n).await;
            fired += 1;
            if let Some(why) = world.mismatch(row, row.want[caller], status, &body) {
                let body: String = body.chars().take(300).collect();
                let _ = writeln!(
                    failures,
                    "{} {} [{:?}] as {}: {why}: {body}",
                    row.method, row.path, row.target, name
                );
            }
        }
    }
    assert!(
        failures.is_empty(),
        "the access matrix does not hold:\n{failures}"
    );
    assert_eq!(fired, MATRIX.len() * CALLERS.len());

    // Nobody could sign out somebody else's device.
    let me = world.app.get(&world.bystander_token, "/api/me").await;
    assert_eq!(me.status(), StatusCode::OK);
    let sessions: Value = world
        .app
        .get(&world.bystander_token, "/api/sessions")
        .await
        .json()
        .await
        .unwrap();
    let ids: Vec<&str> = sessions
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert!(
        ids.contains(&world.bystander_session.as_str()),
        "the bystander's other device is still signed in: {ids:?}"
    );
}

#[tokio::test]
async fn a_hidden_record_and_a_missing_one_get_the_same_answer_word_for_word_in_both_languages() {
    let world = world().await;
    let xl_supervisor = world.tokens[3].as_deref().unwrap();
    for lang in ["vi", "en"] {
        let mut answers = Vec::new();
        for path in [
            format!("/api/records/{}", world.nt.record),
            format!("/api/records/{}", world.missing.record),
            format!("/api/photos/{}", world.nt.sha()),
            format!("/api/photos/{}", world.missing.sha()),
        ] {
            let resp = world
                .app
                .request(Method::GET, &path, Some(xl_supervisor))
                .header("accept-language", lang)
                .send()
                .await
                .unwrap();
            let status = resp.status();
            let headers: BTreeMap<String, String> = resp
                .headers()
                .iter()
                .filter(|(k, _)| *k != "date")
                .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_owned()))
                .collect();
            answers.push((path, status, headers, resp.text().await.unwrap()));
        }
        let (_, status, headers, body) = &answers[0];
        assert_eq!(*status, StatusCode::NOT_FOUND);
        for (path, s, h, b) in &answers[1..] {
            assert_eq!((s, h, b), (status, headers, body), "{lang}: {path}");
        }
    }
}

// ---- the table and the routes name the same endpoints -----------------------------------------

/// The index just past the string or char literal starting at `i`, or `None` when there is none.
fn skip_literal(s: &[u8], i: usize) -> Option<usize> {
    match s[i] {
        b'"' => {
            let mut j = i + 1;
            while s[j] != b'"' {
                j += if s[j] == b'\\' { 2 } else { 1 };
            }
            Some(j + 1)
        }
        b'r' if s.get(i + 1) == Some(&b'#') || s.get(i + 1) == Some(&b'"') => {
            if i > 0 && (s[i - 1].is_ascii_alphanumeric() || s[i - 1] == b'_') {
                return None;
            }
            let hashes = s[i + 1..].iter().take_while(|&&b| b == b'#').count();
            let open = i + 1 + hashes;
            if s.get(open) != Some(&b'"') {
                return None;
            }
            let mut close = vec![b'"'];
            close.extend(vec![b'#'; hashes]);
            let end = s[open + 1..]
                .windows(close.len())
                .position(|w| w == close.as_slice())?;
            Some(open + 1 + end + close.len())
        }
        // A char literal ('x', '\n', '"'); a lifetime ('a) is not one.
        b'\'' if s.get(i + 1) == Some(&b'\\') => {
            Some(i + 2 + s[i + 2..].iter().position(|&b| b == b'\'')? + 1)
        }
        b'\'' => {
            let c = std::str::from_utf8(&s[i + 1..]).ok()?.chars().next()?;
            let end = i + 1 + c.len_utf8();
            (s.get(end) == Some(&b'\'')).then_some(end + 1)
        }
        _ => None,
    }
}

/// The source without comments (replaced by spaces); literals are kept.
fn without_comments(src: &str) -> String {
    let s = src.as_bytes();
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        if let Some(end) = skip_literal(s, i) {
            out.extend_from_slice(&s[i..end]);
            i = end;
        } else if s[i..].starts_with(b"//") {
            while i < s.len() && s[i] != b'\n' {
                i += 1;
            }
        } else if s[i..].starts_with(b"/*") {
            let end = s[i + 2..]
                .windows(2)
                .position(|w| w == b"*/")
                .expect("a closed block comment");
            i += 2 + end + 2;
            out.push(b' ');
        } else {
            out.push(s[i]);
            i += 1;
        }
    }
    String::from_utf8(out).expect("still UTF-8")
}

/// The text between the parenthesis opened just before `s` and the one that closes it.
fn balanced(s: &str) -> &str {
    let b = s.as_bytes();
    let mut depth = 0;
    let mut i = 0;
    while i < b.len() {
        if let Some(end) = skip_literal(b, i) {
            i = end;
            continue;
        }
        match b[i] {
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' if depth == 0 => return &s[..i],
            b')' | b']' | b'}' => depth -= 1,
            _ => {}
        }
        i += 1;
    }
    panic!("unbalanced: {s}")
}

/// The functions called at the outermost level of `s` (`get(a).post(b)` gives get, post).
fn outer_calls(s: &str) -> Vec<String> {
    let b = s.as_bytes();
    let mut calls = Vec::new();
    let mut depth = 0;
    let mut i = 0;
    let mut ident = String::new();
    while i < b.len() {
        if let Some(end) = skip_literal(b, i) {
            i = end;
            ident.clear();
            continue;
        }
        let c = b[i];
        match c {
            b'(' => {
                if depth == 0 && !ident.is_empty() {
                    calls.push(ident.rsplit("::").next().unwrap().to_owned());
                }
                depth += 1;
                ident.clear();
            }
            b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' => depth -= 1,
            _ => {}
        }
        if c.is_ascii_alphanumeric() || c == b'_' || c == b':' {
            ident.push(c as char);
        } else if c != b'(' {
            ident.clear();
        }
        i += 1;
    }
    calls
}

/// Every `.route("path", method(..).method(..))` of the router sources, as (METHOD, /api path).
pub(crate) fn routes_in_source() -> BTreeSet<(String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/routes");
    let mod_rs = std::fs::read_to_string(dir.join("mod.rs")).expect("routes/mod.rs");
    assert!(
        mod_rs.contains(".nest(\"/api\", api)"),
        "the API is nested under /api in routes/mod.rs; teach this test otherwise"
    );
    let mut routes = BTreeSet::new();
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("src/routes")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "rs"))
        .collect();
    files.sort();
    for file in files {
        let src = without_comments(&std::fs::read_to_string(&file).unwrap());
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        if name != "mod.rs" {
            assert!(
                !src.contains(".nest(") && !src.contains(".nest_service("),
                "{name} nests a router; teach this test its prefix"
            );
        }
        for (at, _) in src.match_indices(".route(") {
            let args = balanced(&src[at + ".route(".len()..]);
            let open = args.find('"').expect("a path literal");
            let close = open + 1 + args[open + 1..].find('"').unwrap();
            let path = &args[open + 1..close];
            let methods = outer_calls(&args[close + 1..]);
            assert!(!methods.is_empty(), "{name}: no method for {path}");
            for m in methods {
                assert!(
                    ["get", "post", "put", "delete", "patch", "head", "options", "trace"]
                        .contains(&m.as_str()),
                    "{name}: {path} is routed with {m}(..); teach this test what it accepts"
                );
                routes.insert((m.to_uppercase(), format!("/api{path}")));
            }
        }
        assert!(
            !src.contains(".route_service("),
            "{name} routes a service; teach this test its methods"
        );
    }
    routes
}

#[test]
fn every_route_in_the_source_has_a_row_in_the_matrix_and_every_row_a_route() {
    let source = routes_in_source();
    assert!(
        source.len() >= 30,
        "the router sources were not read right: {source:?}"
    );
    let table: BTreeSet<(String, String)> = MATRIX
        .iter()
        .map(|r| (r.method.to_owned(), r.path.to_owned()))
        .collect();
    let missing: Vec<_> = source.difference(&table).collect();
    let stale: Vec<_> = table.difference(&source).collect();
    assert!(
        missing.is_empty(),
        "endpoints without a row in the access matrix (add one per target): {missing:?}"
    );
    assert!(
        stale.is_empty(),
        "matrix rows for endpoints that do not exist: {stale:?}"
    );

    // An endpoint taking an id is tried on more than one target (own place, other place or a
    // missing id), and no (method, path, target) is listed twice.
    let mut targets: BTreeMap<(&str, &str), Vec<Tgt>> = BTreeMap::new();
    for r in MATRIX {
        let seen = targets.entry((r.method, r.path)).or_default();
        assert!(
            !seen.contains(&r.target),
            "{} {} {:?} is listed twice",
            r.method,
            r.path,
            r.target
        );
        seen.push(r.target);
    }
    for ((method, path), targets) in targets {
        if path.contains('{') {
            assert!(
                targets.len() >= 2,
                "{method} {path} is tried on {targets:?} only"
            );
        }
    }
}

#[test]
fn the_route_reader_understands_multi_line_routes_comments_and_literals() {
    let src = without_comments(
        r#"
        // .route("/commented", get(x))
        Router::new()
            .route("/a/{id}", get(one).put(two)) /* .route("/b", post(x)) */
            .route(
                "/openapi.json",
                get(|| async { axum::Json(crate::openapi::spec()) }),
            )
            .route("/q", axum::routing::delete(|| async { let _ = ('"', ")"); }))
        "#,
    );
    let found: Vec<(String, Vec<String>)> = src
        .match_indices(".route(")
        .map(|(at, _)| {
            let args = balanced(&src[at + 7..]);
            let open = args.find('"').unwrap();
            let close = open + 1 + args[open + 1..].find('"').unwrap();
            (
                args[open + 1..close].to_owned(),
                outer_calls(&args[close + 1..]),
            )
        })
        .collect();
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    assert_eq!(
        found,
        vec![
            ("/a/{id}".to_owned(), s(&["get", "put"])),
            ("/openapi.json".to_owned(), s(&["get"])),
            ("/q".to_owned(), s(&["delete"])),
        ]
    );
}
