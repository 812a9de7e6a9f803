//! The `wardbook` command: runs the server (and later, administration subcommands).

use clap::Parser;

/// mimalloc returns freed memory to the system. With glibc's allocator, each Argon2 hash's
/// 19 MiB block stayed in a per-thread arena for good, and the server idled near 90 MB.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = server::config::Config::parse();
    server::telemetry::init();
    let app = server::Application::build(config).await?;
    app.run_until_stopped().await
}
