"""``bulle access``: access reviews from the policy and the Trino rules it compiles to."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from bulle.trino.explain import explain_access

from .options import policy_option
from .policy import _load_or_exit


@click.group()
def access() -> None:
    """Review who can read what."""


@access.command()
@click.option("--user", required=True, help="The user to review.")
@click.option("--project", "project_id", help="Only this project (default: every project of the user).")
@policy_option()
@click.option(
    "--date",
    "on_date",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Review access on this day (default: today in the platform time zone).",
)
def explain(user: str, project_id: str | None, policy_dir: Path, on_date: dt.datetime | None) -> None:
    """Print what USER can read: each project's views, columns, masks and rows.

    The rules are compiled from the policy and every decision is taken by the
    Trino access-control simulator; reads of other projects' data and of the
    raw warehouse, and writes, are checked to be refused. Exit status 1 when
    the policy and the rules disagree (lines starting with WARNING).
    """
    loaded = _load_or_exit(policy_dir)
    today = on_date.date() if on_date else loaded.day(dt.datetime.now(dt.UTC))
    findings = explain_access(loaded, user, today, project_id)
    for finding in findings:
        click.echo(finding.text)
    if any(f.warning for f in findings):
        raise SystemExit(1)
