//! The `wardbook` command: runs the server (and later, administration subcommands).

use clap::Parser;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = server::config::Config::parse();
    server::telemetry::init();
    let app = server::Application::build(config).await?;
    app.run_until_stopped().await
}
