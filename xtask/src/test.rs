//! The whole test suite, as CI runs it.

use std::net::TcpStream;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use anyhow::Result;

use crate::{cargo, dist, sh, tools};

const POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

pub fn run(root: &Path) -> Result<()> {
    step("formatting and lints");
    cargo(&["fmt", "--all", "--", "--check"])?;
    cargo(&[
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ])?;
    cargo(&[
        "clippy",
        "-p",
        "app",
        "--target",
        "wasm32-unknown-unknown",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ])?;

    step("domain and server tests on SQLite");
    cargo(&["test", "-p", "domain", "-p", "server", "-p", "xtask"])?;

    let pg_url = std::env::var("WARDBOOK_TEST_POSTGRES").unwrap_or_else(|_| POSTGRES_URL.into());
    if postgres_reachable(&pg_url) {
        step("server API tests on PostgreSQL");
        sh(Command::new("cargo")
            .args(["test", "-p", "server", "--test", "api"])
            .env("WARDBOOK_TEST_POSTGRES", &pg_url))?;
    } else {
        println!(
            "\n*** SKIPPED: the PostgreSQL pass — nothing listens at {pg_url}.\n*** Start PostgreSQL \
             (or set WARDBOOK_TEST_POSTGRES) to run it.\n"
        );
    }

    step("app tests in headless Chromium (IndexedDB store, outbox)");
    tools::ensure_wasm_target()?;
    tools::ensure_wasm_bindgen(root)?;
    tools::ensure_chromium()?;
    sh(Command::new("cargo")
        .args(["test", "-p", "app", "--target", "wasm32-unknown-unknown"])
        .env("CHROMEDRIVER", "/usr/bin/chromedriver")
        .env("WASM_BINDGEN_TEST_TIMEOUT", "120"))?;

    step("end-to-end tests: the real server and the optimized app in Chromium");
    dist::build_app(root)?;
    cargo(&["build", "-p", "server"])?;
    sh(Command::new("node")
        .args(["--test", "--test-concurrency=1", "tests/"])
        .env(
            "WARDBOOK_BIN",
            crate::target_dir(root).join("debug/wardbook"),
        )
        .env("WARDBOOK_DIST", root.join("dist")))?;
    println!("\nall tests passed");
    Ok(())
}

fn step(name: &str) {
    println!("\n==> {name}");
}

fn postgres_reachable(url: &str) -> bool {
    let host_port = url
        .split('@')
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .unwrap_or("127.0.0.1:5432");
    let addr = host_port
        .parse()
        .or_else(|_| format!("{host_port}:5432").parse());
    addr.is_ok_and(|a| TcpStream::connect_timeout(&a, Duration::from_secs(2)).is_ok())
}
