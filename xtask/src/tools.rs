//! Installs the tools the build needs when they are missing, from package registries only.

use std::path::Path;
use std::process::Command;

use anyhow::{bail, Context, Result};

use crate::{output, sh};

/// The wasm-bindgen version pinned in Cargo.lock; the CLI must match it exactly.
pub fn wasm_bindgen_version(root: &Path) -> Result<String> {
    let lock = std::fs::read_to_string(root.join("Cargo.lock")).context("read Cargo.lock")?;
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line == "name = \"wasm-bindgen\"" {
            if let Some(v) = lines.next().and_then(|l| l.strip_prefix("version = \"")) {
                return Ok(v.trim_end_matches('"').to_owned());
            }
        }
    }
    bail!("wasm-bindgen is not in Cargo.lock")
}

pub fn ensure_wasm_target() -> Result<()> {
    let installed =
        output(Command::new("rustup").args(["target", "list", "--installed"])).unwrap_or_default();
    if !installed
        .lines()
        .any(|l| l.trim() == "wasm32-unknown-unknown")
    {
        println!("installing the wasm32-unknown-unknown target…");
        sh(Command::new("rustup").args(["target", "add", "wasm32-unknown-unknown"]))?;
    }
    Ok(())
}

pub fn ensure_wasm_bindgen(root: &Path) -> Result<()> {
    let want = wasm_bindgen_version(root)?;
    let have = output(Command::new("wasm-bindgen").arg("--version")).unwrap_or_default();
    if have.split_whitespace().nth(1) != Some(want.as_str()) {
        println!("installing wasm-bindgen-cli {want} (a few minutes, once)…");
        // Not --locked: a locked dependency of the CLI is missing from the registry mirror.
        sh(Command::new("cargo").args(["install", "wasm-bindgen-cli", "--version", &want]))?;
    }
    Ok(())
}

/// npm's binaryen, terser, playwright-core and pdfjs-dist (reads the printed monthly report
/// back in the end-to-end tests), pinned in package.json. Debian's wasm-opt (108)
/// silently corrupts wasm-bindgen 0.2.130 output, so only npm's is used.
pub fn ensure_node_tools(root: &Path) -> Result<()> {
    let ok = ["binaryen", "terser", "playwright-core", "pdfjs-dist"]
        .iter()
        .all(|p| root.join("node_modules").join(p).exists());
    if !ok {
        println!(
            "installing pinned JavaScript tools (binaryen, terser, playwright-core, pdfjs-dist) with npm…"
        );
        if output(Command::new("npm").arg("--version")).is_none() {
            bail!(
                "npm is missing: install Node.js 20 or newer (Debian: apt-get install nodejs npm)"
            );
        }
        sh(Command::new("npm")
            .args(["install", "--no-audit", "--no-fund"])
            .current_dir(root))?;
    }
    let version = output(Command::new(wasm_opt(root)).arg("--version")).unwrap_or_default();
    let n: u32 = version
        .split_whitespace()
        .nth(2)
        .and_then(|v| v.parse().ok())
        .with_context(|| format!("cannot read wasm-opt's version from {version:?}"))?;
    if n < 132 {
        bail!("wasm-opt {n} is too old (it corrupts wasm-bindgen output); need 132 or newer");
    }
    Ok(())
}

pub fn wasm_opt(root: &Path) -> std::path::PathBuf {
    root.join("node_modules/.bin/wasm-opt")
}

pub fn terser(root: &Path) -> std::path::PathBuf {
    root.join("node_modules/.bin/terser")
}

/// Debian's Chromium and ChromeDriver for the browser tests; installed when we may.
pub fn ensure_chromium() -> Result<()> {
    ensure_debian(
        &["/usr/bin/chromium", "/usr/bin/chromedriver"],
        &["chromium", "chromium-driver"],
    )
}

/// Debian's `packages`, installed with apt when one of `binaries` is missing and we are root;
/// otherwise the command to run.
pub fn ensure_debian(binaries: &[&str], packages: &[&str]) -> Result<()> {
    if binaries.iter().all(|b| Path::new(b).exists()) {
        return Ok(());
    }
    let list = packages.join(" ");
    let root_user = output(Command::new("id").arg("-u")).is_some_and(|u| u.trim() == "0");
    if !root_user {
        bail!("{list} missing: run `sudo apt-get install -y {list}`, then try again");
    }
    println!("installing Debian's {list}…");
    sh(Command::new("apt-get")
        .args(["install", "-y"])
        .args(packages)
        .env("DEBIAN_FRONTEND", "noninteractive"))
}

/// npm's `package` at `version` in `target/<dir>` (not the project's node_modules: only a
/// benchmark needs it), installed when another version or none is there; `extra` goes to
/// `npm install`. Its directory in node_modules.
pub fn npm_package(
    root: &Path,
    dir: &str,
    package: &str,
    version: &str,
    extra: &[&str],
) -> Result<std::path::PathBuf> {
    let prefix = crate::target_dir(root).join(dir);
    let installed = prefix.join("node_modules").join(package);
    let have = std::fs::read_to_string(installed.join("package.json"))
        .ok()
        .and_then(|p| serde_json::from_str::<serde_json::Value>(&p).ok())
        .and_then(|p| p["version"].as_str().map(str::to_owned));
    if have.as_deref() != Some(version) {
        println!(
            "installing {package} {version} into {} (npm)…",
            prefix.display()
        );
        std::fs::create_dir_all(&prefix)?;
        sh(Command::new("npm")
            .args(["install", "--no-audit", "--no-fund", "--no-save"])
            .args(extra)
            .arg("--prefix")
            .arg(&prefix)
            .arg(format!("{package}@{version}")))?;
    }
    Ok(installed)
}

/// PyPI's `package` (with `extras`, e.g. `[server]`) at `version` in its own environment,
/// `target/<dir>`, installed when another version or none is there; the path of its `bin`.
pub fn pypi_package(
    root: &Path,
    dir: &str,
    package: &str,
    extras: &str,
    version: &str,
    bin: &str,
) -> Result<std::path::PathBuf> {
    let venv = crate::target_dir(root).join(dir);
    let path = venv.join("bin").join(bin);
    let have = output(Command::new(venv.join("bin/python")).args([
        "-c",
        &format!("import importlib.metadata as m; print(m.version('{package}'))"),
    ]));
    if !path.exists() || have.as_deref().map(str::trim) != Some(version) {
        if output(Command::new("python3").arg("--version")).is_none() {
            bail!("python3 is missing: run `sudo apt-get install -y python3 python3-venv`, then try again");
        }
        println!(
            "installing {package} {version} from PyPI into {} (a minute, once)…",
            venv.display()
        );
        sh(Command::new("python3").args(["-m", "venv"]).arg(&venv)).context(
            "cannot make a Python environment: run `sudo apt-get install -y python3-venv`, then try again",
        )?;
        sh(Command::new(venv.join("bin/pip")).args([
            "install",
            "--quiet",
            &format!("{package}{extras}=={version}"),
        ]))?;
    }
    Ok(path)
}
