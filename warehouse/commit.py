"""Writing a table's new rows and committing them as one Iceberg snapshot.

An ingest touches a table in two stages:

1. :func:`stage_table` writes the incoming batches as Parquet data files
   under the table's location, against the table's schema widened by the
   incoming columns (a new table's schema is built in memory). Nothing is
   visible yet: no snapshot references the files.
2. :func:`commit_table` commits one transaction that widens the schema,
   deletes the rows of files that changed since their last load, and appends
   the staged files, with the run's summary. When another ingest committed
   first (optimistic concurrency: the catalog refuses a commit whose base is
   stale), it reloads the table and tries again with the same files, so no
   commit is lost; if the other ingest loaded the same files meanwhile, it
   stops instead of loading them twice.

A run that fails between the stages calls :func:`discard_staged`, which
deletes the data files it wrote. A process killed at any point leaves the
table at its previous snapshot: the catalog switches the table's metadata
pointer in one database transaction, or not at all.
"""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
from pyiceberg.catalog import Catalog
from pyiceberg.exceptions import (
    CommitFailedException,
    NamespaceAlreadyExistsError,
    NoSuchTableError,
    TableAlreadyExistsError,
)
from pyiceberg.expressions import In
from pyiceberg.io import FileIO
from pyiceberg.io.pyarrow import _dataframe_to_data_files
from pyiceberg.manifest import DataFile
from pyiceberg.schema import Schema
from pyiceberg.table import Table, Transaction
from sqlalchemy.exc import IntegrityError

from .loads import FILE_COLUMN

KEY_ID_PROPERTY = "bulle.pseudonym-key-id"
SOURCE_PROPERTY = "bulle.source"


class CommitRefused(Exception):
    """A table cannot take this run's rows; the message says why and what to do."""


@dataclass
class StagedTable:
    identifier: tuple[str, str]
    arrow_schema: pa.Schema
    schema: Schema
    data_files: list[DataFile]
    is_new: bool
    location: str
    io: FileIO


def table_properties(source: str, key_id: str) -> dict[str, str]:
    return {SOURCE_PROPERTY: source, KEY_ID_PROPERTY: key_id, "write.parquet.compression-codec": "zstd"}


def load_or_none(catalog: Catalog, identifier: tuple[str, str]) -> Table | None:
    try:
        return catalog.load_table(identifier)
    except NoSuchTableError:
        return None


def check_key_id(table: Table, key_id: str) -> None:
    """Refuse to mix pseudonyms of two keys in one table."""
    existing = table.properties.get(KEY_ID_PROPERTY)
    if existing is not None and existing != key_id:
        name = ".".join(table.name()[-2:])
        raise CommitRefused(
            f"table {name} holds pseudonyms made with key id {existing}, but this run uses key id {key_id}; "
            "use the table's key, or re-key the table before loading it with a new one"
        )


def _begin(
    catalog: Catalog, identifier: tuple[str, str], arrow_schema: pa.Schema, properties: Mapping[str, str]
) -> tuple[Transaction, bool]:
    """A transaction on the table, creating it in the same commit when it does not exist yet."""
    table = load_or_none(catalog, identifier)
    if table is None:
        _ensure_namespace(catalog, identifier[0])
        return catalog.create_table_transaction(identifier, schema=arrow_schema, properties=dict(properties)), True
    check_key_id(table, properties[KEY_ID_PROPERTY])
    transaction = table.transaction()
    _widen_schema(transaction, arrow_schema)
    return transaction, False


def _ensure_namespace(catalog: Catalog, namespace: str) -> None:
    """Create ``namespace`` unless it exists, also when another ingest creates it at the same moment.

    pyiceberg's ``create_namespace_if_not_exists`` checks, then inserts: two
    runs may both see no namespace, and the second insert then breaks the
    catalog's unique key (or raises ``NamespaceAlreadyExistsError``).
    """
    try:
        catalog.create_namespace_if_not_exists(namespace)
    except (NamespaceAlreadyExistsError, IntegrityError):
        if not catalog.namespace_exists(namespace):
            raise


def _widen_schema(transaction: Transaction, arrow_schema: pa.Schema) -> None:
    current = {field.name for field in transaction.table_metadata.schema().fields}
    if all(name in current for name in arrow_schema.names):
        return
    try:
        with transaction.update_schema() as update:
            update.union_by_name(arrow_schema)
    except (ValueError, TypeError) as exc:
        raise CommitRefused(f"the incoming columns do not fit the table's schema: {exc}") from None


def stage_table(
    catalog: Catalog,
    identifier: tuple[str, str],
    arrow_schema: pa.Schema,
    batches: Iterator[pa.RecordBatch],
    properties: Mapping[str, str],
) -> StagedTable:
    """Write ``batches`` as data files of ``identifier`` (stage 1); nothing is committed."""
    transaction, is_new = _begin(catalog, identifier, arrow_schema, properties)
    metadata = transaction.table_metadata
    reader = pa.RecordBatchReader.from_batches(arrow_schema, batches)
    # pyiceberg's own append writes and commits in one call; its writer is used alone here so that
    # the files can be committed later, retried on a new base, or deleted (pinned: pyiceberg <0.13).
    io = transaction._table.io
    files = list(_dataframe_to_data_files(table_metadata=metadata, df=reader, io=io, write_uuid=uuid.uuid4()))
    return StagedTable(identifier, arrow_schema, metadata.schema(), files, is_new, metadata.location, io)


def discard_staged(staged: StagedTable) -> None:
    """Delete the data files of a run that will not be committed."""
    for data_file in staged.data_files:
        staged.io.delete(data_file.file_path)


def commit_table(
    catalog: Catalog,
    staged: StagedTable,
    properties: Mapping[str, str],
    summary: dict[str, str],
    replaced_files: Iterable[str],
    already_loaded: Callable[[Table], set[str]],
    attempts: int,
) -> int:
    """Commit the staged files in one transaction (stage 2); returns the new snapshot id.

    ``replaced_files`` are the keys of changed files whose earlier rows are deleted;
    ``already_loaded(table)`` gives the keys of this run's files that the table's
    history already holds at their current digest: checked again before each attempt.
    """
    replaced = sorted(set(replaced_files))
    for attempt in range(attempts):
        transaction, _ = _begin(catalog, staged.identifier, staged.arrow_schema, properties)
        _check_same_field_ids(transaction, staged)
        if transaction.table_metadata.snapshots:
            loaded = already_loaded(transaction._table)
            if loaded:
                raise CommitRefused(
                    f"another ingest loaded {len(loaded)} of this run's files into {'.'.join(staged.identifier)} "
                    "meanwhile; nothing was committed, and running again loads only what is still new"
                )
        if replaced:
            transaction.delete(In(FILE_COLUMN, replaced), snapshot_properties=summary)
        with transaction.update_snapshot(snapshot_properties=summary).fast_append() as append:
            for data_file in staged.data_files:
                append.append_data_file(data_file)
        try:
            table = transaction.commit_transaction()
        except (CommitFailedException, TableAlreadyExistsError):
            time.sleep(min(2.0, 0.05 * 2**attempt) * (1 + random.random()))  # noqa: S311 - jitter, not security
            continue
        snapshot = table.current_snapshot()
        assert snapshot is not None  # noqa: S101 - we just committed one
        return snapshot.snapshot_id
    raise CommitRefused(
        f"{'.'.join(staged.identifier)} changed under {attempts} commit attempts in a row; nothing was committed, "
        "try again when the other ingests are done"
    )


def _check_same_field_ids(transaction: Transaction, staged: StagedTable) -> None:
    """The staged files carry field ids; a concurrent schema change may have given them to other columns."""
    current: dict[str, Any] = {f.name: (f.field_id, f.field_type) for f in transaction.table_metadata.schema().fields}
    for staged_field in staged.schema.fields:
        if current.get(staged_field.name) != (staged_field.field_id, staged_field.field_type):
            raise CommitRefused(
                f"the schema of {'.'.join(staged.identifier)} changed while this run was writing "
                f"(column {staged_field.name}); nothing was committed, run the ingest again"
            )
