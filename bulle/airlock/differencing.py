"""Margins recomputed, and secondary disclosure by subtraction.

A margin says "these cells add up to M": one *line* (an equation) per margin
cell, whose *members* are the cells it adds up. From the lines:

- a line whose cells are all shown must add up. If the margin is larger
  than its members, the difference is a group the table does not show, and
  under ``safe_threshold`` it is disclosed by subtraction (fail); if the
  margin is smaller, the table is inconsistent (review);
- a line with one hidden cell gives that cell away: margin minus the others
  (fail), and the recovered value is used in the other lines, so chains of
  recoveries across rows and columns are found too;
- a line whose hidden cells must add up to 0 gives them all away.

Rounded tables (every count a multiple of 5 or 10) only add up within the
rounding; recoveries there are approximate and reported as ``review``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from bulle.policies import DisclosureRules

from .output import Kind, Output
from .registry import Check
from .table import CellType, Table
from .verdict import Cell, CheckResult, Status

Position = tuple[int, int]


@dataclass(frozen=True)
class Line:
    """``sum(members) == margin``; ``across`` says whether the members lie along a row."""

    members: tuple[Position, ...]
    margin: Position
    across: bool


def margin_lines(table: Table) -> Iterator[Line]:
    rows, columns = table.shape
    for c in range(columns):
        if table.column_margins[c] is not None:
            leaves = table.leaves(1, c)
            for r in range(rows):
                yield Line(tuple((r, leaf) for leaf in leaves), (r, c), across=True)
    for r in range(rows):
        if table.row_margins[r] is not None:
            leaves = table.leaves(0, r)
            for c in range(columns):
                yield Line(tuple((leaf, c) for leaf in leaves), (r, c), across=False)


def rounding_base(table: Table) -> int:
    """10 or 5 when every shown count is a multiple of it (and there are enough to tell), else 1."""
    shown = table.values[table.types == CellType.NUMBER]
    if np.count_nonzero(shown) < 6:
        return 1
    for base in (10, 5):
        if np.all(np.mod(shown, base) == 0):
            return base
    return 1


class _Solver:
    def __init__(self, table: Table, threshold: int) -> None:
        self.table = table
        self.threshold = threshold
        self.base = rounding_base(table)
        self.values = table.values.copy()
        self.known = table.types == CellType.NUMBER
        self.text = table.types == CellType.TEXT
        self.failing: list[Cell] = []
        self.reviewing: list[Cell] = []

    def _cell(self, at: Position, reason: str) -> Cell:
        r, c = at
        return Cell.at(self.table.rows[r], self.table.columns[c], reason)

    def _tolerance(self, line: Line) -> float:
        return 1e-6 if self.base == 1 else self.base / 2 * (len(line.members) + 1)

    def _where(self, line: Line) -> str:
        return "the row's margin" if line.across else "the column's margin"

    def check_consistency(self, line: Line) -> None:
        cells = (*line.members, line.margin)
        if not all(self.known[at] for at in cells):
            return
        shown = float(sum(self.values[at] for at in line.members))
        margin = float(self.values[line.margin])
        residual = margin - shown
        tolerance = self._tolerance(line)
        if residual < -tolerance:
            self.reviewing.append(self._cell(line.margin, f"{margin:g} is less than the cells it adds up ({shown:g})"))
        elif tolerance < residual < self.threshold:
            reason = (
                f"{margin:g} minus the cells shown ({shown:g}) leaves {residual:g}: "
                f"a group of fewer than {self.threshold} that the table does not show"
            )
            (self.failing if self.base == 1 else self.reviewing).append(self._cell(line.margin, reason))

    def recover(self, line: Line) -> bool:
        """Recover what ``line`` gives away; whether it recovered anything."""
        cells = (*line.members, line.margin)
        if any(self.text[at] for at in cells):
            return False
        unknown = [at for at in cells if not self.known[at]]
        if not unknown:
            return False
        shown = float(sum(self.values[at] for at in line.members if self.known[at]))
        if len(unknown) == 1:
            at = unknown[0]
            if at == line.margin:
                value, how = shown, f"hidden, but it is the sum of the cells it adds up: {shown:g}"
            else:
                margin = float(self.values[line.margin])
                value = margin - shown
                how = f"hidden, but {self._where(line)} {margin:g} minus the other cells ({shown:g}) gives {value:g}"
            self._found(at, value, how)
            return True
        if self.known[line.margin] and abs(float(self.values[line.margin]) - shown) <= self._tolerance(line):
            for at in unknown:
                self._found(at, 0.0, f"hidden, but {self._where(line)} equals the cells shown: it is 0")
            return True
        return False

    def _found(self, at: Position, value: float, how: str) -> None:
        self.values[at] = value
        self.known[at] = True
        if self.base == 1:
            self.failing.append(self._cell(at, how))
        else:
            self.reviewing.append(self._cell(at, f"{how} (within the rounding to {self.base})"))


def check_differencing(output: Output, rules: DisclosureRules) -> CheckResult:
    table = output.table
    lines = list(margin_lines(table))
    if not lines:
        return CheckResult("differencing", Status.PASS, "no margins: nothing to subtract from")
    solver = _Solver(table, rules.safe_threshold)
    for line in lines:
        solver.check_consistency(line)
    progress = True
    while progress:  # each pass that recovers a cell may open another line
        progress = False
        for line in lines:
            progress = solver.recover(line) or progress
    if solver.failing:
        return CheckResult.from_cells(
            "differencing",
            solver.failing + solver.reviewing,
            when_found=Status.FAIL,
            ok="",
            found="{n} cell{s} disclosed by subtracting from the margins",
        )
    rounded = f" (rounded to {solver.base})" if solver.base > 1 else ""
    return CheckResult.from_cells(
        "differencing",
        solver.reviewing,
        when_found=Status.REVIEW,
        ok=f"the margins add up{rounded} and give no hidden cell away",
        found="{n} margin cell{s} to look at" + rounded,
    )


DIFFERENCING = Check(
    "differencing",
    frozenset({Kind.FREQUENCY}),
    check_differencing,
    "margins (All, Total) add up, and no hidden or missing group can be recovered by subtraction",
    statbarns="PresenceOfLinkedTableCheck",
    order=40,
)
