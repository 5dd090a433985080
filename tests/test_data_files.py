"""The Jupyter configuration bubbles read is installed in the environment."""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def test_every_data_file_is_installed_in_the_environment() -> None:
    table = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    data_files = table["tool"]["setuptools"]["data-files"]
    assert data_files, "pyproject.toml declares no data files"
    for destination, sources in data_files.items():
        for source in sources:
            installed = Path(sys.prefix) / destination / Path(source).name
            assert installed.read_bytes() == (REPO / source).read_bytes(), f"run `make install`: {installed} is stale"
