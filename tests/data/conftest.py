"""Fixtures of the extraction and data-access tests.

- ``warehouse``: a small real warehouse with projects alpha and beta, both
  extracted once (module-scoped; tests must not change it);
- ``fresh_warehouse``: the same, not extracted, for a test that changes it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from .extracts import TestWarehouse, make_warehouse


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> TestWarehouse:
    made = make_warehouse(tmp_path_factory.mktemp("warehouse"))
    made.extract("alpha")
    made.extract("beta")
    return made


@pytest.fixture
def fresh_warehouse(tmp_path: Path) -> TestWarehouse:
    return make_warehouse(tmp_path)
