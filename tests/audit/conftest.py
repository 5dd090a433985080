"""Fixtures for the audit trail tests.

- ``db_url``: an empty hub database, SQLite (a new file) or PostgreSQL (a
  throwaway database on 127.0.0.1:5432, shared by the module, emptied after
  each test);
- ``trail``: an open trail on it, with a signing key and a checkpoint file in
  ``tmp_path``, closed after the test;
- ``make``: a factory of valid events (``make("auth.login", actor="alice")``);
- ``hub``, ``postgres_url``, ``traversable_tmp``: the real hubs of ``tests/hub``.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from bulle import audit
from tests.hub.conftest import empty_db_url, hub, postgres_url, traversable_tmp  # noqa: F401  (fixtures)

T0 = dt.datetime(2026, 5, 1, 12, 0, tzinfo=dt.UTC)

DETAILS: dict[str, dict[str, Any]] = {
    "auth.login": {"authenticator": "LocalPasswordAuthenticator", "remote_ip": "127.0.0.1"},
    "kernel.execute": {
        "kernel_id": "k1",
        "kernel_name": "python3",
        "language": "python",
        "msg_id": "m1",
        "code": "print(1)",
        "code_sha256": "0" * 64,
        "code_size": 8,
        "code_truncated": False,
        "silent": False,
    },
    "terminal.input": {"terminal": "1", "line": "ls", "line_truncated": False},
}


@pytest.fixture
def key_file(tmp_path: Path) -> Path:
    return tmp_path / "keys" / "audit-signing-key.pem"


@pytest.fixture
def checkpoint_file(tmp_path: Path) -> Path:
    return tmp_path / "keys" / "audit-checkpoints.jsonl"


@pytest.fixture
def trail(db_url: str, key_file: Path, checkpoint_file: Path) -> Iterator[audit.AuditTrail]:
    with audit.open_trail(
        db_url, signing_key_file=key_file, checkpoint_file=checkpoint_file, create_signing_key=True
    ) as opened:
        yield opened


_counter = itertools.count()


def make_event(type: str = "auth.login", **fields: Any) -> audit.Event:
    fields.setdefault("actor", "alice")
    fields.setdefault("time", T0 + dt.timedelta(seconds=next(_counter)))
    fields.setdefault("details", DETAILS[type])
    if type != "auth.login":
        fields.setdefault("project", "psy-cohort")
        fields.setdefault("bubble", "alice/psy-cohort-notebook")
    return audit.make_event(type, **fields)


@pytest.fixture
def make() -> Callable[..., audit.Event]:
    return make_event
