//! `cargo xtask fuzz [--seconds N] [--target NAME] [--keep]`: coverage-guided fuzzing of what
//! Wardbook reads from outside (the targets in `fuzz/fuzz_targets/`), with cargo fuzz and
//! libFuzzer on the stable toolchain. cargo fuzz's default AddressSanitizer needs nightly
//! (`-Zsanitizer`); its coverage instrumentation does not, and the code under test is safe Rust,
//! so the targets are built with `--sanitizer none` and a panic (a failed assertion, an index
//! out of range, an overflow in a debug assertion) is what counts as a crash.
//!
//! Each target starts from its corpus in `fuzz/corpus/<target>/` (kept in the repository: the
//! built-in forms, protocol samples, and every input that once crashed, so each run replays
//! them). `cargo xtask test` runs each target for a short while into a scratch directory; the
//! documented long run, `cargo xtask fuzz --seconds 3600 --keep`, adds what it finds to the
//! repository's corpus and minimizes it (`cargo fuzz cmin`).

use std::path::Path;
use std::process::Command;

use anyhow::{bail, Context, Result};

use crate::{choice_arg, count_arg, output, sh};

pub const TARGETS: [&str; 6] = [
    "form_definition",
    "condition",
    "record",
    "push_body",
    "pull_body",
    "photo_headers",
];

/// Seconds per target in `cargo xtask test`.
pub const CI_SECONDS: u64 = 10;

pub fn ensure_cargo_fuzz() -> Result<()> {
    if output(Command::new("cargo").args(["fuzz", "--version"])).is_none() {
        println!("installing cargo-fuzz from crates.io (a minute, once)…");
        sh(Command::new("cargo").args(["install", "cargo-fuzz", "--locked"]))?;
    }
    Ok(())
}

pub fn run(root: &Path, args: &[String]) -> Result<()> {
    let mut seconds = CI_SECONDS;
    let mut only = None;
    let mut keep = false;
    let mut rest = args.iter();
    while let Some(flag) = rest.next() {
        match flag.as_str() {
            "--seconds" => seconds = count_arg(&mut rest, "--seconds")?,
            "--target" => only = Some(choice_arg(&mut rest, "--target", "fuzz targets", &TARGETS)?),
            "--keep" => keep = true,
            _ => bail!("usage: cargo xtask fuzz [--seconds N] [--target NAME] [--keep]"),
        }
    }
    fuzz(root, seconds, only.as_deref(), keep)
}

pub fn fuzz(root: &Path, seconds: u64, only: Option<&str>, keep: bool) -> Result<()> {
    ensure_cargo_fuzz()?;
    let dir = root.join("fuzz");
    sh(Command::new("cargo")
        .args(["fuzz", "build", "--sanitizer", "none", "--release"])
        .current_dir(&dir))?;
    let scratch = std::env::temp_dir().join(format!("wardbook-fuzz-{}", std::process::id()));
    for target in TARGETS.iter().filter(|t| only.is_none_or(|o| o == **t)) {
        let corpus = dir.join("corpus").join(target);
        std::fs::create_dir_all(&corpus)?;
        // libFuzzer writes what it finds into the first directory; the others only seed it.
        let found = if keep {
            corpus.clone()
        } else {
            let d = scratch.join(target);
            std::fs::create_dir_all(&d)?;
            d
        };
        println!("\n==> fuzzing {target} for {seconds} s");
        let mut cmd = Command::new("cargo");
        cmd.args(["fuzz", "run", "--sanitizer", "none", "--release", target])
            .arg(&found);
        if !keep {
            cmd.arg(&corpus);
        }
        cmd.args([
            "--",
            &format!("-max_total_time={seconds}"),
            // An input that takes over 10 s, or a gigabyte, is a finding too.
            "-timeout=10",
            "-rss_limit_mb=1024",
            "-print_final_stats=1",
        ])
        .current_dir(&dir);
        let status = cmd.status().context("cannot run cargo fuzz")?;
        if !status.success() {
            bail!(
                "fuzz target {target} found a crash: the input is in fuzz/artifacts/{target}/ \
                 (replay it with `cd fuzz && cargo fuzz run --sanitizer none {target} <file>`); \
                 fix it, then add the input to fuzz/corpus/{target}/ and a regression test"
            );
        }
        if keep {
            sh(Command::new("cargo")
                .args(["fuzz", "cmin", "--sanitizer", "none", "--release", target])
                .current_dir(&dir))?;
        }
    }
    let _ = std::fs::remove_dir_all(&scratch);
    Ok(())
}
