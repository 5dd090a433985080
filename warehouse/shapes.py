"""Shapes of warehouse tables, read from the Iceberg catalog.

A grant is compiled against its table's *shape* (:mod:`bulle.policies.tables`):
its columns in order with their Trino types, the columns holding patient
pseudonyms, and those holding pseudonyms inside a longer text. Here the shape
comes from the table itself:

- columns and types from the table's current Iceberg schema; names are
  lowercased, as Trino and DuckDB fold unquoted names (``BEN_NIR_PSA`` is
  ``ben_nir_psa``); bulle's own columns (``_bulle_file``) are left out;
- pseudonym columns from the source that loaded the table (its property
  ``bulle.source``, written at ingest): for flat kinds the columns its
  descriptor treats with ``pseudonymise``; for fixed-format kinds the fields
  their reader pseudonymises (:data:`FIXED_KIND_PSEUDONYMS`).

A table that bulle did not load, or whose source the policy no longer has,
has no known pseudonym columns and is refused: a shape never claims "no
pseudonyms" by default.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from pyiceberg.catalog import Catalog
from pyiceberg.exceptions import NoSuchNamespaceError, NoSuchTableError
from pyiceberg.table import Table
from pyiceberg.types import (
    BinaryType,
    BooleanType,
    DateType,
    DecimalType,
    DoubleType,
    FixedType,
    FloatType,
    IcebergType,
    IntegerType,
    ListType,
    LongType,
    MapType,
    StringType,
    StructType,
    TimestampType,
    TimestamptzType,
    TimeType,
    UUIDType,
)

from bulle.policies import Policy, SourceKind
from bulle.policies.sources import FLAT_KINDS
from bulle.policies.tables import TableShape

from .commit import SOURCE_PROPERTY

INTERNAL_PREFIX = "_bulle_"

#: For fixed-format kinds: table (or ``*``, every table) → (columns holding pseudonyms, columns holding
#: pseudonyms inside their text). Names lowercased. See each reader's module docstring.
FIXED_KIND_PSEUDONYMS: Mapping[SourceKind, Mapping[str, tuple[tuple[str, ...], tuple[str, ...]]]] = {
    SourceKind.fhir: {"*": (("patient",), ("resource",)), "patient": (("id", "patient"), ("resource",))},
    SourceKind.vcf: {"genotypes": (("sample",), ())},
    SourceKind.dicom: {
        "instances": (
            ("patient", "studyinstanceuid", "seriesinstanceuid", "sopinstanceuid", "frameofreferenceuid"),
            ("file",),
        )
    },
    SourceKind.bids: {"*": ((), ("participant_id",)), "scans": ((), ("participant_id", "file"))},
}

_PRIMITIVES: Mapping[type, str] = {
    BooleanType: "boolean",
    IntegerType: "integer",
    LongType: "bigint",
    FloatType: "real",
    DoubleType: "double",
    DateType: "date",
    TimeType: "time(6)",
    TimestampType: "timestamp(6)",
    TimestamptzType: "timestamp(6) with time zone",
    StringType: "varchar",
    UUIDType: "uuid",
    BinaryType: "varbinary",
    FixedType: "varbinary",
}


class ShapeProblem(Exception):
    """A granted table that the warehouse does not have, or whose pseudonym columns cannot be known."""


def trino_type(iceberg: IcebergType) -> str:
    """The Trino name of an Iceberg type (what Trino's Iceberg connector shows)."""
    if isinstance(iceberg, DecimalType):
        return f"decimal({iceberg.precision},{iceberg.scale})"
    if isinstance(iceberg, ListType):
        return f"array({trino_type(iceberg.element_type)})"
    if isinstance(iceberg, MapType):
        return f"map({trino_type(iceberg.key_type)}, {trino_type(iceberg.value_type)})"
    if isinstance(iceberg, StructType):
        return "row(" + ", ".join(f"{f.name.lower()} {trino_type(f.field_type)}" for f in iceberg.fields) + ")"
    name = _PRIMITIVES.get(type(iceberg))
    if name is None:
        raise ShapeProblem(f"the Iceberg type {iceberg} has no Trino equivalent known to bulle")
    return name


def pseudonym_columns(
    policy: Policy, source_name: str, table: str, columns: Iterable[str]
) -> tuple[set[str], set[str]]:
    """(pseudonym columns, columns with pseudonyms in their text) of ``table`` loaded by ``source_name``; lowercased."""
    source = policy.source(source_name)
    if source is None:
        raise ShapeProblem(
            f"the table was loaded by source {source_name!r}, which the policy no longer describes; "
            "bulle cannot tell which of its columns hold pseudonyms"
        )
    present = {c.lower() for c in columns}
    if source.kind in FLAT_KINDS:
        exact = {c.lower() for c, treatment in source.identifiers.items() if treatment == "pseudonymise"}
        return exact & present, set()
    fixed = FIXED_KIND_PSEUDONYMS.get(source.kind, {})
    exact_cols, text_cols = fixed.get(table, fixed.get("*", ((), ())))
    return set(exact_cols) & present, set(text_cols) & present


def table_shape(policy: Policy, table: Table) -> TableShape:
    """The shape of one Iceberg table (see the module docstring)."""
    name = ".".join(table.name()[-2:])
    source = table.properties.get(SOURCE_PROPERTY)
    if source is None:
        raise ShapeProblem(
            f"{name} was not loaded by bulle ingest (no {SOURCE_PROPERTY} property); "
            "bulle cannot tell which of its columns hold pseudonyms"
        )
    columns: dict[str, str] = {}
    for field in table.schema().fields:
        lowered = field.name.lower()
        if lowered.startswith(INTERNAL_PREFIX):
            continue
        if lowered in columns:
            raise ShapeProblem(f"{name} has two columns named {lowered} but for their case; SQL cannot tell them apart")
        columns[lowered] = trino_type(field.field_type)
    try:
        exact, in_text = pseudonym_columns(policy, source, name.split(".")[1], columns)
    except ShapeProblem as problem:
        raise ShapeProblem(f"{name}: {problem}") from None
    return TableShape(
        pseudonyms=tuple(c for c in columns if c in exact),
        pseudonyms_in_text=tuple(c for c in columns if c in in_text),
        columns=columns,
    )


def load_table(catalog: Catalog, name: str) -> Table:
    """The table ``schema.table``, or a :class:`ShapeProblem` naming it."""
    try:
        return catalog.load_table(name)
    except (NoSuchTableError, NoSuchNamespaceError):
        raise ShapeProblem(f"the warehouse has no table {name}") from None


def warehouse_shapes(catalog: Catalog, policy: Policy, names: Iterable[str]) -> dict[str, TableShape]:
    """Shapes of the tables ``names``; a :class:`ShapeProblem` listing every table that has none."""
    shapes: dict[str, TableShape] = {}
    problems: list[str] = []
    for name in sorted(set(names)):
        try:
            shapes[name] = table_shape(policy, load_table(catalog, name))
        except ShapeProblem as problem:
            problems.append(str(problem))
    if problems:
        raise ShapeProblem("; ".join(problems))
    return shapes


def shapes_yaml(shapes: Mapping[str, TableShape], header: str = "") -> str:
    """The shapes as the YAML document :func:`bulle.policies.tables.load_table_shapes` reads; stable."""
    lines = [f"# {line}".rstrip() for line in header.splitlines()]
    lines.append("tables:")
    for name in sorted(shapes):
        shape = shapes[name]
        lines.append(f"  {name}:")
        if shape.pseudonyms:
            lines.append(f"    pseudonyms: [{', '.join(shape.pseudonyms)}]")
        if shape.pseudonyms_in_text:
            lines.append(f"    pseudonyms_in_text: [{', '.join(shape.pseudonyms_in_text)}]")
        lines.append("    columns:")
        lines.extend(f"      {column}: {sql_type}" for column, sql_type in shape.columns.items())
    return "\n".join(lines) + "\n"
