"""Options several ``bulle`` commands share."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import click

from bulle.policies import PolicyError


def policy_option(what: str = "") -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``--policy DIR`` (env ``BULLE_POLICY_DIR``), required; ``what`` says what the command reads in it."""
    return click.option(
        "--policy",
        "policy_dir",
        type=click.Path(file_okay=False, exists=True, path_type=Path),
        envvar="BULLE_POLICY_DIR",
        required=True,
        help=f"Policy folder{f' {what}' if what else ''} (env BULLE_POLICY_DIR).",
    )


def echo_policy_errors(directory: Path, errors: Iterable[PolicyError]) -> None:
    """Print each error on standard error as ``<directory>/<file>:<line>: <key>: <message>``."""
    for error in errors:
        click.echo(f"{directory / error.file}:{error.line}: {error.key}: {error.message}", err=True)
