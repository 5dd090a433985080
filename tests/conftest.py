"""Fixtures shared by every test tier.

- ``repo_root``: the source tree.
- ``shared_data``: ``../shared/data`` (third-party samples), or a skip with the
  reason when a fresh clone has no such folder.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture(scope="session")
def shared_data() -> Path:
    path = Path(os.environ.get("BULLE_SHARED_DATA", REPO_ROOT.parent / "shared" / "data"))
    if not path.is_dir():
        pytest.skip(f"third-party sample data not found at {path} (set BULLE_SHARED_DATA)")
    return path
