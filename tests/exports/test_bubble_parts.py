"""The airlock's pieces that run in a bubble, without a server: the outbox watcher, reading, kinds."""

from __future__ import annotations

import hashlib
import logging
import os
import time
from pathlib import Path

import pytest

from bulle import audit
from bulle.audit.chain import GENESIS, link_hash
from bulle.audit.replay import replay_steps
from bulle.audit.store import StoredRecord
from bulle.exports import OutboxPathRefused, read_outbox_file
from bulle.extensions.airlock.handlers import suggested_kind
from bulle.extensions.airlock.watcher import OutboxWatcher
from bulle.extensions.recorder.capture import BubbleIdentity

WHO = BubbleIdentity("alice", "alpha", "alpha-notebook")


@pytest.fixture
def work(tmp_path: Path) -> Path:
    (tmp_path / "outbox").mkdir()
    return tmp_path


def watcher(work: Path, seen: list[audit.Event]) -> OutboxWatcher:
    return OutboxWatcher(WHO, work, seen.append, logging.getLogger("test"))


def test_the_watcher_records_each_new_or_changed_file_once(work: Path, tmp_path: Path) -> None:
    seen: list[audit.Event] = []
    looking = watcher(work, seen)
    (work / "outbox" / "ages.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    (work / "outbox" / "tables").mkdir()
    (work / "outbox" / "tables" / "sex.csv").write_text("s,n\nF,20\n", encoding="utf-8")
    looking.scan()
    assert sorted(e.object for e in seen if e.object) == ["ages.csv", "tables/sex.csv"]
    looking.scan()
    assert len(seen) == 2, "an unchanged file is not recorded again"
    time.sleep(0.01)
    (work / "outbox" / "ages.csv").write_text("a,b\n1,3\n", encoding="utf-8")
    (work / "outbox" / "link.csv").symlink_to(tmp_path / "elsewhere.csv")
    looking.scan()
    [changed] = seen[2:]
    assert changed.details == {
        "path": "ages.csv",
        "sha256": hashlib.sha256(b"a,b\n1,3\n").hexdigest(),
        "size": 8,
    }
    assert (changed.actor, changed.project, changed.bubble, changed.type) == (
        "alice",
        "alpha",
        "alice/alpha-notebook",
        "outbox.written",
    )
    assert changed.key is not None
    assert changed.key != seen[0].key


def test_a_restarted_watcher_makes_the_same_keys(work: Path) -> None:
    (work / "outbox" / "ages.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    first: list[audit.Event] = []
    second: list[audit.Event] = []
    watcher(work, first).scan()
    watcher(work, second).scan()
    assert [e.key for e in first] == [e.key for e in second], "the trail keeps one record of an unchanged file"


def test_the_replay_shows_files_written_to_the_outbox(work: Path) -> None:
    seen: list[audit.Event] = []
    (work / "outbox" / "ages.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    watcher(work, seen).scan()
    body = seen[0].body
    steps = replay_steps([StoredRecord(1, GENESIS, body, link_hash(GENESIS, body.encode()))])
    assert [(s.kind, s.text.split(" (")[0]) for s in steps] == [("outbox", "wrote outbox/ages.csv")]


def test_reading_a_file_keeps_its_first_bytes_and_the_whole_digest(work: Path) -> None:
    content = b"x" * 3000
    (work / "outbox" / "big.txt").write_bytes(content)
    read = read_outbox_file(work, "big.txt", max_bytes=100)
    assert (len(read.content), read.size, read.complete) == (101, 3000, False)
    assert read.sha256 == hashlib.sha256(content).hexdigest()
    whole = read_outbox_file(work, "big.txt")
    assert whole.complete
    assert whole.content == content


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda w: os.mkfifo(w / "outbox" / "f.csv"), "not a regular file"),
        (lambda w: (w / "outbox" / "f.csv").mkdir(), "not a regular file"),
        (lambda w: (w / "outbox" / "f.csv").symlink_to(w / "secret.csv"), "symbolic link or not a file"),
        (lambda w: None, "there is no f.csv in outbox/"),
    ],
    ids=["fifo", "folder", "link", "missing"],
)
def test_reading_refuses_what_is_not_a_plain_file_in_the_outbox(work: Path, make: object, message: str) -> None:
    (work / "secret.csv").write_text("s\n", encoding="utf-8")
    make(work)  # type: ignore[operator]
    with pytest.raises(OutboxPathRefused, match=message):
        read_outbox_file(work, "f.csv")


def test_reading_a_plain_file_in_the_outbox_works(work: Path) -> None:
    (work / "outbox" / "f.csv").write_text("s\n", encoding="utf-8")
    assert read_outbox_file(work, "f.csv").content == b"s\n"


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("ages.csv", "frequency"),
        ("tables/means.counts.csv", "counts"),
        ("plot.PNG", "figure"),
        ("summary.txt", "text"),
        ("model.html", "model"),
        ("notes", "text"),
    ],
)
def test_the_suggested_kind_follows_the_name(path: str, kind: str) -> None:
    assert suggested_kind(path) == kind
