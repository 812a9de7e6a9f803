//! `cargo xtask bench queue [--records N] [--postgres]`: the desk's review queue on a release
//! server holding a million records in 30 wards (or N in N / 33,334 wards: `--records 10000000`
//! is the scale run, 300 wards of one province), filled through the real push API. Times, as a
//! supervisor of one ward: the queue's first page with a state filter and a search, its counts
//! per state, a search that finds nothing (a scan of the whole ward), opening a record and its
//! history; the ward's indicators (month and year to date). As its officer's phone: a pull's
//! first page, a page from the middle, a pull with nothing new. As the provincial staff: every
//! ward's indicators. Prints the query plans of the list's and the pull's queries (EXPLAIN;
//! on PostgreSQL with ANALYZE and BUFFERS), on SQLite or PostgreSQL.

use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context, Result};
use serde_json::{json, Value};

use super::{report, Report, Rng, Server};
use crate::cargo;

pub const RECORDS: usize = 1_000_000;
/// At least this many wards; more for more records, each holding about [`PER_WARD`] (a busy
/// ward's two years): `--records 10000000` is 300 wards of a province.
const MIN_WARDS: usize = 30;
const PER_WARD: usize = 33_334;
/// A province's indicators, every ward of it (issue 12: the dashboard at 10 M records).
const PROVINCE_TARGET_MS: f64 = 1000.0;
/// A pull page, as a phone asks for it.
const PULL_TARGET_MS: f64 = 50.0;
const BATCH: usize = 100;
const RUNS: usize = 30;
const TARGET_MS: f64 = 50.0;
/// A ward's indicators for a month and its year to date (issue 11).
const INDICATORS_TARGET_MS: f64 = 100.0;

/// A request as the desk makes it: JSON in, JSON out, with a bearer token.
fn call(
    agent: &ureq::Agent,
    server: &Server,
    bearer: &str,
    method: &str,
    path: &str,
    body: Option<&Value>,
) -> Result<Value> {
    let url = server.url(path);
    let mut res = match (method, body) {
        ("GET", _) => agent.get(&url).header("Authorization", bearer).call()?,
        ("POST", Some(b)) => agent
            .post(&url)
            .header("Authorization", bearer)
            .send_json(b)?,
        ("POST", None) => agent
            .post(&url)
            .header("Authorization", bearer)
            .send_empty()?,
        _ => bail!("unsupported {method}"),
    };
    let status = res.status();
    let text = res.body_mut().read_to_string().unwrap_or_default();
    ensure!(status.is_success(), "{method} {path}: {status} {text}");
    Ok(if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text)?
    })
}

pub(super) fn sign_in(
    agent: &ureq::Agent,
    server: &Server,
    username: &str,
    password: &str,
) -> Result<String> {
    let mut res = agent
        .post(server.url("/api/auth/login"))
        .send_json(json!({ "username": username, "password": password }))?;
    ensure!(
        res.status().is_success(),
        "sign-in as {username}: {}",
        res.status()
    );
    let login: Value = res.body_mut().read_json()?;
    let token = login["token"].as_str().context("no token")?;
    Ok(format!("Bearer {token}"))
}

/// Median and 95th percentile of `RUNS` timed calls, after three untimed ones.
fn time(mut f: impl FnMut() -> Result<()>) -> Result<(f64, f64)> {
    for _ in 0..3 {
        f()?;
    }
    let mut took: Vec<Duration> = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        let start = Instant::now();
        f()?;
        took.push(start.elapsed());
    }
    took.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    Ok((ms(took[RUNS / 2]), ms(took[RUNS * 95 / 100])))
}

pub fn run(root: &std::path::Path, total: usize, postgres: bool) -> Result<()> {
    cargo(&["build", "--release", "-p", "server"])?;
    let pg = postgres
        .then(|| super::TempPg::create("bench"))
        .transpose()?;
    measure(root, total, pg.as_ref().map(super::TempPg::url), postgres)
}

fn measure(
    root: &std::path::Path,
    total: usize,
    database_url: Option<String>,
    postgres: bool,
) -> Result<()> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(120)))
        .build()
        .into();
    let mut server = Server::start_on(root, database_url.clone())?;
    server.wait_healthy(&agent)?;
    let admin = sign_in(&agent, &server, "admin", "wardbook-demo")?;

    // Thirty wards (the demo's and more), each with a group and an officer who files reports.
    let mut wards: Vec<(i64, i64)> = Vec::new();
    let listed = call(&agent, &server, &admin, "GET", "/api/admin/wards", None)?;
    for w in listed.as_array().context("wards")? {
        let group = w["groups"][0]["id"]
            .as_i64()
            .context("a demo ward without groups")?;
        let entry = (w["id"].as_i64().context("ward id")?, group);
        // Nhật Tân first: its supervisor (the demo's truongcong) is the one timed.
        if w["name"] == "Nhật Tân" {
            wards.insert(0, entry);
        } else {
            wards.push(entry);
        }
    }
    let ward_count = MIN_WARDS.max(total.div_ceil(PER_WARD));
    let mut n = 0;
    while wards.len() < ward_count {
        n += 1;
        let w = call(
            &agent,
            &server,
            &admin,
            "POST",
            "/api/admin/wards",
            Some(
                &json!({"name": format!("Phường thử {n}"), "district": "Đo tải", "city": "Hà Nội"}),
            ),
        )?;
        let ward = w["id"].as_i64().context("new ward id")?;
        let g = call(
            &agent,
            &server,
            &admin,
            "POST",
            &format!("/api/admin/wards/{ward}/groups"),
            Some(&json!({"name": "Tổ dân phố số 1"})),
        )?;
        let group = g["groups"][0]["id"]
            .as_i64()
            .or_else(|| g["id"].as_i64())
            .context("new group id")?;
        wards.push((ward, group));
    }
    const PASSWORD: &str = "một câu dài để đo tải";
    let mut officers = Vec::new();
    for (i, (ward, _)) in wards.iter().enumerate() {
        let username = format!("dotai{i}");
        call(
            &agent,
            &server,
            &admin,
            "POST",
            "/api/admin/users",
            Some(&json!({
                "username": username, "display_name": format!("Cán bộ đo tải {i}"),
                "role": "officer", "ward_id": ward, "password": PASSWORD
            })),
        )?;
        officers.push(sign_in(&agent, &server, &username, PASSWORD)?);
    }

    println!("pushing {total} records into {ward_count} wards (through the API, as phones do)…");
    let fill_start = Instant::now();
    let mut rng = Rng(0x0051_7E0E);
    let mut some_id = String::new();
    let per_ward = total.div_ceil(ward_count);
    let mut pushed = 0;
    for (i, (_, group)) in wards.iter().enumerate() {
        let mut left = per_ward.min(total - pushed);
        while left > 0 {
            let k = left.min(BATCH);
            let records: Vec<String> = (0..k)
                .map(|j| {
                    let (id, r) = report(&mut rng, *group, pushed + j + 1);
                    if i == 0 && some_id.is_empty() {
                        some_id = id;
                    }
                    r
                })
                .collect();
            let body = format!(r#"{{"records":[{}]}}"#, records.join(","));
            let mut res = agent
                .post(server.url("/api/sync/push"))
                .header("Authorization", &officers[i])
                .header("Content-Type", "application/json")
                .send(body)?;
            ensure!(res.status().is_success(), "push: {}", res.status());
            let answer: Value = res.body_mut().read_json()?;
            let accepted = answer["results"].as_array().map_or(0, |r| {
                r.iter().filter(|x| x["outcome"] == "accepted").count()
            });
            ensure!(accepted == k, "push: {accepted} of {k} accepted: {answer}");
            pushed += k;
            left -= k;
        }
        if (i + 1) % 10 == 0 || i + 1 == ward_count {
            println!(
                "  ward {}/{ward_count}: {pushed} records ({:.0} s)",
                i + 1,
                fill_start.elapsed().as_secs_f64()
            );
        }
    }
    let fill = fill_start.elapsed();
    if postgres {
        // What autovacuum does on a server where it runs: statistics for the planner after the
        // table grew from nothing. These machines turn autovacuum off (conf.d/90-ci.conf); with
        // no statistics PostgreSQL took a ward of 33,334 records for 8 and read them all for
        // the queue's searched first page instead of walking the newest (59.8 ms against
        // 1.9 ms, EXPLAIN ANALYZE on a filled million with its statistics deleted; the page
        // through the API 44-69 ms against 5).
        let url = database_url.clone().context("no database")?;
        super::output_of(Command::new("psql").args([&url, "-At", "-c", "ANALYZE records"]))?;
    }

    // The first ward's supervisor (the demo's Nhật Tân): approve and return a few, so the
    // state filter has something to leave out.
    let boss = sign_in(&agent, &server, "truongcong", "wardbook-demo")?;
    let page = call(
        &agent,
        &server,
        &boss,
        "GET",
        "/api/records?limit=200",
        None,
    )?;
    let ids: Vec<String> = page
        .as_array()
        .context("list")?
        .iter()
        .filter_map(|r| r["id"].as_str().map(str::to_owned))
        .collect();
    ensure!(
        ids.len() == 200,
        "the first ward holds fewer than 200 records"
    );
    call(
        &agent,
        &server,
        &boss,
        "POST",
        "/api/records/review",
        Some(&json!({"ids": &ids[..100], "action": "approve"})),
    )?;
    call(
        &agent,
        &server,
        &boss,
        "POST",
        "/api/records/review",
        Some(&json!({"ids": &ids[100..150], "action": "return", "comment": "Ghi rõ số nhà."})),
    )?;

    let mut out = Report::default();
    let backend = if postgres { "PostgreSQL" } else { "SQLite" };
    out.line(format!(
        "review queue, {backend}: {pushed} records in {ward_count} wards ({per_ward} per ward, spread over the last two years for the indicators), filled in {:.0} s through the push API",
        fill.as_secs_f64()
    ));
    out.line(format!("  {RUNS} timed requests each after 3 untimed, one client, as the first ward's supervisor; target ≤ {TARGET_MS:.0} ms"));
    let timed: [(&str, String); 6] = [
        (
            "queue: first page, state + search",
            "/api/records?status=received&q=xuan%20dieu&limit=50".into(),
        ),
        (
            "queue: counts per state, search",
            "/api/records/counts?q=xuan%20dieu".into(),
        ),
        (
            "queue: first page, no filter",
            "/api/records?limit=50".into(),
        ),
        (
            "queue: search finding nothing (whole ward)",
            "/api/records?q=khong%20co%20dau%20ca&limit=50".into(),
        ),
        ("open a record", format!("/api/records/{}", ids[0])),
        ("its history", format!("/api/records/{}/history", ids[120])),
    ];
    let verdict = |ok: bool| if ok { "met" } else { "MISSED" };
    for (what, path) in &timed {
        let (p50, p95) = time(|| call(&agent, &server, &boss, "GET", path, None).map(|_| ()))?;
        out.line(format!(
            "  {what:<44} p50 {p50:7.2} ms   p95 {p95:7.2} ms   ({})",
            verdict(p50 <= TARGET_MS)
        ));
    }
    let _ = some_id;

    // The phone of the first ward's officer, who filed its records: the first page, a page from
    // the middle of its history, and a pull with nothing new (the most common one).
    let phone = &officers[0];
    let first = call(
        &agent,
        &server,
        phone,
        "GET",
        "/api/sync/pull?cursor=0",
        None,
    )?;
    let epoch = first["epoch"].as_str().context("pull epoch")?.to_owned();
    let mut cursor = first["cursor"].as_i64().context("pull cursor")?;
    let mut pages = vec![cursor];
    let mut more = first["more"] == true;
    while more {
        let page = call(
            &agent,
            &server,
            phone,
            "GET",
            &format!("/api/sync/pull?cursor={cursor}&epoch={epoch}"),
            None,
        )?;
        cursor = page["cursor"].as_i64().context("pull cursor")?;
        more = page["more"] == true;
        pages.push(cursor);
    }
    let middle = pages[pages.len() / 2];
    let pulls: [(&str, String); 3] = [
        (
            "pull: first page (500 changes)",
            "/api/sync/pull?cursor=0".into(),
        ),
        (
            "pull: a page from the middle",
            format!("/api/sync/pull?cursor={middle}&epoch={epoch}"),
        ),
        (
            "pull: caught up, nothing new",
            format!("/api/sync/pull?cursor={cursor}&epoch={epoch}"),
        ),
    ];
    for (what, path) in &pulls {
        let (p50, p95) = time(|| call(&agent, &server, phone, "GET", path, None).map(|_| ()))?;
        out.line(format!(
            "  {what:<44} p50 {p50:7.2} ms   p95 {p95:7.2} ms   ({}, target ≤ {PULL_TARGET_MS:.0} ms)",
            verdict(p50 <= PULL_TARGET_MS)
        ));
    }
    // Phones push what was filed over the years; a push stamps it "received now". For the
    // indicators, spread the records over the two years before now, as a ward's really are
    // (deterministically, by their change number), so that a month and a year hold what they
    // would: the indicators read this year and last year's same days. (After the queue's
    // timings: rewriting every row's time leaves the rows out of time order on disk, which a
    // real database, filled as records arrive, is not.)
    let spread = "UPDATE records SET \
        received_at = received_at - ((seq * 7919) % 730) * 86400000 - ((seq * 104729) % 86400000), \
        filed_at = filed_at - ((seq * 7919) % 730) * 86400000 - ((seq * 104729) % 86400000)";
    if postgres {
        let url = database_url.clone().context("no database")?;
        // Moving every record to another day through the tallies' trigger and the search
        // index would cost what ten million reviews do; instead, as if the records had come in
        // over the two years: the trigger is off for the move, the tallies are counted afresh
        // (as migration 0023 does) and the trigram index is built again in bulk (0024).
        let script = format!(
            "BEGIN;\n\
             ALTER TABLE records DISABLE TRIGGER record_tallies_update;\n\
             DROP INDEX records_search;\n\
             {spread};\n\
             ALTER TABLE records ENABLE TRIGGER record_tallies_update;\n\
             DELETE FROM record_tallies;\n\
             INSERT INTO record_tallies (ward_id, form_key, month, category, serious, status, n) \
               SELECT ward_id, form_key, record_month(received_at), COALESCE(category, ''), \
               serious, status, COUNT(*) FROM records GROUP BY 1, 2, 3, 4, 5, 6;\n\
             SET maintenance_work_mem = '1GB';\n\
             CREATE INDEX records_search ON records USING gin (ward_id, search_text gin_trgm_ops);\n\
             COMMIT;\n"
        );
        super::output_of(Command::new("psql").args([
            &url,
            "-At",
            "-v",
            "ON_ERROR_STOP=1",
            "-c",
            &script,
        ]))?;
        // What autovacuum does after a million rows changed: the visibility map that lets the
        // indicators read their covering index alone, and fresh statistics for the planner.
        super::output_of(Command::new("psql").args([&url, "-At", "-c", "VACUUM ANALYZE records"]))?;
    } else {
        super::output_of(
            Command::new("sqlite3")
                .arg(server.database_file())
                .arg(spread),
        )?;
        // Fold the rewritten pages back into the database file, as SQLite's own checkpoints
        // would over time; reads through a write-ahead log of a million rows are not the
        // steady state.
        super::output_of(
            Command::new("sqlite3")
                .arg(server.database_file())
                .arg("PRAGMA wal_checkpoint(TRUNCATE)"),
        )?;
    }

    // The indicators page: this month and the year to date of the first ward, against the same
    // days of last year.
    let (p50, p95) = time(|| {
        // Counted each time (`no-cache`), not answered from the server's last count.
        let mut res = agent
            .get(server.url("/api/indicators"))
            .header("Authorization", &boss)
            .header("Cache-Control", "no-cache")
            .call()?;
        ensure!(res.status().is_success(), "indicators: {}", res.status());
        res.body_mut().read_to_string()?;
        Ok(())
    })?;
    out.line(format!(
        "  {:<44} p50 {p50:7.2} ms   p95 {p95:7.2} ms   ({}, target ≤ {INDICATORS_TARGET_MS:.0} ms)",
        format!("indicators: month + year ({per_ward} over 2 years)"),
        verdict(p50 <= INDICATORS_TARGET_MS)
    ));

    // The province's dashboard: every ward's indicators, as its provincial staff see them.
    let province = sign_in(&agent, &server, "congantinh", "wardbook-demo")?;
    let (p50, p95) = time(|| {
        let mut res = agent
            .get(server.url("/api/indicators/province"))
            .header("Authorization", &province)
            .header("Cache-Control", "no-cache")
            .call()?;
        ensure!(res.status().is_success(), "province: {}", res.status());
        res.body_mut()
            .with_config()
            .limit(50 << 20)
            .read_to_string()?;
        Ok(())
    })?;
    out.line(format!(
        "  {:<44} p50 {p50:7.2} ms   p95 {p95:7.2} ms   ({}, target ≤ {PROVINCE_TARGET_MS:.0} ms)",
        format!("indicators: the province ({ward_count} wards)"),
        verdict(p50 <= PROVINCE_TARGET_MS)
    ));

    // The plans of the list's query: which index each database takes.
    out.line("");
    out.line("query plan of the queue's first page (state + search) in the first ward:");
    let ward = wards[0].0;
    let sql = format!(
        "SELECT r.id FROM records r WHERE r.ward_id = {ward} AND r.status = 'received' \
         AND r.search_text LIKE '%xuan dieu%' ESCAPE '\\' ORDER BY r.received_at DESC, r.id DESC LIMIT 50"
    );
    let plan = if postgres {
        let url = database_url.clone().context("no database")?;
        super::output_of(Command::new("psql").args([&url, "-At", "-c", &format!("EXPLAIN {sql}")]))?
    } else {
        let db = server.database_file();
        super::output_of(
            Command::new("sqlite3")
                .arg(db)
                .arg(format!("EXPLAIN QUERY PLAN {sql}")),
        )?
    };
    for line in plan.lines() {
        out.line(format!("  {line}"));
    }
    // And the pull's, for the officer's phone from the middle of its history: the server's
    // own statement (server/src/routes/sync.rs), prepared and run as the server runs it (on
    // PostgreSQL six times first, so that the plan shown is the one its statement cache keeps,
    // with what it read).
    let server_pull = "SELECT id, form_key, form_version, status, updated_at, status_note, seq, group_id, revision_id, \
                CASE WHEN status = 'returned' THEN data END, \
                CASE WHEN EXISTS (SELECT 1 FROM record_conflicts c WHERE c.record_id = records.id \
                        AND c.author_id = records.author_id AND c.resolution IS NULL) THEN 1 ELSE 0 END \
                FROM records \
         WHERE author_id = $1 AND seq > $2 AND seq <= $3 \
           AND ($5 IS NULL OR group_id = $5) AND ($6 IS NULL OR ward_id = $6) \
         ORDER BY seq LIMIT $4";
    out.line("");
    out.line("query plan of a pull page (the officer's own records after the cursor):");
    let plan = if postgres {
        let url = database_url.clone().context("no database")?;
        let author = super::output_of(Command::new("psql").args([
            &url,
            "-At",
            "-c",
            "SELECT id FROM users WHERE username = 'dotai0'",
        ]))?;
        let args = format!("({}, {middle}, {cursor}, 501, NULL, {ward})", author.trim());
        let script = format!(
            "\\o /dev/null\nPREPARE pull(bigint, bigint, bigint, bigint, bigint, bigint) AS {server_pull};\n{}\\o\nEXPLAIN (ANALYZE, BUFFERS) EXECUTE pull{args};\n",
            format!("EXECUTE pull{args};\n").repeat(6)
        );
        let file = std::env::temp_dir().join(format!("wardbook-pull-{}.sql", std::process::id()));
        std::fs::write(&file, script)?;
        let plan = super::output_of(
            Command::new("psql")
                .arg(&url)
                .arg("-At")
                .arg("-f")
                .arg(&file),
        );
        let _ = std::fs::remove_file(&file);
        plan?
    } else {
        let sql = server_pull
            .replace("$1", "(SELECT id FROM users WHERE username = 'dotai0')")
            .replace("$2", &middle.to_string())
            .replace("$3", &cursor.to_string())
            .replace("$4", "501")
            .replace("$5", "NULL")
            .replace("$6", &ward.to_string());
        super::output_of(
            Command::new("sqlite3")
                .arg(server.database_file())
                .arg(format!("EXPLAIN QUERY PLAN {sql}")),
        )?
    };
    for line in plan.lines() {
        out.line(format!("  {line}"));
    }
    if postgres {
        let url = database_url.clone().context("no database")?;
        let sizes = super::output_of(Command::new("psql").args([
            &url,
            "-At",
            "-F",
            " ",
            "-c",
            "SELECT pg_size_pretty(pg_database_size(current_database())),                     pg_size_pretty(pg_table_size('records')),                     pg_size_pretty(pg_indexes_size('records'))",
        ]))?;
        out.line("");
        out.line(format!(
            "database size, records table, records indexes: {}",
            sizes.trim()
        ));
    }
    server.stop()?;
    let name = match (postgres, total > RECORDS) {
        (true, true) => "scale-postgres",
        (true, false) => "queue-postgres",
        (false, true) => "scale-sqlite",
        (false, false) => "queue-sqlite",
    };
    out.save_as(
        root,
        name,
        &format!(
            "cargo xtask bench queue{}{}",
            if postgres { " --postgres" } else { "" },
            if total == RECORDS {
                String::new()
            } else {
                format!(" --records {total}")
            }
        ),
        &format!(
            "The desk's review queue, the phone's pull and the dashboards on a release server \
             holding {total} neighborhood reports in {ward_count} wards, filled through the push \
             API; timed as the first ward's supervisor, its officer's phone and the province's staff."
        ),
    )?;
    Ok(())
}
