"""What a user can read, for access reviews (``bulle access explain``).

The answer comes from two places that must agree: the policy model says what
each grant shows (columns, masks, row filter, pseudonyms, snapshot), and the
simulator, run on the rules compiled from that same policy, says what Trino
would let the user's project principals do. The checks of
:mod:`.verify` run too (own views readable only while the project is open;
other projects' views, the raw warehouse, the pseudonym maps and writes
refused); a disagreement is printed as a ``WARNING`` line, so a review cannot
miss it.
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
from .verify import verify_rules


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
    rules = compile_trino_rules(policy, today, target)
    control = AccessControl(parse_rules(rules))
    problems = verify_rules(policy, rules, today, target)
    projects = [p for p in policy.projects_of(user) if project_id in (None, p.id)]
    if project_id is not None and not projects:
        return [Finding(f"{user} is not a member of project {project_id}; no project data is readable.")]
    if not projects:
        return [Finding(f"{user} is a member of no project; no project data is readable.")]
    findings: list[Finding] = []
    for project in projects:
        findings.extend(_project_findings(control, problems, user, project, today, target))
    return findings


def _project_findings(
    control: AccessControl, problems: list[str], user: str, project: Project, today: dt.date, target: TrinoTarget
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
        verdict = "reads" if allowed else "cannot read"
        findings.append(Finding(f"  {verdict} {name} (from {grant.table}{_pin(grant)})"))
        findings.extend(Finding(f"    {line}") for line in _describe(grant))
    if not project.grants:
        findings.append(Finding("  no grants"))
    findings.extend(_refusals(problems, principal))
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


def _refusals(problems: list[str], principal: str) -> list[Finding]:
    """The simulator's disagreements with the policy that concern ``principal``, or the all-clear."""
    mine = [p for p in problems if p.startswith(f"{principal} ")]
    if mine:
        return [Finding(f"  WARNING: {problem}", True) for problem in mine]
    return [Finding("  refused, as it should be: other projects' views, the raw warehouse, the pseudonym maps, writes")]
