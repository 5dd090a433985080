"""The audit trail of a real hub: logins, bubbles, code run in a real bubble, who may read and write.

A real hub (SQLite, then PostgreSQL) with a real JupyterLab bubble: cells run
through the Jupyter kernel protocol over the server's websocket, lines are
typed in a terminal, and the records are read back through the audit API as
the administrator. Tests run in order within the module (the last one stops
the bubble).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
from click.testing import CliRunner

from bulle.cli import main
from bulle.extensions.recorder import capture
from tests.hub.conftest import PASSWORDS
from tests.hub.hubprocess import HubClient, HubProcess, page_text

from .kernelclient import V1, KernelSocket, TerminalSocket

pytestmark = pytest.mark.integration

BUBBLE = "psy-cohort-notebook"
Records = Callable[..., list[dict[str, Any]]]


@pytest.fixture(scope="module")
def alice(hub: HubProcess) -> HubClient:
    client = hub.client()
    assert client.login("alice", PASSWORDS["alice"]).status_code == 200
    return client


@pytest.fixture(scope="module")
def ada(hub: HubProcess) -> HubClient:
    client = hub.client()
    assert client.login("ada", PASSWORDS["ada"]).status_code == 200
    return client


@pytest.fixture(scope="module")
def records(ada: HubClient) -> Records:
    """Records matching the filters, oldest first, read through the audit API as the administrator."""

    def read(**filters: str) -> list[dict[str, Any]]:
        query = "&".join(f"{name}={value}" for name, value in {**filters, "limit": "1000"}.items())
        response = ada.api("GET", f"/bulle/audit/events?{query}")
        assert response.status_code == 200, response.text
        return list(reversed(response.json()["records"]))

    return read


def wait_for(read: Callable[[], list[dict[str, Any]]], count: int, timeout: float = 60) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    found = read()
    while len(found) < count and time.monotonic() < deadline:
        time.sleep(0.25)
        found = read()
    assert len(found) >= count, f"expected {count} records, found {len(found)}: {found}"
    return found


@pytest.fixture(scope="module")
def bubble(hub: HubProcess, alice: HubClient) -> str:
    response = alice.get(f"/hub/spawn/alice/{BUBBLE}", allow_redirects=False)
    assert response.status_code == 302, page_text(response)
    alice.wait_ready("alice", BUBBLE)
    return BUBBLE


@pytest.fixture(scope="module")
def token(alice: HubClient, bubble: str) -> str:
    """A token of alice's that opens her bubble (as a browser session would)."""
    response = alice.api(
        "POST", "/users/alice/tokens", {"scopes": [f"access:servers!server=alice/{bubble}"], "note": "audit tests"}
    )
    assert response.status_code == 201, response.text
    return str(response.json()["token"])


@pytest.fixture(scope="module")
def kernel_url(hub: HubProcess, bubble: str, token: str) -> str:
    """The channels URL of a python3 kernel behind the notebook analysis.ipynb."""
    response = requests.post(
        f"{hub.url}/user/alice/{bubble}/api/sessions",
        headers={"Authorization": f"token {token}"},
        json={"path": "analysis.ipynb", "name": "analysis.ipynb", "type": "notebook", "kernel": {"name": "python3"}},
        timeout=60,
    )
    assert response.status_code == 201, response.text
    kernel_id = response.json()["kernel"]["id"]
    return f"ws://127.0.0.1:{hub.port}/user/alice/{bubble}/api/kernels/{kernel_id}/channels"


@pytest.fixture(params=["json", V1], ids=["json-protocol", "v1-protocol"])
def kernel(request: pytest.FixtureRequest, kernel_url: str, token: str) -> Iterator[KernelSocket]:
    socket = KernelSocket(kernel_url, token, request.param)
    yield socket
    socket.close()


def test_the_loaded_policy_is_recorded_with_its_files_digests(hub: HubProcess, records: Records) -> None:
    [loaded] = records(type="policy.loaded")
    files = {f["path"]: f["sha256"] for f in loaded["details"]["files"]}
    assert (
        files["projects/psy-cohort.yaml"]
        == hashlib.sha256((hub.policy_dir / "projects" / "psy-cohort.yaml").read_bytes()).hexdigest()
    )
    assert loaded["actor"] == "system:hub"


def test_logins_are_recorded_with_their_outcome(hub: HubProcess, alice: HubClient, records: Records) -> None:
    assert hub.client().login("bob", "not-his-password").status_code == 403
    assert hub.client().login("mallory", PASSWORDS["mallory"]).status_code == 403
    logins = {(r["actor"], r["outcome"], r["details"].get("reason", "")) for r in records(type="auth.login")}
    assert ("alice", "allow", "") in logins
    assert ("bob", "deny", "wrong username or password") in logins
    [(_, _, reason)] = [login for login in logins if login[0] == "mallory"]
    assert "mallory" in reason, "a policy refusal is recorded with the policy's sentence"


def test_a_logout_is_recorded(hub: HubProcess, records: Records) -> None:
    chloe = hub.client()
    chloe.login("chloe", PASSWORDS["chloe"])
    assert chloe.get("/hub/logout").status_code == 200
    [logout] = records(type="auth.logout", user="chloe")
    assert logout["details"] == {"remote_ip": "127.0.0.1"}


def test_a_refused_start_is_recorded_with_the_policy_sentence(alice: HubClient, records: Records) -> None:
    response = alice.get("/hub/spawn/alice/snds-cardio-notebook", allow_redirects=False)
    assert response.status_code == 403
    [refused] = records(type="bubble.refused", bubble="alice/snds-cardio-notebook")
    assert refused["outcome"] == "deny"
    assert refused["project"] == "snds-cardio"
    assert refused["details"]["rule"] == "membership"
    assert refused["details"]["sentence"] in page_text(response)


def test_a_start_is_recorded_before_and_after_the_launch(bubble: str, records: Records) -> None:
    kinds = [r["type"] for r in records(bubble=f"alice/{bubble}") if r["type"].startswith("bubble.")]
    assert kinds == ["bubble.requested", "bubble.started"]


def test_cells_sent_through_the_kernel_protocol_are_recorded_exactly(
    kernel: KernelSocket, bubble: str, records: Records
) -> None:
    code = f"# {kernel.protocol}\nanswer = 6 * 7\nprint('secret-' + str(answer))"
    execution = kernel.execute(code, cell_id=f"cell-{kernel.protocol}")
    assert (execution.status, execution.stdout) == ("ok", "secret-42\n")
    found = wait_for(
        lambda: [r for r in records(bubble=f"alice/{bubble}") if r["details"].get("msg_id") == execution.msg_id], 2
    )
    executed, result = found
    assert executed["type"] == "kernel.execute"
    assert executed["details"]["code"] == code
    assert (executed["actor"], executed["project"], executed["object"]) == ("alice", "psy-cohort", "analysis.ipynb")
    assert (executed["details"]["language"], executed["details"]["cell_id"]) == ("python", f"cell-{kernel.protocol}")
    assert result["type"] == "kernel.result"
    assert (result["details"]["status"], result["details"]["execution_count"]) == ("ok", execution.execution_count)
    assert result["details"]["output_messages"] == 1
    assert result["details"]["output_size"] > len("secret-42")


def test_outputs_and_errors_are_never_recorded(kernel: KernelSocket, bubble: str, records: Records) -> None:
    execution = kernel.execute("raise ValueError('patient-' + '1234')")
    assert execution.status == "error"
    wait_for(lambda: [r for r in records(type="kernel.result") if r["details"]["msg_id"] == execution.msg_id], 1)
    bodies = str(records(bubble=f"alice/{bubble}"))
    assert "patient-1234" not in bodies
    assert "secret-42" not in bodies


def test_lines_typed_in_a_terminal_are_recorded(hub: HubProcess, bubble: str, token: str, records: Records) -> None:
    created = requests.post(
        f"{hub.url}/user/alice/{bubble}/api/terminals", headers={"Authorization": f"token {token}"}, timeout=30
    )
    assert created.status_code == 200, created.text
    name = created.json()["name"]
    terminal = TerminalSocket(f"ws://127.0.0.1:{hub.port}/user/alice/{bubble}/terminals/websocket/{name}", token)
    try:
        terminal.type("echo bulle-$((6*7))\r")
        terminal.wait_for_output("bulle-42")
    finally:
        terminal.close()
    [line] = wait_for(lambda: records(type="terminal.input", bubble=f"alice/{bubble}"), 1)
    assert line["details"]["line"] == "echo bulle-$((6*7))"
    assert (line["actor"], line["project"]) == ("alice", "psy-cohort")


def test_the_replay_shows_the_cells_in_order(ada: HubClient, bubble: str, records: Records) -> None:
    codes = [r["details"]["code"] for r in records(type="kernel.execute", bubble=f"alice/{bubble}")]
    page = ada.get(f"/hub/audit/replay/alice/{bubble}")
    assert page.status_code == 200
    text = page_text(page)
    positions = [text.index(code.splitlines()[0]) for code in codes]
    assert positions == sorted(positions)
    assert "bytes of output" in text


def test_the_audit_page_filters_by_project_and_user(ada: HubClient) -> None:
    page = ada.get("/hub/audit?project=snds-cardio")
    assert page.status_code == 200
    assert "bubble.refused" in page_text(page)
    assert "kernel.execute" not in page_text(page)
    assert "kernel.execute" in page_text(ada.get("/hub/audit?user=alice&project=psy-cohort"))


def test_the_audit_link_shows_only_to_administrators(alice: HubClient, ada: HubClient) -> None:
    assert 'href="/hub/audit"' in ada.get("/hub/home").text
    assert 'href="/hub/audit"' not in alice.get("/hub/home").text


@pytest.mark.parametrize("where", ["/hub/audit", "/hub/audit/replay/alice/psy-cohort-notebook"])
def test_a_non_administrator_cannot_read_the_audit_pages(alice: HubClient, where: str) -> None:
    assert alice.get(where).status_code == 403


def test_a_non_administrator_cannot_read_the_audit_api(alice: HubClient, ada: HubClient, records: Records) -> None:
    assert alice.api("GET", "/bulle/audit/events").status_code == 403
    assert ada.api("GET", "/bulle/audit/events").status_code == 200
    denied = [r for r in records(type="audit.viewed", user="alice") if r["outcome"] == "deny"]
    assert denied, "a refused read is recorded too"


@pytest.fixture(scope="module")
def bubble_token(kernel_url: str, token: str) -> str:
    """The bubble's own hub token, as any code running in the bubble can read it."""
    socket = KernelSocket(kernel_url, token)
    try:
        return socket.execute("import os; print(os.environ['JUPYTERHUB_API_TOKEN'])").stdout.strip()
    finally:
        socket.close()


def send(hub: HubProcess, token: str, bubble: str, who: capture.BubbleIdentity) -> requests.Response:
    import datetime as dt

    event = capture.line_event(who, "9", "forged line", False, dt.datetime.now(dt.UTC)).as_dict()
    return requests.post(
        f"{hub.url}/hub/api/bulle/audit/bubbles/{bubble}/events",
        headers={"Authorization": f"token {token}"},
        json={"events": [event]},
        timeout=30,
    )


@pytest.mark.parametrize(
    ("path", "who", "status"),
    [
        ("alice/psy-cohort-notebook", ("alice", "psy-cohort", "psy-cohort-notebook"), 200),
        ("bob/snds-cardio-notebook", ("bob", "snds-cardio", "snds-cardio-notebook"), 403),
        ("alice/psy-cohort-notebook", ("bob", "psy-cohort", "psy-cohort-notebook"), 403),
        ("alice/psy-cohort-notebook", ("alice", "snds-cardio", "psy-cohort-notebook"), 403),
        ("alice/psy-cohort-large", ("alice", "psy-cohort", "psy-cohort-large"), 403),
    ],
    ids=["its-own-records", "another-users-bubble", "another-user", "another-project", "another-bubble-of-hers"],
)
def test_a_bubble_token_writes_only_its_own_records(
    hub: HubProcess, bubble_token: str, path: str, who: tuple[str, str, str], status: int
) -> None:
    response = send(hub, bubble_token, path, capture.BubbleIdentity(*who))
    assert response.status_code == status, response.text


def test_refused_writes_are_recorded(records: Records) -> None:
    refused = records(type="audit.write-refused")
    assert len(refused) == 4
    assert all(r["actor"] == "alice" and r["outcome"] == "deny" for r in refused)


def test_an_administrators_change_is_recorded(ada: HubClient, bubble: str, records: Records) -> None:
    ada.stop_server("alice", bubble)
    [action] = [r for r in records(type="admin.api", user="ada") if r["details"]["method"] == "DELETE"]
    assert action["object"] == f"/users/alice/servers/{bubble}"
    assert action["outcome"] == "allow"
    assert [r["type"] for r in records(bubble=f"alice/{bubble}")][-1] == "bubble.stopped"


def test_the_real_trail_verifies(hub: HubProcess) -> None:
    args = ["audit", "verify", "--state", str(hub.state_dir)]
    if hub.db_url:
        args += ["--db-url", hub.db_url]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "OK: the trail is intact." in result.output
