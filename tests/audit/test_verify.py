"""Verification finds each kind of tampering, at the right record, on SQLite and PostgreSQL.

Each test writes a real trail (checkpoints every 5 records), tampers with the
database the way someone with write access to it could, and checks the first
finding: its kind and its position.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from bulle import audit
from bulle.audit import checkpoints, verify
from bulle.audit.chain import link_hash
from bulle.audit.verify import VerifyReport, verify_trail

from .conftest import make_event

RECORDS = 30


@pytest.fixture
def written(db_url: str, key_file: Path, checkpoint_file: Path) -> str:
    """A trail of 30 records, with a checkpoint every 5."""
    trail = audit.AuditTrail(
        db_url=db_url,
        signing_key_file=str(key_file),
        checkpoint_file=str(checkpoint_file),
        create_signing_key=True,
        checkpoint_records=5,
    ).open()
    try:
        for start in range(0, RECORDS, 5):  # one commit, then one checkpoint, per 5 records
            trail.record_many([make_event("auth.login", actor=f"user{i + 1}") for i in range(start, start + 5)]).wait()
    finally:
        trail.close()
    return db_url


@pytest.fixture
def check(key_file: Path, checkpoint_file: Path) -> Any:
    def run(db_url: str, **options: Any) -> VerifyReport:
        return verify_trail(db_url, [checkpoints.load_public_key(key_file)], checkpoint_file, **options)

    return run


def sql(db_url: str, statement: str, **params: Any) -> list[Any]:
    engine = sa.create_engine(db_url)
    try:
        with engine.begin() as conn:
            result = conn.execute(sa.text(statement), params)
            return list(result) if result.returns_rows else []
    finally:
        engine.dispose()


def row(db_url: str, seq: int) -> Any:
    return sql(db_url, "SELECT seq, prev, body, hash FROM bulle_audit_events WHERE seq = :seq", seq=seq)[0]


def put(db_url: str, seq: int, prev: bytes, body: str, digest: bytes) -> None:
    sql(
        db_url,
        "UPDATE bulle_audit_events SET prev = :prev, body = :body, hash = :hash WHERE seq = :seq",
        seq=seq,
        prev=prev,
        body=body,
        hash=digest,
    )


def first(report: VerifyReport) -> tuple[int, str]:
    assert not report.ok, "the tampering went unnoticed"
    assert report.first is not None
    return report.first.seq, report.first.kind


def test_an_untouched_trail_verifies(written: str, check: Any) -> None:
    report = check(written)
    assert report.ok, report.findings
    assert (report.records, report.last_seq, report.last_checkpoint_seq) == (RECORDS, RECORDS, RECORDS)
    assert report.checkpoints == RECORDS // 5


def test_a_single_byte_edit_of_a_body_is_found_at_its_record(written: str, check: Any) -> None:
    record = row(written, 12)
    at = record.body.index('"time":"') + 20  # a digit of the time: the JSON stays valid
    body = record.body[:at] + ("1" if record.body[at] != "1" else "2") + record.body[at + 1 :]
    put(written, 12, record.prev, body, record.hash)
    assert first(check(written)) == (12, "edited")


@pytest.mark.parametrize("column", ["prev", "hash"])
def test_a_single_byte_edit_of_a_stored_hash_is_found_at_its_record(written: str, check: Any, column: str) -> None:
    record = row(written, 12)
    value = bytearray(getattr(record, column))
    value[7] ^= 0x01
    tampered = {"prev": record.prev, "hash": record.hash, column: bytes(value)}
    put(written, 12, tampered["prev"], record.body, tampered["hash"])
    report = check(written)
    assert first(report) == (12, "edited")


def test_a_deleted_record_is_found_missing(written: str, check: Any) -> None:
    sql(written, "DELETE FROM bulle_audit_events WHERE seq = 12")
    report = check(written)
    assert first(report) == (12, "deleted")
    assert report.first is not None
    assert report.first.message == "record 12 is missing: deleted from the trail"


def test_a_swapped_pair_is_found_out_of_order(written: str, check: Any) -> None:
    a, b = row(written, 12), row(written, 13)
    put(written, 12, b.prev, b.body, b.hash)
    put(written, 13, a.prev, a.body, a.hash)
    report = check(written)
    assert first(report) == (12, "reordered")
    assert report.first is not None
    assert "written after record 13" in report.first.message


def test_an_inserted_record_is_found(written: str, check: Any) -> None:
    sql(written, "UPDATE bulle_audit_events SET seq = -seq - 1 WHERE seq >= 12")
    sql(written, "UPDATE bulle_audit_events SET seq = -seq WHERE seq < 0")
    before = row(written, 11)
    forged = make_event("auth.login", actor="ghost").body
    sql(
        written,
        "INSERT INTO bulle_audit_events (seq, prev, body, hash) VALUES (12, :prev, :body, :hash)",
        prev=before.hash,
        body=forged,
        hash=link_hash(before.hash, forged.encode()),
    )
    assert first(check(written)) == (12, "inserted")


@pytest.mark.parametrize("checkpoints_in_db", ["kept", "deleted too"])
def test_a_truncated_tail_is_found_by_the_checkpoints(written: str, check: Any, checkpoints_in_db: str) -> None:
    sql(written, "DELETE FROM bulle_audit_events WHERE seq > 27")
    if checkpoints_in_db == "deleted too":  # the copies in the checkpoint file remain
        sql(written, "DELETE FROM bulle_audit_checkpoints WHERE seq > 27")
    report = check(written)
    assert first(report) == (28, "truncated")
    assert report.first is not None
    assert "records 28 to 30 were cut from its end" in report.first.message


def test_a_rechained_rewrite_is_found_by_the_checkpoints(written: str, check: Any) -> None:
    """Someone edits record 12 and recomputes every later hash: only the signed checkpoints show it."""
    previous = row(written, 11).hash
    for seq in range(12, RECORDS + 1):
        record = row(written, seq)
        body = record.body.replace('"user12"', '"mallory"')
        digest = link_hash(previous, body.encode())
        put(written, seq, previous, body, digest)
        previous = digest
    report = check(written)
    assert first(report) == (11, "rewritten")
    assert report.first is not None
    assert "between records 11 and 15" in report.first.message


def test_a_forged_checkpoint_is_found(written: str, check: Any) -> None:
    body = (
        '{"format":"bulle-audit-checkpoint/1","hash":"00","key_id":"x","seq":40,"time":"2030-01-01T00:00:00.000000Z"}'
    )
    sql(
        written,
        "INSERT INTO bulle_audit_checkpoints (seq, body, signature) VALUES (40, :body, :sig)",
        body=body,
        sig=b"x",
    )
    assert first(check(written)) == (40, "checkpoint")


def test_a_checkpoint_deleted_from_the_database_is_found_from_its_copy(written: str, check: Any) -> None:
    sql(written, "DELETE FROM bulle_audit_checkpoints WHERE seq = 15")
    assert first(check(written)) == (15, "checkpoint")


def test_without_the_key_the_checkpoints_are_not_checked_and_it_says_so(written: str) -> None:
    sql(written, "DELETE FROM bulle_audit_events WHERE seq > 27")
    report = verify_trail(written)
    assert report.ok
    assert "checkpoints were not checked" in report.notes[0]


def test_a_search_column_made_editable_is_found(tmp_path: Path, key_file: Path, checkpoint_file: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'hub.sqlite'}"
    with audit.open_trail(db_url) as trail:
        trail.record(make_event()).wait()
    sql(db_url, "DROP INDEX ix_bulle_audit_events_actor")
    sql(db_url, "ALTER TABLE bulle_audit_events DROP COLUMN actor")
    sql(db_url, "ALTER TABLE bulle_audit_events ADD COLUMN actor TEXT")
    report = verify_trail(db_url)
    assert first(report) == (0, "altered-table")


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # the parallel path is the same on both
def test_parallel_verification_finds_the_same(written: str, check: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(verify, "PARALLEL_ABOVE", 0)
    record = row(written, 22)
    put(written, 22, record.prev, record.body.replace("user22", "user23"), record.hash)
    report = check(written, workers=2)
    assert first(report) == (22, "edited")
    assert len(report.findings) == 1, "the range boundary (record 15/16) must not look broken"
