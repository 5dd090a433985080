"""Fixtures of the warehouse tests.

- ``key_secret`` / ``key``: a pseudonymisation key for the tests;
- ``shared_data``: the folder of real third-party samples (``../shared/data``
  beside the repository, or ``BULLE_SHARED_DATA``); tests that need it skip
  with the reason when it is absent, as on a fresh clone.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bulle.warehouse.pseudonym import PseudonymKey

REPO = Path(__file__).resolve().parents[2]
KEY_SECRET = b"test-secret-of-the-warehouse-0123456789abcdef"


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
