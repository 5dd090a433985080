"""Flat files (CSV, TSV, Parquet; the ``csv``, ``parquet``, ``omop`` and ``snds`` kinds) read by DuckDB.

For one table, :func:`read_flat_table` checks each file's header against the
table's schema (declared, from a dictionary, or inferred), groups the files
that share a header, and streams each group through one DuckDB
``read_csv``/``read_parquet`` query. CSV rows DuckDB cannot parse or cast
(a bad date, a missing column, bytes that are not in the declared encoding)
are skipped and kept in DuckDB's rejects tables, which give the file, the line
and the reason of each.
"""

from __future__ import annotations

import csv
import gzip
import io
import threading
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from queue import Full, Queue

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from bulle.policies import Source

from .dictionary import ColumnDef
from .loads import FILE_COLUMN, InputFile, Rejection, TableRead
from .pseudonym import PseudonymKey
from .treatments import treat_batch

BATCH_ROWS = 1 << 19
_SOURCE_FILE = "__bulle_source_file"
DUCKDB_TYPES = {
    "string": "VARCHAR",
    "int": "INTEGER",
    "long": "BIGINT",
    "float": "FLOAT",
    "double": "DOUBLE",
    "boolean": "BOOLEAN",
    "date": "DATE",
    "timestamp": "TIMESTAMP",
}
ARROW_TYPES = {
    "string": pa.string(),
    "int": pa.int32(),
    "long": pa.int64(),
    "float": pa.float32(),
    "double": pa.float64(),
    "boolean": pa.bool_(),
    "date": pa.date32(),
    "timestamp": pa.timestamp("us"),
}
_ENCODING_HINT = {
    "utf-8": "if the file is Latin-1, declare encoding: latin-1 in the descriptor",
    "latin-1": "check the file's encoding",
}


def sql_text(value: str) -> str:
    """A SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


def is_parquet(path: Path) -> bool:
    return path.name.endswith(".parquet")


def read_flat_table(
    source: Source,
    table: str,
    files: Sequence[InputFile],
    columns: Sequence[ColumnDef] | None,
    key: PseudonymKey,
    con: duckdb.DuckDBPyConnection,
    *,
    from_dictionary: bool = False,
) -> TableRead:
    """Plan the read of ``files`` into ``table``; ``columns`` is the schema, None to infer it.

    ``con`` is the run's DuckDB connection; each table's rejects tables are named after it.
    """
    problems: list[str] = []
    groups: dict[tuple[str, ...], list[InputFile]] = {}
    for file in files:
        try:
            header = tuple(_header(file.path, source))
        except (OSError, UnicodeDecodeError, csv.Error, pa.ArrowException, EOFError) as exc:
            problems.append(_unreadable(file, exc, source))
            continue
        problems.extend(_header_problems(file, header, columns, table))
        groups.setdefault(header, []).append(file)
    queries = []
    if not problems:
        queries = [
            _query(con, source, members, header, columns, f"{table}_{i}")
            for i, (header, members) in enumerate(groups.items())
        ]
    arrow_schema = _union_schema([schema for _, schema, _ in queries], columns)
    digests = {str(f.path): f.key for f in files}
    relative = {str(f.path): f.relative for f in files}

    def produce(read: TableRead) -> Iterator[pa.RecordBatch]:
        for sql, _, rejects in queries:
            try:
                for batch in con.execute(sql).to_arrow_reader(BATCH_ROWS):
                    if batch.num_rows:
                        yield _finish_batch(batch, arrow_schema, digests, read, source, key)
            except duckdb.Error as exc:
                read.problems.append(f"reading failed: {str(exc).splitlines()[0]}")
                return
            if rejects:
                read.rejections.extend(_rejections(con, rejects, relative, source))

    def stream(read: TableRead) -> Iterator[pa.RecordBatch]:
        return prefetch(produce(read))

    schema = _treated_schema(arrow_schema, source, key)
    return TableRead(table, list(files), schema, stream, problems=problems, from_dictionary=from_dictionary)


def prefetch(batches: Iterator[pa.RecordBatch], depth: int = 2) -> Iterator[pa.RecordBatch]:
    """Run ``batches`` in a thread, ``depth`` ahead: DuckDB parses and pseudonymises the next batches
    while the caller writes Parquet (both release the GIL), so the two cores stay busy."""
    queue: Queue[pa.RecordBatch | BaseException | None] = Queue(maxsize=depth)
    stop = threading.Event()

    def run() -> None:
        try:
            for batch in batches:
                while not stop.is_set():
                    try:
                        queue.put(batch, timeout=0.1)
                        break
                    except Full:
                        continue
                if stop.is_set():
                    return
            queue.put(None)
        except BaseException as exc:
            queue.put(exc)

    worker = threading.Thread(target=run, name="bulle-read", daemon=True)
    worker.start()
    try:
        while (item := queue.get()) is not None:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        worker.join()


def _header(path: Path, source: Source) -> list[str]:
    if is_parquet(path):
        return list(pq.read_schema(path).names)
    if path.name.endswith(".gz"):
        _check_gzip_complete(path)
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rb") as raw:
        first = raw.readline()
    text = first.decode(source.csv_encoding).rstrip("\r\n")
    if not text:
        raise EOFError("the file is empty: it has no header line")
    return next(csv.reader(io.StringIO(text), delimiter=_delimiter(path, source)))


def _check_gzip_complete(path: Path) -> None:
    """Raise EOFError when a gzip file stops before its end marker (DuckDB would read it as if it ended there)."""
    with gzip.open(path, "rb") as stream:
        while stream.read(1 << 22):
            pass


def _delimiter(path: Path, source: Source) -> str:
    if source.delimiter is None and (path.name.endswith(".tsv") or path.name.endswith(".tsv.gz")):
        return "\t"
    return source.csv_delimiter


def _unreadable(file: InputFile, exc: Exception, source: Source) -> str:
    if isinstance(exc, UnicodeDecodeError):
        return (
            f"{file.relative}:1: the header is not {source.csv_encoding} text "
            f"(byte {exc.start}); {_ENCODING_HINT[source.csv_encoding]}"
        )
    if isinstance(exc, OSError) and not isinstance(exc, FileNotFoundError) and str(exc).startswith("Not a gzip"):
        return f"{file.relative}:1: not a gzip file, though its name ends in .gz"
    if isinstance(exc, EOFError) and "end-of-stream" in str(exc):
        return f"{file.relative}:1: the gzip stream stops before its end: the file is truncated"
    reason = getattr(exc, "strerror", None) or str(exc)
    return f"{file.relative}:1: cannot be read: {reason}"


def _header_problems(
    file: InputFile, header: Sequence[str], columns: Sequence[ColumnDef] | None, table: str
) -> list[str]:
    if columns is None:
        return []
    known = {c.name for c in columns}
    problems = [
        f"{file.relative}:1: column {name!r} is not in the schema of table {table}; declare it (or fix the header)"
        for name in header
        if name not in known
    ]
    present = set(header)
    problems += [
        f"{file.relative}:1: required column {c.name!r} of table {table} is missing from the header"
        for c in columns
        if c.required and c.name not in present
    ]
    duplicates = sorted({name for name in header if list(header).count(name) > 1})
    problems += [f"{file.relative}:1: column {name!r} appears twice in the header" for name in duplicates]
    return problems


def _query(
    con: duckdb.DuckDBPyConnection,
    source: Source,
    files: Sequence[InputFile],
    header: Sequence[str],
    columns: Sequence[ColumnDef] | None,
    index: str,
) -> tuple[str, pa.Schema, str | None]:
    """(SQL, Arrow schema, rejects table or None) of one group of files sharing a header."""
    paths = "[" + ", ".join(sql_text(str(f.path)) for f in files) + "]"
    types = {c.name: c.type for c in columns} if columns is not None else None
    rejects = None
    if is_parquet(files[0].path):
        select = "*" if types is None else ", ".join([*(_cast(name, types[name]) for name in header), _SOURCE_FILE])
        sql = f"SELECT {select} FROM read_parquet({paths}, filename={sql_text(_SOURCE_FILE)})"  # noqa: S608 - literals go through sql_text()
    else:
        rejects = f"bulle_rejects_{index}"
        options = {
            "delim": sql_text(_delimiter(files[0].path, source)),
            "quote": "'\"'",
            "escape": "'\"'",
            "header": "true",
            "encoding": sql_text(source.csv_encoding),
            "nullstr": sql_text(source.null),
            "filename": sql_text(_SOURCE_FILE),
            "store_rejects": "true",
            "rejects_table": sql_text(rejects),
            "rejects_scan": sql_text(f"bulle_scans_{index}"),
        }
        if types is None:
            options["auto_detect"] = "true"
        else:
            declared = ", ".join(f"{sql_text(name)}: {sql_text(DUCKDB_TYPES[types[name]])}" for name in header)
            options.update({"auto_detect": "false", "columns": "{" + declared + "}"})
        if source.date_format:
            options["dateformat"] = sql_text(source.date_format)
        if source.timestamp_format:
            options["timestampformat"] = sql_text(source.timestamp_format)
        rendered = ", ".join(f"{name}={value}" for name, value in options.items())
        sql = f"SELECT * FROM read_csv({paths}, {rendered})"  # noqa: S608 - literals go through sql_text()
    probe = con.execute(f"SELECT * FROM ({sql}) LIMIT 0").to_arrow_table().schema if types is None else None  # noqa: S608 - literals go through sql_text()
    if rejects is not None:
        con.execute(f"DROP TABLE IF EXISTS {rejects}; DROP TABLE IF EXISTS bulle_scans_{index}")
    if probe is not None:
        schema = probe.remove(probe.get_field_index(_SOURCE_FILE))
    else:
        schema = pa.schema([pa.field(name, ARROW_TYPES[types[name]]) for name in header])  # type: ignore[index]
    return sql, schema, rejects


def _cast(name: str, column_type: str) -> str:
    quoted = '"' + name.replace('"', '""') + '"'
    return f"CAST({quoted} AS {DUCKDB_TYPES[column_type]}) AS {quoted}"


def _union_schema(schemas: Sequence[pa.Schema], columns: Sequence[ColumnDef] | None) -> pa.Schema:
    """The union of the groups' columns, in dictionary order when there is a dictionary."""
    fields: dict[str, pa.Field] = {}
    for schema in schemas:
        for item in schema:
            fields.setdefault(item.name, item)
    if columns is not None:
        order = [c.name for c in columns if c.name in fields]
        return pa.schema([fields[name] for name in order])
    return pa.schema(list(fields.values()))


def _treated_schema(schema: pa.Schema, source: Source, key: PseudonymKey) -> pa.Schema:
    empty = pa.RecordBatch.from_pylist([], schema=schema)
    return treat_batch(empty, source, key).schema.append(pa.field(FILE_COLUMN, pa.string()))


def _finish_batch(
    batch: pa.RecordBatch,
    schema: pa.Schema,
    digests: Mapping[str, str],
    read: TableRead,
    source: Source,
    key: PseudonymKey,
) -> pa.RecordBatch:
    """Conform a batch to the table's union schema, treat it, and swap file names for digests."""
    files = batch.column(_SOURCE_FILE).dictionary_encode()
    counts = pc.value_counts(batch.column(_SOURCE_FILE))
    for item in counts.to_pylist():
        read.rows_by_file[digests[item["values"]]] += item["counts"]
    arrays = []
    for item in schema:
        index = batch.schema.get_field_index(item.name)
        arrays.append(batch.column(index) if index >= 0 else pa.nulls(batch.num_rows, item.type))
    conformed = pa.RecordBatch.from_arrays(arrays, schema=schema)
    treated = treat_batch(conformed, source, key)
    file_digests = pa.array([digests[name] for name in files.dictionary.to_pylist()], pa.string())
    return treated.append_column(FILE_COLUMN, pc.take(file_digests, files.indices))


def _rejections(
    con: duckdb.DuckDBPyConnection, rejects: str, relative: Mapping[str, str], source: Source
) -> list[Rejection]:
    index = rejects.removeprefix("bulle_rejects_")
    rows = con.execute(
        f"SELECT s.file_path, e.line, e.column_name, e.error_type, e.error_message "  # noqa: S608 - literals go through sql_text()
        f"FROM {rejects} e JOIN bulle_scans_{index} s USING (scan_id, file_id) ORDER BY 1, 2"
    ).fetchall()
    found = []
    seen: set[tuple[str, int]] = set()
    for path, line, column, error_type, message in rows:
        if (path, line) in seen:
            continue  # DuckDB reports a short line once per missing column: one rejected row
        seen.add((path, line))
        reason = message
        if error_type == "INVALID ENCODING":
            reason = f"{message} {_ENCODING_HINT[source.csv_encoding].capitalize()}."
        elif column and error_type not in ("MISSING COLUMNS", "TOO MANY COLUMNS"):
            reason = f"column {column}: {message}"
        found.append(Rejection(relative.get(path, path), int(line), reason))
    return found
