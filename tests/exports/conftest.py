"""Fixtures for the airlock's workflow tests.

- ``db_url``: an empty hub database, SQLite (a new file) or PostgreSQL (a
  throwaway database on 127.0.0.1:5432, shared by the module, emptied after
  each test);
- ``trail``: an open audit trail on it, installed for :func:`bulle.audit.record`;
- ``workflow``: an open :class:`~bulle.exports.ExportWorkflow` with the
  helpers' policy and a state folder in ``tmp_path``;
- ``outbox``: alice's outbox in project ``alpha`` (``alpha-notebook`` is her bubble).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bulle import audit
from bulle.exports import ExportWorkflow
from bulle.state import StateLayout
from tests.hub.conftest import empty_db_url, postgres_url  # noqa: F401  (fixtures)

from .helpers import make_policy


@pytest.fixture
def trail(db_url: str) -> Iterator[audit.AuditTrail]:
    with audit.open_trail(db_url) as opened:
        audit.install(opened)
        yield opened
        audit.install(None)


@pytest.fixture
def layout(tmp_path: Path) -> StateLayout:
    layout = StateLayout(tmp_path / "state")
    layout.prepare_root()
    return layout


@pytest.fixture
def outbox(layout: StateLayout) -> Path:
    folder = layout.outbox_dir("alpha", "alice")
    folder.mkdir(parents=True)
    return folder


@pytest.fixture
def workflow(db_url: str, trail: audit.AuditTrail, layout: StateLayout, tmp_path: Path) -> Iterator[ExportWorkflow]:
    opened = ExportWorkflow(policy=make_policy(tmp_path / "policy"), state_dir=str(layout.root), db_url=db_url).open()
    yield opened
    opened.close()
