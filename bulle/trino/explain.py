"""What a user can read, for access reviews (``bulle access explain``).

The answer comes from two places that must agree: the policy model says what
each grant shows (columns, masks, row filter, pseudonyms, snapshot), and the
simulator, run on the rules compiled from that same policy, says what Trino
would let the user's project principals do. Every view of the user's
projects is checked for ``SELECT``; every other project's view and every
warehouse table named by any grant is checked to be refused, and writes
(``INSERT``, ``DROP``) to be refused too. A disagreement is printed as a
``WARNING`` line, so a review cannot miss it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from bulle.policies import Grant, Policy, Project
from bulle.policies.grants import project_schema, view_name
from bulle.policies.model import AllColumnsBut, PseudonymScope
from bulle.policies.trino import TrinoTarget, compile_trino_rules, project_is_open, project_principal

from .rules import parse_rules
from .simulator import AccessControl, Identity


@dataclass(frozen=True)
class Finding:
    """One line of the review; ``warning`` marks a disagreement between policy and rules."""

    text: str
    warning: bool = False


def explain_access(
    policy: Policy, user: str, today: dt.date, project_id: str | None = None, target: TrinoTarget | None = None
) -> list[Finding]:
    """The review of ``user`` on ``today``, for one project or all of the user's projects."""
    target = target or TrinoTarget()
    control = AccessControl(parse_rules(compile_trino_rules(policy, today, target)))
    projects = [p for p in policy.projects_of(user) if project_id in (None, p.id)]
    if project_id is not None and not projects:
        return [Finding(f"{user} is not a member of project {project_id}; no project data is readable.")]
    if not projects:
        return [Finding(f"{user} is a member of no project; no project data is readable.")]
    findings: list[Finding] = []
    for project in projects:
        findings.extend(_project_findings(policy, control, user, project, today, target))
    return findings


def _project_findings(
    policy: Policy, control: AccessControl, user: str, project: Project, today: dt.date, target: TrinoTarget
) -> list[Finding]:
    principal = project_principal(user, project.id)
    who = Identity(principal)
    is_open = project_is_open(project, today)
    state = "open" if is_open else "not open on " + today.isoformat()
    role = project.member(user)
    findings = [
        Finding(f"{project.id} ({state}; {user} is {role.role.value if role else '?'}), Trino user {principal}:")
    ]
    schema = project_schema(project.id)
    for grant in project.grants:
        view = view_name(grant.table)
        allowed = control.can_select_columns(who, target.projects_catalog, schema, view, ())
        name = f"{target.projects_catalog}.{schema}.{view}"
        if allowed != is_open:
            findings.append(Finding(f"  WARNING: SELECT on {name} is {'allowed' if allowed else 'denied'}", True))
        verdict = "reads" if allowed else "cannot read"
        findings.append(Finding(f"  {verdict} {name} (from {grant.table}{_pin(grant)})"))
        findings.extend(Finding(f"    {line}") for line in _describe(grant))
    if not project.grants:
        findings.append(Finding("  no grants"))
    findings.extend(_refusals(policy, control, who, project, target))
    return findings


def _describe(grant: Grant) -> list[str]:
    if grant.columns == "all":
        columns = "all columns"
    elif isinstance(grant.columns, AllColumnsBut):
        columns = "all columns except " + ", ".join(grant.columns.all_but)
    else:
        columns = ", ".join(grant.columns)
    lines = [f"columns: {columns}"]
    lines += [f"masked: {column} ({spec})" for column, spec in grant.masks.items()]
    lines.append(f"rows: {grant.row_filter}" if grant.row_filter else "rows: all")
    if grant.pseudonym_scope is PseudonymScope.warehouse:
        lines.append("patient ids: warehouse pseudonyms (linkage approved)")
    else:
        lines.append("patient ids: re-keyed for this project")
    return lines


def _pin(grant: Grant) -> str:
    if grant.snapshot is None:
        return ", current snapshot"
    if isinstance(grant.snapshot, dt.datetime):
        return f", snapshot as of {grant.snapshot.isoformat()}"
    return f", snapshot {grant.snapshot}"


def _refusals(
    policy: Policy, control: AccessControl, who: Identity, project: Project, target: TrinoTarget
) -> list[Finding]:
    """Every other project's views and every granted warehouse table must be refused, and every write."""
    leaks: list[str] = []
    checked = 0
    for other in policy.projects.values():
        for grant in other.grants:
            tables = [(target.warehouse_catalog, *grant.table.split("."))]
            view = (target.projects_catalog, project_schema(other.id), view_name(grant.table))
            if other.id != project.id:
                tables.append(view)
            for catalog, schema, table in tables:
                checked += 1
                if control.can_select_columns(who, catalog, schema, table, ()):
                    leaks.append(f"SELECT on {catalog}.{schema}.{table}")
            for privilege in ("INSERT", "OWNERSHIP"):
                checked += 1
                if control.has_table_privilege(who, *view, privilege):
                    leaks.append(f"{privilege} on {'.'.join(view)}")
    found = [Finding(f"  WARNING: {leak} is allowed", True) for leak in leaks]
    if not leaks:
        found.append(Finding(f"  refused, as it should be: {checked} reads of other data and writes checked"))
    return found
