"""``bulle extract``: materialise projects' grants into their extracts, recorded in the audit trail."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import click

from bulle.audit.store import AuditStoreError
from bulle.policies import PolicyInvalid

from .account import state_option
from .options import echo_policy_errors, policy_option
from .trail import db_option, tool_actor, tool_trail
from .warehouse import EXIT_FAILED, EXIT_INVALID, _fail, _settings, config_option

if TYPE_CHECKING:
    from bulle.audit import AuditTrail
    from bulle.warehouse.config import Warehouse


def run_extracts(
    settings: Warehouse,
    policy_dir: Path,
    projects: Sequence[str],
    trail: AuditTrail,
    actor: str,
    echo: Callable[[str], None] = click.echo,
) -> bool:
    """Extract each project, recording each run in ``trail``; whether all of them succeeded."""
    from bulle.warehouse.extract import ExtractProblem, describe, recorded_extract
    from bulle.warehouse.pseudonym import KeyProblem

    ok = True
    for project in projects:
        try:
            run = recorded_extract(settings, policy_dir, project, trail, actor)
        except (ExtractProblem, KeyProblem) as problem:
            echo(f"bulle extract: {project}: {problem}; the current extract is unchanged")
            ok = False
            continue
        echo(describe(run))
    return ok


@click.command()
@policy_option("holding projects/<id>.yaml and sources/")
@state_option
@config_option
@db_option
@click.argument("projects", nargs=-1, required=True)
def extract(
    policy_dir: Path, state_dir: Path, configs: tuple[Path, ...], db_url: str | None, projects: tuple[str, ...]
) -> None:
    """Materialise the grants of each PROJECT into its extract, read by its bubbles.

    Each grant is read at its pinned snapshot (else the table's current one),
    with the project's own pseudonyms, into a new version of
    <state>/projects/<id>/data/ (Parquet files, a DuckDB database of views, a
    manifest), made current atomically. An unchanged policy and warehouse make
    it a no-op. Older versions are removed once no running bubble uses them.
    Each run is recorded in the audit trail (data.extracted). Exit status 1
    when a project could not be extracted (its current extract is left as it
    was), 2 when the policy has errors.
    """
    settings = _settings(configs, state_dir)
    try:
        with tool_trail(state_dir, db_url, create=True) as trail:
            ok = run_extracts(settings, policy_dir, projects, trail, tool_actor())
    except AuditStoreError as exc:
        _fail(f"the audit trail cannot be opened, so nothing was extracted: {exc}")
        return
    except PolicyInvalid as invalid:
        echo_policy_errors(policy_dir, invalid.errors)
        _fail("the policy has errors; nothing was extracted", EXIT_INVALID)
        return
    if not ok:
        raise SystemExit(EXIT_FAILED)
