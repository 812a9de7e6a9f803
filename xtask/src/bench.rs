//! Benchmarks, each printing its figures and writing them, with the date, the machine and the
//! commit, to `docs/benchmarks/<name>.md` (see [`crate::results`]).
//!
//! * `ingest`: one phone-like client pushes 100,000 neighborhood reports (about 600 bytes of
//!   JSON each, Vietnamese text) in batches of 100 to a release server on SQLite with durable
//!   commits, with time-ordered and with random ids, and the same records to PouchDB Server
//!   (`bench_ingest.rs`). Prints records/second, the server's peak memory and the ratio.
//! * `size`: first-visit transfer of the app, raw and brotli.
//! * `startup`: time to a working sign-in form and to `app-ready` on an emulated phone
//!   (`tests/bench_startup.mjs`).
//! * `lighthouse`: Lighthouse's mobile performance score of the phone app's first visit
//!   (`tests/bench_lighthouse.mjs`; the pinned npm package, installed into target/lighthouse).
//! * `validate`: the server's per-record work on 10,000 fire-safety checks with repeat rows:
//!   validation alone, and JSON parsing + validation (`domain/benches/validate.rs`).
//! * `junk`: a small push of junk (200 records, 800 unknown keys each): the answer's size and
//!   the server's memory.
//! * `export`: a ward's records exported to XLSX and to a CSV zip at 25,000, 50,000 and
//!   100,000 records: time until the file is ready and the server's peak memory while building.
//! * `load`: a busy ward's mix of requests from wrk for a minute (`--seconds 1800`: the soak),
//!   on SQLite or PostgreSQL: requests/second, latency, errors, memory (`bench_load.rs`).
//! * `render`: opening the longest built-in form, a keystroke, and a yes/no that reveals a
//!   repeat group, in Chromium with the CPU throttled x4 (`tests/bench_render.mjs`).
//!
//! `WARDBOOK_BENCH_SERVER=<path>` runs another build of the server instead of the one just
//! built (to time the code before a change against the code after it, on one machine in one
//! hour); the report then names that file instead of claiming the checkout's commit.

use std::fs::File;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context, Result};
use serde_json::{json, Value};

use crate::results::Report;

/// `cargo xtask bench export`: exports of 100,000 records, time and memory.
#[path = "bench_export.rs"]
mod export;
/// `cargo xtask bench ingest`: one client pushing 100,000 records, against PouchDB Server.
#[path = "bench_ingest.rs"]
mod ingest;
/// `cargo xtask bench load`: a busy ward's mix of requests from wrk, and the soak.
#[path = "bench_load.rs"]
mod load;
/// `cargo xtask bench queue`: the review queue over a million records.
#[path = "bench_queue.rs"]
mod queue;
use crate::{cargo, dist, sh};

const USAGE: &str =
    "usage: cargo xtask bench <ingest [--records N] [--batch N] | size | startup | lighthouse | validate | render | junk | queue [--records N] [--postgres] | export [--records N] | load [--postgres] [--seconds N] [--connections N] [--by-kind]>";

pub fn run(root: &Path, args: &[String]) -> Result<()> {
    match args.first().map(String::as_str) {
        Some("ingest") => {
            let (mut records, mut batch) = (ingest::RECORDS, ingest::BATCH);
            let mut rest = args[1..].iter();
            while let Some(flag) = rest.next() {
                let value = rest.next().and_then(|v| v.parse::<usize>().ok());
                match (flag.as_str(), value) {
                    ("--records", Some(n)) if n > 0 => records = n,
                    ("--batch", Some(n)) if n > 0 => batch = n,
                    _ => bail!("{USAGE}"),
                }
            }
            ensure!(
                records % batch == 0,
                "--records must be a multiple of --batch"
            );
            ingest::run(root, records, batch)
        }
        Some("size") => size(root),
        Some("startup") => startup(root),
        Some("lighthouse") => lighthouse(root),
        Some("validate") => validate(root),
        Some("render") => render(root),
        Some("junk") => junk(root),
        Some("export") => {
            let records = match args.get(1..) {
                Some([flag, n]) if flag == "--records" => n
                    .parse()
                    .ok()
                    .filter(|&n: &usize| n >= 4)
                    .with_context(|| USAGE.to_owned())?,
                Some([]) | None => export::RECORDS,
                _ => bail!("{USAGE}"),
            };
            export::run(root, records)
        }
        Some("load") => {
            let (mut postgres, mut seconds, mut connections, mut by_kind) =
                (false, load::SECONDS, load::CONNECTIONS, false);
            let mut rest = args[1..].iter();
            while let Some(flag) = rest.next() {
                match flag.as_str() {
                    "--postgres" => postgres = true,
                    "--seconds" => seconds = crate::count_arg(&mut rest, "--seconds")?,
                    "--connections" => connections = crate::count_arg(&mut rest, "--connections")?,
                    "--by-kind" => by_kind = true,
                    _ => bail!("{USAGE}"),
                }
            }
            load::run(root, postgres, seconds, connections, by_kind)
        }
        Some("queue") => {
            let mut records = queue::RECORDS;
            let mut postgres = false;
            let mut rest = args[1..].iter();
            while let Some(flag) = rest.next() {
                match flag.as_str() {
                    "--postgres" => postgres = true,
                    "--records" => records = crate::count_arg(&mut rest, "--records")?,
                    _ => bail!("{USAGE}"),
                }
            }
            queue::run(root, records, postgres)
        }
        _ => bail!("{USAGE}"),
    }
}

/// First-visit transfer of each front end, file by file: for the phone everything a first visit
/// downloads (the page, JS, WASM, CSS, manifest, icons, the service worker and all it precaches);
/// for the desk what opening a desk page adds.
fn size(root: &Path) -> Result<()> {
    let build = dist::build_app(root)?;
    let mut out = Report::default();
    for (title, assets, target) in [
        (
            "phone app (first visit: everything, service worker and precache included)",
            &build.phone,
            Some(250),
        ),
        (
            "desk app (added when a desk page is opened; never on a phone user's device)",
            &build.desk,
            None,
        ),
    ] {
        out.line(title);
        out.line("  asset                                 raw bytes       sent bytes");
        for a in assets.iter() {
            out.line(format!(
                "  {:<36} {:>10}      {:>10}",
                a.name, a.raw, a.brotli
            ));
        }
        let raw: usize = assets.iter().map(|a| a.raw).sum();
        let br: usize = assets.iter().map(|a| a.brotli).sum();
        let target = target
            .map(|t| format!(" (target ≤ {t} KB brotli)"))
            .unwrap_or_default();
        out.line(format!(
            "  total: {:.1} KB raw, {:.1} KB brotli{target}\n",
            raw as f64 / 1024.0,
            br as f64 / 1024.0
        ));
    }
    out.save(
        root,
        "size",
        "First-visit transfer of the optimized phone and desk apps: every file, raw and as sent \
         (brotli; PNG as it is).",
    )?;
    Ok(())
}

const INGEST_RECORD_BYTES: usize = 600;

/// A PostgreSQL database of its own for one run, dropped afterwards.
pub(crate) struct TempPg {
    name: String,
}

const PG_ADMIN: &str = "postgres://postgres@127.0.0.1:5432/postgres";

impl TempPg {
    pub(crate) fn create(tag: &str) -> Result<TempPg> {
        let name = format!("wardbook_{tag}_{}", std::process::id());
        let ok = Command::new("psql")
            .args([PG_ADMIN, "-q", "-c", &format!("CREATE DATABASE {name}")])
            .status()
            .context("psql is needed for the PostgreSQL run")?;
        ensure!(ok.success(), "cannot create database {name}");
        Ok(TempPg { name })
    }

    pub(crate) fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:5432/{}", self.name)
    }
}

impl Drop for TempPg {
    fn drop(&mut self) {
        let _ = Command::new("psql")
            .args([
                PG_ADMIN,
                "-q",
                "-c",
                &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name),
            ])
            .status();
    }
}

/// The server under test, stopped (and its scratch directory removed on success) when dropped.
pub(crate) struct Server {
    child: Child,
    dir: PathBuf,
    log: PathBuf,
    base: String,
    keep_dir: bool,
}

impl Server {
    fn start(root: &Path) -> Result<Server> {
        Server::start_on(root, None)
    }

    /// A release server on `database_url`, or on a fresh SQLite file when `None`.
    fn start_on(root: &Path, database_url: Option<String>) -> Result<Server> {
        Server::spawn(root, "release", "bench", database_url, &[])
    }

    /// `target/<profile>/wardbook --demo <extra>` on `database_url` (a fresh SQLite file when
    /// `None`), in a scratch directory named after `tag`.
    pub(crate) fn spawn(
        root: &Path,
        profile: &str,
        tag: &str,
        database_url: Option<String>,
        extra: &[&str],
    ) -> Result<Server> {
        let dir = std::env::temp_dir().join(format!("wardbook-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create {}", dir.display()))?;
        let database_url =
            database_url.unwrap_or_else(|| format!("sqlite://{}", dir.join("bench.db").display()));
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let log = dir.join("wardbook.log");
        let out = File::create(&log)?;
        let binary = server_binary(root, profile);
        let child = Command::new(&binary)
            .arg("--demo")
            .args(extra)
            .args(["--listen", &format!("127.0.0.1:{port}")])
            .arg("--database-url")
            .arg(&database_url)
            .arg("--static-dir")
            .arg(dir.join("static"))
            .arg("--photo-store")
            .arg(dir.join("photos"))
            .env_remove("RUST_LOG")
            .stdin(Stdio::null())
            .stdout(out.try_clone()?)
            .stderr(out)
            .spawn()
            .with_context(|| format!("cannot start {}", binary.display()))?;
        Ok(Server {
            child,
            dir,
            log,
            base: format!("http://127.0.0.1:{port}"),
            keep_dir: true,
        })
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub(crate) fn log(&self) -> &Path {
        &self.log
    }

    /// Removes the scratch directory when dropped (once what it holds is not needed).
    pub(crate) fn discard_dir(&mut self) {
        self.keep_dir = false;
    }

    /// The SQLite file of a server started on a fresh one.
    fn database_file(&self) -> PathBuf {
        self.dir.join("bench.db")
    }

    pub(crate) fn wait_healthy(&mut self, agent: &ureq::Agent) -> Result<()> {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = self.child.try_wait()? {
                bail!(
                    "wardbook exited with {status} before answering; see {}",
                    self.log.display()
                );
            }
            if let Ok(res) = agent.get(self.url("/api/health")).call() {
                if res.status().is_success() {
                    return Ok(());
                }
            }
            if Instant::now() > deadline {
                bail!(
                    "wardbook did not answer /api/health within 60 s; see {}",
                    self.log.display()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// `VmHWM` (peak resident set) and `VmRSS` of the server, in kB.
    fn memory_kb(&self) -> Result<(u64, u64)> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .context("cannot read the server's /proc status (Linux only)")?;
        let field = |name: &str| -> Result<u64> {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
                .with_context(|| format!("no {name} in /proc/{}/status", self.child.id()))
        };
        Ok((field("VmHWM:")?, field("VmRSS:")?))
    }

    /// CPU time (user + system) the server has used so far.
    fn cpu_time(&self) -> Result<Duration> {
        cpu_time(&format!("/proc/{}/stat", self.child.id()))
    }

    /// SIGTERM, then waits for the graceful shutdown (which closes the database).
    pub(crate) fn stop(&mut self) -> Result<()> {
        if self.child.try_wait()?.is_some() {
            return Ok(());
        }
        sh(Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .stdout(Stdio::null()))?;
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait()? {
                ensure!(status.success(), "wardbook exited with {status} on SIGTERM");
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        self.child.kill()?;
        bail!("wardbook did not stop within 30 s of SIGTERM")
    }
}

/// What a command prints, or why it failed.
fn output_of(cmd: &mut Command) -> Result<String> {
    let out = cmd
        .output()
        .with_context(|| format!("cannot run {cmd:?}"))?;
    ensure!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// User + system CPU time of every PostgreSQL process on this machine, each with the CPU of
/// its children that ended (the postmaster's reaped backends).
pub(crate) fn postgres_cpu() -> Duration {
    let mut total = Duration::ZERO;
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|p| p.parse::<u32>().ok())
        else {
            continue;
        };
        let comm = std::fs::read_to_string(entry.path().join("comm")).unwrap_or_default();
        if comm.trim() == "postgres" {
            total += cpu_times(&format!("/proc/{pid}/stat"), 4).unwrap_or_default();
        }
    }
    total
}

/// The CPU PostgreSQL's processes used between two [`postgres_cpu`] readings. A backend that
/// ended in between (sqlx closes a connection after 30 minutes) is in its postmaster's
/// children's time by then: the totals' difference counts it from the first reading on, and a
/// backend that began in between, whole.
pub(crate) fn postgres_cpu_since(before: Duration) -> Duration {
    postgres_cpu().saturating_sub(before)
}

/// User + system CPU time from a `/proc/<pid>/stat` file (Linux; 100 ticks per second).
fn cpu_time(stat: &str) -> Result<Duration> {
    cpu_times(stat, 2)
}

/// The first `fields` of utime, stime, cutime and cstime from a `/proc/<pid>/stat` file,
/// summed (2: the process's own CPU; 4: with its children that ended and were waited for).
fn cpu_times(stat: &str, fields: usize) -> Result<Duration> {
    let stat = std::fs::read_to_string(stat).with_context(|| format!("cannot read {stat}"))?;
    // Fields after the parenthesised command name; utime to cstime are the 14th to 17th.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let ticks: Vec<u64> = rest
        .split_whitespace()
        .skip(11)
        .take(fields)
        .filter_map(|t| t.parse().ok())
        .collect();
    ensure!(ticks.len() == fields, "cannot parse {stat}");
    Ok(Duration::from_millis(ticks.iter().sum::<u64>() * 10))
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        if self.keep_dir {
            eprintln!("server log and database kept in {}", self.dir.display());
        } else {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// A small deterministic generator (SplitMix64), so every run pushes the same kind of text
/// (and `cargo xtask chaos` replays its faults from a seed).
pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub(crate) fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// A random (version 4) uuid from this generator.
    pub(crate) fn uuid_v4(&mut self) -> String {
        let mut bytes = [0u8; 16];
        bytes[..8].copy_from_slice(&self.next().to_le_bytes());
        bytes[8..].copy_from_slice(&self.next().to_le_bytes());
        uuid::Builder::from_random_bytes(bytes)
            .into_uuid()
            .to_string()
    }

    fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
        from[self.below(from.len())]
    }
}

const CATEGORIES: [&str; 10] = [
    "theft",
    "disturbance",
    "drugs",
    "fire_risk",
    "traffic_accident",
    "illegal_racing",
    "new_residents",
    "encroachment",
    "noise",
    "other",
];
const URGENCIES: [&str; 3] = ["normal", "urgent", "emergency"];
const STREETS: [&str; 8] = [
    "Âu Cơ",
    "Nhật Chiêu",
    "Lạc Long Quân",
    "Xuân Diệu",
    "Tô Ngọc Vân",
    "Đặng Thai Mai",
    "Quảng Khánh",
    "Võng Thị",
];
const SENTENCES: [&str; 16] = [
    "Khoảng mười giờ tối, nhiều thanh niên tụ tập trước cửa hàng tạp hóa và nói chuyện rất to.",
    "Người dân phản ánh có xe máy lạ dựng trong ngõ suốt ba ngày, không rõ chủ sở hữu.",
    "Một hộ gia đình để bình ga sát bếp than tổ ong, có nguy cơ cháy nổ cao.",
    "Chị Nguyễn Thị Mai cho biết bị mất chiếc xe đạp điện màu xanh trước cổng nhà.",
    "Có hai người thuê trọ mới đến nhưng chưa khai báo tạm trú với tổ dân phố.",
    "Nhóm thanh niên đi xe máy nẹt pô, lạng lách trên đường ven hồ lúc nửa đêm.",
    "Quán ăn lấn chiếm vỉa hè, người đi bộ phải đi xuống lòng đường rất nguy hiểm.",
    "Tiếng hát karaoke kéo dài đến một giờ sáng làm ảnh hưởng giấc ngủ của hàng xóm.",
    "Va chạm giữa xe máy và xe đạp ở ngã ba, một người bị xây xát nhẹ ở tay.",
    "Phát hiện bơm kim tiêm vứt ở bãi đất trống cạnh nhà văn hóa tổ dân phố.",
    "Hai gia đình xảy ra cự cãi vì tranh chấp lối đi chung, đã được hòa giải tạm thời.",
    "Đường dây điện trước số nhà mười bảy bị chùng thấp, chạm vào mái tôn khi có gió.",
    "Bác tổ trưởng đề nghị công an phường tăng cường tuần tra vào buổi tối cuối tuần.",
    "Rác thải xây dựng đổ trộm ở đầu ngõ gây mất vệ sinh và cản trở giao thông.",
    "Người bán hàng rong cho biết thấy đối tượng khả nghi dòm ngó các nhà để xe.",
    "Cháu bé bị lạc đã được người dân đưa về nhà an toàn, gia đình cảm ơn tổ dân phố.",
];

/// One valid neighborhood report of about [`INGEST_RECORD_BYTES`] bytes of JSON, and its id
/// (time-ordered, as the phone makes them).
fn report(rng: &mut Rng, group_id: i64, n: usize) -> (String, String) {
    let id = uuid::Uuid::now_v7().to_string();
    let record = report_value(rng, group_id, n, &id);
    (id, record.to_string())
}

/// The report of [`report`] under the id given, as a JSON value.
fn report_value(rng: &mut Rng, group_id: i64, n: usize, id: &str) -> Value {
    let day = 1 + rng.below(28);
    let hour = rng.below(24);
    let minute = rng.below(60);
    let mut record = json!({
        "id": id,
        "form_key": "neighborhood_report",
        "form_version": 1,
        "group_id": group_id,
        "created_at": format!("2026-11-{day:02}T{hour:02}:{minute:02}:00Z"),
        "data": {
            "category": rng.pick(&CATEGORIES),
            "urgency": rng.pick(&URGENCIES),
            "occurred_at": format!("2026-11-{day:02}T{hour:02}:{minute:02}"),
            "location": format!("Số {}, ngõ {}, đường {}", 1 + rng.below(200), 1 + rng.below(90), rng.pick(&STREETS)),
            "description": "",
            "people_involved": rng.below(20),
            "reporter_phone": format!("09{:08}", rng.next() % 100_000_000),
        },
    });
    let room = INGEST_RECORD_BYTES.saturating_sub(record.to_string().len());
    let mut description = format!("Tin báo số {n}. ");
    while description.len() < room {
        description.push_str(rng.pick(&SENTENCES));
        description.push(' ');
    }
    // Cut at a word boundary near the target, never inside a multi-byte letter.
    let mut cut = room.min(description.len());
    while !description.is_char_boundary(cut) {
        cut -= 1;
    }
    let cut = description[..cut].rfind(' ').unwrap_or(cut);
    description.truncate(cut);
    record["data"]["description"] = Value::String(description);
    record
}

/// A release server on a fresh SQLite database, answering, with the group leader `totruong`
/// signed in: the client, the server, the `Authorization` value and the leader's group.
fn release_server_signed_in(root: &Path) -> Result<(ureq::Agent, Server, String, i64)> {
    cargo(&["build", "--release", "-p", "server"])?;
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(60)))
        .build()
        .into();
    let mut server = Server::start(root)?;
    server.wait_healthy(&agent)?;
    let mut res = agent
        .post(server.url("/api/auth/login"))
        .send_json(json!({ "username": "totruong", "password": "wardbook-demo" }))?;
    ensure!(
        res.status().is_success(),
        "sign-in as totruong failed: {} {}",
        res.status(),
        res.body_mut().read_to_string().unwrap_or_default()
    );
    let login: Value = res.body_mut().read_json()?;
    let token = login["token"]
        .as_str()
        .context("sign-in answer has no token")?;
    let group_id = login["me"]["group"]["id"]
        .as_i64()
        .context("totruong has no residential group")?;
    Ok((agent, server, format!("Bearer {token}"), group_id))
}

/// A small push of junk that once made a huge answer: 200 records with 800 unknown keys each
/// (about 1.7 MB) were answered with 17 MB and grew the server from 36 to 130 MB. Prints the
/// push's and the answer's sizes and the server's memory before and after five such pushes.
fn junk(root: &Path) -> Result<()> {
    let (agent, mut server, bearer, group_id) = release_server_signed_in(root)?;
    let mut rng = Rng(0x0BAD_F00D);
    let records: Vec<Value> = (0..200)
        .map(|n| {
            let (_, r) = report(&mut rng, group_id, n + 1);
            let mut r: Value = serde_json::from_str(&r).expect("a report is JSON");
            for k in 0..800 {
                r["data"][format!("x{k}")] = json!(n);
            }
            r
        })
        .collect();
    let body = json!({ "records": records }).to_string();
    let mut out = Report::default();
    let (hwm0, rss0) = server.memory_kb()?;
    let mut answer_bytes = 0;
    for _ in 0..5 {
        let mut res = agent
            .post(server.url("/api/sync/push"))
            .header("Authorization", &bearer)
            .content_type("application/json")
            .send(&body)?;
        ensure!(res.status().is_success(), "push answered {}", res.status());
        answer_bytes = res.body_mut().read_to_string()?.len();
    }
    let (hwm1, rss1) = server.memory_kb()?;
    server.stop()?;
    server.keep_dir = false;
    let mb = |kb: u64| kb as f64 / 1024.0;
    out.line(
        "push of 200 records with 800 unknown keys each, five times, release server on SQLite:",
    );
    out.line(format!(
        "  push            {:.2} MB",
        body.len() as f64 / 1e6
    ));
    out.line(format!(
        "  answer          {:.3} MB ({:.2}x the push)",
        answer_bytes as f64 / 1e6,
        answer_bytes as f64 / body.len() as f64
    ));
    out.line(format!(
        "  server memory   {:.1} MB resident before, {:.1} MB after; peak {:.1} MB (was {:.1} MB at start)",
        mb(rss0),
        mb(rss1),
        mb(hwm1),
        mb(hwm0)
    ));
    out.save(
        root,
        "junk",
        "A small push of junk (200 records, 800 unknown keys each) against a release server: \
         how large the answer is, and how much memory the server takes for it.",
    )
    .map(drop)
}

/// On an emulated phone (CPU x4, slow 4G): a first visit until the sign-in form works and until
/// the app runs, and an offline reload until home is drawn.
/// The measuring is in `tests/bench_startup.mjs` (Playwright driving Debian's Chromium).
fn startup(root: &Path) -> Result<()> {
    crate::tools::ensure_chromium()?;
    dist::build_app(root)?;
    crate::cargo(&["build", "--release", "-p", "server"])?;
    let mut out = Report::default();
    out.run(
        std::process::Command::new("node")
            .arg(root.join("tests/bench_startup.mjs"))
            .env(
                "WARDBOOK_BIN",
                crate::target_dir(root).join("release/wardbook"),
            )
            .env("WARDBOOK_DIST", root.join("dist")),
    )?;
    out.save(
        root,
        "startup",
        "On a 360x800 phone, CPU x4, slow 4G through a throttling proxy (so the service worker's \
         precache shares the link): a first visit until the sign-in form works (signin-ready) \
         and until the app runs (app-ready), and an offline reload until home is drawn, next to \
         a trivial static page measured in the same run (tests/bench_startup.mjs).",
    )
    .map(drop)
}

/// The Lighthouse version measured with: pinned, so a new release cannot move the score.
const LIGHTHOUSE_VERSION: &str = "13.5.0";

/// Lighthouse's mobile performance score of the phone app's first visit, against a release
/// server. Lighthouse (npm) is installed into target/lighthouse, not the project's node_modules:
/// only this benchmark needs its 200 packages.
fn lighthouse(root: &Path) -> Result<()> {
    crate::tools::ensure_chromium()?;
    dist::build_app(root)?;
    crate::cargo(&["build", "--release", "-p", "server"])?;
    let package =
        crate::tools::npm_package(root, "lighthouse", "lighthouse", LIGHTHOUSE_VERSION, &[])?;
    let command = package.join("../.bin/lighthouse");
    let mut out = Report::default();
    out.run(
        Command::new("node")
            .arg(root.join("tests/bench_lighthouse.mjs"))
            .env(
                "WARDBOOK_BIN",
                crate::target_dir(root).join("release/wardbook"),
            )
            .env("WARDBOOK_DIST", root.join("dist"))
            .env("LIGHTHOUSE", command),
    )?;
    out.save(
        root,
        "lighthouse",
        "Lighthouse's mobile performance score (simulated slow 4G, CPU x4) of the phone app's \
         first visit, against a release server (tests/bench_lighthouse.mjs).",
    )
    .map(drop)
}

/// Validating 10,000 fire-safety checks (with violation rows) as the server does, in release
/// mode. The measuring is in `domain/benches/validate.rs`, a plain timing program.
fn validate(root: &Path) -> Result<()> {
    let mut out = Report::default();
    out.run(
        std::process::Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .args(["bench", "-p", "domain", "--bench", "validate"]),
    )?;
    out.save(
        root,
        "validate",
        "The server's per-record work on 10,000 fire-safety checks, release build, one thread \
         (domain/benches/validate.rs).",
    )
    .map(drop)
}

/// Opening the longest built-in form, typing in it and revealing a repeat group, CPU x4.
/// The measuring is in `tests/bench_render.mjs`. Everything timed happens inside the browser,
/// after sign-in and the first sync, so the server is the debug build the end-to-end tests use.
fn render(root: &Path) -> Result<()> {
    crate::tools::ensure_chromium()?;
    dist::build_app(root)?;
    crate::build_debug_server()?;
    let mut out = Report::default();
    out.run(
        std::process::Command::new("node")
            .arg(root.join("tests/bench_render.mjs"))
            .env(
                "WARDBOOK_BIN",
                crate::target_dir(root).join("debug/wardbook"),
            )
            .env("WARDBOOK_DIST", root.join("dist")),
    )?;
    out.save(
        root,
        "render",
        "The longest form (fire_safety_check) in Chromium on a 360x800 phone, CPU x4: open, \
         keystroke, reveal (tests/bench_render.mjs).",
    )
    .map(drop)
}

/// The server binary a benchmark runs: `WARDBOOK_BENCH_SERVER` if set, else the build of
/// `profile`.
pub(crate) fn server_binary(root: &Path, profile: &str) -> PathBuf {
    match std::env::var_os(SERVER_OVERRIDE) {
        Some(path) if !path.is_empty() => PathBuf::from(path),
        _ => crate::target_dir(root).join(profile).join("wardbook"),
    }
}

/// See the module's documentation.
pub(crate) const SERVER_OVERRIDE: &str = "WARDBOOK_BENCH_SERVER";
