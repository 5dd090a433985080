"""The canonical view of a grant: one SELECT, rendered in each SQL dialect.

Vocabulary:

- the *source* is the relation holding the granted warehouse table (in Trino
  ``warehouse.omop.person``, possibly pinned ``FOR VERSION AS OF``; in the
  embedded extraction, the relation the job registered for it);
- the *pseudonym map* is the project's relation from warehouse to project
  pseudonyms (:mod:`bulle.policies.pseudonyms`);
- a *view column* is one output column: the table's column as is, masked,
  or re-keyed.

:func:`canonical_select` builds the SELECT with sqlglot from a grant and the
shape of its table (:mod:`bulle.policies.tables`); :func:`render` prints it in
``trino`` or ``duckdb``. Both are pure and byte-deterministic. Checks that
need the table's shape (columns exist, pseudonym columns are not revealed
through a mask) are made here and reported together as
:class:`GrantsNotCompilable`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from sqlglot import exp

from .expressions import parse_expression
from .masks import BuiltinMask, ExpressionMask, Mask, builtin_mask_sql, mask_columns, parse_mask
from .model import AllColumnsBut, Grant, PseudonymScope
from .pseudonyms import MAP_PROJECT_COLUMN, MAP_WAREHOUSE_COLUMN
from .tables import TableShape

SOURCE_ALIAS = "t"
DIALECTS = ("trino", "duckdb")


@dataclass(frozen=True)
class GrantProblem:
    """A grant that cannot be compiled against the warehouse's tables."""

    project: str
    index: int
    table: str
    message: str

    def __str__(self) -> str:
        return f"projects/{self.project}.yaml: grants[{self.index}] ({self.table}): {self.message}"


class GrantsNotCompilable(Exception):
    def __init__(self, problems: Iterable[GrantProblem]) -> None:
        self.problems = tuple(problems)
        count = len(self.problems)
        lines = "\n".join(str(p) for p in self.problems)
        super().__init__(f"{count} grant problem{'s' if count != 1 else ''}:\n{lines}")


@dataclass(frozen=True)
class ViewColumn:
    """One output column of a grant's view; ``how`` is ``as is``, ``re-keyed``, ``mask <kind>`` or ``mask SQL``."""

    name: str
    how: str


@dataclass(frozen=True)
class GrantView:
    """A grant compiled against its table: the columns it shows and its SELECT."""

    columns: tuple[ViewColumn, ...]
    select: exp.Select
    rekeyed: tuple[str, ...]


def compile_grant(
    project_id: str,
    index: int,
    grant: Grant,
    shapes: Mapping[str, TableShape],
    source: exp.Table,
    pseudonym_map: exp.Table,
) -> GrantView:
    """The view of ``grant``; raise :class:`GrantsNotCompilable` with every problem found."""
    shape = shapes.get(grant.table)
    if shape is None:
        problem = f"the warehouse has no table {grant.table}"
        raise GrantsNotCompilable([GrantProblem(project_id, index, grant.table, problem)])
    problems: list[str] = []
    names = _granted_columns(grant, shape, problems)
    masks = {column: parse_mask(spec) for column, spec in grant.masks.items()}
    _check_references(grant, shape, masks, problems)
    _check_text_pseudonyms(grant, shape, names, problems)
    if problems:
        raise GrantsNotCompilable(GrantProblem(project_id, index, grant.table, p) for p in problems)
    return _build(project_id, grant, shape, names, masks, source, pseudonym_map)


def render(select: exp.Expr, dialect: str) -> str:
    """``select`` as SQL text in ``dialect`` (``trino`` or ``duckdb``)."""
    return select.sql(dialect=dialect, pretty=True, comments=False)


def _granted_columns(grant: Grant, shape: TableShape, problems: list[str]) -> list[str]:
    known = list(shape.columns)
    if grant.columns == "all":
        return known
    if isinstance(grant.columns, AllColumnsBut):
        _report_unknown(grant.columns.all_but, shape, "columns.all_but", problems)
        return [c for c in known if c not in grant.columns.all_but]
    _report_unknown(grant.columns, shape, "columns", problems)
    return [c for c in grant.columns if c in shape.columns]


def _report_unknown(columns: Iterable[str], shape: TableShape, key: str, problems: list[str]) -> None:
    unknown = [c for c in columns if c not in shape.columns]
    if unknown:
        problems.append(f"{key} names {', '.join(unknown)}, which the table does not have ({_known(shape)})")


def _known(shape: TableShape) -> str:
    return "its columns: " + ", ".join(shape.columns)


def _check_references(grant: Grant, shape: TableShape, masks: Mapping[str, Mask], problems: list[str]) -> None:
    if grant.row_filter is not None:
        used = sorted(c.name for c in parse_expression(grant.row_filter).find_all(exp.Column))
        unknown = sorted({c for c in used if c not in shape.columns})
        if unknown:
            problems.append(f"row_filter uses {', '.join(unknown)}, which the table does not have ({_known(shape)})")
    rekeyed = grant.pseudonym_scope is PseudonymScope.project
    for column, mask in masks.items():
        if column not in shape.columns:
            problems.append(f"masks names {column}, which the table does not have ({_known(shape)})")
            continue
        unknown = sorted(c for c in mask_columns(mask, column) if c not in shape.columns)
        if unknown:
            problems.append(f"the mask of {column} uses {', '.join(unknown)}, which the table does not have")
        revealed = sorted(c for c in mask_columns(mask, column) if c in (*shape.pseudonyms, *shape.pseudonyms_in_text))
        if rekeyed and revealed:
            problems.append(
                f"the mask of {column} is computed from the pseudonym column {', '.join(revealed)}, which would "
                "reveal warehouse pseudonyms; only the null mask may apply to a pseudonym column"
            )


def _check_text_pseudonyms(grant: Grant, shape: TableShape, names: Sequence[str], problems: list[str]) -> None:
    """A column holding pseudonyms inside its text cannot be re-keyed: a project-scoped grant must hide it."""
    if grant.pseudonym_scope is not PseudonymScope.project:
        return
    shown = sorted(c for c in names if c in shape.pseudonyms_in_text and c not in grant.masks)
    if shown:
        problems.append(
            f"{', '.join(shown)} hold{'s' if len(shown) == 1 else ''} warehouse pseudonyms inside their text "
            "(a path, a JSON document), which cannot be re-keyed for the project; leave them out, mask them "
            "with null, or use pseudonym_scope: warehouse"
        )


def _build(
    project_id: str,
    grant: Grant,
    shape: TableShape,
    names: Sequence[str],
    masks: Mapping[str, Mask],
    source: exp.Table,
    pseudonym_map: exp.Table,
) -> GrantView:
    projections: list[exp.Expr] = []
    shown: list[ViewColumn] = []
    joins: list[exp.Join] = []
    rekeyed: list[str] = []
    rekey = grant.pseudonym_scope is PseudonymScope.project
    for name in names:
        mask = masks.get(name)
        if mask is not None:
            value = _mask_value(mask, name, shape, project_id)
            how = f"mask {mask.kind}" if isinstance(mask, BuiltinMask) else "mask SQL"
        elif rekey and name in shape.pseudonyms:
            alias = f"p_{name}"
            joins.append(_map_join(pseudonym_map, alias, name, shape))
            value = exp.column(MAP_PROJECT_COLUMN, table=alias)
            how = "re-keyed"
            rekeyed.append(name)
        else:
            value = _source_column(name)
            how = "as is"
        projections.append(exp.alias_(value, name))
        shown.append(ViewColumn(name, how))
    select = exp.select(*projections).from_(source.copy().as_(SOURCE_ALIAS))
    for join in joins:
        select = select.join(join)
    if grant.row_filter is not None:
        select = select.where(_qualified(parse_expression(grant.row_filter)))
    return GrantView(tuple(shown), select, tuple(rekeyed))


def _source_column(name: str) -> exp.Column:
    return exp.column(name, table=SOURCE_ALIAS)


def _mask_value(mask: Mask, name: str, shape: TableShape, project_id: str) -> exp.Expr:
    if isinstance(mask, ExpressionMask):
        return _qualified(mask.expression.tree.copy())
    return builtin_mask_sql(mask, _source_column(name), shape.type_of(name), salt=project_id)


def _map_join(pseudonym_map: exp.Table, alias: str, column: str, shape: TableShape) -> exp.Join:
    value: exp.Expr = _source_column(column)
    if not shape.type_of(column).is_type(exp.DataType.Type.VARCHAR):
        value = exp.cast(value, "varchar")
    condition = exp.EQ(this=exp.column(MAP_WAREHOUSE_COLUMN, table=alias), expression=value)
    return exp.Join(this=pseudonym_map.copy().as_(alias), on=condition, side="LEFT")


def _qualified(tree: exp.Expr) -> exp.Expr:
    """``tree`` with every (bare, checked) column qualified by the source's alias."""
    for column in tree.find_all(exp.Column):
        column.set("table", exp.to_identifier(SOURCE_ALIAS))
    return tree
