"""``bulle trino``: check Trino access-control rules files without a Trino server."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

import click

from bulle.trino import AccessControl, Identity, Principal, RulesInvalid, ViewExpression, load_rules
from bulle.trino.checks import CHECKS, CheckArgs, run_check

EXIT_USAGE = 2


@click.group()
def trino() -> None:
    """Work with Trino's file-based access control (rules files)."""


def _names(value: str | None) -> tuple[str, ...]:
    return tuple(v.strip() for v in value.split(",") if v.strip()) if value else ()


def _pairs(value: str | None, what: str) -> tuple[tuple[str, str], ...]:
    pairs = []
    for item in _names(value):
        schema, dot, name = item.partition(".")
        if not dot or not schema or not name:
            raise click.UsageError(f"{what} are written schema.name, got {item!r}")
        pairs.append((schema, name))
    return tuple(pairs)


def _principal(value: str | None) -> Principal | None:
    if value is None:
        return None
    kind, colon, name = value.partition(":")
    if not colon or kind.upper() not in ("USER", "ROLE") or not name:
        raise click.UsageError(f"--grantee is USER:NAME or ROLE:NAME, got {value!r}")
    return Principal(kind.upper(), name)


def _output(kind: str, result: Any) -> dict[str, Any]:
    if kind == "decision":
        return {"decision": "allow" if result.allowed else "deny"}
    if kind == "mask":
        return {"result": asdict(result) if isinstance(result, ViewExpression) else None}
    if kind == "filters":
        return {"result": [asdict(r) for r in result]}
    return {"result": list(result)}


@trino.command()
@click.argument("rules_file", metavar="RULES.json", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--user", required=True, help="The Trino user the check is for.")
@click.option("--group", "groups", multiple=True, help="A group of the user (repeatable).")
@click.option("--role", "roles", multiple=True, help="An enabled role of the user (repeatable).")
@click.option("--check", "check", required=True, type=click.Choice(sorted(CHECKS)), help="Trino's check name.")
@click.option("--catalog", default="")
@click.option("--schema", default="")
@click.option("--table", default="")
@click.option("--columns", help="Comma-separated columns (selectFromColumns, filterColumns, …).")
@click.option("--column", default="", help="The column of getColumnMask.")
@click.option("--property", "property_name", default="", help="A session property name.")
@click.option("--new-schema", default="", help="The new schema (renameSchema; renameTable into another schema).")
@click.option("--new-table", default="", help="The new table or view name (rename*).")
@click.option("--privilege", default="", help="The privilege of grant/deny/revoke*Privilege.")
@click.option("--grantee", help="USER:NAME or ROLE:NAME: grantee, or new owner for set*Authorization.")
@click.option("--catalogs", help="Candidates of filterCatalogs, comma-separated.")
@click.option("--schemas", help="Candidates of filterSchemas, comma-separated.")
@click.option("--tables", help="Candidates of filterTables, comma-separated schema.table.")
@click.option("--new-user", default="", help="The user to impersonate (impersonateUser).")
@click.option("--principal", help="The authenticated principal (setUser).")
@click.option("--query-owner", default="", help="The owner of the query (viewQueryOwnedBy, killQueryOwnedBy).")
@click.option("--query-owners", help="Candidates of filterViewQueryOwnedBy, comma-separated.")
@click.option("--function", "function_name", default="", help="The function name (executeFunction, …).")
@click.option("--functions", help="Candidates of filterFunctions, comma-separated schema.function.")
@click.option("--procedure", default="", help="The procedure name (executeProcedure).")
def simulate(
    rules_file: Path, user: str, groups: tuple[str, ...], roles: tuple[str, ...], check: str, **options: Any
) -> None:
    """Decide one access check as Trino would with the rules file RULES.json.

    Prints one JSON object: {"decision": "allow"|"deny"} for checks (Trino's
    denial message goes to standard error); {"result": [...]} with the kept
    names for filterCatalogs, filterSchemas, filterTables, filterColumns,
    filterFunctions and filterViewQueryOwnedBy; {"result": {"expression",
    "catalog", "schema", "identity"} | null} for getColumnMask; and
    {"result": [...]} of such objects for getRowFilters. Exit status 2 when
    the rules file is invalid or an argument is missing.
    """
    try:
        control = AccessControl(load_rules(rules_file))
    except RulesInvalid as invalid:
        click.echo(f"{rules_file}: {invalid}", err=True)
        raise SystemExit(EXIT_USAGE) from None
    args = CheckArgs(
        catalog=options["catalog"],
        schema=options["schema"],
        table=options["table"],
        columns=_names(options["columns"]),
        column=options["column"],
        session_property=options["property_name"],
        new_schema=options["new_schema"],
        new_table=options["new_table"],
        privilege=options["privilege"],
        grantee=_principal(options["grantee"]),
        catalogs=_names(options["catalogs"]),
        schemas=_names(options["schemas"]),
        tables=_pairs(options["tables"], "--tables"),
        new_user=options["new_user"],
        principal=options["principal"],
        query_owner=options["query_owner"],
        query_owners=_names(options["query_owners"]),
        function=options["function_name"],
        functions=_pairs(options["functions"], "--functions"),
        procedure=options["procedure"],
    )
    who = Identity(user, frozenset(groups), frozenset(roles))
    try:
        result = run_check(control, check, who, args)
    except ValueError as missing:
        raise click.UsageError(str(missing)) from None
    if CHECKS[check].kind == "decision" and not result.allowed:
        click.echo(result.message, err=True)
    click.echo(json.dumps(_output(CHECKS[check].kind, result)))
