//! What several Wardbook instances run behind (docs/deploy.md), started for a test or a run:
//! an S3-compatible object store (moto's server, from PyPI) and HAProxy (Debian's) with the
//! repository's `deploy/haproxy.cfg`.

use std::fs::File;
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{ensure, Context, Result};

/// moto, pinned: a real S3 API server (signatures, multipart uploads, listings) in one process.
const MOTO: &str = "5.2.6";

/// The pinned moto server in its own environment (`target/moto-venv`), installed from PyPI
/// when missing.
pub fn ensure_moto(root: &Path) -> Result<std::path::PathBuf> {
    crate::tools::pypi_package(root, "moto-venv", "moto", "[server]", MOTO, "moto_server")
}

fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Waits until `GET path` on `port` answers `want`, at most `budget`.
fn wait_for(port: u16, path: &str, want: u16, budget: Duration, what: &str) -> Result<()> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(2)))
        .build()
        .into();
    let start = Instant::now();
    loop {
        if let Ok(res) = agent.get(format!("http://127.0.0.1:{port}{path}")).call() {
            if res.status().as_u16() == want {
                return Ok(());
            }
        }
        ensure!(
            start.elapsed() < budget,
            "{what} did not answer within {budget:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A moto S3 server on a free port, stopped when dropped. It keeps its objects in memory.
pub struct Moto {
    child: Child,
    pub port: u16,
}

impl Moto {
    /// Starts it, logging to `moto.log` in `dir`.
    pub fn start(root: &Path, dir: &Path) -> Result<Moto> {
        let bin = ensure_moto(root)?;
        let port = free_port()?;
        std::fs::create_dir_all(dir)?;
        let log = File::create(dir.join("moto.log"))?;
        let child = Command::new(&bin)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .with_context(|| format!("cannot start {}", bin.display()))?;
        let moto = Moto { child, port };
        // GET / lists the buckets.
        wait_for(port, "/", 200, Duration::from_secs(60), "moto")?;
        Ok(moto)
    }

    /// Creates `bucket` (moto checks no signature on it).
    pub fn bucket(&self, bucket: &str) -> Result<()> {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        let res = agent
            .put(format!("http://127.0.0.1:{}/{bucket}", self.port))
            .send_empty()?;
        ensure!(
            res.status().is_success(),
            "creating bucket {bucket}: {}",
            res.status()
        );
        Ok(())
    }

    /// The environment a server (built with `s3`) needs to use it.
    pub fn env(&self) -> Vec<(String, String)> {
        [
            ("AWS_ENDPOINT", format!("http://127.0.0.1:{}", self.port)),
            ("AWS_ALLOW_HTTP", "true".into()),
            ("AWS_ACCESS_KEY_ID", "wardbook".into()),
            ("AWS_SECRET_ACCESS_KEY", "wardbook-secret".into()),
            ("AWS_REGION", "us-east-1".into()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect()
    }

    /// The keys of the objects the bucket holds under `prefix` (moto lists up to 1,000 a page).
    pub fn keys(&self, bucket: &str, prefix: &str) -> Result<Vec<String>> {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        let mut keys = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut url = format!(
                "http://127.0.0.1:{}/{bucket}?list-type=2&prefix={prefix}",
                self.port
            );
            if let Some(t) = &token {
                url.push_str("&continuation-token=");
                url.push_str(&urlencode(t));
            }
            let mut res = agent.get(url).call()?;
            let xml = res.body_mut().read_to_string()?;
            keys.extend(
                xml.split("<Key>")
                    .skip(1)
                    .filter_map(|k| k.split_once("</Key>").map(|(k, _)| k.to_owned())),
            );
            token = xml
                .split_once("<NextContinuationToken>")
                .and_then(|(_, t)| t.split_once("</NextContinuationToken>"))
                .map(|(t, _)| t.to_owned());
            if token.is_none() {
                return Ok(keys);
            }
        }
    }
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// HAProxy with `deploy/haproxy.cfg` in front of three instances, on a free port; stopped when
/// dropped.
pub struct Balancer {
    child: Child,
    pub port: u16,
}

impl Balancer {
    pub fn start(root: &Path, dir: &Path, instances: &[u16]) -> Result<Balancer> {
        crate::tools::ensure_debian(&["/usr/sbin/haproxy"], &["haproxy"])?;
        ensure!(
            instances.len() == 3,
            "deploy/haproxy.cfg names three instances"
        );
        let port = free_port()?;
        let log = File::create(dir.join("haproxy.log"))?;
        let mut cmd = Command::new("/usr/sbin/haproxy");
        cmd.arg("-db")
            .arg("-f")
            .arg(root.join("deploy/haproxy.cfg"))
            .env("WARDBOOK_LB_BIND", format!("127.0.0.1:{port}"));
        for (i, p) in instances.iter().enumerate() {
            cmd.env(format!("WARDBOOK_{}", i + 1), format!("127.0.0.1:{p}"));
        }
        let child = cmd
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .context("cannot start haproxy")?;
        let lb = Balancer { child, port };
        wait_for(port, "/api/health", 200, Duration::from_secs(30), "HAProxy")?;
        Ok(lb)
    }
}

impl Drop for Balancer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
