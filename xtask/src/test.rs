//! The whole test suite, as CI runs it.

use std::net::{TcpStream, ToSocketAddrs};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use crate::{cargo, dist, sh, tools};

const POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

pub fn run(root: &Path) -> Result<()> {
    let mut steps = Steps::default();
    let mut step = |name: &str| steps.start(name);
    // Every tool first: the wasm lints below need the wasm target on a fresh machine.
    step("tools");
    tools::ensure_wasm_target()?;
    tools::ensure_wasm_bindgen(root)?;
    tools::ensure_chromium()?;
    crate::fuzz::ensure_cargo_fuzz()?;
    crate::contract::ensure_schemathesis(root)?;
    crate::cluster::ensure_moto(root)?;
    tools::ensure_debian(&["/usr/sbin/haproxy"], &["haproxy"])?;

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

    step("domain and server tests on SQLite");
    // Whatever the caller's environment says, this pass is the SQLite one. The server's tests
    // are built as every later step builds the server (crate::DEBUG_SERVER: with `s3`, on its
    // own so no other package's features mix in), once; the local photo store is used here.
    sh(Command::new("cargo")
        .args(["test", "-p", "server", "--features", "s3"])
        .env_remove("WARDBOOK_TEST_POSTGRES")
        .env_remove("WARDBOOK_TEST_S3"))?;
    sh(Command::new("cargo")
        .args(["test", "-p", "domain", "-p", "xtask"])
        .env_remove("WARDBOOK_TEST_POSTGRES"))?;

    // The browser side (its lints, its tests in Chromium, the optimized apps) goes on beside
    // the server's remaining steps, in a target directory of its own: those steps leave a core
    // idle much of the time (libFuzzer, schemathesis and the fault runs are one process each).
    // Started any earlier it only slowed the compiling steps (measured: 1,783 s against 1,658).
    // A failure there stops the run at the next step.
    let mut browser = Background::start(
        root,
        "the browser side (cargo xtask test-browser)",
        &["test-browser"],
    )?;

    // The fault samples draw a new sequence each day; the seed printed replays it.
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs()
        / 86_400;
    let pg_url = std::env::var("WARDBOOK_TEST_POSTGRES")
        .ok()
        .filter(|u| !u.trim().is_empty())
        .unwrap_or_else(|| POSTGRES_URL.into());
    let in_ci = std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false");
    let pass = postgres_pass(in_ci, postgres_reachable(&pg_url));
    match pass {
        PostgresPass::Run => {
            browser.check()?;
            step("server API tests on PostgreSQL, photos and exports in S3 (moto), the s3 feature");
            let dir = crate::target_dir(root).join("s3-tests");
            let moto = crate::cluster::Moto::start(root, &dir)?;
            moto.bucket("wardbook-test")?;
            sh(Command::new("cargo")
                .args(["test", "-p", "server", "--features", "s3", "--test", "api"])
                .env("WARDBOOK_TEST_POSTGRES", &pg_url)
                .env("WARDBOOK_TEST_S3", "s3://wardbook-test")
                .envs(moto.env()))?;
            drop(moto);

            browser.check()?;
            step("several servers: 3 instances on PostgreSQL and S3 behind HAProxy, faults (cargo xtask chaos --cluster)");
            crate::chaos::chaos(
                root,
                crate::chaos::CI_FAULTS,
                seed,
                crate::chaos::Target::Cluster,
                false,
            )?;
        }
        PostgresPass::Skip => println!(
            "\n*** SKIPPED: the PostgreSQL pass — nothing listens at {pg_url}.\n*** Start PostgreSQL \
             (or set WARDBOOK_TEST_POSTGRES) to run it. In CI (CI set) this fails the run.\n"
        ),
        PostgresPass::Fail => bail!(
            "PostgreSQL is not reachable at {pg_url}, and CI must run the PostgreSQL pass \
             (start PostgreSQL or set WARDBOOK_TEST_POSTGRES)"
        ),
    }

    browser.check()?;
    step("fuzzing: each target a short while, replaying its corpus (cargo xtask fuzz)");
    crate::fuzz::fuzz(root, crate::fuzz::CI_SECONDS, None, false)?;

    browser.check()?;
    step("the API against its description: schemathesis as each role (cargo xtask contract)");
    crate::build_debug_server()?;
    crate::contract::contract(root, crate::contract::CI_EXAMPLES, None)?;

    browser.check()?;
    step("faults: simulated phones through a fault proxy, a sample (cargo xtask chaos)");
    crate::chaos::chaos(
        root,
        crate::chaos::CI_FAULTS,
        seed,
        crate::chaos::Target::Sqlite,
        false,
    )?;
    if matches!(pass, PostgresPass::Run) {
        crate::chaos::chaos(
            root,
            crate::chaos::CI_FAULTS,
            seed,
            crate::chaos::Target::Postgres,
            false,
        )?;
    }

    step("the browser side: its lints, its tests in Chromium, the optimized apps (waiting for it)");
    browser.finish()?;

    step("end-to-end tests: the real server and the optimized app in Chromium");
    crate::build_debug_server()?;
    sh(Command::new("node")
        // A test that hangs fails after 5 minutes instead of holding CI for 90.
        .args([
            "--test",
            "--test-concurrency=1",
            "--test-timeout=300000",
            "tests/",
        ])
        .env(
            "WARDBOOK_BIN",
            crate::target_dir(root).join("debug/wardbook"),
        )
        .env("WARDBOOK_DIST", root.join("dist")))?;
    println!("\nall tests passed");
    Ok(())
}

/// `cargo xtask test-browser`: what the suite runs of the browser side, beside the server's
/// steps — the wasm lints, the app's tests in headless Chromium, and the optimized apps the
/// end-to-end tests load — all in `target/wasm` (crate::dist::wasm_target_dir).
pub fn browser_side(root: &Path) -> Result<()> {
    let dir = dist::wasm_target_dir(root);
    let dir = dir
        .to_str()
        .context("the target directory's path is not UTF-8")?;
    println!("==> lints of the browser side");
    let wasm = ["--target", "wasm32-unknown-unknown", "--target-dir", dir];
    sh(Command::new("cargo")
        .args([
            "clippy",
            "-p",
            "app",
            "-p",
            "phone",
            "-p",
            "desk",
            "--all-targets",
        ])
        .args(wasm)
        .args(["--", "-D", "warnings"]))?;
    // domain's phone-only code (the browser's RegExp and number parser); its tests are native.
    sh(Command::new("cargo")
        .args(["clippy", "-p", "app", "-p", "domain"])
        .args(wasm)
        .args(["--", "-D", "warnings"]))?;
    println!("==> app tests in headless Chromium (IndexedDB store, outbox, the phone's addresses)");
    sh(Command::new("cargo")
        .args(["test", "-p", "app", "-p", "phone"])
        .args(wasm)
        .env("CHROMEDRIVER", "/usr/bin/chromedriver")
        .env("WASM_BINDGEN_TEST_TIMEOUT", "120"))?;
    println!("==> the optimized apps");
    dist::build_app(root).map(drop)
}

/// An xtask command running beside the suite's steps, its output in a file under `target/`,
/// shown if it fails; killed if the suite stops first.
struct Background {
    what: &'static str,
    child: Option<std::process::Child>,
    log: PathBuf,
    started: Instant,
}

impl Background {
    fn start(root: &Path, what: &'static str, args: &[&str]) -> Result<Background> {
        let log = crate::target_dir(root).join(format!("background-{}.log", args.join("-")));
        std::fs::create_dir_all(log.parent().context("log directory")?)?;
        let out = std::fs::File::create(&log)?;
        // A process group of its own, so that stopping it stops the cargo and rustc under it.
        let child = Command::new(std::env::current_exe()?)
            .args(args)
            .process_group(0)
            .current_dir(root)
            .stdin(Stdio::null())
            .stdout(out.try_clone()?)
            .stderr(out)
            .spawn()
            .with_context(|| format!("cannot start {what}"))?;
        println!(
            "\n(started in the background: {what}; its output: {})",
            log.display()
        );
        Ok(Background {
            what,
            child: Some(child),
            log,
            started: Instant::now(),
        })
    }

    /// Fails, with its output, if it has already failed; otherwise lets it go on.
    fn check(&mut self) -> Result<()> {
        if let Some(child) = self.child.as_mut() {
            if let Some(status) = child.try_wait()? {
                if !status.success() {
                    self.child = None;
                    return self.failed(status);
                }
            }
        }
        Ok(())
    }

    /// Waits for it to end; fails, with its output, if it failed.
    fn finish(mut self) -> Result<()> {
        let mut child = self.child.take().context("already finished")?;
        if child.try_wait()?.is_none() {
            println!("waiting for {}…", self.what);
        }
        let status = child.wait()?;
        if !status.success() {
            return self.failed(status);
        }
        println!(
            "{} passed, {:.0} s after it started (output: {})",
            self.what,
            self.started.elapsed().as_secs_f64(),
            self.log.display()
        );
        Ok(())
    }

    fn failed(&self, status: std::process::ExitStatus) -> Result<()> {
        let log = std::fs::read_to_string(&self.log).unwrap_or_default();
        let tail: Vec<&str> = log.lines().rev().take(60).collect();
        for line in tail.into_iter().rev() {
            println!("{line}");
        }
        bail!(
            "{} failed ({status}); its output: {}",
            self.what,
            self.log.display()
        )
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = Command::new("kill")
                .args(["-KILL", &format!("-{}", child.id())])
                .status();
            let _ = child.wait();
        }
    }
}

/// The suite's steps and how long each took, printed when the suite ends, passed or failed, so
/// that the slowest step is the one trimmed.
#[derive(Default)]
struct Steps {
    done: Vec<(String, Duration)>,
    current: Option<(String, Instant)>,
}

impl Steps {
    fn start(&mut self, name: &str) {
        self.finish();
        println!("\n==> {name}");
        self.current = Some((name.to_owned(), Instant::now()));
    }

    fn finish(&mut self) {
        if let Some((name, since)) = self.current.take() {
            self.done.push((name, since.elapsed()));
        }
    }
}

impl Drop for Steps {
    fn drop(&mut self) {
        self.finish();
        let total: Duration = self.done.iter().map(|(_, d)| *d).sum();
        println!("\ntime by step ({:.0} s in all):", total.as_secs_f64());
        for (name, d) in &self.done {
            let name: String = name.chars().take(70).collect();
            println!("  {:>6.0} s  {name}", d.as_secs_f64());
        }
    }
}

#[derive(Debug, PartialEq, Eq)]
enum PostgresPass {
    Run,
    Skip,
    Fail,
}

/// On a developer's machine a missing PostgreSQL skips its pass (loudly); in CI it fails.
fn postgres_pass(in_ci: bool, reachable: bool) -> PostgresPass {
    match (reachable, in_ci) {
        (true, _) => PostgresPass::Run,
        (false, false) => PostgresPass::Skip,
        (false, true) => PostgresPass::Fail,
    }
}

/// `host:port` of a PostgreSQL URL: `postgres://[user[:password]@]host[:port][/db][?…]`, the
/// host a name, an IPv4 address or a bracketed IPv6 one; the port 5432 when not given.
fn postgres_host_port(url: &str) -> Option<(String, u16)> {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split(['/', '?']).next()?;
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, hp)| hp);
    let (host, port) = match host_port.strip_prefix('[') {
        Some(v6) => {
            let (host, after) = v6.split_once(']')?;
            (host, after.strip_prefix(':'))
        }
        None => match host_port.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (host_port, None),
        },
    };
    let port = match port {
        Some(p) => p.parse().ok()?,
        None => 5432,
    };
    let host = if host.is_empty() { "localhost" } else { host };
    Some((host.to_owned(), port))
}

fn postgres_reachable(url: &str) -> bool {
    let Some((host, port)) = postgres_host_port(url) else {
        return false;
    };
    let Ok(addrs) = (host.as_str(), port).to_socket_addrs() else {
        return false;
    };
    addrs
        .into_iter()
        .any(|a| TcpStream::connect_timeout(&a, Duration::from_secs(2)).is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_urls_give_their_host_and_port() {
        let cases = [
            (
                "postgres://postgres@127.0.0.1:5432/postgres",
                ("127.0.0.1", 5432),
            ),
            ("postgres://localhost/wardbook", ("localhost", 5432)),
            ("postgresql://db:6543", ("db", 6543)),
            (
                "postgres://u:p%40ss@pg.internal:5433/x?sslmode=require",
                ("pg.internal", 5433),
            ),
            ("postgres://[::1]:5432/postgres", ("::1", 5432)),
            ("postgres://u@[::1]/postgres", ("::1", 5432)),
            ("postgres:///postgres", ("localhost", 5432)),
        ];
        for (url, (host, port)) in cases {
            assert_eq!(
                postgres_host_port(url),
                Some((host.to_owned(), port)),
                "{url}"
            );
        }
        assert_eq!(postgres_host_port("postgres://h:notaport/x"), None);
    }

    #[test]
    fn a_host_name_that_resolves_is_tried() {
        // "localhost" must be looked up, not parsed as an address (which fails).
        let (host, port) = postgres_host_port("postgres://localhost:1/x").unwrap();
        assert!((host.as_str(), port).to_socket_addrs().is_ok());
    }

    #[test]
    fn ci_fails_without_postgres_and_a_laptop_skips() {
        assert_eq!(postgres_pass(true, false), PostgresPass::Fail);
        assert_eq!(postgres_pass(false, false), PostgresPass::Skip);
        assert_eq!(postgres_pass(true, true), PostgresPass::Run);
        assert_eq!(postgres_pass(false, true), PostgresPass::Run);
    }
}
