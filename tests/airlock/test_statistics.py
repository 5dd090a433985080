"""Statistics tables: counts from the counts file, and the dominance rules from contributions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bulle.airlock import Status, contributor_table, parse_table
from bulle.airlock.evidence import read_evidence

from .helpers import flagged, result, verdict

MEANS = """
    region,F,M
    north,210.5,198.25
    south,187.0,205.75
"""


def _contributors(north_f: str) -> str:
    return f"""
        region,sex,count,sum,max,top_2_sum
        north,F,{north_f}
        north,M,20,4000,300,580
        south,F,30,5610,250,490
        south,M,40,8230,260,510
    """


@pytest.mark.parametrize(
    ("north_f", "rule", "status"),
    [
        ("12,2526,2000,2300", "nk-rule", Status.FAIL),  # the 2 largest make 91%
        ("12,2526,1000,1900", "nk-rule", Status.PASS),  # 75%
        ("12,2526,2000,2300", "p-ratio", Status.PASS),  # the rest is 11% of the largest
        ("12,2526,2200,2400", "p-ratio", Status.FAIL),  # the rest is 6% of the largest
        ("4,2526,1000,1900", "threshold", Status.FAIL),
        ("10,2526,1000,1900", "threshold", Status.PASS),
    ],
    ids=["nk-91-fails", "nk-75-passes", "p-11-passes", "p-6-fails", "count-4-fails", "count-10-passes"],
)
def test_statistics_rules(north_f: str, rule: str, status: Status) -> None:
    check = result(rule, MEANS, "statistics", counts=_contributors(north_f))
    assert check.status is status, check.message
    if status is Status.FAIL:
        assert flagged(check) == [(("north",), ("F",))]


def test_the_nk_rule_reason_names_the_share() -> None:
    check = result("nk-rule", MEANS, "statistics", counts=_contributors("12,2526,2000,2300"))
    assert check.cells[0].reason == "the 2 largest contributions make 91% of this cell, more than 90%"


def test_negative_contributions_send_the_cell_to_review() -> None:
    counts = _contributors("12,2526,1000,1900").replace(
        "count,sum,max,top_2_sum", "count,sum,max,top_2_sum,num_negative"
    )
    counts = counts.replace(",1900\n", ",1900,2\n")
    check = result("nk-rule", MEANS, "statistics", counts=counts)
    assert check.status is Status.REVIEW
    assert check.cells[0].reason == "2 negative contributions: the rule does not apply"


@pytest.mark.parametrize(
    ("counts", "rule", "status"),
    [
        (None, "threshold", Status.REVIEW),
        (None, "nk-rule", Status.REVIEW),
        ("region,F,M\nnorth,12,20\nsouth,30,40", "threshold", Status.PASS),
        ("region,F,M\nnorth,12,20\nsouth,30,40", "nk-rule", Status.REVIEW),
        ("region,F,M\nnorth,3,20\nsouth,30,40", "threshold", Status.FAIL),
        ("region,F,M\nnorth,12,20", "threshold", Status.REVIEW),
    ],
    ids=[
        "no-counts-threshold-review",
        "no-counts-dominance-review",
        "wide-counts-pass-threshold",
        "wide-counts-cannot-tell-dominance",
        "wide-count-3-fails",
        "a-cell-without-count-goes-to-review",
    ],
)
def test_what_the_evidence_allows(counts: str | None, rule: str, status: Status) -> None:
    assert result(rule, MEANS, "statistics", counts=counts).status is status


def test_a_hidden_mean_needs_no_count() -> None:
    table = "region,F,M\nnorth,*,198.25\nsouth,187.0,205.75"
    assert result("threshold", table, "statistics", counts="region,F,M\nnorth,3,20\nsouth,30,40").status is Status.PASS


def test_margin_counts_are_the_sums_of_their_cells() -> None:
    table = "region,F,M,All\nnorth,210.5,198.25,203\nsouth,187.0,205.75,197\nAll,195,202,199"
    counts = _contributors("12,2526,1000,1900")
    assert result("threshold", table, "statistics", counts=counts).status is Status.PASS
    small = counts.replace("north,M,20,", "north,M,1,")
    check = result("threshold", table, "statistics", counts=small)
    assert flagged(check) == [(("north",), ("M",))]


@pytest.fixture(scope="module")
def costs() -> pd.DataFrame:
    rng = np.random.default_rng(11)
    n = 2000
    frame = pd.DataFrame(
        {
            "region": rng.choice(["north", "south", "east"], n),
            "sex": rng.choice(["F", "M"], n),
            "cost": rng.gamma(2.0, 100.0, n),
        }
    )
    frame.loc[frame.index[(frame.region == "east") & (frame.sex == "M")][0], "cost"] = 1e7  # one dominant patient
    return frame


def test_contributor_table_matches_a_plain_computation(costs: pd.DataFrame) -> None:
    made = contributor_table(costs, ["region", "sex"], "cost")
    for (region, sex), group in costs.groupby(["region", "sex"]):
        row = made.loc[(region, sex)]
        assert row["count"] == len(group)
        assert row["sum"] == pytest.approx(group.cost.sum())
        assert row["max"] == pytest.approx(group.cost.max())
        assert row["top_2_sum"] == pytest.approx(group.cost.nlargest(2).sum())
        assert row["num_negative"] == 0


def test_a_real_pivot_table_with_its_contributors_flags_the_dominated_cell(costs: pd.DataFrame) -> None:
    means = costs.pivot_table(index="region", columns="sex", values="cost", aggfunc="mean", margins=True)
    evidence = contributor_table(costs, ["region", "sex"], "cost").to_csv()
    assert set(read_evidence(parse_table(evidence))) >= {("east", "M"), ("north", "F")}
    found = verdict(means.to_csv(), "statistics", counts=evidence)
    assert found.check("nk-rule").status is Status.FAIL  # type: ignore[union-attr]
    assert flagged(found.check("nk-rule")) == [(("east",), ("M",))]  # type: ignore[arg-type]
    assert found.check("threshold").status is Status.PASS  # type: ignore[union-attr]
    without_outlier = costs[costs.cost < 1e6]
    means = without_outlier.pivot_table(index="region", columns="sex", values="cost", aggfunc="mean")
    evidence = contributor_table(without_outlier, ["region", "sex"], "cost").to_csv()
    assert verdict(means.to_csv(), "statistics", counts=evidence).status is Status.PASS


def test_contributor_table_counts_ties_once_each_and_leaves_missing_values_out() -> None:
    frame = pd.DataFrame({"region": ["a", "a", "b", "b", "b", None], "cost": [1.0, np.nan, 5.0, 5.0, 2.0, 3.0]})
    made = contributor_table(frame, ["region"], "cost", top=(1, 2, 3))
    assert made.index.name == "region"
    assert made.to_dict("index") == {
        "a": {
            "count": 1,
            "sum": 1.0,
            "max": 1.0,
            "top_1_sum": 1.0,
            "top_2_sum": 1.0,
            "top_3_sum": 1.0,
            "num_negative": 0,
        },
        "b": {
            "count": 3,
            "sum": 12.0,
            "max": 5.0,
            "top_1_sum": 5.0,
            "top_2_sum": 10.0,
            "top_3_sum": 12.0,
            "num_negative": 0,
        },
    }
