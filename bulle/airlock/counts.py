"""Checks on the counts behind a table: its format, the minimum cell count, zeros.

The *counts* of a frequency table are its cells; those of a statistics
table come from its counts file (:mod:`bulle.airlock.evidence`). Margins are
cells too: a row total of 3 is as disclosive as a cell of 3. Hidden cells
(suppressed) are not checked here; :mod:`bulle.airlock.differencing` checks
that they cannot be recovered.
"""

from __future__ import annotations

import numpy as np

from bulle.policies import DisclosureRules

from .output import TABLE_KINDS, Kind, Output
from .registry import Check
from .table import CellType, Table, Unreadable
from .verdict import Cell, CheckResult, Status


def _cell(table: Table, row: int, column: int, reason: str) -> Cell:
    return Cell.at(table.rows[row], table.columns[column], reason)


def where(mask: np.ndarray) -> list[tuple[int, int]]:
    """The (row, column) of every true cell of ``mask``, row by row."""
    return [(int(r), int(c)) for r, c in np.argwhere(mask)]


def check_table_format(output: Output, rules: DisclosureRules) -> CheckResult:
    try:
        table = output.table
    except Unreadable as exc:
        return CheckResult(
            "table-format",
            Status.FAIL,
            f"{output.name} is not a table bulle can read: {exc}. Write it with DataFrame.to_csv() or write.csv()",
        )
    whole_counts = output.kind is Kind.FREQUENCY
    text = table.types == CellType.TEXT
    numbers = table.types == CellType.NUMBER
    values = np.where(numbers, table.values, 0.0)
    not_counts = numbers & ((values < 0) | (values != np.floor(values))) if whole_counts else np.zeros_like(numbers)
    cells = []
    for r, c in where(text | not_counts):
        if text[r, c]:
            cells.append(_cell(table, r, c, f"{table.raw[r][c]!r} is not a number"))
        else:
            value = table.values[r, c]
            cells.append(
                _cell(table, r, c, f"{value:g} is not a count; a table of other values is a statistics output")
            )
    rows, columns = table.shape
    return CheckResult.from_cells(
        "table-format",
        cells,
        when_found=Status.FAIL,
        ok=f"read as {rows} rows × {columns} columns, {len(table.row_names)} index column(s), "
        f"{table.header_rows} header row(s)",
        found="{n} cell{s} that are not " + ("counts" if whole_counts else "numbers"),
    )


def check_threshold(output: Output, rules: DisclosureRules) -> CheckResult:
    table = output.count_table
    threshold = rules.safe_threshold
    numbers = table.types == CellType.NUMBER
    values = np.where(numbers, table.values, 0.0)
    what = "records behind this cell" if output.kind is Kind.STATISTICS else "in this cell"
    failing = [
        _cell(table, r, c, f"{table.values[r, c]:g} {what}, fewer than {threshold}")
        for r, c in where(numbers & (values > 0) & (values < threshold))
    ]
    unknown = [
        _cell(table, r, c, "the counts file gives no count for this cell")
        for r, c in where(table.types == CellType.UNKNOWN)
    ]
    missing = f"; {len(unknown)} without a count in the counts file" if unknown else ""
    if failing:
        return CheckResult.from_cells(
            "threshold",
            failing + unknown,
            when_found=Status.FAIL,
            ok="",
            found=f"{len(failing)} cell{'s' if len(failing) != 1 else ''} under {threshold}{missing}",
        )
    return CheckResult.from_cells(
        "threshold",
        unknown,
        when_found=Status.REVIEW,
        ok=f"every cell counts at least {threshold} records (or 0, see zeros)",
        found=missing.removeprefix("; "),
    )


def check_zeros(output: Output, rules: DisclosureRules) -> CheckResult:
    table = output.count_table
    if not rules.zeros_are_disclosive:
        return CheckResult("zeros", Status.PASS, "zeros are not disclosive under these rules")
    numbers = table.types == CellType.NUMBER
    zeros = [
        _cell(table, r, c, "0: nobody in this group, which tells something about everyone outside it")
        for r, c in where(numbers & (np.where(numbers, table.values, 1.0) == 0))
    ]
    return CheckResult.from_cells("zeros", zeros, when_found=Status.FAIL, ok="no zero cells", found="{n} zero cell{s}")


TABLE_FORMAT = Check(
    "table-format",
    TABLE_KINDS,
    check_table_format,
    "the file reads as a table and its cells are counts (frequency) or numbers (statistics)",
    order=20,
)
THRESHOLD = Check(
    "threshold",
    TABLE_KINDS,
    check_threshold,
    "every cell, margins included, counts at least safe_threshold records",
    statbarns="MinimumThresholdCheck",
    order=30,
)
ZEROS = Check(
    "zeros",
    TABLE_KINDS,
    check_zeros,
    "no cell is zero, when zeros_are_disclosive",
    statbarns="PresenceOfZeroCheck",
    order=31,
)
