"""Decision table for margins and subtraction: each failing case beside a passing neighbour."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bulle.airlock import Status

from .helpers import flagged, result

CASES = [
    # (id, table, status, flagged cells)
    (
        "consistent-margins-pass",
        """
        region,F,M,All
        north,20,30,50
        south,40,50,90
        All,60,80,140
        """,
        Status.PASS,
        [],
    ),
    (
        "margin-hides-a-group-of-3-fails",
        """
        region,F,M,All
        north,20,30,53
        south,40,50,90
        All,60,80,143
        """,
        Status.FAIL,
        [(("north",), ("All",)), (("All",), ("All",))],
    ),
    (
        "margin-hides-a-group-of-12-passes",
        """
        region,F,M,All
        north,20,30,62
        south,40,50,90
        All,60,80,152
        """,
        Status.PASS,
        [],
    ),
    (
        "margin-below-its-cells-goes-to-review",
        """
        region,F,M,All
        north,21,33,45
        south,42,51,93
        All,63,84,138
        """,
        Status.REVIEW,
        [(("north",), ("All",)), (("All",), ("All",))],
    ),
    (
        "one-hidden-cell-is-recovered-and-fails",
        """
        region,F,M,All
        north,*,30,33
        south,40,50,90
        All,43,80,123
        """,
        Status.FAIL,
        [(("north",), ("F",))],
    ),
    (
        "two-hidden-cells-in-every-line-pass",
        """
        region,F,M,All
        north,*,*,15
        south,*,*,90
        All,43,62,105
        """,
        Status.PASS,
        [],
    ),
    (
        "hidden-cells-that-must-be-0-fail",
        """
        region,F,M,X,All
        north,*,*,31,31
        south,42,51,23,116
        All,42,51,54,147
        """,
        Status.FAIL,
        [(("north",), ("F",)), (("north",), ("M",))],
    ),
    (
        "a-chain-of-recoveries-across-rows-and-columns-fails",
        """
        region,F,M,All
        north,*,*,21
        south,*,51,93
        All,47,*,114
        """,
        Status.FAIL,
        [(("south",), ("F",)), (("north",), ("F",)), (("north",), ("M",)), (("All",), ("M",))],
    ),
    (
        "a-hidden-margin-is-their-sum-and-fails",
        """
        region,F,M,All
        north,21,33,*
        south,42,51,93
        """,
        Status.FAIL,
        [(("north",), ("All",))],
    ),
    (
        "no-margins-pass",
        """
        region,F,M
        north,*,30
        south,40,50
        """,
        Status.PASS,
        [],
    ),
    (
        "rounded-table-adds-up-within-rounding-and-passes",
        """
        region,F,M,All
        north,20,35,50
        south,40,50,90
        All,60,80,145
        """,
        Status.PASS,
        [],
    ),
    (
        "rounded-table-recovery-is-approximate-and-goes-to-review",
        """
        region,F,M,All
        north,*,30,35
        south,40,50,90
        All,45,80,125
        """,
        Status.REVIEW,
        [(("north",), ("F",))],
    ),
]


@pytest.mark.parametrize(("table", "status", "cells"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_differencing(table: str, status: Status, cells: list[tuple[tuple[str, ...], tuple[str, ...]]]) -> None:
    check = result("differencing", table)
    assert check.status is status, check.message
    assert sorted(flagged(check)) == sorted(cells)


def test_the_recovered_value_is_in_the_reason() -> None:
    check = result(
        "differencing",
        """
        region,F,M,All
        north,*,30,33
        south,40,50,90
        All,43,80,123
        """,
    )
    assert check.cells[0].reason == "hidden, but the row's margin 33 minus the other cells (30) gives 3"


def test_a_suppressed_pandas_crosstab_with_multi_level_columns_gives_its_cell_away() -> None:
    rng = np.random.default_rng(3)
    n = 500
    records = pd.DataFrame(
        {
            "region": rng.choice(["north", "south"], n),
            "sex": rng.choice(["F", "M"], n),
            "age": rng.choice(["old", "young"], n),
        }
    )
    table = pd.crosstab(records.region, [records.sex, records.age], margins=True).astype(object)
    table.loc["north", ("F", "old")] = "*"  # "suppressed", but the margins are left as they were
    check = result("differencing", table.to_csv())
    assert check.status is Status.FAIL
    assert (("north",), ("F", "old")) in flagged(check)
    intact = pd.crosstab(records.region, [records.sex, records.age], margins=True)
    assert result("differencing", intact.to_csv()).status is Status.PASS
