"""Every ``bulle ingest`` run reaches the audit trail: loads, no-ops, failures and refusals alike."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from test_ingest import make_source, write_csv
from warehouse_helpers import KEY_SECRET, write_policy

from bulle import audit
from bulle.audit.store import RecordFilter, find_records
from bulle.audit.verify import verify_trail
from bulle.cli import main
from bulle.state import StateLayout


def ingest_records(state: Path) -> list[dict[str, Any]]:
    layout = StateLayout(state)
    with audit.open_trail(f"sqlite:///{layout.hub_db}") as trail, trail.reading() as conn:
        found = find_records(conn, trail.tables, RecordFilter(types=("warehouse.ingested",)))
    return [record.event for record in found]


def ingest(policy: Path, state: Path, *extra: str) -> Any:
    return CliRunner().invoke(main, ["ingest", "clinic", "--policy", str(policy), "--state", str(state), *extra])


@pytest.fixture
def keyed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BULLE_PSEUDONYM_KEY", KEY_SECRET.decode())


@pytest.mark.usefixtures("keyed")
def test_a_load_and_its_no_op_rerun_are_recorded_with_their_snapshot(tmp_path: Path) -> None:
    policy = make_source(tmp_path)
    write_csv(tmp_path, "visits_Dupont_1.csv", ["P1,Dupont,1970-05-02,75012,3", "P2,Martin,1981-01-09,13001,4"])
    state = tmp_path / "state"
    assert ingest(policy, state).exit_code == 0
    assert ingest(policy, state).exit_code == 0

    loaded, rerun = ingest_records(state)
    assert loaded["outcome"] == "allow"
    assert loaded["actor"].startswith("os:")
    assert loaded["object"] == "clinic"
    details = loaded["details"]
    assert details["status"] == "committed"
    [table] = details["tables"]
    assert table["table"] == "visits"
    assert table["rows_written"] == 2
    assert isinstance(table["snapshot_id"], int)
    assert rerun["details"]["status"] == "unchanged"
    assert rerun["details"]["tables"] == []
    bodies = " ".join(str(event) for event in (loaded, rerun))
    assert "Dupont" not in bodies, "file names and values stay out of the trail"
    assert KEY_SECRET.decode() not in bodies
    assert verify_trail(f"sqlite:///{StateLayout(state).hub_db}", [], None).ok


@pytest.mark.usefixtures("keyed")
def test_a_failed_load_is_recorded_as_refused_without_its_problems_text(tmp_path: Path) -> None:
    policy = make_source(tmp_path)
    write_csv(tmp_path, "visits_Dupont_1.csv", ["P1,Dupont,not-a-date,75012,3"])
    state = tmp_path / "state"
    result = ingest(policy, state)
    assert result.exit_code == 1

    [failed] = ingest_records(state)
    assert failed["outcome"] == "deny"
    assert failed["details"]["status"] == "failed"
    assert failed["details"]["problem_count"] >= 1
    assert failed["details"]["policy_errors"] == []
    assert "Dupont" not in str(failed)


@pytest.mark.usefixtures("keyed")
def test_a_dry_run_is_recorded_as_one(tmp_path: Path) -> None:
    policy = make_source(tmp_path)
    write_csv(tmp_path, "visits_1.csv", ["P1,Dupont,1970-05-02,75012,3"])
    state = tmp_path / "state"
    assert ingest(policy, state, "--dry-run").exit_code == 0
    [dry] = ingest_records(state)
    assert (dry["outcome"], dry["details"]["status"], dry["details"]["dry_run"]) == ("allow", "dry-run", True)


def test_an_invalid_policy_is_recorded_with_its_errors(tmp_path: Path) -> None:
    policy = write_policy(tmp_path / "policy", {"clinic": "name: clinic\nkind: csv\n"})
    state = tmp_path / "state"
    assert ingest(policy, state).exit_code == 2
    [refused] = ingest_records(state)
    assert refused["outcome"] == "deny"
    assert refused["details"]["status"] == "invalid"
    assert "sources/clinic.yaml:1: location: required key is missing" in refused["details"]["policy_errors"]


@pytest.mark.usefixtures("keyed")
def test_an_unknown_source_is_recorded_as_refused(tmp_path: Path) -> None:
    policy = make_source(tmp_path)
    state = tmp_path / "state"
    result = CliRunner().invoke(main, ["ingest", "no\x1bpe", "--policy", str(policy), "--state", str(state)])
    assert result.exit_code == 1
    [refused] = ingest_records(state)
    assert refused["outcome"] == "deny"
    assert refused["object"] == "no\\x1bpe", "control characters are escaped, not stored"


@pytest.mark.usefixtures("keyed")
def test_without_a_trail_nothing_is_loaded(tmp_path: Path) -> None:
    policy = make_source(tmp_path)
    write_csv(tmp_path, "visits_1.csv", ["P1,Dupont,1970-05-02,75012,3"])
    state = tmp_path / "state"
    result = ingest(policy, state, "--db-url", "postgresql+psycopg://nobody@127.0.0.1:1/none")
    assert result.exit_code == 1
    assert "cannot open the audit trail, so nothing was loaded" in result.output
    assert not (state / "warehouse" / "catalog.sqlite").exists()
