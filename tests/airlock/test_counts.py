"""Decision tables for table-format, threshold and zeros: each failing case beside a passing neighbour."""

from __future__ import annotations

import pytest

from bulle.airlock import Status

from .helpers import CASD, DEFAULT, flagged, result

SMALL = """
    region,F,M,All
    north,{cell},20,{total}
    south,30,40,70
    All,{column},60,{grand}
"""


def _table(cell: int) -> str:
    return SMALL.format(cell=cell, total=cell + 20, column=cell + 30, grand=cell + 90)


@pytest.mark.parametrize(
    ("cell", "rules", "status"),
    [
        (9, DEFAULT, Status.FAIL),
        (10, DEFAULT, Status.PASS),
        (1, DEFAULT, Status.FAIL),
        (10, CASD, Status.FAIL),
        (11, CASD, Status.PASS),
    ],
    ids=["9-under-10-fails", "10-passes", "1-fails", "casd-10-under-11-fails", "casd-11-passes"],
)
def test_threshold(cell: int, rules, status: Status) -> None:  # type: ignore[no-untyped-def]
    check = result("threshold", _table(cell), rules=rules)
    assert check.status is status
    if status is Status.FAIL:
        assert flagged(check) == [(("north",), ("F",))]
        assert check.cells[0].reason == f"{cell} in this cell, fewer than {rules.safe_threshold}"


def test_a_small_margin_fails_like_a_small_cell() -> None:
    check = result(
        "threshold",
        """
        region,F,M,All
        north,0,4,4
        south,30,40,70
        All,30,44,74
        """,
    )
    assert check.status is Status.FAIL
    assert flagged(check) == [(("north",), ("M",)), (("north",), ("All",))]


def test_threshold_flags_cells_in_multi_level_tables_by_all_their_labels() -> None:
    check = result(
        "threshold",
        """
        sex,,F,F,M,M,All
        age,,old,young,old,young,
        region,period,,,,,
        north,2020,12,3,14,15,44
        north,2021,12,13,14,15,54
        All,,24,16,28,30,98
        """,
    )
    assert flagged(check) == [(("north", "2020"), ("F", "young"))]


@pytest.mark.parametrize(
    ("zeros_are_disclosive", "cell", "status"),
    [(True, 0, Status.FAIL), (True, 12, Status.PASS), (False, 0, Status.PASS)],
    ids=["zero-fails", "no-zero-passes", "zero-passes-when-not-disclosive"],
)
def test_zeros(zeros_are_disclosive: bool, cell: int, status: Status) -> None:
    rules = DEFAULT.model_copy(update={"zeros_are_disclosive": zeros_are_disclosive})
    check = result("zeros", _table(cell), rules=rules)
    assert check.status is status
    if status is Status.FAIL:
        assert flagged(check) == [(("north",), ("F",))]


def test_a_zero_is_not_a_threshold_failure() -> None:
    assert result("threshold", _table(0)).status is Status.PASS


@pytest.mark.parametrize(
    ("cells", "status", "reason"),
    [
        ("12,13", Status.PASS, None),
        ("12,12.5", Status.FAIL, "12.5 is not a count; a table of other values is a statistics output"),
        ("12,-13", Status.FAIL, "-13 is not a count; a table of other values is a statistics output"),
        ("12,13%", Status.FAIL, "'13%' is not a number"),
    ],
    ids=["counts-pass", "fraction-fails", "negative-fails", "percent-fails"],
)
def test_frequency_cells_are_whole_counts(cells: str, status: Status, reason: str | None) -> None:
    check = result("table-format", f"region,F,M\nnorth,{cells}\nsouth,20,30")
    assert check.status is status
    if reason:
        assert [c.reason for c in check.cells] == [reason]


def test_statistics_cells_may_be_any_number() -> None:
    check = result("table-format", "region,F,M\nnorth,12.5,-3\nsouth,20,30", "statistics", counts="x,F\ny,1")
    assert check.status is Status.PASS


def test_a_file_that_is_not_a_table_fails_table_format_and_nothing_else_reads_it() -> None:
    from .helpers import verdict

    found = verdict(b"only one line\n")
    assert found.check("table-format").status is Status.FAIL  # type: ignore[union-attr]
    assert "is not a table bulle can read" in found.check("table-format").message  # type: ignore[union-attr]
    assert found.check("threshold") is None
