"""Checks of a project's data grants, run when the policy is loaded.

Each grant is checked on its own and against its project's other grants,
without the warehouse (whether the columns exist is checked when the grant
is compiled against the warehouse's tables):

- ``row_filter`` and expression masks parse, and use only bare column names,
  allowed functions and no subquery (:mod:`bulle.policies.expressions`);
- a mask is on a granted column, and computes it only from granted columns
  (a mask may not reveal a column the grant leaves out);
- ``pseudonym_scope: warehouse`` needs the project's ``linkage_approval``;
- a table is granted once per project, and no two grants share a view name.

Errors are located (``grants[1].row_filter``) and name the grant's table and
the offending token.
"""

from __future__ import annotations

from collections.abc import Iterable

from .crosscheck import Located
from .errors import PolicyError
from .expressions import ExpressionRefused, check_row_filter
from .masks import mask_columns, parse_mask
from .model import AllColumnsBut, Grant, Project, PseudonymScope


def view_name(table: str) -> str:
    """The name of a grant's view in the project's schema: ``omop.person`` → ``omop_person``."""
    return table.replace(".", "_")


def project_schema(project_id: str) -> str:
    """The SQL schema holding a project's views: ``psy-cohort`` → ``psy_cohort`` (project ids have no ``_``)."""
    return project_id.replace("-", "_")


def is_granted(grant: Grant, column: str) -> bool | None:
    """Whether the grant includes ``column``; None when only the warehouse can say (``columns: all``)."""
    if grant.columns == "all":
        return None
    if isinstance(grant.columns, AllColumnsBut):
        return False if column in grant.columns.all_but else None
    return column in grant.columns


def check_grants(project: Located[Project]) -> list[PolicyError]:
    errors: list[PolicyError] = []
    first_table: dict[str, int] = {}
    first_view: dict[str, int] = {}
    for index, grant in enumerate(project.value.grants):
        errors.extend(_check_grant(project, index, grant))
        previous = first_table.setdefault(grant.table, index)
        if previous != index:
            errors.append(
                project.error(
                    ("grants", index, "table"),
                    f"grants[{index}].table",
                    f"{grant.table} is already granted in grants[{previous}]; merge the two grants into one",
                )
            )
            continue
        other = first_view.setdefault(view_name(grant.table), index)
        if other != index:
            errors.append(
                project.error(
                    ("grants", index, "table"),
                    f"grants[{index}].table",
                    f"{grant.table} and {project.value.grants[other].table} (grants[{other}]) would both be "
                    f"the view {view_name(grant.table)}; grant one of them only",
                )
            )
    return errors


def _check_grant(project: Located[Project], index: int, grant: Grant) -> Iterable[PolicyError]:
    where = f"in the grant on {grant.table}"
    yield from _column_list_duplicates(project, index, grant)
    if grant.row_filter is not None:
        try:
            check_row_filter(grant.row_filter)
        except ExpressionRefused as refused:
            yield project.error(
                ("grants", index, "row_filter"),
                f"grants[{index}].row_filter",
                f"{where}, {refused.reason}: {refused.token}",
            )
    for column, spec in grant.masks.items():
        loc = ("grants", index, "masks", column)
        key = f"grants[{index}].masks.{column}"
        if is_granted(grant, column) is False:
            yield project.error(loc, key, f"{where}, {column} is masked but not granted; grant it or remove the mask")
            continue
        try:
            mask = parse_mask(spec)
        except ExpressionRefused as refused:
            yield project.error(loc, key, f"{where}, {refused.reason}: {refused.token}")
            continue
        hidden = sorted(c for c in mask_columns(mask, column) if is_granted(grant, c) is False)
        if hidden:
            yield project.error(
                loc,
                key,
                f"{where}, the mask of {column} reads {', '.join(hidden)}, which the grant does not include; "
                "a mask may only use granted columns",
            )
    if grant.pseudonym_scope is PseudonymScope.warehouse and project.value.linkage_approval is None:
        yield project.error(
            ("grants", index, "pseudonym_scope"),
            f"grants[{index}].pseudonym_scope",
            f"{where}, warehouse pseudonyms link this project's data with every other source; "
            "record the approval of that linkage in the project's linkage_approval, or use pseudonym_scope: project",
        )


def _column_list_duplicates(project: Located[Project], index: int, grant: Grant) -> Iterable[PolicyError]:
    if grant.columns == "all":
        return
    listed, key = (
        (grant.columns.all_but, "columns.all_but")
        if isinstance(grant.columns, AllColumnsBut)
        else (grant.columns, "columns")
    )
    seen: set[str] = set()
    for position, column in enumerate(listed):
        if column in seen:
            loc: tuple[str | int, ...] = ("grants", index, *key.split("."), position)
            yield project.error(loc, f"grants[{index}].{key}[{position}]", f"{column} is listed twice")
        seen.add(column)
