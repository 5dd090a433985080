"""From a source's files to table reads: the dispatch table of the source kinds.

Flat kinds map each file to a table (the descriptor's patterns, or the file's
own name) and read each table with :mod:`.flat`; the other kinds hand all
their files to their format's reader, which decides the tables.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path

from bulle.policies import Source, SourceKind, TableMapping

from .dictionary import ColumnDef, DictionaryProblem, load_dictionary
from .duck import connect
from .flat import read_flat_table
from .loads import InputFile, Rejection, TableRead
from .pseudonym import PseudonymKey

_SUFFIXES = (".csv.gz", ".tsv.gz", ".csv", ".tsv", ".parquet")


@dataclass
class Reads:
    """The table reads of one run, the files skipped (with why), and what no table owns.

    ``rejections`` are rows rejected before any table could be told (a line of an
    NDJSON file that is not JSON); they count against the error budget of the run.
    """

    tables: list[TableRead] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)


Reader = Callable[[Source, Sequence[InputFile], PseudonymKey, Path], Reads]


def discover_files(source: Source, root: Path) -> list[Path]:
    """Every regular, non-hidden file under ``root`` matching the source's patterns, sorted."""
    found: set[Path] = set()
    for pattern in source.file_patterns:
        for path in root.glob(pattern):
            relative = path.relative_to(root)
            if path.is_file() and not any(part.startswith(".") for part in relative.parts):
                found.add(path)
    return sorted(found)


def table_name_of(relative: str) -> str:
    """The table a flat file goes to by default: its name without suffix, lower case, as an identifier."""
    name = relative.rsplit("/", 1)[-1]
    for suffix in _SUFFIXES:
        if name.lower().endswith(suffix):
            name = name[: -len(suffix)]
            break
    slug = re.sub(r"[^a-z0-9_]+", "_", name.lower()).strip("_")
    return slug if slug[:1].isalpha() else f"t_{slug}"


def _mapping_for(relative: str, mappings: Sequence[TableMapping]) -> TableMapping | None:
    name = relative.rsplit("/", 1)[-1]
    for mapping in mappings:
        for pattern in mapping.files:
            if fnmatchcase(relative if "/" in pattern else name, pattern):
                return mapping
    return None


def read_flat(source: Source, files: Sequence[InputFile], key: PseudonymKey, policy_dir: Path) -> Reads:
    reads = Reads()
    by_table: dict[str, list[InputFile]] = {}
    mappings: dict[str, TableMapping] = {}
    for file in files:
        if source.tables:
            mapping = _mapping_for(file.relative, source.tables)
            if mapping is None:
                reads.skipped.append(f"{file.relative}: it matches no table pattern of the descriptor")
                continue
            mappings[mapping.table] = mapping
            table = mapping.table
        else:
            table = table_name_of(file.relative)
        by_table.setdefault(table, []).append(file)
    dictionary = None
    if source.schema_dictionary is not None and not source.infer_schema:
        try:
            dictionary = load_dictionary(source.schema_dictionary, policy_dir)
        except DictionaryProblem as exc:
            reads.problems.append(str(exc))
            return reads
    con = connect()
    for table, table_files in sorted(by_table.items()):
        columns: Sequence[ColumnDef] | None = None
        from_dictionary = False
        mapping = mappings.get(table)
        if mapping is not None and mapping.columns is not None:
            columns = tuple(ColumnDef(n, c.type, c.required) for n, c in mapping.declared_columns().items())
        elif dictionary is not None:
            columns = dictionary.get(table)
            from_dictionary = True
            if columns is not None and source.column_types:
                types = source.column_types
                columns = tuple(ColumnDef(c.name, types.get(c.name, c.type), c.required) for c in columns)
            if columns is None:
                reads.problems.append(
                    f"table {table} (from {table_files[0].relative}) is not in dictionary {source.schema_dictionary}; "
                    "map its files to one of the dictionary's tables under tables, or declare its columns"
                )
                continue
        reads.tables.append(
            read_flat_table(source, table, table_files, columns, key, con, from_dictionary=from_dictionary)
        )
    return reads


def reader_for(kind: SourceKind) -> Reader:
    """The reader of a source kind (imported lazily: each format pulls in its own library)."""
    if kind in (SourceKind.csv, SourceKind.parquet, SourceKind.omop, SourceKind.snds):
        return read_flat
    if kind is SourceKind.fhir:
        from .fhir import read_fhir

        return read_fhir
    if kind is SourceKind.vcf:
        from .vcf import read_vcf

        return read_vcf
    if kind is SourceKind.dicom:
        from .dicom import read_dicom

        return read_dicom
    from .bids import read_bids

    return read_bids
