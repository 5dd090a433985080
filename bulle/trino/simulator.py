"""The decisions of Trino's file-based system access control, from one rules file.

Vocabulary, as in Trino:

- an :class:`Identity` is a user with their groups and enabled roles;
- *catalog access* is the mode (``all``, ``read-only``, ``none``) of the first
  catalog rule matching the identity and catalog; ``all`` implies
  ``read-only``; no matching rule means no access;
- a *schema owner* has ``all`` on the catalog and the first matching schema
  rule says ``owner: true``;
- a *table permission* needs the catalog access the privilege requires
  (``read-only`` for ``SELECT``/``GRANT_SELECT``, ``all`` for the others) and
  the privilege in the first table rule matching identity, catalog, schema
  and table; tables of ``information_schema`` need only the catalog access;
- *visibility* (``SHOW``, the ``filter*`` checks) is generous: a catalog is
  visible with read-only access and any rule granting something inside it
  (schema ownership, a table or function privilege, a catalog session
  property), a schema with any such rule for it, a table with any privilege.

Every decision is first-match-wins within its list of rules; what an absent
section means is decided in :mod:`.rules`. The check functions that build on
these primitives, with Trino's denial messages, are in :mod:`.checks`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .patterns import Pattern, compile_pattern, substitute
from .rules import IdentityMatch, RoutineRule, Rules, TableRule

INFORMATION_SCHEMA = "information_schema"


@dataclass(frozen=True)
class Identity:
    user: str
    groups: frozenset[str] = frozenset()
    roles: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Principal:
    """A grantee or new owner: ``USER alice`` or ``ROLE admin``."""

    kind: str
    name: str

    def __str__(self) -> str:
        return f"{self.kind} {self.name}"


@dataclass(frozen=True)
class Decision:
    """The outcome of one check; ``message`` is Trino's denial message when denied."""

    allowed: bool
    message: str | None = None


ALLOW = Decision(True)


def deny(message: str) -> Decision:
    return Decision(False, f"Access Denied: {message}")


@dataclass(frozen=True)
class ViewExpression:
    """A row filter or column mask Trino would apply, evaluated in ``catalog.schema`` as ``identity``."""

    expression: str
    catalog: str
    schema: str
    identity: str | None


class AccessControl:
    """Decision primitives over one :class:`Rules`."""

    def __init__(self, rules: Rules) -> None:
        self.rules = rules

    # -- catalogs ------------------------------------------------------------

    def catalog_access(self, who: Identity, catalog: str) -> str:
        for rule in self.rules.catalogs:
            if rule.who.matches(who.user, who.roles, who.groups) and (
                rule.catalog is None or rule.catalog.matches(catalog)
            ):
                return rule.allow
        return "none"

    def can_access_catalog(self, who: Identity, catalog: str, required: str = "read-only") -> bool:
        mode = self.catalog_access(who, catalog)
        return mode == required or (mode == "all" and required == "read-only")

    def has_any_catalog_permission(self, who: Identity, catalog: str) -> bool:
        if not self.can_access_catalog(who, catalog):
            return False
        return any(self._grants_something_in(who, catalog, None, rule) for rule in self._visibility_rules())

    # -- schemas -------------------------------------------------------------

    def is_schema_owner(self, who: Identity, catalog: str, schema: str) -> bool:
        if not self.can_access_catalog(who, catalog, "all"):
            return False
        for rule in self.rules.schemas:
            if (
                (rule.catalog is None or rule.catalog.matches(catalog))
                and rule.who.matches(who.user, who.roles, who.groups)
                and (rule.schema is None or rule.schema.matches(schema))
            ):
                return rule.owner
        return False

    def has_any_schema_permission(self, who: Identity, catalog: str, schema: str) -> bool:
        if not self.can_access_catalog(who, catalog):
            return False
        return any(
            self._grants_something_in(who, catalog, schema, rule)
            for rule in self._visibility_rules()
            if not rule.catalog_only
        )

    # -- tables --------------------------------------------------------------

    def table_rule(self, who: Identity, catalog: str, schema: str, table: str) -> TableRule | None:
        """The first table rule matching, or None."""
        return next(
            (r for r in self.rules.tables if r.matches(who.user, who.roles, who.groups, catalog, schema, table)),
            None,
        )

    def has_table_privilege(self, who: Identity, catalog: str, schema: str, table: str, privilege: str) -> bool:
        required = "read-only" if privilege in ("SELECT", "GRANT_SELECT") else "all"
        if not self.can_access_catalog(who, catalog, required):
            return False
        if schema == INFORMATION_SCHEMA:
            return True
        rule = self.table_rule(who, catalog, schema, table)
        return rule is not None and privilege in rule.privileges

    def has_any_table_privilege(self, who: Identity, catalog: str, schema: str, table: str) -> bool:
        if not self.can_access_catalog(who, catalog):
            return False
        if schema == INFORMATION_SCHEMA:
            return True
        rule = self.table_rule(who, catalog, schema, table)
        return rule is not None and bool(rule.privileges)

    def can_select_columns(self, who: Identity, catalog: str, schema: str, table: str, columns: Iterable[str]) -> bool:
        if not self.can_access_catalog(who, catalog):
            return False
        if schema == INFORMATION_SCHEMA:
            return True
        rule = self.table_rule(who, catalog, schema, table)
        return rule is not None and _can_select(rule, columns)

    def filter_columns(self, who: Identity, catalog: str, schema: str, table: str, columns: Sequence[str]) -> list[str]:
        if not self.has_any_table_privilege(who, catalog, schema, table):
            return []
        if schema == INFORMATION_SCHEMA:
            return list(columns)
        rule = self.table_rule(who, catalog, schema, table)
        if rule is None or not rule.privileges:
            return []
        if rule.privileges - {"SELECT", "GRANT_SELECT"}:
            return list(columns)
        return [c for c in columns if c not in rule.restricted_columns]

    def row_filters(self, who: Identity, catalog: str, schema: str, table: str) -> list[ViewExpression]:
        if schema == INFORMATION_SCHEMA:
            return []
        rule = self.table_rule(who, catalog, schema, table)
        if rule is None or rule.filter is None:
            return []
        return [ViewExpression(rule.filter, catalog, schema, rule.filter_user)]

    def column_mask(self, who: Identity, catalog: str, schema: str, table: str, column: str) -> ViewExpression | None:
        if schema == INFORMATION_SCHEMA:
            return None
        rule = self.table_rule(who, catalog, schema, table)
        constraint = next((c for c in rule.columns if c.name == column), None) if rule else None
        if constraint is None or constraint.mask is None:
            return None
        return ViewExpression(constraint.mask, catalog, schema, constraint.mask_user)

    # -- functions and procedures -------------------------------------------

    def routine_rule(
        self, rules: Sequence[RoutineRule], who: Identity, catalog: str, schema: str, name: str
    ) -> RoutineRule | None:
        return next((r for r in rules if r.matches(who.user, who.roles, who.groups, catalog, schema, name)), None)

    def has_routine_privilege(
        self, rules: Sequence[RoutineRule], who: Identity, catalog: str, schema: str, name: str, privilege: str
    ) -> bool:
        """EXECUTE is implied by GRANT_EXECUTE, as in Trino."""
        required = "all" if privilege == "OWNERSHIP" else "read-only"
        if not self.can_access_catalog(who, catalog, required):
            return False
        rule = self.routine_rule(rules, who, catalog, schema, name)
        if rule is None:
            return False
        if privilege == "EXECUTE":
            return bool(rule.privileges & {"EXECUTE", "GRANT_EXECUTE"})
        return privilege in rule.privileges

    # -- sessions, queries, identities --------------------------------------

    def can_set_system_property(self, who: Identity, name: str) -> bool:
        for rule in self.rules.system_session_properties:
            if rule.who.matches(who.user, who.roles, who.groups) and (
                rule.property is None or rule.property.matches(name)
            ):
                return rule.allow
        return False

    def can_set_catalog_property(self, who: Identity, catalog: str, name: str) -> bool:
        if not self.can_access_catalog(who, catalog):
            return False
        for rule in self.rules.catalog_session_properties:
            if (
                (rule.catalog is None or rule.catalog.matches(catalog))
                and rule.who.matches(who.user, who.roles, who.groups)
                and (rule.property is None or rule.property.matches(name))
            ):
                return rule.allow
        return False

    def can_access_query(self, who: Identity, owner: str | None, access: str) -> bool:
        """``owner`` None is running a new query. Users may always view and kill their own queries."""
        if self.rules.queries is None or (owner == who.user and access in ("view", "kill")):
            return True
        for rule in self.rules.queries:
            if not rule.who.matches(who.user, who.roles, who.groups):
                continue
            if (owner is None and rule.query_owner is None) or (
                owner is not None and (rule.query_owner is None or rule.query_owner.matches(owner))
            ):
                return access in rule.allow
        return False

    def can_impersonate(self, who: Identity, new_user: str) -> bool:
        if self.rules.impersonation is None:
            return self.rules.principals is not None
        for rule in self.rules.impersonation:
            if not rule.original_user.matches(who.user):
                continue
            if rule.original_role is not None and not any(rule.original_role.matches(r) for r in who.roles):
                continue
            if compile_pattern(substitute(rule.original_user, who.user, rule.new_user)).matches(new_user):
                return rule.allow
        return False

    def can_set_user(self, principal: str | None, user: str) -> bool:
        if self.rules.principals is None:
            return True
        if principal is None:
            return False
        for rule in self.rules.principals:
            if not rule.principal.matches(principal):
                continue
            if rule.user is not None and rule.user.matches(user):
                return rule.allow
            if (
                rule.principal_to_user is not None
                and substitute(rule.principal, principal, rule.principal_to_user) == user
            ):
                return rule.allow
        return False

    def can_use_system_information(self, who: Identity, access: str) -> bool:
        for rule in self.rules.system_information or ():
            if (rule.user is None or rule.user.matches(who.user)) and (
                rule.role is None or any(rule.role.matches(r) for r in who.roles)
            ):
                return access in rule.allow
        return False

    def can_set_authorization(self, who: Identity, principal: Principal) -> bool:
        for rule in self.rules.authorization:
            if (
                (rule.original_user is None or rule.original_user.matches(who.user))
                and (rule.original_group is None or any(rule.original_group.matches(g) for g in who.groups))
                and (rule.original_role is None or any(rule.original_role.matches(r) for r in who.roles))
            ):
                target = rule.new_user if principal.kind == "USER" else rule.new_role
                if target is not None and target.matches(principal.name):
                    return rule.allow
        return False

    # -- visibility ----------------------------------------------------------

    def _visibility_rules(self) -> list[_Visible]:
        found: list[_Visible] = [_Visible(r.who, r.catalog, r.schema) for r in self.rules.schemas if r.owner]
        found += [_Visible(r.who, r.catalog, r.schema) for r in self.rules.tables if r.privileges]
        found += [_Visible(r.who, r.catalog, r.schema) for r in self.rules.functions if r.privileges]
        found += [_Visible(r.who, r.catalog, None, True) for r in self.rules.catalog_session_properties if r.allow]
        return found

    @staticmethod
    def _grants_something_in(who: Identity, catalog: str, schema: str | None, rule: _Visible) -> bool:
        return (
            rule.who.matches(who.user, who.roles, who.groups)
            and (rule.catalog is None or rule.catalog.matches(catalog))
            and (schema is None or rule.schema is None or rule.schema.matches(schema))
        )


@dataclass(frozen=True)
class _Visible:
    """A rule granting something inside a catalog (and schema): Trino's ``Any*PermissionsRule``.

    ``catalog_only`` rules (catalog session properties) make the catalog visible, not its schemas.
    """

    who: IdentityMatch
    catalog: Pattern | None
    schema: Pattern | None
    catalog_only: bool = False


def _can_select(rule: TableRule, columns: Iterable[str]) -> bool:
    return bool(rule.privileges & {"SELECT", "GRANT_SELECT"}) and not (rule.restricted_columns & set(columns))
