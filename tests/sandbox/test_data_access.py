"""``from bulle.data import connect`` in real sandboxed bubbles of two projects, and the audit trail.

The hub's state holds a small real warehouse (OMOP and SNDS, 40 patients)
whose grants were extracted with ``bulle extract`` before the hub started:
psy-cohort is granted what ``tests/data`` calls alpha, snds-cardio what it
calls beta. Each project's kernel sees its own tables only, with its own
pseudonyms; each connection is recorded (``data.connected``); a version in
use by a running bubble outlives a newer extract until the bubble stops.
"""

from __future__ import annotations

import datetime as dt
import json
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from bulle import audit
from bulle.audit.store import RecordFilter, find_records
from bulle.cli.extract import run_extracts
from bulle.cli.trail import tool_trail
from bulle.data.versions import ExtractVersions
from bulle.state import StateLayout
from bulle.warehouse.config import Warehouse
from bulle.warehouse.ingest import ingest
from bulle.warehouse.synth import write_omop, write_snds
from tests.data.extracts import ALPHA_GRANTS, BETA_GRANTS, PATIENTS, SECRET, SOURCES
from tests.hub.conftest import make_state
from tests.hub.hubprocess import HubClient, HubProcess

from .conftest import start_bubble, write_sandbox_policy
from .kernel import KernelSession

pytestmark = pytest.mark.integration

GRANTS = {"psy-cohort": ALPHA_GRANTS, "snds-cardio": BETA_GRANTS}

PROBE = """
import json, os
from bulle.data import connect, tables
con = connect()
folder = os.environ["BULLE_DATA_DIR"]
print(json.dumps({
    "version": os.path.basename(folder),
    "mounted": sorted(os.listdir(os.path.dirname(folder))),
    "tables": sorted(r[0] for r in con.sql("SHOW TABLES").fetchall()),
    "people": sorted(r[0] for r in con.sql("SELECT person_id FROM omop_person").fetchall()),
    "listed": sorted(t.name for t in tables()),
}))
"""


def extract(warehouse: Warehouse, policy_dir: Path, projects: list[str]) -> bool:
    """``bulle extract`` of ``projects``, recorded in the state folder's trail as the command does."""
    with tool_trail(warehouse.layout.root, None, create=True) as trail:
        return run_extracts(warehouse, policy_dir, projects, trail, "os:test", echo=lambda _: None)


def write_policy(directory: Path, today: dt.date) -> None:
    write_sandbox_policy(directory, today)
    for project, grants in GRANTS.items():
        with (directory / "projects" / f"{project}.yaml").open("a", encoding="utf-8") as handle:
            handle.write("grants:\n" + grants)
    data = directory.parent / "data"
    write_omop(data / "omop", PATIENTS, seed=7)
    write_snds(data / "snds", PATIENTS, seed=7, only={"IR_BEN_R"})
    (directory / "sources").mkdir()
    for name, text in SOURCES.items():
        (directory / "sources" / f"{name}.yaml").write_text(text.format(data=data), encoding="utf-8")


@pytest.fixture(scope="module")
def settings(traversable_tmp: Path) -> tuple[Path, Warehouse]:
    policy_dir, state_dir = make_state(traversable_tmp, "data-access", write_policy)
    key_file = state_dir.parent / "pseudonym.key"
    key_file.write_bytes(SECRET)
    warehouse = Warehouse(state_dir=str(state_dir), pseudonym_key_file=str(key_file))
    for source in SOURCES:
        assert ingest(warehouse, policy_dir, source).committed
    assert extract(warehouse, policy_dir, list(GRANTS))
    return policy_dir, warehouse


@pytest.fixture(scope="module")
def sandbox_hub(settings: tuple[Path, Warehouse]) -> Iterator[HubProcess]:
    """This module's hub (the conftest's ``alice`` and ``bob`` log in to it)."""
    policy_dir, warehouse = settings
    hub = HubProcess(policy_dir, warehouse.layout.root).start()
    yield hub
    hub.stop()


def probe(client: HubClient, user: str, server: str, code: str = PROBE) -> object:
    session = KernelSession(client, user, server)
    try:
        return session.probe(textwrap.dedent(code))
    finally:
        session.close()


def records(layout: StateLayout, kind: str) -> list[dict[str, object]]:
    with audit.open_trail(f"sqlite:///{layout.hub_db}") as trail, trail.reading() as conn:
        return [r.event for r in find_records(conn, trail.tables, RecordFilter(types=(kind,)), limit=100)]


def test_each_project_reads_its_own_extract_with_its_own_pseudonyms(
    alice: HubClient, bob: HubClient, settings: tuple[Path, Warehouse]
) -> None:
    start_bubble(alice, "alice", "psy-cohort-notebook")
    start_bubble(bob, "bob", "snds-cardio-notebook")
    mine = probe(alice, "alice", "psy-cohort-notebook")
    theirs = probe(bob, "bob", "snds-cardio-notebook")
    assert isinstance(mine, dict)
    assert isinstance(theirs, dict)
    assert mine["tables"] == mine["listed"] == ["omop_condition_occurrence", "omop_person"]
    assert theirs["tables"] == ["omop_person", "snds_ir_ben_r"]
    assert (mine["version"], mine["mounted"]) == ("v1", ["v1"])
    assert 0 < len(mine["people"]) < len(theirs["people"]) == PATIENTS
    assert set(mine["people"]).isdisjoint(theirs["people"])


def test_another_projects_tables_and_files_are_out_of_reach(alice: HubClient, settings: tuple[Path, Warehouse]) -> None:
    layout = settings[1].layout
    theirs = ExtractVersions(layout.data_dir("snds-cardio")).current_dir()
    seen = probe(
        alice,
        "alice",
        "psy-cohort-notebook",
        f"""
        import json, os
        import duckdb
        from bulle.data import connect
        con = connect()
        found = {{}}
        for name, sql in {{
            "table": "SELECT count(*) FROM snds_ir_ben_r",
            "file": "SELECT count(*) FROM read_parquet('{theirs}/snds_ir_ben_r.parquet')",
            "own": "SELECT count(*) FROM omop_person",
        }}.items():
            try:
                found[name] = con.sql(sql).fetchone()[0]
            except duckdb.Error as exc:
                found[name] = type(exc).__name__
        found["listing"] = os.path.exists("{theirs}")
        print(json.dumps(found))
        """,
    )
    assert seen == {"table": "CatalogException", "file": "PermissionException", "own": 18, "listing": False}


def test_connections_are_recorded_and_a_forged_one_is_refused(
    alice: HubClient, settings: tuple[Path, Warehouse]
) -> None:
    layout = settings[1].layout
    connected = records(layout, "data.connected")
    assert {(r["actor"], r["project"], r["bubble"]) for r in connected} >= {
        ("alice", "psy-cohort", "alice/psy-cohort-notebook"),
        ("bob", "snds-cardio", "bob/snds-cardio-notebook"),
    }
    alices = next(r for r in connected if r["actor"] == "alice")
    details = alices["details"]
    assert isinstance(details, dict)
    assert (details["backend"], details["version"]) == ("duckdb", "v1")
    assert [t["name"] for t in details["tables"]] == ["omop_person", "omop_condition_occurrence"]
    forged = probe(
        alice,
        "alice",
        "psy-cohort-notebook",
        """
        import dataclasses, datetime, json, os
        from bulle.data.record import BubbleContext, NotRecorded, connected_event, send_record
        context = BubbleContext.from_environment(os.environ)
        other = dataclasses.replace(context, project="snds-cardio")
        try:
            send_record(context, connected_event(other, {"backend": "duckdb"}, datetime.datetime.now(datetime.UTC)))
            print(json.dumps("recorded"))
        except NotRecorded as exc:
            print(json.dumps(str(exc)))
        """,
    )
    assert isinstance(forged, str)
    assert "refused to record this connection (403)" in forged
    refusals = records(layout, "audit.write-refused")
    assert any("snds-cardio" in json.dumps(r["details"]) for r in refusals)
    extracted = records(layout, "data.extracted")
    assert {(r["project"], r["details"]["status"]) for r in extracted} == {  # type: ignore[index]
        ("psy-cohort", "created"),
        ("snds-cardio", "created"),
    }


def test_a_running_bubble_keeps_its_version_until_it_stops(alice: HubClient, settings: tuple[Path, Warehouse]) -> None:
    policy_dir, warehouse = settings
    project = policy_dir / "projects" / "psy-cohort.yaml"
    project.write_text(project.read_text().replace("= 8507", "= 8532"), encoding="utf-8")
    assert extract(warehouse, policy_dir, ["psy-cohort"])
    versions = ExtractVersions(warehouse.layout.data_dir("psy-cohort"))
    assert (versions.current(), versions.names()) == ("v2", ["v1", "v2"])
    still = probe(alice, "alice", "psy-cohort-notebook")
    assert isinstance(still, dict)
    assert still["version"] == "v1", "a running bubble reads the version it started with"
    alice.stop_server("alice", "psy-cohort-notebook")
    assert extract(warehouse, policy_dir, ["psy-cohort"])
    assert versions.names() == ["v2"]
    start_bubble(alice, "alice", "psy-cohort-notebook")
    after = probe(alice, "alice", "psy-cohort-notebook")
    assert isinstance(after, dict)
    assert (after["version"], after["mounted"]) == ("v2", ["v2"])
