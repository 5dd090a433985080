"""Verification: is the trail exactly what was written, and where does it stop being so?

:func:`verify_trail` checks, in this order:

1. the search columns are still generated from the record bodies (nobody
   altered the table to make them editable);
2. the seqs run from 1 without gaps (a gap is a deleted record);
3. every record's hash is the hash of its predecessor's hash and its body
   (:mod:`bulle.audit.scan`, in parallel for large trails); each break is
   explained: an *edited* record no longer matches its own hash, a record
   *out of order* follows a record that comes after it, an *inserted* record
   sits between two records that were written one after the other, and a
   record that follows none of the records present had its predecessor
   deleted (the later seqs renumbered) or replaced;
4. every checkpoint, from the database and from the checkpoint file, is
   signed by a given key, and the trail still holds the record it signed
   with the hash it signed: a trail that ends before a checkpoint was
   *truncated*, one whose record differs was *rewritten*.

The report lists findings by position; the first is the first broken record.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from multiprocessing import get_all_start_methods, get_context
from multiprocessing.context import BaseContext
from pathlib import Path

import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy.engine import Connection

from . import checkpoints, store
from .chain import GENESIS, link_hash
from .scan import scan_range

#: Below this many records, verification runs in the calling process.
PARALLEL_ABOVE = 400_000
MAX_EXPLAINED = 20


@dataclass(frozen=True, order=True)
class Finding:
    """One problem. ``seq`` is the first record concerned (0: the whole trail)."""

    seq: int
    kind: str  # altered-table, deleted, edited, reordered, inserted, broken-link, truncated, rewritten, checkpoint
    message: str


@dataclass
class VerifyReport:
    records: int = 0
    last_seq: int = 0
    checkpoints: int = 0
    last_checkpoint_seq: int = 0
    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings

    @property
    def first(self) -> Finding | None:
        return min(self.findings) if self.findings else None


def verify_trail(
    db_url: str,
    public_keys: Sequence[Ed25519PublicKey] = (),
    checkpoint_file: Path | None = None,
    workers: int | None = None,
) -> VerifyReport:
    """Check the trail in ``db_url``; see the module docstring for what is checked."""
    engine = store.open_engine(db_url)
    try:
        tables = store.make_tables(engine.dialect.name)
        if not sa.inspect(engine).has_table(store.EVENTS_TABLE):
            raise store.AuditStoreError(f"there is no audit trail in {engine.url.render_as_string()}")
        report = VerifyReport()
        with engine.connect() as conn:
            report.records, _, report.last_seq = store.seq_bounds(conn, tables)
            for column in store.derived_columns_intact(conn, tables):
                report.findings.append(
                    Finding(
                        0,
                        "altered-table",
                        f"the column {column!r} is no longer derived from the record bodies: "
                        "the table was altered so that searches can be misled",
                    )
                )
            missing = store.gaps(conn, tables)
            for first, last in missing:
                what = f"record {first} is" if first == last else f"records {first} to {last} are"
                report.findings.append(Finding(first, "deleted", f"{what} missing: deleted from the trail"))
        broken = _scan(engine.url.render_as_string(hide_password=False), report.last_seq, workers)
        with engine.connect() as conn:
            report.findings += _explain_breaks(conn, tables, broken)
            _check_checkpoints(conn, tables, report, public_keys, checkpoint_file)
        report.findings.sort()
        return report
    finally:
        engine.dispose()


def _scan(db_url: str, last_seq: int, workers: int | None) -> list[int]:
    """Seqs of the records whose stored hash does not follow from the record before them."""
    if last_seq == 0:
        return []
    workers = workers or os.cpu_count() or 1
    if last_seq < PARALLEL_ABOVE:
        workers = 1
    bounds = [(1 + i * last_seq // workers, (i + 1) * last_seq // workers) for i in range(workers)]
    engine = store.open_engine(db_url)
    try:
        with engine.connect() as conn:
            tables = store.make_tables(engine.dialect.name)
            starts = [_hash_before(conn, tables, first) for first, _ in bounds]
        jobs = [
            (db_url, store.EVENTS_TABLE, first, last, start)
            for (first, last), start in zip(bounds, starts, strict=True)
        ]
        if workers == 1:
            results = [scan_range(*jobs[0])]
        else:
            with ProcessPoolExecutor(workers, mp_context=_process_context()) as pool:
                results = list(pool.map(scan_range, *zip(*jobs, strict=True)))
        with engine.connect() as conn:
            return [
                _seq_at_position(conn, tables, first, position)
                for (first, _), (_, positions) in zip(bounds, results, strict=True)
                for position in positions
            ]
    finally:
        engine.dispose()


def _process_context() -> BaseContext:
    """Fork when this process has no other thread (the command line): workers start at once.

    Forking a process with threads can deadlock the child, so anywhere else
    (a hub, a test run with trails open) the workers are spawned afresh.
    """
    alone = threading.active_count() == 1 and "fork" in get_all_start_methods()
    return get_context("fork" if alone else "spawn")


def _hash_before(conn: Connection, tables: store.Tables, seq: int) -> bytes:
    t = tables.events
    row = conn.execute(sa.select(t.c.hash).where(t.c.seq < seq).order_by(t.c.seq.desc()).limit(1)).first()
    return GENESIS if row is None else bytes(row.hash)


def _seq_at_position(conn: Connection, tables: store.Tables, first: int, position: int) -> int:
    t = tables.events
    return int(
        conn.execute(
            sa.select(t.c.seq).where(t.c.seq >= first).order_by(t.c.seq).offset(position).limit(1)
        ).scalar_one()
    )


def _explain_breaks(conn: Connection, tables: store.Tables, broken: list[int]) -> list[Finding]:
    """Say what each broken link means; links broken as a consequence of an earlier finding are skipped."""
    findings: list[Finding] = []
    explained_until = 0
    unexplained = 0
    edited: set[int] = set()
    for seq in sorted(broken):
        record = store.record_at(conn, tables, seq)
        if record is None:  # deleted while we were reading
            continue
        if link_hash(record.prev, record.body.encode()) != record.hash:
            edited.add(seq)
            findings.append(Finding(seq, "edited", f"record {seq} was edited: its content no longer matches its hash"))
            continue
        if seq <= explained_until or seq - 1 in edited or _follows_a_gap(conn, tables, seq):
            continue
        if len(findings) >= MAX_EXPLAINED:
            unexplained += 1
            continue
        finding, explained_until = _explain_link(conn, tables, seq, record.prev)
        findings.append(finding)
    if unexplained:
        findings.append(
            Finding(max(broken), "broken-link", f"{unexplained} more records do not follow the one before them")
        )
    return findings


def _follows_a_gap(conn: Connection, tables: store.Tables, seq: int) -> bool:
    """Whether the record before ``seq`` is missing (its deletion is reported already)."""
    return seq > 1 and store.record_at(conn, tables, seq - 1) is None


def _explain_link(conn: Connection, tables: store.Tables, seq: int, prev: bytes) -> tuple[Finding, int]:
    """A self-consistent record whose predecessor is not the record before it."""
    owners = store.seqs_with_hash(conn, tables, prev)
    later = [m for m in owners if m > seq]
    earlier = [m for m in owners if m < seq - 1]
    if later:
        m = later[0]
        message = f"record {seq} is out of order: it was written after record {m} (records were swapped or moved)"
        return Finding(seq, "reordered", message), m + 1
    if earlier:
        m = earlier[-1]
        what = f"record {m + 1} was" if m + 1 == seq - 1 else f"records {m + 1} to {seq - 1} were"
        message = f"{what} inserted: record {seq} was written right after record {m}"
        return Finding(m + 1, "inserted", message), seq
    message = (
        f"record {seq} was not written after record {seq - 1}: the record between them was deleted "
        f"(and the later records renumbered), or record {seq - 1} was replaced"
    )
    return Finding(seq - 1, "broken-link", message), seq


def _check_checkpoints(
    conn: Connection,
    tables: store.Tables,
    report: VerifyReport,
    keys: Sequence[Ed25519PublicKey],
    checkpoint_file: Path | None,
) -> None:
    in_db = store.stored_checkpoints(conn, tables)
    in_file = checkpoints.read_file(checkpoint_file) if checkpoint_file else []
    if not keys:
        report.notes.append("checkpoints were not checked (no public key given): a cut end would go unnoticed")
        return
    bodies_in_db = {body for body, _ in in_db}
    valid: list[checkpoints.Checkpoint] = []
    for body, signature in checkpoints.unique([*in_db, *in_file]):
        checked = checkpoints.check_checkpoint(body, signature, keys)
        where = checked.checkpoint.seq if checked.checkpoint else 0
        if checked.problem is not None or checked.checkpoint is None:
            report.findings.append(
                Finding(where, "checkpoint", f"a checkpoint of record {where} is not valid: {checked.problem}")
            )
            continue
        valid.append(checked.checkpoint)
        if body not in bodies_in_db:
            report.findings.append(
                Finding(
                    where,
                    "checkpoint",
                    f"the checkpoint of record {where} signed at {checked.checkpoint.time} "
                    "was deleted from the database (it is still in the checkpoint file)",
                )
            )
    valid.sort(key=lambda c: c.seq)
    report.checkpoints = len(valid)
    matched = 0
    for checkpoint in valid:
        if checkpoint.seq > report.last_seq:
            first = report.last_seq + 1
            report.findings.append(
                Finding(
                    first,
                    "truncated",
                    f"the trail ends at record {report.last_seq}, but a checkpoint signed at "
                    f"{checkpoint.time} covers records up to {checkpoint.seq}: records {first} to "
                    f"{checkpoint.seq} were cut from its end",
                )
            )
            break
        record = store.record_at(conn, tables, checkpoint.seq)
        if record is not None and record.hash != checkpoint.hash:
            explained = any(f.seq and matched < f.seq <= checkpoint.seq for f in report.findings)
            if not explained:  # the chain itself holds together: it was recomputed after an edit
                report.findings.append(
                    Finding(
                        matched + 1,
                        "rewritten",
                        f"record {checkpoint.seq} is not the one signed at {checkpoint.time}: "
                        f"the trail was rewritten between records {matched + 1} and {checkpoint.seq}",
                    )
                )
            break
        matched = checkpoint.seq
    report.last_checkpoint_seq = matched
    if report.last_seq > matched and not any(f.kind in ("truncated", "rewritten") for f in report.findings):
        report.notes.append(
            f"records {matched + 1} to {report.last_seq} are not yet covered by a signed checkpoint: "
            "a cut of those would go unnoticed"
        )
