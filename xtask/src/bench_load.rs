//! `cargo xtask bench load [--postgres] [--seconds N] [--connections N] [--by-kind]`: a busy ward's traffic
//! against a release server holding the demo's two years of records: phones pushing and
//! pulling, supervisors paging, searching and filtering the review queue, opening records,
//! reading the queue's counts and the dashboard (the mix is in `tests/load/mix.lua`). The load
//! comes from wrk (Debian's package), closed-loop: each connection sends its next request when
//! the last one is answered. wrk corrects its percentiles for coordinated omission: a request
//! that took longer than a connection's mean interval between requests also counts the
//! latencies of the requests it held back, so one stall of all connections at once shows as
//! many slow requests (with `--by-kind`, `max` tells a single stall from a slow tail). Afterwards every record a push acknowledged is pulled back by its
//! author, each once. The server's memory is sampled every second; a run of 30 minutes or more
//! is the soak, whose memory must stay flat.
//!
//! With `--by-kind`, after the mix each kind of request runs alone for 10 s on the same
//! server, to tell which kind the CPU goes to (server and database separately).

use std::collections::HashSet;
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{ensure, Context, Result};
use serde_json::Value;

use super::queue::sign_in;
use super::{report_value, Report, Rng, Server, TempPg};
use crate::{cargo, sh};

pub(super) const SECONDS: u64 = 60;
pub(super) const CONNECTIONS: u32 = 16;
/// Different reports the phones push, picked at random for each record.
const TEMPLATES: usize = 40;
const TARGET_RPS: f64 = 2_000.0;
const TARGET_P99_MS: f64 = 50.0;
/// The soak's memory is flat when its last third never rises more than this above its middle
/// third (the first third is the warm-up: caches filling, the database's pages read).
const FLAT_GROWTH: f64 = 0.10;
/// A run this long is the soak: its memory must stay flat.
const SOAK_SECONDS: u64 = 1800;

/// A Lua string literal.
fn lua(s: &str) -> String {
    serde_json::to_string(s).expect("a string serializes")
}

/// The server's resident memory, sampled every second on a thread of its own.
struct Sampler {
    stop: Arc<AtomicBool>,
    thread: std::thread::JoinHandle<Vec<(f64, u64)>>,
}

impl Sampler {
    fn start(pid: u32) -> Sampler {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            let start = Instant::now();
            let mut samples = Vec::new();
            while !flag.load(Ordering::Relaxed) {
                if let Some(kb) = std::fs::read_to_string(format!("/proc/{pid}/status"))
                    .ok()
                    .and_then(|s| {
                        s.lines()
                            .find_map(|l| l.strip_prefix("VmRSS:"))
                            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
                    })
                {
                    samples.push((start.elapsed().as_secs_f64(), kb));
                }
                std::thread::sleep(Duration::from_secs(1));
            }
            samples
        });
        Sampler { stop, thread }
    }

    fn finish(self) -> Vec<(f64, u64)> {
        self.stop.store(true, Ordering::Relaxed);
        self.thread.join().unwrap_or_default()
    }
}

/// Seconds each kind runs alone with `--by-kind`.
const KIND_SECONDS: u64 = 10;
/// The kinds of request in `tests/load/mix.lua`, as its `WARDBOOK_LOAD_ONLY` names them.
const KINDS: [&str; 7] = [
    "push",
    "pull",
    "queue",
    "record",
    "counts",
    "dashboard",
    "me",
];

/// What one run of wrk measured.
struct Measured {
    /// wrk's result line.
    got: Value,
    /// The server's CPU time.
    cpu: Duration,
    /// PostgreSQL's processes' CPU time (zero on SQLite).
    db_cpu: Duration,
}

impl Measured {
    /// A number from wrk's result line (0 when missing).
    fn n(&self, key: &str) -> u64 {
        self.got[key].as_u64().unwrap_or(0)
    }

    /// Every failed request: socket errors, timeouts, statuses other than 200 and records a
    /// push did not accept.
    fn errors(&self) -> u64 {
        [
            "connect_errors",
            "read_errors",
            "write_errors",
            "status_errors",
            "timeouts",
            "bad_status",
            "not_accepted",
        ]
        .iter()
        .map(|k| self.n(k))
        .sum()
    }

    /// "server X ms" and, on PostgreSQL, ", database Y ms" of CPU per request.
    fn cpu_per_request(&self, postgres: bool) -> String {
        let requests = self.n("requests").max(1) as f64;
        let ms = |d: Duration| 1e3 * d.as_secs_f64() / requests;
        if postgres {
            format!(
                "server {:.2} ms, database {:.2} ms",
                ms(self.cpu),
                ms(self.db_cpu)
            )
        } else {
            format!("server {:.2} ms", ms(self.cpu))
        }
    }
}

/// Runs wrk with the mix (or one kind of it, `only`) against `server` for `seconds`.
fn wrk(
    root: &Path,
    server: &Server,
    config: &Path,
    (seconds, connections): (u64, u32),
    only: Option<(&str, u32, i64)>,
) -> Result<Measured> {
    let cpu0 = super::cpu_time(&format!("/proc/{}/stat", server.child.id()))?;
    let db_cpu0 = super::postgres_cpu();
    let mut command = Command::new("wrk");
    command
        .args(["-t2", &format!("-c{connections}"), &format!("-d{seconds}s")])
        .args(["--latency", "--timeout", "10s", "-s"])
        .arg(root.join("tests/load/mix.lua"))
        .arg(&server.base)
        .env("WARDBOOK_LOAD_CONFIG", config);
    if let Some((kind, run, cursor)) = only {
        // Another run tag, so that its pushes' ids are new, and the phones' cursor as it is
        // now, so that pulls start where the phones are rather than behind the earlier runs.
        command
            .env("WARDBOOK_LOAD_ONLY", kind)
            .env("WARDBOOK_LOAD_RUN", run.to_string())
            .env("WARDBOOK_LOAD_CURSOR", cursor.to_string());
    }
    let wrk = command.output().context("cannot run wrk")?;
    let cpu = super::cpu_time(&format!("/proc/{}/stat", server.child.id()))? - cpu0;
    let db_cpu = super::postgres_cpu_since(db_cpu0);
    let text = String::from_utf8_lossy(&wrk.stdout);
    ensure!(
        wrk.status.success(),
        "wrk failed: {text}{}",
        String::from_utf8_lossy(&wrk.stderr)
    );
    let line = text
        .lines()
        .find_map(|l| l.strip_prefix("WARDBOOK_LOAD "))
        .with_context(|| format!("wrk printed no result line:\n{text}"))?;
    Ok(Measured {
        got: serde_json::from_str(line)?,
        cpu,
        db_cpu,
    })
}

pub(super) fn run(
    root: &Path,
    postgres: bool,
    seconds: u64,
    connections: u32,
    by_kind: bool,
) -> Result<()> {
    crate::tools::ensure_debian(&["/usr/bin/wrk"], &["wrk"])?;
    cargo(&["build", "--release", "-p", "server"])?;
    let pg = postgres.then(|| TempPg::create("load")).transpose()?;
    let backend = if postgres { "PostgreSQL" } else { "SQLite" };
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(120)))
        .build()
        .into();
    let mut server = Server::spawn(
        root,
        "release",
        "load",
        pg.as_ref().map(TempPg::url),
        &["--demo-history"],
    )?;
    server.wait_healthy(&agent)?;
    if let Some(pg) = &pg {
        // As after any bulk load: the demo's two years were written a moment ago, before
        // autovacuum could look at them (its statistics and visibility map drive the plans).
        sh(Command::new("psql").args([&pg.url(), "-q", "-c", "VACUUM ANALYZE"]))?;
    }

    let supervisor = sign_in(&agent, &server, "truongcong", "wardbook-demo")?;
    let leader = sign_in(&agent, &server, "totruong", "wardbook-demo")?;
    let officer = sign_in(&agent, &server, "canbo", "wardbook-demo")?;
    let get = |path: &str, bearer: &str| -> Result<Value> {
        let mut res = agent
            .get(server.url(path))
            .header("Authorization", bearer)
            .call()?;
        ensure!(res.status().is_success(), "GET {path}: {}", res.status());
        Ok(res.body_mut().read_json()?)
    };
    let group = get("/api/me", &leader)?["group"]["id"]
        .as_i64()
        .context("totruong has no group")?;
    let ids: Vec<String> = get("/api/records?limit=200", &supervisor)?
        .as_array()
        .context("the queue is no list")?
        .iter()
        .filter_map(|r| r["id"].as_str().map(str::to_owned))
        .collect();
    ensure!(!ids.is_empty(), "the demo history left the queue empty");
    // The phones are up to date when the run starts: their cursor is the latest.
    let latest = |bearer: &str| -> Result<i64> {
        let mut cursor = 0;
        loop {
            let page = get(&format!("/api/sync/pull?cursor={cursor}&limit=500"), bearer)?;
            cursor = page["cursor"].as_i64().context("pull has no cursor")?;
            if page["more"] != true {
                return Ok(cursor);
            }
        }
    };
    let cursor = latest(&leader)?.min(latest(&officer)?);
    let run_tag: u32 = std::process::id();
    let mut rng = Rng(0x10AD);
    // Reports of every category and urgency, as a ward's phones send them.
    let templates: Vec<String> = (1..=TEMPLATES)
        .map(|n| lua(&report_value(&mut rng, group, n, "__ID__").to_string()))
        .collect();
    let config = server.dir.join("load.lua");
    std::fs::write(
        &config,
        format!(
            "return {{\n  seed = 7, run = {run_tag}, cursor = {cursor},\n  leader = {}, officer = {}, supervisor = {},\n  search = {},\n  templates = {{ {} }},\n  ids = {{ {} }},\n}}\n",
            lua(leader.trim_start_matches("Bearer ")),
            lua(officer.trim_start_matches("Bearer ")),
            lua(supervisor.trim_start_matches("Bearer ")),
            lua("xe%20m%C3%A1y"),
            templates.join(", "),
            ids.iter().map(|i| lua(i)).collect::<Vec<_>>().join(", "),
        ),
    )?;

    println!(
        "\n{backend}: {seconds} s of the mix from {connections} connections (wrk, 2 threads)…"
    );
    let sampler = Sampler::start(server.child.id());
    let mix = wrk(root, &server, &config, (seconds, connections), None)?;
    let samples = sampler.finish();
    let n = |k: &str| mix.n(k);

    // Every acknowledged record is on the server once: each author pulls what they pushed.
    let prefix = format!("{run_tag:08x}-");
    let mut pulled = HashSet::new();
    for bearer in [&leader, &officer] {
        let mut c = cursor;
        loop {
            let page = get(&format!("/api/sync/pull?cursor={c}&limit=500"), bearer)?;
            for change in page["changes"].as_array().context("pull has no changes")? {
                if let Some(id) = change["id"].as_str().filter(|id| id.starts_with(&prefix)) {
                    if change["kind"] == "record" {
                        ensure!(pulled.insert(id.to_owned()), "pull returned {id} twice");
                    }
                }
            }
            c = page["cursor"].as_i64().context("pull has no cursor")?;
            if page["more"] != true {
                break;
            }
        }
    }

    let mut alone = Vec::new();
    if by_kind {
        for (k, kind) in KINDS.iter().enumerate() {
            println!("{kind} alone for {KIND_SECONDS} s…");
            let run = run_tag.wrapping_add(1 + k as u32);
            let now = latest(&leader)?.min(latest(&officer)?);
            alone.push((
                *kind,
                wrk(
                    root,
                    &server,
                    &config,
                    (KIND_SECONDS, connections),
                    Some((kind, run, now)),
                )?,
            ));
        }
    }

    server.stop()?;
    let log = std::fs::read_to_string(server.log())?;
    let logged_errors = log.contains("ERROR") || log.contains("panicked");

    let seconds_run = n("duration_us") as f64 / 1e6;
    let rps = n("requests") as f64 / seconds_run;
    let ms = |k: &str| n(k) as f64 / 1e3;
    let errors = mix.errors();
    let verdict = |ok: bool| if ok { "met" } else { "MISSED" };
    let mut out = Report::default();
    out.line(format!(
        "{backend}, release server with the demo's two years ({} records in the first page of the queue to open), {connections} connections, wrk -t2, {seconds_run:.0} s:",
        ids.len()
    ));
    out.line(format!(
        "  requests        {} ({rps:.0}/s; target ≥ {TARGET_RPS:.0}: {})",
        n("requests"),
        verdict(rps >= TARGET_RPS)
    ));
    out.line(format!(
        "  latency         p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms (target ≤ {TARGET_P99_MS:.0}: {}), max {:.2} ms",
        ms("p50_us"),
        ms("p90_us"),
        ms("p99_us"),
        verdict(ms("p99_us") <= TARGET_P99_MS),
        ms("max_us")
    ));
    let kinds = mix.got["kinds"].as_object().context("no kinds")?;
    let mut kinds: Vec<(&String, u64)> = kinds
        .iter()
        .map(|(k, v)| (k, v.as_u64().unwrap_or(0)))
        .collect();
    kinds.sort_by_key(|k| std::cmp::Reverse(k.1));
    out.line(format!(
        "  mix (sent)      {}",
        kinds
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect::<Vec<_>>()
            .join(", ")
    ));
    out.line(format!(
        "  errors          {errors} (socket: connect {}, read {}, write {}, timeouts {}; HTTP status not 200: {}; records not accepted: {})",
        n("connect_errors"),
        n("read_errors"),
        n("write_errors"),
        n("timeouts"),
        n("bad_status"),
        n("not_accepted")
    ));
    out.line(format!(
        "  records         {} acknowledged, {} pulled back by their authors, each once ({} sent; pushes in flight when wrk stopped may be stored unacknowledged)",
        n("accepted"),
        pulled.len(),
        n("sent_records"),
    ));
    out.line(format!(
        "  server CPU      {:.1} s ({:.0}% of the 2 cores); errors in its log: {}",
        mix.cpu.as_secs_f64(),
        100.0 * mix.cpu.as_secs_f64() / seconds_run / 2.0,
        if logged_errors { "YES" } else { "none" }
    ));
    if postgres {
        out.line(format!(
            "  database CPU    {:.1} s ({:.0}% of the 2 cores), PostgreSQL's processes",
            mix.db_cpu.as_secs_f64(),
            100.0 * mix.db_cpu.as_secs_f64() / seconds_run / 2.0,
        ));
    }
    out.line(format!(
        "  CPU per request {}",
        mix.cpu_per_request(postgres)
    ));
    let mut alone_failed = Vec::new();
    for (kind, m) in &alone {
        let sent: Vec<&String> = m.got["kinds"]
            .as_object()
            .map(|kinds| kinds.keys().collect())
            .unwrap_or_default();
        if sent != [kind] {
            alone_failed.push(format!("{kind} alone sent {sent:?}"));
        }
        let bad = m.errors();
        out.line(format!(
            "  alone: {kind:<9} {:6.0}/s  p50 {:6.2} ms  p99 {:7.2} ms  max {:7.2} ms  CPU per request {}  errors {bad}",
            m.n("requests") as f64 / (m.n("duration_us") as f64 / 1e6),
            m.n("p50_us") as f64 / 1e3,
            m.n("p99_us") as f64 / 1e3,
            m.n("max_us") as f64 / 1e3,
            m.cpu_per_request(postgres),
        ));
        if bad > 0 {
            alone_failed.push(format!("{kind} alone had {bad} errors"));
        }
    }
    let mb = |kb: u64| kb as f64 / 1024.0;
    let thirds: Vec<u64> = (0..3)
        .map(|t| {
            samples
                .iter()
                .filter(|(at, _)| {
                    let third = (at / (seconds as f64 / 3.0)).floor() as usize;
                    third.min(2) == t
                })
                .map(|&(_, kb)| kb)
                .max()
                .unwrap_or(0)
        })
        .collect();
    let flat = thirds[2] as f64 <= thirds[1] as f64 * (1.0 + FLAT_GROWTH);
    out.line(format!(
        "  server memory   resident, highest per third of the run: {:.1}, {:.1}, {:.1} MB ({})",
        mb(thirds[0]),
        mb(thirds[1]),
        mb(thirds[2]),
        match (seconds >= SOAK_SECONDS, flat) {
            (false, _) => "a soak needs --seconds 1800",
            (true, true) => "flat: the last third within 10% of the middle one",
            (true, false) => "GROWING: the last third more than 10% above the middle one",
        }
    ));
    if seconds >= 600 {
        let step = (samples.len() / 10).max(1);
        out.line(format!(
            "  memory samples  {}",
            samples
                .iter()
                .step_by(step)
                .map(|(at, kb)| format!("{:.0} min {:.1} MB", at / 60.0, mb(*kb)))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    let name = format!(
        "load-{}{}",
        if postgres { "postgres" } else { "sqlite" },
        if seconds >= SOAK_SECONDS { "-soak" } else { "" }
    );
    let mut command = String::from("cargo xtask bench load");
    if postgres {
        command.push_str(" --postgres");
    }
    if seconds != SECONDS {
        command.push_str(&format!(" --seconds {seconds}"));
    }
    if by_kind {
        command.push_str(" --by-kind");
    }
    out.save_as(
        root,
        &name,
        &command,
        "A busy ward's traffic (tests/load/mix.lua: pushes, pulls, the review queue, records \
         opened, counts, the dashboard) from wrk against a release server with the demo's two \
         years of records; afterwards every acknowledged record is pulled back by its author.",
    )?;
    ensure!(alone_failed.is_empty(), "{}", alone_failed.join("; "));
    ensure!(
        seconds < SOAK_SECONDS || flat,
        "the server's memory grew during the soak"
    );
    ensure!(
        errors == 0 && !logged_errors,
        "the load run had errors; see above and {}",
        server.log().display()
    );
    // A push in flight when wrk stopped may have been stored without its answer being read.
    ensure!(
        (n("accepted")..=n("sent_records") - n("not_accepted")).contains(&(pulled.len() as u64)),
        "{} records acknowledged ({} sent) but {} pulled back",
        n("accepted"),
        n("sent_records"),
        pulled.len()
    );
    server.discard_dir();
    Ok(())
}
