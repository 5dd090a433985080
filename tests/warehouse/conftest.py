"""Fixtures of the warehouse tests.

- ``key_secret`` / ``key``: a pseudonymisation key for the tests;
- ``settings``: an embedded warehouse in a temporary state folder;
- ``shared_data``: the folder of real third-party samples (``../shared/data``
  beside the repository, or ``BULLE_SHARED_DATA``); tests that need it skip
  with the reason when it is absent, as on a fresh clone.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from warehouse_helpers import KEY_SECRET

from bulle.warehouse.config import Warehouse
from bulle.warehouse.pseudonym import PseudonymKey

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def key_secret() -> bytes:
    return KEY_SECRET


@pytest.fixture(scope="session")
def key() -> PseudonymKey:
    return PseudonymKey(KEY_SECRET)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    root = Path(os.environ.get("BULLE_SHARED_DATA", REPO.parent / "shared" / "data"))
    if not root.is_dir():
        pytest.skip(f"the shared sample data is not at {root} (set BULLE_SHARED_DATA to its folder)")
    return root


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Warehouse:
    """An embedded warehouse in a temporary state folder, keyed by ``KEY_SECRET`` from a file."""
    key_file = tmp_path / "pseudonym.key"
    key_file.write_bytes(KEY_SECRET)
    monkeypatch.delenv("BULLE_PSEUDONYM_KEY", raising=False)
    return Warehouse(state_dir=str(tmp_path / "state"), pseudonym_key_file=str(key_file))
