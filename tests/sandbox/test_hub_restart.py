"""A bubble does not outlive its hub: nobody would enforce its lifetime.

The hub is killed outright (no clean shutdown, no cleanup of servers): its
sandboxes die with it, and the next hub on the same state sees the bubble
stopped and lets the member start it again.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import psutil
import pytest

from tests.hub.conftest import PASSWORDS, make_state
from tests.hub.hubprocess import HubProcess

from .conftest import start_bubble, write_sandbox_policy

pytestmark = pytest.mark.integration


def wait_gone(pids: list[int], timeout: float = 30) -> list[int]:
    deadline = time.monotonic() + timeout
    alive = pids
    while alive and time.monotonic() < deadline:
        alive = [pid for pid in pids if psutil.pid_exists(pid) and psutil.Process(pid).status() != "zombie"]
        time.sleep(0.2)
    return alive


def test_bubbles_die_with_a_killed_hub_and_the_next_hub_knows(traversable_tmp: Path) -> None:
    policy_dir, state_dir = make_state(traversable_tmp, "sandbox-hub-restart", write_sandbox_policy)
    keep_servers = ["--JupyterHub.cleanup_servers=False"]
    hub = HubProcess(policy_dir, state_dir, extra_args=keep_servers).start()
    try:
        alice = hub.client()
        alice.login("alice", PASSWORDS["alice"])
        start_bubble(alice, "alice", "psy-cohort-notebook")
        assert hub.proc is not None
        sandbox = [p for p in psutil.Process(hub.proc.pid).children() if p.name() == "bwrap"]
        assert len(sandbox) == 1
        inside = [p.pid for p in sandbox[0].children(recursive=True)]
        assert inside  # bubblewrap's init and the server
        os.kill(hub.proc.pid, signal.SIGKILL)  # the next hub stops the proxy it left
        hub.proc.wait()
        assert wait_gone([sandbox[0].pid, *inside]) == []
    finally:
        hub.stop()
    again = HubProcess(policy_dir, state_dir, port=hub.port, extra_args=keep_servers).start()
    try:
        alice = again.client()
        alice.login("alice", PASSWORDS["alice"])
        assert "psy-cohort-notebook" not in alice.api("GET", "/users/alice").json()["servers"]
        start_bubble(alice, "alice", "psy-cohort-notebook")  # the neighbour: a new start works
    finally:
        again.stop()
