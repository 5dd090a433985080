"""Export: records as JSON Lines, for a data protection officer or a SIEM.

Each line is one record: the event's fields (``type``, ``time``, ``actor``,
``project``, ``bubble``, ``object``, ``outcome``, ``details``, ``key``,
``version``) and its place in the chain (``seq``, ``prev``, ``hash``, in
hex), in seq order. With the whole trail and the public key, the chain can be
checked again outside bulle: ``hash = SHA-256(prev || body)`` where ``body`` is
the event's canonical JSON (sorted keys, no spaces, UTF-8).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import TextIO

from sqlalchemy.engine import Connection

from . import store
from .events import format_time

PAGE = 10_000


def parse_bound(text: str) -> str:
    """A time bound in the trail's format from ``2026-05-01`` or an ISO 8601 time (UTC if no zone)."""
    try:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{text!r} is not a date (2026-05-01) or an ISO 8601 time (2026-05-01T14:00:00Z)") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return format_time(moment)


def iter_records(conn: Connection, tables: store.Tables, where: store.RecordFilter) -> Iterator[store.StoredRecord]:
    """Every record matching ``where``, in seq order, read a page at a time."""
    after = 0
    while True:
        page = store.find_records(conn, tables, where, after_seq=after, limit=PAGE)
        yield from page
        if len(page) < PAGE:
            return
        after = page[-1].seq


def write_json_lines(records: Iterator[store.StoredRecord], out: TextIO) -> int:
    """Write each record as one JSON line; return how many were written."""
    count = 0
    for record in records:
        out.write(json.dumps(record.as_export(), sort_keys=True, ensure_ascii=False))
        out.write("\n")
        count += 1
    return count
