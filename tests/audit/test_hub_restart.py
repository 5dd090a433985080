"""The hub stops while a bubble runs cells, then starts again: no record is lost, none is doubled.

The hub runs with ``cleanup_servers = False`` (and ``outlive_hub``) so that
the bubble outlives it and the next hub re-adopts it. The test talks to the
bubble directly, on its Unix socket (the proxy stops with the hub), over one
kernel websocket opened while the hub was up, runs cells before, during
and after the hub's absence, and then reads the trail: every cell exactly
once, in the order it ran. The records sent again on purpose are refused as
duplicates by their idempotency keys.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
import requests
from click.testing import CliRunner

from bulle.cli import main
from tests.hub.conftest import PASSWORDS, make_state
from tests.hub.hubprocess import HubClient, HubProcess

from .kernelclient import KernelSocket

pytestmark = pytest.mark.integration

BUBBLE = "psy-cohort-notebook"


@pytest.fixture(scope="module")
def hub(traversable_tmp: Path) -> Iterator[HubProcess]:
    policy_dir, state_dir = make_state(traversable_tmp, "hub-restart")
    outliving = ["--JupyterHub.cleanup_servers=False", "--LocalBubbleSpawner.outlive_hub=True"]
    running = HubProcess(policy_dir, state_dir, extra_args=outliving).start()
    yield running
    if running.proc is None or running.proc.poll() is not None:
        running.start()
    alice = running.client()
    alice.login("alice", PASSWORDS["alice"])
    if BUBBLE in alice.api("GET", "/users/alice").json()["servers"]:
        alice.stop_server("alice", BUBBLE)
    running.stop()


def executions(hub: HubProcess) -> list[dict[str, Any]]:
    ada = hub.client()
    ada.login("ada", PASSWORDS["ada"])
    response = ada.api("GET", f"/bulle/audit/events?bubble=alice/{BUBBLE}&type=kernel.execute&limit=1000")
    assert response.status_code == 200, response.text
    return list(reversed(response.json()["records"]))


def codes(hub: HubProcess) -> list[str]:
    return [r["details"]["code"] for r in executions(hub)]


def spool_backlog(hub: HubProcess) -> int:
    spool = hub.state_dir / "projects/psy-cohort/work/alice/.local/state/bulle/recorder" / BUBBLE
    delivered = int((spool / "delivered").read_text()) if (spool / "delivered").exists() else 0
    lines = (spool / "records.jsonl").read_text().splitlines()
    return sum(1 for line in lines if json.loads(line)["n"] > delivered)


def direct_kernel(hub: HubProcess, alice: HubClient, token: str) -> KernelSocket:
    """The kernel channels of a new notebook session, on the bubble's own socket (not through the proxy)."""
    session = requests.post(
        f"{hub.url}/user/alice/{BUBBLE}/api/sessions",
        headers={"Authorization": f"token {token}"},
        json={"path": "long-run.ipynb", "type": "notebook", "kernel": {"name": "python3"}},
        timeout=60,
    )
    assert session.status_code == 201, session.text
    with sqlite3.connect(hub.state_dir / "hub" / "jupyterhub.sqlite") as db:
        host, base_url = db.execute("SELECT ip, base_url FROM servers").fetchone()
    socket_path = unquote(host)  # a sandboxed bubble's server listens on a Unix socket
    url = f"ws://localhost{base_url}api/kernels/{session.json()['kernel']['id']}/channels"
    return KernelSocket(url, token, unix_socket=socket_path)


def test_a_hub_restart_loses_and_duplicates_no_record(hub: HubProcess) -> None:
    alice = hub.client()
    alice.login("alice", PASSWORDS["alice"])
    assert alice.get(f"/hub/spawn/alice/{BUBBLE}", allow_redirects=False).status_code == 302
    alice.wait_ready("alice", BUBBLE)
    token = alice.api("POST", "/users/alice/tokens", {"scopes": [f"access:servers!server=alice/{BUBBLE}"]}).json()
    kernel = direct_kernel(hub, alice, token["token"])
    try:
        for i in range(3):
            assert kernel.execute(f"x = {i}").status == "ok"
        hub.stop()
        for i in range(3, 6):
            assert kernel.execute(f"x = {i}").status == "ok", "the bubble runs on without its hub"
        assert spool_backlog(hub) >= 6, "what the hub cannot take waits in the bubble's spool"
        hub.start()
        for i in range(6, 9):
            assert kernel.execute(f"x = {i}").status == "ok"
        reveal = "import os; print(os.environ['JUPYTERHUB_API_TOKEN'])"
        bubble_token = kernel.execute(reveal).stdout.strip()
    finally:
        kernel.close()
    expected = [*(f"x = {i}" for i in range(9)), reveal]
    deadline = time.monotonic() + 90
    while codes(hub) != expected and time.monotonic() < deadline:
        time.sleep(0.5)
    assert codes(hub) == expected, "every cell once, in the order it ran"

    # Everything the bubble ever spooled, sent once more: the hub already has it all.
    spool = hub.state_dir / "projects/psy-cohort/work/alice/.local/state/bulle/recorder" / BUBBLE
    sent = [json.loads(line)["record"] for line in (spool / "records.jsonl").read_text().splitlines()]
    again = requests.post(
        f"{hub.url}/hub/api/bulle/audit/bubbles/alice/{BUBBLE}/events",
        headers={"Authorization": f"token {bubble_token}"},
        json={"events": sent[:18]},
        timeout=30,
    )
    assert again.status_code == 200, again.text
    assert len(set(again.json()["recorded"])) == 18, "each record answers the seq it already has"
    assert codes(hub) == expected, "nothing was appended twice"

    result = CliRunner().invoke(main, ["audit", "verify", "--state", str(hub.state_dir)])
    assert result.exit_code == 0, result.output
