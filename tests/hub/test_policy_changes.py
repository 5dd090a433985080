"""A policy change takes effect at the next hub start, whole or not at all."""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

import pytest

from .conftest import PASSWORDS, make_state
from .hubprocess import HubProcess, page_text

pytestmark = pytest.mark.integration


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_removed_member_and_admin_lose_access_at_the_next_start(traversable_tmp: Path) -> None:
    policy_dir, state_dir = make_state(traversable_tmp, "policy-change")
    hub = HubProcess(policy_dir, state_dir).start()
    try:
        bob = hub.client()
        assert bob.login("bob", PASSWORDS["bob"]).url.endswith("/hub/home")
        ada = hub.client()
        ada.login("ada", PASSWORDS["ada"])
        assert ada.get("/hub/admin").status_code == 200
    finally:
        hub.stop()

    _edit(policy_dir / "projects" / "snds-cardio.yaml", "  - user: bob\n    role: researcher\n", "")
    _edit(policy_dir / "platform.yaml", "admins: [ada]", "admins: [oscar]")
    hub = HubProcess(policy_dir, state_dir, port=hub.port).start()
    try:
        # bob left the policy: the hub deleted him at start, so his old cookie leads to the login page
        assert bob.get("/hub/home").url.split("?")[0].endswith("/hub/login")
        again = hub.client().login("bob", PASSWORDS["bob"])
        assert again.status_code == 403
        assert "bob may not log in" in page_text(again)
        assert ada.get("/hub/admin").status_code == 403
        oscar = hub.client()
        oscar.login("oscar", PASSWORDS["oscar"])
        assert oscar.get("/hub/admin").status_code == 200
    finally:
        hub.stop()


def test_hub_refuses_to_start_on_an_invalid_policy_and_changes_nothing(traversable_tmp: Path) -> None:
    policy_dir, state_dir = make_state(traversable_tmp, "policy-invalid")
    hub = HubProcess(policy_dir, state_dir).start()
    hub.stop()
    database = state_dir / "hub" / "jupyterhub.sqlite"
    before = hashlib.sha256(database.read_bytes()).hexdigest()

    # One good change and one broken file: none of it may apply.
    _edit(policy_dir / "platform.yaml", "admins: [ada]", "admins: [ada, oscar]")
    _edit(policy_dir / "projects" / "psy-cohort.yaml", "role: researcher", "role: reseacher")
    broken = HubProcess(policy_dir, state_dir)
    result = subprocess.run(broken.command(), env=broken.environment(), capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert (
        f"{policy_dir}/projects/psy-cohort.yaml:8: members[0].role: 'reseacher' is not one of: "
        "researcher, data_scientist, project_lead" in result.stderr
    )
    assert "the hub did not start" in result.stderr
    assert "Traceback" not in result.stderr
    assert hashlib.sha256(database.read_bytes()).hexdigest() == before
