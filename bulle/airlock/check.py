"""Running the checks over an output: the one entry point of the automated disclosure control.

:func:`check_output` runs every registered check that applies to the
output's kind, in report order. The checks of the file itself (type, size)
run first; when one fails, the content is not read at all (a 2 GB file or a
zip named ``.csv`` is not parsed), and the verdict is ``fail``.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from bulle.policies import DisclosureRules

from .evidence import MissingEvidence
from .output import Output
from .registry import Check, installed_checks
from .table import Unreadable
from .verdict import CheckResult, Status, Verdict


@lru_cache(maxsize=1)
def _installed() -> tuple[Check, ...]:
    return installed_checks()


def _run(check: Check, output: Output, rules: DisclosureRules) -> CheckResult | None:
    try:
        return check.run(output, rules)
    except Unreadable:
        return None  # the table-format check (or file-type) says why
    except MissingEvidence as missing:
        return CheckResult(check.rule, Status.REVIEW, str(missing))


def check_output(output: Output, rules: DisclosureRules, checks: Sequence[Check] | None = None) -> Verdict:
    """The verdict of ``checks`` (default: every installed check) on ``output`` under ``rules``."""
    applicable = [c for c in (_installed() if checks is None else checks) if c.applies_to(output.kind)]
    applicable.sort(key=lambda c: (c.order, c.rule))
    results = [r for c in applicable if not c.reads_content if (r := _run(c, output, rules)) is not None]
    if all(r.status is not Status.FAIL for r in results):
        results += [r for c in applicable if c.reads_content if (r := _run(c, output, rules)) is not None]
    return Verdict(
        file=output.name,
        kind=output.kind.value,
        rules=rules,
        checks=tuple(results),
        sha256=output.sha256,
    )
