"""Row-level data: a file that lists records instead of counting them.

A table of aggregates has one row per combination of categories and numbers
in its body. Row-level data (microdata) shows instead as:

- more rows than ``max_table_rows``;
- rows repeating the same labels (two people with the same sex and age);
- body columns holding text (diagnoses, names, dates) rather than numbers.

Each fails: such a file is never released as a table.
"""

from __future__ import annotations

import numpy as np

from bulle.policies import DisclosureRules

from .output import TABLE_KINDS, Output
from .registry import Check
from .table import CellType, Table
from .verdict import Cell, CheckResult, Status


def _repeated_rows(table: Table) -> list[Cell]:
    first: dict[tuple[str, ...], int] = {}
    cells = []
    for r, label in enumerate(table.rows):
        if table.row_margins[r] is not None:
            continue
        if label in first:
            cells.append(Cell.at(label, (), f"the same labels as data row {first[label] + 1}: one row per record?"))
        else:
            first[label] = r
    return cells


def _text_columns(table: Table) -> list[Cell]:
    text = table.types == CellType.TEXT
    cells = []
    for c in np.flatnonzero(text.sum(axis=0) * 2 > table.shape[0]):
        example = table.raw[int(np.argmax(text[:, c]))][c]
        cells.append(Cell.at((), table.columns[c], f"the column holds text such as {example!r}, not numbers"))
    return cells


def check_row_level(output: Output, rules: DisclosureRules) -> CheckResult:
    table = output.table
    rows = table.shape[0]
    if rows > rules.max_table_rows:
        return CheckResult(
            "row-level",
            Status.FAIL,
            f"{rows:,} rows, more than the {rules.max_table_rows:,} a table may have: this is row-level data",
        )
    return CheckResult.from_cells(
        "row-level",
        _repeated_rows(table) + _text_columns(table),
        when_found=Status.FAIL,
        ok=f"{rows:,} rows with distinct labels and numbers in the body",
        found="looks like row-level data: {n} sign{s}",
    )


ROW_LEVEL = Check(
    "row-level",
    TABLE_KINDS,
    check_row_level,
    "the table is an aggregate, not a listing of records (rows, repeated labels, text columns)",
    order=80,
)
