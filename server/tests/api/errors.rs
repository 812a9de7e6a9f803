use axum::body::Body;
use axum::http::{header, Request};
use domain::api::ErrorBody;
use http_body_util::BodyExt;
use reqwest::{Method, StatusCode};
use serde_json::json;
use tower::ServiceExt;

use crate::helpers::{expect_error, own_group, spawn_app, valid_report};

#[tokio::test]
async fn malformed_json_is_a_bad_request() {
    let app = spawn_app().await;
    let lan = app.login("totruong").await;
    let resp = app
        .request(Method::POST, "/api/sync/push", Some(&lan))
        .header("content-type", "application/json")
        .body(r#"{"records": [ {"id": "#)
        .send()
        .await
        .unwrap();
    let err = expect_error(resp, StatusCode::BAD_REQUEST, "bad_request").await;
    assert!(
        err.message.starts_with("Yêu cầu không hợp lệ"),
        "{}",
        err.message
    );
    assert_eq!(app.total_records().await, 0);
}

#[tokio::test]
async fn well_formed_json_of_the_wrong_types_is_a_validation_error() {
    let app = spawn_app().await;
    let lan = app.login("totruong").await;
    let resp = app
        .post_json(&lan, "/api/sync/push", &json!({ "records": "all of them" }))
        .await;
    let err = expect_error(resp, StatusCode::UNPROCESSABLE_ENTITY, "validation").await;
    assert!(
        err.message.starts_with("Dữ liệu sai kiểu"),
        "{}",
        err.message
    );

    // A record whose id is not a UUID, in English.
    let mut record = serde_json::to_value(valid_report(own_group(&app, &lan).await)).unwrap();
    record["id"] = json!("record-1");
    let resp = app
        .request(Method::POST, "/api/sync/push", Some(&lan))
        .header("accept-language", "en")
        .json(&json!({ "records": [record] }))
        .send()
        .await
        .unwrap();
    let err = expect_error(resp, StatusCode::UNPROCESSABLE_ENTITY, "validation").await;
    assert!(
        err.message.starts_with("Wrong data types"),
        "{}",
        err.message
    );
    assert_eq!(app.total_records().await, 0);

    // Sign-in too.
    let resp = app
        .request(Method::POST, "/api/auth/login", None)
        .json(&json!({ "username": "totruong", "password": 12345 }))
        .send()
        .await
        .unwrap();
    expect_error(resp, StatusCode::UNPROCESSABLE_ENTITY, "validation").await;
}

#[tokio::test]
async fn a_body_that_is_not_json_is_an_unsupported_media_type() {
    let app = spawn_app().await;
    let lan = app.login("totruong").await;
    let body = serde_json::to_string(&json!({ "records": [] })).unwrap();
    let resp = app
        .request(Method::POST, "/api/sync/push", Some(&lan))
        .header("content-type", "text/plain")
        .body(body.clone())
        .send()
        .await
        .unwrap();
    let err = expect_error(
        resp,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
    )
    .await;
    assert_eq!(err.message, "Dữ liệu phải ở dạng JSON.");
    // No content type at all.
    let resp = app
        .request(Method::POST, "/api/sync/push", Some(&lan))
        .body(body)
        .send()
        .await
        .unwrap();
    expect_error(
        resp,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
    )
    .await;
}

/// A push body of about 3 MB, over the 2 MB default limit, made of valid records.
fn oversized_push(group: i64) -> (Vec<u8>, usize) {
    let mut records = Vec::new();
    let mut len = 0;
    while len < 3 * 1024 * 1024 {
        let mut r = valid_report(group);
        r.data
            .insert("description".into(), json!("Mất xe máy. ".repeat(2500)));
        len += serde_json::to_vec(&r).unwrap().len();
        records.push(r);
    }
    let n = records.len();
    (
        serde_json::to_vec(&json!({ "records": records })).unwrap(),
        n,
    )
}

#[tokio::test]
async fn a_body_over_the_configured_limit_is_too_large() {
    let app = spawn_app().await;
    assert_eq!(app.state.config.max_body_bytes, 2 * 1024 * 1024);
    let lan = app.login("totruong").await;
    let (body, n) = oversized_push(own_group(&app, &lan).await);
    assert!(body.len() > app.state.config.max_body_bytes + 512 * 1024);
    assert!(
        n <= domain::sync::MAX_PUSH_BATCH,
        "a legal batch, only too heavy"
    );

    let resp = app
        .request(Method::POST, "/api/sync/push", Some(&lan))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    let err = expect_error(resp, StatusCode::PAYLOAD_TOO_LARGE, "too_large").await;
    assert_eq!(err.message, "Dữ liệu gửi lên quá lớn.");
    assert_eq!(app.total_records().await, 0);
}

#[tokio::test]
async fn a_body_over_the_limit_is_too_large_in_process_too() {
    let app = spawn_app().await;
    let lan = app.login("totruong").await;
    let (body, _) = oversized_push(own_group(&app, &lan).await);
    let req = Request::post("/api/sync/push")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::AUTHORIZATION, format!("Bearer {lan}"))
        .header(header::ACCEPT_LANGUAGE, "en")
        .body(Body::from(body))
        .unwrap();
    let resp = app.router().oneshot(req).await.unwrap();
    assert_eq!(resp.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    let err: ErrorBody = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(err.code, "too_large");
    assert_eq!(err.message, "The request is too large.");
    assert_eq!(app.total_records().await, 0);
}

#[tokio::test]
async fn an_unknown_api_path_is_a_json_not_found() {
    let app = spawn_app().await;
    let lan = app.login("totruong").await;
    let resp = app.get(&lan, "/api/nothing/here").await;
    let err = expect_error(resp, StatusCode::NOT_FOUND, "not_found").await;
    assert_eq!(err.message, "Không tìm thấy.");
    // Even before signing in.
    let resp = app
        .request(Method::GET, "/api/nothing", None)
        .header("accept-language", "en")
        .send()
        .await
        .unwrap();
    let err = expect_error(resp, StatusCode::NOT_FOUND, "not_found").await;
    assert_eq!(err.message, "Not found.");
}

#[tokio::test]
async fn a_malformed_record_id_answers_with_the_json_error_shape() {
    let app = spawn_app().await;
    let boss = app.login("truongcong").await;
    let resp = app.get(&boss, "/api/records/not-a-uuid").await;
    expect_error(resp, StatusCode::BAD_REQUEST, "bad_request").await;
    let resp = app
        .post_json(
            &boss,
            "/api/records/not-a-uuid/review",
            &json!({ "action": "approve" }),
        )
        .await;
    expect_error(resp, StatusCode::BAD_REQUEST, "bad_request").await;
}

#[tokio::test]
async fn a_malformed_cursor_answers_with_the_json_error_shape() {
    let app = spawn_app().await;
    let lan = app.login("totruong").await;
    let resp = app.get(&lan, "/api/sync/pull?cursor=yesterday").await;
    expect_error(resp, StatusCode::BAD_REQUEST, "bad_request").await;
    let resp = app.get(&lan, "/api/records?limit=many").await;
    // A group leader may list; the query is what is wrong.
    expect_error(resp, StatusCode::BAD_REQUEST, "bad_request").await;
}

#[tokio::test]
async fn a_wrong_method_is_a_json_method_not_allowed() {
    let app = spawn_app().await;
    let resp = app
        .request(Method::GET, "/api/sync/push", None)
        .header("accept-language", "en")
        .send()
        .await
        .unwrap();
    let err = expect_error(resp, StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed").await;
    assert_eq!(err.message, "This address does not accept that method.");
}

#[tokio::test]
async fn a_method_no_route_takes_is_405_on_every_api_address_trace_included() {
    let app = spawn_app().await;
    let id = uuid::Uuid::now_v7();
    for path in [
        "/api/health".to_owned(),
        "/api/records".to_owned(),
        format!("/api/records/{id}"),
        "/api/exports".to_owned(),
        format!("/api/exports/{id}/file"),
        "/api/sync/push".to_owned(),
    ] {
        for method in ["TRACE", "PATCH"] {
            let resp = app
                .request(Method::from_bytes(method.as_bytes()).unwrap(), &path, None)
                .send()
                .await
                .unwrap();
            assert_eq!(
                resp.status(),
                StatusCode::METHOD_NOT_ALLOWED,
                "{method} {path}"
            );
        }
    }
}
