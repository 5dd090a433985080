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
2. pandas writes a multi-level header as one row per column level (the
   level's name first, the other index cells empty), then, when the index
   has names, a row of index names with an empty body. When such a row
   comes third or later, it gives ``k`` (its names) and everything above it
   is header;
3. otherwise the first column is always an index column, and ``k`` is the
   most common position of the first body column over the rows (the column
   after the last text cell of a row; a tie keeps more columns as values);
   the first row is always a header row, and the rows after it are header
   while their body holds text and no number (column labels) or, for
   ``k`` > 1, while they leave the other index cells empty as pandas does;
4. a table whose body is mostly text is a listing, read with one index
   column and one header row.

What stays ambiguous: a numeric label column right after the first column
is read as values, and a numeric lower header level is read as a data row
when the table has one index column and no margins. Both err on the side of
checking more cells, never fewer; give label columns text values
(``age 30-39``) to avoid them.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np

MARGIN_NAMES = frozenset({"all", "total"})
HIDDEN_MARKS = frozenset({"", "*", "x", "c", "s", "-", "..", "na", "nan", "n/a", "<na>", "null", "none", "suppressed"})
_BELOW = re.compile(r"^[<≤]\s*\d+$")  # "<10": a mark that says the cell was suppressed
MAX_HEADER_ROWS = 8


class Unreadable(Exception):
    """The file is not a table bulle can read; the message says why and what to do."""


class CellType:
    """Codes of the body cells' types in :attr:`Table.types` (plain ints: they fill numpy arrays)."""

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
    row_keys: tuple[tuple[str, ...], ...] = field(init=False, repr=False)  # labels without their empty parts
    column_keys: tuple[tuple[str, ...], ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "row_margins", tuple(_margin_level(label) for label in self.rows))
        object.__setattr__(self, "column_margins", tuple(_margin_level(label) for label in self.columns))
        object.__setattr__(self, "row_keys", tuple(tuple(p for p in label if p) for label in self.rows))
        object.__setattr__(self, "column_keys", tuple(tuple(p for p in label if p) for label in self.columns))

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


_NAN = float("nan")


def classify(text: str, decimal_comma: bool = False) -> tuple[int, float]:
    """The :class:`CellType` and value of one body cell as written."""
    candidate = text.replace(",", ".") if decimal_comma else text
    try:
        value = float(candidate)
    except ValueError:
        pass
    else:
        # float() also reads "nan", "inf" and "1_000": only plain decimal numbers count.
        if math.isfinite(value) and "_" not in candidate:
            return CellType.NUMBER, value
    stripped = text.strip()
    if stripped.lower() in HIDDEN_MARKS or _BELOW.match(stripped):
        return CellType.HIDDEN, _NAN
    return CellType.TEXT, _NAN


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
    try:  # a field over csv's limit (128 KiB) is an error even when sniffing the delimiter
        delimiter = _delimiter(first_line)
        rows = [row for row in csv.reader(io.StringIO(text), delimiter=delimiter) if any(c.strip() for c in row)]
    except csv.Error as exc:
        raise Unreadable(f"not valid CSV: {exc}") from None
    width = max((len(row) for row in rows), default=0)
    if len(rows) < 2 or width < 2:
        raise Unreadable("a table needs a header row, at least one data row and at least two columns")
    return [row + [""] * (width - len(row)) for row in rows], delimiter == ";"


def _index_width(types: list[list[int]]) -> int:
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
    most = max(starts.values())
    k = min(start for start, count in starts.items() if count == most)  # a tie keeps more columns as values
    return min(k, width - 1)


def _names_row_layout(rows: list[list[str]]) -> tuple[int, int] | None:
    """``(k, h)`` when pandas' row of index names closes a multi-level header, else None.

    That row (at position 2 or later) has its index names first and an empty
    body; the column-level rows above it leave the other index cells empty.
    """
    width = len(rows[0])
    for r in range(2, min(MAX_HEADER_ROWS, len(rows) - 1) + 1):
        row = rows[r]
        written = [i for i, cell in enumerate(row) if cell.strip()]
        if not written or written[0] != 0 or written[-1] + 1 >= width:
            continue
        names = written[-1] + 1
        padding = 1 + next((i for i, cell in enumerate(rows[0][1:]) if cell.strip()), 0)
        k = max(names, padding)
        if k < width and all(_pads_index(rows[i], k) for i in range(r)) and _column_levels(rows, r, k):
            return k, r + 1
    return None


def _column_levels(rows: list[list[str]], r: int, k: int) -> bool:
    """Whether rows 1 to r-1 read as column levels rather than data, so a fully hidden data row is not a names row.

    A level row has text labels, or the pandas padding (k > 1), or an empty cell under a margin column.
    """
    margins = [c for c in range(k, len(rows[0])) if rows[0][c].strip().lower() in MARGIN_NAMES]
    for row in rows[1:r]:
        text = any(classify(cell)[0] == CellType.TEXT for cell in row[k:])
        under_margin = bool(margins) and all(not row[c].strip() for c in margins)
        if not (text or k > 1 or under_margin):
            return False
    return True


def _header_height(rows: list[list[str]], types: list[list[int]], k: int) -> int:
    """How many rows are header, when there is no row of index names."""
    limit = min(MAX_HEADER_ROWS, len(rows) - 1)
    h = 1
    while h < limit:
        row, body = rows[h], types[h][k:]
        if _margin_level(row[:k]) is not None:
            break
        labels_only = CellType.TEXT in body and CellType.NUMBER not in body
        if labels_only or (k > 1 and _pads_index(row, k) and row[0].strip()):
            h += 1
            continue
        break
    return h


SAMPLE_ROWS = 500  # rows whose cells are typed to infer the layout (the first ones, then evenly spread)


def _layout(rows: list[list[str]], decimal_comma: bool) -> tuple[int, int, bool]:
    """``(k, h, has_index_names_row)``."""
    pandas_layout = _names_row_layout(rows)
    if pandas_layout is not None:
        return (*pandas_layout, True)
    first = MAX_HEADER_ROWS + 1
    step = max(1, (len(rows) - first) // SAMPLE_ROWS)
    sample = [[classify(cell, decimal_comma)[0] for cell in row] for row in rows[:first] + rows[first::step]]
    k = _index_width(sample)
    if _mostly_text_body(sample, k):
        # Text where the numbers should be: not a table of numbers but a listing
        # (row-level data, or prose in a grid). Read it in the plainest layout.
        return 1, 1, False
    return k, _header_height(rows, sample, k), False


def _classify_body(body: list[list[str]], decimal_comma: bool) -> tuple[np.ndarray, np.ndarray]:
    """``(values, types)`` of the body cells; all-number bodies are read in one numpy conversion."""
    if not decimal_comma and body and body[0]:
        try:
            values = np.array(body, dtype=np.float64)
        except ValueError:
            pass
        else:
            if np.isfinite(values).all() and not any("_" in cell for row in body for cell in row):
                return values, np.zeros(values.shape, dtype=np.int8)
    classified = [[classify(cell, decimal_comma) for cell in row] for row in body]
    values = np.array([[v for _, v in row] for row in classified], dtype=np.float64)
    types = np.array([[t for t, _ in row] for row in classified], dtype=np.int8)
    return values.reshape(len(body), -1), types.reshape(len(body), -1)


def _mostly_text_body(types: list[list[int]], k: int) -> bool:
    rows = types[1:]
    with_text = sum(1 for row in rows if CellType.TEXT in row[k:])
    return with_text * 2 > len(rows)


def _pads_index(row: list[str], k: int) -> bool:
    # pandas writes a column level's name in the first cell and leaves the other index cells empty.
    return all(not cell.strip() for cell in row[1:k])


def _fill_forward(labels: list[list[str]]) -> list[tuple[str, ...]]:
    """Repeat an empty upper-level label from the previous one when a lower level is written (sparse layouts)."""
    if all(all(part.strip() for part in label[:-1]) for label in labels):
        return [tuple(label) for label in labels]  # nothing to fill: the common case, pandas repeats labels
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
    k, h, names_row = _layout(rows, decimal_comma)
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
    body = [row[k:] for row in rows[h:]]
    values, cell_types = _classify_body(body, decimal_comma)
    return Table(
        row_names=row_names,
        column_names=column_names,
        rows=tuple(_fill_forward([row[:k] for row in rows[h:]])),
        columns=columns,
        values=values.reshape(len(body), width - k),
        types=cell_types.reshape(len(body), width - k),
        raw=tuple(tuple(row) for row in body),
        header_rows=h,
    )
