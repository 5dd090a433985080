"""Compiler to Trino: per-project views and the platform's access-control rules.

Production layout (names from :class:`TrinoTarget`):

- ``warehouse`` catalog: the Iceberg warehouse (``warehouse.omop.person``) and
  the pseudonym maps (``warehouse.bulle_pseudonyms.<project schema>``);
- ``projects`` catalog: one schema per project (``projects.psy_cohort``) with
  one ``SECURITY DEFINER`` view per grant (``omop_person``), owned by bulle's
  service principal, which alone reads the warehouse;
- a bubble queries Trino as its *project principal* ``<user>@<project>``
  (``alice@psy-cohort``): one identity per member and project, so a user in
  two projects cannot mix them in one bubble.

The rules file (Trino's file-based system access control) writes every
section, because Trino allows everything a missing section covers: no rule
matching means deny, and so

- project principals of *open* projects (approved, within their dates on the
  compile date) get ``read-only`` on the ``projects`` catalog and ``SELECT`` on
  their project's views only, by exact name; nothing on the warehouse, the
  ``system`` catalog, session properties, functions beyond the builtins,
  procedures, impersonation or ownership changes; they may run queries;
- the service principal owns the project schemas and views and has
  ``SELECT``/``GRANT_SELECT`` on the warehouse (what a definer view needs);
- ``principals`` maps each authenticated principal to the user of the same
  name only (an empty ``principals`` list would refuse every login).

The views apply every column choice, mask, row filter and re-keying, so the
rules carry no ``mask``/``filter``: a view's SQL is its whole definition, and
a researcher cannot read it (``SHOW CREATE VIEW`` needs ownership).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlglot import exp

from .grants import project_schema, view_name
from .model import Grant, Project, ProjectStatus
from .policy import Policy
from .tables import TableShape
from .views import GrantProblem, GrantsNotCompilable, compile_grant, render

#: Every section of Trino's system rules file, in the order written.
RULE_SECTIONS = (
    "catalogs",
    "schemas",
    "tables",
    "system_session_properties",
    "catalog_session_properties",
    "functions",
    "procedures",
    "queries",
    "impersonation",
    "principals",
    "system_information",
    "authorization",
)


@dataclass(frozen=True)
class TrinoTarget:
    """Names of the production Trino deployment."""

    warehouse_catalog: str = "warehouse"
    projects_catalog: str = "projects"
    pseudonym_schema: str = "bulle_pseudonyms"
    service_user: str = "bulle"


def project_principal(user: str, project_id: str) -> str:
    """The Trino user a bubble of ``user`` in ``project_id`` connects as."""
    return f"{user}@{project_id}"


def project_is_open(project: Project, today: dt.date) -> bool:
    return project.status is ProjectStatus.approved and project.valid_from <= today <= project.valid_until


def source_table(grant: Grant, target: TrinoTarget) -> exp.Table:
    """The warehouse table of ``grant`` as Trino names it, pinned when the grant has a snapshot."""
    schema, table = grant.table.split(".")
    source = exp.table_(table, db=schema, catalog=target.warehouse_catalog)
    if isinstance(grant.snapshot, dt.datetime):
        when = grant.snapshot.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f UTC")
        pin = exp.cast(exp.Literal.string(when), "timestamp(6) with time zone")
        source.set("version", exp.Version(this="TIMESTAMP", kind="AS OF", expression=pin))
    elif grant.snapshot is not None:
        source.set("version", exp.Version(this="VERSION", kind="AS OF", expression=exp.Literal.number(grant.snapshot)))
    return source


def pseudonym_map_table(project_id: str, target: TrinoTarget) -> exp.Table:
    return exp.table_(project_schema(project_id), db=target.pseudonym_schema, catalog=target.warehouse_catalog)


def compile_trino_views(
    policy: Policy, shapes: Mapping[str, TableShape], target: TrinoTarget = TrinoTarget()
) -> dict[str, str]:
    """One SQL script per project with grants: ``CREATE SCHEMA`` and one ``CREATE OR REPLACE VIEW`` per grant.

    Raises :class:`GrantsNotCompilable` listing every grant that does not fit the warehouse's tables.
    """
    scripts: dict[str, str] = {}
    problems: list[GrantProblem] = []
    for project in policy.projects.values():
        if not project.grants:
            continue
        schema = f"{target.projects_catalog}.{project_schema(project.id)}"
        statements = [f"CREATE SCHEMA IF NOT EXISTS {schema}"]
        for index, grant in enumerate(project.grants):
            try:
                view = compile_grant(
                    project.id,
                    index,
                    grant,
                    shapes,
                    source_table(grant, target),
                    pseudonym_map_table(project.id, target),
                )
            except GrantsNotCompilable as error:
                problems.extend(error.problems)
                continue
            statements.append(
                f"CREATE OR REPLACE VIEW {schema}.{view_name(grant.table)}\n"
                f"COMMENT {_quote(f'bulle grant {index} of project {project.id} on {grant.table}')}\n"
                f"SECURITY DEFINER AS\n{render(view.select, 'trino')}"
            )
        header = (
            f"-- Trino views of project {project.id}, compiled by bulle from the policy; do not edit.\n"
            f"-- Run as {target.service_user}, after bulle built the pseudonym map "
            f"{pseudonym_map_table(project.id, target).sql('trino')}.\n"
        )
        scripts[project.id] = header + "".join(f"\n{s};\n" for s in statements)
    if problems:
        raise GrantsNotCompilable(problems)
    return scripts


def compile_trino_rules(policy: Policy, today: dt.date, target: TrinoTarget = TrinoTarget()) -> dict[str, Any]:
    """The platform's rules file for ``today``: every section, default deny, sorted and stable."""
    service = _exact(target.service_user)
    open_projects = [p for p in policy.projects.values() if p.grants and project_is_open(p, today)]
    members = {p.id: _members_pattern(p) for p in open_projects}
    project_tables = [
        {
            "user": members[p.id],
            "catalog": _exact(target.projects_catalog),
            "schema": _exact(project_schema(p.id)),
            "table": _one_of(sorted(view_name(g.table) for g in p.grants)),
            "privileges": ["SELECT"],
        }
        for p in open_projects
    ]
    researchers = "(" + "|".join(members[p.id] for p in open_projects) + ")" if open_projects else None
    rules: dict[str, Any] = {
        "catalogs": [
            {"user": service, "catalog": _one_of([target.warehouse_catalog, target.projects_catalog]), "allow": "all"},
            *(
                [{"user": researchers, "catalog": _exact(target.projects_catalog), "allow": "read-only"}]
                if researchers
                else []
            ),
            {"catalog": "system", "allow": "none"},
        ],
        "schemas": [{"user": service, "catalog": _exact(target.projects_catalog), "owner": True}],
        "tables": [
            {
                "user": service,
                "catalog": _exact(target.warehouse_catalog),
                "privileges": ["GRANT_SELECT", "SELECT"],
            },
            {
                "user": service,
                "catalog": _exact(target.projects_catalog),
                "privileges": ["GRANT_SELECT", "OWNERSHIP", "SELECT"],
            },
            *project_tables,
        ],
        "system_session_properties": [],
        "catalog_session_properties": [],
        "functions": [],
        "procedures": [],
        "queries": [
            {"user": service, "allow": ["execute", "kill", "view"]},
            *([{"user": researchers, "allow": ["execute"]}] if researchers else []),
        ],
        "impersonation": [],
        "principals": [{"principal": "(.*)", "principal_to_user": "$1", "allow": True}],
        "system_information": [],
        "authorization": [],
    }
    return {section: rules[section] for section in RULE_SECTIONS}


def rules_json(rules: Mapping[str, Any]) -> str:
    """The rules as the file's text: stable key order, two-space indent, final newline."""
    return json.dumps(rules, indent=2, sort_keys=False, ensure_ascii=False) + "\n"


def _members_pattern(project: Project) -> str:
    return f"{_one_of(sorted(m.user for m in project.members))}@{_exact(project.id)}"


def _exact(name: str) -> str:
    """A Java regex matching exactly ``name``: every character but letters, digits, ``_``, ``-``, ``@`` escaped."""
    return "".join(c if c.isalnum() or c in "_-@" else f"\\{c}" for c in name)


def _one_of(names: list[str]) -> str:
    escaped = [_exact(n) for n in names]
    return escaped[0] if len(escaped) == 1 else "(" + "|".join(escaped) + ")"


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
