//! The `wardbook` command: runs the server, or with `form …` manages form definitions
//! (see [`server::cli`]).

use std::process::ExitCode;

use clap::Parser;

/// mimalloc returns freed memory to the system. With glibc's allocator, each Argon2 hash's
/// 19 MiB block stayed in a per-thread arena for good, and the server idled near 90 MB.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<ExitCode> {
    let cli = server::cli::Cli::parse();
    server::telemetry::init();
    server::cli::run(cli).await
}
