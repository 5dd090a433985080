"""What one ingest run reads and produces: input files, rejected rows, staged tables.

Vocabulary shared by the readers and the ingest:

- an *input file* is one file of a source, known by its path relative to the
  source's location and its SHA-256 *digest*;
- a *rejection* is one row (or one whole file, for kinds with a row per file)
  that could not be loaded, with ``file:line`` and the reason;
- a *problem* is a fault that stops a table from being committed whatever the
  error budget: a file that cannot be read, a header that does not match the
  schema, an untreated direct identifier;
- a *table read* is what a reader hands the ingest for one table: the Arrow
  schema and a stream of record batches, and, once the stream is consumed,
  the rows per file, the rejections and the problems.

Every table gets a column :data:`FILE_COLUMN` holding the *key* of the file
each row came from (the pseudonym of its relative path): it lets a changed
file replace its earlier rows, and it names no file, so no identifier hides in
a path. Counters of rows per file are keyed the same way.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

FILE_COLUMN = "_bulle_file"
_CHUNK = 1 << 20


@dataclass(frozen=True)
class InputFile:
    """One file of a source; ``key`` is the pseudonym of ``relative`` (see :mod:`.registry`)."""

    path: Path
    relative: str
    sha256: str
    size: int
    key: str = ""


def file_digest(path: Path) -> str:
    """SHA-256 of a file's bytes, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def input_file(path: Path, root: Path) -> InputFile:
    return InputFile(path, path.relative_to(root).as_posix(), file_digest(path), path.stat().st_size)


@dataclass(frozen=True, order=True)
class Rejection:
    file: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.reason}"


@dataclass
class TableRead:
    """One table's incoming rows, as a stream; the counters fill while it is consumed."""

    table: str
    files: list[InputFile]
    schema: pa.Schema
    stream: Callable[[TableRead], Iterator[pa.RecordBatch]]
    rows_by_file: Counter[str] = field(default_factory=Counter)
    rejections: list[Rejection] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    from_dictionary: bool = False

    def batches(self) -> Iterator[pa.RecordBatch]:
        return self.stream(self)

    @property
    def rows_written(self) -> int:
        return sum(self.rows_by_file.values())


def static_read(
    table: str, files: list[InputFile], data: pa.Table, counts: Counter[str], *, from_dictionary: bool = True
) -> TableRead:
    """A :class:`TableRead` of rows already in memory (the readers of FHIR, VCF, DICOM, BIDS).

    Their columns are set by bulle (``from_dictionary``), unless they come from the files.
    """

    def stream(read: TableRead) -> Iterator[pa.RecordBatch]:
        read.rows_by_file.update(counts)
        yield from data.to_batches()

    return TableRead(table, files, data.schema, stream, from_dictionary=from_dictionary)
