"""The trail's tables in the hub database (SQLite or PostgreSQL), and the SQL on them.

``bulle_audit_events`` holds one row per record: ``seq``, ``prev``, ``body``,
``hash`` (see :mod:`bulle.audit.chain`). The columns used to search
(``type``, ``time``, ``actor``, ``project``, ``bubble``, ``object``,
``outcome``, ``key``) are *generated* by the database from the body, so they
cannot be edited apart from it: changing what a search finds means changing a
body, which breaks the chain. ``bulle_audit_checkpoints`` holds the signed
checkpoints (:mod:`bulle.audit.checkpoints`).

Appends are serialised across processes (the hub, command-line tools) by a
write lock taken at the start of the transaction: ``BEGIN IMMEDIATE`` on
SQLite, ``LOCK TABLE ... IN SHARE ROW EXCLUSIVE MODE`` on PostgreSQL, which
lets readers read meanwhile.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from .chain import GENESIS, link_hash
from .events import Event

EVENTS_TABLE = "bulle_audit_events"
CHECKPOINTS_TABLE = "bulle_audit_checkpoints"

#: Columns the database derives from the body, and the body's key each one reads.
DERIVED_COLUMNS = ("type", "time", "key", "actor", "project", "bubble", "object", "outcome")

SUPPORTED_DIALECTS = ("sqlite", "postgresql")


class AuditStoreError(RuntimeError):
    """The database cannot hold the trail (unsupported kind, unreachable)."""


def derived_expression(dialect: str, column: str) -> str:
    """SQL that extracts ``column`` from the JSON body, for ``dialect``."""
    if dialect == "sqlite":
        return f"json_extract(body, '$.{column}')"
    if dialect == "postgresql":
        return f"((body)::jsonb ->> '{column}')"
    raise AuditStoreError(
        f"the audit trail needs a SQLite or PostgreSQL database, not {dialect!r}; set the hub's db_url to one"
    )


@dataclass(frozen=True)
class Tables:
    metadata: sa.MetaData
    events: sa.Table
    checkpoints: sa.Table
    dialect: str


def make_tables(dialect: str) -> Tables:
    """The table definitions for ``dialect`` (the generated columns' SQL differs)."""
    metadata = sa.MetaData()
    # PostgreSQL before 18 only has stored generated columns; SQLite computes them on read.
    persisted = dialect == "postgresql"
    derived = [
        sa.Column(name, sa.Text, sa.Computed(derived_expression(dialect, name), persisted=persisted))
        for name in DERIVED_COLUMNS
    ]
    events = sa.Table(
        EVENTS_TABLE,
        metadata,
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=False),
        sa.Column("prev", sa.LargeBinary(32), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("hash", sa.LargeBinary(32), nullable=False),
        *derived,
        sa.Index(f"ix_{EVENTS_TABLE}_key", "key", unique=True),
        sa.Index(f"ix_{EVENTS_TABLE}_time", "time"),
        sa.Index(f"ix_{EVENTS_TABLE}_project", "project", "seq"),
        sa.Index(f"ix_{EVENTS_TABLE}_actor", "actor", "seq"),
        sa.Index(f"ix_{EVENTS_TABLE}_bubble", "bubble", "seq"),
    )
    checkpoints = sa.Table(
        CHECKPOINTS_TABLE,
        metadata,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("signature", sa.LargeBinary, nullable=False),
    )
    return Tables(metadata, events, checkpoints, dialect)


def open_engine(db_url: str, *, for_writing: bool = False) -> Engine:
    """An engine on the hub database; writing engines take the append lock in each transaction."""
    url = sa.make_url(db_url)
    if url.get_backend_name() not in SUPPORTED_DIALECTS:
        derived_expression(url.get_backend_name(), "type")  # raises the explanation
    if url.get_backend_name() == "sqlite":
        engine = sa.create_engine(url, connect_args={"timeout": 60})
        if for_writing:
            _take_sqlite_write_lock_on_begin(engine)
        return engine
    return sa.create_engine(url, pool_pre_ping=True)


def _take_sqlite_write_lock_on_begin(engine: Engine) -> None:
    @sa.event.listens_for(engine, "connect")
    def _no_implicit_transactions(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None

    @sa.event.listens_for(engine, "begin")
    def _begin_immediate(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def use_write_ahead_log(engine: Engine) -> None:
    """Put a SQLite database in WAL mode (persistent, for every connection to it)."""
    with engine.connect() as conn:
        mode = conn.exec_driver_sql("PRAGMA journal_mode=WAL").scalar()
    if str(mode).lower() != "wal":
        raise AuditStoreError(f"{engine.url.database} could not be switched to write-ahead logging ({mode})")


def create_tables(engine: Engine) -> Tables:
    tables = make_tables(engine.dialect.name)
    tables.metadata.create_all(engine, checkfirst=True)
    return tables


def lock_for_append(conn: Connection, tables: Tables) -> None:
    """Serialise appenders; on SQLite the transaction's ``BEGIN IMMEDIATE`` already did."""
    if tables.dialect == "postgresql":
        conn.exec_driver_sql(f"LOCK TABLE {EVENTS_TABLE} IN SHARE ROW EXCLUSIVE MODE")


def head(conn: Connection, tables: Tables) -> tuple[int, bytes]:
    """(seq, hash) of the last record, or (0, GENESIS) for an empty trail."""
    # Plain SQL: run once per commit, SQLAlchemy's statement handling would cost more than the query.
    row = conn.exec_driver_sql(f"SELECT seq, hash FROM {EVENTS_TABLE} ORDER BY seq DESC LIMIT 1").first()  # noqa: S608
    return (0, GENESIS) if row is None else (int(row[0]), bytes(row[1]))


def append(conn: Connection, tables: Tables, events: Sequence[Event]) -> list[int]:
    """Append ``events`` in order inside the caller's transaction; return each one's seq.

    An event whose key is already in the trail (or earlier in ``events``) is
    not appended again: its seq is the existing record's.
    """
    lock_for_append(conn, tables)
    seq, prev = head(conn, tables)
    known = _seqs_of_keys(conn, tables, [e.key for e in events if e.key])
    rows: list[tuple[int, bytes, str, bytes]] = []
    seqs: list[int] = []
    for event in events:
        if event.key is not None and event.key in known:
            seqs.append(known[event.key])
            continue
        body = event.body
        digest = link_hash(prev, body.encode())
        seq += 1
        rows.append((seq, prev, body, digest))
        seqs.append(seq)
        prev = digest
        if event.key is not None:
            known[event.key] = seq
    if rows:
        # The driver's own executemany: building SQLAlchemy parameters would cost more than the insert.
        marks = ", ".join(["?" if tables.dialect == "sqlite" else "%s"] * 4)
        conn.exec_driver_sql(f"INSERT INTO {EVENTS_TABLE} (seq, prev, body, hash) VALUES ({marks})", rows)  # noqa: S608
    return seqs


def _seqs_of_keys(conn: Connection, tables: Tables, keys: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    mark = "?" if tables.dialect == "sqlite" else "%s"
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        query = f"SELECT key, seq FROM {EVENTS_TABLE} WHERE key IN ({', '.join([mark] * len(chunk))})"  # noqa: S608
        found.update((key, int(seq)) for key, seq in conn.exec_driver_sql(query, tuple(chunk)))
    return found


@dataclass(frozen=True)
class StoredRecord:
    """A record as stored: its place in the chain and its event (parsed from the body)."""

    seq: int
    prev: bytes
    body: str
    hash: bytes

    @property
    def event(self) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(self.body)
        return parsed

    def as_export(self) -> dict[str, Any]:
        """The record as exported: the event, plus its place in the chain."""
        return {**self.event, "seq": self.seq, "prev": self.prev.hex(), "hash": self.hash.hex()}


@dataclass(frozen=True)
class RecordFilter:
    """What to search for; every field left None matches everything. Times are trail-formatted."""

    project: str | None = None
    actor: str | None = None
    bubble: str | None = None
    types: tuple[str, ...] = ()
    since: str | None = None
    until: str | None = None


def find_records(
    conn: Connection,
    tables: Tables,
    where: RecordFilter,
    *,
    after_seq: int = 0,
    before_seq: int | None = None,
    limit: int | None = None,
    newest_first: bool = False,
) -> list[StoredRecord]:
    t = tables.events
    query = sa.select(t.c.seq, t.c.prev, t.c.body, t.c.hash).where(t.c.seq > after_seq)
    if before_seq is not None:
        query = query.where(t.c.seq < before_seq)
    for column, value in (("project", where.project), ("actor", where.actor), ("bubble", where.bubble)):
        if value is not None:
            query = query.where(t.c[column] == value)
    if where.types:
        query = query.where(t.c.type.in_(where.types))
    if where.since is not None:
        query = query.where(t.c.time >= where.since)
    if where.until is not None:
        query = query.where(t.c.time < where.until)
    query = query.order_by(t.c.seq.desc() if newest_first else t.c.seq)
    if limit is not None:
        query = query.limit(limit)
    return [StoredRecord(int(r.seq), bytes(r.prev), r.body, bytes(r.hash)) for r in conn.execute(query)]


def record_at(conn: Connection, tables: Tables, seq: int) -> StoredRecord | None:
    t = tables.events
    row = conn.execute(sa.select(t.c.seq, t.c.prev, t.c.body, t.c.hash).where(t.c.seq == seq)).first()
    return None if row is None else StoredRecord(int(row.seq), bytes(row.prev), row.body, bytes(row.hash))


def seqs_with_hash(conn: Connection, tables: Tables, digest: bytes) -> list[int]:
    """Every record whose hash is ``digest`` (a full scan: used only to explain a broken link)."""
    t = tables.events
    return [int(seq) for (seq,) in conn.execute(sa.select(t.c.seq).where(t.c.hash == digest).order_by(t.c.seq))]


def seq_bounds(conn: Connection, tables: Tables) -> tuple[int, int, int]:
    """(count, min seq, max seq) of the records; (0, 0, 0) when empty."""
    t = tables.events
    count, low, high = conn.execute(sa.select(sa.func.count(), sa.func.min(t.c.seq), sa.func.max(t.c.seq))).one()
    return int(count), int(low or 0), int(high or 0)


def gaps(conn: Connection, tables: Tables, limit: int = 20) -> list[tuple[int, int]]:
    """Ranges (first, last) of missing seqs between 1 and the last record."""
    t = tables.events
    following = sa.alias(t)
    count, low, high = seq_bounds(conn, tables)
    if count == high:  # 1..high with none missing: skip the search, a full pass over the table
        return []
    found = [(1, low - 1)] if count and low > 1 else []
    ends = conn.execute(
        sa.select(t.c.seq)
        .where(t.c.seq < high)
        .where(~sa.exists().where(following.c.seq == t.c.seq + 1))
        .order_by(t.c.seq)
        .limit(limit)
    ).scalars()
    for end in ends:
        next_seq = conn.execute(sa.select(sa.func.min(t.c.seq)).where(t.c.seq > end)).scalar_one()
        found.append((int(end) + 1, int(next_seq) - 1))
    return found[:limit]


def insert_checkpoint(conn: Connection, tables: Tables, seq: int, body: str, signature: bytes) -> None:
    conn.execute(tables.checkpoints.insert().values(seq=seq, body=body, signature=signature))


def stored_checkpoints(conn: Connection, tables: Tables) -> list[tuple[str, bytes]]:
    """(body, signature) of every checkpoint in the database, oldest first."""
    t = tables.checkpoints
    return [
        (row.body, bytes(row.signature)) for row in conn.execute(sa.select(t.c.body, t.c.signature).order_by(t.c.id))
    ]


def derived_columns_intact(conn: Connection, tables: Tables) -> list[str]:
    """Search columns that are no longer generated from the body (someone altered the table)."""
    if tables.dialect == "sqlite":
        sql = conn.exec_driver_sql(
            "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (EVENTS_TABLE,)
        ).scalar_one()
        normalized = " ".join(str(sql).split())
        return [c for c in DERIVED_COLUMNS if f"AS ({derived_expression('sqlite', c)})" not in normalized]
    rows = conn.exec_driver_sql(
        "SELECT column_name, is_generated, generation_expression FROM information_schema.columns "
        "WHERE table_name = %(table)s",
        {"table": EVENTS_TABLE},
    ).all()
    generated = {
        r.column_name
        for r in rows
        if r.is_generated == "ALWAYS" and f"'{r.column_name}'" in str(r.generation_expression)
    }
    return [c for c in DERIVED_COLUMNS if c not in generated]
