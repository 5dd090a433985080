"""The Jupyter configuration bubbles read, and the airlock's JupyterLab extension, are installed in the environment."""

from __future__ import annotations

import json
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


def test_the_airlock_jupyterlab_extension_is_built_and_installed() -> None:
    """`make install` builds extensions/airlock/lab into labextension/ and copies it into the prefix."""
    built = REPO / "extensions" / "airlock" / "labextension" / "package.json"
    installed = Path(sys.prefix) / "share" / "jupyter" / "labextensions" / "@bulle" / "jupyterlab-airlock"
    assert built.exists(), "run `make install`: the airlock's JupyterLab extension is not built"
    assert (installed / "package.json").read_bytes() == built.read_bytes(), f"run `make install`: {installed} is stale"
    load = json.loads(built.read_text(encoding="utf-8"))["jupyterlab"]["_build"]["load"]
    assert (installed / load).is_file()
    newest_source = max(p.stat().st_mtime for p in (REPO / "extensions" / "airlock" / "lab" / "src").glob("*.js"))
    assert built.stat().st_mtime >= newest_source, (
        "run `make install`: the JupyterLab extension is older than its source"
    )
