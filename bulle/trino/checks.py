"""Every check a Trino rules file decides, by name, with Trino's denial messages.

A check name is Trino's ``SystemAccessControl`` method name without its
``checkCan`` (or ``can``) prefix, in lowerCamelCase: ``selectFromColumns``,
``dropTable``, ``setCatalogSessionProperty``. :data:`CHECKS` maps each to the
arguments it needs and the function deciding it. Checks whose answer Trino's
file-based control fixes regardless of the rules (roles: always denied or
always allowed; table procedures: always allowed) are not listed.

Kinds of answers:

- ``decision``: a :class:`Decision` (allow, or deny with the message);
- ``filter``: the kept candidates, in the order given;
- ``mask``: a :class:`ViewExpression` or None (``getColumnMask``);
- ``filters``: a list of :class:`ViewExpression` (``getRowFilters``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .simulator import ALLOW, AccessControl, Decision, Identity, Principal, deny


@dataclass(frozen=True)
class CheckArgs:
    """The objects a check is about; which ones a check needs is in :data:`CHECKS`."""

    catalog: str = ""
    schema: str = ""
    table: str = ""
    columns: tuple[str, ...] = ()
    column: str = ""
    session_property: str = ""
    new_schema: str = ""
    new_table: str = ""
    privilege: str = ""
    grantee: Principal | None = None
    catalogs: tuple[str, ...] = ()
    schemas: tuple[str, ...] = ()
    tables: tuple[tuple[str, str], ...] = ()
    new_user: str = ""
    query_owner: str = ""
    query_owners: tuple[str, ...] = ()
    principal: str | None = None
    function: str = ""
    functions: tuple[tuple[str, str], ...] = ()
    procedure: str = ""

    @property
    def schema_name(self) -> str:
        return f"{self.catalog}.{self.schema}"

    @property
    def table_name(self) -> str:
        return f"{self.catalog}.{self.schema}.{self.table}"

    @property
    def new_table_name(self) -> str:
        return f"{self.catalog}.{self.new_schema or self.schema}.{self.new_table}"


Run = Callable[[AccessControl, Identity, CheckArgs], Any]


@dataclass(frozen=True)
class Check:
    needs: tuple[str, ...]
    run: Run
    kind: str = "decision"
    optional: tuple[str, ...] = field(default=())


def _decide(allowed: bool, message: str) -> Decision:
    return ALLOW if allowed else deny(message)


def _table(privilege: str, message: str) -> Check:
    """A check needing ``privilege`` on the table; ``message`` formats with ``{table}``."""

    def run(ac: AccessControl, who: Identity, a: CheckArgs) -> Decision:
        allowed = ac.has_table_privilege(who, a.catalog, a.schema, a.table, privilege)
        return _decide(allowed, message.format(table=a.table_name))

    return Check(("catalog", "schema", "table"), run)


def _rename(message: str) -> Check:
    """Ownership of the old and of the new table (or view)."""

    def run(ac: AccessControl, who: Identity, a: CheckArgs) -> Decision:
        new_schema = a.new_schema or a.schema
        allowed = ac.has_table_privilege(who, a.catalog, a.schema, a.table, "OWNERSHIP") and ac.has_table_privilege(
            who, a.catalog, new_schema, a.new_table, "OWNERSHIP"
        )
        return _decide(allowed, message.format(table=a.table_name, new=a.new_table_name))

    return Check(("catalog", "schema", "table", "new_table"), run, optional=("new_schema",))


def _table_authorization(kind: str) -> Check:
    def run(ac: AccessControl, who: Identity, a: CheckArgs) -> Decision:
        assert a.grantee is not None  # noqa: S101 - "grantee" is in needs
        allowed = ac.has_table_privilege(who, a.catalog, a.schema, a.table, "OWNERSHIP") and ac.can_set_authorization(
            who, a.grantee
        )
        return _decide(allowed, f"Cannot set authorization for {kind} {a.table_name} to {a.grantee}")

    return Check(("catalog", "schema", "table", "grantee"), run)


def _schema_owner(message: str) -> Check:
    def run(ac: AccessControl, who: Identity, a: CheckArgs) -> Decision:
        return _decide(ac.is_schema_owner(who, a.catalog, a.schema), message.format(schema=a.schema_name))

    return Check(("catalog", "schema"), run)


def _schema_privilege(verb: str) -> Check:
    def run(ac: AccessControl, who: Identity, a: CheckArgs) -> Decision:
        allowed = ac.can_access_catalog(who, a.catalog, "all") and ac.is_schema_owner(who, a.catalog, a.schema)
        return _decide(allowed, f"Cannot {verb} privilege {a.privilege} on schema {a.schema_name}")

    return Check(("catalog", "schema", "privilege", "grantee"), run)


def _table_privilege(verb: str) -> Check:
    def run(ac: AccessControl, who: Identity, a: CheckArgs) -> Decision:
        allowed = ac.has_table_privilege(who, a.catalog, a.schema, a.table, "OWNERSHIP")
        return _decide(allowed, f"Cannot {verb} privilege {a.privilege} on table {a.table_name}")

    return Check(("catalog", "schema", "table", "privilege", "grantee"), run)


def _select(ac: AccessControl, who: Identity, a: CheckArgs) -> Decision:
    allowed = ac.can_select_columns(who, a.catalog, a.schema, a.table, a.columns)
    return _decide(allowed, f"Cannot select from table {a.table_name}")


def _create_view_with_select(ac: AccessControl, who: Identity, a: CheckArgs) -> Decision:
    if not ac.can_access_catalog(who, a.catalog, "all"):
        return deny(f"Cannot select from table {a.table_name}")
    if a.schema == "information_schema":
        return ALLOW
    rule = ac.table_rule(who, a.catalog, a.schema, a.table)
    if rule is None or not ac.can_select_columns(who, a.catalog, a.schema, a.table, a.columns):
        return deny(f"Cannot select from table {a.table_name}")
    if "GRANT_SELECT" not in rule.privileges:
        return deny(f"View owner '{who.user}' cannot create view that selects from {a.table_name}")
    return ALLOW


def _update_columns(ac: AccessControl, who: Identity, a: CheckArgs) -> Decision:
    allowed = ac.has_table_privilege(who, a.catalog, a.schema, a.table, "UPDATE")
    return _decide(allowed, f"Cannot update columns [{', '.join(a.columns)}] in table {a.table_name}")


def _show_columns(ac: AccessControl, who: Identity, a: CheckArgs) -> Decision:
    allowed = ac.has_any_table_privilege(who, a.catalog, a.schema, a.table)
    return _decide(allowed, f"Cannot show columns of table {a.table_name}")


def _rename_schema(ac: AccessControl, who: Identity, a: CheckArgs) -> Decision:
    allowed = ac.is_schema_owner(who, a.catalog, a.schema) and ac.is_schema_owner(who, a.catalog, a.new_schema)
    return _decide(allowed, f"Cannot rename schema from {a.schema_name} to {a.new_schema}")


def _schema_authorization(ac: AccessControl, who: Identity, a: CheckArgs) -> Decision:
    assert a.grantee is not None  # noqa: S101 - "grantee" is in needs
    allowed = ac.is_schema_owner(who, a.catalog, a.schema) and ac.can_set_authorization(who, a.grantee)
    return _decide(allowed, f"Cannot set authorization for schema {a.schema_name} to {a.grantee}")


def _function(privilege: str, message: str) -> Check:
    def run(ac: AccessControl, who: Identity, a: CheckArgs) -> Decision:
        name = f"{a.catalog}.{a.schema}.{a.function}"
        # Documented: functions in system.builtin are always available; no rule can take them away.
        builtin = (a.catalog, a.schema) == ("system", "builtin") and privilege != "OWNERSHIP"
        allowed = builtin or ac.has_routine_privilege(
            ac.rules.functions, who, a.catalog, a.schema, a.function, privilege
        )
        return _decide(allowed, message.format(function=name, user=who.user))

    return Check(("catalog", "schema", "function"), run)


def _procedure(ac: AccessControl, who: Identity, a: CheckArgs) -> Decision:
    allowed = ac.has_routine_privilege(ac.rules.procedures, who, a.catalog, a.schema, a.procedure, "EXECUTE")
    return _decide(allowed, f"Cannot execute procedure {a.catalog}.{a.schema}.{a.procedure}")


def _query(access: str, message: str, needs_owner: bool) -> Check:
    def run(ac: AccessControl, who: Identity, a: CheckArgs) -> Decision:
        return _decide(ac.can_access_query(who, a.query_owner if needs_owner else None, access), message)

    return Check(("query_owner",) if needs_owner else (), run)


def _filter_tables(ac: AccessControl, who: Identity, a: CheckArgs) -> list[str]:
    return [
        f"{schema}.{table}"
        for schema, table in a.tables
        if ac.is_schema_owner(who, a.catalog, schema) or ac.has_any_table_privilege(who, a.catalog, schema, table)
    ]


def _filter_functions(ac: AccessControl, who: Identity, a: CheckArgs) -> list[str]:
    return [
        f"{schema}.{name}"
        for schema, name in a.functions
        if ac.is_schema_owner(who, a.catalog, schema)
        or ac.has_routine_privilege(ac.rules.functions, who, a.catalog, schema, name, "EXECUTE")
    ]


CHECKS: dict[str, Check] = {
    # identities and queries
    "impersonateUser": Check(
        ("new_user",),
        lambda ac, who, a: _decide(
            ac.can_impersonate(who, a.new_user), f"User {who.user} cannot impersonate user {a.new_user}"
        ),
    ),
    "setUser": Check(
        (),
        lambda ac, who, a: _decide(
            ac.can_set_user(a.principal, who.user), f"Principal {a.principal} cannot become user {who.user}"
        ),
        optional=("principal",),
    ),
    "executeQuery": _query("execute", "Cannot execute query", needs_owner=False),
    "viewQueryOwnedBy": _query("view", "Cannot view query", needs_owner=True),
    "killQueryOwnedBy": _query("kill", "Cannot kill query", needs_owner=True),
    "filterViewQueryOwnedBy": Check(
        ("query_owners",),
        lambda ac, who, a: [o for o in a.query_owners if ac.can_access_query(who, o, "view")],
        kind="filter",
    ),
    "readSystemInformation": Check(
        (), lambda ac, who, a: _decide(ac.can_use_system_information(who, "read"), "Cannot read system information")
    ),
    "writeSystemInformation": Check(
        (), lambda ac, who, a: _decide(ac.can_use_system_information(who, "write"), "Cannot write system information")
    ),
    # session properties
    "setSystemSessionProperty": Check(
        ("session_property",),
        lambda ac, who, a: _decide(
            ac.can_set_system_property(who, a.session_property),
            f"Cannot set system session property {a.session_property}",
        ),
    ),
    "setCatalogSessionProperty": Check(
        ("catalog", "session_property"),
        lambda ac, who, a: _decide(
            ac.can_set_catalog_property(who, a.catalog, a.session_property),
            f"Cannot set catalog session property {a.session_property}",
        ),
    ),
    # catalogs
    "accessCatalog": Check(
        ("catalog",),
        lambda ac, who, a: _decide(ac.can_access_catalog(who, a.catalog), f"Cannot access catalog {a.catalog}"),
    ),
    "filterCatalogs": Check(
        ("catalogs",),
        lambda ac, who, a: [c for c in a.catalogs if ac.has_any_catalog_permission(who, c)],
        kind="filter",
    ),
    # schemas
    "showSchemas": Check(
        ("catalog",),
        lambda ac, who, a: _decide(ac.has_any_catalog_permission(who, a.catalog), "Cannot show schemas"),
    ),
    "filterSchemas": Check(
        ("catalog", "schemas"),
        lambda ac, who, a: [s for s in a.schemas if ac.has_any_schema_permission(who, a.catalog, s)],
        kind="filter",
    ),
    "createSchema": _schema_owner("Cannot create schema {schema}"),
    "dropSchema": _schema_owner("Cannot drop schema {schema}"),
    "showCreateSchema": _schema_owner("Cannot show create schema for {schema}"),
    "renameSchema": Check(("catalog", "schema", "new_schema"), _rename_schema),
    "setSchemaAuthorization": Check(("catalog", "schema", "grantee"), _schema_authorization),
    "grantSchemaPrivilege": _schema_privilege("grant"),
    "denySchemaPrivilege": _schema_privilege("deny"),
    "revokeSchemaPrivilege": _schema_privilege("revoke"),
    "showTables": Check(
        ("catalog", "schema"),
        lambda ac, who, a: _decide(
            ac.has_any_schema_permission(who, a.catalog, a.schema), f"Cannot show tables of schema {a.schema_name}"
        ),
    ),
    "showFunctions": Check(
        ("catalog", "schema"),
        lambda ac, who, a: _decide(
            ac.has_any_schema_permission(who, a.catalog, a.schema), f"Cannot show functions of schema {a.schema_name}"
        ),
    ),
    # tables and views
    "filterTables": Check(("catalog", "tables"), _filter_tables, kind="filter"),
    "showColumns": Check(("catalog", "schema", "table"), _show_columns),
    "filterColumns": Check(
        ("catalog", "schema", "table", "columns"),
        lambda ac, who, a: ac.filter_columns(who, a.catalog, a.schema, a.table, a.columns),
        kind="filter",
    ),
    "selectFromColumns": Check(("catalog", "schema", "table"), _select, optional=("columns",)),
    "createViewWithSelectFromColumns": Check(
        ("catalog", "schema", "table"), _create_view_with_select, optional=("columns",)
    ),
    "insertIntoTable": _table("INSERT", "Cannot insert into table {table}"),
    "deleteFromTable": _table("DELETE", "Cannot delete from table {table}"),
    "truncateTable": _table("DELETE", "Cannot truncate table {table}"),
    "updateTableColumns": Check(("catalog", "schema", "table"), _update_columns, optional=("columns",)),
    "createTable": _table("OWNERSHIP", "Cannot create table {table}"),
    "dropTable": _table("OWNERSHIP", "Cannot drop table {table}"),
    "showCreateTable": _table("OWNERSHIP", "Cannot show create table for {table}"),
    "setTableProperties": _table("OWNERSHIP", "Cannot set table properties to {table}"),
    "setTableComment": _table("OWNERSHIP", "Cannot comment table to {table}"),
    "setViewComment": _table("OWNERSHIP", "Cannot comment view to {table}"),
    "setColumnComment": _table("OWNERSHIP", "Cannot comment column to {table}"),
    "addColumn": _table("OWNERSHIP", "Cannot add a column to table {table}"),
    "dropColumn": _table("OWNERSHIP", "Cannot drop a column from table {table}"),
    "renameColumn": _table("OWNERSHIP", "Cannot rename a column in table {table}"),
    "alterColumn": _table("OWNERSHIP", "Cannot alter a column for table {table}"),
    "renameTable": _rename("Cannot rename table from {table} to {new}"),
    "setTableAuthorization": _table_authorization("table"),
    "createView": _table("OWNERSHIP", "Cannot create view {table}"),
    "dropView": _table("OWNERSHIP", "Cannot drop view {table}"),
    "renameView": _rename("Cannot rename view from {table} to {new}"),
    "setViewAuthorization": _table_authorization("view"),
    "createMaterializedView": _table("OWNERSHIP", "Cannot create materialized view {table}"),
    "dropMaterializedView": _table("OWNERSHIP", "Cannot drop materialized view {table}"),
    "refreshMaterializedView": _table("UPDATE", "Cannot refresh materialized view {table}"),
    "renameMaterializedView": _rename("Cannot rename materialized view from {table} to {new}"),
    "setMaterializedViewProperties": _table("OWNERSHIP", "Cannot set properties of materialized view {table}"),
    "grantTablePrivilege": _table_privilege("grant"),
    "denyTablePrivilege": _table_privilege("deny"),
    "revokeTablePrivilege": _table_privilege("revoke"),
    "getRowFilters": Check(
        ("catalog", "schema", "table"),
        lambda ac, who, a: ac.row_filters(who, a.catalog, a.schema, a.table),
        kind="filters",
    ),
    "getColumnMask": Check(
        ("catalog", "schema", "table", "column"),
        lambda ac, who, a: ac.column_mask(who, a.catalog, a.schema, a.table, a.column),
        kind="mask",
    ),
    # functions and procedures
    "executeFunction": _function("EXECUTE", "Cannot execute function {function}"),
    "createViewWithExecuteFunction": _function(
        "GRANT_EXECUTE", "View owner '{user}' cannot create view that executes function {function}"
    ),
    "createFunction": _function("OWNERSHIP", "Cannot create function {function}"),
    "dropFunction": _function("OWNERSHIP", "Cannot drop function {function}"),
    "filterFunctions": Check(("catalog", "functions"), _filter_functions, kind="filter"),
    "executeProcedure": Check(("catalog", "schema", "procedure"), _procedure),
}


def run_check(ac: AccessControl, name: str, who: Identity, args: CheckArgs) -> Any:
    """Run the check ``name``; raise ``KeyError`` for an unknown name, ``ValueError`` for a missing argument."""
    check = CHECKS[name]
    missing = [n for n in check.needs if not getattr(args, n)]
    if missing:
        raise ValueError(f"{name} needs {', '.join(_option(n) for n in missing)}")
    return check.run(ac, who, args)


def _option(field_name: str) -> str:
    """The command-line option giving a :class:`CheckArgs` field."""
    return "--property" if field_name == "session_property" else "--" + field_name.replace("_", "-")
