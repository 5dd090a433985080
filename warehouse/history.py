"""A table's history and reads of its past (time travel).

Every ingest commit is a snapshot; :func:`table_history` lists them oldest
first with what bulle recorded in their summaries. :func:`resolve_as_of`
turns the user's ``--as-of`` (a snapshot id, or an ISO date or time, read as
UTC when it has no zone) into the snapshot current at that moment.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pyarrow as pa
from pyiceberg.catalog import Catalog
from pyiceberg.exceptions import NoSuchNamespaceError, NoSuchTableError
from pyiceberg.table import Table


class HistoryProblem(Exception):
    """A table or a point in its history that does not exist."""


@dataclass(frozen=True)
class HistoryEntry:
    snapshot_id: int
    committed_at: dt.datetime
    operation: str
    source: str
    run_id: str
    files: str
    rows_added: int
    rows_deleted: int
    total_rows: int
    loader_version: str


def open_table(catalog: Catalog, name: str) -> Table:
    """``namespace.table`` from the catalog, or a :class:`HistoryProblem` naming what exists."""
    if name.count(".") != 1:
        raise HistoryProblem(f"{name!r} is not a table name; write namespace.table, e.g. omop.person")
    try:
        return catalog.load_table(name)
    except (NoSuchTableError, NoSuchNamespaceError):
        namespace = name.split(".")[0]
        try:
            known = ", ".join(sorted(".".join(t) for t in catalog.list_tables(namespace))) or "none"
        except NoSuchNamespaceError:
            known = "none (no such namespace)"
        raise HistoryProblem(f"there is no table {name}; tables in {namespace}: {known}") from None


def table_history(table: Table) -> list[HistoryEntry]:
    entries = []
    for snapshot in sorted(table.metadata.snapshots, key=lambda s: (s.timestamp_ms, s.sequence_number)):
        summary = snapshot.summary
        values = summary.additional_properties if summary is not None else {}
        entries.append(
            HistoryEntry(
                snapshot_id=snapshot.snapshot_id,
                committed_at=dt.datetime.fromtimestamp(snapshot.timestamp_ms / 1000, dt.UTC),
                operation=summary.operation.value if summary is not None else "",
                source=values.get("bulle.source", ""),
                run_id=values.get("bulle.run-id", ""),
                files=values.get("bulle.files", ""),
                rows_added=int(values.get("added-records", 0)),
                rows_deleted=int(values.get("deleted-records", 0)),
                total_rows=int(values.get("total-records", 0)),
                loader_version=values.get("bulle.loader-version", ""),
            )
        )
    return entries


def parse_moment(text: str) -> dt.datetime | None:
    """An ISO date or date-time as an aware datetime (UTC when no zone is given), or None."""
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


def resolve_as_of(table: Table, text: str) -> int:
    """The snapshot id meant by ``text``: a snapshot id of the table, or a moment."""
    if text.isdigit():
        snapshot_id = int(text)
        if table.snapshot_by_id(snapshot_id) is None:
            raise HistoryProblem(f"table {_name(table)} has no snapshot {snapshot_id}; see `bulle warehouse history`")
        return snapshot_id
    moment = parse_moment(text)
    if moment is None:
        raise HistoryProblem(
            f"--as-of {text!r} is neither a snapshot id nor an ISO date or time (2026-05-01T12:00:00+02:00)"
        )
    entry = table.snapshot_as_of_timestamp(int(moment.timestamp() * 1000))
    if entry is None:
        raise HistoryProblem(f"table {_name(table)} did not exist yet at {moment.isoformat()}")
    return entry.snapshot_id


def read_as_of(table: Table, snapshot_id: int, limit: int | None = None) -> pa.Table:
    return table.scan(snapshot_id=snapshot_id, limit=limit).to_arrow()


def _name(table: Table) -> str:
    return ".".join(table.name()[-2:])
