"""Appending to the trail: group commit, order, idempotency, several writers, failures."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa

from bulle import audit
from bulle.audit import checkpoints, store
from bulle.audit.chain import GENESIS, link_hash
from bulle.audit.verify import verify_trail

from .conftest import make_event

Make = Callable[..., audit.Event]


def signed_seqs(checkpoint_file: Path) -> list[int]:
    return [json.loads(body)["seq"] for body, _ in checkpoints.read_file(checkpoint_file)]


def stored(trail: audit.AuditTrail) -> list[store.StoredRecord]:
    with trail.reading() as conn:
        return store.find_records(conn, trail.tables, store.RecordFilter())


def test_records_are_numbered_and_chained_in_order(trail: audit.AuditTrail, make: Make) -> None:
    seqs = [trail.record(make(actor=f"user{i}")).wait() for i in range(5)]
    assert seqs == [1, 2, 3, 4, 5]
    records = stored(trail)
    assert [r.event["actor"] for r in records] == [f"user{i}" for i in range(5)]
    previous = GENESIS
    for record in records:
        assert record.prev == previous
        assert record.hash == link_hash(previous, record.body.encode())
        previous = record.hash


def test_events_queued_together_share_a_few_commits(trail: audit.AuditTrail, make: Make) -> None:
    events = [make(actor=f"user{i}") for i in range(300)]
    receipts = [trail.record(event) for event in events]
    assert [r.wait(timeout=60) for r in receipts] == list(range(1, 301))
    assert trail.writer.commits <= 10, "queued events must be committed in groups, not one by one"


def test_events_recorded_together_are_contiguous_and_in_order(trail: audit.AuditTrail, make: Make) -> None:
    trail.record(make(actor="before")).wait()
    seqs = trail.record_many([make("terminal.input", key=f"k{i}") for i in range(4)]).wait()
    assert seqs == [2, 3, 4, 5]


def test_an_idempotency_key_is_appended_once(trail: audit.AuditTrail, make: Make) -> None:
    first = trail.record_many([make("terminal.input", key="same"), make("terminal.input", key="other")]).wait()
    again = trail.record_many([make("terminal.input", key="same"), make("terminal.input", key="new")]).wait()
    assert first == [1, 2]
    assert again == [1, 3], "the known key answers its first seq; only the new one is appended"
    assert len(stored(trail)) == 3


def test_a_key_repeated_in_one_batch_is_appended_once(trail: audit.AuditTrail, make: Make) -> None:
    seqs = trail.record_many([make("terminal.input", key="twice"), make("terminal.input", key="twice")]).wait()
    assert seqs == [1, 1]


async def test_a_receipt_can_be_awaited(trail: audit.AuditTrail, make: Make) -> None:
    assert await trail.record(make()) == 1


def test_two_writers_on_one_database_keep_one_chain(
    db_url: str, key_file: Path, checkpoint_file: Path, make: Make
) -> None:
    """The hub and a command-line tool append at the same time: the append lock keeps the chain whole."""
    with (
        audit.open_trail(db_url, signing_key_file=key_file, create_signing_key=True) as hub,
        audit.open_trail(db_url) as tool,
    ):

        def append(trail: audit.AuditTrail, who: str) -> None:
            for i in range(40):
                trail.record(make(actor=f"{who}{i}")).wait(timeout=60)

        threads = [threading.Thread(target=append, args=(t, name)) for t, name in ((hub, "hub"), (tool, "tool"))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        records = stored(hub)
    assert [r.seq for r in records] == list(range(1, 81))
    assert verify_trail(db_url).ok


def test_closing_commits_what_is_queued_and_signs_the_end(
    db_url: str, key_file: Path, checkpoint_file: Path, make: Make
) -> None:
    with audit.open_trail(
        db_url, signing_key_file=key_file, checkpoint_file=checkpoint_file, create_signing_key=True
    ) as trail:
        receipts = [trail.record(make(actor=f"u{i}")) for i in range(50)]
    assert all(r.done() for r in receipts)
    assert signed_seqs(checkpoint_file)[-1] == 50, "the last record is signed at close"
    with pytest.raises(audit.AuditClosed):
        trail.record(make())


def test_an_idle_trail_signs_its_end_after_the_interval(db_url: str, key_file: Path, checkpoint_file: Path) -> None:
    trail = audit.AuditTrail(
        db_url=db_url,
        signing_key_file=str(key_file),
        checkpoint_file=str(checkpoint_file),
        create_signing_key=True,
        checkpoint_interval=0.2,
    ).open()
    try:
        trail.record(make_event()).wait()
        deadline = time.monotonic() + 30
        while not checkpoint_file.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert signed_seqs(checkpoint_file) == [1]
    finally:
        trail.close()


def test_a_failed_write_fails_the_receipt(trail: audit.AuditTrail, make: Make) -> None:
    trail.record(make()).wait()
    engine = sa.create_engine(trail.db_url)
    with engine.begin() as conn:
        conn.exec_driver_sql(f"DROP TABLE {store.EVENTS_TABLE}")
    engine.dispose()
    with pytest.raises(audit.AuditWriteFailed, match="could not be written"):
        trail.record(make()).wait(timeout=60)


def test_record_writes_to_the_installed_trail(trail: audit.AuditTrail, make: Make) -> None:
    audit.install(None)
    with pytest.raises(audit.AuditUnavailable, match="no audit trail is open"):
        audit.record(make())
    audit.install(trail)
    try:
        assert audit.record(make()).wait() == 1
    finally:
        audit.install(None)


def test_only_sqlite_and_postgresql_can_hold_the_trail() -> None:
    with pytest.raises(store.AuditStoreError, match="needs a SQLite or PostgreSQL database, not 'mysql'"):
        audit.AuditTrail(db_url="mysql://db/hub").open()
