//! Builds the two front ends into `dist/` (the phone app at `/`, the desk at `/desk`): the size
//! profile, wasm-bindgen, wasm-opt, hashed asset names (cached forever), a service worker that
//! precaches the phone app and caches the desk on devices that ask, and precompressed brotli and
//! gzip copies.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result};
use sha2::{Digest, Sha256};

use crate::{cargo, sh, tools};

pub struct Asset {
    pub name: String,
    pub raw: usize,
    /// What the server sends: the brotli copy, or the file itself where it has none (PNG).
    pub brotli: usize,
}

/// What a first visit to each front end downloads, file by file.
pub struct Build {
    /// `/`: the page, the service worker and everything it precaches at install.
    pub phone: Vec<Asset>,
    /// `/desk`: what opening a desk page adds (cached for offline use then).
    pub desk: Vec<Asset>,
}

/// The two WebAssembly entry points, each with its page.
const FRONT_ENDS: [&str; 2] = ["phone", "desk"];

/// Where the WebAssembly is built — the size-optimized apps here, the suite's wasm lints and
/// tests too: a target directory of their own (they share nothing with the server's builds), so
/// that `cargo xtask test` runs the browser side while its other steps hold `target/`'s lock.
pub fn wasm_target_dir(root: &Path) -> PathBuf {
    crate::target_dir(root).join("wasm")
}

pub fn build_app(root: &Path) -> Result<Build> {
    tools::ensure_wasm_target()?;
    tools::ensure_wasm_bindgen(root)?;
    tools::ensure_node_tools(root)?;

    println!("building the phone and desk apps (size-optimized; takes a few minutes on 2 cores)…");
    let wasm_target = wasm_target_dir(root);
    cargo(&[
        "build",
        "-p",
        "phone",
        "-p",
        "desk",
        "--target",
        "wasm32-unknown-unknown",
        "--profile",
        "wasm-release",
        "--target-dir",
        wasm_target
            .to_str()
            .context("the target directory's path is not UTF-8")?,
    ])?;
    let dist = root.join("dist");
    let _ = std::fs::remove_dir_all(&dist);
    std::fs::create_dir_all(dist.join("assets"))?;
    std::fs::create_dir_all(dist.join("icons"))?;
    let public = root.join("public");
    let style = put_hashed(
        &dist,
        "style",
        "css",
        &std::fs::read(public.join("style.css"))?,
    )?;
    let desk_style = put_hashed(
        &dist,
        "desk",
        "css",
        &std::fs::read(public.join("desk.css"))?,
    )?;

    // Per front end: its JS glue, its WebAssembly, its boot script and its page.
    let mut files: Vec<Vec<String>> = Vec::new();
    for name in FRONT_ENDS {
        let bindgen_out = crate::target_dir(root).join("wasm-bindgen").join(name);
        let _ = std::fs::remove_dir_all(&bindgen_out);
        sh(Command::new("wasm-bindgen")
            .args(["--target", "web", "--no-typescript", "--out-dir"])
            .arg(&bindgen_out)
            .arg(wasm_target.join(format!("wasm32-unknown-unknown/wasm-release/{name}.wasm"))))?;
        let optimized = bindgen_out.join(format!("{name}_bg.opt.wasm"));
        // -Os twice: larger than -Oz, but it compresses better (phone: 331.8 → 329.5 KB
        // brotli, measured on 2026-12-05), and what phones download is the brotli.
        sh(Command::new(tools::wasm_opt(root))
            .args(["-Os", "-Os"])
            .arg(bindgen_out.join(format!("{name}_bg.wasm")))
            .arg("-o")
            .arg(&optimized))?;
        // The glue is plain JavaScript wasm-bindgen wrote for every import: minified, it sends
        // 2 KB less (brotli), a tenth of a second at 3G speed.
        let glue = std::fs::read_to_string(bindgen_out.join(format!("{name}.js")))?;
        let js = put_hashed(&dist, name, "js", &minify(root, &glue)?)?;
        let wasm = put_hashed(
            &dist,
            &format!("{name}_bg"),
            "wasm",
            &std::fs::read(&optimized)?,
        )?;
        let boot_src = std::fs::read_to_string(public.join("boot.js"))?
            .replace("__APP_JS__", &js)
            .replace("__APP_WASM__", &wasm);
        let boot = put_hashed(
            &dist,
            &format!("{name}-boot"),
            "js",
            &minify(root, &boot_src)?,
        )?;
        let page = if name == "phone" {
            "index.html"
        } else {
            "desk.html"
        };
        let html = std::fs::read_to_string(public.join(page))?
            .replace("__STYLE_CSS__", &style)
            .replace("__DESK_CSS__", &desk_style)
            .replace("__APP_JS__", &js)
            .replace("__APP_WASM__", &wasm)
            .replace("__BOOT_JS__", &boot);
        std::fs::write(dist.join(page), &html)?;
        let mut assets = vec![format!("/{page}")];
        assets.extend([js, wasm, boot].map(|a| format!("/assets/{a}")));
        files.push(assets);
    }
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

    let mut precache: Vec<String> = files[0].clone();
    precache.push("/manifest.webmanifest".into());
    precache.extend(icons);
    precache.push(format!("/assets/{style}"));
    let mut desk: Vec<String> = files[1].clone();
    desk.push(format!("/assets/{desk_style}"));
    // The version changes when any cached file's content does (the pages, manifest and icons
    // keep their names), so phones install the new build.
    let mut hasher = Sha256::new();
    for path in precache.iter().chain(&desk) {
        hasher.update(path.as_bytes());
        hasher.update(std::fs::read(dist.join(path.trim_start_matches('/')))?);
    }
    let version = hex::encode(&hasher.finalize()[..6]);
    let js_list = |paths: &[String]| {
        format!(
            "[{}]",
            paths
                .iter()
                .map(|p| format!("'{p}'"))
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    let sw = std::fs::read_to_string(public.join("sw.js"))?
        .replace("__VERSION__", &version)
        .replace("__PRECACHE__", &js_list(&precache))
        .replace("__DESK__", &js_list(&desk));
    std::fs::write(dist.join("sw.js"), sw)?;

    let mut phone = vec![precompress(&dist.join("sw.js"))?];
    for path in &precache {
        phone.push(precompress(&dist.join(path.trim_start_matches('/')))?);
    }
    let desk = desk
        .iter()
        .map(|path| precompress(&dist.join(path.trim_start_matches('/'))))
        .collect::<Result<Vec<_>>>()?;
    println!("app built into dist/ (version {version}):");
    for (title, assets) in [("phone", &phone), ("desk", &desk)] {
        println!("  {title}:");
        for a in assets.iter() {
            println!(
                "    {:<32} {:>9} bytes raw {:>9} bytes sent",
                a.name, a.raw, a.brotli
            );
        }
    }
    Ok(Build { phone, desk })
}

/// A JavaScript module without its comments and long names (terser), as phones download it.
fn minify(root: &Path, source: &str) -> Result<Vec<u8>> {
    let dir = crate::target_dir(root).join("minify");
    std::fs::create_dir_all(&dir)?;
    let input = dir.join("in.js");
    let output = dir.join("out.js");
    std::fs::write(&input, source)?;
    sh(Command::new(tools::terser(root))
        .arg(&input)
        .args(["--module", "--compress", "--mangle", "--output"])
        .arg(&output))?;
    Ok(std::fs::read(&output)?)
}

/// Writes `assets/<stem>-<hash>.<ext>` and returns the file name.
fn put_hashed(dist: &Path, stem: &str, ext: &str, bytes: &[u8]) -> Result<String> {
    let hash = hex::encode(&Sha256::digest(bytes)[..5]);
    let name = format!("{stem}-{hash}.{ext}");
    std::fs::write(dist.join("assets").join(&name), bytes)?;
    Ok(name)
}

/// Writes `<file>.br` (quality 11) and `<file>.gz` beside `path` for the server to send as is.
fn precompress(path: &Path) -> Result<Asset> {
    let bytes = std::fs::read(path).with_context(|| format!("read {}", path.display()))?;
    let name = path
        .file_name()
        .unwrap_or_default()
        .to_string_lossy()
        .into_owned();
    // PNG is compressed already: the server sends it as it is.
    if name.ends_with(".png") {
        return Ok(Asset {
            name,
            raw: bytes.len(),
            brotli: bytes.len(),
        });
    }
    let mut br = Vec::new();
    {
        let mut w = brotli::CompressorWriter::new(&mut br, 4096, 11, 22);
        w.write_all(&bytes)?;
    }
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(&bytes)?;
    let gz = gz.finish()?;
    let with_ext = |ext: &str| {
        let mut p = path.to_path_buf().into_os_string();
        p.push(ext);
        PathBuf::from(p)
    };
    std::fs::write(with_ext(".br"), &br)?;
    std::fs::write(with_ext(".gz"), &gz)?;
    Ok(Asset {
        name,
        raw: bytes.len(),
        brotli: br.len(),
    })
}
