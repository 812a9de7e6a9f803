//! The HTTP listener: at most so many connections at once, and none held by a client that
//! stalls — while it sends its headers, while it sends a body, or while it sits idle between
//! requests.
//!
//! `axum::serve` sets none of these limits (its connections have no timer), so a few thousand
//! half-open connections would hold the server's sockets and memory for ever. This is the same
//! accept loop on hyper's own builder, with its timers on.

use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{ConnectInfo, Request};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower::ServiceExt;

use crate::error::AppError;

/// How long the server waits for a client, and how many it serves at once.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// From a connection's start, or the end of its last answer, until the next request's
    /// headers are complete. Also the idle time after which a kept-alive connection is closed.
    pub header_timeout: Duration,
    /// Longest wait for the next piece of a request body.
    pub body_timeout: Duration,
    /// Longest time one request may take, body included, before it is answered 408.
    pub request_timeout: Duration,
    /// Connections served at once; one more is answered 503 and closed at once.
    pub max_connections: usize,
}

/// What a connection over the limit is told before it is closed: not a hang, a clear "later".
const BUSY: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 5\r\nContent-Type: application/json\r\nContent-Length: 90\r\nConnection: close\r\n\r\n{\"code\":\"busy\",\"message\":\"M\xc3\xa1y ch\xe1\xbb\xa7 \xc4\x91ang qu\xc3\xa1 t\xe1\xba\xa3i. H\xc3\xa3y th\xe1\xbb\xad l\xe1\xba\xa1i sau.\",\"fields\":[]}";

/// Serves `router` on `listener` until `shutdown` completes, then lets open requests finish
/// (for at most `drain`). Every request carries [`ConnectInfo`] with the peer's address.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()>,
    drain: Duration,
) -> std::io::Result<()> {
    let router = router.layer(axum::middleware::from_fn_with_state(
        limits,
        request_deadline,
    ));
    let permits = Arc::new(Semaphore::new(limits.max_connections));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    // HTTP/1.1 only: browsers speak HTTP/2 only over TLS, which a proxy in front of us ends.
    // (hyper-util's auto-detecting builder would also wait, with no timer, for the first bytes
    // that tell the two apart: a connection that never sends anything would stay for ever.)
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout);
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(conn) => conn,
                Err(e) => {
                    // Out of file descriptors, or a connection reset before it was accepted:
                    // wait a moment rather than spin, as axum::serve does.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Ok(permit) = permits.clone().try_acquire_owned() else {
            tracing::warn!(%peer, max = limits.max_connections, "connection refused: too many open");
            // Non-blocking: a client that does not read this must not hold the loop either.
            let _ = stream.try_write(BUSY);
            drop(stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let router = router.clone();
        let service = hyper::service::service_fn(move |mut req: Request<Incoming>| {
            req.extensions_mut().insert(ConnectInfo(peer));
            let router = router.clone();
            async move { Ok::<_, Infallible>(router.oneshot(req).await.into_response()) }
        });
        let conn = builder.serve_connection(TokioIo::new(stream), service);
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(%peer, error = %e, "connection ended");
            }
            drop(permit);
        });
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(drain) => tracing::warn!("shutting down with requests still open"),
    }
    Ok(())
}

/// Middleware: a request body that stops arriving, or a request that takes too long as a whole,
/// is answered 408 (in the caller's language) instead of holding its connection.
async fn request_deadline(
    axum::extract::State(limits): axum::extract::State<Limits>,
    req: Request,
    next: Next,
) -> Response {
    let req = req.map(|body| {
        axum::body::Body::new(tower_http::timeout::TimeoutBody::new(
            limits.body_timeout,
            body,
        ))
    });
    match tokio::time::timeout(limits.request_timeout, next.run(req)).await {
        Ok(res) => res,
        Err(_) => AppError::RequestTimeout.into_response(),
    }
}

/// A body read that timed out: the client stopped sending.
pub fn is_body_timeout(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut cur = Some(e);
    while let Some(err) = cur {
        if err.is::<tower_http::timeout::TimeoutError>() {
            return true;
        }
        cur = err.source();
    }
    false
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_busy_answer_announces_its_exact_length() {
        let text = std::str::from_utf8(super::BUSY).unwrap();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        assert!(
            head.contains(&format!("Content-Length: {}", body.len())),
            "{head}"
        );
        let json: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(json["code"], "busy");
    }
}
