"""Check compiled rules with the simulator before they are written.

For every member of every project, as their project principal: each view of
an open project is readable (and only when the project is open); no view of
another project, no warehouse table and no pseudonym map is readable; no
view can be written, dropped or read back as SQL. ``bulle policy compile
--target trino`` refuses to write rules that fail this.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from bulle.policies import Policy
from bulle.policies.grants import project_schema, view_name
from bulle.policies.trino import TrinoTarget, project_is_open, project_principal

from .rules import parse_rules
from .simulator import AccessControl, Identity

WRITES = ("INSERT", "DELETE", "UPDATE", "OWNERSHIP")


def verify_rules(
    policy: Policy, rules: Mapping[str, Any], today: dt.date, target: TrinoTarget | None = None
) -> list[str]:
    """Every way ``rules`` disagree with ``policy`` on ``today``, as sentences; empty when they agree."""
    target = target or TrinoTarget()
    control = AccessControl(parse_rules(dict(rules)))
    views = {
        p.id: [(target.projects_catalog, project_schema(p.id), view_name(g.table)) for g in p.grants]
        for p in policy.projects.values()
    }
    private = [(target.warehouse_catalog, *g.table.split(".")) for p in policy.projects.values() for g in p.grants]
    private += [(target.warehouse_catalog, target.pseudonym_schema, project_schema(p)) for p in views]
    problems: list[str] = []
    for project in policy.projects.values():
        for member in project.members:
            principal = project_principal(member.user, project.id)
            who = Identity(principal)
            readable = project_is_open(project, today)
            for view in views[project.id]:
                if control.can_select_columns(who, *view, ()) != readable:
                    verb = "cannot read" if readable else "can read"
                    problems.append(f"{principal} {verb} {'.'.join(view)}")
                problems += [
                    f"{principal} has {w} on {'.'.join(view)}"
                    for w in WRITES
                    if control.has_table_privilege(who, *view, w)
                ]
            others = [v for p, vs in views.items() if p != project.id for v in vs]
            problems += [
                f"{principal} can read {'.'.join(t)}"
                for t in others + private
                if control.can_select_columns(who, *t, ())
            ]
    return problems
