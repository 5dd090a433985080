"""DuckDB connections for the warehouse, and its extensions from their PyPI wheels.

DuckDB downloads extensions from its own site, which air-gapped TRE hosts
cannot reach; bulle pins ``duckdb`` and the ``duckdb-extension-*`` wheels of
the same version and installs an extension from the wheel's file.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import duckdb

THREADS = 2
DEPENDENCIES = {"iceberg": ("avro", "httpfs")}


def connect(threads: int = THREADS) -> duckdb.DuckDBPyConnection:
    """An in-memory connection with ``threads`` threads and no progress bar on the terminal."""
    con = duckdb.connect(config={"threads": threads, "autoinstall_known_extensions": False})
    con.execute("SET enable_progress_bar = false")
    return con


def extension_file(name: str) -> Path:
    """The ``.duckdb_extension`` file shipped by the PyPI package ``duckdb-extension-<name>``."""
    spec = importlib.util.find_spec(f"duckdb_extension_{name}")
    if spec is None or spec.origin is None:
        raise ModuleNotFoundError(f"install duckdb-extension-{name}=={duckdb.__version__} to use DuckDB's {name}")
    folder = Path(spec.origin).parent / "extensions" / f"v{duckdb.__version__}"
    return folder / f"{name}.duckdb_extension"


def load_extension(con: duckdb.DuckDBPyConnection, name: str) -> None:
    """Install ``name`` and the extensions it needs from their wheels (no download), and load it."""
    for dependency in DEPENDENCIES.get(name, ()):
        load_extension(con, dependency)
    con.execute(f"INSTALL '{extension_file(name)}'")
    con.execute(f"LOAD {name}")
