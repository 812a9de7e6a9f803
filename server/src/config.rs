//! Configuration, from flags or the environment (see `.env.sample`). The flags are global: they
//! may be given before or after a subcommand (`wardbook form list --database-url …`).

use std::path::PathBuf;

#[derive(Debug, Clone, clap::Args)]
pub struct Config {
    /// `sqlite://data/wardbook.db` (embedded, the default) or `postgres://user@host/db`.
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "sqlite://data/wardbook.db",
        global = true
    )]
    pub database_url: String,
    /// Address to listen on; port 0 picks a free port.
    #[arg(
        long,
        env = "WARDBOOK_LISTEN",
        default_value = "127.0.0.1:8080",
        global = true
    )]
    pub listen: String,
    /// Directory of the built app (index.html, sw.js, assets/).
    #[arg(
        long,
        env = "WARDBOOK_STATIC_DIR",
        default_value = "dist",
        global = true
    )]
    pub static_dir: PathBuf,
    /// Load the demo wards, groups and accounts (idempotent).
    #[arg(long, env = "WARDBOOK_DEMO", global = true)]
    pub demo: bool,
    /// With --demo: also about two years of the wards' records, once (the demo's history:
    /// seasons, reviews, the 2025 merger of the wards).
    #[arg(long, env = "WARDBOOK_DEMO_HISTORY", global = true)]
    pub demo_history: bool,
    /// How long a sign-in lasts, in hours. Officers work offline for days; default 30 days.
    #[arg(
        long,
        env = "WARDBOOK_SESSION_HOURS",
        default_value_t = 720,
        global = true
    )]
    pub session_hours: i64,
    /// Largest request body accepted, in bytes.
    #[arg(long, env = "WARDBOOK_MAX_BODY", default_value_t = 2 * 1024 * 1024, global = true)]
    pub max_body_bytes: usize,
    /// Where photos are kept: a directory (the default), `memory:` (tests only), or
    /// `s3://bucket/prefix` in a build with the `s3` feature (credentials from `AWS_*`).
    #[arg(
        long,
        env = "WARDBOOK_PHOTO_STORE",
        default_value = "data/photos",
        global = true
    )]
    pub photo_store: String,
    /// The address users reach the server at, e.g. `https://wardbook.cand.gov.vn`, when a proxy
    /// in front of it terminates TLS. When it is `https://…`, every response tells browsers to
    /// use HTTPS only (HSTS); over plain HTTP that header would be ignored and is not sent.
    #[arg(long, env = "WARDBOOK_PUBLIC_URL", global = true)]
    pub public_url: Option<String>,
    /// How many proxies (load balancers) stand in front of the server and append the caller's
    /// address to `X-Forwarded-For`. 0 (the default): the connection's own address is the
    /// caller's, and the header is ignored (a caller could forge it).
    #[arg(
        long,
        env = "WARDBOOK_TRUSTED_PROXIES",
        default_value_t = 0,
        global = true
    )]
    pub trusted_proxies: usize,
    /// Seconds a client may take to send a request's headers, counted from the connection's
    /// start or the end of its previous answer (so also the idle time of a kept-alive
    /// connection before it is closed).
    #[arg(
        long,
        env = "WARDBOOK_HEADER_TIMEOUT",
        default_value_t = 30,
        global = true
    )]
    pub header_timeout_secs: u64,
    /// Seconds a request body may pause before the request is answered 408.
    #[arg(
        long,
        env = "WARDBOOK_BODY_TIMEOUT",
        default_value_t = 30,
        global = true
    )]
    pub body_timeout_secs: u64,
    /// Seconds one request may take as a whole (body and answer) before it is answered 408.
    #[arg(
        long,
        env = "WARDBOOK_REQUEST_TIMEOUT",
        default_value_t = 120,
        global = true
    )]
    pub request_timeout_secs: u64,
    /// Connections served at once; beyond it a new one is answered 503 and closed. Keep it
    /// below the process's open-file limit (`ulimit -n`).
    #[arg(
        long,
        env = "WARDBOOK_MAX_CONNECTIONS",
        default_value_t = 800,
        global = true
    )]
    pub max_connections: usize,
    /// Connections one address may hold at once.
    #[arg(
        long,
        env = "WARDBOOK_MAX_CONNECTIONS_PER_ADDRESS",
        default_value_t = 100,
        global = true
    )]
    pub max_connections_per_address: usize,
    /// Seconds a connection may stay open at most, however busy (15 minutes).
    #[arg(
        long,
        env = "WARDBOOK_MAX_CONNECTION_SECS",
        default_value_t = 900,
        global = true
    )]
    pub max_connection_secs: u64,
    /// Hours after its last chunk that an unfinished photo upload is removed.
    #[arg(
        long,
        env = "WARDBOOK_UPLOAD_EXPIRY_HOURS",
        default_value_t = 72,
        global = true
    )]
    pub upload_expiry_hours: i64,
    /// Hours after its upload that a photo no record names is removed.
    #[arg(
        long,
        env = "WARDBOOK_UNNAMED_PHOTO_HOURS",
        default_value_t = 24 * 14,
        global = true
    )]
    pub unnamed_photo_hours: i64,
}

impl Config {
    /// The caller's address, for limiting sign-in attempts: the connection's peer, or with
    /// `trusted_proxies` = n, the address the outermost of our n proxies saw (the n-th entry
    /// from the right of `X-Forwarded-For`; entries further left are the caller's own claims).
    pub fn client_address(
        &self,
        peer: Option<std::net::IpAddr>,
        forwarded_for: Option<&str>,
    ) -> String {
        if self.trusted_proxies > 0 {
            let hops: Vec<&str> = forwarded_for
                .unwrap_or("")
                .split(',')
                .map(str::trim)
                .filter(|h| !h.is_empty())
                .collect();
            if let Some(ip) = hops
                .len()
                .checked_sub(self.trusted_proxies)
                .and_then(|i| hops.get(i))
                .and_then(|h| h.parse::<std::net::IpAddr>().ok())
            {
                return ip.to_string();
            }
        }
        peer.map_or_else(|| "unknown".into(), |p| p.to_string())
    }

    /// The listener's limits.
    pub fn limits(&self) -> crate::serve::Limits {
        use std::time::Duration;
        crate::serve::Limits {
            header_timeout: Duration::from_secs(self.header_timeout_secs.max(1)),
            body_timeout: Duration::from_secs(self.body_timeout_secs.max(1)),
            request_timeout: Duration::from_secs(self.request_timeout_secs.max(1)),
            max_connections: self.max_connections.max(1),
            max_connections_per_address: self.max_connections_per_address.max(1),
            max_connection_life: Duration::from_secs(self.max_connection_secs.max(1)),
        }
    }

    /// Whether users reach the server over HTTPS (a TLS-terminating proxy in front of it).
    pub fn served_over_tls(&self) -> bool {
        self.public_url.as_deref().is_some_and(|u| {
            u.trim()
                .get(..8)
                .is_some_and(|s| s.eq_ignore_ascii_case("https://"))
        })
    }

    /// A configuration for tests: the given database, port 0, no static files.
    pub fn for_tests(database_url: &str) -> Self {
        Config {
            database_url: database_url.to_owned(),
            listen: "127.0.0.1:0".into(),
            static_dir: PathBuf::from("dist"),
            demo: true,
            demo_history: false,
            session_hours: 720,
            max_body_bytes: 2 * 1024 * 1024,
            photo_store: "memory:".into(),
            public_url: None,
            trusted_proxies: 0,
            header_timeout_secs: 30,
            body_timeout_secs: 30,
            request_timeout_secs: 120,
            max_connections: 800,
            max_connections_per_address: 100,
            max_connection_secs: 900,
            upload_expiry_hours: 72,
            unnamed_photo_hours: 24 * 14,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Config;

    #[test]
    fn the_caller_address_comes_from_the_connection_unless_proxies_are_trusted() {
        let peer = Some("10.0.0.5".parse().unwrap());
        let mut c = Config::for_tests("sqlite::memory:");
        // A forged header changes nothing when no proxy is trusted.
        assert_eq!(c.client_address(peer, Some("1.2.3.4")), "10.0.0.5");
        c.trusted_proxies = 1;
        // One load balancer appends what it saw: the rightmost entry; the left is the caller's claim.
        assert_eq!(
            c.client_address(peer, Some("6.6.6.6, 203.0.113.9")),
            "203.0.113.9"
        );
        c.trusted_proxies = 2;
        assert_eq!(
            c.client_address(peer, Some("6.6.6.6, 203.0.113.9, 10.0.0.2")),
            "203.0.113.9"
        );
        // A missing or malformed header falls back to the connection.
        assert_eq!(c.client_address(peer, None), "10.0.0.5");
        assert_eq!(c.client_address(peer, Some("garbage")), "10.0.0.5");
        assert_eq!(c.client_address(None, None), "unknown");
    }
}
