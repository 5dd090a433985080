"""Atomicity under a crash, and two ingests racing for one table (real processes, SIGKILL)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from pyiceberg.exceptions import NamespaceAlreadyExistsError
from sqlalchemy.exc import IntegrityError
from warehouse_helpers import KEY_SECRET, run_ingest, write_policy

from bulle.warehouse.catalog import open_catalog
from bulle.warehouse.commit import _ensure_namespace
from bulle.warehouse.config import Warehouse
from bulle.warehouse.history import table_history

SCRIPT = Path(__file__).with_name("ingest_process.py")
EVENTS = """\
name: {name}
kind: csv
location: {location}
namespace: shared
tables:
  - files: "*.csv"
    table: events
    columns:
      patient: string
      value: long
identifiers:
  patient: pseudonymise
"""


def add_source(root: Path, name: str, rows: list[str], file: str = "events.csv") -> None:
    data = root / "data" / name
    data.mkdir(parents=True, exist_ok=True)
    (data / file).write_text("patient,value\n" + "".join(f"{r}\n" for r in rows), encoding="utf-8")
    write_policy(root / "policy", {name: EVENTS.format(name=name, location=data)})


def start(settings: Warehouse, root: Path, source: str, mode: str) -> subprocess.Popen[str]:
    env = {**os.environ, "BULLE_PSEUDONYM_KEY": KEY_SECRET.decode()}
    env.pop("BULLE_PSEUDONYM_KEY_FILE", None)
    command = [sys.executable, str(SCRIPT), settings.state_dir, str(root / "policy"), source, mode, str(root)]
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for(path: Path, process: subprocess.Popen[str], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if process.poll() is not None:
            pytest.fail(f"the ingest process ended early: {process.stderr.read() if process.stderr else ''}")
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.02)


def rows(settings: Warehouse) -> list[int]:
    return sorted(open_catalog(settings).load_table("shared.events").scan().to_arrow().column("value").to_pylist())


def test_killing_the_ingest_mid_commit_leaves_the_previous_snapshot(tmp_path: Path, settings: Warehouse) -> None:
    add_source(tmp_path, "north", ["P1,1"])
    run_ingest(settings, tmp_path / "policy", "north")
    before = open_catalog(settings).load_table("shared.events").current_snapshot().snapshot_id
    (tmp_path / "data" / "north" / "more.csv").write_text("patient,value\nP2,2\n", encoding="utf-8")
    process = start(settings, tmp_path, "north", "hang")
    wait_for(tmp_path / "north.ready", process)
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=30)
    table = open_catalog(settings).load_table("shared.events")
    assert table.current_snapshot().snapshot_id == before
    assert rows(settings) == [1]
    metadata = sorted((Path(table.metadata_location.removeprefix("file://")).parent).glob("*.metadata.json"))
    assert metadata[-1].as_posix() != table.metadata_location.removeprefix("file://"), "a newer metadata was written"
    again = run_ingest(settings, tmp_path / "policy", "north")
    assert again.committed
    assert rows(settings) == [1, 2]


def test_two_concurrent_ingests_into_one_table_lose_no_commit(tmp_path: Path, settings: Warehouse) -> None:
    add_source(tmp_path, "north", ["P1,1", "P2,2"])
    add_source(tmp_path, "south", ["P3,3"])
    open_catalog(settings)  # create the catalog's tables once, before the race
    (tmp_path / "expected").write_text("north south")
    processes = [start(settings, tmp_path, name, "barrier") for name in ("north", "south")]
    for process in processes:
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
        assert out.strip() == "committed"
    assert rows(settings) == [1, 2, 3]
    history = table_history(open_catalog(settings).load_table("shared.events"))
    assert sorted(h.source for h in history if h.operation == "append") == ["north", "south"]


def test_a_namespace_another_ingest_creates_meanwhile_is_used(settings: Warehouse) -> None:
    ours, theirs = open_catalog(settings), open_catalog(settings)

    def check_then_insert_with_the_other_run_in_between(namespace: str, properties: object = None) -> None:
        assert not ours.namespace_exists(namespace)  # our check passes...
        theirs.create_namespace(namespace)  # ...the other run inserts first...
        ours.create_namespace(namespace)  # ...and our insert meets its row

    with pytest.raises((NamespaceAlreadyExistsError, IntegrityError)):
        check_then_insert_with_the_other_run_in_between("neighbour")  # the race, unguarded
    ours.create_namespace_if_not_exists = check_then_insert_with_the_other_run_in_between  # type: ignore[method-assign]
    _ensure_namespace(ours, "clinic")
    assert ours.namespace_exists("clinic")
