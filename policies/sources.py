"""Source descriptors: ``sources/<name>.yaml``, what the warehouse loads and how.

Vocabulary:

- a *source* is one producer's delivery folder (a copy of the SNDS, an OMOP
  export, a FHIR bulk export, a folder of VCF files...), read by
  ``bulle ingest <name>`` into one Iceberg *namespace*;
- its *kind* says how its files are read: flat files (``csv``, ``parquet``,
  ``omop``, ``snds``), or a standard format whose tables are fixed by the
  format (``fhir``, ``vcf``, ``dicom``, ``bids``);
- a *table mapping* sends the files matching its patterns (``ER_PRS_F_*.csv``)
  into one table; without mappings each flat file is its own table, named
  after the file;
- a *schema* is declared per table (``columns``), taken from a *data
  dictionary* (the OMOP CDM specification, SNDS Table Schema JSON files), or
  inferred from the files when ``infer_schema: true``; ``column_types``
  corrects a dictionary where it disagrees with the files;
- a *treatment* says what happens to an identifying column on the way in:
  ``pseudonymise`` (keyed HMAC, deterministic), ``drop``, ``generalise`` to a
  coarser value (a date to its ``year`` or ``month``, a French postcode or
  commune code to its ``department``), or ``keep`` when the column only looks
  identifying.

A descriptor that would let a direct identifier through untreated is refused
here, at validation (:func:`check_source`), and again by the warehouse once it
sees the real columns.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, Field

from .crosscheck import Located
from .errors import PolicyError
from .identifiers import KNOWN_DIRECT_IDENTIFIERS, why_identifying
from .model import NonEmptyText, Strict

SOURCES_DIR = "sources"
MAX_SOURCE_NAME = 40
MAX_TABLE_NAME = 63

_SOURCE_NAME_RE = re.compile(r"^[a-z][a-z0-9_-]*$")
_TABLE_NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")
_PERCENT_RE = re.compile(r"^(\d+(?:\.\d+)?)\s*%$")


class SourceKind(StrEnum):
    csv = "csv"
    parquet = "parquet"
    omop = "omop"
    snds = "snds"
    fhir = "fhir"
    vcf = "vcf"
    dicom = "dicom"
    bids = "bids"


FLAT_KINDS = frozenset({SourceKind.csv, SourceKind.parquet, SourceKind.omop, SourceKind.snds})
"""Kinds whose files are tables; the other kinds' tables are fixed by their format."""

DEFAULT_FILES: Mapping[SourceKind, tuple[str, ...]] = {
    SourceKind.csv: ("**/*.csv", "**/*.csv.gz", "**/*.tsv", "**/*.tsv.gz"),
    SourceKind.parquet: ("**/*.parquet",),
    SourceKind.omop: ("*.csv", "*.csv.gz", "*.parquet"),
    SourceKind.snds: ("**/*.csv", "**/*.csv.gz"),
    SourceKind.fhir: ("**/*.json", "**/*.ndjson", "**/*.ndjson.gz"),
    SourceKind.vcf: ("**/*.vcf", "**/*.vcf.gz", "**/*.bcf"),
    SourceKind.dicom: ("**/*.dcm",),
    SourceKind.bids: ("**/*",),
}

DEFAULT_DICTIONARY: Mapping[SourceKind, str] = {SourceKind.omop: "omop-cdm-5.4", SourceKind.snds: "snds"}
DEFAULT_DELIMITER: Mapping[SourceKind, str] = {SourceKind.snds: ";"}
DEFAULT_ENCODING: Mapping[SourceKind, str] = {SourceKind.snds: "latin-1"}

ColumnType = Literal["string", "int", "long", "float", "double", "boolean", "date", "timestamp"]


def _check_name(pattern: re.Pattern[str], what: str, max_length: int) -> AfterValidator:
    def check(value: str) -> str:
        if len(value) > max_length or not pattern.match(value):
            raise ValueError(
                f"{value!r} is not a valid {what}: use lowercase letters, digits and underscores, "
                f"starting with a letter, at most {max_length} characters"
            )
        return value

    return AfterValidator(check)


def _as_tuple(value: Any) -> Any:
    return (value,) if isinstance(value, str) else value


SourceName = Annotated[str, _check_name(_SOURCE_NAME_RE, "source name", MAX_SOURCE_NAME)]
TableName = Annotated[str, _check_name(_TABLE_NAME_RE, "table name", MAX_TABLE_NAME)]
Patterns = Annotated[tuple[Annotated[str, Field(min_length=1)], ...], BeforeValidator(_as_tuple)]


class Column(Strict):
    """A declared column: its type and whether every row must have a value."""

    type: ColumnType
    required: bool = False


class TableMapping(Strict):
    """Files matching ``files`` (glob patterns, relative to the location) go into ``table``."""

    files: Patterns = Field(min_length=1)
    table: TableName
    columns: Mapping[str, ColumnType | Column] | None = Field(
        default=None, description="declared schema of the table: column name to type"
    )

    def declared_columns(self) -> dict[str, Column]:
        """The declared columns, each as a :class:`Column` (empty when none are declared)."""
        return {
            name: spec if isinstance(spec, Column) else Column(type=spec) for name, spec in (self.columns or {}).items()
        }


class Generalise(Strict):
    """Replace a value by a coarser one: a date by its year or month, a postcode by its department."""

    generalise: Literal["year", "month", "department"]


Treatment = Literal["pseudonymise", "drop", "keep"] | Generalise


def _parse_budget(value: Any) -> Any:
    if isinstance(value, str):
        match = _PERCENT_RE.match(value.strip())
        if not match:
            raise ValueError(f"{value!r} is not an error budget; write a number of rows (10) or a percentage (0.5%)")
        return float(match.group(1)) / 100
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{value!r} is not an error budget; write a number of rows (10) or a percentage (0.5%)")
    return value


ErrorBudget = Annotated[int | float, BeforeValidator(_parse_budget)]


class Source(Strict):
    """``sources/<name>.yaml``: one source the warehouse loads with ``bulle ingest <name>``."""

    name: SourceName
    title: NonEmptyText | None = None
    kind: SourceKind
    location: NonEmptyText = Field(description="folder of the files; a relative path starts at the policy folder")
    namespace: TableName = Field(description="Iceberg namespace the tables are written to")
    files: Patterns = Field(default=(), description="glob patterns of the files to read; default depends on kind")
    tables: tuple[TableMapping, ...] = ()
    dictionary: NonEmptyText | None = Field(
        default=None,
        description="omop-cdm-5.4, omop-cdm-5.3, snds, or a folder of Table Schema JSON files",
    )
    infer_schema: bool = False
    column_types: Mapping[str, ColumnType] = Field(
        default_factory=dict,
        description="types that replace the dictionary's for these columns, in every table (a dictionary "
        "that disagrees with the files, e.g. a month typed as a date)",
    )
    delimiter: Annotated[str, Field(min_length=1, max_length=1)] | None = None
    encoding: Literal["utf-8", "latin-1"] | None = None
    null: str = ""
    date_format: NonEmptyText | None = None
    timestamp_format: NonEmptyText | None = None
    identifiers: Mapping[str, Treatment] = Field(default_factory=dict)
    error_budget: ErrorBudget = Field(
        default=0, description="rejected rows allowed per table and run: a count (10) or a percentage (0.5%)"
    )

    @property
    def file_patterns(self) -> tuple[str, ...]:
        return self.files or DEFAULT_FILES[self.kind]

    @property
    def schema_dictionary(self) -> str | None:
        return self.dictionary or DEFAULT_DICTIONARY.get(self.kind)

    @property
    def csv_delimiter(self) -> str:
        return self.delimiter or DEFAULT_DELIMITER.get(self.kind, ",")

    @property
    def csv_encoding(self) -> str:
        return self.encoding or DEFAULT_ENCODING.get(self.kind, "utf-8")

    def treatment(self, column: str) -> Treatment | None:
        return self.identifiers.get(column)

    def budget_for(self, rows_read: int) -> int:
        """How many rejected rows a table of ``rows_read`` rows may have in one run."""
        if isinstance(self.error_budget, float):
            return int(rows_read * self.error_budget)
        return self.error_budget


def check_source(source: Located[Source]) -> list[PolicyError]:
    """Rules spanning several keys of one descriptor; the located errors, never raises."""
    value = source.value
    errors = []
    expected = f"{SOURCES_DIR}/{value.name}.yaml"
    if source.path != expected:
        errors.append(source.error(("name",), "name", f"source {value.name!r} must be in {expected}"))
    errors.extend(_schema_problems(source))
    errors.extend(_identifier_problems(source))
    return errors


def _schema_problems(source: Located[Source]) -> Iterable[PolicyError]:
    value = source.value
    if value.kind not in FLAT_KINDS:
        for key in ("tables", "dictionary", "infer_schema", "column_types", "delimiter", "encoding", "date_format"):
            if key in value.model_fields_set:
                yield source.error(
                    (key,), key, f"{key} is not used by sources of kind {value.kind.value}, whose tables are fixed"
                )
        return
    has_schema = value.schema_dictionary is not None or value.infer_schema or value.kind is SourceKind.parquet
    for index, mapping in enumerate(value.tables):
        if mapping.columns is None and not has_schema:
            yield source.error(
                ("tables", index, "table"),
                f"tables[{index}].columns",
                f"table {mapping.table!r} has no schema; declare its columns, name a dictionary, "
                "or set infer_schema: true",
            )
    if not value.tables and not has_schema:
        yield source.error(
            ("kind",),
            "tables",
            "a csv source needs a schema: declare columns under tables, name a dictionary, or set infer_schema: true",
        )
    seen: dict[str, int] = {}
    for index, mapping in enumerate(value.tables):
        first = seen.setdefault(mapping.table, index)
        if first != index:
            yield source.error(
                ("tables", index, "table"),
                f"tables[{index}].table",
                f"table {mapping.table!r} is mapped twice (also tables[{first}]); list all its patterns in one files",
            )


def _identifier_problems(source: Located[Source]) -> Iterable[PolicyError]:
    value = source.value
    kind = value.kind.value
    known = KNOWN_DIRECT_IDENTIFIERS.get(kind, {})
    uses_dictionary = value.schema_dictionary is not None
    if uses_dictionary:
        for column, why in sorted(known.items()):
            if column not in value.identifiers:
                yield source.error(
                    ("identifiers",),
                    "identifiers",
                    f"{column} is a direct identifier of {kind} sources ({why}); "
                    f"add '{column}: pseudonymise' (or drop) under identifiers",
                )
    for column, treatment in value.identifiers.items():
        if treatment == "keep" and column in known:
            yield source.error(
                ("identifiers", column),
                f"identifiers.{column}",
                f"{column} is a direct identifier ({known[column]}) and cannot be kept; pseudonymise or drop it",
            )
    for index, mapping in enumerate(value.tables):
        for column in mapping.declared_columns():
            reason = why_identifying(kind, column)
            if reason is not None and column not in value.identifiers:
                yield source.error(
                    ("tables", index, "columns", column),
                    f"tables[{index}].columns.{column}",
                    f"{column} looks like a direct identifier: {reason}; add it under identifiers with "
                    "pseudonymise, drop or generalise (or keep, if it does not identify anyone)",
                )
