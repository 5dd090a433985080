"""Decision table for row-level data: long tables, repeated labels, text in the body."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bulle.airlock import Status

from .helpers import DEFAULT, flagged, result


def _long_table(rows: int) -> str:
    return "code,count\n" + "\n".join(f"code {i},{20 + i % 7}" for i in range(rows))


@pytest.mark.parametrize(
    ("rows", "status"), [(1000, Status.PASS), (1001, Status.FAIL)], ids=["1000-rows-pass", "1001-rows-fail"]
)
def test_too_many_rows(rows: int, status: Status) -> None:
    check = result("row-level", _long_table(rows))
    assert check.status is status
    if status is Status.FAIL:
        assert check.message == "1,001 rows, more than the 1,000 a table may have: this is row-level data"


def test_a_stricter_project_lowers_the_row_cap() -> None:
    rules = DEFAULT.model_copy(update={"max_table_rows": 50})
    assert result("row-level", _long_table(51), rules=rules).status is Status.FAIL
    assert result("row-level", _long_table(50), rules=rules).status is Status.PASS


@pytest.mark.parametrize(
    ("table", "status", "cells"),
    [
        ("sex,age,count\nF,old,12\nF,young,13\nM,old,14", Status.PASS, []),
        ("sex,age,count\nF,old,12\nF,old,13\nM,old,14", Status.FAIL, [(("F", "old"), ())]),
        ("id,age,diagnosis\n1,34,F32\n2,51,F20\n3,29,F32", Status.FAIL, [((), ("diagnosis",))]),
        ("id,age,count\n1,34,12\n2,51,13\n3,29,14", Status.PASS, []),
    ],
    ids=["distinct-labels-pass", "repeated-labels-fail", "text-column-fails", "numbers-pass"],
)
def test_repeated_labels_and_text_columns(table: str, status: Status, cells: list[object]) -> None:
    check = result("row-level", table)
    assert check.status is status
    assert flagged(check) == cells


def test_a_patient_listing_declared_as_a_frequency_table_fails() -> None:
    rng = np.random.default_rng(5)
    listing = pd.DataFrame(
        {
            "sex": rng.choice(["F", "M"], 40),
            "age_band": rng.choice(["18-39", "40-64", "65+"], 40),
            "diagnosis": rng.choice(["F20", "F32", "F31"], 40),
            "cost": rng.gamma(2.0, 100.0, 40).round(2),
        }
    )
    from .helpers import verdict

    found = verdict(listing.to_csv(index=False), "frequency")
    assert found.status is Status.FAIL
    assert found.check("row-level").status is Status.FAIL  # type: ignore[union-attr]
