"""Bubbles that outlive their hub (``JupyterHub.cleanup_servers = False``).

Three bubbles run when the hub stops: alice's, bob's and chloe's. While the
hub is down the policy changes: bob leaves the policy, and the ``large``
profile chloe runs is withdrawn from snds-cardio. The next hub re-adopts
alice's bubble (the very same process, still reachable and still supervised)
and stops the two the new policy no longer allows, each as a
``bubble.culled`` event with the rule ``policy``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from tests.hub.conftest import PASSWORDS, make_state
from tests.hub.hubprocess import HubClient, HubProcess

from .conftest import start_bubble, write_sandbox_policy

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def hub(traversable_tmp: Path) -> Iterator[HubProcess]:
    policy_dir, state_dir = make_state(traversable_tmp, "outlive-hub", write_sandbox_policy)
    outliving = ["--JupyterHub.cleanup_servers=False", "--LocalBubbleSpawner.outlive_hub=True"]
    running = HubProcess(policy_dir, state_dir, extra_args=outliving).start()
    yield running
    if running.proc is None or running.proc.poll() is not None:
        running.start()
    for user, server in (("alice", "psy-cohort-notebook"),):
        client = login(running, user)
        if server in client.api("GET", f"/users/{user}").json()["servers"]:
            client.stop_server(user, server)
    running.stop()


def login(hub: HubProcess, user: str) -> HubClient:
    client = hub.client()
    assert client.login(user, PASSWORDS[user]).status_code == 200
    return client


def bubble_processes(hub: HubProcess, project: str, user: str) -> set[int]:
    """Pids of the processes working in ``user``'s workspace of ``project`` (their bubble)."""
    work = (hub.state_dir / "projects" / project / "work" / user).resolve()
    found = set()
    for process in psutil.process_iter(["pid", "cwd"]):
        cwd = process.info.get("cwd")
        if cwd and Path(cwd).is_relative_to(work):
            found.add(int(process.info["pid"]))
    return found


def server_pid(hub: HubProcess, project: str, user: str) -> int | None:
    """The pid of ``user``'s JupyterLab server in ``project`` (kernels and helpers come and go)."""
    for pid in bubble_processes(hub, project, user):
        try:
            if any("jupyterhub-singleuser" in part for part in psutil.Process(pid).cmdline()):
                return pid
        except psutil.NoSuchProcess:
            continue
    return None


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_restarted_hub_readopts_what_the_policy_still_allows_and_stops_the_rest(hub: HubProcess) -> None:
    alice, bob, chloe = login(hub, "alice"), login(hub, "bob"), login(hub, "chloe")
    start_bubble(alice, "alice", "psy-cohort-notebook")
    start_bubble(bob, "bob", "snds-cardio-notebook")
    start_bubble(chloe, "chloe", "snds-cardio-large")
    before = {
        "alice": server_pid(hub, "psy-cohort", "alice"),
        "bob": server_pid(hub, "snds-cardio", "bob"),
        "chloe": server_pid(hub, "snds-cardio", "chloe"),
    }
    assert all(before.values()), before

    hub.stop()
    for user, pid in before.items():
        assert pid is not None
        assert psutil.pid_exists(pid), f"{user}'s bubble should outlive the hub"

    snds = hub.policy_dir / "projects" / "snds-cardio.yaml"
    edit(snds, "  - user: bob\n    role: researcher\n", "")
    edit(snds, "profiles: [notebook, large, brief, sleepy]", "profiles: [notebook, brief, sleepy]")
    hub.start()

    # alice's bubble: the same processes, reachable through the new proxy, supervised again.
    assert alice.api("GET", "/users/alice").json()["servers"]["psy-cohort-notebook"]["ready"]
    assert alice.get("/user/alice/psy-cohort-notebook/api/status").status_code == 200
    assert server_pid(hub, "psy-cohort", "alice") == before["alice"]
    assert "Re-adopted bubble alice:psy-cohort-notebook" in hub.log_text()

    # bob's and chloe's: stopped by the hub that no longer allows them.
    assert bubble_processes(hub, "snds-cardio", "bob") == set()
    assert bubble_processes(hub, "snds-cardio", "chloe") == set()
    assert "snds-cardio-large" not in login(hub, "chloe").api("GET", "/users/chloe").json()["servers"]
    refused = hub.client().login("bob", PASSWORDS["bob"])
    assert refused.status_code == 403

    ada = login(hub, "ada")
    culled = ada.api("GET", "/bulle/audit/events?type=bubble.culled&limit=50").json()["records"]
    reasons = {r["bubble"]: (r["details"]["rule"], r["details"]["reason"]) for r in culled}
    assert reasons["bob/snds-cardio-notebook"] == (
        "policy",
        "bob may no longer run a 'notebook' bubble in project 'snds-cardio': "
        "bob is not a member of this project (rule: membership).",
    )
    rule, reason = reasons["chloe/snds-cardio-large"]
    assert rule == "policy"
    assert "chloe may no longer run a 'large' bubble in project 'snds-cardio'" in reason
    assert "alice/psy-cohort-notebook" not in reasons
