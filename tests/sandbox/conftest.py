"""A real sandboxed hub, its bubbles and their kernels.

The sandbox policy has two projects and four profiles: ``notebook`` (1 CPU,
1 GiB, long timeouts), ``brief`` (a lifetime of 20 s), ``sleepy`` (an idle
timeout of 5 s) and ``large``. Fixtures, all module-scoped so each module
starts one hub:

- ``sandbox_hub``: the hub (SQLite; isolation does not depend on the database);
  psy-cohort has an (empty) extract ``v1``, which its bubbles see read-only;
- ``alice`` / ``bob``: logged-in clients; ``alice_bubble``: alice's running
  psy-cohort notebook, opened once in JupyterLab; ``bob_bubble``: bob's
  snds-cardio notebook;
- ``kernel``: a kernel in alice's bubble (:class:`~tests.sandbox.kernel.KernelSession`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from bulle.data.manifest import MANIFEST_NAME, Manifest
from bulle.data.versions import ExtractVersions
from bulle.state import RuntimeLayout, StateLayout, default_runtime_dir
from tests.hub.conftest import PASSWORDS, make_state, traversable_tmp
from tests.hub.hubprocess import HubClient, HubProcess, page_text

from .kernel import KernelSession

__all__ = ["traversable_tmp"]  # the session fixture, shared with tests/hub

PLATFORM = """timezone: Europe/Paris
profiles:
  - {name: notebook, kind: notebook, cpu: 1, memory: 1G, image: example.org/nb:1, idle_timeout: 1h, max_lifetime: 12h}
  - {name: large, kind: notebook, cpu: 2, memory: 2G, image: example.org/nb:1, idle_timeout: 1h, max_lifetime: 12h}
  - {name: brief, kind: notebook, cpu: 1, memory: 1G, image: example.org/nb:1, idle_timeout: 20s, max_lifetime: 20s}
  - {name: sleepy, kind: notebook, cpu: 1, memory: 1G, image: example.org/nb:1, idle_timeout: 5s, max_lifetime: 1h}
roles:
  admins: [ada]
  output_checkers: [oscar]
  data_stewards: [ada]
"""

PROJECT = """id: {id}
title: Sandbox test project {id}
status: approved
valid_from: {start}
valid_until: {end}
members:
{members}
profiles: [notebook, large, brief, sleepy]
quotas:
  bubbles_per_member: 1
  bubbles_per_project: 3
  cpu: 4
  memory: 4G
"""


def write_sandbox_policy(directory: Path, today: dt.date) -> None:
    (directory / "projects").mkdir(parents=True)
    (directory / "platform.yaml").write_text(PLATFORM, encoding="utf-8")
    members = {"psy-cohort": ["alice", "chloe"], "snds-cardio": ["bob", "chloe"]}
    for project_id, users in members.items():
        listed = "\n".join(f"  - user: {user}\n    role: researcher" for user in users)
        text = PROJECT.format(
            id=project_id, start=today - dt.timedelta(days=1), end=today + dt.timedelta(days=30), members=listed
        )
        (directory / "projects" / f"{project_id}.yaml").write_text(text, encoding="utf-8")


def publish_empty_extract(layout: StateLayout, project_id: str) -> Path:
    """An extract version with no table, made current: what a bubble of the project mounts."""
    versions = ExtractVersions(layout.data_dir(project_id))
    name = versions.next_name()
    folder = versions.version_dir(name)
    folder.mkdir(mode=0o755, parents=True)
    manifest = Manifest(project_id, name, "2026-01-01T00:00:00Z", "0" * 64, "test", ())
    (folder / MANIFEST_NAME).write_text(manifest.to_json(), encoding="utf-8")
    versions.publish(name)
    return folder


def start_bubble(client: HubClient, user: str, server: str) -> str:
    response = client.get(f"/hub/spawn/{user}/{server}", allow_redirects=False)
    assert response.status_code == 302, page_text(response)
    client.wait_ready(user, server)
    lab = client.get(f"/user/{user}/{server}/lab")  # the hub's OAuth sets the bubble's cookies
    assert lab.status_code == 200, lab.text[-500:]
    return server


@pytest.fixture(scope="module")
def sandbox_hub(traversable_tmp: Path, request: pytest.FixtureRequest) -> Iterator[HubProcess]:
    name = f"sandbox-{request.module.__name__.rsplit('.', 1)[-1]}"
    policy_dir, state_dir = make_state(traversable_tmp, name, write_sandbox_policy)
    publish_empty_extract(StateLayout(state_dir), "psy-cohort")
    hub = HubProcess(policy_dir, state_dir).start()
    yield hub
    hub.stop()


@pytest.fixture(scope="module")
def layout(sandbox_hub: HubProcess) -> StateLayout:
    return StateLayout(sandbox_hub.state_dir.resolve())


@pytest.fixture(scope="module")
def runtime(layout: StateLayout) -> RuntimeLayout:
    return RuntimeLayout(default_runtime_dir(layout.root, 0, Path("/tmp")))


def _login(hub: HubProcess, user: str) -> HubClient:
    client = hub.client()
    assert client.login(user, PASSWORDS[user]).url.endswith("/hub/home")
    return client


@pytest.fixture(scope="module")
def alice(sandbox_hub: HubProcess) -> HubClient:
    return _login(sandbox_hub, "alice")


@pytest.fixture(scope="module")
def bob(sandbox_hub: HubProcess) -> HubClient:
    return _login(sandbox_hub, "bob")


@pytest.fixture(scope="module")
def chloe(sandbox_hub: HubProcess) -> HubClient:
    return _login(sandbox_hub, "chloe")


@pytest.fixture(scope="module")
def alice_bubble(alice: HubClient) -> str:
    return start_bubble(alice, "alice", "psy-cohort-notebook")


@pytest.fixture(scope="module")
def bob_bubble(bob: HubClient) -> str:
    return start_bubble(bob, "bob", "snds-cardio-notebook")


@pytest.fixture(scope="module")
def kernel(alice: HubClient, alice_bubble: str) -> Iterator[KernelSession]:
    session = KernelSession(alice, "alice", alice_bubble)
    yield session
    session.close()
