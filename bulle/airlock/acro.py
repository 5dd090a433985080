"""ACRO's ``results.json``, read as evidence for the files it lists.

ACRO (SACRO's checker) writes, when a researcher calls ``acro.finalise(path,
"json")``, each output as ``output_<i>_<j>.csv`` in ``path`` with a
``results.json`` that gives, per output, its status (pass/review/fail), a
summary of its checks, the positions of the cells each check flagged (row
and column numbers in the body of the CSV, margins included), the
researcher's exception request, and a ``checksums/<file>.txt`` SHA-256 per
file. The checks' names are ACRO 0.4's (``threshold``, ``p-ratio``,
``nk-rule``...) or ACRO 1.0's statbarns names (``MinimumThresholdCheck``...).

ACRO's verdict is reported as the ``acro`` check, beside bulle's own: it
never lowers bulle's verdict, and it adds what bulle cannot see (the
dominance ACRO computed from the records, the degrees of freedom of a model
whose summary sits in another of its files). Evidence for another version of
the file (the checksum differs) goes to review.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bulle.policies import DisclosureRules

from .output import ALL_KINDS, Output
from .registry import Check
from .table import Table, Unreadable
from .verdict import Cell, CheckResult, Status

_STATUS = {"pass": Status.PASS, "review": Status.REVIEW, "fail": Status.FAIL}


def acro_record(results: Mapping[str, Any], file_name: str) -> tuple[Mapping[str, Any], Mapping[str, Any]] | None:
    """``(record, file entry)`` of the output whose files include ``file_name``, or None."""
    records = results.get("results")
    if not isinstance(records, Mapping):
        return None
    for record in records.values():
        for entry in record.get("files", ()) if isinstance(record, Mapping) else ():
            if isinstance(entry, Mapping) and entry.get("name") == file_name:
                return record, entry
    return None


def _label(table: Table | None, row: int, column: int) -> tuple[tuple[str, ...], tuple[str, ...]]:
    if table is not None and 0 <= row < table.shape[0] and 0 <= column < table.shape[1]:
        return table.rows[row], table.columns[column]
    return (f"#{row}",), (f"#{column}",)


def _flagged_cells(output: Output, sdc: Mapping[str, Any]) -> list[Cell]:
    try:
        table: Table | None = output.table
    except Unreadable:
        table = None
    cells = []
    for check, positions in (sdc.get("cells") or {}).items():
        for position in positions or ():
            if isinstance(position, list | tuple) and len(position) == 2:
                row, column = _label(table, int(position[0]), int(position[1]))
                cells.append(Cell.at(row, column, f"flagged by ACRO's {check}"))
    return cells


def check_acro(output: Output, rules: DisclosureRules) -> CheckResult | None:
    if output.acro is None:
        return None
    found = acro_record(output.acro.results, output.name)
    if found is None:
        return None
    record, entry = found
    version = output.acro.results.get("version", "?")
    if output.acro.sha256 is not None and output.acro.sha256 != output.sha256:
        return CheckResult(
            "acro",
            Status.REVIEW,
            f"ACRO {version} checked another version of {output.name}: its SHA-256 differs from ACRO's checksum",
        )
    status = _STATUS.get(str(record.get("status", "")).lower(), Status.REVIEW)
    summary = " ".join(str(record.get("summary", "")).split())
    message = f"ACRO {version} says {status.value}: {summary}" if summary else f"ACRO {version} says {status.value}"
    if record.get("exception"):
        message += f". The researcher asks for an exception: {' '.join(str(record['exception']).split())}"
    return CheckResult("acro", status, message, tuple(_flagged_cells(output, entry.get("sdc") or {})))


ACRO = Check(
    "acro",
    ALL_KINDS,
    check_acro,
    "ACRO's results.json beside the file, when there is one, read as evidence",
    order=90,
)
