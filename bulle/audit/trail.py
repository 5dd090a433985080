"""The audit trail of one bulle installation, as a configurable object.

:class:`AuditTrail` ties the pieces together: the hub database
(:mod:`~bulle.audit.store`), the group-commit writer
(:mod:`~bulle.audit.writer`) and the signing key with its checkpoints
(:mod:`~bulle.audit.checkpoints`). The hub makes one at start (settings in
``c.AuditTrail``); command-line tools open one with :func:`open_trail`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.engine import Connection, Engine
from traitlets import Bool, Float, Integer, Unicode
from traitlets.config import LoggingConfigurable

from . import checkpoints, store
from .events import Event, format_time
from .writer import GroupCommitWriter, Receipt


class AuditTrail(LoggingConfigurable):
    """Append events to the tamper-evident trail in the hub database, and read them back."""

    db_url = Unicode(
        help="""SQLAlchemy URL of the database holding the trail: the hub
        database (bulle's hub configuration sets it to `JupyterHub.db_url`).""",
    ).tag(config=True)

    signing_key_file = Unicode(
        help="""Ed25519 private key (PEM) that signs checkpoints, kept outside
        the database. Default: `<state>/hub/audit-signing-key.pem`, created
        (mode 0600) with its public key beside it when `create_signing_key`
        is true. Empty: no checkpoints are signed by this process.""",
    ).tag(config=True)

    create_signing_key = Bool(
        False,
        help="Create `signing_key_file` if it does not exist (the hub does; tools do not).",
    ).tag(config=True)

    checkpoint_file = Unicode(
        help="""File to which each checkpoint is also appended, outside the
        database, so that a database rewrite cannot remove them. Default:
        `<state>/hub/audit-checkpoints.jsonl`.""",
    ).tag(config=True)

    checkpoint_interval = Float(
        60.0,
        help="""Seconds between checkpoints while records are being added. A
        cut of the trail's end is detected down to the last checkpoint.""",
    ).tag(config=True)

    checkpoint_records = Integer(
        10_000,
        help="Sign a checkpoint after this many new records, even before `checkpoint_interval`.",
    ).tag(config=True)

    max_batch = Integer(
        1000,
        help="Most events appended in one transaction (group commit).",
    ).tag(config=True)

    commit_delay = Float(
        0.005,
        help="""Seconds the writer waits after an event for others to share its
        commit. Raises each record's latency by at most this much and the
        throughput under load by sharing fsyncs; 0 commits at once.""",
    ).tag(config=True)

    sqlite_wal = Bool(
        True,
        help="""On SQLite, switch the database to write-ahead logging (it stays
        so): a durable commit then costs one fsync instead of several, and
        readers (the hub) do not wait for the audit writer. Commits stay
        synchronous (FULL). False leaves the database's journal mode alone.""",
    ).tag(config=True)

    _engine: Engine | None = None
    _reader: Engine | None = None
    _tables: store.Tables | None = None
    _writer: GroupCommitWriter | None = None
    _key: Ed25519PrivateKey | None = None
    _last_signed_seq = 0

    def __deepcopy__(self, memo: dict[int, object]) -> AuditTrail:
        # One trail per process: traitlets deep-copies config values (the hub's
        # handlers receive it through configuration), sharing it is correct.
        return self

    def open(self) -> AuditTrail:
        """Create the tables if needed, load the key and start the writer."""
        if not self.db_url:
            raise store.AuditStoreError("AuditTrail.db_url is not set; bulle's hub configuration sets it")
        self._engine = store.open_engine(self.db_url, for_writing=True)
        self._reader = store.open_engine(self.db_url)
        if self.sqlite_wal and self._reader.dialect.name == "sqlite":
            store.use_write_ahead_log(self._reader)
        self._tables = store.create_tables(self._engine)
        if self.signing_key_file:
            path = Path(self.signing_key_file)
            if path.exists() or self.create_signing_key:
                self._key = checkpoints.load_or_create_signing_key(path)
            else:
                self.log.warning("No audit signing key at %s: this process signs no checkpoints", path)
        self._warn_if_cut_before_last_checkpoint()
        self._writer = GroupCommitWriter(
            self._engine,
            self._tables,
            max_batch=self.max_batch,
            commit_delay=self.commit_delay,
            checkpointer=self._sign_checkpoint if self._key is not None else None,
            checkpoint_every_records=self.checkpoint_records,
            checkpoint_every_seconds=self.checkpoint_interval,
        )
        return self

    @property
    def tables(self) -> store.Tables:
        if self._tables is None:
            raise RuntimeError("the audit trail is not open")
        return self._tables

    @property
    def writer(self) -> GroupCommitWriter:
        if self._writer is None:
            raise RuntimeError("the audit trail is not open")
        return self._writer

    def record(self, event: Event) -> Receipt:
        """Append ``event``; the receipt resolves to its seq once committed."""
        return self.writer.submit(event)

    def record_many(self, events: Sequence[Event]) -> Receipt:
        """Append ``events`` together, in order, all or none."""
        return self.writer.submit_many(events)

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        """A connection for queries (it does not take the append lock)."""
        if self._reader is None:
            raise RuntimeError("the audit trail is not open")
        with self._reader.connect() as conn:
            yield conn

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        for engine in (self._engine, self._reader):
            if engine is not None:
                engine.dispose()

    # -- checkpoints ----------------------------------------------------------

    def _sign_checkpoint(self, engine: Engine, tables: store.Tables) -> None:
        """Sign the trail's end, unless it was signed already. Runs in the writer thread."""
        if self._key is None:
            return
        with engine.begin() as conn:
            seq, digest = store.head(conn, tables)
            if seq == 0 or seq == self._last_signed_seq:
                return
            checkpoint = checkpoints.sign_checkpoint(self._key, seq, digest, format_time(dt.datetime.now(dt.UTC)))
            store.insert_checkpoint(conn, tables, seq, checkpoint.body, checkpoint.signature)
        if self.checkpoint_file:
            checkpoints.append_to_file(Path(self.checkpoint_file), checkpoint)
        self._last_signed_seq = seq

    def _warn_if_cut_before_last_checkpoint(self) -> None:
        if not self.checkpoint_file or self._key is None:
            return
        signed = [
            checkpoints.check_checkpoint(b, s, [self._key.public_key()])
            for b, s in checkpoints.read_file(Path(self.checkpoint_file))
        ]
        valid = [c.checkpoint for c in signed if c.problem is None and c.checkpoint is not None]
        if not valid:
            return
        last = max(valid, key=lambda c: c.seq)
        with self.reading() as conn:
            seq, _ = store.head(conn, self.tables)
            at = store.record_at(conn, self.tables, last.seq)
        if seq < last.seq or at is None or at.hash != last.hash:
            self.log.error(
                "The audit trail does not match its last signed checkpoint (record %d, %s): "
                "it was cut or rewritten. Run `bulle audit verify` to see where.",
                last.seq,
                last.time,
            )
        self._last_signed_seq = last.seq if seq == last.seq else 0


@contextmanager
def open_trail(
    db_url: str,
    *,
    signing_key_file: str | Path | None = None,
    checkpoint_file: str | Path | None = None,
    create_signing_key: bool = False,
) -> Iterator[AuditTrail]:
    """An open trail for a command-line tool; everything recorded is committed on exit."""
    trail = AuditTrail(
        db_url=db_url,
        signing_key_file=str(signing_key_file or ""),
        checkpoint_file=str(checkpoint_file or ""),
        create_signing_key=create_signing_key,
    ).open()
    try:
        yield trail
    finally:
        trail.close()
