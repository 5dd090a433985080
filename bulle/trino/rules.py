"""A Trino system rules file, parsed strictly, with Trino's defaults.

Sections and what their *absence* means (Trino's documentation and
``FileBasedSystemAccessControl``); an empty list means "no rule", so every
check of that kind is denied:

==============================  =============================================
section                         when absent
==============================  =============================================
``catalogs``                    every catalog, access ``all``
``schemas``                     everyone owns every schema
``tables``                      every privilege on every table
``system_session_properties``   any property may be set
``catalog_session_properties``  any property may be set
``functions``                   only ``system.builtin`` functions
``procedures``                  only ``system.builtin`` procedures
``queries``                     anyone may execute, view and kill any query
``impersonation``               denied (allowed when ``principals`` is present)
``principals``                  no check of principal against user
``system_information``          denied
``authorization``               denied
==============================  =============================================

When ``catalogs`` is present Trino appends a rule giving every user ``all``
on the ``system`` catalog (a rule earlier in the file can still deny it).
Unknown sections and unknown keys are errors, as in Trino (Jackson refuses
them), so a misspelt section can never silently fall back to "allow all".
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .patterns import Pattern, compile_pattern

CATALOG_ACCESS = {"all": "all", "read-only": "read-only", "none": "none"}
TABLE_PRIVILEGES = ("SELECT", "INSERT", "DELETE", "UPDATE", "OWNERSHIP", "GRANT_SELECT")
FUNCTION_PRIVILEGES = ("EXECUTE", "GRANT_EXECUTE", "OWNERSHIP")
PROCEDURE_PRIVILEGES = ("EXECUTE", "GRANT_EXECUTE")
QUERY_ACCESS = ("execute", "view", "kill")
SYSTEM_INFORMATION_ACCESS = ("read", "write")


class RulesInvalid(ValueError):
    """The rules file is not one Trino would load; the message says where."""


@dataclass(frozen=True)
class IdentityMatch:
    """``user``, ``role``, ``group``: the user must match; some enabled role, some group must match."""

    user: Pattern | None = None
    role: Pattern | None = None
    group: Pattern | None = None

    def matches(self, user: str, roles: frozenset[str], groups: frozenset[str]) -> bool:
        return (
            (self.user is None or self.user.matches(user))
            and (self.role is None or any(self.role.matches(r) for r in roles))
            and (self.group is None or any(self.group.matches(g) for g in groups))
        )


def _matches(pattern: Pattern | None, value: str) -> bool:
    return pattern is None or pattern.matches(value)


@dataclass(frozen=True)
class CatalogRule:
    who: IdentityMatch
    catalog: Pattern | None
    allow: str


@dataclass(frozen=True)
class SchemaRule:
    who: IdentityMatch
    catalog: Pattern | None
    schema: Pattern | None
    owner: bool


@dataclass(frozen=True)
class ColumnConstraint:
    name: str
    allow: bool = True
    mask: str | None = None
    mask_user: str | None = None


@dataclass(frozen=True)
class TableRule:
    who: IdentityMatch
    catalog: Pattern | None
    schema: Pattern | None
    table: Pattern | None
    privileges: frozenset[str]
    columns: tuple[ColumnConstraint, ...] = ()
    filter: str | None = None
    filter_user: str | None = None

    def matches(
        self, user: str, roles: frozenset[str], groups: frozenset[str], catalog: str, schema: str, table: str
    ) -> bool:
        return (
            _matches(self.catalog, catalog)
            and self.who.matches(user, roles, groups)
            and _matches(self.schema, schema)
            and _matches(self.table, table)
        )

    @property
    def restricted_columns(self) -> frozenset[str]:
        return frozenset(c.name for c in self.columns if not c.allow)


@dataclass(frozen=True)
class SessionPropertyRule:
    who: IdentityMatch
    catalog: Pattern | None
    property: Pattern | None
    allow: bool


@dataclass(frozen=True)
class RoutineRule:
    """A ``functions`` or ``procedures`` rule; ``name`` is the ``function`` or ``procedure`` pattern."""

    who: IdentityMatch
    catalog: Pattern | None
    schema: Pattern | None
    name: Pattern | None
    privileges: frozenset[str]

    def matches(
        self, user: str, roles: frozenset[str], groups: frozenset[str], catalog: str, schema: str, name: str
    ) -> bool:
        return (
            _matches(self.catalog, catalog)
            and self.who.matches(user, roles, groups)
            and _matches(self.schema, schema)
            and _matches(self.name, name)
        )


@dataclass(frozen=True)
class QueryRule:
    who: IdentityMatch
    query_owner: Pattern | None
    allow: frozenset[str]


@dataclass(frozen=True)
class ImpersonationRule:
    original_user: Pattern
    original_role: Pattern | None
    new_user: str
    allow: bool


@dataclass(frozen=True)
class PrincipalRule:
    principal: Pattern
    user: Pattern | None
    principal_to_user: str | None
    allow: bool


@dataclass(frozen=True)
class SystemInformationRule:
    user: Pattern | None
    role: Pattern | None
    allow: frozenset[str]


@dataclass(frozen=True)
class AuthorizationRule:
    original_user: Pattern | None
    original_group: Pattern | None
    original_role: Pattern | None
    new_user: Pattern | None
    new_role: Pattern | None
    allow: bool


_ANY = IdentityMatch()
_SYSTEM = compile_pattern("system")
_BUILTIN = compile_pattern("builtin")


@dataclass(frozen=True)
class Rules:
    """Every rule list Trino would use, absent sections replaced by Trino's defaults."""

    catalogs: tuple[CatalogRule, ...] = (CatalogRule(_ANY, None, "all"),)
    schemas: tuple[SchemaRule, ...] = (SchemaRule(_ANY, None, None, True),)
    tables: tuple[TableRule, ...] = (TableRule(_ANY, None, None, None, frozenset(TABLE_PRIVILEGES)),)
    system_session_properties: tuple[SessionPropertyRule, ...] = (SessionPropertyRule(_ANY, None, None, True),)
    catalog_session_properties: tuple[SessionPropertyRule, ...] = (SessionPropertyRule(_ANY, None, None, True),)
    functions: tuple[RoutineRule, ...] = (
        RoutineRule(_ANY, _SYSTEM, _BUILTIN, None, frozenset({"EXECUTE", "GRANT_EXECUTE"})),
    )
    procedures: tuple[RoutineRule, ...] = (
        RoutineRule(_ANY, _SYSTEM, _BUILTIN, None, frozenset({"EXECUTE", "GRANT_EXECUTE"})),
    )
    queries: tuple[QueryRule, ...] | None = None
    impersonation: tuple[ImpersonationRule, ...] | None = None
    principals: tuple[PrincipalRule, ...] | None = None
    system_information: tuple[SystemInformationRule, ...] | None = None
    authorization: tuple[AuthorizationRule, ...] = ()
    sections: frozenset[str] = field(default_factory=frozenset)


def load_rules(path: str | Path) -> Rules:
    """Read and parse a rules file; raise :class:`RulesInvalid`."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise RulesInvalid(f"{path}: cannot be read: {error}") from None
    except json.JSONDecodeError as error:
        raise RulesInvalid(f"{path}: not JSON: {error}") from None
    return parse_rules(data)


def parse_rules(data: object) -> Rules:
    """The :class:`Rules` of a decoded rules file; raise :class:`RulesInvalid` naming the section and rule."""
    if not isinstance(data, dict):
        raise RulesInvalid("a rules file is a JSON object of sections")
    unknown = sorted(set(data) - set(_SECTIONS))
    if unknown:
        raise RulesInvalid(f"unknown section {unknown[0]!r}; Trino knows: {', '.join(_SECTIONS)}")
    parsed: dict[str, Any] = {}
    for section, value in data.items():
        if not isinstance(value, list):
            raise RulesInvalid(f"{section}: a section is a list of rules")
        parsed[section] = tuple(_parse_rule(section, index, rule) for index, rule in enumerate(value))
    if "catalogs" in parsed:
        # Trino's own addition, after the file's rules: everyone may use the system catalog.
        parsed["catalogs"] = (
            *parsed["catalogs"],
            CatalogRule(IdentityMatch(user=compile_pattern(".*")), _SYSTEM, "all"),
        )
    return Rules(**parsed, sections=frozenset(data))


def _parse_rule(section: str, index: int, rule: object) -> Any:
    where = f"{section}[{index}]"
    if not isinstance(rule, dict):
        raise RulesInvalid(f"{where}: a rule is a JSON object")
    fields, build = _SECTIONS[section]
    unknown = sorted(set(rule) - set(fields))
    if unknown:
        raise RulesInvalid(f"{where}: unknown key {unknown[0]!r}; this section knows: {', '.join(fields)}")
    reader = _Reader(where, rule)
    try:
        return build(reader)
    except ValueError as error:
        raise RulesInvalid(f"{where}: {error}") from None


class _Reader:
    def __init__(self, where: str, rule: Mapping[str, Any]) -> None:
        self.where = where
        self.rule = rule

    def pattern(self, *keys: str) -> Pattern | None:
        for key in keys:
            if key in self.rule:
                return compile_pattern(self.text(key))
        return None

    def text(self, key: str) -> str:
        value = self.rule[key]
        if not isinstance(value, str):
            raise ValueError(f"{key} must be a string")
        return value

    def boolean(self, key: str, default: bool | None = None) -> bool:
        if key not in self.rule:
            if default is None:
                raise ValueError(f"{key} is required")
            return default
        value = self.rule[key]
        if not isinstance(value, bool):
            raise ValueError(f"{key} must be true or false")
        return value

    def choices(self, key: str, allowed: Sequence[str], upper: bool) -> frozenset[str]:
        if key not in self.rule:
            raise ValueError(f"{key} is required")
        values = self.rule[key]
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise ValueError(f"{key} must be a list of: {', '.join(allowed)}")
        normalised = [v.upper() if upper else v.lower() for v in values]
        wrong = [v for v, n in zip(values, normalised, strict=True) if n not in allowed]
        if wrong:
            raise ValueError(f"{wrong[0]!r} is not one of: {', '.join(allowed)}")
        return frozenset(normalised)

    def identity(self) -> IdentityMatch:
        return IdentityMatch(self.pattern("user"), self.pattern("role"), self.pattern("group"))


def _catalog_rule(r: _Reader) -> CatalogRule:
    if "allow" not in r.rule:
        raise ValueError("allow is required")
    allow = r.rule["allow"]
    if isinstance(allow, bool):
        mode = "all" if allow else "none"
    elif isinstance(allow, str) and allow.lower() in CATALOG_ACCESS:
        mode = CATALOG_ACCESS[allow.lower()]
    else:
        raise ValueError(f"allow must be all, read-only, none, true or false, not {allow!r}")
    return CatalogRule(r.identity(), r.pattern("catalog"), mode)


def _schema_rule(r: _Reader) -> SchemaRule:
    return SchemaRule(r.identity(), r.pattern("catalog"), r.pattern("schema"), r.boolean("owner", default=False))


def _environment_user(r: _Reader, key: str) -> str | None:
    environment = r.rule.get(key)
    if environment is None:
        return None
    if not isinstance(environment, dict) or set(environment) - {"user"}:
        raise ValueError(f"{key} may only hold user")
    user = environment.get("user")
    if user is not None and not isinstance(user, str):
        raise ValueError(f"{key}.user must be a string")
    return user


def _column_constraint(where: str, value: object) -> ColumnConstraint:
    if not isinstance(value, dict) or "name" not in value:
        raise ValueError("each column constraint is an object with a name")
    unknown = sorted(set(value) - {"name", "allow", "mask", "mask_environment"})
    if unknown:
        raise ValueError(f"unknown key {unknown[0]!r} in a column constraint")
    column = _Reader(where, value)
    mask = column.text("mask") if "mask" in value else None
    return ColumnConstraint(
        column.text("name"), column.boolean("allow", True), mask, _environment_user(column, "mask_environment")
    )


def _table_rule(r: _Reader) -> TableRule:
    raw_columns = r.rule.get("columns", [])
    if not isinstance(raw_columns, list):
        raise ValueError("columns must be a list of column constraints")
    columns = tuple(_column_constraint(r.where, c) for c in raw_columns)
    names = [c.name for c in columns]
    if len(set(names)) != len(names):
        raise ValueError("a column is constrained twice")
    return TableRule(
        r.identity(),
        r.pattern("catalog"),
        r.pattern("schema"),
        r.pattern("table"),
        r.choices("privileges", TABLE_PRIVILEGES, upper=True),
        columns,
        r.text("filter") if "filter" in r.rule else None,
        _environment_user(r, "filter_environment"),
    )


def _session_rule(r: _Reader) -> SessionPropertyRule:
    return SessionPropertyRule(r.identity(), r.pattern("catalog"), r.pattern("property"), r.boolean("allow"))


def _function_rule(r: _Reader) -> RoutineRule:
    privileges = r.choices("privileges", FUNCTION_PRIVILEGES, upper=True)
    return RoutineRule(r.identity(), r.pattern("catalog"), r.pattern("schema"), r.pattern("function"), privileges)


def _procedure_rule(r: _Reader) -> RoutineRule:
    privileges = r.choices("privileges", PROCEDURE_PRIVILEGES, upper=True)
    return RoutineRule(r.identity(), r.pattern("catalog"), r.pattern("schema"), r.pattern("procedure"), privileges)


def _query_rule(r: _Reader) -> QueryRule:
    allow = r.choices("allow", QUERY_ACCESS, upper=False)
    owner = r.pattern("queryOwner")
    if owner is not None and "execute" in allow:
        raise ValueError("a rule with queryOwner cannot allow execute")
    return QueryRule(r.identity(), owner, allow)


def _impersonation_rule(r: _Reader) -> ImpersonationRule:
    if "new_user" not in r.rule and "newUser" not in r.rule:
        raise ValueError("new_user is required")
    original = r.pattern("original_user", "originalUser") or compile_pattern(".*")
    new_user = r.text("new_user" if "new_user" in r.rule else "newUser")
    compile_pattern(new_user)
    return ImpersonationRule(original, r.pattern("original_role", "originalRole"), new_user, r.boolean("allow", True))


def _principal_rule(r: _Reader) -> PrincipalRule:
    if "principal" not in r.rule:
        raise ValueError("principal is required")
    if "user" not in r.rule and "principal_to_user" not in r.rule:
        raise ValueError("a principal rule needs user or principal_to_user")
    to_user = r.text("principal_to_user") if "principal_to_user" in r.rule else None
    principal = r.pattern("principal")
    assert principal is not None  # noqa: S101 - checked above
    return PrincipalRule(principal, r.pattern("user"), to_user, r.boolean("allow"))


def _system_information_rule(r: _Reader) -> SystemInformationRule:
    return SystemInformationRule(
        r.pattern("user"), r.pattern("role"), r.choices("allow", SYSTEM_INFORMATION_ACCESS, False)
    )


def _authorization_rule(r: _Reader) -> AuthorizationRule:
    new_user = r.pattern("new_user", "newUser")
    new_role = r.pattern("new_role", "newRole")
    if new_user is None and new_role is None:
        raise ValueError("an authorization rule needs new_user or new_role")
    return AuthorizationRule(
        r.pattern("original_user", "originalUser"),
        r.pattern("original_group", "originalGroup"),
        r.pattern("original_role", "originalRole"),
        new_user,
        new_role,
        r.boolean("allow", True),
    )


_IDENTITY = ("user", "role", "group")
_SECTIONS: dict[str, tuple[tuple[str, ...], Callable[[_Reader], Any]]] = {
    "catalogs": ((*_IDENTITY, "catalog", "allow"), _catalog_rule),
    "schemas": ((*_IDENTITY, "catalog", "schema", "owner"), _schema_rule),
    "tables": (
        (*_IDENTITY, "catalog", "schema", "table", "privileges", "columns", "filter", "filter_environment"),
        _table_rule,
    ),
    "system_session_properties": ((*_IDENTITY, "property", "allow"), _session_rule),
    "catalog_session_properties": ((*_IDENTITY, "catalog", "property", "allow"), _session_rule),
    "functions": ((*_IDENTITY, "catalog", "schema", "function", "privileges"), _function_rule),
    "procedures": ((*_IDENTITY, "catalog", "schema", "procedure", "privileges"), _procedure_rule),
    "queries": ((*_IDENTITY, "queryOwner", "allow"), _query_rule),
    "impersonation": (
        ("original_user", "originalUser", "original_role", "originalRole", "new_user", "newUser", "allow"),
        _impersonation_rule,
    ),
    "principals": (("principal", "user", "principal_to_user", "allow"), _principal_rule),
    "system_information": (("user", "role", "allow"), _system_information_rule),
    "authorization": (
        (
            "original_user",
            "originalUser",
            "original_group",
            "originalGroup",
            "original_role",
            "originalRole",
            "new_user",
            "newUser",
            "new_role",
            "newRole",
            "allow",
        ),
        _authorization_rule,
    ),
}
