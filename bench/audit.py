"""Benchmark of the audit trail against plain SQLite inserts of the same events, in one run.

Measures, on a fresh SQLite database (the embedded default; PostgreSQL with
``--db-url``):

- **burst**: every event handed to the trail at once; the group-commit
  writer drains them; events per second and number of commits;
- **paced**: events offered at ``--rate`` per second for ``--seconds``; the
  rate achieved and the commit latency (from ``record()`` to the receipt)
  at the median, 99th percentile and worst;
- **plain SQLite, one transaction per event**: the same bodies inserted
  into a plain table with a commit each (what an audit log without group
  commit does), on ``--plain-events`` events;
- **plain SQLite, one transaction**: the same bodies in one bulk insert
  (the ceiling: no chain, no search columns, no durability per event);
- **verify**: a trail of ``--verify-events`` records (same format, written
  in bulk) checked by ``verify_trail`` with every CPU, against reading the
  same rows without checking them.

Targets (issue 5): at least 5,000 events/s with a commit latency of at most
100 ms, and 10 million records verified in under 30 s. Results are printed
and written as JSON (``--out``, default ``bench/results/audit.json``).

    .venv/bin/python bench/audit.py                            # default sizes, a few minutes
    .venv/bin/python bench/audit.py --verify-events 10000000   # the full-size verification
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from sqlalchemy import make_url

from bulle import audit
from bulle.audit import store
from bulle.audit.chain import GENESIS, link_hash
from bulle.audit.verify import verify_trail

T0 = dt.datetime(2026, 5, 1, 12, 0, tzinfo=dt.UTC)


def kernel_execute(i: int) -> audit.Event:
    """A realistic record: a notebook cell of a few lines."""
    code = f"df = spark.table('cohort.visits').filter(col('visit_id') > {i})\ndf.groupBy('site').count().show()"
    return audit.make_event(
        "kernel.execute",
        actor="alice",
        time=T0 + dt.timedelta(microseconds=i),
        project="psy-cohort",
        bubble="alice/psy-cohort-notebook",
        object="analyses/visits.ipynb",
        key=f"{i:032x}",
        details={
            "kernel_id": "0f3c7c4e-5b8f-4a53-a0a1-7d1f1a9f0c11",
            "kernel_name": "python3",
            "language": "python",
            "msg_id": f"{i:032x}",
            "session": "8d2f5b1e9c7a4f3e",
            "cell_id": f"cell-{i % 50}",
            "code": code,
            "code_sha256": "0" * 64,
            "code_size": len(code),
            "code_truncated": False,
            "silent": False,
        },
    )


def open_bench_trail(db_url: str, workdir: Path) -> audit.AuditTrail:
    return audit.AuditTrail(
        db_url=db_url,
        signing_key_file=str(workdir / "key.pem"),
        checkpoint_file=str(workdir / "checkpoints.jsonl"),
        create_signing_key=True,
    ).open()


def burst(db_url: str, workdir: Path, events: list[audit.Event]) -> dict[str, Any]:
    trail = open_bench_trail(db_url, workdir)
    try:
        started = time.perf_counter()
        receipts = [trail.record(event) for event in events]
        receipts[-1].wait(timeout=3600)
        elapsed = time.perf_counter() - started
        return {
            "events": len(events),
            "seconds": elapsed,
            "events_per_s": len(events) / elapsed,
            "commits": trail.writer.commits,
        }
    finally:
        trail.close()


def paced(db_url: str, workdir: Path, events: list[audit.Event], rate: float) -> dict[str, Any]:
    trail = open_bench_trail(db_url, workdir)
    latencies: list[float] = []
    lock = threading.Lock()

    def done(submitted: float) -> Any:
        def callback(_: audit.Receipt) -> None:
            with lock:
                latencies.append(time.perf_counter() - submitted)

        return callback

    try:
        started = time.perf_counter()
        last = None
        for i, event in enumerate(events):
            # Submit what is due, then sleep to the next millisecond: a producer that wakes
            # 5,000 times a second would measure the benchmark's own overhead.
            ahead = started + i / rate - time.perf_counter()
            if ahead > 0:
                time.sleep(max(ahead, 0.001))
            submitted = time.perf_counter()
            last = trail.record(event)
            last.add_done_callback(done(submitted))
        assert last is not None
        last.wait(timeout=3600)
        elapsed = time.perf_counter() - started
        while len(latencies) < len(events):
            time.sleep(0.01)
        ordered = sorted(latencies)
        return {
            "offered_per_s": rate,
            "events": len(events),
            "achieved_per_s": len(events) / elapsed,
            "latency_ms_p50": 1000 * statistics.median(ordered),
            "latency_ms_p99": 1000 * ordered[int(0.99 * (len(ordered) - 1))],
            "latency_ms_max": 1000 * ordered[-1],
            "commits": trail.writer.commits,
        }
    finally:
        trail.close()


def plain_sqlite(path: Path, bodies: list[str], one_transaction: bool) -> dict[str, Any]:
    """The same bodies into a plain table: the baseline."""
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("CREATE TABLE IF NOT EXISTS plain_audit (seq INTEGER PRIMARY KEY, body TEXT NOT NULL)")
    started = time.perf_counter()
    if one_transaction:
        db.execute("BEGIN")
        db.executemany("INSERT INTO plain_audit (body) VALUES (?)", ((b,) for b in bodies))
        db.execute("COMMIT")
    else:
        for body in bodies:
            db.execute("INSERT INTO plain_audit (body) VALUES (?)", (body,))  # autocommit: one transaction each
    elapsed = time.perf_counter() - started
    db.close()
    return {"events": len(bodies), "seconds": elapsed, "events_per_s": len(bodies) / elapsed}


def build_trail(db_url: str, count: int) -> float:
    """A trail of ``count`` records in the trail's own format, written in bulk; returns seconds."""
    engine = store.open_engine(db_url)
    tables = store.create_tables(engine)
    engine.dispose()
    template = kernel_execute(0).body
    db = sqlite3.connect(sa_path(db_url), isolation_level=None)
    started = time.perf_counter()
    prev, batch = GENESIS, []
    for seq in range(1, count + 1):
        body = template.replace('"msg_id":"' + "0" * 32, f'"msg_id":"{seq:032x}', 1).replace(
            '"key":"' + "0" * 32, f'"key":"{seq:032x}', 1
        )
        digest = link_hash(prev, body.encode())
        batch.append((seq, prev, body, digest))
        prev = digest
        if len(batch) == 100_000 or seq == count:
            db.execute("BEGIN")
            insert = f"INSERT INTO {tables.events.name} (seq, prev, body, hash) VALUES (?, ?, ?, ?)"  # noqa: S608
            db.executemany(insert, batch)
            db.execute("COMMIT")
            batch = []
    db.close()
    return time.perf_counter() - started


def sa_path(db_url: str) -> str:
    return str(make_url(db_url).database)


def read_rows(db_url: str) -> float:
    """Read every record's columns without checking anything: the floor for verification."""
    db = sqlite3.connect(sa_path(db_url))
    db.text_factory = bytes
    started = time.perf_counter()
    cursor = db.execute(f"SELECT prev, body, hash FROM {store.EVENTS_TABLE} ORDER BY seq")  # noqa: S608
    while cursor.fetchmany(20_000):
        pass
    db.close()
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=50_000, help="events for the burst (default 50,000)")
    parser.add_argument("--rate", type=float, default=5000, help="offered events/s in the paced run (default 5,000)")
    parser.add_argument("--seconds", type=float, default=10, help="length of the paced run (default 10 s)")
    parser.add_argument(
        "--plain-events", type=int, default=2000, help="events for plain one-commit-each (default 2,000)"
    )
    parser.add_argument(
        "--verify-events", type=int, default=1_000_000, help="size of the trail to verify (default 1 M)"
    )
    parser.add_argument("--workdir", type=Path, help="where the databases go (default: a temporary folder)")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "audit.json")
    args = parser.parse_args(argv)

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="bulle-bench-audit-"))
    workdir.mkdir(parents=True, exist_ok=True)
    paced_count = max(1, int(args.rate * args.seconds))
    events = [kernel_execute(i) for i in range(max(args.events, paced_count))]
    bodies = [e.body for e in events]
    results: dict[str, Any] = {"machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]}}

    results["bulle_burst"] = burst(f"sqlite:///{workdir / 'burst.sqlite'}", workdir / "burst", events[: args.events])
    results["bulle_paced"] = paced(
        f"sqlite:///{workdir / 'paced.sqlite'}", workdir / "paced", events[:paced_count], args.rate
    )
    results["plain_sqlite_commit_each"] = plain_sqlite(
        workdir / "plain-each.sqlite", bodies[: args.plain_events], False
    )
    results["plain_sqlite_one_transaction"] = plain_sqlite(workdir / "plain-one.sqlite", bodies[: args.events], True)

    verify_url = f"sqlite:///{workdir / 'verify.sqlite'}"
    built = build_trail(verify_url, args.verify_events)
    read = read_rows(verify_url)
    started = time.perf_counter()
    report = verify_trail(verify_url)
    checked = time.perf_counter() - started
    results["verify"] = {
        "records": report.records,
        "ok": report.ok,
        "build_seconds": built,
        "read_rows_seconds": read,
        "verify_seconds": checked,
        "records_per_s": report.records / checked,
        "seconds_for_10M": checked * 10_000_000 / report.records,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(summary(results))
    return results


def summary(r: dict[str, Any]) -> str:
    burst_, paced_, each, bulk, check = (
        r[k]
        for k in ("bulle_burst", "bulle_paced", "plain_sqlite_commit_each", "plain_sqlite_one_transaction", "verify")
    )
    rows = [
        (
            "bulle, burst (group commit)",
            burst_["events_per_s"],
            f"{burst_['events']:,} events in {burst_['commits']} commits",
        ),
        (
            f"bulle, paced at {paced_['offered_per_s']:,.0f}/s",
            paced_["achieved_per_s"],
            f"latency p50 {paced_['latency_ms_p50']:.1f} ms, p99 {paced_['latency_ms_p99']:.1f} ms, "
            f"max {paced_['latency_ms_max']:.1f} ms",
        ),
        (
            "plain SQLite, one commit per event",
            each["events_per_s"],
            f"bulle burst is {burst_['events_per_s'] / each['events_per_s']:.0f}x faster",
        ),
        (
            "plain SQLite, all in one transaction",
            bulk["events_per_s"],
            f"bulle burst reaches {burst_['events_per_s'] / bulk['events_per_s']:.2f} of it",
        ),
        (
            f"verify {check['records']:,} records",
            check["records_per_s"],
            f"{check['verify_seconds']:.1f} s (reading the rows alone: {check['read_rows_seconds']:.1f} s); "
            f"10 M at this rate: {check['seconds_for_10M']:.0f} s; ok={check['ok']}",
        ),
    ]
    lines = [f"{'run':<44} {'events/s':>10}  notes"]
    lines += [f"{name:<44} {rate:>10,.0f}  {notes}" for name, rate, notes in rows]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
