"""The hub stops a bubble past its profile's lifetime, and one idle for its idle timeout.

The sandbox policy's ``brief`` profile lives 20 s and ``sleepy`` stops after
5 s without activity; alice's ``notebook`` bubble (1 h idle timeout, 12 h
lifetime) runs all along as the neighbour that must not be stopped.
"""

from __future__ import annotations

import pytest

from bulle.state import RuntimeLayout
from tests.hub.conftest import PASSWORDS
from tests.hub.hubprocess import HubClient, HubProcess

from .conftest import start_bubble

pytestmark = pytest.mark.integration


def culled_rule(hub: HubProcess, bubble: str) -> str | None:
    """The rule of the audit trail's ``bubble.culled`` event for ``bubble``, if any."""
    ada = hub.client()
    ada.login("ada", PASSWORDS["ada"])
    records = ada.api("GET", f"/bulle/audit/events?type=bubble.culled&bubble={bubble}").json()["records"]
    return records[0]["details"]["rule"] if records else None


def test_bubble_past_its_lifetime_is_stopped(
    chloe: HubClient, alice: HubClient, alice_bubble: str, sandbox_hub: HubProcess, runtime: RuntimeLayout
) -> None:
    before = set(runtime.bubbles_dir.iterdir())
    server = start_bubble(chloe, "chloe", "psy-cohort-brief")
    assert chloe.get(f"/user/chloe/{server}/api/status").status_code == 200  # it ran, and served
    [folder] = set(runtime.bubbles_dir.iterdir()) - before
    chloe.wait_stopped("chloe", server, timeout=90)
    assert f"Stopping bubble chloe:{server} (reason: lifetime)" in sandbox_hub.log_text()
    assert culled_rule(sandbox_hub, f"chloe/{server}") == "max-lifetime"
    assert chloe.get(f"/user/chloe/{server}/api/status", allow_redirects=False).status_code != 200
    assert not folder.exists()  # its sockets folder went with it
    # Neighbour: alice's bubble, younger than its lifetime, still runs.
    assert alice.get(f"/user/alice/{alice_bubble}/api/status").status_code == 200


def test_idle_bubble_is_stopped(chloe: HubClient, alice: HubClient, alice_bubble: str, sandbox_hub: HubProcess) -> None:
    server = start_bubble(chloe, "chloe", "snds-cardio-sleepy")
    chloe.wait_stopped("chloe", server, timeout=90)
    assert f"Stopping bubble chloe:{server} (reason: idle)" in sandbox_hub.log_text()
    assert culled_rule(sandbox_hub, f"chloe/{server}") == "idle-timeout"
    assert culled_rule(sandbox_hub, f"alice/{alice_bubble}") is None
    # Neighbour: alice's bubble, idle for far less than its hour, still runs.
    assert alice.get(f"/user/alice/{alice_bubble}/api/status").status_code == 200
    assert "alice:psy-cohort-notebook (reason" not in sandbox_hub.log_text()
