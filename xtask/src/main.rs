//! `cargo xtask <task>`: Wardbook's build, run, test and benchmark orchestration.
//!
//! Tasks:
//!   run            build everything, start Wardbook on SQLite with demo data, print the URL
//!   build          build the app (size profile + wasm-opt) into dist/ and the server
//!   test           the whole test suite (what CI runs)
//!   fuzz           coverage-guided fuzzing of what the server reads from outside
//!   contract       the API against its OpenAPI description (schemathesis, as each role)
//!   chaos          simulated phones through a fault proxy: kills, resets, full disks… on one
//!                  server (SQLite or --postgres) or --cluster (3 instances, PostgreSQL, S3 and
//!                  HAProxy: docs/deploy.md)
//!   bench <name>   ingest (push throughput and server memory) | size (first-visit bytes) |
//!                  startup (time to a working sign-in and to app-ready on a throttled phone) |
//!                  lighthouse (Lighthouse's mobile performance score) |
//!                  validate (server-side validation of 10,000 fire-safety checks) |
//!                  render (the longest form in the browser, CPU x4)

mod bench;
mod chaos;
mod cluster;
mod contract;
mod dist;
mod fuzz;
mod modules;
mod results;
mod test;
mod tools;

use std::path::PathBuf;
use std::process::Command;

use anyhow::{bail, Context, Result};

/// Cargo's target directory: `CARGO_TARGET_DIR` when set (relative to the workspace), else
/// `target/` in the workspace.
pub fn target_dir(root: &std::path::Path) -> std::path::PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if !dir.is_empty() => root.join(dir),
        _ => root.join("target"),
    }
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = project_root();
    std::env::set_current_dir(&root)?;
    match args.first().map(String::as_str) {
        Some("build") => {
            dist::build_app(&root)?;
            cargo(&["build", "--release", "-p", "server"])
        }
        Some("dist") => dist::build_app(&root).map(drop),
        // The browser side of `test`, which runs it in the background.
        Some("test-browser") => test::browser_side(&root),
        Some("run") => run(&root, &args[1..]),
        Some("test") => test::run(&root),
        Some("bench") => bench::run(&root, &args[1..]),
        Some("fuzz") => fuzz::run(&root, &args[1..]),
        Some("contract") => contract::run(&root, &args[1..]),
        Some("chaos") => chaos::run(&root, &args[1..]),
        _ => {
            eprintln!(
                "usage: cargo xtask <run|build|dist|test|fuzz|contract|chaos|bench ingest|bench size|bench startup|bench lighthouse|bench validate|bench render|bench queue|bench export>"
            );
            bail!("unknown task {:?}", args.first())
        }
    }
}

fn run(root: &std::path::Path, extra: &[String]) -> Result<()> {
    dist::build_app(root)?;
    cargo(&["build", "--release", "-p", "server"])?;
    let mut cmd = Command::new(target_dir(root).join("release/wardbook"));
    // `cargo xtask run -- --listen 0.0.0.0:8080`: everything after `--` is the server's.
    let extra = extra.strip_prefix(&["--".to_owned()]).unwrap_or(extra);
    cmd.arg("--demo").arg("--demo-history").args(extra);
    if std::env::var_os("DATABASE_URL").is_none() {
        cmd.env("DATABASE_URL", "sqlite://data/wardbook.db");
    }
    println!("starting Wardbook (Ctrl-C to stop)…");
    let status = cmd
        .status()
        .context("cannot start target/release/wardbook")?;
    if !status.success() {
        bail!("wardbook exited with {status}");
    }
    Ok(())
}

/// The whole number above 0 given after `flag` on the command line.
pub fn count_arg<T: std::str::FromStr + PartialOrd + Default>(
    rest: &mut std::slice::Iter<'_, String>,
    flag: &str,
) -> Result<T> {
    rest.next()
        .and_then(|s| s.parse().ok())
        .filter(|n| *n > T::default())
        .with_context(|| format!("{flag} needs a whole number above 0"))
}

/// The value given after `flag`, one of `choices` (`what` names them in the error).
pub fn choice_arg(
    rest: &mut std::slice::Iter<'_, String>,
    flag: &str,
    what: &str,
    choices: &[&str],
) -> Result<String> {
    let value = rest
        .next()
        .with_context(|| format!("{flag} needs one of the {what}: {}", choices.join(", ")))?;
    if !choices.contains(&value.as_str()) {
        bail!("no such {value}; the {what}: {}", choices.join(", "));
    }
    Ok(value.clone())
}

pub fn project_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_path_buf()
}

/// Runs a command, failing with its name when it fails.
pub fn sh(cmd: &mut Command) -> Result<()> {
    let shown = format!("{cmd:?}");
    let status = cmd
        .status()
        .with_context(|| format!("cannot start {shown}"))?;
    if !status.success() {
        bail!("{shown} failed with {status}");
    }
    Ok(())
}

pub fn cargo(args: &[&str]) -> Result<()> {
    sh(Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into())).args(args))
}

/// What builds `target/debug/wardbook` for the fault runs, the contract and the end-to-end
/// tests: the server's own test build, with `s3`. `cargo build` would unify the dependencies'
/// features without the dev-dependencies and compile the server and several of its dependencies
/// a second (and, without `s3`, a third) time; the suite builds it once.
pub const DEBUG_SERVER: [&str; 6] = ["test", "-p", "server", "--features", "s3", "--no-run"];

/// `target/debug/wardbook`, built as [`DEBUG_SERVER`] says.
pub fn build_debug_server() -> Result<()> {
    cargo(&DEBUG_SERVER)
}

/// Runs a command and returns its stdout, or None when it cannot run or fails.
pub fn output(cmd: &mut Command) -> Option<String> {
    let out = cmd.output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}
