//! `cargo xtask bench export [--records N]`: exports of a ward's records to XLSX and to a zip of
//! CSV files on a release server (SQLite), at a quarter, a half and all of N records (100,000 by
//! default, about 600 bytes of JSON each, pushed through the API as phones do). For each:
//! the time from asking to the file being ready, the download, the file's size, the server's
//! CPU time, and its peak memory while building (VmHWM, reset before each export through
//! /proc/<pid>/clear_refs) against its memory before — which must not grow with the count.

use std::time::{Duration, Instant};

use anyhow::{ensure, Context, Result};
use serde_json::Value;

use super::{release_server_signed_in, report, Report, Rng, Server};

pub const RECORDS: usize = 100_000;
const BATCH: usize = 100;

/// Resets the server's peak resident set to its current one (Linux 4.0+).
fn reset_peak(server: &Server) -> Result<()> {
    std::fs::write(format!("/proc/{}/clear_refs", server.child.id()), "5")
        .context("cannot reset the server's VmHWM through /proc/<pid>/clear_refs")
}

struct Run {
    records: usize,
    format: &'static str,
    build: Duration,
    download: Duration,
    bytes: usize,
    cpu: Duration,
    before_kb: u64,
    peak_kb: u64,
}

fn export(
    agent: &ureq::Agent,
    server: &Server,
    boss: &str,
    format: &'static str,
    records: usize,
) -> Result<Run> {
    // The memory a build adds is what the peak reaches above the memory before it.
    std::thread::sleep(Duration::from_millis(200));
    reset_peak(server)?;
    let (_, before_kb) = server.memory_kb()?;
    let cpu0 = server.cpu_time()?;
    let start = Instant::now();
    let mut res = agent
        .post(server.url(&format!("/api/exports?format={format}")))
        .header("Authorization", boss)
        .send_empty()?;
    ensure!(res.status() == 202, "export: {}", res.status());
    let job: Value = res.body_mut().read_json()?;
    let id = job["id"].as_str().context("job id")?.to_owned();
    ensure!(
        job["total"].as_u64() == Some(records as u64),
        "the export holds {} records, {records} pushed",
        job["total"]
    );
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        let mut res = agent
            .get(server.url(&format!("/api/exports/{id}")))
            .header("Authorization", boss)
            .call()?;
        let job: Value = res.body_mut().read_json()?;
        match job["state"].as_str() {
            Some("done") => break,
            Some("running") => {}
            _ => anyhow::bail!("export failed: {job}"),
        }
        ensure!(Instant::now() < deadline, "export not done in 10 minutes");
        std::thread::sleep(Duration::from_millis(25));
    }
    let build = start.elapsed();
    let cpu = server.cpu_time()? - cpu0;
    let (peak_kb, _) = server.memory_kb()?;
    let start = Instant::now();
    let mut res = agent
        .get(server.url(&format!("/api/exports/{id}/file")))
        .header("Authorization", boss)
        .call()?;
    ensure!(res.status().is_success(), "download: {}", res.status());
    let bytes = res
        .body_mut()
        .with_config()
        .limit(u64::MAX)
        .read_to_vec()?
        .len();
    let download = start.elapsed();
    ensure!(bytes > 1000, "a {bytes}-byte file");
    Ok(Run {
        records,
        format,
        build,
        download,
        bytes,
        cpu,
        before_kb,
        peak_kb,
    })
}

pub fn run(root: &std::path::Path, total: usize) -> Result<()> {
    let (agent, mut server, bearer, group_id) = release_server_signed_in(root)?;
    let boss = super::queue::sign_in(&agent, &server, "truongcong", "wardbook-demo")?;

    let mut out = Report::default();
    let mut rng = Rng(0xE4_0A7);
    let mut pushed = 0;
    let mut runs = Vec::new();
    for stage in [total / 4, total / 2, total] {
        while pushed < stage {
            let k = BATCH.min(stage - pushed);
            let records: Vec<String> = (0..k)
                .map(|j| report(&mut rng, group_id, pushed + j + 1).1)
                .collect();
            let mut res = agent
                .post(server.url("/api/sync/push"))
                .header("Authorization", &bearer)
                .content_type("application/json")
                .send(format!("{{\"records\":[{}]}}", records.join(",")))?;
            ensure!(res.status().is_success(), "push: {}", res.status());
            let text = res.body_mut().read_to_string()?;
            ensure!(
                text.matches("\"accepted\"").count() == k,
                "push not all accepted: {text}"
            );
            pushed += k;
        }
        println!("{pushed} records in the ward; exporting…");
        for format in ["xlsx", "csv"] {
            runs.push(export(&agent, &server, &boss, format, pushed)?);
        }
    }
    server.stop()?;
    let log = std::fs::read_to_string(&server.log)?;
    ensure!(
        !log.contains("ERROR") && !log.contains("panicked"),
        "the server logged errors; see {}",
        server.log.display()
    );
    server.keep_dir = false;

    let mb = |kb: u64| kb as f64 / 1024.0;
    out.line(
        "exports of one ward's neighborhood reports (~600 B of JSON each), release server, SQLite:",
    );
    out.line(format!(
        "  {:>8}  {:<5} {:>9} {:>10} {:>9} {:>9} {:>12} {:>11} {:>10}",
        "records",
        "file",
        "ready",
        "per 100k",
        "download",
        "size",
        "server CPU",
        "RSS before",
        "peak"
    ));
    for r in &runs {
        out.line(format!(
            "  {:>8}  {:<5} {:>7.2} s {:>8.2} s {:>7.2} s {:>6.1} MB {:>10.2} s {:>8.1} MB {:>7.1} MB",
            r.records,
            r.format,
            r.build.as_secs_f64(),
            r.build.as_secs_f64() * 100_000.0 / r.records as f64,
            r.download.as_secs_f64(),
            r.bytes as f64 / 1e6,
            r.cpu.as_secs_f64(),
            mb(r.before_kb),
            mb(r.peak_kb),
        ));
    }
    for format in ["xlsx", "csv"] {
        let of: Vec<&Run> = runs.iter().filter(|r| r.format == format).collect();
        let (first, last) = (of[0], of[of.len() - 1]);
        let growth = |r: &Run| mb(r.peak_kb.saturating_sub(r.before_kb));
        out.line(format!(
            "  {format}: the build's memory above what the server held before: {:.1} MB at {} records, {:.1} MB at {} ({}x the records)",
            growth(first),
            first.records,
            growth(last),
            last.records,
            last.records / first.records.max(1)
        ));
    }
    out.save(
        root,
        "export",
        "A ward's supervisor exports all its records to XLSX and to a CSV zip, at a quarter, a \
         half and all of the records; time until the file is ready, its download, and the \
         server's peak memory during the build (VmHWM reset before each).",
    )?;
    Ok(())
}
