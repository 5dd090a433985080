"""``bulle audit verify`` and ``bulle audit export`` on a state folder."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from bulle import audit
from bulle.audit.events import canonical_json
from bulle.cli import main
from bulle.state import StateLayout

from .conftest import T0, make_event


@pytest.fixture
def state(tmp_path: Path) -> StateLayout:
    """A state folder whose trail holds logins of two projects' members over three days."""
    layout = StateLayout(tmp_path / "state")
    layout.prepare_root()
    with audit.open_trail(
        f"sqlite:///{layout.hub_db}",
        signing_key_file=layout.audit_signing_key,
        checkpoint_file=layout.audit_checkpoints,
        create_signing_key=True,
    ) as trail:
        for day in range(3):
            for project in ("psy-cohort", "snds-cardio"):
                moment = T0 + dt.timedelta(days=day)
                trail.record(make_event("terminal.input", time=moment, project=project, key=f"{project}-{day}"))
    return layout


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["audit", *args])
    return result.exit_code, result.output


def test_verify_passes_on_an_intact_trail(state: StateLayout) -> None:
    code, output = run("verify", "--state", str(state.root))
    assert code == 0, output
    assert "Checked 6 records (last: 6) and 1 signed checkpoints (up to record 6)." in output
    assert "OK: the trail is intact." in output


def test_verify_fails_and_names_the_first_broken_record(state: StateLayout) -> None:
    engine = sa.create_engine(f"sqlite:///{state.hub_db}")
    with engine.begin() as conn:
        conn.exec_driver_sql(
            """UPDATE bulle_audit_events SET body = replace(body, '"line":"ls"', '"line":"rm"') WHERE seq IN (4, 5)"""
        )
    engine.dispose()
    code, output = run("verify", "--state", str(state.root))
    assert code == 1
    assert "FAILED: the first broken record is 4." in output
    assert "edited: record 5 was edited" in output


def test_verify_without_a_trail_says_so(tmp_path: Path) -> None:
    layout = StateLayout(tmp_path / "empty")
    layout.prepare_root()
    sa.create_engine(f"sqlite:///{layout.hub_db}").connect().close()
    code, output = run("verify", "--state", str(layout.root))
    assert code == 2
    assert "there is no audit trail in" in output


def test_export_writes_the_records_of_a_project_and_a_period(state: StateLayout, tmp_path: Path) -> None:
    out = tmp_path / "export.jsonl"
    code, output = run(
        "export",
        "--state",
        str(state.root),
        "--since",
        "2026-05-02",
        "--until",
        "2026-05-03",
        "--project",
        "psy-cohort",
        "-o",
        str(out),
    )
    assert code == 0, output
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert [(r["seq"], r["project"], r["time"]) for r in lines] == [(3, "psy-cohort", "2026-05-02T12:00:00.000000Z")]
    record = lines[0]
    body = canonical_json({k: v for k, v in record.items() if k not in ("seq", "prev", "hash")})
    assert hashlib.sha256(bytes.fromhex(record["prev"]) + body.encode()).hexdigest() == record["hash"], (
        "an exported record can be checked against its hash outside bulle"
    )


def test_the_export_itself_is_recorded(state: StateLayout, tmp_path: Path) -> None:
    run("export", "--state", str(state.root), "-o", str(tmp_path / "all.jsonl"))
    with audit.open_trail(f"sqlite:///{state.hub_db}") as trail, trail.reading() as conn:
        from bulle.audit.store import RecordFilter, find_records

        [exported] = find_records(conn, trail.tables, RecordFilter(types=("audit.exported",)))
    assert exported.event["details"]["records"] == 6
    assert exported.event["actor"].startswith("os:")


def test_export_refuses_a_bad_date(state: StateLayout) -> None:
    code, output = run("export", "--state", str(state.root), "--since", "last tuesday")
    assert code == 2
    assert "'last tuesday' is not a date (2026-05-01) or an ISO 8601 time" in output
