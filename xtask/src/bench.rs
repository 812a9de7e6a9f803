//! Benchmarks, each printing its figures.

use std::path::Path;

use anyhow::{bail, Result};

use crate::dist;

pub fn run(root: &Path, which: Option<&str>) -> Result<()> {
    match which {
        Some("size") => size(root),
        _ => bail!("usage: cargo xtask bench <ingest|size|startup>"),
    }
}

/// First-visit transfer: HTML + JS + WASM + CSS, raw and brotli.
fn size(root: &Path) -> Result<()> {
    let assets = dist::build_app(root)?;
    let first_visit: Vec<_> = assets
        .iter()
        .filter(|a| !a.name.ends_with(".webmanifest") && a.name != "sw.js")
        .collect();
    let raw: usize = first_visit.iter().map(|a| a.raw).sum();
    let br: usize = first_visit.iter().map(|a| a.brotli).sum();
    println!("\nfirst visit (index.html + JS + WASM + CSS): {:.1} KB raw, {:.1} KB brotli (target ≤ 250 KB brotli)", raw as f64 / 1024.0, br as f64 / 1024.0);
    Ok(())
}
