"""Tables as pandas, R and ACRO write them to CSV, read back with their labels.

Vocabulary:

- the *index* is the leading label columns (``k`` of them); each data row has
  a *row label*, the tuple of its index cells;
- the *header* is the leading rows (``h`` of them); each value column has a
  *column label*, the tuple of its header cells (one per column level);
- the *body* is the rest: one *cell* per (row, value column), read as a
  number, as *hidden* (empty, or a suppression mark such as ``*``, ``x``,
  ``<10``, ``NA``) or as *text*;
- a *margin* is a row or column whose label at some level is ``All`` or
  ``Total`` (pandas, ACRO, most tools; R's ``addmargins`` says ``Sum``: rename it); it adds up
  the rows or columns that share its labels above that level.

The layout is inferred, never asked for, in this order:

1. the delimiter is ``,``, ``;`` (R's ``write.csv2``, with decimal commas)
   or a tab, whichever splits the first line into the most fields;
2. the first column is always an index column; ``k`` is the most common
   position of the first body column over the rows (the column after the
   last text cell of a row);
3. the first row is always a header row. pandas writes a multi-level header
   as one row per level, then (when the index has names) a row of index
   names with an empty body: when such a row comes at position 2 or later,
   everything above it is header. Otherwise rows after the first are header
   while their body holds text (column labels) or, for ``k`` > 1, while they
   leave the other index cells empty as pandas does.

What stays ambiguous: a numeric label column right after the first column
is read as values, and a numeric lower header level is read as a data row
when the index has no name and the table has no margins. Give label columns
text values (``age 30-39``) or name the index to avoid both.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from enum import IntEnum

import numpy as np

MARGIN_NAMES = frozenset({"all", "total"})
HIDDEN_MARKS = frozenset({"", "*", "x", "c", "s", "-", "..", "na", "nan", "n/a", "<na>", "null", "none", "suppressed"})
_NUMBER = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$")
_BELOW = re.compile(r"^[<≤]\s*\d+$")  # "<10": a mark that says the cell was suppressed
MAX_HEADER_ROWS = 8


class Unreadable(Exception):
    """The file is not a table bulle can read; the message says why and what to do."""


class CellType(IntEnum):
    NUMBER = 0
    HIDDEN = 1
    TEXT = 2
    UNKNOWN = 3  # no value known (a derived table lacking evidence for this cell)


@dataclass(frozen=True, eq=False)
class Table:
    """A table read from CSV: labels, values and the type of each body cell."""

    row_names: tuple[str, ...]
    column_names: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    columns: tuple[tuple[str, ...], ...]
    values: np.ndarray  # float64, NaN where the cell is not a number
    types: np.ndarray  # int8 of CellType
    raw: tuple[tuple[str, ...], ...] = ()  # the body as written
    header_rows: int = 1
    row_margins: tuple[int | None, ...] = field(init=False)
    column_margins: tuple[int | None, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "row_margins", tuple(_margin_level(label) for label in self.rows))
        object.__setattr__(self, "column_margins", tuple(_margin_level(label) for label in self.columns))

    @property
    def shape(self) -> tuple[int, int]:
        return len(self.rows), len(self.columns)

    def is_margin(self, row: int, column: int) -> bool:
        return self.row_margins[row] is not None or self.column_margins[column] is not None

    def leaves(self, axis: int, index: int) -> list[int]:
        """The non-margin rows (axis 0) or columns (axis 1) that ``index`` adds up: itself if not a margin."""
        labels, margins = (self.rows, self.row_margins) if axis == 0 else (self.columns, self.column_margins)
        level = margins[index]
        if level is None:
            return [index]
        prefix = labels[index][:level]
        return [i for i, label in enumerate(labels) if margins[i] is None and label[:level] == prefix]

    def cells(self) -> Iterator[tuple[int, int]]:
        rows, columns = self.shape
        for r in range(rows):
            for c in range(columns):
                yield r, c

    def with_values(self, values: np.ndarray, types: np.ndarray) -> Table:
        """The same labels with other values (counts behind a table of means, for example)."""
        return Table(self.row_names, self.column_names, self.rows, self.columns, values, types, (), self.header_rows)


def _margin_level(label: Sequence[str]) -> int | None:
    for level, part in enumerate(label):
        if part.strip().lower() in MARGIN_NAMES:
            return level
    return None


def classify(text: str, decimal_comma: bool = False) -> tuple[CellType, float]:
    """The type and value of one body cell as written."""
    stripped = text.strip()
    if stripped.lower() in HIDDEN_MARKS or _BELOW.match(stripped):
        return CellType.HIDDEN, float("nan")
    candidate = stripped.replace(",", ".") if decimal_comma else stripped
    if _NUMBER.match(candidate):
        return CellType.NUMBER, float(candidate)
    return CellType.TEXT, float("nan")


def decode(content: bytes, what: str = "the file") -> str:
    """UTF-8 text of ``content`` (a byte-order mark is dropped), or :class:`Unreadable`."""
    if b"\0" in content[:65536]:
        raise Unreadable(f"{what} holds binary data, not text")
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise Unreadable(f"{what} is not UTF-8 text (byte {exc.start}); save it as UTF-8") from None


def _delimiter(first_line: str) -> str:
    return max((",", ";", "\t"), key=lambda d: len(next(csv.reader([first_line], delimiter=d), [])))


def read_rows(text: str) -> tuple[list[list[str]], bool]:
    """The CSV rows of ``text``, padded to one width, and whether decimals use commas."""
    first_line = text.split("\n", 1)[0]
    delimiter = _delimiter(first_line)
    try:
        rows = [row for row in csv.reader(io.StringIO(text), delimiter=delimiter) if any(c.strip() for c in row)]
    except csv.Error as exc:
        raise Unreadable(f"not valid CSV: {exc}") from None
    width = max((len(row) for row in rows), default=0)
    if len(rows) < 2 or width < 2:
        raise Unreadable("a table needs a header row, at least one data row and at least two columns")
    return [row + [""] * (width - len(row)) for row in rows], delimiter == ";"


def _index_width(types: list[list[CellType]]) -> int:
    """The most common position of the first body column over the rows after the first."""
    starts: Counter[int] = Counter()
    width = len(types[0])
    for row in types[1:]:
        if CellType.NUMBER not in row:
            continue
        last_text = max((i for i, t in enumerate(row) if t == CellType.TEXT), default=0)
        starts[max(1, last_text + 1)] += 1
    if not starts:
        return 1
    k = starts.most_common(1)[0][0]
    return min(k, width - 1)


def _is_index_names_row(row: list[str], k: int) -> bool:
    return bool(row[0].strip()) and all(not cell.strip() for cell in row[k:])


def _header_height(rows: list[list[str]], types: list[list[CellType]], k: int) -> tuple[int, bool]:
    """``(h, has_index_names_row)``: how many rows are header."""
    limit = min(MAX_HEADER_ROWS, len(rows) - 1)
    for r in range(2, limit + 1):
        if _is_index_names_row(rows[r], k) and all(_pads_index(rows[i], k) for i in range(r)):
            return r + 1, True
    h = 1
    while h < limit:
        row, row_types = rows[h], types[h]
        if _margin_level(row[:k]) is not None:
            break
        body_text = any(t == CellType.TEXT for t in row_types[k:])
        if body_text or (k > 1 and _pads_index(row, k) and row[0].strip()):
            h += 1
            continue
        break
    return h, False


def _mostly_text_body(types: list[list[CellType]], k: int) -> bool:
    rows = types[1:]
    with_text = sum(1 for row in rows if CellType.TEXT in row[k:])
    return with_text * 2 > len(rows)


def _pads_index(row: list[str], k: int) -> bool:
    # pandas writes a column level's name in the first cell and leaves the other index cells empty.
    return all(not cell.strip() for cell in row[1:k])


def _fill_forward(labels: list[list[str]]) -> list[tuple[str, ...]]:
    """Repeat an empty upper-level label from the previous one when a lower level is written (sparse layouts)."""
    filled: list[tuple[str, ...]] = []
    previous: list[str] = []
    for label in labels:
        current = list(label)
        for level in range(len(current) - 1):
            lower_written = any(part.strip() for part in current[level + 1 :])
            if not current[level].strip() and lower_written and previous:
                current[level] = previous[level]
        filled.append(tuple(current))
        previous = current
    return filled


def parse_table(text: str) -> Table:
    """Read a CSV table; raise :class:`Unreadable` when ``text`` is not one."""
    rows, decimal_comma = read_rows(text)
    classified = [[classify(cell, decimal_comma) for cell in row] for row in rows]
    types = [[t for t, _ in row] for row in classified]
    k = _index_width(types)
    h, names_row = _header_height(rows, types, k)
    if _mostly_text_body(types, k):
        # Text where the numbers should be: not a table of numbers but a listing
        # (row-level data, or prose in a grid). Read it in the plainest layout.
        k, h, names_row = 1, 1, False
    if h >= len(rows):
        raise Unreadable("the file has header rows but no data rows")
    levels = h - 1 if names_row else h
    width = len(rows[0])
    if levels == 1 and not names_row:
        row_names = tuple(rows[0][:k])
        column_names: tuple[str, ...] = ("",)
    else:
        row_names = tuple(rows[levels][:k]) if names_row else ("",) * k
        column_names = tuple(rows[level][0] for level in range(levels))
    header = [[rows[level][c] for level in range(levels)] for c in range(k, width)]
    columns = tuple(_fill_forward(header))
    body = classified[h:]
    values = np.array([[v for _, v in row[k:]] for row in body], dtype=np.float64)
    cell_types = np.array([[int(t) for t, _ in row[k:]] for row in body], dtype=np.int8)
    return Table(
        row_names=row_names,
        column_names=column_names,
        rows=tuple(_fill_forward([row[:k] for row in rows[h:]])),
        columns=columns,
        values=values.reshape(len(body), width - k),
        types=cell_types.reshape(len(body), width - k),
        raw=tuple(tuple(row[k:]) for row in rows[h:]),
        header_rows=h,
    )
