//! `cargo xtask bench ingest`: one phone-like client pushes 100,000 neighborhood reports (about
//! 600 bytes of JSON each, Vietnamese text) in batches of 100 to a release server on SQLite with
//! durable commits, once with time-ordered (v7) ids as phones make them and once with random
//! (v4) ids; checks that every record came back through pull; then pushes the same records, in
//! the same batches, to PouchDB Server (npm `pouchdb-server`, installed into
//! target/pouchdb-server) through its `_bulk_docs`, and reports the ratio.

use std::collections::HashSet;
use std::fs::File;
use std::io::Read;
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context, Result};
use serde_json::{json, Value};

use super::{cpu_time, release_server_signed_in, report_value, Report, Rng};

pub(super) const RECORDS: usize = 100_000;
pub(super) const BATCH: usize = 100;
const TARGET_RECORDS_PER_SEC: f64 = 60_000.0;
const TARGET_PEAK_RSS_MB: f64 = 40.0;
const TARGET_RATIO: f64 = 10.0;
/// The PouchDB Server measured against: pinned, so a new release cannot move the ratio.
const POUCHDB_SERVER_VERSION: &str = "4.2.0";

#[derive(Clone, Copy)]
enum Ids {
    /// Time-ordered, as the phone makes them (`Uuid::now_v7`).
    V7,
    /// Random, from the benchmark's seeded generator.
    V4,
}

impl Ids {
    fn name(self) -> &'static str {
        match self {
            Ids::V7 => "v7 (time-ordered)",
            Ids::V4 => "v4 (random)",
        }
    }

    fn make(self, rng: &mut Rng) -> String {
        match self {
            Ids::V7 => uuid::Uuid::now_v7().to_string(),
            Ids::V4 => rng.uuid_v4(),
        }
    }
}

/// One measured run: how fast, how much CPU and memory.
struct Run {
    records: usize,
    wall: Duration,
    /// Per push, sorted.
    latencies: Vec<Duration>,
    server_cpu: Duration,
    client_cpu: Duration,
    /// Peak resident set while the pushes ran (VmHWM reset just before them), kB.
    push_peak_kb: u64,
    /// Peak resident set over the server's whole life, start-up included, kB.
    life_peak_kb: u64,
}

impl Run {
    fn rate(&self) -> f64 {
        self.records as f64 / self.wall.as_secs_f64()
    }

    fn pct(&self, p: usize) -> f64 {
        let l = &self.latencies;
        l[(l.len() * p / 100).min(l.len() - 1)].as_secs_f64() * 1e3
    }

    fn line(&self, who: &str) -> String {
        format!(
            "  {who:<26} {:>8.0} {:>8.2} {:>8.2} {:>8.1} µs {:>6.1} MB {:>6.1} MB",
            self.rate(),
            self.pct(50),
            self.pct(99),
            self.server_cpu.as_secs_f64() * 1e6 / self.records as f64,
            self.push_peak_kb as f64 / 1024.0,
            self.life_peak_kb as f64 / 1024.0,
        )
    }
}

/// `VmHWM` of a process, in kB.
fn peak_kb(pid: u32) -> Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .context("cannot read a process's /proc status (Linux only)")?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .with_context(|| format!("no VmHWM in /proc/{pid}/status"))
}

/// Sets a process's `VmHWM` back to its present resident set (Linux's `clear_refs` 5), so that
/// the peak read afterwards is the peak of what follows.
fn reset_peak(pid: u32) -> Result<()> {
    std::fs::write(format!("/proc/{pid}/clear_refs"), "5")
        .with_context(|| format!("cannot reset the peak memory of process {pid}"))
}

/// Times `bodies` sent one after another to `url`; every answer is kept for checking after the
/// clock stops, so the client's JSON work is not timed.
fn push_all(
    agent: &ureq::Agent,
    url: &str,
    auth: Option<&str>,
    pid: u32,
    bodies: &[String],
    records: usize,
) -> Result<(Run, Vec<String>)> {
    let life_peak_before = peak_kb(pid)?;
    reset_peak(pid)?;
    let mut latencies = Vec::with_capacity(bodies.len());
    let mut answers = Vec::with_capacity(bodies.len());
    let stat = format!("/proc/{pid}/stat");
    let (server_cpu0, client_cpu0) = (cpu_time(&stat)?, cpu_time("/proc/self/stat")?);
    let start = Instant::now();
    for body in bodies {
        let t = Instant::now();
        let mut req = agent.post(url).content_type("application/json");
        if let Some(auth) = auth {
            req = req.header("Authorization", auth);
        }
        let mut res = req.send(body)?;
        let status = res.status();
        let text = res.body_mut().read_to_string()?;
        latencies.push(t.elapsed());
        if !status.is_success() {
            bail!("push {} to {url} answered {status}: {text}", answers.len());
        }
        answers.push(text);
    }
    let wall = start.elapsed();
    let server_cpu = cpu_time(&stat)? - server_cpu0;
    let client_cpu = cpu_time("/proc/self/stat")? - client_cpu0;
    let push_peak_kb = peak_kb(pid)?;
    latencies.sort();
    let run = Run {
        records,
        wall,
        latencies,
        server_cpu,
        client_cpu,
        push_peak_kb,
        life_peak_kb: life_peak_before.max(push_peak_kb),
    };
    Ok((run, answers))
}

/// The records of one run, as Wardbook push bodies and as PouchDB `_bulk_docs` bodies (the same
/// documents, the id under `_id`), and the ids in order.
struct Workload {
    ids: Vec<String>,
    wardbook: Vec<String>,
    pouchdb: Vec<String>,
    record_bytes: usize,
}

fn workload(kind: Ids, group_id: i64, total: usize, batch: usize) -> Workload {
    let mut rng = Rng(0x5EED_CAFE);
    let mut w = Workload {
        ids: Vec::with_capacity(total),
        wardbook: Vec::new(),
        pouchdb: Vec::new(),
        record_bytes: 0,
    };
    for b in 0..total / batch {
        let mut records = Vec::with_capacity(batch);
        let mut docs = Vec::with_capacity(batch);
        for k in 0..batch {
            let id = kind.make(&mut rng);
            let record = report_value(&mut rng, group_id, b * batch + k + 1, &id);
            let text = record.to_string();
            w.record_bytes += text.len();
            let mut doc = record;
            let map = doc.as_object_mut().expect("a report is an object");
            let id_value = map.remove("id").expect("a report has an id");
            map.insert("_id".into(), id_value);
            records.push(text);
            docs.push(doc.to_string());
            w.ids.push(id);
        }
        w.wardbook
            .push(format!("{{\"records\":[{}]}}", records.join(",")));
        w.pouchdb.push(format!("{{\"docs\":[{}]}}", docs.join(",")));
    }
    w
}

pub(super) fn run(root: &Path, total: usize, batch: usize) -> Result<()> {
    let pouchdb = ensure_pouchdb_server(root)?;
    let mut out = Report::default();
    let mut table = Vec::new();
    let mut verdicts = Vec::new();
    for kind in [Ids::V7, Ids::V4] {
        let (agent, mut server, bearer, group_id) = release_server_signed_in(root)?;
        let w = workload(kind, group_id, total, batch);
        if table.is_empty() {
            let body_bytes: usize = w.wardbook.iter().map(String::len).sum();
            out.line(format!(
                "\n{} records in batches of {batch}, {:.0} B of JSON per record on average ({:.1} MB per run), one client, one push at a time:",
                w.ids.len(),
                w.record_bytes as f64 / w.ids.len() as f64,
                body_bytes as f64 / 1e6
            ));
        }
        let (run, answers) = push_all(
            &agent,
            &server.url("/api/sync/push"),
            Some(&bearer),
            server.child.id(),
            &w.wardbook,
            w.ids.len(),
        )?;
        check_wardbook(&answers, &w.ids, batch)?;
        check_pulled(&agent, &server, &bearer, &w.ids)?;
        server.stop()?;
        let mut log = String::new();
        File::open(&server.log)?.read_to_string(&mut log)?;
        if log.contains("ERROR") || log.contains("panicked") {
            bail!("the server logged errors; see {}", server.log.display());
        }
        server.keep_dir = false;

        let mut pouch = PouchDb::start(root, &pouchdb)?;
        let (prun, panswers) = push_all(
            &agent,
            &pouch.url("/bench/_bulk_docs"),
            None,
            pouch.child.id(),
            &w.pouchdb,
            w.ids.len(),
        )?;
        pouch.check(&agent, &panswers, w.ids.len())?;
        pouch.stop();

        verdicts.push((kind, run.rate(), run.push_peak_kb, run.rate() / prun.rate()));
        table.push(run.line(&format!("Wardbook, {}", kind.name())));
        table.push(prun.line(&format!("PouchDB, {}", kind.name())));
        println!(
            "  ({}: client CPU {:.2} s for Wardbook, {:.2} s for PouchDB)",
            kind.name(),
            run.client_cpu.as_secs_f64(),
            prun.client_cpu.as_secs_f64()
        );
    }
    out.line(format!(
        "  {:<26} {:>8} {:>8} {:>8} {:>11} {:>9} {:>9}",
        "", "rec/s", "p50 ms", "p99 ms", "CPU/record", "peak RSS", "life peak"
    ));
    for l in &table {
        out.line(l);
    }
    out.line("  (per push of the batch: p50, p99; CPU: the server's user + system time; peak RSS: while pushing; life peak: start-up included)");
    out.line(
        "  Wardbook: SQLite in WAL mode with synchronous=FULL, every push one fsynced commit, \
         all records pulled back afterwards, each once.",
    );
    out.line(format!(
        "  PouchDB Server {POUCHDB_SERVER_VERSION} (LevelDB, its default): writes are not fsynced; every document answered ok and counted afterwards."
    ));
    let verdict = |ok: bool| if ok { "met" } else { "MISSED" };
    for (kind, rate, peak, ratio) in verdicts {
        out.line(format!(
            "  {}: {rate:.0} records/s (target ≥ {TARGET_RECORDS_PER_SEC:.0}: {}), peak RSS {:.1} MB (target ≤ {TARGET_PEAK_RSS_MB:.0}: {}), {ratio:.1}x PouchDB (aim ≥ {TARGET_RATIO:.0}x: {})",
            kind.name(),
            verdict(rate >= TARGET_RECORDS_PER_SEC),
            peak as f64 / 1024.0,
            verdict(peak as f64 / 1024.0 <= TARGET_PEAK_RSS_MB),
            verdict(ratio >= TARGET_RATIO),
        ));
    }
    out.save(
        root,
        "ingest",
        "One phone-like client pushes neighborhood reports in batches to a release server on \
         SQLite (WAL, synchronous=FULL), with time-ordered and with random ids, then pulls them \
         all back; the same records go to PouchDB Server through `_bulk_docs`.",
    )?;
    Ok(())
}

/// Every record of every push accepted, each answer in the order of its records.
fn check_wardbook(answers: &[String], ids: &[String], batch: usize) -> Result<()> {
    for (b, text) in answers.iter().enumerate() {
        let answer: Value = serde_json::from_str(text)?;
        let results = answer["results"]
            .as_array()
            .context("push answer has no results")?;
        ensure!(
            results.len() == batch,
            "push {b}: {} results for {batch} records",
            results.len()
        );
        for (k, r) in results.iter().enumerate() {
            ensure!(
                r["id"].as_str() == Some(ids[b * batch + k].as_str()),
                "push {b}: result {k} is for another record: {r}"
            );
            ensure!(
                r["outcome"] == "accepted",
                "push {b}: record {k} was not accepted: {r}"
            );
        }
    }
    Ok(())
}

/// Everything pushed must come back to its author through pull, each id once.
fn check_pulled(
    agent: &ureq::Agent,
    server: &super::Server,
    bearer: &str,
    ids: &[String],
) -> Result<()> {
    let mut pulled = HashSet::with_capacity(ids.len());
    let mut cursor = 0i64;
    loop {
        let mut res = agent
            .get(server.url(&format!("/api/sync/pull?cursor={cursor}&limit=500")))
            .header("Authorization", bearer)
            .call()?;
        ensure!(res.status().is_success(), "pull answered {}", res.status());
        let page: Value = res.body_mut().read_json()?;
        ensure!(page["reset"] != true, "pull asked for a reset");
        for change in page["changes"].as_array().context("pull has no changes")? {
            if change["kind"] == "record" {
                let id = change["id"].as_str().context("pulled record without id")?;
                ensure!(pulled.insert(id.to_owned()), "pull returned {id} twice");
            }
        }
        cursor = page["cursor"].as_i64().context("pull has no cursor")?;
        if page["more"] != true {
            break;
        }
    }
    ensure!(
        pulled.len() == ids.len() && ids.iter().all(|id| pulled.contains(id)),
        "pull returned {} records, {} pushed",
        pulled.len(),
        ids.len()
    );
    Ok(())
}

/// `pouchdb-server` from npm, installed into target/pouchdb-server (not the project's
/// node_modules: only this benchmark needs its 300 packages). Install scripts are not run: its
/// LevelDB binding ships its Linux build in the package, and the optional sqlite3 binding's
/// script would download one.
fn ensure_pouchdb_server(root: &Path) -> Result<std::path::PathBuf> {
    let package = crate::tools::npm_package(
        root,
        "pouchdb-server",
        "pouchdb-server",
        POUCHDB_SERVER_VERSION,
        &["--ignore-scripts"],
    )?;
    Ok(package.join("bin/pouchdb-server"))
}

/// A PouchDB Server on a fresh directory, killed and its directory removed when dropped.
struct PouchDb {
    child: Child,
    dir: std::path::PathBuf,
    base: String,
}

impl PouchDb {
    fn start(root: &Path, bin: &Path) -> Result<PouchDb> {
        let dir = crate::target_dir(root).join(format!("pouchdb-run-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("data"))?;
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let child = Command::new("node")
            .arg(bin)
            .args(["--host", "127.0.0.1", "--port", &port.to_string()])
            .arg("--dir")
            .arg(dir.join("data"))
            .arg("--no-stdout-logs")
            // It writes its log and configuration into the working directory.
            .current_dir(&dir)
            .stdin(Stdio::null())
            .stdout(File::create(dir.join("stdout.log"))?)
            .stderr(File::create(dir.join("stderr.log"))?)
            .spawn()
            .context("cannot start pouchdb-server with node")?;
        let db = PouchDb {
            child,
            dir,
            base: format!("http://127.0.0.1:{port}"),
        };
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(10)))
            .build()
            .into();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if agent
                .get(db.url("/"))
                .call()
                .is_ok_and(|r| r.status() == 200)
            {
                break;
            }
            ensure!(
                Instant::now() < deadline,
                "pouchdb-server did not answer within 60 s; see {}",
                db.dir.display()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        let res = agent.put(db.url("/bench")).send_empty()?;
        ensure!(
            res.status() == 201,
            "pouchdb-server could not create its database: {}",
            res.status()
        );
        Ok(db)
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Every document answered ok, and the database holds them all.
    fn check(&self, agent: &ureq::Agent, answers: &[String], total: usize) -> Result<()> {
        for (b, text) in answers.iter().enumerate() {
            let answer: Value = serde_json::from_str(text)?;
            let items = answer.as_array().context("_bulk_docs answer is no list")?;
            ensure!(
                items.iter().all(|d| d["ok"] == true),
                "_bulk_docs {b}: not every document was stored: {text:.300}"
            );
        }
        let mut res = agent.get(self.url("/bench")).call()?;
        let info: Value = res.body_mut().read_json()?;
        ensure!(
            info["doc_count"] == json!(total),
            "PouchDB holds {} documents, {total} pushed",
            info["doc_count"]
        );
        Ok(())
    }

    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for PouchDb {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
