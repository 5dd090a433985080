"""Disclosure checks and the entry-point group that registers them.

A *check* is one rule run over one output: a :class:`Check` names the rule
(the id in reports), the kinds of output it applies to, and a pure function
``run(output, rules) -> CheckResult | None`` (None: nothing to say about this
output, for example ACRO's evidence when there is none).

Checks are registered the way jupyter-server-proxy registers its servers
(``jupyter_serverproxy_servers``): as entry points of the group
``bulle.airlock.checks``, name = rule id, value = a :class:`Check` object. A
platform adds its own by shipping a package with, in its ``pyproject.toml``::

    [project.entry-points."bulle.airlock.checks"]
    cohort-size = "my_platform.checks:COHORT_SIZE"

bulle's own checks are registered the same way, in bulle's ``pyproject.toml``.
Checks that read the content run only once the ``file-type`` check passed.
A run raising :class:`~bulle.airlock.table.Unreadable` is left out of the
report (the ``table-format`` check says why the file cannot be read); one
raising :class:`~bulle.airlock.evidence.MissingEvidence` is reported as
``review`` with its message.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points

from bulle.policies import DisclosureRules

from .output import Kind, Output
from .verdict import CheckResult

ENTRY_POINT_GROUP = "bulle.airlock.checks"


@dataclass(frozen=True)
class Check:
    rule: str
    kinds: frozenset[Kind]
    run: Callable[[Output, DisclosureRules], CheckResult | None]
    description: str
    statbarns: str | None = None  # the SACRO statbarns check it implements, when there is one
    order: int = 100  # position in reports: bulle's own checks use 10 to 90
    reads_content: bool = True  # False: runs even when the file is not of an allowed type

    def applies_to(self, kind: Kind) -> bool:
        return kind in self.kinds


class CheckRegistrationError(Exception):
    """An entry point of the checks group is not a usable check."""


def checks_from_entry_points(found: Iterable[EntryPoint]) -> tuple[Check, ...]:
    """Load and order the checks ``found`` names; refuse objects that are not checks, and duplicates."""
    checks: dict[str, tuple[Check, str]] = {}
    for entry_point in found:
        where = f"entry point {entry_point.name!r} ({entry_point.value}) of the group {ENTRY_POINT_GROUP!r}"
        try:
            check = entry_point.load()
        except (ImportError, AttributeError) as exc:
            raise CheckRegistrationError(f"{where} cannot be loaded: {exc}") from exc
        if not isinstance(check, Check):
            raise CheckRegistrationError(
                f"{where} is a {type(check).__name__}, not a bulle.airlock.Check; point it at a Check object"
            )
        if check.rule != entry_point.name:
            raise CheckRegistrationError(f"{where} names the rule {check.rule!r}; give the entry point that name")
        if check.rule in checks:
            raise CheckRegistrationError(
                f"{where} registers the rule {check.rule!r} again (also {checks[check.rule][1]}); rename one"
            )
        checks[check.rule] = (check, entry_point.value)
    return tuple(sorted((c for c, _ in checks.values()), key=lambda c: (c.order, c.rule)))


def installed_checks() -> tuple[Check, ...]:
    """Every check registered in the ``bulle.airlock.checks`` group of the installed packages."""
    return checks_from_entry_points(entry_points(group=ENTRY_POINT_GROUP))
