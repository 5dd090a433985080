"""Checks on what a file was declared as, where the automated checks cannot go further.

- A figure is read by a person: no automated check reads a picture, so a
  figure always goes to review (as ACRO's custom outputs do).
- A text that reads as a table of numbers was probably declared as text to
  skip the table checks: it goes to review, with the advice to declare it as
  a frequency or statistics table.
"""

from __future__ import annotations

import numpy as np

from bulle.policies import DisclosureRules

from .output import Kind, Output
from .registry import Check
from .table import CellType, Unreadable, parse_table
from .verdict import CheckResult, Status


def check_figure(output: Output, rules: DisclosureRules) -> CheckResult:
    return CheckResult(
        "figure",
        Status.REVIEW,
        "a figure is read by a person: check that every bar, point and label stands for at least "
        f"{rules.safe_threshold} records",
    )


def check_text_is_not_a_table(output: Output, rules: DisclosureRules) -> CheckResult:
    try:
        table = parse_table(output.text)
    except Unreadable:
        return CheckResult("declared-kind", Status.PASS, "the text does not read as a table")
    numbers = int(np.count_nonzero(table.types == CellType.NUMBER))
    if table.shape[0] >= 2 and numbers * 2 > table.values.size:
        return CheckResult(
            "declared-kind",
            Status.REVIEW,
            f"this text reads as a table of {table.shape[0]} rows with {numbers} numbers: declare it as a "
            "frequency or statistics output so that its cells are checked",
        )
    return CheckResult("declared-kind", Status.PASS, "the text does not read as a table of numbers")


FIGURE = Check("figure", frozenset({Kind.FIGURE}), check_figure, "figures always go to a person", order=85)
DECLARED_KIND = Check(
    "declared-kind",
    frozenset({Kind.TEXT}),
    check_text_is_not_a_table,
    "a text output is not a table of numbers in disguise",
    order=86,
)
