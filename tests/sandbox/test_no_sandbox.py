"""Where bubbles cannot be sandboxed: the hub refuses to start, or says loudly that they are not isolated.

A machine without bubblewrap is simulated with a sandbox command that does
not exist. Without ``--insecure-no-sandbox`` the hub does not start; with it,
bubbles start, every page says they are not isolated, and it is true: the
very probe the sandbox refuses (PostgreSQL on the host's loopback) connects.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.hub.conftest import PASSWORDS, make_state
from tests.hub.hubprocess import HubClient, HubProcess, page_text

from .conftest import start_bubble, write_sandbox_policy
from .kernel import KernelSession

pytestmark = pytest.mark.integration

NOT_ISOLATED = "Bubbles on this hub are NOT isolated: it was started with --insecure-no-sandbox."


@pytest.fixture(scope="module")
def no_bwrap(traversable_tmp: Path) -> Path:
    config = traversable_tmp / "no-bwrap-config.py"
    config.write_text('c.LocalBubbleSpawner.sandbox_command = ["/nonexistent/bwrap"]\n', encoding="utf-8")
    return config


def test_hub_refuses_to_start_where_bubbles_cannot_be_sandboxed(traversable_tmp: Path, no_bwrap: Path) -> None:
    policy_dir, state_dir = make_state(traversable_tmp, "no-sandbox-refused", write_sandbox_policy)
    hub = HubProcess(policy_dir, state_dir, hub_options=["--config", str(no_bwrap)])
    result = subprocess.run(hub.command(), env=hub.environment(), capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert (
        "bulle: the hub did not start: bubbles cannot be sandboxed on this machine: '/nonexistent/bwrap' "
        "(bubblewrap) is not installed; install the Debian package bubblewrap. Fix that, or start the hub "
        "with --insecure-no-sandbox" in result.stderr
    )
    assert "Traceback" not in result.stderr


@pytest.fixture(scope="module")
def insecure_hub(traversable_tmp: Path, no_bwrap: Path) -> Iterator[HubProcess]:
    policy_dir, state_dir = make_state(traversable_tmp, "no-sandbox-insecure", write_sandbox_policy)
    hub = HubProcess(policy_dir, state_dir, hub_options=["--config", str(no_bwrap), "--insecure-no-sandbox"])
    yield hub.start()
    hub.stop()


@pytest.fixture(scope="module")
def alice(insecure_hub: HubProcess) -> HubClient:
    client = insecure_hub.client()
    assert client.login("alice", PASSWORDS["alice"]).url.endswith("/hub/home")
    return client


def test_insecure_hub_says_on_every_page_that_bubbles_are_not_isolated(alice: HubClient) -> None:
    home = alice.get("/hub/home")
    assert 'id="bulle-not-isolated"' in home.text
    assert f"Warning: bubbles are not isolated. {NOT_ISOLATED}" in page_text(home)
    assert "Each bubble is an isolated workspace" not in page_text(home)
    token_page = alice.get("/hub/token")
    assert NOT_ISOLATED in page_text(token_page)  # the announcement on every page


def test_unsandboxed_bubble_runs_as_the_member_and_is_really_not_isolated(alice: HubClient) -> None:
    server = start_bubble(alice, "alice", "psy-cohort-notebook")
    kernel = KernelSession(alice, "alice", server)
    try:
        seen = kernel.probe(
            "import json, os, socket\n"
            "s = socket.create_connection(('127.0.0.1', 5432), timeout=5); s.close()\n"
            "env = os.environ\n"
            "print(json.dumps({'sandbox': env['BULLE_SANDBOX'], 'user': env['USER'], 'uid': os.getuid()}))"
        )
    finally:
        kernel.close()
    assert seen["sandbox"] == "none"
    assert seen["user"] == "bulle-alice"
    assert seen["uid"] != 0
    alice.stop_server("alice", server)
