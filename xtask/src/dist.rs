//! Builds the app for phones into `dist/`: the size profile, wasm-bindgen, wasm-opt, hashed
//! asset names (cached forever), a service worker that precaches exactly them, and
//! precompressed brotli and gzip copies.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result};
use sha2::{Digest, Sha256};

use crate::{cargo, sh, tools};

pub struct Asset {
    pub name: String,
    pub raw: usize,
    pub brotli: usize,
}

pub fn build_app(root: &Path) -> Result<Vec<Asset>> {
    tools::ensure_wasm_target()?;
    tools::ensure_wasm_bindgen(root)?;
    tools::ensure_node_tools(root)?;

    println!("building the app (size-optimized; takes a few minutes on 2 cores)…");
    cargo(&[
        "build",
        "-p",
        "app",
        "--target",
        "wasm32-unknown-unknown",
        "--profile",
        "wasm-release",
    ])?;
    let bindgen_out = crate::target_dir(root).join("wasm-bindgen");
    let _ = std::fs::remove_dir_all(&bindgen_out);
    sh(Command::new("wasm-bindgen")
        .args(["--target", "web", "--no-typescript", "--out-dir"])
        .arg(&bindgen_out)
        .arg(crate::target_dir(root).join("wasm32-unknown-unknown/wasm-release/app.wasm")))?;
    let wasm = bindgen_out.join("app_bg.wasm");
    let optimized = bindgen_out.join("app_bg.opt.wasm");
    sh(Command::new(tools::wasm_opt(root))
        .arg("-Oz")
        .arg(&wasm)
        .arg("-o")
        .arg(&optimized))?;

    let dist = root.join("dist");
    let _ = std::fs::remove_dir_all(&dist);
    std::fs::create_dir_all(dist.join("assets"))?;
    std::fs::create_dir_all(dist.join("icons"))?;

    let public = root.join("public");
    let app_js = put_hashed(
        &dist,
        "app",
        "js",
        &std::fs::read(bindgen_out.join("app.js"))?,
    )?;
    let app_wasm = put_hashed(&dist, "app_bg", "wasm", &std::fs::read(&optimized)?)?;
    let style = put_hashed(
        &dist,
        "style",
        "css",
        &std::fs::read(public.join("style.css"))?,
    )?;
    let boot_src = std::fs::read_to_string(public.join("boot.js"))?
        .replace("__APP_JS__", &app_js)
        .replace("__APP_WASM__", &app_wasm);
    let boot = put_hashed(&dist, "boot", "js", boot_src.as_bytes())?;

    let index = std::fs::read_to_string(public.join("index.html"))?
        .replace("__STYLE_CSS__", &style)
        .replace("__APP_JS__", &app_js)
        .replace("__APP_WASM__", &app_wasm)
        .replace("__BOOT_JS__", &boot);
    std::fs::write(dist.join("index.html"), &index)?;
    std::fs::copy(
        public.join("manifest.webmanifest"),
        dist.join("manifest.webmanifest"),
    )?;
    let mut icons = Vec::new();
    for entry in std::fs::read_dir(public.join("icons"))? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        std::fs::copy(entry.path(), dist.join("icons").join(&name))?;
        icons.push(format!("/icons/{name}"));
    }
    icons.sort();

    let assets = [&app_js, &app_wasm, &style, &boot];
    let mut precache: Vec<String> = vec!["/index.html".into(), "/manifest.webmanifest".into()];
    precache.extend(icons);
    precache.extend(assets.iter().map(|a| format!("/assets/{a}")));
    // The version changes when any precached file's content does (the manifest and icons keep
    // their names), so phones install the new build.
    let mut hasher = Sha256::new();
    for path in &precache {
        hasher.update(path.as_bytes());
        hasher.update(std::fs::read(dist.join(path.trim_start_matches('/')))?);
    }
    let version = hex::encode(&hasher.finalize()[..6]);
    let precache_js = format!(
        "[{}]",
        precache
            .iter()
            .map(|p| format!("'{p}'"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let sw = std::fs::read_to_string(public.join("sw.js"))?
        .replace("__VERSION__", &version)
        .replace("__PRECACHE__", &precache_js);
    std::fs::write(dist.join("sw.js"), sw)?;

    let mut report = Vec::new();
    for path in [
        dist.join("index.html"),
        dist.join("sw.js"),
        dist.join("manifest.webmanifest"),
        dist.join("assets").join(&app_js),
        dist.join("assets").join(&app_wasm),
        dist.join("assets").join(&style),
        dist.join("assets").join(&boot),
    ] {
        report.push(precompress(&path)?);
    }
    println!("app built into dist/ (version {version}):");
    for a in &report {
        println!(
            "  {:<32} {:>9} bytes raw {:>9} bytes brotli",
            a.name, a.raw, a.brotli
        );
    }
    Ok(report)
}

/// Writes `assets/<stem>-<hash>.<ext>` and returns the file name.
fn put_hashed(dist: &Path, stem: &str, ext: &str, bytes: &[u8]) -> Result<String> {
    let hash = hex::encode(&Sha256::digest(bytes)[..5]);
    let name = format!("{stem}-{hash}.{ext}");
    std::fs::write(dist.join("assets").join(&name), bytes)?;
    Ok(name)
}

/// Writes `<file>.br` (quality 11) and `<file>.gz` beside `path` for the server to send as is.
fn precompress(path: &PathBuf) -> Result<Asset> {
    let bytes = std::fs::read(path).with_context(|| format!("read {}", path.display()))?;
    let mut br = Vec::new();
    {
        let mut w = brotli::CompressorWriter::new(&mut br, 4096, 11, 22);
        w.write_all(&bytes)?;
    }
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(&bytes)?;
    let gz = gz.finish()?;
    let with_ext = |ext: &str| {
        let mut p = path.clone().into_os_string();
        p.push(ext);
        PathBuf::from(p)
    };
    std::fs::write(with_ext(".br"), &br)?;
    std::fs::write(with_ext(".gz"), &gz)?;
    Ok(Asset {
        name: path
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned(),
        raw: bytes.len(),
        brotli: br.len(),
    })
}
