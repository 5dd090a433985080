"""``bulle policy``: validate and compile policy folders."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import click

from bulle.policies import PolicyInvalid, load_policy
from bulle.policies.jupyterhub import compile_hub_groups, compile_hub_roles
from bulle.policies.summary import summarise

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
        for error in invalid.errors:
            click.echo(f"{directory / error.file}:{error.line}: {error.key}: {error.message}", err=True)
        count = len(invalid.errors)
        click.echo(f"{count} error{'s' if count != 1 else ''}; nothing was applied.", err=True)
        raise SystemExit(EXIT_INVALID) from None
    click.echo(summarise(loaded, dt.datetime.now(dt.UTC)))


TARGETS = ("jupyterhub",)


@policy.command()
@click.option("--target", type=click.Choice(TARGETS), required=True, help="What to compile the policy to.")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.argument("out", type=click.Path(file_okay=False, path_type=Path))
def compile(target: str, directory: Path, out: Path) -> None:
    """Compile the policy in DIRECTORY for TARGET into the folder OUT.

    The output is byte-deterministic: compiling an unchanged policy twice gives
    identical files, so a diff of compiled output is a readable review.
    """
    try:
        loaded = load_policy(directory)
    except PolicyInvalid as invalid:
        for error in invalid.errors:
            click.echo(f"{directory / error.file}:{error.line}: {error.key}: {error.message}", err=True)
        raise SystemExit(EXIT_INVALID) from None
    files = {
        "roles.json": compile_hub_roles(loaded),
        "groups.json": compile_hub_groups(loaded),
    }
    out.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        (out / name).write_text(json.dumps(content, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        click.echo(f"wrote {out / name}")
