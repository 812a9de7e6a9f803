//! Clients that stall — half a header, half a body, an idle kept-alive connection — are cut off,
//! and connections beyond the limit are told "busy" instead of piling up.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::{spawn_app_with_config, TestApp};

/// Long enough for a loaded CI machine, short enough that a held connection fails the test.
const DEADLINE: Duration = Duration::from_secs(15);

async fn quick_timeouts() -> TestApp {
    spawn_app_with_config(|c| {
        c.header_timeout_secs = 1;
        c.body_timeout_secs = 1;
    })
    .await
}

async fn connect(app: &TestApp) -> TcpStream {
    TcpStream::connect(app.address.trim_start_matches("http://"))
        .await
        .expect("connect")
}

/// Everything the server sends until it closes the connection; fails if it is still open at
/// the deadline.
async fn read_until_closed(stream: &mut TcpStream) -> String {
    let mut got = Vec::new();
    let read = tokio::time::timeout(DEADLINE, async {
        let mut buf = [0u8; 4096];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    assert!(
        read.is_ok(),
        "the server still holds the connection after {DEADLINE:?}; it sent {:?}",
        String::from_utf8_lossy(&got)
    );
    String::from_utf8_lossy(&got).into_owned()
}

#[tokio::test]
async fn a_client_that_sends_half_its_headers_is_disconnected() {
    let app = quick_timeouts().await;
    let mut s = connect(&app).await;
    s.write_all(b"GET /api/health HTTP/1.1\r\nHost: wardbook\r\nX-Slow: ")
        .await
        .unwrap();
    let answer = read_until_closed(&mut s).await;
    assert!(!answer.contains("200 OK"), "{answer}");
}

#[tokio::test]
async fn a_connection_that_never_sends_anything_is_disconnected() {
    let app = quick_timeouts().await;
    let mut s = connect(&app).await;
    read_until_closed(&mut s).await;
}

#[tokio::test]
async fn an_idle_kept_alive_connection_is_closed_after_its_answer() {
    let app = quick_timeouts().await;
    let mut s = connect(&app).await;
    s.write_all(b"GET /api/health HTTP/1.1\r\nHost: wardbook\r\n\r\n")
        .await
        .unwrap();
    let answer = read_until_closed(&mut s).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}

#[tokio::test]
async fn a_body_that_stops_arriving_is_answered_408_in_the_callers_language() {
    let app = quick_timeouts().await;
    let mut s = connect(&app).await;
    s.write_all(
        b"POST /api/auth/login HTTP/1.1\r\nHost: wardbook\r\nContent-Type: application/json\r\n\
          Content-Length: 100\r\n\r\n{\"username\":",
    )
    .await
    .unwrap();
    let answer = read_until_closed(&mut s).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("\"code\":\"request_timeout\""), "{answer}");
    assert!(answer.contains("hãy gửi lại"), "{answer}");
}

/// A form definition is read as raw bytes (for its exact error positions): its stalled body
/// must still be a timeout, not "malformed".
#[tokio::test]
async fn a_form_definition_that_stops_arriving_is_answered_408_too() {
    let app = quick_timeouts().await;
    let admin = app.login("admin").await;
    let mut s = connect(&app).await;
    let head = format!(
        "POST /api/forms HTTP/1.1\r\nHost: wardbook\r\nAuthorization: Bearer {admin}\r\n\
         Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"key\":"
    );
    s.write_all(head.as_bytes()).await.unwrap();
    let answer = read_until_closed(&mut s).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("\"code\":\"request_timeout\""), "{answer}");
}

#[tokio::test]
async fn three_hundred_half_open_connections_are_all_closed() {
    let app = quick_timeouts().await;
    let mut conns = Vec::new();
    for _ in 0..300 {
        let mut s = connect(&app).await;
        s.write_all(b"GET /api/health HTTP/1.1\r\nHo")
            .await
            .unwrap();
        conns.push(s);
    }
    for s in &mut conns {
        read_until_closed(s).await;
    }
    // And the server still answers everyone else.
    let resp = app.client.get(app.url("/api/health")).send().await.unwrap();
    assert_eq!(resp.status(), reqwest::StatusCode::OK);
}

#[tokio::test]
async fn a_connection_beyond_the_limit_is_answered_503_at_once_and_the_server_recovers() {
    let app = spawn_app_with_config(|c| {
        c.max_connections = 3;
        c.header_timeout_secs = 2;
    })
    .await;
    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(connect(&app).await);
    }
    // Accepted in order: by the time the fourth is accepted the three hold every place.
    let mut fourth = connect(&app).await;
    let answer = read_until_closed(&mut fourth).await;
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    assert!(answer.contains("\"code\":\"busy\""), "{answer}");
    // Once the silent ones are cut off, there is room again.
    for s in &mut held {
        read_until_closed(s).await;
    }
    let resp = app.client.get(app.url("/api/health")).send().await.unwrap();
    assert_eq!(resp.status(), reqwest::StatusCode::OK);
}

#[tokio::test]
async fn one_address_cannot_take_every_place_and_is_told_busy() {
    let app = spawn_app_with_config(|c| {
        c.max_connections_per_address = 2;
        c.header_timeout_secs = 2;
    })
    .await;
    let mut held = vec![connect(&app).await, connect(&app).await];
    let mut third = connect(&app).await;
    let answer = read_until_closed(&mut third).await;
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    assert!(answer.contains("Retry-After: 5"), "{answer}");
    for s in &mut held {
        read_until_closed(s).await;
    }
    let resp = app.client.get(app.url("/api/health")).send().await.unwrap();
    assert_eq!(resp.status(), reqwest::StatusCode::OK);
}

#[tokio::test]
async fn a_connection_kept_busy_for_ever_is_closed_after_its_longest_life() {
    let app = spawn_app_with_config(|c| c.max_connection_secs = 2).await;
    let mut s = connect(&app).await;
    let closed = tokio::time::timeout(DEADLINE, async {
        let mut buf = [0u8; 4096];
        loop {
            // A request every 300 ms: never idle, never slow, yet not for ever.
            if s.write_all(b"GET /api/health HTTP/1.1\r\nHost: wardbook\r\n\r\n")
                .await
                .is_err()
            {
                return;
            }
            match s.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => tokio::time::sleep(Duration::from_millis(300)).await,
            }
        }
    })
    .await;
    assert!(
        closed.is_ok(),
        "the connection was still open after {DEADLINE:?}"
    );
}

#[tokio::test]
async fn a_request_that_trickles_past_its_time_is_answered_408_in_english_when_asked() {
    let app = spawn_app_with_config(|c| {
        c.request_timeout_secs = 2;
        c.body_timeout_secs = 30;
    })
    .await;
    let mut s = connect(&app).await;
    s.write_all(
        b"POST /api/auth/login HTTP/1.1\r\nHost: wardbook\r\nAccept-Language: en\r\n\
          Content-Type: application/json\r\nContent-Length: 100\r\n\r\n",
    )
    .await
    .unwrap();
    // One byte every 300 ms: never a pause long enough for the body timeout.
    let trickle = tokio::time::timeout(DEADLINE, async {
        let mut buf = [0u8; 4096];
        let mut got = Vec::new();
        for _ in 0..99 {
            if s.write_all(b" ").await.is_err() {
                break;
            }
            tokio::select! {
                n = s.read(&mut buf) => match n {
                    Ok(0) | Err(_) => break,
                    Ok(n) => got.extend_from_slice(&buf[..n]),
                },
                () = tokio::time::sleep(Duration::from_millis(300)) => {}
            }
            if got.windows(4).any(|w| w == b"\r\n\r\n") {
                break;
            }
        }
        String::from_utf8_lossy(&got).into_owned()
    })
    .await
    .expect("answered before the deadline");
    assert!(trickle.starts_with("HTTP/1.1 408"), "{trickle}");
    let body = read_until_closed(&mut s).await;
    let all = format!("{trickle}{body}");
    assert!(all.contains("send it again"), "{all}");
}

#[tokio::test]
async fn a_request_in_flight_when_its_connection_reaches_its_longest_life_is_answered_in_full() {
    let app = spawn_app_with_config(|c| {
        c.max_connection_secs = 1;
        c.body_timeout_secs = 30;
    })
    .await;
    let mut s = connect(&app).await;
    let body = br#"{"username":"nobody","password":"not-the-password"}"#;
    s.write_all(
        format!(
            "POST /api/auth/login HTTP/1.1\r\nHost: wardbook\r\nAccept-Language: en\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            body.len()
        )
        .as_bytes(),
    )
    .await
    .unwrap();
    // The body arrives over about 2 s, so the connection's 1 s life ends mid-request.
    for chunk in body.chunks(4) {
        s.write_all(chunk).await.expect("the server kept reading");
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    let answer = read_until_closed(&mut s).await;
    let (head, json) = answer
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("no whole answer: {answer:?}"));
    assert!(head.starts_with("HTTP/1.1 401"), "{head}");
    assert!(
        head.to_ascii_lowercase().contains("connection: close"),
        "{head}"
    );
    let json: serde_json::Value = serde_json::from_str(json).expect("the whole body");
    assert_eq!(json["code"], "bad_credentials", "{json}");
}

#[tokio::test]
async fn a_kept_alive_connection_past_its_longest_life_ends_with_an_answer_that_says_so_not_under_a_request(
) {
    let app = spawn_app_with_config(|c| {
        // Three seconds: the first answer must come within the life, even on a loaded machine.
        c.max_connection_secs = 3;
        c.header_timeout_secs = 30;
    })
    .await;
    let mut s = connect(&app).await;
    let get = b"GET /api/health HTTP/1.1\r\nHost: wardbook\r\n\r\n";
    s.write_all(get).await.unwrap();
    // The first answer, whole (its length is in its head), on a connection that stays open.
    let first = tokio::time::timeout(DEADLINE, async {
        let mut got = Vec::new();
        let mut buf = [0u8; 4096];
        loop {
            let n = s.read(&mut buf).await.expect("the first answer");
            assert!(n > 0, "closed before the first answer: {got:?}");
            got.extend_from_slice(&buf[..n]);
            let text = String::from_utf8_lossy(&got).into_owned();
            if let Some((head, body)) = text.split_once("\r\n\r\n") {
                let length: usize = head
                    .lines()
                    .find_map(|l| {
                        let (k, v) = l.split_once(':')?;
                        k.eq_ignore_ascii_case("content-length")
                            .then(|| v.trim().parse().ok())?
                    })
                    .expect("a content-length");
                if body.len() >= length {
                    return text;
                }
            }
        }
    })
    .await
    .expect("the first answer before the deadline");
    assert!(first.starts_with("HTTP/1.1 200"), "{first}");
    assert!(
        !first.to_ascii_lowercase().contains("connection: close"),
        "{first}"
    );
    // Idle past the connection's three-second life (the condition is the time itself), then a
    // request as a client sends one on a kept-alive connection: it is answered, and the answer
    // says it is the last. Closing the idle connection instead would lose a request sent at
    // that moment.
    tokio::time::sleep(Duration::from_millis(3500)).await;
    s.write_all(get)
        .await
        .expect("the connection is still open");
    let last = read_until_closed(&mut s).await;
    assert!(last.starts_with("HTTP/1.1 200"), "{last:?}");
    assert!(
        last.to_ascii_lowercase().contains("connection: close"),
        "{last}"
    );
}
