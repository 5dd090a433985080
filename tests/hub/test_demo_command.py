"""`bulle demo` (what `make demo` runs), end to end with the airlock tour, and its Ctrl-C."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bulle import audit
from bulle.audit.store import RecordFilter, find_records
from bulle.state import StateLayout
from bulle.warehouse.demo import DEMO_SOURCES
from tests.sandbox.kernel import KernelSession

from .hubprocess import HubClient, HubProcess, free_port

pytestmark = pytest.mark.integration


def processes_working_in(folder: Path) -> list[int]:
    """Pids whose current directory is inside ``folder`` (the demo's bubbles)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if Path(os.readlink(entry / "cwd")).is_relative_to(folder):
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def count_in_notebook(client: HubClient, user: str, server: str, table: str) -> object:
    """Rows of ``table`` as notebook code in the bubble sees them through ``bulle.data.connect()``."""
    kernel = KernelSession(client, user, server)
    try:
        code = f"from bulle.data import connect\nprint(connect().sql('SELECT count(*) FROM {table}').fetchone()[0])"
        return kernel.probe(code)
    finally:
        kernel.close()


def export_a_table_through_the_airlock(alice: HubClient, oscar: HubClient) -> None:
    """The demo's airlock tour: alice asks from her bubble, oscar approves and releases, alice downloads."""
    bubble = "/user/alice/psy-cohort-notebook"
    headers = {"X-XSRFToken": alice.session.cookies.get("_xsrf", path=f"{bubble}/") or ""}
    table = "age_band,F,M\n18-39,120,95\n40-64,210,180\n"
    written = alice.session.put(
        alice.url(f"{bubble}/api/contents/outbox/ages.csv"),
        json={"type": "file", "format": "text", "content": table},
        headers=headers,
        timeout=30,
    )
    assert written.status_code in (200, 201), written.text
    asked = alice.session.post(
        alice.url(f"{bubble}/bulle/airlock/requests"),
        json={"justification": "Table 1", "files": [{"path": "ages.csv", "kind": "frequency"}]},
        headers=headers,
        timeout=60,
    )
    assert asked.status_code == 201, asked.text
    request_id = asked.json()["id"]
    body = {"file": "ages.csv", "decision": "approve"}
    assert oscar.api("POST", f"/bulle/airlock/requests/{request_id}/decisions", body).status_code == 200
    released = oscar.api("POST", f"/bulle/airlock/requests/{request_id}/status", {"status": "released"})
    assert released.json()["status"] == "released", released.text
    assert alice.get(f"/hub/airlock/requests/{request_id}/released/ages.csv").text == table
    record = oscar.hub.state_dir / "projects" / "psy-cohort" / "releases" / request_id / "release.json"
    data = json.loads(record.read_text(encoding="utf-8"))["data"]
    assert data["version"] == "v1", data
    assert {s["table"] for s in data["snapshots"]} >= {"omop.person"}


def test_demo_prints_the_users_serves_bubbles_and_stops_everything_on_ctrl_c(traversable_tmp: Path) -> None:
    state = traversable_tmp / "demo-state"
    port = free_port()
    shell = HubProcess(policy_dir=state, state_dir=state, port=port)  # for its environment and client only
    command = [
        sys.executable, "-m", "bulle", "demo", "--state", str(state), "--bind-url", f"http://127.0.0.1:{port}",
        f"--ConfigurableHTTPProxy.api_url=http://127.0.0.1:{free_port()}",
    ]  # fmt: skip
    log = traversable_tmp / "demo.log"
    with log.open("wb") as out:
        demo = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=shell.environment())
    try:
        deadline = time.monotonic() + 60
        while "Press Ctrl-C" not in log.read_text() or "JupyterHub is now running" not in log.read_text():
            assert demo.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.25)
        printed = log.read_text()
        passwords = dict(re.findall(r"^  (alice|bob|chloe|oscar|ada)\s+(\S+)\s", printed, re.MULTILINE))
        assert sorted(passwords) == ["ada", "alice", "bob", "chloe", "oscar"]
        assert (state / "policies" / "projects" / "psy-cohort.yaml").exists()

        alice = HubClient(shell)
        assert alice.login("alice", passwords["alice"]).url.endswith("/hub/home")
        assert alice.get("/hub/spawn/alice/psy-cohort-notebook", allow_redirects=False).status_code == 302
        alice.wait_ready("alice", "psy-cohort-notebook")
        assert alice.get("/user/alice/psy-cohort-notebook/lab").status_code == 200
        assert processes_working_in(state / "projects"), "the bubble should be running in the demo's workspace"
        assert "psy-cohort: extracted v1" in printed
        assert "snds-cardio: extracted v1" in printed
        assert count_in_notebook(alice, "alice", "psy-cohort-notebook", "omop_person") == 200

        bob = HubClient(shell)
        assert bob.login("bob", passwords["bob"]).url.endswith("/hub/home")
        assert bob.get("/hub/spawn/bob/snds-cardio-notebook", allow_redirects=False).status_code == 302
        bob.wait_ready("bob", "snds-cardio-notebook")
        assert bob.get("/user/bob/snds-cardio-notebook/lab").status_code == 200
        assert count_in_notebook(bob, "bob", "snds-cardio-notebook", "snds_ir_ben_r") == 200

        oscar = HubClient(shell)
        assert oscar.login("oscar", passwords["oscar"]).url.endswith("/hub/home")
        export_a_table_through_the_airlock(alice, oscar)
    finally:
        demo.send_signal(signal.SIGINT)
        returncode = demo.wait(60)
    assert returncode == 0, log.read_text()[-3000:]
    assert processes_working_in(state / "projects") == []
    with audit.open_trail(f"sqlite:///{StateLayout(state).hub_db}") as trail, trail.reading() as conn:
        loads = find_records(conn, trail.tables, RecordFilter(types=("warehouse.ingested",)))
        extracts = find_records(conn, trail.tables, RecordFilter(types=("data.extracted",)))
        connections = find_records(conn, trail.tables, RecordFilter(types=("data.connected",)))
    assert sorted(r.event["object"] for r in loads) == sorted(DEMO_SOURCES), "each demo load is in the audit trail"
    assert {r.event["actor"] for r in loads} == {"system:demo"}
    assert sorted((r.event["project"], r.event["object"], r.event["actor"]) for r in extracts) == [
        ("psy-cohort", "v1", "system:demo"),
        ("snds-cardio", "v1", "system:demo"),
    ]
    assert sorted((r.event["actor"], r.event["project"]) for r in connections) == [
        ("alice", "psy-cohort"),
        ("bob", "snds-cardio"),
    ]
