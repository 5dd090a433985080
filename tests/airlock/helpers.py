"""Small builders for the airlock tests: an output from text, its verdict, one check's result."""

from __future__ import annotations

from textwrap import dedent

from bulle.airlock import CheckResult, Kind, Output, Verdict, check_output
from bulle.policies import DISCLOSURE_PROFILES, DisclosureRules

DEFAULT = DISCLOSURE_PROFILES["default"]
CASD = DISCLOSURE_PROFILES["casd"]


def csv(text: str) -> bytes:
    """A CSV written inline in a test: dedented, stripped, one trailing newline."""
    return dedent(text).strip().encode() + b"\n"


def output(
    content: str | bytes, kind: str = "frequency", *, name: str = "", counts: str | bytes | None = None
) -> Output:
    data = csv(content) if isinstance(content, str) else content
    counts_data = csv(counts) if isinstance(counts, str) else counts
    default_name = {"frequency": "t.csv", "statistics": "t.csv", "model": "m.txt", "figure": "f.png"}.get(kind, "r.txt")
    return Output(name=name or default_name, kind=Kind(kind), content=data, counts=counts_data)


def verdict(
    content: str | bytes, kind: str = "frequency", rules: DisclosureRules = DEFAULT, **kwargs: object
) -> Verdict:
    return check_output(output(content, kind, **kwargs), rules)  # type: ignore[arg-type]


def result(
    rule: str, content: str | bytes, kind: str = "frequency", rules: DisclosureRules = DEFAULT, **kwargs: object
) -> CheckResult:
    found = verdict(content, kind, rules, **kwargs).check(rule)
    assert found is not None, f"the {rule} check did not run"
    return found


def flagged(check: CheckResult) -> list[tuple[tuple[str, ...], tuple[str, ...]]]:
    """The (row, column) labels of every flagged cell."""
    return [(cell.row, cell.column) for cell in check.cells]
