//! Benchmark results as files: each `cargo xtask bench <name>` writes what it printed to
//! `docs/benchmarks/<name>.md`, headed by the date, the machine and the commit it measured, so
//! a figure a user reads always names the run it came from.

use std::fmt::Write as _;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{bail, Context, Result};

use crate::output;

/// What a benchmark printed, collected as it goes.
#[derive(Default)]
pub struct Report {
    text: String,
}

impl Report {
    /// Prints a line and keeps it.
    pub fn line(&mut self, line: impl AsRef<str>) {
        println!("{}", line.as_ref());
        self.text.push_str(line.as_ref());
        self.text.push('\n');
    }

    /// Runs `cmd`, printing its output as it comes and keeping it.
    pub fn run(&mut self, cmd: &mut Command) -> Result<()> {
        let shown = format!("{cmd:?}");
        let mut child = cmd
            .stdout(Stdio::piped())
            .spawn()
            .with_context(|| format!("cannot start {shown}"))?;
        let stdout = child.stdout.take().context("no stdout")?;
        for line in BufReader::new(stdout).lines() {
            self.line(line?);
        }
        let status = child.wait()?;
        if !status.success() {
            bail!("{shown} failed with {status}");
        }
        Ok(())
    }

    /// Writes `docs/benchmarks/<name>.md` and says where.
    pub fn save(&self, root: &Path, name: &str, what: &str) -> Result<PathBuf> {
        self.save_as(root, name, &format!("cargo xtask bench {name}"), what)
    }

    /// [`Report::save`] for a run made by `command` (its title).
    pub fn save_as(&self, root: &Path, name: &str, command: &str, what: &str) -> Result<PathBuf> {
        let dir = root.join("docs/benchmarks");
        std::fs::create_dir_all(&dir)?;
        let path = dir.join(format!("{name}.md"));
        let mut doc = String::new();
        writeln!(doc, "# `{command}`\n")?;
        writeln!(doc, "{what}\n")?;
        writeln!(doc, "- date: {}", utc_now())?;
        writeln!(doc, "- machine: {}", machine())?;
        writeln!(doc, "- commit: {}\n", commit(root))?;
        writeln!(
            doc,
            "Written by the benchmark itself; run it again to refresh.\n"
        )?;
        writeln!(doc, "```text\n{}```", self.text.trim_start_matches('\n'))?;
        std::fs::write(&path, doc)?;
        println!("\nresults written to {}", path.display());
        Ok(path)
    }
}

fn utc_now() -> String {
    output(Command::new("date").args(["-u", "+%Y-%m-%d %H:%M UTC"]))
        .map(|s| s.trim().to_owned())
        .unwrap_or_else(|| "unknown".into())
}

/// "2 vCPU AMD EPYC …, 24 GiB": what the figures depend on.
fn machine() -> String {
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, m)| m.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let mem_gib = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines()
                .find(|l| l.starts_with("MemTotal:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0 / 1024.0);
    format!("{cpus} vCPU {model}, {mem_gib:.0} GiB")
}

/// The commit measured, marked when the working tree had changes.
fn commit(root: &Path) -> String {
    let head = output(Command::new("git").args(["-C"]).arg(root).args([
        "rev-parse",
        "--short=12",
        "HEAD",
    ]))
    .map(|s| s.trim().to_owned())
    .unwrap_or_else(|| "unknown".into());
    // Reports of other benchmarks (docs/benchmarks/*.md) do not make the code uncommitted.
    let dirty = output(Command::new("git").args(["-C"]).arg(root).args([
        "status",
        "--porcelain",
        "--untracked-files=no",
    ]))
    .is_some_and(|s| {
        s.lines().any(|line| {
            let path = line.get(3..).unwrap_or_default();
            !(path.starts_with("docs/benchmarks/") && path.ends_with(".md"))
        })
    });
    let measured = if dirty {
        format!("{head} (with uncommitted changes)")
    } else {
        head
    };
    match std::env::var(crate::bench::SERVER_OVERRIDE) {
        Ok(path) if !path.is_empty() => {
            format!("{measured}, but the server run was {path} (not built from it)")
        }
        _ => measured,
    }
}
