#!/usr/bin/env python3
"""What SQLite alone can ingest with Wardbook's schema: the floor under `cargo xtask bench ingest`.

Builds a database from server/migrations/sqlite, then writes the records as the push writer
does, through Python's sqlite3 module with bound parameters: every 100 records one durable
transaction (WAL, synchronous=FULL, as the server runs) holding the change counter's update,
one 100-row INSERT into records with ON CONFLICT (id) DO NOTHING and one 100-row INSERT into
audit_log, each a prepared statement used again. No HTTP, no JSON checks, no thread hand-offs:
what is left is SQLite's own work and the binding of the values. The records are made before the
clock starts.

Variants take parts of the schema away, to price each part:
  full          the schema as it is
  no audit      without the audit row of each record
  lean indexes  records keep only their id and change number's indexes; audit_log only its own
  bare          lean indexes, no audit row, no tally trigger
  ... and `full, synchronous=OFF`: the full schema without waiting for the disk; `full, 1,000
  (10,000) records a commit`: the full schema, one durable commit per 10 (100) batches, what a
  writer filing behind an append log could at best do; and, for the disk's own floor, each
  batch's bytes appended to a plain file and fdatasync'd.

Usage: python3 docs/benchmarks/ingest_floor.py [records]   (default 100000; run from the repo)
Writes docs/benchmarks/ingest-floor.md.
"""

import datetime
import json
import os
import platform
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BATCH = 100
RECORD_BYTES = 600
SENTENCES = [
    "Có tiếng ồn lớn vào ban đêm.",
    "Người dân phản ánh xe máy đỗ chắn lối đi.",
    "Phát hiện người lạ mặt đi lại nhiều lần.",
    "Bình chữa cháy của hộ kinh doanh đã hết hạn.",
    "Tổ dân phố đã nhắc nhở và lập biên bản.",
]
STREETS = ["Lê Lợi", "Trần Phú", "Nguyễn Trãi", "Hai Bà Trưng", "Lý Thường Kiệt"]
CATEGORIES = ["noise", "traffic", "suspicious_person", "fire_risk", "other"]
URGENCIES = ["normal", "normal", "normal", "urgent"]

SECONDARY = [
    "records_ward", "records_group", "records_author_seq", "records_ward_status",
    "records_indicators", "records_pressing", "records_breaking", "records_to_fill",
    "audit_entity", "audit_log_at", "audit_log_ward_at",
]


def q(s):
    return "NULL" if s is None else "'" + str(s).replace("'", "''") + "'"


def uuid7(ms, rnd):
    b = bytearray(rnd.getrandbits(128).to_bytes(16, "big"))
    b[0:6] = ms.to_bytes(6, "big")
    b[6] = 0x70 | (b[6] & 0x0F)
    b[8] = 0x80 | (b[8] & 0x3F)
    return str(uuid.UUID(bytes=bytes(b)))


def record(rnd, n, rid):
    day, hour, minute = 1 + rnd.randrange(28), rnd.randrange(24), rnd.randrange(60)
    data = {
        "category": rnd.choice(CATEGORIES),
        "urgency": rnd.choice(URGENCIES),
        "occurred_at": f"2026-11-{day:02}T{hour:02}:{minute:02}",
        "location": f"Số {1 + rnd.randrange(200)}, ngõ {1 + rnd.randrange(90)}, đường {rnd.choice(STREETS)}",
        "description": "",
        "people_involved": rnd.randrange(20),
        "reporter_phone": f"09{rnd.randrange(100_000_000):08}",
    }
    desc = f"Tin báo số {n}. "
    while len(json.dumps(data, ensure_ascii=False).encode()) + len(desc.encode()) < RECORD_BYTES:
        desc += rnd.choice(SENTENCES) + " "
    data["description"] = desc.strip()
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return data, text, f"2026-11-{day:02}T{hour:02}:{minute:02}:00Z"


def batches(kind, total):
    """Every batch's record rows and audit rows, as bound values."""
    rnd = random.Random(0x5EED_CAFE)
    now = 1_764_000_000_000
    out = []
    seq = 1
    for b in range(total // BATCH):
        rows, audits = [], []
        for k in range(BATCH):
            rid = uuid7(now + b, rnd) if kind == "v7" else str(uuid.UUID(int=rnd.getrandbits(128), version=4))
            data, text, created = record(rnd, b * BATCH + k + 1, rid)
            h = "%064x" % rnd.getrandbits(256)
            search = (data["location"] + " " + data["description"]).lower()
            urgency = data["urgency"]
            rows += [rid, "neighborhood_report", 1, 1, 1, 1, 2, text, h, "received", created,
                     now, now, seq, search, urgency, data["category"], int(urgency == "urgent"), None, now]
            after = json.dumps({"form": "neighborhood_report@1", "group_id": 1, "content_hash": h})
            audits += [now, 2, rid, 1, after]
            seq += 1
        out.append((rows, audits))
    return out


INSERT_RECORDS = (
    "INSERT INTO records (id, form_key, form_version, ward_id, filed_ward_id, group_id, author_id, data, "
    "content_hash, status, client_created_at, received_at, updated_at, seq, search_text, urgency, "
    "category, serious, subject, filed_at) VALUES "
    + ",".join(["(" + ",".join(["?"] * 20) + ")"] * BATCH)
    + " ON CONFLICT (id) DO NOTHING"
)
INSERT_AUDIT = (
    "INSERT INTO audit_log (at, actor_id, entity_id, ward_id, after_state, action, entity) VALUES "
    + ",".join(["(?,?,?,?,?,'record.create','record')"] * BATCH)
)


def schema(db, lean, tally):
    for name in sorted(os.listdir(os.path.join(ROOT, "server/migrations/sqlite"))):
        with open(os.path.join(ROOT, "server/migrations/sqlite", name)) as f:
            subprocess.run(["sqlite3", db], stdin=f, check=True, stdout=subprocess.DEVNULL)
    drop = []
    if lean:
        drop += [f"DROP INDEX {i};" for i in SECONDARY]
    if not tally:
        drop.append("DROP TRIGGER record_tallies_insert;")
    seed = (
        "INSERT INTO wards (id, name, district, city) VALUES (1, 'P1', 'Q1', 'HN');"
        "INSERT INTO residential_groups (id, ward_id, name) VALUES (1, 1, 'Tổ 1');"
        "INSERT INTO users (id, username, display_name, password_hash, role, ward_id, group_id, created_at) "
        "VALUES (2, 'totruong', 'T', 'x', 'group_leader', 1, 1, 0);"
        "INSERT INTO forms (form_key, version, definition, published_at, seq) "
        "VALUES ('neighborhood_report', 1, '{}', 0, 1);"
    )
    subprocess.run(["sqlite3", db, "".join(drop) + seed], check=True)


def run(work, db, sync, audit, group):
    """Writes every batch of `work`, one durable commit per `group` batches."""
    conn = sqlite3.connect(db, isolation_level=None, cached_statements=16)
    for pragma in ("journal_mode = WAL", f"synchronous = {sync}", "foreign_keys = ON"):
        conn.execute(f"PRAGMA {pragma}")
    cpu0, start = time.process_time(), time.monotonic()
    for i, (rows, audits) in enumerate(work):
        if i % group == 0:
            conn.execute("BEGIN IMMEDIATE")
        if conn.execute(f"UPDATE counters SET value = value + {BATCH} WHERE name = 'seq' RETURNING value").fetchone() is None:
            raise SystemExit("no change counter")
        if conn.execute(INSERT_RECORDS, rows).rowcount != BATCH:
            raise SystemExit("a record did not go in")
        if audit:
            conn.execute(INSERT_AUDIT, audits)
        if i % group == group - 1 or i == len(work) - 1:
            conn.execute("COMMIT")
    wall, cpu = time.monotonic() - start, time.process_time() - cpu0
    conn.close()
    return wall, cpu


def appends(tmp, total):
    """No database at all: each batch's bytes appended to a file and fdatasync'd."""
    path = os.path.join(tmp, "log")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    chunk = b"x" * (BATCH * RECORD_BYTES)
    cpu0, start = time.process_time(), time.monotonic()
    for _ in range(total // BATCH):
        os.write(fd, chunk)
        os.fdatasync(fd)
    wall, cpu = time.monotonic() - start, time.process_time() - cpu0
    os.close(fd)
    os.remove(path)
    return wall, cpu


def main():
    total = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    variants = [
        ("full", False, True, True, "FULL", 1),
        ("full, synchronous=OFF", False, True, True, "OFF", 1),
        ("full, 1,000 records a commit", False, True, True, "FULL", 10),
        ("full, 10,000 records a commit", False, True, True, "FULL", 100),
        ("no audit", False, False, True, "FULL", 1),
        ("lean indexes", True, True, True, "FULL", 1),
        ("bare", True, False, False, "FULL", 1),
    ]
    lines = []
    with tempfile.TemporaryDirectory() as tmp:
        wall, cpu = appends(tmp, total)
        lines.append(("-", "no database: append + fdatasync", total / wall, cpu / total * 1e6))
        for kind in ["v7", "v4"]:
            work = batches(kind, total)
            for name, lean, audit, tally, sync, group in variants:
                db = os.path.join(tmp, f"{kind}.db")
                schema(db, lean, tally)
                wall, cpu = run(work, db, sync, audit, group)
                lines.append((kind, name, total / wall, cpu / total * 1e6))
                print(f"{kind} {name}: {total / wall:.0f} records/s, {cpu / total * 1e6:.1f} us CPU a record", flush=True)
                for suffix in ("", "-wal", "-shm"):
                    if os.path.exists(db + suffix):
                        os.remove(db + suffix)
    commit = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    # Reports of other benchmarks (docs/benchmarks/*.md) do not make the code uncommitted.
    dirty = [
        line for line in subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT, capture_output=True, text=True
        ).stdout.splitlines()
        if not (line[3:].startswith("docs/benchmarks/") and line.endswith(".md"))
    ]
    cpu_name = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.processor())
    report = [
        "# What SQLite alone ingests with Wardbook's schema (`docs/benchmarks/ingest_floor.py`)",
        "",
        "The floor under `cargo xtask bench ingest`: the same kind of records (about 600 B of JSON each),",
        "written in the statements the push writer uses (100-row inserts, bound values, prepared once),",
        "one durable transaction (WAL, synchronous=FULL) per 100 records, by Python's sqlite3 module",
        "with no server around them. Each variant takes a part of the schema away to price it. The",
        "CPU is the process's (Python's binding of the values included), the records made beforehand.",
        "",
        f"- date: {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC",
        f"- machine: {os.cpu_count()} vCPU {cpu_name}",
        f"- commit: {commit}{' (with uncommitted changes)' if dirty else ''}",
        f"- SQLite {sqlite3.sqlite_version} (Python's module, Debian's library; the server bundles its own through libsqlite3-sys)",
        f"- {total} records a variant",
        "",
        "| ids | variant | records/s | CPU a record |",
        "|---|---|---|---|",
    ]
    for kind, name, rate, cpu in lines:
        report.append(f"| {kind} | {name} | {rate:,.0f} | {cpu:.1f} µs |")
    report += [
        "",
        "**No database** is the disk's own floor: each batch's bytes (60 KB) appended to a file and",
        "`fdatasync`'d, nothing else.",
        "",
        "Variants: **full** is the schema as it is (**synchronous=OFF**: the same, not waiting for the",
        "disk); **1,000 (10,000) records a commit**: the same, one durable commit per 10 (100)",
        "batches, the best a writer filing behind an append log could do; **no audit** leaves out",
        "each record's audit row;",
        "**lean indexes** keeps only the records' id and change-number indexes and the audit rows",
        "without their indexes; **bare** is lean indexes without audit rows or the tally trigger.",
        "",
        "Run again: `python3 docs/benchmarks/ingest_floor.py [records]`; two runs on one machine can differ by a quarter.",
    ]
    with open(os.path.join(ROOT, "docs/benchmarks/ingest-floor.md"), "w") as f:
        f.write("\n".join(report) + "\n")


if __name__ == "__main__":
    main()
