"""Dominance: whether a few contributors make most of a cell of a statistics table.

Two rules, SACRO/ACRO's, read from the contributors file
(:mod:`bulle.airlock.evidence`):

- the *n,k rule* (``nk-rule``): the ``safe_nk_n`` largest contributions make
  more than ``safe_nk_k`` of the cell's total;
- the *p% rule* (``p-ratio``): the total minus the two largest contributions
  is less than ``safe_pratio_p`` times the largest, so the second largest
  contributor could estimate the largest to within p%.

Margin cells are not checked: a margin's total is at least its leaf's, and
its largest contributions are in some leaf, so a dominated margin has a
dominated leaf, which is flagged. Negative contributions make both rules
meaningless: such cells are sent for review.
"""

from __future__ import annotations

from collections.abc import Callable

from bulle.policies import DisclosureRules

from .evidence import Contributions, MissingEvidence, cell_key
from .output import Kind, Output
from .registry import Check
from .table import CellType
from .verdict import Cell, CheckResult, Status

Rule = Callable[[Contributions, DisclosureRules], str | None]


def _nk(cell: Contributions, rules: DisclosureRules) -> str | None:
    n, k = rules.safe_nk_n, rules.safe_nk_k
    top = cell.top.get(n)
    if top is None:
        raise LookupError(f"top_{n}_sum" if n > 1 else "max")
    share = top / cell.total if cell.total else 0.0
    if share > k:
        return f"the {n} largest contributions make {share:.0%} of this cell, more than {k:.0%}"
    return None


def _p_ratio(cell: Contributions, rules: DisclosureRules) -> str | None:
    largest, two = cell.top.get(1), cell.top.get(2)
    if largest is None or two is None:
        raise LookupError("max" if largest is None else "top_2_sum")
    if largest <= 0 or cell.total is None:
        return None
    rest = (cell.total - two) / largest
    if rest < rules.safe_pratio_p:
        return (
            f"the cell minus its 2 largest contributions is {rest:.0%} of the largest, "
            f"less than {rules.safe_pratio_p:.0%}"
        )
    return None


def _check(rule_id: str, rule: Rule, output: Output, rules: DisclosureRules) -> CheckResult:
    evidence = output.evidence
    if not any(c.total is not None for c in evidence.values()):
        raise MissingEvidence(
            "the counts file has counts but no contributions (sum, max, top_2_sum per cell): "
            "dominance could not be checked; bulle.airlock.contributor_table makes them"
        )
    table = output.table
    failing, reviewing = [], []
    for r, c in table.cells():
        if table.is_margin(r, c) or table.types[r, c] == CellType.HIDDEN:
            continue
        cell = evidence.get(cell_key(table, r, c))
        at = (table.rows[r], table.columns[c])
        if cell is None or cell.total is None:
            reviewing.append(Cell.at(*at, "the counts file gives no contributions for this cell"))
            continue
        if cell.negative:
            reviewing.append(Cell.at(*at, f"{cell.negative:g} negative contributions: the rule does not apply"))
            continue
        try:
            reason = rule(cell, rules)
        except LookupError as missing:
            reviewing.append(Cell.at(*at, f"the counts file gives no {missing.args[0]} for this cell"))
            continue
        if reason:
            failing.append(Cell.at(*at, reason))
    if failing:
        return CheckResult.from_cells(
            rule_id, failing + reviewing, when_found=Status.FAIL, ok="", found=f"{len(failing)} dominated cell(s)"
        )
    return CheckResult.from_cells(
        rule_id, reviewing, when_found=Status.REVIEW, ok="no dominated cell", found="{n} cell{s} not checked"
    )


def check_nk_rule(output: Output, rules: DisclosureRules) -> CheckResult:
    return _check("nk-rule", _nk, output, rules)


def check_p_ratio(output: Output, rules: DisclosureRules) -> CheckResult:
    return _check("p-ratio", _p_ratio, output, rules)


NK_RULE = Check(
    "nk-rule",
    frozenset({Kind.STATISTICS}),
    check_nk_rule,
    "the safe_nk_n largest contributions make at most safe_nk_k of each cell",
    statbarns="NKCheck",
    order=50,
)
P_RATIO = Check(
    "p-ratio",
    frozenset({Kind.STATISTICS}),
    check_p_ratio,
    "each cell minus its 2 largest contributions is at least safe_pratio_p of the largest",
    statbarns="PPercentCheck",
    order=51,
)
