"""The audit trail as command-line tools open it: the state folder's hub database, or ``--db-url``.

A tool records what it did in the same trail as the hub (appends from
several processes are serialised, so the chain stays one). It signs
checkpoints only where the hub's signing key already exists; it never
creates one.
"""

from __future__ import annotations

import getpass
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import click
from sqlalchemy.exc import SQLAlchemyError

from bulle import audit
from bulle.audit.store import AuditStoreError
from bulle.state import StateLayout

db_option = click.option(
    "--db-url",
    envvar="BULLE_DB_URL",
    help="Hub database URL, holding the audit trail (env BULLE_DB_URL); default: the SQLite file in the state folder.",
)


def database_url(layout: StateLayout, db_url: str | None) -> str:
    return db_url or f"sqlite:///{layout.hub_db}"


def tool_actor() -> str:
    """The actor of a record made by a command-line tool: the operating system account running it."""
    return f"os:{getpass.getuser()}"


@contextmanager
def tool_trail(state_dir: Path, db_url: str | None, *, create: bool = False) -> Iterator[audit.AuditTrail]:
    """The trail of ``state_dir`` (or ``db_url``), open for the duration of a command.

    ``create``: make the state folder's hub folder (and so the SQLite database)
    if missing, for a tool that acts before any hub has run (an ingest).
    Raises :class:`bulle.audit.store.AuditStoreError` when the database cannot be opened.
    """
    layout = StateLayout(state_dir)
    if db_url is None and create:
        layout.prepare_root()
    key = layout.audit_signing_key
    with ExitStack() as stack:
        try:
            trail = stack.enter_context(
                audit.open_trail(
                    database_url(layout, db_url),
                    signing_key_file=key if key.exists() else None,
                    checkpoint_file=layout.audit_checkpoints if key.exists() else None,
                )
            )
        except SQLAlchemyError as exc:
            reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
            raise AuditStoreError(f"the database does not answer: {reason}") from None
        yield trail
