"""The project's data, as a bubble reads it: ``from bulle.data import connect``.

::

    from bulle.data import connect, tables

    con = connect()                       # the project's granted tables, read-only
    con.sql("SELECT count(*) FROM omop_person").fetchall()
    tables()                              # [TableInfo(name='omop_person', columns=…, snapshot_id=…), …]

In the embedded deployment :func:`connect` returns a read-only DuckDB
connection over the project's extract (:mod:`.embedded`), pinned to the
version the bubble started with; in production, a Trino DB-API connection as
the project principal (:mod:`.production`). The spawner says which in the
bubble's environment (``BULLE_DATA_BACKEND``, ``BULLE_DATA_DIR``,
``BULLE_TRINO_*``). Every connection opened in a bubble is recorded in the
audit trail first (``data.connected``, :mod:`.record`).

This package runs inside bubbles: it never imports the hub.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .manifest import Manifest, read_manifest
from .production import DataAccessProblem, connect_trino, connection_parameters

__all__ = ["DataAccessProblem", "TableInfo", "connect", "tables"]

BACKENDS = ("duckdb", "trino")


@dataclass(frozen=True)
class TableInfo:
    """A granted table: its name in the connection, the warehouse table, its columns and source snapshot."""

    name: str
    table: str
    columns: tuple[tuple[str, str], ...]
    snapshot_id: int | None
    rows: int | None


def _environment(environ: Mapping[str, str] | None) -> Mapping[str, str]:
    return os.environ if environ is None else environ


def _backend(env: Mapping[str, str]) -> str:
    backend = env.get("BULLE_DATA_BACKEND", "duckdb")
    if backend not in BACKENDS:
        raise DataAccessProblem(f"BULLE_DATA_BACKEND is {backend!r}; it must be one of {', '.join(BACKENDS)}")
    return backend


def extract_dir(env: Mapping[str, str]) -> Path:
    """The extract version this bubble was started with."""
    folder = env.get("BULLE_DATA_DIR", "")
    if not folder:
        project = env.get("BULLE_PROJECT", "this project")
        raise DataAccessProblem(
            f"{project} had no data extract when this bubble started; ask a data steward to run "
            f"`bulle extract {project}`, then restart the bubble"
        )
    return Path(folder)


def _manifest(env: Mapping[str, str]) -> Manifest:
    return read_manifest(extract_dir(env))


def tables(environ: Mapping[str, str] | None = None) -> list[TableInfo]:
    """The tables the project was granted, with their columns and the snapshot they come from.

    In production the columns are Trino's (``information_schema``, read through a
    recorded :func:`connect`) and the snapshot is unknown to the bubble (None).
    """
    env = _environment(environ)
    if _backend(env) == "duckdb":
        return [
            TableInfo(t.name, t.table, tuple((c.name, c.type) for c in t.columns), t.snapshot_id, t.rows)
            for t in _manifest(env).tables
        ]
    cursor = connect(env).cursor()
    cursor.execute(
        "SELECT table_name, column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = ? ORDER BY table_name, ordinal_position",
        [env["BULLE_TRINO_SCHEMA"]],
    )
    found: dict[str, list[tuple[str, str]]] = {}
    for table, column, data_type in cursor.fetchall():
        found.setdefault(table, []).append((column, data_type))
    return [TableInfo(name, name, tuple(columns), None, None) for name, columns in found.items()]


def record_connection(env: Mapping[str, str]) -> Manifest | None:
    """Record, before opening it, a connection of this bubble to its data; the extract's manifest when embedded.

    Raises :class:`DataAccessProblem` when the bubble has no data and
    :class:`~bulle.data.record.NotRecorded` when the hub did not record the
    connection. Outside a bubble nothing is sent.
    """
    from .record import BubbleContext, connected_event, send_record

    context = BubbleContext.from_environment(env)
    manifest = None
    if _backend(env) == "trino":
        parameters = connection_parameters(env)
        details: dict[str, Any] = {
            "backend": "trino",
            "server": f"{parameters['http_scheme']}://{parameters['host']}:{parameters['port']}",
            "catalog": parameters["catalog"],
            "schema": parameters["schema"],
            "principal": parameters["user"],
        }
    else:
        manifest = _manifest(env)
        details = {
            "backend": "duckdb",
            "version": manifest.version,
            "plan_sha256": manifest.plan_sha256,
            "tables": [{"name": t.name, "snapshot_id": t.snapshot_id} for t in manifest.tables],
        }
    if context is not None:
        send_record(context, connected_event(context, details, dt.datetime.now(dt.UTC)))
    return manifest


def connect(environ: Mapping[str, str] | None = None) -> Any:
    """A read-only connection to the project's granted tables, recorded in the audit trail.

    Embedded: a ``duckdb.DuckDBPyConnection`` with one view per granted table.
    Production: a ``trino.dbapi.Connection`` as the project principal. Raises
    :class:`DataAccessProblem` when the bubble has no data, and
    :class:`~bulle.data.record.NotRecorded` when the hub did not record the
    connection (nothing is opened then).
    """
    env = _environment(environ)
    manifest = record_connection(env)
    if manifest is None:
        return connect_trino(env)
    from .embedded import open_extract

    return open_extract(extract_dir(env), manifest)
