"""Data dictionaries: the column names and types of a source's tables.

A *dictionary* maps a table name (lower case) to its columns, each a
:class:`ColumnDef` with one of the descriptor's column types. Three are built
in, shipped in ``dictionaries/`` with their licences:

- ``omop-cdm-5.4`` and ``omop-cdm-5.3``: the OHDSI Common Data Model field
  tables (Apache-2.0), types normalised (``integer`` → long, ``datetime`` →
  timestamp, ``varchar(n)`` → string);
- ``snds``: the Table Schema JSON files of the SNDS tables the demo and the
  synthetic generator use (Health Data Hub, Etalab 2.0).

Any other name is a folder of Table Schema JSON files (``<TABLE>.json``,
searched recursively), as the SNDS publishes them.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

OMOP_DICTIONARIES = {"omop-cdm-5.4": "omop_cdm_v5.4_fields.csv", "omop-cdm-5.3": "omop_cdm_v5.3_fields.csv"}
BUILTIN_SNDS = "snds"

_OMOP_TYPES = {"integer": "long", "bigint": "long", "float": "double", "date": "date", "datetime": "timestamp"}
# Table Schema types; "yearmonth" (YYYYMM) has no Iceberg equivalent and stays text.
_TABLE_SCHEMA_TYPES = {
    "string": "string",
    "integer": "long",
    "number": "double",
    "boolean": "boolean",
    "date": "date",
    "datetime": "timestamp",
    "year": "int",
    "yearmonth": "string",
}


@dataclass(frozen=True)
class ColumnDef:
    name: str
    type: str
    required: bool = False


Dictionary = Mapping[str, tuple[ColumnDef, ...]]


class DictionaryProblem(Exception):
    """A dictionary cannot be found or read."""


def load_dictionary(name: str, policy_dir: Path) -> Dictionary:
    """The dictionary ``name``: a built-in one, or a folder (relative to the policy folder)."""
    if name in OMOP_DICTIONARIES:
        return _omop(OMOP_DICTIONARIES[name])
    if name == BUILTIN_SNDS:
        return _builtin_table_schemas()
    folder = Path(name) if Path(name).is_absolute() else policy_dir / name
    if not folder.is_dir():
        builtin = ", ".join([*OMOP_DICTIONARIES, BUILTIN_SNDS])
        raise DictionaryProblem(
            f"dictionary {name!r} is neither built in ({builtin}) nor a folder of Table Schema JSON files"
        )
    return _table_schemas(folder.resolve())


@cache
def _omop(filename: str) -> Dictionary:
    text = resources.files(__package__).joinpath("dictionaries", filename).read_text(encoding="utf-8")
    tables: dict[str, list[ColumnDef]] = {}
    for row in csv.DictReader(text.splitlines()):
        datatype = row["datatype"]
        column_type = "string" if datatype.startswith("varchar") else _OMOP_TYPES[datatype]
        tables.setdefault(row["table"], []).append(ColumnDef(row["field"], column_type, row["required"] == "Yes"))
    return {table: tuple(columns) for table, columns in tables.items()}


@cache
def _builtin_table_schemas() -> Dictionary:
    folder = resources.files(__package__).joinpath("dictionaries", "snds")
    return {
        entry.name.removesuffix(".json").lower(): table_schema_columns(json.loads(entry.read_text(encoding="utf-8")))
        for entry in folder.iterdir()
        if entry.name.endswith(".json")
    }


@cache
def _table_schemas(folder: Path) -> Dictionary:
    tables = {}
    for path in sorted(folder.rglob("*.json")):
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise DictionaryProblem(f"{path}: not a readable Table Schema JSON file: {exc}") from None
        if isinstance(document, dict) and isinstance(document.get("fields"), list):
            tables[path.stem.lower()] = table_schema_columns(document)
    return tables


def table_schema_columns(document: Mapping[str, object]) -> tuple[ColumnDef, ...]:
    """The columns of one Table Schema (frictionless) document."""
    fields = document.get("fields")
    if not isinstance(fields, list):
        raise DictionaryProblem("a Table Schema document needs a list of fields")
    columns = []
    for field in fields:
        constraints = field.get("constraints") or {}
        columns.append(
            ColumnDef(
                field["name"],
                _TABLE_SCHEMA_TYPES.get(field.get("type", "string"), "string"),
                bool(constraints.get("required")),
            )
        )
    return tuple(columns)
