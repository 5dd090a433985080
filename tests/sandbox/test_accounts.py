"""Bubble accounts are created on demand, even while another process holds the account files' lock."""

from __future__ import annotations

import os
import pwd
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from bulle.spawner.identity import _ensure_user

PASSWD_LOCK = Path("/etc/passwd.lock")
NAME = "bulle-locktest"

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="creating accounts needs root")


@pytest.fixture
def no_test_account() -> Iterator[None]:
    subprocess.run(["userdel", NAME], capture_output=True, check=False)
    yield
    subprocess.run(["userdel", NAME], capture_output=True, check=False)


@pytest.mark.usefixtures("no_test_account")
def test_an_account_is_created_once_a_held_lock_is_released() -> None:
    if PASSWD_LOCK.exists():
        pytest.fail(f"{PASSWD_LOCK} exists before the test: another process is editing accounts")
    # shadow-utils' lock file: it names a live process, so useradd waits for it ("cannot lock /etc/passwd").
    PASSWD_LOCK.write_text(f"{os.getpid()}")
    release = threading.Timer(0.3, PASSWD_LOCK.unlink)
    try:
        blocked = subprocess.run(["useradd", "--system", NAME], capture_output=True, text=True, check=False)
        assert blocked.returncode != 0
        assert "lock" in blocked.stderr, "the neighbour case: the lock really blocks useradd"
        release.start()
        account = _ensure_user(NAME)
    finally:
        release.cancel()
        release.join()
        PASSWD_LOCK.unlink(missing_ok=True)
    assert account.pw_name == NAME
    assert pwd.getpwnam(NAME).pw_uid == account.pw_uid
