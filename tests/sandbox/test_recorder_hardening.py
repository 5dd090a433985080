"""A member cannot switch the session recorder off from their own workspace.

A bubble's home is the member's workspace, which they can write. Jupyter
reads its *user* configuration from ``JUPYTER_CONFIG_DIR`` (``~/.jupyter`` by
default) and Python adds ``~/.local/lib/python3.X/site-packages`` to its path,
both with top priority: code run in a bubble could plant files there that
disable the recorder at the bubble's next start. bulle points
``JUPYTER_CONFIG_DIR`` at a read-only folder and sets ``PYTHONNOUSERSITE``;
JupyterLab's own user settings stay writable (their neighbour test).
"""

from __future__ import annotations

import json
import time

import pytest

from tests.hub.conftest import PASSWORDS
from tests.hub.hubprocess import HubClient, HubProcess

from .conftest import start_bubble
from .kernel import KernelSession

pytestmark = pytest.mark.integration

PLANT = """
import json, os, pathlib, sys
home = pathlib.Path.home()
(home / ".jupyter").mkdir(exist_ok=True)
off = {"ServerApp": {"jpserver_extensions": {"bulle.extensions.recorder": False}}}
(home / ".jupyter" / "jupyter_server_config.json").write_text(json.dumps(off))
off_py = "c.ServerApp.jpserver_extensions = {'bulle.extensions.recorder': False}"
(home / ".jupyter" / "jupyter_server_config.py").write_text(off_py)
site = home / ".local" / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" / "site-packages"
site.mkdir(parents=True, exist_ok=True)
(site / "usercustomize.py").write_text("import os; os.environ['BULLE_PLANTED'] = '1'")
env = os.environ
print(json.dumps({"config_dir": env.get("JUPYTER_CONFIG_DIR"), "nousersite": env.get("PYTHONNOUSERSITE")}))
"""


def executed_codes(hub: HubProcess, marker: str) -> list[str]:
    ada = hub.client()
    ada.login("ada", PASSWORDS["ada"])
    records = ada.api("GET", "/bulle/audit/events?type=kernel.execute&bubble=alice/psy-cohort-notebook&limit=500")
    return [r["details"]["code"] for r in records.json()["records"] if marker in r["details"]["code"]]


def test_files_planted_in_the_workspace_do_not_switch_the_recorder_off(
    sandbox_hub: HubProcess, alice: HubClient, alice_bubble: str
) -> None:
    first = KernelSession(alice, "alice", alice_bubble)
    try:
        planted = first.probe(PLANT)
    finally:
        first.close()
    assert planted["nousersite"] == "1"
    assert planted["config_dir"]
    assert not planted["config_dir"].startswith(str(sandbox_hub.state_dir))

    alice.stop_server("alice", alice_bubble)
    start_bubble(alice, "alice", alice_bubble)
    second = KernelSession(alice, "alice", alice_bubble)
    try:
        marker = f"recorded_after_restart_{time.monotonic_ns()}"
        assert (
            second.probe(f"import os, json; {marker} = 1; print(json.dumps(os.environ.get('BULLE_PLANTED')))") is None
        )
    finally:
        second.close()
    deadline = time.monotonic() + 30
    while not executed_codes(sandbox_hub, marker) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert executed_codes(sandbox_hub, marker), "the cell run after the restart must be in the audit trail"


def test_jupyterlab_user_settings_stay_writable(alice: HubClient, alice_bubble: str) -> None:
    plugin = "@jupyterlab/apputils-extension:themes"
    url = f"/user/alice/{alice_bubble}/lab/api/settings/{plugin}"
    xsrf = alice.session.cookies.get("_xsrf", path=f"/user/alice/{alice_bubble}/") or ""
    saved = alice.session.put(
        alice.url(url),
        data=json.dumps({"raw": '{"theme": "JupyterLab Dark"}'}),
        headers={"X-XSRFToken": xsrf, "Content-Type": "application/json"},
        timeout=30,
    )
    assert saved.status_code == 204, saved.text
    assert "JupyterLab Dark" in alice.get(url).json()["raw"]
