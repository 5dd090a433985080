"""The evidence behind a statistics table: how many records, and how much each contributed.

A table of means, sums or medians hides its counts, so it comes with a
*counts file* that the checker reads and that is never released. Two
layouts are read (SACRO/ACRO names the per-cell statistics ``count``,
``sum``, ``max``, ``top_2_sum``, ``num_negative``; we keep them):

- *wide*: the same layout as the table, each cell the number of records
  behind it (``pd.crosstab(a, b)`` beside ``pd.crosstab(a, b, values=v,
  aggfunc="mean")``). It supports the threshold and zeros checks;
- *contributors* (long): one row per cell, the table's row labels then its
  column labels as index columns, and the statistics as columns: ``count``
  and, for the dominance rules, ``sum``, ``max`` and ``top_<n>_sum`` (the
  sum of the n largest contributions), optionally ``num_negative``. This is
  what :func:`contributor_table` writes from the records.

A cell's *key* is its row label followed by its column label, so the cell
(``north``, ``F``) of a table with regions as rows and sex as columns is the
row ``north,F`` of the contributors file, as ``groupby(["region", "sex"])``
writes it. Margin cells need no evidence row: their counts are the sums of
the cells they add up.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING

import numpy as np

from .table import CellType, Table

if TYPE_CHECKING:
    import pandas as pd

Key = tuple[str, ...]
_TOP_N = re.compile(r"^top_(\d+)_sum$")
_STATISTICS = frozenset({"count", "n", "sum", "max", "num_negative", "mean", "median", "min", "std"})


class MissingEvidence(Exception):
    """A check needs evidence the file did not come with; the message says which and how to make it."""


@dataclass(frozen=True)
class Contributions:
    """What is known of the records behind one cell."""

    count: float | None = None
    total: float | None = None
    top: Mapping[int, float] = field(default_factory=lambda: MappingProxyType({}))  # n -> sum of the n largest
    negative: float | None = None


def cell_key(table: Table, row: int, column: int) -> Key:
    return table.row_keys[row] + table.column_keys[column]


def _statistic_name(label: tuple[str, ...]) -> str | None:
    name = label[-1].strip().lower() if label else ""
    if name in _STATISTICS or _TOP_N.match(name):
        return name
    return None


def is_contributor_layout(table: Table) -> bool:
    """Whether ``table`` is a contributors file: statistics as columns, ``count`` among them."""
    names = [_statistic_name(label) for label in table.columns]
    return all(names) and ("count" in names or "n" in names)


def _drop_position_column(table: Table) -> list[Key]:
    # ``df.reset_index().to_csv()`` writes pandas' unnamed 0, 1, 2... index first: it is no label.
    keys = [tuple(label) for label in table.rows]
    first = [key[0] for key in keys]
    if len(table.row_names) > 1 and table.row_names[0] == "" and first == [str(i) for i in range(len(keys))]:
        return [key[1:] for key in keys]
    return keys


def read_contributors(table: Table) -> dict[Key, Contributions]:
    """Evidence by cell key from a contributors (long) file."""
    names = [_statistic_name(label) or "" for label in table.columns]
    evidence: dict[Key, Contributions] = {}
    all_values, all_types = table.values.tolist(), table.types.tolist()
    for r, key in enumerate(_drop_position_column(table)):
        row_types = all_types[r]
        values = {name: v for name, v, t in zip(names, all_values[r], row_types, strict=True) if t == CellType.NUMBER}
        top = {int(m.group(1)): v for name, v in values.items() if (m := _TOP_N.match(name))}
        if "max" in values:
            top[1] = values["max"]
        evidence[tuple(part for part in key if part != "")] = Contributions(
            count=values.get("count", values.get("n")),
            total=values.get("sum"),
            top=MappingProxyType(top),
            negative=values.get("num_negative"),
        )
    return evidence


def read_counts(table: Table) -> dict[Key, Contributions]:
    """Evidence by cell key from a wide counts file (margins are left out: they are derived)."""
    evidence = {}
    for r, c in table.cells():
        if not table.is_margin(r, c) and table.types[r, c] == CellType.NUMBER:
            evidence[cell_key(table, r, c)] = Contributions(count=float(table.values[r, c]))
    return evidence


def read_evidence(table: Table) -> dict[Key, Contributions]:
    return read_contributors(table) if is_contributor_layout(table) else read_counts(table)


def count_table(table: Table, evidence: Mapping[Key, Contributions]) -> Table:
    """The records behind each cell of ``table``, with its labels.

    A margin's count is the sum of its leaves' counts. A cell hidden in
    ``table`` stays hidden (it is not released, so its count does not
    matter); a cell without evidence is UNKNOWN.
    """
    counts = np.full(table.shape, np.nan)
    types = np.full(table.shape, CellType.UNKNOWN, dtype=np.int8)
    hidden = table.types == CellType.HIDDEN
    for r, c in table.cells():
        if hidden[r, c]:
            types[r, c] = CellType.HIDDEN
            continue
        leaves = [evidence.get(cell_key(table, lr, lc)) for lr in table.leaves(0, r) for lc in table.leaves(1, c)]
        known = [leaf.count for leaf in leaves if leaf is not None and leaf.count is not None]
        if leaves and len(known) == len(leaves):
            counts[r, c] = math.fsum(known)
            types[r, c] = CellType.NUMBER
    return table.with_values(counts, types)


def contributor_table(frame: pd.DataFrame, by: Sequence[str], value: str, *, top: Sequence[int] = (2,)) -> pd.DataFrame:
    """The contributors file of a statistics table of ``value`` grouped by ``by``.

    One row per group (in the order ``frame.groupby(by, observed=True)``
    gives them) with ``count``, ``sum``, ``max``, ``top_<n>_sum`` for each n
    of ``top`` and ``num_negative``. Records whose value or keys are missing
    are left out, as pandas' aggregations leave them out. Write it with
    ``.to_csv()`` beside the table and give it as the counts file.

    It runs in linear time without sorting the records: the n largest
    contributions of every group come from n passes of a grouped maximum.
    """
    import pandas as pd  # here only: the checks themselves need numpy, not pandas

    codes, index, values = _group_codes(frame, by, value)
    groups = len(index)
    columns: dict[str, np.ndarray] = {
        "count": np.bincount(codes, minlength=groups),
        "sum": np.bincount(codes, weights=values, minlength=groups),
    }
    columns.update(_largest_sums(codes, values, groups, top))
    columns["num_negative"] = np.bincount(codes, weights=values < 0, minlength=groups).astype(np.int64)
    return pd.DataFrame(columns, index=index)


def _group_codes(frame: pd.DataFrame, by: Sequence[str], value: str) -> tuple[np.ndarray, pd.Index, np.ndarray]:
    """``(group code of each kept record, the groups' labels, the kept values)``, groups sorted as pandas sorts."""
    import pandas as pd

    parts = [pd.factorize(frame[key], sort=True) for key in by]
    sizes = [len(uniques) for _, uniques in parts]
    values = frame[value].to_numpy(dtype=np.float64)
    kept = ~np.isnan(values)
    for level_codes, _ in parts:
        kept &= level_codes >= 0
    combined = np.ravel_multi_index([level_codes[kept] for level_codes, _ in parts], sizes)
    space = math.prod(sizes)
    if space <= 50_000_000:  # a dense table of the key space: linear time
        present = np.bincount(combined, minlength=space) > 0
        groups = np.flatnonzero(present)
        codes = (np.cumsum(present) - 1)[combined]
    else:
        groups, codes = np.unique(combined, return_inverse=True)
    levels = np.unravel_index(groups, sizes)
    index = pd.MultiIndex.from_arrays(
        [uniques.take(level) for (_, uniques), level in zip(parts, levels, strict=True)], names=list(by)
    )
    return codes, (index if len(by) > 1 else index.get_level_values(0)), values[kept]


def _largest_sums(codes: np.ndarray, values: np.ndarray, groups: int, top: Sequence[int]) -> dict[str, np.ndarray]:
    """``max`` and ``top_<n>_sum`` per group: each pass takes the groups' maxima, then sets one of each aside."""
    remaining = values.copy()
    running = np.zeros(groups)
    columns: dict[str, np.ndarray] = {}
    for n in range(1, max(top, default=1) + 1):
        largest = np.full(groups, -np.inf)
        np.maximum.at(largest, codes, remaining)
        found = np.isfinite(largest)
        running += np.where(found, largest, 0.0)
        if n == 1:
            columns["max"] = largest.copy()
        if n in top:
            columns[f"top_{n}_sum"] = running.copy()
        at_largest = np.flatnonzero(remaining == largest[codes])
        _, first = np.unique(codes[at_largest], return_index=True)
        remaining[at_largest[first]] = -np.inf  # one contribution per group, even when several tie
    return columns
