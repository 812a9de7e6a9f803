//! `cargo xtask chaos [--faults N] [--seed N] [--postgres] [--release]`: simulated phones speak
//! the real protocol (records with photos, chunked photo uploads, pulls, resubmissions of
//! returned records) to the real server binary through a fault proxy, while faults are
//! injected at random but reproducible points (the seed): the server killed (SIGKILL) in the
//! middle of a push, an upload or a pull and started again; connections reset before the
//! answer, answers cut short or stalled past the phone's patience; the same push delivered
//! twice, outboxes sent out of order; a phone restarting in the middle of an upload; phones
//! whose clocks are years off. After every fault the invariants are checked on what the fault
//! touched (and on everything every 50 faults, and at the end once the phones have drained
//! their outboxes):
//! - every record a phone was told is stored is on the server once, with the data it sent;
//! - every photo the server called complete comes back byte for byte;
//! - nothing an outbox held is lost: at the end every record made is stored, and the ward holds
//!   exactly as many records as the run made (no duplicate);
//! - the server answers again within seconds of a restart.
//!
//! The run fails on any violation and prints the faults by kind.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs::File;
use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context, Result};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::bench::{Rng, TempPg};
use crate::results::Report;

const USAGE: &str =
    "usage: cargo xtask chaos [--faults N] [--seed N] [--postgres | --cluster] [--release]";
/// The documented run's number of faults per database.
pub const FAULTS: usize = 1000;
/// The sample `cargo xtask test` runs on each database.
pub const CI_FAULTS: usize = 40;
const PHONES: usize = 4;
/// A phone gives up on an answer after this long (a stalled answer takes longer).
const PATIENCE: Duration = Duration::from_secs(2);
const STALL: Duration = Duration::from_millis(2500);
/// The server must answer /api/health within this long of being started again.
const RESTART_BUDGET: Duration = Duration::from_secs(10);
/// A first start on a new database migrates it and loads the demo (Argon2 hashes): given this
/// much on a loaded machine; the restarts after faults are held to [`RESTART_BUDGET`].
const FIRST_START_BUDGET: Duration = Duration::from_secs(60);
const CHUNK: usize = 16 * 1024;

pub fn run(root: &Path, args: &[String]) -> Result<()> {
    let (mut faults, mut seed, mut target, mut release) = (FAULTS, 1u64, Target::Sqlite, false);
    let mut rest = args.iter();
    while let Some(flag) = rest.next() {
        match flag.as_str() {
            "--faults" => faults = crate::count_arg(&mut rest, "--faults")?,
            "--seed" => seed = crate::count_arg(&mut rest, "--seed")?,
            "--postgres" => target = Target::Postgres,
            "--cluster" => target = Target::Cluster,
            "--release" => release = true,
            _ => bail!("{USAGE}"),
        }
    }
    chaos(root, faults, seed, target, release)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Fault {
    KillMidPush,
    KillMidUpload,
    KillMidPull,
    StopMidPush,
    ResetBeforeAnswer,
    TruncatedAnswer,
    StalledAnswer,
    DuplicateDelivery,
    ReorderedOutbox,
    RestartMidUpload,
    ClockSkew,
    DiskFull,
}

impl Fault {
    const ALL: [Fault; 12] = [
        Fault::KillMidPush,
        Fault::KillMidUpload,
        Fault::KillMidPull,
        Fault::StopMidPush,
        Fault::ResetBeforeAnswer,
        Fault::TruncatedAnswer,
        Fault::StalledAnswer,
        Fault::DuplicateDelivery,
        Fault::ReorderedOutbox,
        Fault::RestartMidUpload,
        Fault::ClockSkew,
        Fault::DiskFull,
    ];

    fn name(self) -> &'static str {
        match self {
            Fault::KillMidPush => "server killed mid-push",
            Fault::KillMidUpload => "server killed mid-upload",
            Fault::KillMidPull => "server killed mid-pull",
            Fault::StopMidPush => "server stopped for an upgrade mid-push",
            Fault::ResetBeforeAnswer => "connection reset before the answer",
            Fault::TruncatedAnswer => "answer cut short",
            Fault::StalledAnswer => "answer stalled past the phone's patience",
            Fault::DuplicateDelivery => "push delivered twice",
            Fault::ReorderedOutbox => "outbox sent out of order",
            Fault::RestartMidUpload => "phone restarted mid-upload",
            Fault::ClockSkew => "phone clock years off",
            Fault::DiskFull => "the server's disk full",
        }
    }
}

/// A server process, started again on the same database, directory and port.
struct ServerCtl {
    binary: PathBuf,
    dir: PathBuf,
    /// Its log in `dir`.
    log: String,
    database_url: String,
    /// A directory, or `s3://…` (then `env` names the store).
    photo_store: String,
    port: u16,
    /// Loads the demo accounts at each start (one instance of several does).
    demo: bool,
    /// Flags and environment beyond the common ones (behind a load balancer).
    args: Vec<String>,
    env: Vec<(String, String)>,
    child: Mutex<Option<Child>>,
    restarts: Mutex<Vec<Duration>>,
}

impl ServerCtl {
    fn start(&self) -> Result<()> {
        let log = File::options()
            .create(true)
            .append(true)
            .open(self.dir.join(&self.log))?;
        let mut cmd = Command::new(&self.binary);
        if self.demo {
            cmd.arg("--demo");
        }
        let child = cmd
            .args(["--listen", &format!("127.0.0.1:{}", self.port)])
            .arg("--database-url")
            .arg(&self.database_url)
            .arg("--static-dir")
            .arg(self.dir.join("static"))
            .arg("--photo-store")
            .arg(&self.photo_store)
            .args(&self.args)
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .env_remove("RUST_LOG")
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .with_context(|| format!("cannot start {}", self.binary.display()))?;
        *self.child.lock().expect("server lock") = Some(child);
        Ok(())
    }

    /// SIGKILL, as a power cut or the kernel's OOM killer would.
    fn kill(&self) {
        if let Some(child) = self.child.lock().expect("server lock").as_mut() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// SIGTERM, as a service manager stopping it for an upgrade; waits until it has stopped
    /// (it finishes the requests in flight first).
    fn stop(&self) {
        if let Some(child) = self.child.lock().expect("server lock").as_mut() {
            let _ = Command::new("kill")
                .args(["-TERM", &child.id().to_string()])
                .status();
            let _ = child.wait();
        }
    }

    fn alive(&self) -> bool {
        self.child
            .lock()
            .expect("server lock")
            .as_mut()
            .is_some_and(|c| c.try_wait().ok().flatten().is_none())
    }

    /// Waits for /api/health, at most `budget` ([`FIRST_START_BUDGET`] for a first start on a
    /// new database, [`RESTART_BUDGET`] after a fault); the time it took.
    fn wait_healthy(&self, budget: Duration) -> Result<Duration> {
        healthy_within(self.port, budget).with_context(|| {
            format!(
                "the server did not answer within {budget:?} of starting; see {}",
                self.dir.join(&self.log).display()
            )
        })
    }

    /// Starts the server again if a fault killed it.
    fn revive(&self) -> Result<()> {
        if !self.alive() {
            self.start()?;
            let took = self.wait_healthy(RESTART_BUDGET)?;
            self.restarts.lock().expect("restarts lock").push(took);
        }
        Ok(())
    }
}

/// A run that stops on an error leaves no server behind.
impl Drop for ServerCtl {
    fn drop(&mut self) {
        self.kill();
    }
}

/// How long `GET /api/health` on `port` took to answer 200, if it did within `budget`.
fn healthy_within(port: u16, budget: Duration) -> Option<Duration> {
    let start = Instant::now();
    loop {
        if let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) {
            let _ = s.set_read_timeout(Some(Duration::from_secs(1)));
            let ok = s
                .write_all(b"GET /api/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                .is_ok()
                && {
                    let mut answer = Vec::new();
                    let _ = s.read_to_end(&mut answer);
                    answer.starts_with(b"HTTP/1.1 200")
                };
            if ok {
                return Some(start.elapsed());
            }
        }
        if start.elapsed() >= budget {
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The servers the phones reach: one, or several behind a load balancer at `entry`.
struct Fleet {
    servers: Vec<Arc<ServerCtl>>,
    entry: u16,
}

impl Fleet {
    fn server(&self, which: usize) -> &ServerCtl {
        &self.servers[which % self.servers.len()]
    }

    /// Starts again every server a fault stopped.
    fn revive(&self) -> Result<()> {
        for s in &self.servers {
            s.revive()?;
        }
        Ok(())
    }

    fn kill_all(&self) {
        for s in &self.servers {
            s.kill();
        }
    }

    fn restarts(&self) -> Vec<Duration> {
        self.servers
            .iter()
            .flat_map(|s| s.restarts.lock().expect("restarts").clone())
            .collect()
    }
}

/// What the proxy does to the next connection (each request of a phone has its own).
#[derive(Clone, Copy, Debug)]
enum Arm {
    Pass,
    /// Forward the request, wait, kill server `which` (of several: one of them).
    Kill {
        delay_ms: u64,
        which: usize,
    },
    /// Forward the request, wait, stop server `which` as for an upgrade.
    Stop {
        delay_ms: u64,
        which: usize,
    },
    /// Forward the request, then close the phone's side without an answer.
    Reset,
    /// Forward only the first bytes of the answer.
    Truncate {
        keep: usize,
    },
    /// Hold the answer past the phone's patience.
    Stall,
}

struct Proxy {
    port: u16,
    /// What to do, after letting how many connections pass.
    armed: Arc<Mutex<(usize, Arm)>>,
}

impl Proxy {
    fn start(fleet: Arc<Fleet>) -> Result<Proxy> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let port = listener.local_addr()?.port();
        let armed = Arc::new(Mutex::new((0, Arm::Pass)));
        let arm = armed.clone();
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let what = {
                    let mut armed = arm.lock().expect("arm lock");
                    if armed.0 > 0 {
                        armed.0 -= 1;
                        Arm::Pass
                    } else {
                        std::mem::replace(&mut armed.1, Arm::Pass)
                    }
                };
                let fleet = fleet.clone();
                std::thread::spawn(move || {
                    let _ = relay(client, &fleet, what);
                });
            }
        });
        Ok(Proxy { port, armed })
    }

    /// `what` happens to the connection after the next `skip` ones.
    fn arm(&self, skip: usize, what: Arm) {
        *self.armed.lock().expect("arm lock") = (skip, what);
    }

    /// Takes back what was armed; whether it had happened.
    fn disarm(&self) -> bool {
        let was = std::mem::replace(&mut *self.armed.lock().expect("arm lock"), (0, Arm::Pass));
        matches!(was.1, Arm::Pass)
    }
}

/// One request and its answer between a phone and the server, with `what` done to it. The
/// request is read whole and sent on with `Connection: close`, so the answer ends when the
/// server closes.
fn relay(mut client: TcpStream, fleet: &Fleet, what: Arm) -> Result<()> {
    let request = read_request(&mut client)?;
    let mut upstream = TcpStream::connect(("127.0.0.1", fleet.entry))?;
    upstream.write_all(&request)?;
    match what {
        Arm::Pass => {
            std::io::copy(&mut upstream, &mut client)?;
        }
        Arm::Kill { delay_ms, which } => {
            std::thread::sleep(Duration::from_millis(delay_ms));
            fleet.server(which).kill();
        }
        Arm::Stop { delay_ms, which } => {
            std::thread::sleep(Duration::from_millis(delay_ms));
            fleet.server(which).stop();
            // The request in flight is answered before the server stops.
            std::io::copy(&mut upstream, &mut client)?;
        }
        Arm::Reset => {}
        Arm::Truncate { keep } => {
            let mut answer = Vec::new();
            upstream.read_to_end(&mut answer)?;
            client.write_all(&answer[..keep.min(answer.len().saturating_sub(1))])?;
        }
        Arm::Stall => {
            let mut answer = Vec::new();
            upstream.read_to_end(&mut answer)?;
            std::thread::sleep(STALL);
            let _ = client.write_all(&answer);
        }
    }
    let _ = client.shutdown(Shutdown::Both);
    Ok(())
}

/// Reads an HTTP/1.1 request with a Content-Length body (as the phones send them) and gives
/// it back with `Connection: close` in place of any Connection header.
fn read_request(client: &mut TcpStream) -> Result<Vec<u8>> {
    client.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    let head_end = loop {
        let n = client.read(&mut chunk)?;
        ensure!(n > 0, "the phone closed before its request ended");
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let length: usize = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse().ok())?
        })
        .unwrap_or(0);
    while buf.len() < head_end + length {
        let n = client.read(&mut chunk)?;
        ensure!(n > 0, "the phone closed before its request ended");
        buf.extend_from_slice(&chunk[..n]);
    }
    let mut out = Vec::with_capacity(buf.len() + 20);
    for line in head.trim_end().split("\r\n") {
        if !line.to_ascii_lowercase().starts_with("connection:") {
            out.extend_from_slice(line.as_bytes());
            out.extend_from_slice(b"\r\n");
        }
    }
    out.extend_from_slice(b"Connection: close\r\n\r\n");
    out.extend_from_slice(&buf[head_end..]);
    Ok(out)
}

/// A record in an outbox: what the phone will send until the server says it has it.
#[derive(Clone)]
struct Item {
    id: String,
    envelope: Value,
}

/// What the server acknowledged of a record: the data of its latest revision.
struct Acked {
    data: Value,
    revision: Option<String>,
    /// When and how it was acknowledged, for the report of a violation.
    how: String,
}

/// A phone: its outbox, its photos and what it knows is stored survive a restart; its
/// connection does not.
struct Phone {
    name: String,
    bearer: String,
    group: i64,
    agent: ureq::Agent,
    outbox: Vec<Item>,
    acked: HashMap<String, Acked>,
    photos: HashMap<String, Vec<u8>>,
    photos_done: HashSet<String>,
    cursor: i64,
    skew_days: i64,
    made: usize,
    /// The driver's draw now, for the report of a violation.
    draw: usize,
    /// Requests that got no answer or a server error (5xx).
    failed: std::cell::Cell<usize>,
}

/// A request that came back with an answer (any status) or did not.
enum Sent {
    Answer(u16, Vec<u8>),
    NoAnswer,
}

impl Phone {
    fn url(&self, base: &str, path: &str) -> String {
        format!("{base}{path}")
    }

    fn call(
        &self,
        base: &str,
        method: &str,
        path: &str,
        body: Option<(&str, &[u8])>,
        headers: &[(&str, String)],
    ) -> Sent {
        let url = self.url(base, path);
        let result = match (method, body) {
            ("GET", _) => {
                let mut req = self.agent.get(&url).header("Authorization", &self.bearer);
                for (k, v) in headers {
                    req = req.header(*k, v);
                }
                req.call()
            }
            (m, Some((ty, bytes))) => {
                let mut req = if m == "PUT" {
                    self.agent.put(&url)
                } else {
                    self.agent.post(&url)
                }
                .header("Authorization", &self.bearer)
                .content_type(ty);
                for (k, v) in headers {
                    req = req.header(*k, v);
                }
                req.send(bytes)
            }
            _ => return Sent::NoAnswer,
        };
        let sent = match result {
            Ok(mut res) => {
                let status = res.status().as_u16();
                match res.body_mut().with_config().limit(50 << 20).read_to_vec() {
                    Ok(body) => Sent::Answer(status, body),
                    Err(_) => Sent::NoAnswer,
                }
            }
            Err(_) => Sent::NoAnswer,
        };
        if !matches!(sent, Sent::Answer(status, _) if status < 500) {
            self.failed.set(self.failed.get() + 1);
        }
        sent
    }

    /// A new neighborhood report, with a photo half of the time.
    fn make_record(&mut self, rng: &mut Rng) {
        self.made += 1;
        let id = rng.uuid_v4();
        let mut photos = Vec::new();
        let mut refs = Vec::new();
        if rng.below(2) == 0 {
            // Several chunks each, as a phone's resized photo (at most 4 MiB) would be.
            let size = 20_000 + rng.below(180_000);
            let mut bytes = vec![0xFF, 0xD8, 0xFF, 0xE0];
            bytes.extend((0..size).map(|_| (rng.next() & 0xFF) as u8));
            let sha = hex::encode(Sha256::digest(&bytes));
            refs.push(json!({"sha256": sha, "type": "image/jpeg", "bytes": bytes.len(), "width": 640, "height": 480}));
            photos.push(sha.clone());
            self.photos.insert(sha, bytes);
        }
        let day = 1 + rng.below(28);
        let category = ["theft", "noise", "drugs", "fire_risk", "other"][rng.below(5)];
        let urgency = ["normal", "urgent", "emergency"][rng.below(3)];
        let created_year = 2026 + self.skew_days / 365;
        let envelope = json!({
            "id": id,
            "form_key": "neighborhood_report",
            "form_version": 1,
            "group_id": self.group,
            "created_at": format!("{created_year:04}-11-{day:02}T08:00:00Z"),
            "data": {
                "category": category,
                "urgency": urgency,
                "occurred_at": format!("2026-11-{day:02}T07:30"),
                "location": format!("Số {}, ngõ {}, đường Âu Cơ", 1 + rng.below(200), 1 + rng.below(90)),
                "description": format!("{} báo số {}: người dân phản ánh có xe máy lạ dựng trong ngõ.", self.name, self.made),
                "photos": refs,
            },
        });
        self.outbox.push(Item { id, envelope });
    }

    /// Sends up to five outbox records in one push; what the server confirms leaves the outbox.
    /// Answers other than accepted or duplicate are violations.
    fn push(&mut self, base: &str, twice: bool, violations: &mut Vec<String>) -> Vec<String> {
        let batch: Vec<Item> = self.outbox.iter().take(5).cloned().collect();
        if batch.is_empty() {
            return Vec::new();
        }
        let body =
            json!({ "records": batch.iter().map(|i| &i.envelope).collect::<Vec<_>>() }).to_string();
        let mut confirmed = Vec::new();
        let mut how: HashMap<String, String> = HashMap::new();
        for attempt in 0..if twice { 2 } else { 1 } {
            let Sent::Answer(status, answer) = self.call(
                base,
                "POST",
                "/api/sync/push",
                Some(("application/json", body.as_bytes())),
                &[],
            ) else {
                continue;
            };
            if status != 200 {
                if status < 500 && status != 408 {
                    violations.push(format!("{}: push answered {status}", self.name));
                }
                continue;
            }
            let Ok(answer) = serde_json::from_slice::<Value>(&answer) else {
                violations.push(format!("{}: a push answered 200 with no JSON", self.name));
                continue;
            };
            for (item, result) in batch
                .iter()
                .zip(answer["results"].as_array().into_iter().flatten())
            {
                let outcome = result["outcome"].as_str().unwrap_or("");
                if result["id"].as_str() != Some(item.id.as_str()) {
                    violations.push(format!("{}: push answered for another id", self.name));
                } else if outcome == "accepted" || outcome == "duplicate" {
                    if twice && attempt == 1 && outcome == "accepted" {
                        violations.push(format!(
                            "{}: the second delivery of {} was accepted again",
                            self.name, item.id
                        ));
                    }
                    if !confirmed.contains(&item.id) {
                        confirmed.push(item.id.clone());
                        how.insert(item.id.clone(), format!("{outcome} at draw {}", self.draw));
                    }
                } else {
                    violations.push(format!("{}: {} answered {result}", self.name, item.id));
                }
            }
        }
        for id in &confirmed {
            if let Some(pos) = self.outbox.iter().position(|i| &i.id == id) {
                let item = self.outbox.remove(pos);
                self.acked.insert(
                    id.clone(),
                    Acked {
                        data: item.envelope["data"].clone(),
                        revision: item.envelope["revision"]["id"].as_str().map(str::to_owned),
                        how: how.remove(id).unwrap_or_default(),
                    },
                );
            }
        }
        confirmed
    }

    /// Uploads one photo not yet complete, resuming where the server stands; `restart_after`
    /// chunks, the phone "restarts" and forgets where it was. The photo's sha when it completed.
    fn upload(&mut self, base: &str, restart_after: Option<usize>) -> Option<String> {
        let sha = self
            .photos
            .keys()
            .filter(|s| !self.photos_done.contains(*s))
            .min()?
            .clone();
        let bytes = self.photos[&sha].clone();
        let mut sent = 0;
        for round in 0..2 {
            let Sent::Answer(200, state) =
                self.call(base, "GET", &format!("/api/photos/{sha}/upload"), None, &[])
            else {
                return None;
            };
            let state: Value = serde_json::from_slice(&state).ok()?;
            if state["complete"] == true {
                self.photos_done.insert(sha.clone());
                return Some(sha);
            }
            let mut offset = state["received"].as_u64()? as usize;
            // As the app does (app/src/sync): until the server says complete, the next chunk
            // from where it stands; an empty one when it holds every byte but has not finished.
            for _ in 0..bytes.len() / CHUNK + 3 {
                if restart_after.is_some_and(|n| sent >= n) && round == 0 {
                    break;
                }
                let end = (offset + CHUNK).min(bytes.len());
                let Sent::Answer(status, answer) = self.call(
                    base,
                    "PUT",
                    &format!("/api/photos/{sha}"),
                    Some(("image/jpeg", &bytes[offset..end])),
                    &[
                        ("Upload-Length", bytes.len().to_string()),
                        ("Upload-Offset", offset.to_string()),
                    ],
                ) else {
                    return None;
                };
                sent += 1;
                if status != 200 {
                    break;
                }
                let state: Value = serde_json::from_slice(&answer).ok()?;
                if state["complete"] == true {
                    self.photos_done.insert(sha.clone());
                    return Some(sha);
                }
                offset = state["received"].as_u64()? as usize;
            }
        }
        None
    }

    /// One page of changes after the phone's cursor.
    fn pull(&mut self, base: &str) -> bool {
        let Sent::Answer(200, page) = self.call(
            base,
            "GET",
            &format!("/api/sync/pull?cursor={}&limit=100", self.cursor),
            None,
            &[],
        ) else {
            return false;
        };
        let Ok(page) = serde_json::from_slice::<Value>(&page) else {
            return false;
        };
        if let Some(c) = page["cursor"].as_i64() {
            self.cursor = c;
        }
        true
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(PATIENCE))
        .max_idle_connections(0)
        .build()
        .into()
}

fn sign_in(base: &str, username: &str) -> Result<(String, Value)> {
    let mut res = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .new_agent()
        .post(format!("{base}/api/auth/login"))
        .send_json(json!({ "username": username, "password": "wardbook-demo" }))?;
    ensure!(
        res.status().is_success(),
        "sign-in as {username}: {}",
        res.status()
    );
    let login: Value = res.body_mut().read_json()?;
    let token = login["token"].as_str().context("no token")?;
    Ok((format!("Bearer {token}"), login))
}

/// The supervisor's view, straight to the server (not through the proxy).
struct Desk {
    base: String,
    bearer: String,
    agent: ureq::Agent,
}

impl Desk {
    fn get(&self, path: &str) -> Result<(u16, Vec<u8>)> {
        let mut res = self
            .agent
            .get(format!("{}{path}", self.base))
            .header("Authorization", &self.bearer)
            .call()?;
        let status = res.status().as_u16();
        Ok((
            status,
            res.body_mut().with_config().limit(50 << 20).read_to_vec()?,
        ))
    }

    fn total(&self) -> Result<i64> {
        let (status, body) = self.get("/api/records/counts")?;
        ensure!(status == 200, "counts answered {status}");
        let counts: Value = serde_json::from_slice(&body)?;
        Ok(counts
            .as_array()
            .context("counts")?
            .iter()
            .filter_map(|c| c["count"].as_i64())
            .sum())
    }
}

/// Checks what a phone was told is stored: the records (data of the latest acknowledged
/// revision) and the complete photos, `ids`/`shas` only when given.
fn check_phone(
    desk: &Desk,
    direct: &str,
    phone: &Phone,
    ids: Option<&[String]>,
    shas: Option<&[String]>,
    checks: &mut usize,
    violations: &mut Vec<String>,
) -> Result<()> {
    let all_ids: Vec<String>;
    let ids = match ids {
        Some(i) => i,
        None => {
            all_ids = phone.acked.keys().cloned().collect();
            &all_ids
        }
    };
    for id in ids {
        let Some(acked) = phone.acked.get(id) else {
            continue;
        };
        *checks += 1;
        let (status, body) = desk.get(&format!("/api/records/{id}"))?;
        if status != 200 {
            violations.push(format!(
                "{}: acknowledged {id} ({}) answers {status}",
                phone.name, acked.how
            ));
            continue;
        }
        let detail: Value = serde_json::from_slice(&body)?;
        if detail["data"] != acked.data {
            violations.push(format!("{}: {id} is stored with other data", phone.name));
        }
        if let Some(rev) = &acked.revision {
            if detail["summary"]["revision"].as_str() != Some(rev.as_str()) {
                violations.push(format!(
                    "{}: {id} is not at its acknowledged revision {rev}",
                    phone.name
                ));
            }
        }
    }
    let all_shas: Vec<String>;
    let shas = match shas {
        Some(s) => s,
        None => {
            all_shas = phone.photos_done.iter().cloned().collect();
            &all_shas
        }
    };
    let owner = Desk {
        base: direct.to_owned(),
        bearer: phone.bearer.clone(),
        agent: desk.agent.clone(),
    };
    for sha in shas {
        if !phone.photos_done.contains(sha) {
            continue;
        }
        *checks += 1;
        let (status, body) = owner.get(&format!("/api/photos/{sha}"))?;
        if status != 200 || body != phone.photos[sha] {
            violations.push(format!(
                "{}: photo {sha} comes back {status}, {} bytes of {}",
                phone.name,
                body.len(),
                phone.photos[sha].len()
            ));
        }
    }
    Ok(())
}

/// What the phones sync with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// One server on SQLite, photos in a directory.
    Sqlite,
    /// One server on PostgreSQL, photos in a directory.
    Postgres,
    /// [`INSTANCES`] servers (built with `s3`) on one PostgreSQL database and one S3 bucket
    /// (moto), behind HAProxy with `deploy/haproxy.cfg`.
    Cluster,
}

/// Server instances in a [`Target::Cluster`] run.
pub const INSTANCES: usize = 3;

impl Target {
    fn name(self) -> &'static str {
        match self {
            Target::Sqlite => "SQLite",
            Target::Postgres => "PostgreSQL",
            Target::Cluster => "3 instances on PostgreSQL and S3 behind HAProxy",
        }
    }

    fn file(self) -> &'static str {
        match self {
            Target::Sqlite => "chaos-sqlite",
            Target::Postgres => "chaos-postgres",
            Target::Cluster => "chaos-cluster",
        }
    }

    fn flag(self) -> &'static str {
        match self {
            Target::Sqlite => "",
            Target::Postgres => " --postgres",
            Target::Cluster => " --cluster",
        }
    }
}

pub fn chaos(root: &Path, faults: usize, seed: u64, target: Target, release: bool) -> Result<()> {
    let profile = if release { "release" } else { "debug" };
    if release {
        let mut build = vec!["build", "-p", "server", "--release"];
        if target == Target::Cluster {
            build.extend(["--features", "s3"]);
        }
        crate::cargo(&build)?;
    } else {
        crate::build_debug_server()?;
    }
    let binary = crate::target_dir(root).join(profile).join("wardbook");
    let pg = (target != Target::Sqlite)
        .then(|| TempPg::create("chaos"))
        .transpose()?;
    let dir = std::env::temp_dir().join(format!("wardbook-chaos-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let data = dir.join("data");
    std::fs::create_dir_all(&data)?;
    let disk = (target != Target::Cluster)
        .then(|| SmallDisk::mount(&data))
        .flatten();
    let database_url = pg
        .as_ref()
        .map(TempPg::url)
        .unwrap_or_else(|| format!("sqlite://{}", data.join("chaos.db").display()));
    let free_port =
        || -> Result<u16> { Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port()) };
    let server = |i: usize, photo_store: String, args: Vec<String>, env: Vec<(String, String)>| {
        Ok::<_, anyhow::Error>(Arc::new(ServerCtl {
            binary: binary.clone(),
            dir: dir.clone(),
            log: if target == Target::Cluster {
                format!("wardbook-{}.log", i + 1)
            } else {
                "wardbook.log".into()
            },
            database_url: database_url.clone(),
            photo_store,
            port: free_port()?,
            demo: i == 0,
            args,
            env,
            child: Mutex::new(None),
            restarts: Mutex::new(Vec::new()),
        }))
    };
    let mut s3 = None;
    let mut balancer = None;
    let fleet = if target == Target::Cluster {
        let moto = crate::cluster::Moto::start(root, &dir)?;
        moto.bucket("wardbook")?;
        let servers = (0..INSTANCES)
            .map(|i| {
                server(
                    i,
                    "s3://wardbook/photos".into(),
                    vec!["--trusted-proxies".into(), "1".into()],
                    moto.env(),
                )
            })
            .collect::<Result<Vec<_>>>()?;
        // The first loads the demo accounts; the others start once it has.
        for s in &servers {
            s.start()?;
            s.wait_healthy(FIRST_START_BUDGET)?;
        }
        let lb = crate::cluster::Balancer::start(
            root,
            &dir,
            &servers.iter().map(|s| s.port).collect::<Vec<_>>(),
        )?;
        let entry = lb.port;
        s3 = Some(moto);
        balancer = Some(lb);
        Fleet { servers, entry }
    } else {
        let one = server(0, data.join("photos").display().to_string(), vec![], vec![])?;
        one.start()?;
        one.wait_healthy(FIRST_START_BUDGET)?;
        let entry = one.port;
        Fleet {
            servers: vec![one],
            entry,
        }
    };
    let fleet = Arc::new(fleet);
    let proxy = Proxy::start(fleet.clone())?;
    let direct = format!("http://127.0.0.1:{}", fleet.entry);
    let via = format!("http://127.0.0.1:{}", proxy.port);
    let result = drive(
        root,
        &fleet,
        &proxy,
        (disk.as_ref(), s3.as_ref()),
        (&direct, &via),
        faults,
        seed,
        (target, release),
    );
    fleet.kill_all();
    drop(balancer);
    drop(s3);
    if result.is_err() && disk.is_some() {
        // The small disk goes with its mount: keep a copy of what the server had.
        let _ = Command::new("cp")
            .arg("-a")
            .arg(&data)
            .arg(dir.join("data-kept"))
            .status();
    }
    drop(disk);
    match &result {
        Ok(()) => {
            let _ = std::fs::remove_dir_all(&dir);
        }
        Err(_) => eprintln!("server logs and database kept in {}", dir.display()),
    }
    drop(pg);
    result
}

/// A file system of a fixed size (tmpfs, 512 MiB) for the server's data, which a fault fills
/// up; `None` where this machine does not let us mount one (then that fault is not drawn).
struct SmallDisk {
    path: PathBuf,
}

impl SmallDisk {
    fn mount(path: &Path) -> Option<SmallDisk> {
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=512m", "tmpfs"])
            .arg(path)
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        ok.then(|| SmallDisk {
            path: path.to_owned(),
        })
    }

    /// Writes a ballast file until the disk is full.
    fn fill(&self) -> Result<()> {
        let mut f = File::create(self.path.join("ballast"))?;
        for size in [1 << 20, 4096, 1] {
            let block = vec![0u8; size];
            while f.write_all(&block).is_ok() {}
        }
        let _ = f.sync_all();
        Ok(())
    }

    fn free(&self) -> Result<()> {
        std::fs::remove_file(self.path.join("ballast"))?;
        Ok(())
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.path).status();
    }
}

#[allow(clippy::too_many_arguments)]
fn drive(
    root: &Path,
    fleet: &Fleet,
    proxy: &Proxy,
    (disk, s3): (Option<&SmallDisk>, Option<&crate::cluster::Moto>),
    (direct, via): (&str, &str),
    faults: usize,
    seed: u64,
    (target, release): (Target, bool),
) -> Result<()> {
    let backend = target.name();
    let mut rng = Rng(seed);
    let (sup_bearer, _) = sign_in(direct, "truongcong")?;
    let desk = Desk {
        base: direct.to_owned(),
        bearer: sup_bearer,
        agent: ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(60)))
            .build()
            .into(),
    };
    let baseline = desk.total()?;
    let mut phones = Vec::new();
    for (i, user) in ["totruong", "canbo", "totruong", "canbo"]
        .iter()
        .take(PHONES)
        .enumerate()
    {
        let (bearer, login) = sign_in(direct, user)?;
        let group = login["me"]["group"]["id"]
            .as_i64()
            .or_else(|| login["me"]["groups"][0]["id"].as_i64())
            .unwrap_or(1);
        phones.push(Phone {
            name: format!("phone {} ({user})", i + 1),
            bearer,
            group: group.max(1),
            agent: agent(),
            outbox: Vec::new(),
            acked: HashMap::new(),
            photos: HashMap::new(),
            photos_done: HashSet::new(),
            cursor: 0,
            skew_days: 0,
            made: 0,
            draw: 0,
            failed: Default::default(),
        });
    }
    // The groups the officer files for: the leader's, which is in the officer's ward.
    let leader_group = phones[0].group;
    for p in phones.iter_mut() {
        p.group = leader_group;
    }

    let mut by_kind: BTreeMap<Fault, usize> = BTreeMap::new();
    let mut violations: Vec<String> = Vec::new();
    let shared = if target == Target::Cluster {
        shared_sign_in_limits(direct, fleet.servers.len(), &mut violations)?
    } else {
        String::new()
    };
    let mut checks = 0usize;
    let mut returned = 0usize;
    // Faults drawn that found nothing to act on (not counted; more are drawn).
    let mut missed = 0usize;
    // With the disk full: pushes the server still took (its write-ahead log had room), photos
    // waiting to be uploaded, photos it still took.
    let mut full = (0usize, 0usize, 0usize);
    // Kills and stops, and those of them after which the phone's request failed (502 from the
    // balancer, or no answer): on one server, a stop lets the request finish.
    let mut stops = (0usize, 0usize);
    let started = Instant::now();
    println!("{backend}: {faults} faults, seed {seed}, {PHONES} phones…");
    let mut n = 0;
    while by_kind.values().sum::<usize>() < faults {
        n += 1;
        let mut fault = Fault::ALL[rng.below(Fault::ALL.len())];
        if fault == Fault::DiskFull && disk.is_none() {
            fault = Fault::ClockSkew;
        }
        let p = rng.below(phones.len());
        phones[p].draw = n;
        for _ in 0..1 + rng.below(3) {
            phones[p].make_record(&mut rng);
        }
        let mut touched_ids: Vec<String> = phones[p].outbox.iter().map(|i| i.id.clone()).collect();
        let mut touched_shas: Vec<String> = phones[p].photos.keys().cloned().collect();
        let which = rng.below(fleet.servers.len());
        let failed_before = phones[p].failed.get();
        match fault {
            Fault::KillMidPush
            | Fault::StopMidPush
            | Fault::ResetBeforeAnswer
            | Fault::TruncatedAnswer
            | Fault::StalledAnswer => {
                proxy.arm(
                    0,
                    match fault {
                        Fault::KillMidPush => Arm::Kill {
                            delay_ms: rng.below(40) as u64,
                            which,
                        },
                        Fault::StopMidPush => Arm::Stop {
                            delay_ms: rng.below(40) as u64,
                            which,
                        },
                        Fault::ResetBeforeAnswer => Arm::Reset,
                        Fault::TruncatedAnswer => Arm::Truncate {
                            keep: rng.below(400),
                        },
                        _ => Arm::Stall,
                    },
                );
                phones[p].push(via, false, &mut violations);
            }
            Fault::KillMidUpload => {
                phones[p].with_a_photo_waiting(&mut rng);
                // Past the question of where the upload stands, into its chunks.
                let skip = 1 + rng.below(2);
                proxy.arm(
                    skip,
                    Arm::Kill {
                        delay_ms: rng.below(20) as u64,
                        which,
                    },
                );
                phones[p].upload(via, None);
            }
            Fault::KillMidPull => {
                proxy.arm(
                    0,
                    Arm::Kill {
                        delay_ms: rng.below(10) as u64,
                        which,
                    },
                );
                phones[p].pull(via);
            }
            Fault::DuplicateDelivery => {
                phones[p].push(via, true, &mut violations);
            }
            Fault::ReorderedOutbox => {
                let len = phones[p].outbox.len();
                for i in (1..len).rev() {
                    let j = rng.below(i + 1);
                    phones[p].outbox.swap(i, j);
                }
                phones[p].push(via, false, &mut violations);
            }
            Fault::RestartMidUpload => {
                phones[p].with_a_photo_waiting(&mut rng);
                phones[p].upload(via, Some(1));
            }
            Fault::DiskFull => {
                let disk = disk.expect("drawn only with a disk");
                disk.fill()?;
                // Whatever the server answers, nothing may be acknowledged that is not stored.
                let waiting = phones[p].photos.len() - phones[p].photos_done.len();
                while phones[p].upload(via, None).is_some() {}
                let uploaded = waiting - (phones[p].photos.len() - phones[p].photos_done.len());
                let stored = phones[p].push(via, false, &mut violations).len();
                phones[p].pull(via);
                disk.free()?;
                full.0 += usize::from(stored > 0);
                full.1 += waiting;
                full.2 += uploaded;
            }
            Fault::ClockSkew => {
                phones[p].skew_days = [-3650, -400, 400, 3650][rng.below(4)];
                phones[p].make_record(&mut rng);
                phones[p].skew_days = 0;
                touched_ids = phones[p].outbox.iter().map(|i| i.id.clone()).collect();
                phones[p].push(via, false, &mut violations);
            }
        }
        // A fault of the proxy that found no request to act on (the phone had nothing to
        // send, or fewer chunks than skipped) did not happen: it is not counted.
        if proxy.disarm() {
            *by_kind.entry(fault).or_default() += 1;
            if matches!(
                fault,
                Fault::KillMidPush | Fault::KillMidUpload | Fault::KillMidPull | Fault::StopMidPush
            ) {
                stops.0 += 1;
                stops.1 += usize::from(phones[p].failed.get() > failed_before);
            }
        } else {
            missed += 1;
        }
        fleet.revive()?;

        // The phone carries on as phones do: photos, its outbox, a pull.
        while phones[p].upload(via, None).is_some() {}
        phones[p].push(via, false, &mut violations);
        phones[p].pull(via);
        touched_shas.retain(|s| phones[p].photos.contains_key(s));
        touched_ids.retain(|i| phones[p].acked.contains_key(i));

        // Now and then a supervisor returns a record; its phone corrects and resubmits it.
        if rng.below(10) == 0 {
            if let Some(id) = phones[p]
                .acked
                .iter()
                .filter(|(_, a)| a.revision.is_none())
                .map(|(id, _)| id.clone())
                .min()
            {
                let (status, body) = desk.get(&format!("/api/records/{id}"))?;
                if status == 200 {
                    let detail: Value = serde_json::from_slice(&body)?;
                    let revision = detail["summary"]["revision"]
                        .as_str()
                        .unwrap_or(&id)
                        .to_owned();
                    let mut res = desk
                        .agent
                        .post(format!("{direct}/api/records/{id}/review"))
                        .header("Authorization", &desk.bearer)
                        .send_json(json!({"action": "return", "comment": "Ghi rõ số nhà.", "revision": revision}))?;
                    let answer = res.body_mut().read_to_string().unwrap_or_default();
                    if res.status().is_success() {
                        returned += 1;
                        let mut envelope = phones[p].outbox_envelope_of(&id, &detail);
                        envelope["revision"] = json!({"id": rng.uuid_v4(), "base": revision});
                        envelope["data"]["location"] = json!(format!(
                            "Số {}, ngõ 12, đường Âu Cơ (đã sửa)",
                            1 + rng.below(200)
                        ));
                        phones[p].outbox.push(Item {
                            id: id.clone(),
                            envelope,
                        });
                    } else if res.status().as_u16() != 409 {
                        violations.push(format!(
                            "returning {id} answered {}: {answer}",
                            res.status()
                        ));
                    }
                }
            }
        }

        check_phone(
            &desk,
            direct,
            &phones[p],
            Some(&touched_ids),
            Some(&touched_shas),
            &mut checks,
            &mut violations,
        )?;
        let before = violations.len();
        let total = desk.total()?;
        let made: usize = phones.iter().map(|ph| ph.made).sum();
        let acked: usize = phones.iter().map(|ph| ph.acked.len()).sum();
        checks += 1;
        if total < baseline + acked as i64 || total > baseline + made as i64 {
            violations.push(format!(
                "after fault {n}: the ward holds {} new records; {acked} acknowledged, {made} made",
                total - baseline
            ));
        }
        if violations.len() > before || (before == 0 && !violations.is_empty()) {
            println!(
                "  violations appeared at draw {n}, after: {} ({})",
                fault.name(),
                phones[p].name
            );
        }
        if n % 50 == 0 {
            for ph in &phones {
                check_phone(&desk, direct, ph, None, None, &mut checks, &mut violations)?;
            }
            println!(
                "  {n} faults, {} restarts, {checks} checks, {} violations ({:.0} s)",
                fleet.restarts().len(),
                violations.len(),
                started.elapsed().as_secs_f64()
            );
        }
        if violations.len() > 20 {
            break;
        }
    }

    // The phones drain their outboxes with nothing in the way; then everything is checked.
    proxy.arm(0, Arm::Pass);
    for ph in phones.iter_mut() {
        for _ in 0..200 {
            if ph.outbox.is_empty() && ph.photos.len() == ph.photos_done.len() {
                break;
            }
            while ph.upload(via, None).is_some() {}
            ph.push(via, false, &mut violations);
        }
        if !ph.outbox.is_empty() {
            violations.push(format!(
                "{}: {} records never left the outbox",
                ph.name,
                ph.outbox.len()
            ));
        }
        if ph.photos.len() != ph.photos_done.len() {
            violations.push(format!(
                "{}: {} photos never completed",
                ph.name,
                ph.photos.len() - ph.photos_done.len()
            ));
        }
    }
    for ph in &phones {
        check_phone(&desk, direct, ph, None, None, &mut checks, &mut violations)?;
    }
    let made: usize = phones.iter().map(|ph| ph.made).sum();
    let total = desk.total()?;
    checks += 1;
    if total != baseline + made as i64 {
        violations.push(format!(
            "the ward holds {} new records; the phones made {made}",
            total - baseline
        ));
    }
    // Every photo the phones took is in the object store, once (named by its hash), and
    // nothing else is.
    let in_store = match s3 {
        Some(moto) => {
            let made: HashSet<String> = phones
                .iter()
                .flat_map(|p| p.photos.keys().cloned())
                .collect();
            let keys = moto.keys("wardbook", "photos/photos/")?;
            let stored: HashSet<String> = keys
                .iter()
                .filter_map(|k| k.rsplit('/').next().map(str::to_owned))
                .collect();
            checks += 1;
            if stored.len() != keys.len() {
                violations.push("a photo is in the bucket twice".into());
            }
            for missing in made.difference(&stored) {
                violations.push(format!("photo {missing} is not in the bucket"));
            }
            for extra in stored.difference(&made) {
                violations.push(format!("the bucket holds a photo no phone took: {extra}"));
            }
            format!(
                "  photos in the S3 bucket: {} objects; taken by the phones: {}; the same set",
                keys.len(),
                made.len()
            )
        }
        None => String::new(),
    };
    for s in &fleet.servers {
        let log = std::fs::read_to_string(s.dir.join(&s.log)).unwrap_or_default();
        if log.contains("panicked") {
            violations.push(format!("a server panicked; see {}", s.log));
        }
    }

    let restarts = fleet.restarts();
    let mut out = Report::default();
    out.line(format!(
        "{backend}: {} faults (seed {seed}) against {PHONES} phones in {:.0} s; {made} records made ({returned} returned and resubmitted), {} photos",
        by_kind.values().sum::<usize>(),
        started.elapsed().as_secs_f64(),
        phones.iter().map(|p| p.photos.len()).sum::<usize>()
    ));
    for (kind, count) in &by_kind {
        out.line(format!("  {:<44} {count:>5}", kind.name()));
    }
    out.line(format!(
        "  server restarts: {}, back within {:.2} s at most (budget {} s)",
        restarts.len(),
        restarts.iter().max().map_or(0.0, Duration::as_secs_f64),
        RESTART_BUDGET.as_secs()
    ));
    if let Some(n) = by_kind.get(&Fault::DiskFull) {
        out.line(format!(
            "  with the disk full ({n} times): pushes still taken {} ({}), photos uploaded {} of {} waiting; the rest after the space was freed",
            full.0,
            if target == Target::Sqlite {
                "room in the write-ahead log"
            } else {
                "the database is not on that disk"
            },
            full.2,
            full.1
        ));
    }
    out.line(format!(
        "  ({missed} faults drawn found nothing to act on, such as a phone with nothing to send, and are not counted)"
    ));
    if target == Target::Cluster {
        out.line(format!(
            "  (a kill or a stop hits one of the {INSTANCES} instances, drawn at random: the request in flight is on it or on another; after {} of {} the phone saw a request fail: 502 or no answer)",
            stops.1, stops.0
        ));
        out.line(format!("  sign-in limits: {shared}"));
        out.line(in_store);
        out.line(
            "  (no disk-full faults: the database and the photos are not on the instances' disks)",
        );
    } else if disk.is_none() {
        out.line("  (no disk-full faults: this machine does not let the command mount a small file system)");
    }
    out.line(format!(
        "  invariant checks: {checks}; violations: {}",
        violations.len()
    ));
    for v in violations.iter().take(20) {
        out.line(format!("    VIOLATION {v}"));
    }
    if faults >= FAULTS {
        out.save_as(
            root,
            target.file(),
            &format!(
                "cargo xtask chaos --faults {faults} --seed {seed}{}{}",
                if release { " --release" } else { "" },
                target.flag()
            ),
            "Simulated phones through a fault proxy against the real server (`cargo xtask chaos`): \
             faults by kind, invariant checks, violations.",
        )?;
    }
    ensure!(
        violations.is_empty(),
        "{} invariant violations",
        violations.len()
    );
    Ok(())
}

/// Behind the balancer, wrong passwords spread over every instance still count as one: after
/// the free attempts each further one is refused, whichever instance it reaches. What was seen.
fn shared_sign_in_limits(
    base: &str,
    instances: usize,
    violations: &mut Vec<String>,
) -> Result<String> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .max_idle_connections(0)
        .build()
        .into();
    // The answer's status and, when refused for now, the seconds it says to wait.
    let attempt = |agent: &ureq::Agent| -> Result<(u16, Option<u64>)> {
        let res = agent
            .post(format!("{base}/api/auth/login"))
            .send_json(json!({"username": "admin", "password": "not-the-password"}))?;
        let retry = res
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse().ok());
        Ok((res.status().as_u16(), retry))
    };
    let free = 5;
    let mut statuses = Vec::new();
    let mut wrong = Vec::new();
    for _ in 0..free {
        let status = attempt(&agent)?.0;
        statuses.push(status);
        if status != 401 {
            wrong.push(format!("free attempt answered {status}, 401 expected"));
        }
    }
    // The wait after the free attempts is 1 s, doubled by every wrong password checked after
    // it. Until the account is told to wait 4 s or more: when refused, wait what it was told,
    // then the next wrong password must be checked (401); an attempt that comes after its
    // wait has passed on its own (a slow machine) is checked too. The burst below then lands
    // inside a wait of 4 s or more, however slowly the machine answers.
    let mut widened = false;
    for _ in 0..10 {
        let (status, retry) = attempt(&agent)?;
        statuses.push(status);
        match (status, retry) {
            (429, Some(wait)) if wait >= 4 => {
                widened = true;
                break;
            }
            (429, Some(wait)) => {
                std::thread::sleep(Duration::from_secs(wait));
                let after = attempt(&agent)?.0;
                statuses.push(after);
                if after != 401 {
                    wrong.push(format!(
                        "after waiting the {wait} s it was told, a wrong password answered {after}, 401 expected"
                    ));
                    break;
                }
            }
            (401, _) => {}
            (status, retry) => {
                wrong.push(format!("answered {status} (Retry-After {retry:?})"));
                break;
            }
        }
    }
    if !widened && wrong.is_empty() {
        wrong.push("never told to wait 4 s or more".into());
    }
    // The next ones all at once, each on its own connection (the balancer spreads them).
    let next: Vec<Result<(u16, Option<u64>)>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..2 * instances)
            .map(|_| scope.spawn(|| attempt(&agent.clone())))
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(anyhow::anyhow!("panicked")))
            })
            .collect()
    });
    for s in next {
        let status = s?.0;
        statuses.push(status);
        if status != 429 {
            wrong.push(format!(
                "an attempt of the burst answered {status}, 429 expected"
            ));
        }
    }
    if !wrong.is_empty() {
        violations.push(format!(
            "sign-in limits are not shared: {} wrong passwords through the balancer answered {statuses:?}: {}",
            statuses.len(),
            wrong.join("; ")
        ));
    }
    Ok(format!(
        "{} wrong passwords through the balancer over {instances} instances: {} refused 401 (checked), {} refused 429 (shared through PostgreSQL)",
        statuses.len(),
        statuses.iter().filter(|s| **s == 401).count(),
        statuses.iter().filter(|s| **s == 429).count()
    ))
}

impl Phone {
    /// Makes records until one has a photo, unless a photo is waiting already.
    fn with_a_photo_waiting(&mut self, rng: &mut Rng) {
        while self.photos.len() == self.photos_done.len() {
            self.make_record(rng);
        }
    }

    /// The envelope of a stored record of this phone, as the phone holds it, for a
    /// resubmission (the server's data when the phone no longer has it).
    fn outbox_envelope_of(&self, id: &str, detail: &Value) -> Value {
        json!({
            "id": id,
            "form_key": "neighborhood_report",
            "form_version": 1,
            "group_id": self.group,
            "created_at": "2026-11-20T08:00:00Z",
            "data": self.acked.get(id).map_or_else(|| detail["data"].clone(), |a| a.data.clone()),
        })
    }
}
