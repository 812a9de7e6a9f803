//! `cargo xtask contract [--examples N] [--role USER]`: the API against its own description.
//!
//! Schemathesis (from PyPI, pinned, installed into `target/schemathesis-venv`) reads
//! `/api/openapi.json` from the real server and sends what it describes, and what it does not:
//! every check on (`--checks all`: undocumented status codes and content types, answers that do
//! not match their schema, schema-valid requests refused, schema-violating ones accepted,
//! created resources not found, ignored authentication, unsupported methods...). It runs once
//! per role, signed in as that role's demo account, each on a fresh server with the demo's
//! history, so what one role changes (an administrator's reorganisation) never shows in another
//! role's run. `tests/contract/schemathesis.toml` holds the few exceptions, each with its reason;
//! `tests/contract/hooks.py` signs in again when the run ends its own session.
//!
//! A run fails on any failure or error schemathesis reports, and on a panic in the server's log.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use anyhow::{bail, Context, Result};

use crate::bench::Server;
use crate::{choice_arg, count_arg};

const SCHEMATHESIS: &str = "4.32.5";

/// The demo's accounts, one per role; the administrator last (what it changes stays in its run).
const ROLES: [(&str, &str); 5] = [
    ("truongcong", "supervisor"),
    ("canbo", "officer"),
    ("totruong", "group leader"),
    ("congantinh", "provincial staff"),
    ("admin", "administrator"),
];

/// Examples per operation and phase in `cargo xtask test`.
pub const CI_EXAMPLES: u32 = 15;

pub fn run(root: &Path, args: &[String]) -> Result<()> {
    let mut examples = CI_EXAMPLES;
    let mut only = None;
    let mut rest = args.iter();
    while let Some(flag) = rest.next() {
        match flag.as_str() {
            "--examples" => examples = count_arg(&mut rest, "--examples")?,
            "--role" => {
                let users = ROLES.map(|(u, _)| u);
                only = Some(choice_arg(&mut rest, "--role", "demo accounts", &users)?);
            }
            other => bail!(
                "unknown option {other}; usage: cargo xtask contract [--examples N] [--role USER]"
            ),
        }
    }
    crate::build_debug_server()?;
    contract(root, examples, only.as_deref())
}

/// The pinned schemathesis in its own environment, installed from PyPI when missing.
pub fn ensure_schemathesis(root: &Path) -> Result<std::path::PathBuf> {
    crate::tools::pypi_package(
        root,
        "schemathesis-venv",
        "schemathesis",
        "",
        SCHEMATHESIS,
        "schemathesis",
    )
}

/// Runs schemathesis as each role (or only `only`) against a debug server already built.
pub fn contract(root: &Path, examples: u32, only: Option<&str>) -> Result<()> {
    let schemathesis = ensure_schemathesis(root)?;
    let dir = root.join("tests/contract");
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(std::time::Duration::from_secs(5)))
        .build()
        .into();
    let mut failed = Vec::new();
    for (user, role) in ROLES.iter().filter(|(u, _)| only.is_none_or(|o| o == *u)) {
        let started = Instant::now();
        let mut server = Server::spawn(
            root,
            "debug",
            &format!("contract-{user}"),
            None,
            &["--demo-history"],
        )?;
        server.wait_healthy(&agent)?;
        let report = server.log().with_file_name("schemathesis.txt");
        let out = std::fs::File::create(&report)?;
        let status = Command::new(&schemathesis)
            .current_dir(&dir)
            .args(["--config-file", "schemathesis.toml", "run"])
            .arg(server.url("/api/openapi.json"))
            .args(["--checks", "all", "--max-examples", &examples.to_string()])
            // The same cases every run: a failure found in CI is found again at a desk.
            .args(["--generation-deterministic", "--no-color"])
            .env("SCHEMATHESIS_HOOKS", "hooks")
            .env("PYTHONPATH", &dir)
            .env("WARDBOOK_URL", server.url(""))
            .env("WARDBOOK_USER", user)
            .env("WARDBOOK_PASSWORD", "wardbook-demo")
            .stdout(out.try_clone()?)
            .stderr(out)
            .status()
            .with_context(|| format!("cannot run {}", schemathesis.display()))?;
        // A server that does not stop cleanly fails its role, after its findings are shown.
        let stopped = server.stop();
        let log = std::fs::read_to_string(server.log()).unwrap_or_default();
        let text = std::fs::read_to_string(&report).unwrap_or_default();
        let summary = text
            .lines()
            .rev()
            .find(|l| l.contains("generated"))
            .unwrap_or("")
            .trim()
            .to_owned();
        let panicked = log.contains("panicked");
        if status.success() && !panicked && stopped.is_ok() {
            println!(
                "contract as {role} ({user}): {summary}; {:.0} s",
                started.elapsed().as_secs_f64()
            );
            server.discard_dir();
        } else {
            // What schemathesis found, as it said it, then where to read more.
            let findings = text
                .split_once("= FAILURES =")
                .or_else(|| text.split_once("= ERRORS ="))
                .map_or(text.as_str(), |(_, rest)| rest);
            println!("{}", findings.chars().take(20_000).collect::<String>());
            if panicked {
                println!("the server panicked; see {}", server.log().display());
            }
            if let Err(e) = &stopped {
                println!("the server did not stop cleanly: {e:#}");
            }
            println!(
                "contract as {role} ({user}) FAILED: {summary}; report in {}",
                report.display()
            );
            failed.push(*user);
        }
    }
    if !failed.is_empty() {
        bail!(
            "the API does not keep its contract as {}",
            failed.join(", ")
        );
    }
    Ok(())
}
