"""Fixtures shared by every test tier.

- ``repo_root``: the source tree.
- ``shared_data``: ``../shared/data`` (third-party samples), or a skip with the
  reason when a fresh clone has no such folder.
- :func:`load_bench`: a benchmark script of ``bench/`` as a module.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from types import ModuleType

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


def load_bench(name: str) -> ModuleType:
    """``bench/<name>.py`` as a module (the scripts are not a package)."""
    spec = importlib.util.spec_from_file_location(f"bench_{name}", REPO_ROOT / "bench" / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
