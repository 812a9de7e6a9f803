//! Photos: named by the SHA-256 of their bytes, uploaded in resumable chunks, served only to
//! their uploader and to whoever may see a record that names them.

use domain::form::MAX_PHOTO_BYTES;
use domain::record::RecordEnvelope;
use domain::sync::PushOutcome;
use reqwest::header::{ACCEPT_LANGUAGE, CACHE_CONTROL, CONTENT_TYPE};
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::helpers::{
    expect_error, own_group, spawn_app, spawn_app_with_photo_dir, valid_report, TestApp,
};

const JPEG: &str = "image/jpeg";
const WEBP: &str = "image/webp";

/// The chunk size of the phone (`app/src/sync.rs`).
const PHONE_CHUNK: usize = 128 * 1024;

/// `len` bytes that look like a JPEG (the server checks only the first bytes), different for
/// every `seed`.
fn jpeg(len: usize, seed: u8) -> Vec<u8> {
    let mut bytes = vec![0xFF, 0xD8, 0xFF, 0xE0];
    bytes.extend((4..len).map(|i| (i as u8).wrapping_mul(31) ^ (i >> 8) as u8 ^ seed));
    bytes
}

fn sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Asserts equal bytes without printing megabytes when they differ.
fn assert_same_bytes(got: &[u8], want: &[u8], what: &str) {
    let first_difference = got.iter().zip(want).position(|(a, b)| a != b);
    assert!(
        got == want,
        "{what}: got {} bytes, want {}; first difference at {first_difference:?}",
        got.len(),
        want.len()
    );
}

/// `PUT /api/photos/{sha}` without any upload header.
fn put_request(app: &TestApp, token: &str, sha: &str) -> RequestBuilder {
    app.request(Method::PUT, &format!("/api/photos/{sha}"), Some(token))
}

/// One chunk as the phone sends it: `chunk` is bytes `offset..` of a photo of `total` bytes.
async fn put_chunk(
    app: &TestApp,
    token: &str,
    sha: &str,
    content_type: &str,
    total: usize,
    offset: usize,
    chunk: &[u8],
) -> Response {
    put_request(app, token, sha)
        .header(CONTENT_TYPE, content_type)
        .header("Upload-Length", total.to_string())
        .header("Upload-Offset", offset.to_string())
        .body(chunk.to_vec())
        .send()
        .await
        .expect("PUT photo chunk")
}

/// Sends `photo[from..to]` as a JPEG named `sha`.
async fn put_range(
    app: &TestApp,
    token: &str,
    sha: &str,
    photo: &[u8],
    from: usize,
    to: usize,
) -> Response {
    put_chunk(app, token, sha, JPEG, photo.len(), from, &photo[from..to]).await
}

fn upload_offset(resp: &Response) -> Option<u64> {
    resp.headers()
        .get("upload-offset")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
}

/// Checks a 200 answer to a chunk: the body and the `Upload-Offset` header.
async fn expect_progress(resp: Response, complete: bool, received: usize) {
    let status = resp.status();
    let offset = upload_offset(&resp);
    let text = resp.text().await.unwrap();
    assert_eq!(status, StatusCode::OK, "body: {text}");
    let body: Value = serde_json::from_str(&text).expect("a JSON upload state");
    assert_eq!(
        body,
        json!({ "complete": complete, "received": received }),
        "upload state"
    );
    assert_eq!(offset, Some(received as u64), "Upload-Offset header");
}

/// Checks a 409 answer to a chunk: where the upload stands, in the header and the message.
async fn expect_out_of_step(resp: Response, received: usize) {
    let offset = upload_offset(&resp);
    let err = expect_error(resp, StatusCode::CONFLICT, "upload_offset").await;
    assert_eq!(offset, Some(received as u64), "Upload-Offset header");
    assert!(
        err.message.contains(&received.to_string()),
        "{}",
        err.message
    );
}

/// `GET /api/photos/{sha}/upload`, expecting 200.
async fn upload_state(app: &TestApp, token: &str, sha: &str) -> Value {
    let resp = app.get(token, &format!("/api/photos/{sha}/upload")).await;
    let status = resp.status();
    let text = resp.text().await.unwrap();
    assert_eq!(status, StatusCode::OK, "upload state of {sha}: {text}");
    serde_json::from_str(&text).expect("a JSON upload state")
}

fn state(complete: bool, received: usize) -> Value {
    json!({ "complete": complete, "received": received })
}

/// Uploads a whole JPEG in chunks of `chunk` bytes, checking every answer; returns its name.
async fn upload(app: &TestApp, token: &str, photo: &[u8], chunk: usize) -> String {
    let sha = sha256(photo);
    let mut at = 0;
    while at < photo.len() {
        let end = (at + chunk).min(photo.len());
        let resp = put_range(app, token, &sha, photo, at, end).await;
        expect_progress(resp, end == photo.len(), end).await;
        at = end;
    }
    sha
}

async fn download(app: &TestApp, token: &str, sha: &str) -> Response {
    app.get(token, &format!("/api/photos/{sha}")).await
}

/// Expects the photo served whole, as a JPEG.
async fn expect_photo(app: &TestApp, token: &str, photo: &[u8]) {
    let resp = download(app, token, &sha256(photo)).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let header = |name: reqwest::header::HeaderName| {
        resp.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned()
    };
    assert_eq!(header(CONTENT_TYPE), JPEG);
    assert_same_bytes(&resp.bytes().await.unwrap(), photo, "served photo");
}

/// Expects "not found", with nothing of the photo in the answer.
async fn expect_no_photo(app: &TestApp, token: &str, sha: &str, who: &str) {
    let resp = download(app, token, sha).await;
    let err = expect_error(resp, StatusCode::NOT_FOUND, "not_found").await;
    assert!(err.fields.is_empty(), "{who}: {err:?}");
}

/// The reference a record's data holds for a JPEG of 1600×1200.
fn photo_ref(photo: &[u8]) -> Value {
    json!({
        "sha256": sha256(photo),
        "type": JPEG,
        "bytes": photo.len(),
        "width": 1600,
        "height": 1200
    })
}

/// A valid neighborhood report about `group` naming `photos`.
fn report_with_photos(group: i64, photos: &[&[u8]]) -> RecordEnvelope {
    let mut report = valid_report(group);
    report.data.insert(
        "photos".into(),
        Value::Array(photos.iter().map(|p| photo_ref(p)).collect()),
    );
    report
}

/// Files `report` as `token`, expecting it accepted; returns its id.
async fn file(app: &TestApp, token: &str, report: RecordEnvelope) -> Uuid {
    let id = report.id;
    assert_eq!(
        app.push_ok(token, vec![report]).await,
        [PushOutcome::Accepted]
    );
    id
}

/// `photos_missing` of a record, in its detail and in the list, as `token` sees them.
async fn photos_missing(app: &TestApp, token: &str, id: Uuid) -> (u32, u32) {
    let detail = app.record(token, id).await.summary.photos_missing;
    let listed = app
        .records(token)
        .await
        .into_iter()
        .find(|r| r.id == id)
        .expect("the record is listed")
        .photos_missing;
    (detail, listed)
}

// ---------------------------------------------------------------------------------------------
// Uploading
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_photo_sent_in_one_piece_is_stored_and_served_byte_for_byte_to_its_uploader() {
    let app = spawn_app().await;
    let hoa = app.login("canbo").await;
    let photo = jpeg(300_000, 1);
    let sha = sha256(&photo);

    assert_eq!(upload_state(&app, &hoa, &sha).await, state(false, 0));
    expect_no_photo(&app, &hoa, &sha, "before the upload").await;

    let resp = put_range(&app, &hoa, &sha, &photo, 0, photo.len()).await;
    expect_progress(resp, true, 300_000).await;

    assert_eq!(upload_state(&app, &hoa, &sha).await, state(true, 300_000));
    expect_photo(&app, &hoa, &photo).await;
}

#[tokio::test]
async fn an_interrupted_upload_resumes_where_the_server_stopped() {
    let app = spawn_app().await;
    let hoa = app.login("canbo").await;
    let photo = jpeg(300_000, 2);
    let sha = sha256(&photo);

    let resp = put_range(&app, &hoa, &sha, &photo, 0, 100_000).await;
    expect_progress(resp, false, 100_000).await;

    // The answer was lost: the phone sends the same chunk again and is told where to go on.
    let resp = put_range(&app, &hoa, &sha, &photo, 0, 100_000).await;
    expect_out_of_step(resp, 100_000).await;
    assert_eq!(upload_state(&app, &hoa, &sha).await, state(false, 100_000));
    // A chunk from further on is not taken either: nothing may be skipped.
    let resp = put_range(&app, &hoa, &sha, &photo, 200_000, 300_000).await;
    expect_out_of_step(resp, 100_000).await;
    // Nothing half-uploaded is served, not even to the uploader.
    expect_no_photo(&app, &hoa, &sha, "half uploaded").await;

    let resp = put_range(&app, &hoa, &sha, &photo, 100_000, 200_000).await;
    expect_progress(resp, false, 200_000).await;
    assert_eq!(upload_state(&app, &hoa, &sha).await, state(false, 200_000));
    let resp = put_range(&app, &hoa, &sha, &photo, 200_000, 300_000).await;
    expect_progress(resp, true, 300_000).await;

    assert_eq!(upload_state(&app, &hoa, &sha).await, state(true, 300_000));
    expect_photo(&app, &hoa, &photo).await;
}

#[tokio::test]
async fn a_photo_the_server_already_holds_is_not_sent_again() {
    let app = spawn_app().await;
    let hoa = app.login("canbo").await;
    let lan = app.login("totruong").await;
    let photo = jpeg(300_000, 3);
    let sha = upload(&app, &hoa, &photo, PHONE_CHUNK).await;

    assert_eq!(upload_state(&app, &hoa, &sha).await, state(true, 300_000));

    // A late retry of any chunk, even the last, is answered "complete" and changes nothing.
    for (from, to) in [
        (0, PHONE_CHUNK),
        (PHONE_CHUNK, 2 * PHONE_CHUNK),
        (2 * PHONE_CHUNK, 300_000),
    ] {
        let resp = put_range(&app, &hoa, &sha, &photo, from, to).await;
        expect_progress(resp, true, 300_000).await;
    }

    // Knowing the name is not holding the photo: another user must send the bytes themselves,
    // and other bytes under the same name are refused without touching the stored photo.
    assert_eq!(upload_state(&app, &lan, &sha).await, state(false, 0));
    let other = jpeg(300_000, 4);
    let resp = put_chunk(&app, &lan, &sha, JPEG, 300_000, 0, &other).await;
    expect_error(resp, StatusCode::UNPROCESSABLE_ENTITY, "photo_damaged").await;
    expect_no_photo(&app, &lan, &sha, "someone who only knows the name").await;
    let resp = put_range(&app, &lan, &sha, &photo, 0, 300_000).await;
    expect_progress(resp, true, 300_000).await;
    assert_eq!(upload_state(&app, &lan, &sha).await, state(true, 300_000));
    expect_photo(&app, &lan, &photo).await;

    assert_eq!(upload_state(&app, &hoa, &sha).await, state(true, 300_000));
    expect_photo(&app, &hoa, &photo).await;
}

#[tokio::test]
async fn naming_a_photo_in_a_record_does_not_reveal_it_without_its_bytes() {
    let app = spawn_app().await;
    let hoa = app.login("canbo").await;
    let lan = app.login("totruong").await;
    let boss = app.login("truongcong").await;
    let photo = jpeg(120_000, 21);
    // Lan's photo, never in a record.
    let sha = upload(&app, &lan, &photo, PHONE_CHUNK).await;
    // Hoa learns the hash and files a record naming it.
    let id = file(&app, &hoa, report_with_photos(1, &[&photo])).await;
    // The record waits for the photo from its author; the supervisor cannot fetch it through
    // Hoa's record, and Hoa cannot fetch it either.
    assert_eq!(photos_missing(&app, &boss, id).await.0, 1);
    expect_no_photo(&app, &hoa, &sha, "the author who never sent it").await;
    expect_no_photo(&app, &boss, &sha, "a supervisor, through that record").await;
    // Once Hoa sends the bytes, the record is complete and shows it.
    upload(&app, &hoa, &photo, PHONE_CHUNK).await;
    assert_eq!(photos_missing(&app, &boss, id).await.0, 0);
    expect_photo(&app, &boss, &photo).await;
}

#[tokio::test]
async fn a_damaged_photo_is_refused_and_its_upload_starts_over() {
    let app = spawn_app().await;
    let hoa = app.login("canbo").await;
    let photo = jpeg(300_000, 5);
    let sha = sha256(&photo);
    // The same size and type, one byte different: it does not hash to the name.
    let mut damaged = photo.clone();
    damaged[250_000] ^= 0x01;

    let resp = put_range(&app, &hoa, &sha, &damaged, 0, 150_000).await;
    expect_progress(resp, false, 150_000).await;
    let resp = put_range(&app, &hoa, &sha, &damaged, 150_000, 300_000).await;
    let err = expect_error(resp, StatusCode::UNPROCESSABLE_ENTITY, "photo_damaged").await;
    assert_eq!(
        err.message,
        "Ảnh bị hỏng trên đường truyền; ảnh sẽ được gửi lại."
    );

    // The upload starts over from nothing, and nothing is served.
    assert_eq!(upload_state(&app, &hoa, &sha).await, state(false, 0));
    expect_no_photo(&app, &hoa, &sha, "damaged").await;
    let resp = put_range(&app, &hoa, &sha, &photo, 150_000, 300_000).await;
    expect_out_of_step(resp, 0).await;

    // An English phone is told in English.
    let resp = put_request(&app, &hoa, &sha)
        .header(CONTENT_TYPE, JPEG)
        .header(ACCEPT_LANGUAGE, "en")
        .header("Upload-Length", "300000")
        .header("Upload-Offset", "0")
        .body(damaged.clone())
        .send()
        .await
        .unwrap();
    let err = expect_error(resp, StatusCode::UNPROCESSABLE_ENTITY, "photo_damaged").await;
    assert_eq!(
        err.message,
        "The photo was damaged on the way; it will be sent again."
    );
    assert_eq!(upload_state(&app, &hoa, &sha).await, state(false, 0));

    // Sent again intact, it is stored.
    upload(&app, &hoa, &photo, 100_000).await;
    assert_eq!(upload_state(&app, &hoa, &sha).await, state(true, 300_000));
    expect_photo(&app, &hoa, &photo).await;
}

#[tokio::test]
async fn bytes_that_are_not_the_stated_image_type_are_refused_even_under_their_own_name() {
    let app = spawn_app().await;
    let hoa = app.login("canbo").await;
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend(jpeg(10_000, 6));
    let svg =
        br#"<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect/></svg>"#.to_vec();
    let photo = jpeg(10_000, 7);
    let cases: [(&[u8], &str); 4] = [
        (&png, JPEG),
        (svg.as_slice(), JPEG),
        (svg.as_slice(), WEBP),
        // A real JPEG said to be WebP.
        (&photo, WEBP),
    ];
    for (bytes, content_type) in cases {
        let sha = sha256(bytes);
        let resp = put_chunk(&app, &hoa, &sha, content_type, bytes.len(), 0, bytes).await;
        expect_error(resp, StatusCode::UNPROCESSABLE_ENTITY, "photo_damaged").await;
        assert_eq!(upload_state(&app, &hoa, &sha).await, state(false, 0));
        expect_no_photo(&app, &hoa, &sha, content_type).await;
    }
}

#[tokio::test]
async fn a_chunk_without_the_right_headers_is_refused_and_stores_nothing() {
    let app = spawn_app().await;
    let hoa = app.login("canbo").await;
    let photo = jpeg(10_000, 8);
    let sha = sha256(&photo);
    let total = photo.len().to_string();

    // Only JPEG and WebP are taken.
    for content_type in ["image/png", "image/svg+xml", "application/octet-stream"] {
        let resp = put_chunk(&app, &hoa, &sha, content_type, photo.len(), 0, &photo).await;
        let err = expect_error(resp, StatusCode::UNSUPPORTED_MEDIA_TYPE, "photo_type").await;
        assert_eq!(err.message, "Ảnh phải ở dạng JPEG hoặc WebP.");
    }
    let resp = put_request(&app, &hoa, &sha)
        .header("Upload-Length", &total)
        .header("Upload-Offset", "0")
        .body(photo.clone())
        .send()
        .await
        .unwrap();
    expect_error(resp, StatusCode::UNSUPPORTED_MEDIA_TYPE, "photo_type").await;

    // Larger than the server keeps, by the stated length, before any byte is stored.
    let too_large = (MAX_PHOTO_BYTES + 1) as usize;
    let resp = put_chunk(&app, &hoa, &sha, JPEG, too_large, 0, &photo).await;
    let err = expect_error(resp, StatusCode::PAYLOAD_TOO_LARGE, "photo_too_large").await;
    assert_eq!(err.message, "Ảnh quá lớn: tối đa 4 MB.");

    // Without the length or the offset, or with one that is not a number: the answer names
    // the header.
    let cases: [(&[(&str, &str)], &str); 4] = [
        (&[("Upload-Length", &total)], "upload-offset"),
        (&[("Upload-Offset", "0")], "upload-length"),
        (
            &[("Upload-Length", "lots"), ("Upload-Offset", "0")],
            "upload-length",
        ),
        (
            &[("Upload-Length", &total), ("Upload-Offset", "-1")],
            "upload-offset",
        ),
    ];
    for (headers, named) in cases {
        let mut req = put_request(&app, &hoa, &sha).header(CONTENT_TYPE, JPEG);
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        let resp = req.body(photo.clone()).send().await.unwrap();
        let err = expect_error(resp, StatusCode::BAD_REQUEST, "bad_request").await;
        assert!(
            err.message.to_lowercase().contains(named),
            "{headers:?}: {}",
            err.message
        );
    }

    // An empty chunk, and a chunk running past the stated length.
    let resp = put_chunk(&app, &hoa, &sha, JPEG, photo.len(), 0, &[]).await;
    expect_error(resp, StatusCode::BAD_REQUEST, "bad_request").await;
    let resp = put_chunk(&app, &hoa, &sha, JPEG, 5_000, 0, &photo).await;
    expect_error(resp, StatusCode::BAD_REQUEST, "bad_request").await;

    assert_eq!(upload_state(&app, &hoa, &sha).await, state(false, 0));
    expect_no_photo(&app, &hoa, &sha, "refused").await;
    // The same photo sent properly is taken.
    upload(&app, &hoa, &photo, photo.len()).await;
    expect_photo(&app, &hoa, &photo).await;
}

#[tokio::test]
async fn a_chunk_that_does_not_fit_the_upload_in_progress_is_refused() {
    let app = spawn_app().await;
    let hoa = app.login("canbo").await;
    let photo = jpeg(300_000, 9);
    let sha = sha256(&photo);
    let resp = put_range(&app, &hoa, &sha, &photo, 0, 100_000).await;
    expect_progress(resp, false, 100_000).await;

    let next = &photo[100_000..200_000];
    // Another total length, another type: not the upload that was started.
    let resp = put_chunk(&app, &hoa, &sha, JPEG, 300_001, 100_000, next).await;
    expect_error(resp, StatusCode::BAD_REQUEST, "bad_request").await;
    let resp = put_chunk(&app, &hoa, &sha, WEBP, 300_000, 100_000, next).await;
    expect_error(resp, StatusCode::BAD_REQUEST, "bad_request").await;
    // Running past the end.
    let resp = put_chunk(&app, &hoa, &sha, JPEG, 300_000, 250_000, next).await;
    expect_error(resp, StatusCode::BAD_REQUEST, "bad_request").await;

    assert_eq!(upload_state(&app, &hoa, &sha).await, state(false, 100_000));
    let resp = put_range(&app, &hoa, &sha, &photo, 100_000, 300_000).await;
    expect_progress(resp, true, 300_000).await;
    expect_photo(&app, &hoa, &photo).await;
}

#[tokio::test]
async fn a_photo_of_exactly_the_largest_size_is_taken() {
    let app = spawn_app().await;
    let hoa = app.login("canbo").await;
    let photo = jpeg(MAX_PHOTO_BYTES as usize, 10);
    // In chunks of 1 MiB: under the server's request body limit.
    let sha = upload(&app, &hoa, &photo, 1024 * 1024).await;
    assert_eq!(
        upload_state(&app, &hoa, &sha).await,
        state(true, MAX_PHOTO_BYTES as usize)
    );
    expect_photo(&app, &hoa, &photo).await;
}

#[tokio::test]
async fn a_malformed_photo_name_is_not_found() {
    let app = spawn_app().await;
    let hoa = app.login("canbo").await;
    let photo = jpeg(1_000, 11);
    let sha = sha256(&photo);
    for bad in [
        sha.to_uppercase(),
        sha[..63].to_owned(),
        format!("{sha}0"),
        format!("{}g", &sha[..63]),
        "not-a-photo".into(),
    ] {
        let resp = put_chunk(&app, &hoa, &bad, JPEG, photo.len(), 0, &photo).await;
        expect_error(resp, StatusCode::NOT_FOUND, "not_found").await;
        let resp = app.get(&hoa, &format!("/api/photos/{bad}/upload")).await;
        expect_error(resp, StatusCode::NOT_FOUND, "not_found").await;
        expect_no_photo(&app, &hoa, &bad, &bad).await;
    }
    assert_eq!(upload_state(&app, &hoa, &sha).await, state(false, 0));
}

#[tokio::test]
async fn an_administrator_does_not_upload_photos_and_a_stranger_nothing_at_all() {
    let app = spawn_app().await;
    let admin = app.login("admin").await;
    let photo = jpeg(1_000, 12);
    let sha = sha256(&photo);

    let resp = put_chunk(&app, &admin, &sha, JPEG, photo.len(), 0, &photo).await;
    expect_error(resp, StatusCode::FORBIDDEN, "forbidden").await;
    let resp = app.get(&admin, &format!("/api/photos/{sha}/upload")).await;
    expect_error(resp, StatusCode::FORBIDDEN, "forbidden").await;

    for (method, path) in [
        (Method::PUT, format!("/api/photos/{sha}")),
        (Method::GET, format!("/api/photos/{sha}/upload")),
        (Method::GET, format!("/api/photos/{sha}")),
    ] {
        let resp = app
            .request(method, &path, None)
            .header(CONTENT_TYPE, JPEG)
            .header("Upload-Length", "1000")
            .header("Upload-Offset", "0")
            .body(photo.clone())
            .send()
            .await
            .unwrap();
        expect_error(resp, StatusCode::UNAUTHORIZED, "unauthenticated").await;
    }

    let hoa = app.login("canbo").await;
    assert_eq!(upload_state(&app, &hoa, &sha).await, state(false, 0));
}

// ---------------------------------------------------------------------------------------------
// Who sees a photo
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_photo_is_served_to_its_uploader_and_to_whoever_may_see_a_record_naming_it() {
    let app = spawn_app().await;
    let hoa = app.login("canbo").await; // officer, Nhật Tân
    let boss = app.login("truongcong").await; // supervisor, Nhật Tân
    let lan = app.login("totruong").await; // group leader, Nhật Tân group 1
    let quan = app.login("truongxuanla").await; // supervisor, Xuân La
    let admin = app.login("admin").await;
    let groups = app.ward_groups(&hoa).await;
    let (group_1, group_2) = (groups[0], groups[1]);
    assert_eq!(own_group(&app, &lan).await, group_1);

    let in_group_1 = jpeg(200_000, 20);
    let in_group_2 = jpeg(200_000, 21);
    let in_no_record = jpeg(200_000, 22);
    let quans_own = jpeg(200_000, 23);
    let p1 = upload(&app, &hoa, &in_group_1, PHONE_CHUNK).await;
    let p2 = upload(&app, &hoa, &in_group_2, PHONE_CHUNK).await;
    let p0 = upload(&app, &hoa, &in_no_record, PHONE_CHUNK).await;
    let q = upload(&app, &quan, &quans_own, PHONE_CHUNK).await;
    file(&app, &hoa, report_with_photos(group_1, &[&in_group_1])).await;
    file(&app, &hoa, report_with_photos(group_2, &[&in_group_2])).await;

    // The uploader sees all of hers.
    expect_photo(&app, &hoa, &in_group_1).await;
    expect_photo(&app, &hoa, &in_group_2).await;
    expect_photo(&app, &hoa, &in_no_record).await;
    // The ward's supervisor sees what the ward's records show, and nothing else.
    expect_photo(&app, &boss, &in_group_1).await;
    expect_photo(&app, &boss, &in_group_2).await;
    expect_no_photo(&app, &boss, &p0, "supervisor, photo of no record").await;
    // The group leader sees her group's record's photo only.
    expect_photo(&app, &lan, &in_group_1).await;
    expect_no_photo(&app, &lan, &p2, "group leader, another group").await;
    expect_no_photo(&app, &lan, &p0, "group leader, photo of no record").await;
    // Another ward's supervisor sees his own upload and nothing of Nhật Tân.
    expect_photo(&app, &quan, &quans_own).await;
    for p in [&p1, &p2, &p0] {
        expect_no_photo(&app, &quan, p, "another ward").await;
    }
    expect_no_photo(&app, &boss, &q, "supervisor, another ward's upload").await;
    expect_no_photo(&app, &hoa, &q, "officer, another ward's upload").await;
    for p in [&p1, &p2, &p0, &q] {
        expect_no_photo(&app, &admin, p, "administrator").await;
    }
    // A photo nobody has is not found, whoever asks.
    let unknown = sha256(b"never uploaded");
    expect_no_photo(&app, &hoa, &unknown, "unknown").await;
    expect_no_photo(&app, &boss, &unknown, "unknown").await;

    // Without a sign-in, nothing.
    let resp = app
        .request(Method::GET, &format!("/api/photos/{p1}"), None)
        .send()
        .await
        .unwrap();
    expect_error(resp, StatusCode::UNAUTHORIZED, "unauthenticated").await;
}

#[tokio::test]
async fn a_record_is_complete_only_when_all_its_photos_are() {
    let app = spawn_app().await;
    let lan = app.login("totruong").await;
    let boss = app.login("truongcong").await;
    let group = own_group(&app, &lan).await;
    let first = jpeg(150_000, 30);
    let second = jpeg(150_000, 31);
    let id = file(&app, &lan, report_with_photos(group, &[&first, &second])).await;
    let plain = file(&app, &lan, valid_report(group)).await;

    assert_eq!(photos_missing(&app, &boss, id).await, (2, 2));
    assert_eq!(photos_missing(&app, &boss, plain).await, (0, 0));
    // The group leader reads the same count.
    assert_eq!(photos_missing(&app, &lan, id).await, (2, 2));

    // Half a photo does not count.
    let resp = put_range(&app, &lan, &sha256(&first), &first, 0, 100_000).await;
    expect_progress(resp, false, 100_000).await;
    assert_eq!(photos_missing(&app, &boss, id).await, (2, 2));
    let resp = put_range(&app, &lan, &sha256(&first), &first, 100_000, 150_000).await;
    expect_progress(resp, true, 150_000).await;
    assert_eq!(photos_missing(&app, &boss, id).await, (1, 1));

    upload(&app, &lan, &second, PHONE_CHUNK).await;
    assert_eq!(photos_missing(&app, &boss, id).await, (0, 0));
    expect_photo(&app, &boss, &first).await;
    expect_photo(&app, &boss, &second).await;

    // A record naming photos already on the server is complete from the start.
    let again = file(&app, &lan, report_with_photos(group, &[&second])).await;
    assert_eq!(photos_missing(&app, &boss, again).await, (0, 0));
}

// ---------------------------------------------------------------------------------------------
// Durability and concurrency
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn an_upload_in_progress_and_a_stored_photo_survive_a_restart() {
    let app = spawn_app_with_photo_dir().await;
    let hoa = app.login("canbo").await;
    let photo = jpeg(300_000, 40);
    let sha = sha256(&photo);
    let resp = put_range(&app, &hoa, &sha, &photo, 0, PHONE_CHUNK).await;
    expect_progress(resp, false, PHONE_CHUNK).await;

    let app = app.restart().await;

    assert_eq!(
        upload_state(&app, &hoa, &sha).await,
        state(false, PHONE_CHUNK)
    );
    let resp = put_range(&app, &hoa, &sha, &photo, PHONE_CHUNK, 2 * PHONE_CHUNK).await;
    expect_progress(resp, false, 2 * PHONE_CHUNK).await;
    let resp = put_range(&app, &hoa, &sha, &photo, 2 * PHONE_CHUNK, 300_000).await;
    expect_progress(resp, true, 300_000).await;
    expect_photo(&app, &hoa, &photo).await;

    let app = app.restart().await;

    assert_eq!(upload_state(&app, &hoa, &sha).await, state(true, 300_000));
    expect_photo(&app, &hoa, &photo).await;
}

#[tokio::test]
async fn of_two_chunks_racing_for_the_same_offset_only_one_moves_the_upload_forward() {
    let app = spawn_app().await;
    let hoa = app.login("canbo").await;
    let photo = jpeg(300_000, 50);
    let sha = sha256(&photo);

    let (a, b) = tokio::join!(
        put_range(&app, &hoa, &sha, &photo, 0, 100_000),
        put_range(&app, &hoa, &sha, &photo, 0, 100_000),
    );
    let (won, lost) = match (a.status(), b.status()) {
        (StatusCode::OK, StatusCode::CONFLICT) => (a, b),
        (StatusCode::CONFLICT, StatusCode::OK) => (b, a),
        other => panic!("one chunk is taken and the other told where to go on, got {other:?}"),
    };
    expect_progress(won, false, 100_000).await;
    expect_out_of_step(lost, 100_000).await;
    assert_eq!(upload_state(&app, &hoa, &sha).await, state(false, 100_000));

    // The same race for the last chunk: it is taken once, and the photo is whole.
    let (a, b) = tokio::join!(
        put_range(&app, &hoa, &sha, &photo, 100_000, 300_000),
        put_range(&app, &hoa, &sha, &photo, 100_000, 300_000),
    );
    let statuses = [a.status(), b.status()];
    assert!(
        statuses.contains(&StatusCode::OK)
            && statuses
                .iter()
                .all(|s| [StatusCode::OK, StatusCode::CONFLICT].contains(s)),
        "{statuses:?}"
    );
    for resp in [a, b] {
        if resp.status() == StatusCode::OK {
            expect_progress(resp, true, 300_000).await;
        } else {
            // Told to ask where the upload stands; which offset depends on how far the
            // winner got, so only its presence is checked.
            assert!(upload_offset(&resp).is_some(), "{:?}", resp.headers());
            expect_error(resp, StatusCode::CONFLICT, "upload_offset").await;
        }
    }
    assert_eq!(upload_state(&app, &hoa, &sha).await, state(true, 300_000));
    expect_photo(&app, &hoa, &photo).await;
    // Both attempts may have finished the photo; it is in the audit trail once.
    let uploads: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_log WHERE action = 'photo.upload' AND entity_id = $1",
    )
    .bind(&sha)
    .fetch_one(&app.state.db.pool)
    .await
    .unwrap();
    assert_eq!(uploads, 1);
}

// ---------------------------------------------------------------------------------------------
// Bugs these tests found in the first version of the upload code, kept as regressions.
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_stale_upload_with_another_size_or_type_does_not_block_a_fresh_start() {
    let app = spawn_app().await;
    let hoa = app.login("canbo").await;
    let photo = jpeg(300_000, 12);
    let sha = sha256(&photo);
    // An earlier start under this name with the wrong size, then one with a wrong type.
    let resp = put_chunk(&app, &hoa, &sha, JPEG, 5, 0, &photo[..1]).await;
    expect_progress(resp, false, 1).await;
    let resp = put_chunk(&app, &hoa, &sha, WEBP, 300_000, 0, &photo[..10]).await;
    expect_progress(resp, false, 10).await;
    // The real photo, started from 0, replaces that upload and completes.
    let resp = put_range(&app, &hoa, &sha, &photo, 0, 300_000).await;
    expect_progress(resp, true, 300_000).await;
    expect_photo(&app, &hoa, &photo).await;
}

#[tokio::test]
async fn another_users_upload_of_the_same_photo_never_resets_or_completes_mine() {
    let app = spawn_app().await;
    let hoa = app.login("canbo").await;
    let other = app.login("totruong").await;
    let photo = jpeg(300_000, 13);
    let sha = sha256(&photo);
    let resp = put_range(&app, &hoa, &sha, &photo, 0, 150_000).await;
    expect_progress(resp, false, 150_000).await;
    // Someone who saw the photo's reference starts "it" again, with another size and type.
    let resp = put_chunk(&app, &other, &sha, WEBP, 5, 0, &photo[..1]).await;
    expect_progress(resp, false, 1).await;
    assert_eq!(upload_state(&app, &hoa, &sha).await, state(false, 150_000));
    // Mine goes on from where it was.
    let resp = put_range(&app, &hoa, &sha, &photo, 150_000, 300_000).await;
    expect_progress(resp, true, 300_000).await;
    expect_photo(&app, &hoa, &photo).await;
    // The other user still has not sent the bytes, so holds nothing.
    assert_eq!(upload_state(&app, &other, &sha).await, state(false, 1));
    expect_no_photo(&app, &other, &sha, "a user who never sent the bytes").await;
}

#[tokio::test]
async fn a_user_keeps_at_most_twenty_unfinished_uploads_the_oldest_make_way() {
    let app = spawn_app().await;
    let hoa = app.login("canbo").await;
    let made_up: Vec<Vec<u8>> = (0..25).map(|n| jpeg(1_000_000, 100 + n)).collect();
    for photo in &made_up {
        let resp = put_range(&app, &hoa, &sha256(photo), photo, 0, 1_000).await;
        expect_progress(resp, false, 1_000).await;
    }
    let open: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM photo_uploads")
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    assert_eq!(
        open,
        server::photos::MAX_OPEN_UPLOADS_PER_USER,
        "each held a chunk for ever before"
    );
    // The first ones made way; the latest are still open.
    assert_eq!(
        upload_state(&app, &hoa, &sha256(&made_up[0])).await,
        state(false, 0)
    );
    assert_eq!(
        upload_state(&app, &hoa, &sha256(&made_up[24])).await,
        state(false, 1_000)
    );
    // Another user is not affected by this one's uploads.
    let lan = app.login("totruong").await;
    let mine = jpeg(2_000, 99);
    upload(&app, &lan, &mine, 1_000).await;
}

#[tokio::test]
async fn the_sweep_removes_abandoned_uploads_and_unnamed_photos_but_never_one_a_record_needs() {
    let app = spawn_app().await;
    let lan = app.login("totruong").await;
    let boss = app.login("truongcong").await;
    let group = own_group(&app, &lan).await;
    let named = jpeg(5_000, 70);
    let unnamed = jpeg(5_000, 71);
    let half = jpeg(300_000, 72);
    let id = file(&app, &lan, report_with_photos(group, &[&named])).await;
    upload(&app, &lan, &named, PHONE_CHUNK).await;
    upload(&app, &lan, &unnamed, PHONE_CHUNK).await;
    let resp = put_range(&app, &lan, &sha256(&half), &half, 0, 1_000).await;
    expect_progress(resp, false, 1_000).await;

    // Nothing is old enough yet.
    let swept = server::photos::sweep(&app.state.db, &app.state.photos, 1, 1)
        .await
        .unwrap();
    assert_eq!(swept, server::photos::Swept::default());

    let swept = server::photos::sweep(&app.state.db, &app.state.photos, 0, 0)
        .await
        .unwrap();
    assert_eq!((swept.uploads, swept.photos), (1, 1), "{swept:?}");
    assert_eq!(
        upload_state(&app, &lan, &sha256(&half)).await,
        state(false, 0)
    );
    expect_no_photo(&app, &lan, &sha256(&unnamed), "a swept photo").await;
    // The record's photo stays, for its author and its supervisor.
    expect_photo(&app, &lan, &named).await;
    expect_photo(&app, &boss, &named).await;
    assert_eq!(photos_missing(&app, &boss, id).await, (0, 0));
}

#[tokio::test]

async fn a_served_photo_is_never_kept_in_the_browser_cache() {
    let app = spawn_app().await;
    let hoa = app.login("canbo").await;
    let photo = jpeg(10_000, 60);
    let sha = upload(&app, &hoa, &photo, photo.len()).await;
    let resp = download(&app, &hoa, &sha).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let cache = resp
        .headers()
        .get(CACHE_CONTROL)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    // Personal, and on a shared phone the cache would outlive the sign-out.
    assert_eq!(cache, "no-store");
    // An error answer about a photo is still never cached.
    let resp = download(&app, &hoa, &sha256(b"nothing")).await;
    assert_eq!(resp.headers().get(CACHE_CONTROL).unwrap(), "no-store");
}

/// Uploads as the phone does (`app/src/sync.rs`): ask where the server stands, send the next
/// chunk from there, ask again after a 409, start over once after a 422. Fails on any other
/// answer, or when the photo is not complete after `rounds` chunks.
async fn upload_like_the_phone(
    app: &TestApp,
    token: &str,
    photo: &[u8],
    rounds: usize,
) -> Result<(), String> {
    let sha = sha256(photo);
    let mut at = upload_state(app, token, &sha).await;
    let mut restarts = 0;
    for _ in 0..rounds {
        if at["complete"] == true {
            return Ok(());
        }
        let from = at["received"].as_u64().unwrap() as usize;
        let to = (from + PHONE_CHUNK).min(photo.len());
        let resp = put_range(app, token, &sha, photo, from, to).await;
        at = match resp.status() {
            StatusCode::OK => resp.json().await.unwrap(),
            StatusCode::CONFLICT => upload_state(app, token, &sha).await,
            StatusCode::UNPROCESSABLE_ENTITY if restarts == 0 => {
                restarts += 1;
                state(false, 0)
            }
            other => {
                return Err(format!(
                    "chunk {from}..{to} answered {other}: {}",
                    resp.text().await.unwrap()
                ))
            }
        };
    }
    Err(format!("not complete after {rounds} requests: {at}"))
}

#[tokio::test]
async fn an_upload_whose_last_chunk_failed_to_be_stored_can_still_be_completed() {
    let app = spawn_app_with_photo_dir().await;
    let hoa = app.login("canbo").await;
    let photo = jpeg(300_000, 61);
    let sha = sha256(&photo);
    let resp = put_range(&app, &hoa, &sha, &photo, 0, 200_000).await;
    expect_progress(resp, false, 200_000).await;

    // The disk refuses the finished photo once (a file where its directory should be).
    let photos = app.photo_dir().unwrap().join("photos");
    std::fs::create_dir_all(&photos).unwrap();
    let blocker = photos.join(&sha[..2]);
    std::fs::write(&blocker, b"in the way").unwrap();
    let resp = put_range(&app, &hoa, &sha, &photo, 200_000, 300_000).await;
    expect_error(resp, StatusCode::INTERNAL_SERVER_ERROR, "internal").await;
    std::fs::remove_file(&blocker).unwrap();

    // Once the disk is fine again, the phone's next attempts get the photo through.
    upload_like_the_phone(&app, &hoa, &photo, 8).await.unwrap();
    expect_photo(&app, &hoa, &photo).await;
}

#[tokio::test]
async fn an_absurd_upload_offset_is_a_bad_request() {
    let app = spawn_app().await;
    let hoa = app.login("canbo").await;
    let photo = jpeg(1_000, 62);
    let sha = sha256(&photo);
    let resp = put_request(&app, &hoa, &sha)
        .header(CONTENT_TYPE, JPEG)
        .header("Upload-Length", "1000")
        .header("Upload-Offset", u64::MAX.to_string())
        .body(photo[..1].to_vec())
        .send()
        .await
        .expect("an answer, not a dropped connection");
    expect_error(resp, StatusCode::BAD_REQUEST, "bad_request").await;
    assert_eq!(upload_state(&app, &hoa, &sha).await, state(false, 0));
}

#[tokio::test]
async fn a_chunk_over_the_request_limit_is_refused_with_the_json_error() {
    let app = spawn_app().await;
    let hoa = app.login("canbo").await;
    // Within the photo limit (4 MiB), over the request limit (2 MiB) when sent in one piece.
    let photo = jpeg(3 * 1024 * 1024, 63);
    let sha = sha256(&photo);
    let resp = put_range(&app, &hoa, &sha, &photo, 0, photo.len()).await;
    expect_error(resp, StatusCode::PAYLOAD_TOO_LARGE, "too_large").await;
    assert_eq!(upload_state(&app, &hoa, &sha).await, state(false, 0));
}

#[tokio::test]
async fn a_photo_a_correction_dropped_is_no_longer_awaited_but_stays_readable_in_the_history() {
    let app = spawn_app().await;
    let lan = app.login("totruong").await;
    let boss = app.login("truongcong").await;
    let group = own_group(&app, &lan).await;
    let (blurred, sharp) = (jpeg(20_000, 31), jpeg(20_000, 32));
    let report = report_with_photos(group, &[&blurred]);
    let id = file(&app, &lan, report.clone()).await;
    assert_eq!(photos_missing(&app, &boss, id).await, (1, 1));
    let resp = app
        .review(&boss, id, "return", Some("Ảnh mờ, chụp lại."))
        .await;
    assert_eq!(resp.status(), StatusCode::OK);

    // The author retakes the photo before the blurred one ever got through.
    let mut fixed = report_with_photos(group, &[&sharp]);
    fixed.id = id;
    fixed.revision = Some(domain::record::Revision {
        id: Uuid::now_v7(),
        base: id,
    });
    assert_eq!(
        app.push_ok(&lan, vec![fixed]).await,
        [PushOutcome::Accepted]
    );
    assert_eq!(
        photos_missing(&app, &boss, id).await,
        (1, 1),
        "only the new photo is awaited"
    );
    upload(&app, &lan, &sharp, sharp.len()).await;
    assert_eq!(photos_missing(&app, &boss, id).await, (0, 0));
    // The first photo, sent late, can still be seen with the revision that named it.
    upload(&app, &lan, &blurred, blurred.len()).await;
    expect_photo(&app, &boss, &blurred).await;
}
