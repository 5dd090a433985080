"""The airlock end to end: a real hub (SQLite, then PostgreSQL), a real sandboxed bubble, real HTTP.

alice writes tables into her outbox from notebook code (the Jupyter kernel
protocol), asks for their export through the bubble's airlock extension,
the hub reads and checks them itself, output checkers review them through
the hub's API and pages, the hub releases them, and alice downloads them
from the hub. Around that path, every refusal the issue names: the requester
and a project-member checker as reviewers, one approval for a flagged file,
paths that climb out of the outbox, a file edited after the request, direct
downloads from the bubble; and every action in the audit trail.

The policy: psy-cohort (alice, chloe), snds-cardio (bob, chloe); output
checkers oscar, olga and chloe (a member of both projects, so she may never
review them). Tests run in order within the module and share one bubble.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from bulle.state import StateLayout
from tests.sandbox.kernel import KernelSession

from .conftest import PASSWORDS, make_state, write_test_policy
from .hubprocess import HubClient, HubProcess, page_text

pytestmark = pytest.mark.integration

SERVER = "psy-cohort-notebook"
BUBBLE = f"/user/alice/{SERVER}"
AGES = "age_band,F,M\n18-39,120,95\n40-64,210,180\n65+,60,45\n"


def write_airlock_policy(directory: Path, today: dt.date) -> None:
    write_test_policy(directory, today)
    platform = directory / "platform.yaml"
    text = platform.read_text(encoding="utf-8").replace(
        "output_checkers: [oscar]", "output_checkers: [oscar, olga, chloe]"
    )
    platform.write_text(text, encoding="utf-8")


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def airlock_hub(request: pytest.FixtureRequest, traversable_tmp: Path) -> Iterator[HubProcess]:
    db_url = request.getfixturevalue("postgres_url") if request.param == "postgresql" else None
    policy_dir, state_dir = make_state(traversable_tmp, f"airlock-{request.param}", write_airlock_policy)
    running = HubProcess(policy_dir, state_dir, db_url).start()
    yield running
    running.stop()


def login(hub: HubProcess, user: str) -> HubClient:
    client = hub.client()
    assert client.login(user, PASSWORDS[user]).url.endswith("/hub/home")
    return client


@pytest.fixture(scope="module")
def alice(airlock_hub: HubProcess) -> HubClient:
    client = login(airlock_hub, "alice")
    response = client.get(f"/hub/spawn/alice/{SERVER}", allow_redirects=False)
    assert response.status_code == 302, page_text(response)
    client.wait_ready("alice", SERVER)
    assert client.get(f"{BUBBLE}/lab").status_code == 200  # the hub's OAuth sets the bubble's cookies
    return client


@pytest.fixture(scope="module")
def kernel(alice: HubClient) -> Iterator[KernelSession]:
    session = KernelSession(alice, "alice", SERVER)
    yield session
    session.close()


@pytest.fixture(scope="module")
def checkers(airlock_hub: HubProcess) -> dict[str, HubClient]:
    return {user: login(airlock_hub, user) for user in ("oscar", "olga", "chloe", "bob", "ada")}


@pytest.fixture(scope="module")
def layout(airlock_hub: HubProcess) -> StateLayout:
    return StateLayout(airlock_hub.state_dir.resolve())


def bubble_api(client: HubClient, method: str, path: str, body: Any = None) -> requests.Response:
    """The bubble's airlock API through the hub's proxy, with alice's browser cookies, as JupyterLab calls it."""
    xsrf = client.session.cookies.get("_xsrf", path=f"{BUBBLE}/") or ""
    return client.session.request(
        method, client.url(f"{BUBBLE}/bulle/airlock/{path}"), json=body, headers={"X-XSRFToken": xsrf}, timeout=120
    )


def ask(alice: HubClient, justification: str, *files: dict[str, str]) -> requests.Response:
    return bubble_api(alice, "POST", "requests", {"justification": justification, "files": list(files)})


def decide(client: HubClient, request_id: str, path: str, decision: str, **texts: str) -> requests.Response:
    body = {"file": path, "decision": decision, **texts}
    return client.api("POST", f"/bulle/airlock/requests/{request_id}/decisions", body)


def move(client: HubClient, request_id: str, status: str, comment: str = "") -> requests.Response:
    return client.api("POST", f"/bulle/airlock/requests/{request_id}/status", {"status": status, "comment": comment})


def refused_with(response: requests.Response, rule: str) -> str:
    assert response.status_code == 403, response.text
    message = str(response.json()["message"])
    assert f"(rule: {rule})." in message, message
    return message


def audit_records(ada: HubClient, **filters: str) -> list[dict[str, Any]]:
    query = "&".join(f"{k}={v}" for k, v in {**filters, "limit": "1000"}.items())
    response = ada.api("GET", f"/bulle/audit/events?{query}")
    assert response.status_code == 200, response.text
    return list(reversed(response.json()["records"]))


STATE: dict[str, str] = {}


def test_alice_writes_a_table_to_her_outbox_from_a_notebook(kernel: KernelSession, alice: HubClient) -> None:
    code = f"""
import io, json, pandas as pd
frame = pd.read_csv(io.StringIO({AGES!r}), index_col=0)
frame.to_csv("outbox/ages.csv")
frame.to_csv("outbox/ages_v2.csv")
pd.DataFrame({{"mean": [12.5, 13.1]}}, index=pd.Index(["north", "south"], name="region")).to_csv("outbox/means.csv")
print(json.dumps(sorted(__import__("os").listdir("outbox"))))
"""
    assert kernel.probe(code) == ["ages.csv", "ages_v2.csv", "means.csv"]
    listed = bubble_api(alice, "GET", "outbox")
    assert listed.status_code == 200, listed.text
    files = {f["path"]: f for f in listed.json()["files"]}
    assert files["ages.csv"]["suggested_kind"] == "frequency"


def test_the_bubble_lists_the_airlock_jupyterlab_extension(kernel: KernelSession) -> None:
    code = (
        "import json, subprocess, sys\n"
        "listed = subprocess.run([sys.executable, '-m', 'jupyter', 'labextension', 'list'],"
        " capture_output=True, text=True)\n"
        "print(json.dumps(listed.stdout + listed.stderr))"
    )
    listing = kernel.probe(code)
    line = next((line for line in listing.splitlines() if "@bulle/jupyterlab-airlock" in line), "")
    assert "enabled" in line, listing
    assert "OK" in line, listing


def test_the_bubble_gives_a_quick_report_with_the_projects_rules(alice: HubClient) -> None:
    response = bubble_api(alice, "POST", "check", {"path": "ages.csv", "kind": "frequency"})
    assert response.status_code == 200, response.text
    report = response.json()
    assert (report["status"], report["parameters"]["safe_threshold"]) == ("pass", 10)


def test_alice_asks_for_an_export_and_the_hub_pins_and_checks_the_file(alice: HubClient, layout: StateLayout) -> None:
    response = ask(alice, "Table 1 of the paper", {"path": "ages.csv", "kind": "frequency"})
    assert response.status_code == 201, response.text
    request = response.json()
    [file] = request["files"]
    assert (request["status"], request["requester"], request["project"]) == ("submitted", "alice", "psy-cohort")
    assert (file["verdict"], file["sha256"]) == ("pass", hashlib.sha256(AGES.encode()).hexdigest())
    assert file["report"]["checks"][0]["rule"] == "file-type"
    STATE["request"] = request["id"]
    blob = layout.airlock_blobs / file["sha256"]
    assert blob.read_text(encoding="utf-8") == AGES, "the hub keeps the bytes it read"
    assert oct(layout.airlock_dir.stat().st_mode & 0o777) == "0o700"
    listed = bubble_api(alice, "GET", "requests").json()["requests"]
    assert [r["id"] for r in listed] == [request["id"]]


@pytest.mark.parametrize(
    ("path", "rule"),
    [
        ("../.bashrc", "outbox-path"),
        ("/etc/passwd", "outbox-path"),
        ("tables/../../.bashrc", "outbox-path"),
        ("link.csv", "outbox-path"),
        ("linked/ages.csv", "outbox-path"),
    ],
    ids=["dotdot", "absolute", "dotdot-in-the-middle", "link-to-a-file-elsewhere", "link-to-a-folder-elsewhere"],
)
def test_paths_that_climb_out_of_the_outbox_are_refused(
    alice: HubClient, kernel: KernelSession, path: str, rule: str
) -> None:
    kernel.probe(
        "import os, json\n"
        "os.path.lexists('outbox/link.csv') or os.symlink(os.path.abspath('shared'), 'outbox/link.csv')\n"
        "os.path.lexists('outbox/linked') or os.symlink('/etc', 'outbox/linked')\n"
        "print(json.dumps(True))"
    )
    response = ask(alice, "why", {"path": path, "kind": "frequency"})
    message = refused_with(response, rule)
    assert message.startswith("alice may not ask to export")


def test_the_requester_is_refused_as_a_reviewer(alice: HubClient) -> None:
    message = refused_with(decide(alice, STATE["request"], "ages.csv", "approve"), "self-review")
    assert "alice made this request, and nobody reviews their own request" in message
    refused_with(move(alice, STATE["request"], "released"), "self-review")


def test_a_checker_without_the_review_scope_in_its_token_is_refused(
    airlock_hub: HubProcess, checkers: dict[str, HubClient]
) -> None:
    made = checkers["oscar"].api("POST", "/users/oscar/tokens", {"scopes": ["read:users:name"], "note": "narrow"})
    assert made.status_code == 201, made.text
    response = requests.post(
        f"{airlock_hub.url}/hub/api/bulle/airlock/requests/{STATE['request']}/decisions",
        headers={"Authorization": f"token {made.json()['token']}"},
        json={"file": "ages.csv", "decision": "approve"},
        timeout=30,
    )
    refused_with(response, "scope")


def test_a_checker_who_is_a_member_of_the_project_is_refused(checkers: dict[str, HubClient]) -> None:
    message = refused_with(decide(checkers["chloe"], STATE["request"], "ages.csv", "approve"), "project-member")
    assert message.startswith(f"chloe may not approve 'ages.csv' in request {STATE['request']} of project psy-cohort")
    queue = checkers["chloe"].api("GET", "/bulle/airlock/requests?for=review").json()["requests"]
    assert queue == [], "a checker never sees the requests of her own projects to review"


def test_a_checker_approves_and_releases(checkers: dict[str, HubClient], layout: StateLayout) -> None:
    oscar = checkers["oscar"]
    queue = oscar.api("GET", "/bulle/airlock/requests?for=review").json()["requests"]
    assert STATE["request"] in [r["id"] for r in queue]
    approved = decide(oscar, STATE["request"], "ages.csv", "approve", comment="counts over 10")
    assert approved.status_code == 200, approved.text
    assert approved.json()["files"][0]["outcome"] == "approved"
    released = move(oscar, STATE["request"], "released", "for the paper")
    assert released.status_code == 200, released.text
    assert released.json()["status"] == "released"
    release_dir = layout.release_dir("psy-cohort", STATE["request"])
    assert (release_dir / "files" / "ages.csv").read_text(encoding="utf-8") == AGES
    record = json.loads((release_dir / "release.json").read_text(encoding="utf-8"))
    assert record["reviewers"] == ["oscar"]
    assert record["files"][0]["sha256"] == hashlib.sha256(AGES.encode()).hexdigest()
    assert record["data"]["snapshots"] is None


def test_the_release_area_is_not_visible_in_the_bubble(kernel: KernelSession, layout: StateLayout) -> None:
    releases = layout.releases_dir("psy-cohort")
    assert kernel.probe(f"import os, json; print(json.dumps(os.path.exists({str(releases)!r})))") is False
    assert kernel.probe("import os, json; print(json.dumps(os.path.exists('outbox/ages.csv')))") is True


def test_the_requester_downloads_the_released_file_from_the_hub(
    alice: HubClient, checkers: dict[str, HubClient]
) -> None:
    url = f"/hub/airlock/requests/{STATE['request']}/released/ages.csv"
    response = alice.get(url)
    assert response.status_code == 200
    assert response.content == AGES.encode()
    assert response.headers["Content-Disposition"].startswith("attachment")
    page = alice.get(f"/hub/airlock/requests/{STATE['request']}")
    assert "bulle-airlock-download" in page.text
    assert checkers["oscar"].get(url).status_code == 403, "only the requester downloads"


def test_one_approval_is_not_enough_for_a_flagged_file(alice: HubClient, checkers: dict[str, HubClient]) -> None:
    response = ask(alice, "Mean cost by region", {"path": "means.csv", "kind": "statistics"})
    assert response.status_code == 201, response.text
    request = response.json()
    assert request["files"][0]["verdict"] == "review", "no counts file: a person must look"
    assert decide(checkers["oscar"], request["id"], "means.csv", "approve").status_code == 200
    refused_with(move(checkers["oscar"], request["id"], "released"), "undecided")
    assert decide(checkers["olga"], request["id"], "means.csv", "approve").status_code == 200
    assert move(checkers["olga"], request["id"], "released").json()["status"] == "released"


def test_a_file_edited_after_the_request_is_refused_at_release(
    alice: HubClient, kernel: KernelSession, checkers: dict[str, HubClient], layout: StateLayout
) -> None:
    request = ask(alice, "Table 1, second version", {"path": "ages_v2.csv", "kind": "frequency"}).json()
    assert decide(checkers["oscar"], request["id"], "ages_v2.csv", "approve").status_code == 200
    kernel.probe("open('outbox/ages_v2.csv', 'a').write('85+,3,2\\n'); print('true')")
    message = refused_with(move(checkers["oscar"], request["id"], "released"), "changed-since-request")
    assert "'ages_v2.csv' changed in the outbox after it was requested" in message
    assert not layout.release_dir("psy-cohort", request["id"]).exists()
    # What the checker reviews is still what was requested.
    shown = checkers["oscar"].get(f"/hub/airlock/requests/{request['id']}/files/ages_v2.csv")
    assert shown.content == AGES.encode()
    assert shown.headers["X-Content-Type-Options"] == "nosniff"
    returned = decide(checkers["oscar"], request["id"], "ages_v2.csv", "return", comment="it changed; ask again")
    assert returned.status_code == 200
    assert move(checkers["oscar"], request["id"], "returned").json()["status"] == "returned"


def test_direct_downloads_from_the_bubble_answer_403(alice: HubClient) -> None:
    for path in (
        "files/outbox/ages.csv",
        "files/outbox/ages.csv?download=1",
        "view/outbox/ages.csv",
        "nbconvert/html/analysis.ipynb?download=true",
        "nbconvert/script/analysis.ipynb",
    ):
        response = alice.session.get(alice.url(f"{BUBBLE}/{path}"), timeout=30)
        assert response.status_code == 403, (path, response.status_code)
        assert "results leave only through the airlock" in page_text(response)
    # JupyterLab still opens files through the contents API.
    xsrf = alice.session.cookies.get("_xsrf", path=f"{BUBBLE}/") or ""
    contents = alice.session.get(
        alice.url(f"{BUBBLE}/api/contents/outbox/ages.csv"), headers={"X-XSRFToken": xsrf}, timeout=30
    )
    assert contents.status_code == 200


def test_others_may_not_see_a_request(checkers: dict[str, HubClient]) -> None:
    page = checkers["bob"].get(f"/hub/airlock/requests/{STATE['request']}")
    assert page.status_code == 403
    assert "(rule: not-involved)" in page_text(page)
    listing = checkers["oscar"].get("/hub/airlock")
    assert listing.status_code == 200
    assert "bulle-airlock-to-review" in listing.text


def test_every_action_is_in_the_audit_trail(checkers: dict[str, HubClient]) -> None:
    ada = checkers["ada"]
    deadline = time.monotonic() + 30
    while not audit_records(ada, type="outbox.written", project="psy-cohort") and time.monotonic() < deadline:
        time.sleep(0.5)
    mine = audit_records(ada, project="psy-cohort")
    kinds = {r["type"] for r in mine}
    for wanted in (
        "outbox.written",
        "airlock.requested",
        "airlock.reviewed",
        "airlock.released",
        "airlock.downloaded",
        "airlock.viewed",
        "airlock.returned",
        "airlock.refused",
    ):
        assert wanted in kinds, f"{wanted} is missing from the trail"
    written = {r["details"]["path"] for r in mine if r["type"] == "outbox.written"}
    assert {"ages.csv", "means.csv"} <= written
    refusals = {
        (r["actor"], r["details"]["action"], r["details"]["rule"]) for r in mine if r["type"] == "airlock.refused"
    }
    assert ("chloe", "review", "project-member") in refusals
    assert ("oscar", "release", "undecided") in refusals
    assert ("oscar", "release", "changed-since-request") in refusals
    assert ("alice", "request", "outbox-path") in refusals
    [released] = [r for r in mine if r["type"] == "airlock.released" and r["object"] == STATE["request"]]
    assert (released["actor"], released["bubble"]) == ("oscar", f"alice/{SERVER}")
    not_involved = audit_records(ada, type="airlock.refused", user="bob")
    assert [r["details"]["rule"] for r in not_involved] == ["not-involved"]
