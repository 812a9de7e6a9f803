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
}

impl Config {
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
            session_hours: 720,
            max_body_bytes: 2 * 1024 * 1024,
            photo_store: "memory:".into(),
            public_url: None,
        }
    }
}
