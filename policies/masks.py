"""Column masks of a grant: a builtin name or an SQL expression.

A mask replaces a column's values in the project's view:

============  ================================================================
``hash``      hex SHA-256 of the project id and the value, so equal values stay
              equal within the project and differ between projects. It hides
              the value from reading, not from guessing: a value taken from a
              small set (a birth year, a postcode) can be found by hashing
              every candidate. Use ``null`` or a coarser mask for those.
``null``      every value is NULL (the column stays, with its type)
``year``      the year of a date or timestamp, as an integer
``month``     the first day of the month of a date or timestamp, as a date
``truncate:N`` the first N characters of the value as text (1 ≤ N ≤ 1000)
============  ================================================================

Anything else is an SQL expression over the table's columns, checked by
:mod:`bulle.policies.expressions`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlglot import exp

from .expressions import CheckedExpression, ExpressionRefused, check_mask_expression

BUILTIN_MASKS = ("hash", "null", "year", "month", "truncate:N")
_TRUNCATE_RE = re.compile(r"^truncate:(\d+)$")
MAX_TRUNCATE = 1000


@dataclass(frozen=True)
class BuiltinMask:
    """``kind`` is ``hash``, ``null``, ``year``, ``month`` or ``truncate``; ``length`` for truncate."""

    kind: str
    length: int = 0


@dataclass(frozen=True)
class ExpressionMask:
    expression: CheckedExpression


Mask = BuiltinMask | ExpressionMask


def parse_mask(spec: str) -> Mask:
    """The mask written ``spec``; raise :class:`ExpressionRefused` when it is not acceptable."""
    text = spec.strip()
    if text in ("hash", "null", "year", "month"):
        return BuiltinMask(text)
    if text.startswith("truncate"):
        match = _TRUNCATE_RE.match(text)
        if not match or not 1 <= int(match.group(1)) <= MAX_TRUNCATE:
            raise ExpressionRefused(text, f"truncate needs a length from 1 to {MAX_TRUNCATE}, e.g. truncate:3")
        return BuiltinMask("truncate", int(match.group(1)))
    return ExpressionMask(check_mask_expression(text))


def mask_columns(mask: Mask, column: str) -> frozenset[str]:
    """The columns whose values the masked ``column`` is computed from."""
    if isinstance(mask, ExpressionMask):
        return mask.expression.columns
    return frozenset() if mask.kind == "null" else frozenset({column})


def builtin_mask_sql(mask: BuiltinMask, value: exp.Expr, sql_type: exp.DataType, salt: str) -> exp.Expr:
    """The expression computing ``mask`` of ``value`` (of type ``sql_type``); ``salt`` prefixes hashed values."""
    if mask.kind == "null":
        return exp.cast(exp.null(), sql_type.copy())
    if mask.kind == "year":
        return exp.Year(this=value)
    if mask.kind == "month":
        month = exp.DateTrunc(this=value, unit=exp.Literal.string("MONTH"))  # type: ignore[no-untyped-call]
        return exp.cast(month, "date")
    if mask.kind == "truncate":
        text = exp.cast(value, "varchar")
        return exp.Substring(this=text, start=exp.Literal.number(1), length=exp.Literal.number(mask.length))
    salted = exp.DPipe(this=exp.Literal.string(f"{salt}:"), expression=exp.cast(value, "varchar"))
    encoded = exp.Encode(this=salted, charset=exp.Literal.string("utf-8"))
    return exp.SHA2(this=encoded, length=exp.Literal.number(256))
