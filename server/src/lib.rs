//! The Wardbook server: an axum application over SQLite or PostgreSQL.

/// Sign-in, sessions and the authenticated caller.
pub mod auth;
/// The `wardbook` command line: the server, and the `form` commands.
pub mod cli;
/// Configuration from flags and the environment.
pub mod config;
/// The database: connection, migrations and the queries every route shares.
pub mod db;
/// The demo wards, groups and accounts.
pub mod demo;
/// The database's identity, carried by every pull cursor; renewed after a restore.
pub mod epoch;
/// The one error type and its JSON body, in the caller's language.
pub mod error;
/// Export files of records: a zip of CSV files, a workbook, GeoJSON.
pub mod exports;
/// Publishing and listing form definitions, shared by the API and the command line.
pub mod forms;
/// A ward's indicators for a month, counted from the records' facets.
pub mod indicators;
/// The OpenAPI description served at `/api/openapi.json`.
pub mod openapi;
/// Users, wards and residential groups, shared by the admin API and the command line.
pub mod people;
/// Photos: content-addressed storage and resumable uploads.
pub mod photos;
/// New records of concurrent pushes written in one transaction (group commit).
pub mod pushes;
/// Moving residential groups between wards, merging and splitting wards, from a date.
pub mod reorganise;
/// Revisions and conflicting copies of records (sync rule 7).
pub mod revisions;
/// HTTP routes, one module per area.
pub mod routes;
/// The HTTP listener: connection limit and timeouts.
pub mod serve;
/// Signed-in callers kept for a few seconds on PostgreSQL, forgotten when a session changes.
pub mod sessions;
/// Logging.
pub mod telemetry;
/// Slowing down password guessing per (account, address) and per address.
pub mod throttle;
/// Static files of the app, caching rules and security headers.
pub mod web;

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use tokio::net::TcpListener;

pub use config::Config;
pub use db::Db;

/// Everything a handler needs; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub photos: photos::PhotoStore,
    pub config: Arc<Config>,
    pub throttle: Arc<throttle::Throttle>,
    /// The one writer of pushes' new records.
    pub pushes: pushes::Pushes,
}

/// A built server bound to its listener, so tests can bind port 0 and read the port back.
pub struct Application {
    listener: TcpListener,
    router: axum::Router,
    pub state: AppState,
}

impl Application {
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        let db = Db::connect(&config.database_url).await?;
        db.migrate().await?;
        db.publish_builtin_forms().await?;
        if config.demo {
            demo::load(&db).await?;
        }
        let photos = photos::PhotoStore::open(&config.photo_store)?;
        if config.demo && config.demo_history {
            let started = std::time::Instant::now();
            if let Some(loaded) = demo::history::load(&db, &photos, now_ms()).await? {
                println!(
                    "Loaded the demo's history: {} records of {} people in {:.1} s",
                    loaded.records,
                    loaded.people,
                    started.elapsed().as_secs_f64()
                );
            }
        }
        epoch::check_at_start(&db, &photos).await?;
        let listener = TcpListener::bind(&config.listen)
            .await
            .with_context(|| format!("cannot listen on {}", config.listen))?;
        let state = AppState {
            throttle: Arc::new(throttle::Throttle::for_db(&db)),
            pushes: pushes::Pushes::start(db.clone()),
            db,
            photos,
            config: Arc::new(config),
        };
        routes::exports::sweep_at_start(&state).await?;
        let router = routes::router(state.clone());
        Ok(Application {
            listener,
            router,
            state,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        let addr = self.local_addr();
        tracing::info!(%addr, "wardbook listening");
        println!("Wardbook is running: http://{addr}/");
        if self.state.config.demo {
            demo::print_accounts(self.state.config.demo_history);
        }
        let limits = self.state.config.limits();
        let sweeper = tokio::spawn(sweep_photos_hourly(self.state.clone()));
        let marker = tokio::spawn(record_high_water_often(self.state.clone()));
        let follower = (self.state.db.backend == db::Backend::Postgres).then(|| {
            tokio::spawn(sessions::follow_changes(
                self.state.db.sessions.clone(),
                self.state.config.database_url.clone(),
                self.state.db.pool.clone(),
            ))
        });
        // On SIGTERM every request in flight is answered: none takes longer than the request
        // timeout (it is answered 408 then).
        let served = serve::serve(
            self.listener,
            self.router,
            limits,
            shutdown_signal(),
            limits.request_timeout + std::time::Duration::from_secs(1),
        )
        .await;
        sweeper.abort();
        marker.abort();
        if let Some(follower) = follower {
            // Its end turns the caching of callers off.
            follower.abort();
        }
        served?;
        if let Err(e) = epoch::record_high_water(&self.state.db, &self.state.photos).await {
            tracing::warn!(error = ?e, "cannot record the high-water mark");
        }
        // Connections still held (a request cut at the drain's end) are not waited for long.
        if tokio::time::timeout(std::time::Duration::from_secs(5), self.state.db.close())
            .await
            .is_err()
        {
            tracing::warn!("database connections still busy at shutdown");
        }
        tracing::info!("wardbook stopped");
        Ok(())
    }
}

/// Keeps the high-water mark of the change counter close behind the database (see [`epoch`]).
async fn record_high_water_often(state: AppState) {
    let mut every = tokio::time::interval(std::time::Duration::from_secs(30));
    loop {
        every.tick().await;
        if let Err(e) = epoch::record_high_water(&state.db, &state.photos).await {
            tracing::warn!(error = ?e, "cannot record the high-water mark");
        }
    }
}

/// Removes abandoned uploads and photos no record names, an hour apart, from a minute after
/// the start (see [`photos::sweep`]).
async fn sweep_photos_hourly(state: AppState) {
    let mut every = tokio::time::interval_at(
        tokio::time::Instant::now() + std::time::Duration::from_secs(60),
        std::time::Duration::from_secs(3600),
    );
    loop {
        every.tick().await;
        let c = &state.config;
        if let Err(e) = photos::sweep(
            &state.db,
            &state.photos,
            c.upload_expiry_hours,
            c.unnamed_photo_hours,
        )
        .await
        {
            tracing::warn!(error = ?e, "photo sweep failed");
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        tokio::signal::ctrl_c()
            .await
            .expect("install Ctrl-C handler");
    };
    #[cfg(unix)]
    let terminate = async {
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("install SIGTERM handler")
            .recv()
            .await;
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}

/// Milliseconds since the Unix epoch, the one time format stored.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}
