"""SQL expressions written in grants: row filters and mask expressions.

A grant's ``row_filter`` and its expression ``masks`` are small SQL
expressions over the columns of the one table the grant is about. They end up
inside views that run with the warehouse's privileges, so they are parsed with
sqlglot and checked against an allow-list before a policy is accepted:

- only *bare* column names (``year_of_birth``, never ``person.year_of_birth``
  or ``other.col``): a qualified name could reach another table;
- literals, comparisons, ``AND``/``OR``/``NOT``, ``IN (list)``, ``BETWEEN``,
  ``LIKE``, ``IS NULL``, arithmetic, ``CASE``/``IF``, ``CAST`` and the
  functions of :data:`ALLOWED_FUNCTIONS`;
- no subquery, no table, no parameter, no ``*``, no comment and no statement
  separator.

Checked expressions are kept as text in the model; :func:`parse_expression`
gives the same tree back to the compilers, which render it per dialect.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError
from sqlglot.tokenizer_core import TokenType

#: Functions a grant expression may call: sqlglot's node class → the name shown to people.
ALLOWED_FUNCTIONS: dict[type[exp.Expr], str] = {
    exp.Abs: "abs",
    exp.Ceil: "ceil",
    exp.Coalesce: "coalesce",
    exp.CurrentDate: "current_date",
    exp.DateTrunc: "date_trunc",
    exp.Day: "day",
    exp.Floor: "floor",
    exp.Length: "length",
    exp.Lower: "lower",
    exp.Month: "month",
    exp.Nullif: "nullif",
    exp.Round: "round",
    exp.Substring: "substr",
    exp.Trim: "trim",
    exp.Upper: "upper",
    exp.Year: "year",
}

#: Every other node a grant expression may contain.
_ALLOWED_NODES: tuple[type[exp.Expr], ...] = (
    exp.Add,
    exp.And,
    exp.Between,
    exp.Boolean,
    exp.Case,
    exp.Cast,
    exp.Column,
    exp.DataType,
    exp.DataTypeParam,
    exp.Div,
    exp.DPipe,
    exp.EQ,
    exp.GT,
    exp.GTE,
    exp.Identifier,
    exp.If,
    exp.ILike,
    exp.In,
    exp.Interval,
    exp.Is,
    exp.Like,
    exp.Literal,
    exp.LT,
    exp.LTE,
    exp.Mod,
    exp.Mul,
    exp.Neg,
    exp.NEQ,
    exp.Not,
    exp.Null,
    exp.Or,
    exp.Paren,
    exp.Sub,
    exp.Tuple,
    exp.Var,
)

#: Nodes whose value is a truth value, acceptable as the root of a row filter.
_BOOLEAN_ROOTS: tuple[type[exp.Expr], ...] = (
    exp.And,
    exp.Or,
    exp.Not,
    exp.EQ,
    exp.NEQ,
    exp.GT,
    exp.GTE,
    exp.LT,
    exp.LTE,
    exp.In,
    exp.Between,
    exp.Like,
    exp.ILike,
    exp.Is,
    exp.Boolean,
    exp.Column,
)

#: Grant expressions are written in Trino's SQL, production's dialect; the compilers render them for DuckDB too.
DIALECT = "trino"
_NAME_RE = re.compile(r"^[a-z_][a-z0-9_]*$")
_SHOWN = 60


class ExpressionRefused(ValueError):
    """A grant expression is not acceptable; ``token`` is the offending piece of SQL."""

    def __init__(self, token: str, reason: str) -> None:
        super().__init__(f"{reason}: {token}")
        self.token = token
        self.reason = reason


@dataclass(frozen=True)
class CheckedExpression:
    """A grant expression that passed the checks, and the columns it reads."""

    tree: exp.Expr
    columns: frozenset[str]


def allowed_function_names() -> str:
    return ", ".join(sorted(ALLOWED_FUNCTIONS.values()))


def check_row_filter(sql: str) -> CheckedExpression:
    """Parse and check a row filter; raise :class:`ExpressionRefused`."""
    checked = _check(sql)
    root = checked.tree.unnest()
    if not isinstance(root, _BOOLEAN_ROOTS):
        raise ExpressionRefused(_show(root), "a row filter must be a condition (true or false for each row)")
    return checked


def check_mask_expression(sql: str) -> CheckedExpression:
    """Parse and check a mask expression; raise :class:`ExpressionRefused`."""
    return _check(sql)


def parse_expression(sql: str) -> exp.Expr:
    """The tree of an expression that already passed its check, with column names normalised."""
    return _check(sql).tree


def _check(sql: str) -> CheckedExpression:
    _check_tokens(sql)
    try:
        statements = sqlglot.parse(sql, read=DIALECT)
    except (ParseError, TokenError) as error:
        raise ExpressionRefused(_show_text(sql), f"this is not valid SQL ({_first_line(error)})") from None
    if len(statements) != 1 or statements[0] is None:
        raise ExpressionRefused(";", "a grant expression must be one expression, without a statement separator")
    tree = statements[0]
    columns: set[str] = set()
    for node in tree.walk():
        _check_node(node)
        if isinstance(node, exp.Column):
            columns.add(_normalise_column(node))
    return CheckedExpression(tree, frozenset(columns))


def _check_tokens(sql: str) -> None:
    try:
        tokens = sqlglot.tokenize(sql, read=DIALECT)
    except TokenError as error:
        raise ExpressionRefused(_show_text(sql), f"this is not valid SQL ({_first_line(error)})") from None
    for token in tokens:
        if token.token_type == TokenType.SEMICOLON:
            raise ExpressionRefused(";", "a grant expression must be one expression, without a statement separator")
        if token.comments:
            raise ExpressionRefused(
                _show_text(token.comments[0]), "comments are not allowed in grant expressions; use a YAML comment"
            )


def _check_node(node: exp.Expr) -> None:
    if isinstance(node, exp.Subquery | exp.Select | exp.Exists | exp.Union | exp.Query):
        raise ExpressionRefused(_show(node), "a subquery is not allowed")
    if isinstance(node, exp.Table):
        raise ExpressionRefused(_show(node), "another table is not allowed")
    if isinstance(node, exp.Column) and (node.table or node.db or node.catalog):
        raise ExpressionRefused(
            _show(node), "a qualified column name can reach another table; write the bare column name"
        )
    if isinstance(node, exp.Star):
        raise ExpressionRefused("*", "* is not allowed; name the columns")
    if isinstance(node, exp.Placeholder | exp.Parameter | exp.SessionParameter):
        raise ExpressionRefused(_show(node), "parameters are not allowed")
    if isinstance(node, exp.In) and (node.args.get("query") or node.args.get("unnest") or node.args.get("field")):
        raise ExpressionRefused(_show(node), "a subquery is not allowed; IN may only list values")
    if type(node) in ALLOWED_FUNCTIONS or isinstance(node, _ALLOWED_NODES):
        return
    if isinstance(node, exp.Func):
        name = node.name if isinstance(node, exp.Anonymous) else node.sql(DIALECT).split("(")[0]
        raise ExpressionRefused(name.lower(), f"this function is not on the allow-list ({allowed_function_names()})")
    raise ExpressionRefused(_show(node), "this construct is not allowed in a grant expression")


def _normalise_column(column: exp.Column) -> str:
    identifier = column.this
    raw: str = identifier.name
    name = raw if identifier.args.get("quoted") else raw.lower()
    if not _NAME_RE.match(name):
        raise ExpressionRefused(_show(column), "column names are lowercase letters, digits and underscores")
    column.set("this", exp.to_identifier(name))
    return name


def _show(node: exp.Expr) -> str:
    return _show_text(node.sql(DIALECT))


def _show_text(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _SHOWN else text[: _SHOWN - 1] + "…"


def _first_line(error: Exception) -> str:
    return str(error).splitlines()[0] if str(error) else type(error).__name__
