"""``bulle policy``: validate and compile policy folders."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import click

from bulle.policies import Policy, PolicyInvalid, load_policy
from bulle.policies.jupyterhub import compile_hub_groups, compile_hub_roles
from bulle.policies.summary import summarise
from bulle.policies.tables import load_table_shapes
from bulle.policies.trino import compile_trino_rules, compile_trino_views, rules_json
from bulle.policies.views import GrantsNotCompilable
from bulle.trino.verify import verify_rules

from .options import echo_policy_errors

EXIT_INVALID = 2


@click.group()
def policy() -> None:
    """Validate and compile policy folders (platform.yaml, projects/)."""


@policy.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
def validate(directory: Path) -> None:
    """Check the policy in DIRECTORY; print every error as file:line: key: message.

    Exits with status 2 when the policy has errors, 0 when it is valid.
    """
    try:
        loaded = load_policy(directory)
    except PolicyInvalid as invalid:
        echo_policy_errors(directory, invalid.errors)
        count = len(invalid.errors)
        click.echo(f"{count} error{'s' if count != 1 else ''}; nothing was applied.", err=True)
        raise SystemExit(EXIT_INVALID) from None
    click.echo(summarise(loaded, dt.datetime.now(dt.UTC)))


TARGETS = ("jupyterhub", "trino")


@policy.command()
@click.option("--target", type=click.Choice(TARGETS), required=True, help="What to compile the policy to.")
@click.option(
    "--tables",
    "tables_file",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="Shapes of the warehouse tables (YAML; the demo's is bulle/demo/warehouse-tables.yaml). "
    "Needed by --target trino to compile the views.",
)
@click.option(
    "--date",
    "on_date",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Compile the access rules for this day (default: today in the platform time zone); "
    "only projects open that day get access.",
)
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.argument("out", type=click.Path(file_okay=False, path_type=Path))
def compile(target: str, tables_file: Path | None, on_date: dt.datetime | None, directory: Path, out: Path) -> None:
    """Compile the policy in DIRECTORY for TARGET into the folder OUT.

    jupyterhub writes roles.json and groups.json. trino writes rules.json (the
    file-based access-control rules of the whole platform) and
    views/<project>.sql (each project's schema and views).

    The output is byte-deterministic: compiling an unchanged policy twice gives
    identical files, so a diff of compiled output is a readable review.
    """
    loaded = _load_or_exit(directory)
    if target == "trino":
        if tables_file is None:
            raise click.UsageError("--target trino needs --tables FILE, the shapes of the warehouse tables")
        today = on_date.date() if on_date else loaded.day(dt.datetime.now(dt.UTC))
        files = _trino_files(loaded, tables_file, today)
    else:
        files = {
            "roles.json": json.dumps(compile_hub_roles(loaded), indent=2, sort_keys=True) + "\n",
            "groups.json": json.dumps(compile_hub_groups(loaded), indent=2, sort_keys=True) + "\n",
        }
    for name, content in files.items():
        _write(out / name, content)
        click.echo(f"wrote {out / name}")


def _load_or_exit(directory: Path) -> Policy:
    try:
        return load_policy(directory)
    except PolicyInvalid as invalid:
        echo_policy_errors(directory, invalid.errors)
        raise SystemExit(EXIT_INVALID) from None


def _trino_files(loaded: Policy, tables_file: Path, today: dt.date) -> dict[str, str]:
    try:
        shapes = load_table_shapes(tables_file)
        views = compile_trino_views(loaded, shapes)
    except PolicyInvalid as invalid:
        for error in invalid.errors:
            click.echo(str(error), err=True)
        raise SystemExit(EXIT_INVALID) from None
    except GrantsNotCompilable as failed:
        for problem in failed.problems:
            click.echo(str(problem), err=True)
        click.echo("the grants do not fit the warehouse's tables; nothing was written.", err=True)
        raise SystemExit(EXIT_INVALID) from None
    rules = compile_trino_rules(loaded, today)
    problems = verify_rules(loaded, rules, today)
    if problems:
        for problem in problems:
            click.echo(f"compiled rules are wrong: {problem}", err=True)
        raise SystemExit(EXIT_INVALID)
    files = {"rules.json": rules_json(rules)}
    files.update({f"views/{project}.sql": sql for project, sql in views.items()})
    return files


def _write(path: Path, content: str) -> None:
    """Write ``content`` to a temporary name beside ``path``, then rename it into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(content, encoding="utf-8")
    partial.replace(path)
