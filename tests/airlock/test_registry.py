"""Checks are registered as entry points of the group bulle.airlock.checks, bulle's own and a platform's."""

from __future__ import annotations

from importlib.metadata import EntryPoint

import pytest

from bulle.airlock import ENTRY_POINT_GROUP, CheckRegistrationError, Status, check_output, installed_checks
from bulle.airlock.registry import checks_from_entry_points

from .helpers import DEFAULT, output

BULLE_CHECKS = [
    "file-type",
    "file-size",
    "table-format",
    "threshold",
    "zeros",
    "differencing",
    "nk-rule",
    "p-ratio",
    "dof",
    "identifiers",
    "row-level",
    "figure",
    "declared-kind",
    "acro",
]


def _entry_point(name: str, value: str) -> EntryPoint:
    return EntryPoint(name=name, value=value, group=ENTRY_POINT_GROUP)


def test_bulle_registers_its_checks_in_report_order() -> None:
    assert [c.rule for c in installed_checks() if c.rule in BULLE_CHECKS] == BULLE_CHECKS


def test_a_platform_check_runs_beside_bulle_checks() -> None:
    plugin = _entry_point("cohort-name", "tests.airlock.plugin:COHORT_NAME")
    checks = checks_from_entry_points([*installed_checks_entry_points(), plugin])
    found = check_output(output(b"Results for psy-cohort.\n", "text"), DEFAULT, checks)
    assert found.check("cohort-name").status is Status.REVIEW  # type: ignore[union-attr]
    assert found.checks[-1].rule == "cohort-name"
    unnamed = check_output(output(b"Results.\n", "text"), DEFAULT, checks)
    assert unnamed.check("cohort-name").status is Status.PASS  # type: ignore[union-attr]


def installed_checks_entry_points() -> list[EntryPoint]:
    from importlib.metadata import entry_points

    return list(entry_points(group=ENTRY_POINT_GROUP))


@pytest.mark.parametrize(
    ("entry_points", "message"),
    [
        (
            [_entry_point("answer", "tests.airlock.plugin:NOT_A_CHECK")],
            "entry point 'answer' (tests.airlock.plugin:NOT_A_CHECK) of the group 'bulle.airlock.checks' is a int, "
            "not a bulle.airlock.Check; point it at a Check object",
        ),
        (
            [_entry_point("cohort", "tests.airlock.plugin:COHORT_NAME")],
            "names the rule 'cohort-name'; give the entry point that name",
        ),
        (
            [
                _entry_point("cohort-name", "tests.airlock.plugin:COHORT_NAME"),
                _entry_point("cohort-name", "tests.airlock.plugin:COHORT_NAME"),
            ],
            "registers the rule 'cohort-name' again (also tests.airlock.plugin:COHORT_NAME); rename one",
        ),
        ([_entry_point("gone", "tests.airlock.nowhere:CHECK")], "cannot be loaded: No module named"),
    ],
    ids=["not-a-check", "name-mismatch", "duplicate", "missing-module"],
)
def test_a_bad_registration_is_refused_with_the_fix(entry_points: list[EntryPoint], message: str) -> None:
    with pytest.raises(CheckRegistrationError, match=message.replace("(", r"\(").replace(")", r"\)")):
        checks_from_entry_points(entry_points)


def test_every_bulle_check_cites_its_rule() -> None:
    for check in installed_checks():
        if check.rule in BULLE_CHECKS:
            assert check.description, check.rule
    statbarns = {c.rule: c.statbarns for c in installed_checks() if c.statbarns}
    assert statbarns == {
        "threshold": "MinimumThresholdCheck",
        "zeros": "PresenceOfZeroCheck",
        "differencing": "PresenceOfLinkedTableCheck",
        "nk-rule": "NKCheck",
        "p-ratio": "PPercentCheck",
        "dof": "MinimumDoFCheck",
    }


def test_the_readme_lists_every_bulle_check() -> None:
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Airlock: automated disclosure checks", 1)[1]
    table = section.split("\n| rule |", 1)[1].split("\n\n", 1)[0]
    listed = [line.split("`")[1] for line in table.splitlines() if line.startswith("| `")]
    assert listed == BULLE_CHECKS
