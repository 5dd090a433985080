"""``bulle audit``: verify the audit trail, export it."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

import click

from bulle import audit
from bulle.audit.checkpoints import KeyProblem, load_public_key
from bulle.audit.export import iter_records, parse_bound, write_json_lines
from bulle.audit.store import AuditStoreError, RecordFilter
from bulle.audit.verify import verify_trail
from bulle.state import StateLayout

from .trail import database_url, db_option, tool_actor, tool_trail

state_option = click.option(
    "--state",
    "state_dir",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="BULLE_STATE_DIR",
    default=Path("/var/lib/bulle"),
    show_default=True,
    help="bulle's state folder (env BULLE_STATE_DIR): the hub database, key and checkpoint file.",
)


@click.group()
def audit_group() -> None:
    """Check and export the tamper-evident audit trail."""


@audit_group.command("verify")
@state_option
@db_option
@click.option(
    "--key",
    "key_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Public key (or the private key) that signs checkpoints; default: the one in the state folder.",
)
@click.option(
    "--checkpoints",
    "checkpoint_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="File of checkpoint copies; default: the one in the state folder.",
)
@click.option("--workers", type=click.IntRange(1, 64), help="Processes hashing in parallel; default: one per CPU.")
def verify_command(
    state_dir: Path, db_url: str | None, key_file: Path | None, checkpoint_file: Path | None, workers: int | None
) -> None:
    """Check the whole chain and the signed checkpoints; name the first broken record.

    Exits with 0 when the trail is intact, 1 when it is not, 2 when it cannot be checked.
    """
    layout = StateLayout(state_dir)
    keys = []
    key_path = key_file or next(
        (p for p in (layout.audit_signing_key.with_suffix(".pub"), layout.audit_signing_key) if p.exists()), None
    )
    try:
        if key_path is not None:
            keys.append(load_public_key(key_path))
        report = verify_trail(
            database_url(layout, db_url), keys, checkpoint_file or layout.audit_checkpoints, workers=workers
        )
    except (AuditStoreError, KeyProblem) as exc:
        click.echo(f"bulle audit verify: {exc}", err=True)
        sys.exit(2)
    covered = f"up to record {report.last_checkpoint_seq}" if report.checkpoints else "none"
    click.echo(
        f"Checked {report.records} records (last: {report.last_seq}) and "
        f"{report.checkpoints} signed checkpoints ({covered})."
    )
    for note in report.notes:
        click.echo(f"note: {note}")
    first = report.first
    if first is None:
        click.echo("OK: the trail is intact.")
        return
    where = f"the first broken record is {first.seq}" if first.seq else "the trail's table was altered"
    click.echo(f"FAILED: {where}.")
    for finding in report.findings:
        click.echo(f"  - {finding.kind}: {finding.message}")
    sys.exit(1)


@audit_group.command("export")
@state_option
@db_option
@click.option("--since", help="First time included: 2026-05-01 or 2026-05-01T14:00:00Z (UTC unless a zone is given).")
@click.option("--until", help="First time excluded, same format.")
@click.option("--project", help="Only the records of this project.")
@click.option(
    "--output", "-o", type=click.Path(dir_okay=False, path_type=Path), help="File to write; default: standard output."
)
def export_command(
    state_dir: Path, db_url: str | None, since: str | None, until: str | None, project: str | None, output: Path | None
) -> None:
    """Write records as JSON Lines (for a DPO or a SIEM), in order, with their hashes.

    The export itself is recorded in the trail (audit.exported).
    """
    layout = StateLayout(state_dir)
    try:
        where = RecordFilter(
            project=project,
            since=parse_bound(since) if since else None,
            until=parse_bound(until) if until else None,
        )
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
    try:
        with tool_trail(layout.root, db_url) as trail, _opened(output) as out:
            with trail.reading() as conn:
                count = write_json_lines(iter_records(conn, trail.tables, where), out)
            event = audit.make_event(
                "audit.exported",
                actor=tool_actor(),
                time=dt.datetime.now(dt.UTC),
                project=project,
                object=str(output) if output else "standard output",
                details={"since": where.since, "until": where.until, "records": count},
            )
            trail.record(event).wait(timeout=60)
    except AuditStoreError as exc:
        click.echo(f"bulle audit export: {exc}", err=True)
        sys.exit(2)
    click.echo(f"Exported {count} records.", err=True)


@contextmanager
def _opened(output: Path | None) -> Iterator[TextIO]:
    if output is None:
        yield sys.stdout
        return
    temporary = output.with_name(f".{output.name}.partial")
    with temporary.open("w", encoding="utf-8") as handle:
        yield handle
    temporary.replace(output)
