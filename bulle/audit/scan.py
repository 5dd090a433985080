"""The fast path of verification: re-hash a range of records, report where links break.

Verifying ten million records is dominated by reading rows and hashing
them, so this module reads with the database driver directly (no ORM rows),
fetches only each record's ``prev``, body and hash, and can run in several
processes over disjoint ranges of seqs (each range starts from the stored
hash of the record before it, which the previous range checks).

:func:`scan_range` returns the *positions* (0-based, in seq order within the
range) of the records whose stored ``prev`` is not the hash of the record
before them, or whose stored hash is not ``SHA-256(prev || body)``;
:mod:`bulle.audit.verify` turns them into seqs and explains them.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterator
from typing import Any

from sqlalchemy import make_url

FETCH_ROWS = 20_000


def scan_range(db_url: str, table: str, first: int, last: int, start_hash: bytes) -> tuple[int, list[int]]:
    """(rows read, positions of broken links) for the records with first <= seq <= last."""
    sha256 = hashlib.sha256
    previous = start_hash
    broken: list[int] = []
    position = 0
    for chunk in _chunks(db_url, table, first, last):
        for prev, body, stored in chunk:
            if prev != previous or sha256(prev + body).digest() != stored:
                broken.append(position)
            previous = stored
            position += 1
    return position, broken


def _chunks(db_url: str, table: str, first: int, last: int) -> Iterator[list[Any]]:
    url = make_url(db_url)
    if url.get_backend_name() == "sqlite":
        yield from _sqlite_chunks(str(url.database), table, first, last)
    elif url.get_backend_name() == "postgresql":
        conninfo = url.set(drivername="postgresql").render_as_string(hide_password=False)
        yield from _postgresql_chunks(conninfo, table, first, last)
    else:
        raise ValueError(f"cannot scan a {url.get_backend_name()} database")


def _sqlite_chunks(path: str, table: str, first: int, last: int) -> Iterator[list[Any]]:
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    db.text_factory = bytes  # the chain hashes the body's UTF-8 bytes as stored
    try:
        query = f"SELECT prev, body, hash FROM {table} WHERE seq BETWEEN ? AND ? ORDER BY seq"  # noqa: S608
        cursor = db.execute(query, (first, last))
        while chunk := cursor.fetchmany(FETCH_ROWS):
            yield chunk
    finally:
        db.close()


def _postgresql_chunks(conninfo: str, table: str, first: int, last: int) -> Iterator[list[Any]]:
    import psycopg

    with psycopg.connect(conninfo) as db, db.cursor(name="bulle_audit_scan") as cursor:
        cursor.itersize = FETCH_ROWS
        cursor.execute(
            f"SELECT prev, convert_to(body, 'UTF8'), hash FROM {table} WHERE seq BETWEEN %s AND %s ORDER BY seq",  # noqa: S608
            (first, last),
        )
        while chunk := cursor.fetchmany(FETCH_ROWS):
            yield chunk
