"""bulle's automated disclosure checks: pure functions over an output file and its declared kind.

Both sides of the airlock use them: the extension in the bubble (to tell the
researcher before they ask) and the hub (to put the report beside the
checker). This package imports :mod:`bulle.policies` (the rule parameters)
and nothing else from bulle; it never imports :mod:`bulle.hub`.

    output = load_output(path, "frequency")          # or Output(name, kind, content, counts=...)
    verdict = check_output(output, policy.disclosure_rules(project_id))
    verdict.status, verdict.to_json()

The rules, their parameters and profiles are described in the README
("Airlock: automated disclosure checks"); each check lives in the module
named for what it checks, and is registered in the entry-point group
``bulle.airlock.checks`` (see :mod:`bulle.airlock.registry`).
"""

from .check import check_output
from .evidence import MissingEvidence, contributor_table
from .load import load_output
from .output import AcroEvidence, Kind, Output
from .registry import ENTRY_POINT_GROUP, Check, CheckRegistrationError, installed_checks
from .table import Table, Unreadable, parse_table
from .verdict import Cell, CheckResult, Status, Verdict

__all__ = [
    "ENTRY_POINT_GROUP",
    "AcroEvidence",
    "Cell",
    "Check",
    "CheckRegistrationError",
    "CheckResult",
    "Kind",
    "MissingEvidence",
    "Output",
    "Status",
    "Table",
    "Unreadable",
    "Verdict",
    "check_output",
    "contributor_table",
    "installed_checks",
    "load_output",
    "parse_table",
]
