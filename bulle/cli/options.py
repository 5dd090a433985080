"""Options several ``bulle`` commands share."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click


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
