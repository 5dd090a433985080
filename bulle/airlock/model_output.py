"""Residual degrees of freedom of models, read from their printed summaries.

A model with few residual degrees of freedom is close to a lookup table of
its records. The summaries read (as text, CSV or HTML, tags dropped):

- statsmodels' ``summary()`` (and ACRO's CSV of it): ``Df Residuals: 96``;
- R's ``summary()`` of ``lm``: ``Residual standard error: 0.98 on 96 degrees
  of freedom``, and of ``glm``: ``Residual deviance: 120.3 on 97 degrees of
  freedom`` (the ``Null deviance`` line is not the model's).

Every model found in the file is checked; a file where none is found goes
to review.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from bulle.policies import DisclosureRules

from .evidence import MissingEvidence
from .output import Kind, Output
from .registry import Check
from .verdict import Cell, CheckResult, Status

_TAG = re.compile(r"<[^>]+>")
_STATSMODELS = re.compile(r"Df Residuals\s*:?[\s,;|&\"]*(-?\d+(?:\.\d+)?)")
_R_RESIDUAL = re.compile(r"\bResidual\b.*?\bon\s+(\d+(?:\.\d+)?)\s+degrees of freedom", re.IGNORECASE)


@dataclass(frozen=True)
class ResidualDof:
    line: int  # 1-based
    label: str  # as the summary names it
    value: float


def residual_dofs(text: str) -> Iterator[ResidualDof]:
    """Every residual degrees of freedom printed in ``text``, in order."""
    for number, line in enumerate(text.splitlines(), start=1):
        plain = _TAG.sub(" ", line)
        for match in _STATSMODELS.finditer(plain):
            yield ResidualDof(number, "Df Residuals", float(match.group(1)))
        for match in _R_RESIDUAL.finditer(plain):
            yield ResidualDof(number, "degrees of freedom", float(match.group(1)))


def check_dof(output: Output, rules: DisclosureRules) -> CheckResult:
    found = list(residual_dofs(output.text))
    if not found:
        raise MissingEvidence(
            "no residual degrees of freedom found; include the model's summary() "
            "(statsmodels prints 'Df Residuals', R prints '... on N degrees of freedom')"
        )
    threshold = rules.safe_dof_threshold
    cells = [
        Cell.at(
            (f"line {dof.line}",), (dof.label,), f"{dof.value:g} residual degrees of freedom, fewer than {threshold}"
        )
        for dof in found
        if dof.value < threshold
    ]
    models = f"{len(found)} model{'s' if len(found) != 1 else ''}"
    return CheckResult.from_cells(
        "dof",
        cells,
        when_found=Status.FAIL,
        ok=f"{models}, each with at least {threshold} residual degrees of freedom",
        found="{n} of " + models + f" with fewer than {threshold} residual degrees of freedom",
    )


DOF = Check(
    "dof",
    frozenset({Kind.MODEL}),
    check_dof,
    "every model in the file has at least safe_dof_threshold residual degrees of freedom",
    statbarns="MinimumDoFCheck",
    order=60,
)
