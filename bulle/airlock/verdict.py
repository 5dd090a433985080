"""What the automated disclosure checks say about one file.

Vocabulary (SACRO/ACRO's, so that a checker who knows ACRO reads it as is):

- a *status* is ``pass`` (nothing found), ``review`` (a person must look:
  the checks could not decide, or found something that is only sometimes
  disclosive) or ``fail`` (a rule is broken; releasing it anyway takes a
  written override reason and two approvals);
- a *flagged cell* names the place a check found a problem, by its row and
  column labels as they are written in the file, with one reason;
- a *check result* is one rule's status over a file, with its flagged cells;
- a *verdict* is the worst status of the check results, with all of them.

:meth:`Verdict.to_json` gives the report's JSON shape::

    {"status": "fail", "file": "t.csv", "kind": "frequency", "parameters": {...},
     "checks": [{"rule": "threshold", "status": "fail", "message": "...",
                 "cells": [{"row": ["north"], "column": ["F"], "reason": "..."}]}]}
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from bulle.policies import DisclosureRules


class Status(StrEnum):
    PASS = "pass"  # noqa: S105 (a status, not a password)
    REVIEW = "review"
    FAIL = "fail"

    @property
    def severity(self) -> int:
        return _SEVERITY[self]


MAX_CELLS = 100  # flagged cells listed per check; the message gives the full count

_SEVERITY = {Status.PASS: 0, Status.REVIEW: 1, Status.FAIL: 2}


def worst(statuses: Iterable[Status]) -> Status:
    """The most severe of ``statuses``; ``pass`` when there are none."""
    return max(statuses, key=lambda s: s.severity, default=Status.PASS)


def _trim(labels: Sequence[str]) -> tuple[str, ...]:
    # pandas writes the margin of a multi-level axis as ("All", ""): show ("All",).
    labels = tuple(labels)
    while len(labels) > 1 and labels[-1] == "":
        labels = labels[:-1]
    return labels


@dataclass(frozen=True)
class Cell:
    """One flagged place in a file: its row and column labels, and why."""

    row: tuple[str, ...]
    column: tuple[str, ...]
    reason: str

    @classmethod
    def at(cls, row: Sequence[str], column: Sequence[str], reason: str) -> Cell:
        return cls(_trim(row), _trim(column), reason)

    def to_json(self) -> dict[str, Any]:
        return {"row": list(self.row), "column": list(self.column), "reason": self.reason}


@dataclass(frozen=True)
class CheckResult:
    """One rule's finding over one file."""

    rule: str
    status: Status
    message: str
    cells: tuple[Cell, ...] = ()

    @classmethod
    def from_cells(cls, rule: str, cells: Sequence[Cell], *, when_found: Status, ok: str, found: str) -> CheckResult:
        """``when_found`` with the message ``found`` if any cell, else ``pass`` with ``ok``.

        ``found`` may use ``{n}`` (the number of cells) and ``{s}`` (a plural s). At most
        :data:`MAX_CELLS` cells are kept.
        """
        if not cells:
            return cls(rule, Status.PASS, ok)
        message = found.format(n=len(cells), s="" if len(cells) == 1 else "s")
        if len(cells) > MAX_CELLS:
            message += f" (the first {MAX_CELLS} are listed)"
        return cls(rule, when_found, message, tuple(cells[:MAX_CELLS]))

    def to_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "status": self.status.value,
            "message": self.message,
            "cells": [cell.to_json() for cell in self.cells],
        }


@dataclass(frozen=True)
class Verdict:
    """Every check result for one file, and the worst of their statuses."""

    file: str
    kind: str
    rules: DisclosureRules
    checks: tuple[CheckResult, ...]
    sha256: str = ""  # of the bytes checked

    @property
    def status(self) -> Status:
        return worst(check.status for check in self.checks)

    def check(self, rule: str) -> CheckResult | None:
        return next((c for c in self.checks if c.rule == rule), None)

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status.value,
            "file": self.file,
            "kind": self.kind,
            "sha256": self.sha256,
            "parameters": self.rules.model_dump(),
            "checks": [check.to_json() for check in self.checks],
        }
