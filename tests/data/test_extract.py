"""``bulle extract``: versions, no-ops, garbage collection, crashes, the key, the audit trail.

Each test that changes the warehouse or the policy gets a fresh one
(``fresh_warehouse``). A running bubble is stood in for by a process that
inherited the pinned version's descriptor, exactly as the spawner hands it
to a bubble (the real spawner is exercised in ``tests/sandbox/test_data_access.py``).
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner

from bulle import audit
from bulle.audit.store import RecordFilter, find_records
from bulle.cli import main
from bulle.data.manifest import read_manifest
from bulle.data.versions import ExtractVersions
from bulle.policies import load_policy
from bulle.policies.pseudonyms import project_key
from bulle.warehouse.catalog import open_catalog
from bulle.warehouse.extract import ExtractProblem, plan_grants

from .extracts import ALPHA_GRANTS, NOW, SECRET, TestWarehouse

REPO = Path(__file__).resolve().parents[2]


def versions(warehouse: TestWarehouse, project: str = "alpha") -> ExtractVersions:
    return ExtractVersions(warehouse.layout.data_dir(project))


@contextmanager
def running_bubble(warehouse: TestWarehouse, project: str = "alpha") -> Iterator[str]:
    """A process holding the current version as a bubble does (the descriptor passed at its start)."""
    pinned = versions(warehouse, project).pin()
    assert pinned is not None
    process = subprocess.Popen(["sleep", "600"], pass_fds=(pinned.fd,))
    pinned.release()
    try:
        yield pinned.name
    finally:
        process.kill()
        process.wait()


def test_the_first_run_creates_v1_and_an_unchanged_run_is_a_no_op(fresh_warehouse: TestWarehouse) -> None:
    first = fresh_warehouse.extract("alpha")
    assert (first.status, first.version, first.previous) == ("created", "v1", None)
    folder = versions(fresh_warehouse).current_dir()
    assert folder is not None
    before = {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}
    second = fresh_warehouse.extract("alpha", NOW + dt.timedelta(hours=1))
    assert (second.status, second.version) == ("unchanged", "v1")
    assert second.plan_sha256 == first.plan_sha256
    assert {p.name: p.stat().st_mtime_ns for p in folder.iterdir()} == before
    assert versions(fresh_warehouse).names() == ["v1"]
    manifest = read_manifest(folder)
    assert [(t.name, t.rows) for t in manifest.tables] == [("omop_person", 18), ("omop_condition_occurrence", 160)]
    assert sorted(p.name for p in folder.iterdir()) == [
        "extract.duckdb",
        "manifest.json",
        "omop_condition_occurrence.parquet",
        "omop_person.parquet",
    ]


def test_a_changed_grant_makes_a_new_version_and_the_unused_old_one_goes(fresh_warehouse: TestWarehouse) -> None:
    fresh_warehouse.extract("alpha")
    fresh_warehouse.write_project("alpha", "alice", ALPHA_GRANTS.replace("= 8507", "= 8532"))
    run = fresh_warehouse.extract("alpha")
    assert (run.status, run.version, run.previous, run.removed, run.kept) == ("created", "v2", "v1", ("v1",), ())
    assert versions(fresh_warehouse).names() == ["v2"]


def test_a_version_in_use_by_a_running_bubble_is_kept_and_removed_after(fresh_warehouse: TestWarehouse) -> None:
    fresh_warehouse.extract("alpha")
    with running_bubble(fresh_warehouse) as held:
        assert held == "v1"
        fresh_warehouse.write_project("alpha", "alice", ALPHA_GRANTS.replace("1950", "1940"))
        run = fresh_warehouse.extract("alpha")
        assert (run.version, run.kept, run.removed) == ("v2", ("v1",), ())
        assert (versions(fresh_warehouse).version_dir("v1") / "manifest.json").is_file()
        again = fresh_warehouse.extract("alpha")
        assert (again.status, again.kept) == ("unchanged", ("v1",))
    after = fresh_warehouse.extract("alpha")
    assert (after.status, after.removed, after.kept) == ("unchanged", ("v1",), ())
    assert versions(fresh_warehouse).names() == ["v2"]


def test_a_new_snapshot_makes_a_new_version(fresh_warehouse: TestWarehouse) -> None:
    first = fresh_warehouse.extract("beta")
    ben = fresh_warehouse.root / "data" / "snds" / "IR_BEN_R.csv"
    lines = ben.read_bytes().splitlines(keepends=True)
    ben.write_bytes(b"".join(lines[:-1]))  # one beneficiary fewer: the file changed, a new snapshot
    fresh_warehouse.ingest("sniiram")
    run = fresh_warehouse.extract("beta")
    assert (run.status, run.version) == ("created", "v2")
    old, new = ({t.name: t for t in r.tables} for r in (first, run))
    assert new["snds_ir_ben_r"].snapshot_id != old["snds_ir_ben_r"].snapshot_id
    assert new["omop_person"].snapshot_id == old["omop_person"].snapshot_id
    assert new["snds_ir_ben_r"].rows == 39


def test_a_pinned_snapshot_is_read_even_after_new_loads(fresh_warehouse: TestWarehouse) -> None:
    first = fresh_warehouse.extract("beta")
    pinned = {t.name: t.snapshot_id for t in first.tables}["snds_ir_ben_r"]
    ben = fresh_warehouse.root / "data" / "snds" / "IR_BEN_R.csv"
    ben.write_bytes(b"".join(ben.read_bytes().splitlines(keepends=True)[:-5]))
    fresh_warehouse.ingest("sniiram")
    grants = "  - table: omop.person\n    columns: [person_id]\n  - table: snds.ir_ben_r\n"
    fresh_warehouse.write_project("beta", "bob", f"{grants}    snapshot: {pinned}\n")
    run = fresh_warehouse.extract("beta")
    table = {t.name: t for t in run.tables}["snds_ir_ben_r"]
    assert (table.snapshot_id, table.rows) == (pinned, 40)


def test_a_grant_the_warehouse_cannot_serve_is_refused_and_the_current_version_stays(
    fresh_warehouse: TestWarehouse,
) -> None:
    fresh_warehouse.extract("alpha")
    fresh_warehouse.write_project("alpha", "alice", "  - table: omop.person\n    columns: [person_id, nope]\n")
    with pytest.raises(ExtractProblem, match="columns names nope, which the table does not have"):
        fresh_warehouse.extract("alpha")
    fresh_warehouse.write_project("alpha", "alice", "  - table: omop.nothing\n")
    with pytest.raises(ExtractProblem, match=r"the warehouse has no table omop\.nothing"):
        fresh_warehouse.extract("alpha")
    fresh_warehouse.write_project("alpha", "alice", "  - table: omop.person\n    snapshot: 42\n")
    with pytest.raises(ExtractProblem, match=r"omop\.person has no snapshot 42"):
        fresh_warehouse.extract("alpha")
    assert versions(fresh_warehouse).current() == "v1"
    assert versions(fresh_warehouse).names() == ["v1"]


def test_a_crash_mid_extract_leaves_the_current_version_intact(fresh_warehouse: TestWarehouse) -> None:
    fresh_warehouse.extract("alpha")
    fresh_warehouse.write_project("alpha", "alice", ALPHA_GRANTS.replace("= 8507", "= 8532"))
    marker = fresh_warehouse.root / "hanging"
    process = subprocess.Popen(
        [
            sys.executable,
            str(Path(__file__).with_name("extract_process.py")),
            str(fresh_warehouse.root),
            "alpha",
            marker,
        ],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    deadline = time.monotonic() + 60
    while not marker.exists():
        assert process.poll() is None, "the extraction process ended before its pause"
        assert time.monotonic() < deadline, "the extraction process never reached its pause"
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert versions(fresh_warehouse).current() == "v1"
    assert versions(fresh_warehouse).names() == ["v1", "v2"], "the half-written version is left behind"
    assert not (versions(fresh_warehouse).version_dir("v2") / "manifest.json").exists()
    run = fresh_warehouse.extract("alpha")
    assert (run.version, run.previous) == ("v2", "v1")
    assert read_manifest(versions(fresh_warehouse).version_dir("v2")).version == "v2"
    assert versions(fresh_warehouse).names() == ["v2"]


def test_the_key_is_in_no_extract_file_no_sql_and_no_manifest(warehouse: TestWarehouse) -> None:
    secrets_ = [SECRET, *(project_key(SECRET, p) for p in ("alpha", "beta"))]
    forms = [form for s in secrets_ for form in (s, s.hex().encode())]
    files = [p for p in warehouse.layout.projects_dir.rglob("*") if p.is_file()]
    assert len(files) >= 8
    for path in files:
        content = path.read_bytes()
        for form in forms:
            assert form not in content, f"a key leaked into {path}"
    with open_catalog(warehouse.settings) as catalog:
        policy = load_policy(warehouse.policy_dir)
        planned = plan_grants(catalog, policy, policy.projects["alpha"], warehouse.settings.pseudonym_key().key_id)
    for grant in planned:
        for form in forms:
            assert form.decode(errors="ignore") not in grant.sql


def test_extract_runs_are_recorded_in_the_audit_trail(fresh_warehouse: TestWarehouse) -> None:
    runner = CliRunner()
    arguments = ["--policy", str(fresh_warehouse.policy_dir), "--state", str(fresh_warehouse.layout.root)]
    env = {"BULLE_PSEUDONYM_KEY_FILE": str(fresh_warehouse.root / "pseudonym.key")}
    made = runner.invoke(main, ["extract", *arguments, "alpha"], env=env)
    assert made.exit_code == 0, made.output
    assert "alpha: extracted v1" in made.output
    again = runner.invoke(main, ["extract", *arguments, "alpha"], env=env)
    assert "unchanged, v1 already holds these grants and snapshots (no-op)" in again.output
    refused = runner.invoke(main, ["extract", *arguments, "nobody"], env=env)
    assert refused.exit_code == 1
    assert "the policy has no project 'nobody'" in refused.output
    with audit.open_trail(f"sqlite:///{fresh_warehouse.layout.hub_db}") as trail, trail.reading() as conn:
        records = [r.event for r in find_records(conn, trail.tables, RecordFilter(), limit=100)]
    assert [(r["type"], r["project"], r["outcome"], r["details"]["status"]) for r in records] == [
        ("data.extracted", "alpha", "allow", "created"),
        ("data.extracted", "alpha", "allow", "unchanged"),
        ("data.extracted", "nobody", "deny", "failed"),
    ]
    created = records[0]["details"]
    assert created["version"] == "v1"
    assert [(t["name"], t["rows"]) for t in created["tables"]] == [
        ("omop_person", 18),
        ("omop_condition_occurrence", 160),
    ]
    assert records[0]["actor"].startswith("os:")
    assert "no project 'nobody'" in records[2]["details"]["error"]


def test_extract_without_a_key_fails_and_says_how_to_give_one(fresh_warehouse: TestWarehouse) -> None:
    runner = CliRunner()
    arguments = ["--policy", str(fresh_warehouse.policy_dir), "--state", str(fresh_warehouse.layout.root)]
    result = runner.invoke(main, ["extract", *arguments, "alpha"], env={"BULLE_PSEUDONYM_KEY_FILE": ""})
    assert result.exit_code == 1
    assert "no pseudonymisation key" in result.output
    assert versions(fresh_warehouse).current() is None
