"""Shapes of warehouse tables: their columns, types and pseudonym columns.

A policy is validated without the warehouse; compiling a grant into a view
needs the shape of the granted table: its columns in order, their SQL types
(Trino names: ``bigint``, ``varchar``, ``date``, ``timestamp(6)``, …) and
which columns carry the warehouse's patient pseudonyms (those are re-keyed
per project), and which hold pseudonyms inside a longer text (a file path, a
JSON document) where they cannot be re-keyed. Shapes are plain data, read
from a YAML document::

    tables:
      omop.person:
        pseudonyms: [person_id]
        columns:
          person_id: bigint
          year_of_birth: integer

The warehouse derives them from its catalog (``bulle warehouse shapes``
writes that document); the demo ships the file made from its warehouse.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path as FsPath
from typing import Annotated

from pydantic import AfterValidator, Field, model_validator
from sqlglot import exp
from sqlglot.errors import ParseError

from .errors import PolicyError, PolicyInvalid
from .loader import parse_document
from .model import ColumnName, Strict, TableName


def _check_type(value: str) -> str:
    try:
        exp.DataType.build(value, dialect="trino")
    except (ParseError, ValueError):
        raise ValueError(
            f"{value!r} is not an SQL type Trino knows, e.g. bigint, varchar, date, timestamp(6)"
        ) from None
    return value


SqlType = Annotated[str, AfterValidator(_check_type)]


class TableShape(Strict):
    """One warehouse table: its columns in order with their types, and its pseudonym columns."""

    pseudonyms: tuple[ColumnName, ...] = ()
    pseudonyms_in_text: tuple[ColumnName, ...] = Field(
        default=(), description="columns whose text holds warehouse pseudonyms inside it (paths, JSON)"
    )
    columns: Mapping[ColumnName, SqlType] = Field(min_length=1)

    @model_validator(mode="after")
    def _pseudonyms_are_columns(self) -> TableShape:
        unknown = [c for c in (*self.pseudonyms, *self.pseudonyms_in_text) if c not in self.columns]
        if unknown:
            raise ValueError(f"pseudonym columns {', '.join(unknown)} are not columns of the table")
        return self

    def type_of(self, column: str) -> exp.DataType:
        return exp.DataType.build(self.columns[column], dialect="trino")


class WarehouseTables(Strict):
    tables: Mapping[TableName, TableShape]


def parse_table_shapes(path: str, text: str) -> Mapping[str, TableShape] | list[PolicyError]:
    """The shapes in ``text`` (read from ``path``), or the located errors; pure."""
    parsed = parse_document(path, text, WarehouseTables)
    return parsed if isinstance(parsed, list) else parsed.tables


def load_table_shapes(path: str | FsPath) -> Mapping[str, TableShape]:
    """Read a shapes file; raise :class:`PolicyInvalid` with located errors."""
    source = FsPath(path)
    try:
        text = source.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise PolicyInvalid([PolicyError(str(source), 1, "(file)", f"cannot be read: {error}")]) from None
    parsed = parse_table_shapes(str(source), text)
    if isinstance(parsed, list):
        raise PolicyInvalid(parsed)
    return parsed
