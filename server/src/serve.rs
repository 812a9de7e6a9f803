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
    /// Connections from one address at once (a station's phones may share one address; a
    /// browser opens at most 6), so one caller cannot take every place.
    pub max_connections_per_address: usize,
    /// The longest a connection stays open, however busy: a client that asks for a large
    /// answer and never reads it holds its place no longer than this.
    pub max_connection_life: Duration,
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
    let per_address = Arc::new(PerKey::<std::net::IpAddr>::default());
    let refusals = RateLimitedLog::default();
    // Stopping: every connection is told to finish its request in flight and close.
    let (stopping, stop) = tokio::sync::watch::channel(false);
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
        let place = per_address.take(network_of(peer.ip()), limits.max_connections_per_address);
        let permit = place
            .is_some()
            .then(|| permits.clone().try_acquire_owned().ok())
            .flatten();
        let (Some(place), Some(permit)) = (place, permit) else {
            refusals.warn(peer, limits);
            tokio::spawn(refuse(stream));
            continue;
        };
        let _ = stream.set_nodelay(true);
        let router = router.clone();
        let born = std::time::Instant::now();
        let service = hyper::service::service_fn(move |mut req: Request<Incoming>| {
            req.extensions_mut().insert(ConnectInfo(peer));
            let router = router.clone();
            async move {
                let mut res = router.oneshot(req).await.into_response();
                if born.elapsed() >= limits.max_connection_life {
                    // Past its longest life: this answer is its last and says so, and hyper
                    // closes the connection after it. Closed between requests instead, it could
                    // cross a request already on its way, which the client would see fail.
                    res.headers_mut().insert(
                        axum::http::header::CONNECTION,
                        axum::http::HeaderValue::from_static("close"),
                    );
                }
                Ok::<_, Infallible>(res)
            }
        });
        let conn = builder.serve_connection(TokioIo::new(stream), service);
        let mut stop = stop.clone();
        tokio::spawn(async move {
            let ended = close_in_time(conn, limits, async move {
                // A dropped sender (the loop gone) counts as stopping too.
                let _ = stop.wait_for(|stopping| *stopping).await;
            })
            .await;
            if let Err(why) = ended {
                tracing::debug!(%peer, error = %why, "connection ended");
            }
            drop((permit, place));
        });
    }
    drop(listener);
    let _ = stopping.send(true);
    // Every connection holds a permit until it has closed: all of them back means all closed.
    let all = u32::try_from(limits.max_connections).unwrap_or(u32::MAX);
    if tokio::time::timeout(drain, permits.acquire_many(all))
        .await
        .is_err()
    {
        tracing::warn!("shutting down with requests still open");
    }
    Ok(())
}

/// Serves one connection until it ends. Past its longest life, its next answer says
/// `Connection: close` and ends it (see [`serve`]); a client that sends nothing more is closed
/// by the idle timeout (`header_timeout`), or at the latest `request_timeout` later. When the
/// server stops, the request in flight is answered in full, with `Connection: close`, and the
/// connection closed (an idle one at once). A client that does not take its answer in
/// `request_timeout` after that loses the connection.
async fn close_in_time<C>(
    conn: C,
    limits: Limits,
    stopping: impl Future<Output = ()>,
) -> Result<(), String>
where
    C: Future<Output = hyper::Result<()>> + GracefulConnection,
{
    tokio::pin!(conn);
    tokio::pin!(stopping);
    let why = tokio::select! {
        ended = conn.as_mut() => return ended.map_err(|e| e.to_string()),
        () = tokio::time::sleep(limits.max_connection_life) => "open too long",
        () = &mut stopping => "server stopping",
    };
    if why == "open too long" {
        tokio::select! {
            ended = conn.as_mut() => return ended.map_err(|e| e.to_string()),
            () = tokio::time::sleep(limits.header_timeout.max(limits.request_timeout)) => {}
            () = &mut stopping => {}
        }
    }
    conn.as_mut().graceful_shutdown();
    match tokio::time::timeout(limits.request_timeout, conn).await {
        Ok(ended) => ended.map_err(|e| format!("{why}: {e}")),
        Err(_) => Err(format!("{why}: its last answer was not taken in time")),
    }
}

/// hyper's connection types each have their own `graceful_shutdown`; this names the one used.
trait GracefulConnection {
    fn graceful_shutdown(self: std::pin::Pin<&mut Self>);
}

impl<I, S> GracefulConnection for hyper::server::conn::http1::Connection<I, S>
where
    S: hyper::service::HttpService<Incoming>,
    S::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    I: hyper::rt::Read + hyper::rt::Write + Unpin,
    S::ResBody: hyper::body::Body + 'static,
    <S::ResBody as hyper::body::Body>::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    fn graceful_shutdown(self: std::pin::Pin<&mut Self>) {
        hyper::server::conn::http1::Connection::graceful_shutdown(self)
    }
}

/// Tells a connection over a limit "busy" and closes it gently: the answer is written, the
/// sending side shut, and what the client sent read away for a moment, so that it sees the 503
/// instead of a reset. Never more than a second per refused connection.
async fn refuse(mut stream: tokio::net::TcpStream) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let _ = tokio::time::timeout(Duration::from_secs(1), async {
        stream.write_all(BUSY).await?;
        stream.shutdown().await?;
        let mut sink = [0u8; 1024];
        while stream.read(&mut sink).await? > 0 {}
        Ok::<_, std::io::Error>(())
    })
    .await;
}

/// The address as counted: IPv6 by its /64 (one subscriber's network, which can hold any number
/// of addresses), IPv4 and IPv4-mapped IPv6 as the IPv4 address.
pub(crate) fn network_of(ip: std::net::IpAddr) -> std::net::IpAddr {
    match ip {
        std::net::IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => std::net::IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                std::net::IpAddr::V6(std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
        v4 => v4,
    }
}

/// Things held at once per key (connections per address, downloads per person), each counted
/// off when its [`Slot`] is dropped.
pub(crate) struct PerKey<K>(std::sync::Mutex<std::collections::HashMap<K, usize>>);

impl<K> Default for PerKey<K> {
    fn default() -> Self {
        PerKey(Default::default())
    }
}

/// One place of a key, given back when dropped.
pub(crate) struct Slot<K: std::hash::Hash + Eq> {
    of: Arc<PerKey<K>>,
    key: K,
}

impl<K: std::hash::Hash + Eq + Clone> PerKey<K> {
    /// A place for `key`, if it holds fewer than `max`.
    pub(crate) fn take(self: &Arc<Self>, key: K, max: usize) -> Option<Slot<K>> {
        let mut held = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let n = held.entry(key.clone()).or_insert(0);
        if *n >= max {
            return None;
        }
        *n += 1;
        Some(Slot {
            of: self.clone(),
            key,
        })
    }
}

impl<K: std::hash::Hash + Eq> Drop for Slot<K> {
    fn drop(&mut self) {
        let mut held = self.of.0.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = held.get_mut(&self.key) {
            *n -= 1;
            if *n == 0 {
                held.remove(&self.key);
            }
        }
    }
}

/// At most one warning a second about refused connections: under attack, the log must not
/// become the next thing that fills up.
#[derive(Default)]
struct RateLimitedLog {
    last: std::cell::Cell<Option<std::time::Instant>>,
    since: std::cell::Cell<u64>,
}

impl RateLimitedLog {
    fn warn(&self, peer: std::net::SocketAddr, limits: Limits) {
        self.since.set(self.since.get() + 1);
        let now = std::time::Instant::now();
        if self
            .last
            .get()
            .is_some_and(|t| now.duration_since(t) < Duration::from_secs(1))
        {
            return;
        }
        tracing::warn!(
            %peer,
            refused = self.since.get(),
            max = limits.max_connections,
            per_address = limits.max_connections_per_address,
            "connections refused: too many open"
        );
        self.last.set(Some(now));
        self.since.set(0);
    }
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
    let lang = crate::error::lang_of(req.headers());
    match tokio::time::timeout(limits.request_timeout, next.run(req)).await {
        Ok(res) => res,
        // Outside the router's language scope: set it here, or the answer is always Vietnamese.
        Err(_) => crate::error::with_language(lang, || AppError::RequestTimeout.into_response()),
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
    fn one_ipv6_network_counts_as_one_address() {
        let a = super::network_of("2001:db8:1:2:aaaa::1".parse().unwrap());
        let b = super::network_of("2001:db8:1:2:bbbb::9".parse().unwrap());
        assert_eq!(a, b);
        assert_ne!(a, super::network_of("2001:db8:1:3::1".parse().unwrap()));
        assert_eq!(
            super::network_of("::ffff:203.0.113.7".parse().unwrap()),
            "203.0.113.7".parse::<std::net::IpAddr>().unwrap()
        );
    }

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
