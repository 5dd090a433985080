"""A real hub, a real proxy, real JupyterLab bubbles: who may log in and start what.

Runs once with SQLite and once with PostgreSQL as the hub database.
"""

from __future__ import annotations

import os
import re
import stat

import pytest

from .conftest import PASSWORDS
from .hubprocess import HubClient, HubProcess, page_text

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def alice(hub: HubProcess) -> HubClient:
    client = hub.client()
    response = client.login("alice", PASSWORDS["alice"])
    assert response.status_code == 200
    assert response.url.endswith("/hub/home")
    return client


@pytest.fixture(scope="module")
def alice_bubble(alice: HubClient) -> str:
    """alice's psy-cohort notebook bubble, started once for the module."""
    response = alice.get("/hub/spawn/alice/psy-cohort-notebook", allow_redirects=False)
    assert response.status_code == 302, page_text(response)
    alice.wait_ready("alice", "psy-cohort-notebook")
    return "psy-cohort-notebook"


def test_member_starts_a_bubble_and_reaches_jupyterlab(alice: HubClient, alice_bubble: str) -> None:
    lab = alice.get(f"/user/alice/{alice_bubble}/lab")  # goes through the hub's OAuth
    assert lab.status_code == 200
    assert lab.url.endswith(f"/user/alice/{alice_bubble}/lab")
    status = alice.get(f"/user/alice/{alice_bubble}/api/status")
    assert status.status_code == 200
    assert "started" in status.json()


def test_bubble_works_in_the_project_workspace(hub: HubProcess, alice: HubClient, alice_bubble: str) -> None:
    contents = alice.get(f"/user/alice/{alice_bubble}/api/contents").json()
    assert sorted(item["name"] for item in contents["content"]) == ["outbox", "shared"]
    work = hub.state_dir / "projects" / "psy-cohort" / "work" / "alice"
    info = os.stat(work)
    assert stat.S_IMODE(info.st_mode) == 0o700
    assert stat.S_IMODE(os.stat(work / "outbox").st_mode) == 0o700
    assert os.stat(work / "outbox").st_uid == info.st_uid
    assert stat.S_IMODE(os.stat(hub.state_dir / "projects" / "psy-cohort" / "shared").st_mode) == 0o2770
    if os.geteuid() == 0:
        import pwd

        assert pwd.getpwuid(info.st_uid).pw_name == "bulle-alice"


def test_home_page_lists_the_members_bubbles(alice: HubClient, alice_bubble: str) -> None:
    home = alice.get("/hub/home")
    rows = re.findall(r'data-server-name="([^"]+)"', home.text)
    assert rows == ["psy-cohort-notebook", "psy-cohort-large"]
    assert "running" in page_text(home)


def test_spawn_form_lists_exactly_the_allowed_projects_and_profiles(alice: HubClient) -> None:
    form = alice.get("/hub/spawn")
    assert form.status_code == 200
    choices = re.findall(r'name="bubble" value="([^"]+)" formaction="([^"]+)"', form.text)
    assert choices == [
        ("psy-cohort/notebook", "/hub/spawn/alice/psy-cohort-notebook"),
        ("psy-cohort/large", "/hub/spawn/alice/psy-cohort-large"),
    ]
    text = page_text(form)
    for absent in ("snds-cardio", "pilot-2024", "paused-study"):
        assert absent not in text


def test_second_bubble_over_the_member_quota_is_refused(alice: HubClient, alice_bubble: str) -> None:
    response = alice.get("/hub/spawn/alice/psy-cohort-large")
    assert response.status_code == 403
    assert (
        "alice may not start a 'large' bubble in project 'psy-cohort': alice already runs 1 bubble in this "
        "project, the limit per member; stop one first (rule: quota-member)." in page_text(response)
    )


@pytest.mark.parametrize(
    ("server", "sentence"),
    [
        (
            "snds-cardio-notebook",
            "alice may not start a 'notebook' bubble in project 'snds-cardio': alice is not a member of this "
            "project (rule: membership).",
        ),
        ("pilot-2024-notebook", "in project 'pilot-2024': the project expired on"),
        ("paused-study-notebook", "in project 'paused-study': the project is suspended (rule: status)."),
    ],
    ids=["other-project", "expired-project", "suspended-project"],
)
def test_refused_bubbles_answer_403_with_the_policy_sentence(alice: HubClient, server: str, sentence: str) -> None:
    response = alice.get(f"/hub/spawn/alice/{server}")
    assert response.status_code == 403
    assert sentence in page_text(response)
    assert alice.api("GET", "/users/alice").json()["servers"].get(server) is None


def test_tampered_form_values_are_refused(alice: HubClient) -> None:
    wrong_pair = alice.post("/hub/spawn/alice/psy-cohort-large", {"bubble": "snds-cardio/notebook"})
    assert wrong_pair.status_code == 403
    assert "the options ask for (snds-cardio, notebook) but this server is 'psy-cohort-large'" in page_text(wrong_pair)
    extra_field = alice.post("/hub/spawn/alice/psy-cohort-large", {"bubble": "psy-cohort/large", "cpu": "64"})
    assert extra_field.status_code == 403
    assert "unexpected form fields: cpu (rule: form)" in page_text(extra_field)
    default_server = alice.post("/hub/spawn/alice", {"bubble": "psy-cohort/large"})
    assert default_server.status_code == 403
    assert "bubbles run as named servers" in page_text(default_server)


def test_api_options_must_match_the_server_name(alice: HubClient) -> None:
    response = alice.api(
        "POST", "/users/alice/servers/psy-cohort-large", {"project": "snds-cardio", "profile": "notebook"}
    )
    assert response.status_code == 403
    assert "this server is 'psy-cohort-large'" in response.json()["message"]


def test_user_absent_from_the_policy_cannot_log_in(hub: HubProcess) -> None:
    mallory = hub.client()
    response = mallory.login("mallory", PASSWORDS["mallory"])
    assert response.status_code == 403
    assert "mallory may not log in: mallory is not a member of any project" in page_text(response)
    assert mallory.get("/hub/home").url.split("?")[0].endswith("/hub/login")


def test_wrong_password_does_not_log_in(hub: HubProcess) -> None:
    client = hub.client()
    response = client.login("alice", "not-her-password")
    assert "Invalid username or password" in page_text(response)
    assert client.get("/hub/home").url.split("?")[0].endswith("/hub/login")


def test_only_policy_admins_reach_the_admin_page(hub: HubProcess, alice: HubClient) -> None:
    ada = hub.client()
    ada.login("ada", PASSWORDS["ada"])
    assert ada.get("/hub/admin").status_code == 200
    assert alice.get("/hub/admin").status_code == 403


def test_admin_without_projects_sees_no_bubbles(hub: HubProcess) -> None:
    ada = hub.client()
    ada.login("ada", PASSWORDS["ada"])
    home = ada.get("/hub/home")
    assert "You are not a member of any open project" in page_text(home)
    assert "Platform roles: administrator, data steward." in page_text(home)


def test_stopped_bubble_frees_the_quota(alice: HubClient, alice_bubble: str) -> None:
    alice.stop_server("alice", alice_bubble)
    response = alice.get("/hub/spawn/alice/psy-cohort-large", allow_redirects=False)
    assert response.status_code == 302, page_text(response)[-800:]
    alice.wait_ready("alice", "psy-cohort-large")
    alice.stop_server("alice", "psy-cohort-large")
