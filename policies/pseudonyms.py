"""Project-scoped pseudonyms: the warehouse's patient pseudonyms re-keyed per project.

The warehouse stores one pseudonym per patient (keyed with the warehouse
secret). A project never sees it: each of its pseudonym columns is replaced by

    project pseudonym = HMAC-SHA256(project key, warehouse pseudonym)   (first 32 hex digits)
    project key       = HMAC-SHA256(warehouse secret, "bulle project pseudonym key v1" NUL project id)

so the same patient has the same identifier in every table of one project and
different identifiers in two projects, and nobody can go from one to the
other without the warehouse secret. The project key is derived when needed
and never stored.

No key may appear in SQL: Trino keeps view definitions in its metastore, and
an extraction query could be logged. So the SQL never computes the HMAC.
bulle's extraction job, which holds the warehouse secret, computes a
*pseudonym map* per project, a two-column table::

    warehouse_pseudonym  varchar   the warehouse pseudonym, as text
    project_pseudonym    varchar   its project pseudonym

and the project's views join it (``LEFT JOIN map ON map.warehouse_pseudonym =
CAST(t.person_id AS varchar)``). In production the map is the Iceberg table
``<warehouse catalog>.bulle_pseudonyms.<project schema>``, readable only by
bulle's service principal; in the embedded deployment it is a relation of the
extraction's DuckDB session. Rebuilding the maps for a new snapshot is part of
extraction.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable

MAP_WAREHOUSE_COLUMN = "warehouse_pseudonym"
MAP_PROJECT_COLUMN = "project_pseudonym"
KEY_CONTEXT = b"bulle project pseudonym key v1"
PSEUDONYM_HEX_DIGITS = 32


def project_key(warehouse_secret: bytes, project_id: str) -> bytes:
    """The project's re-keying key, derived from the warehouse secret; keep it in memory only."""
    if len(warehouse_secret) < 16:
        raise ValueError("the warehouse secret must be at least 16 bytes")
    return hmac.new(warehouse_secret, project_key_label(project_id), hashlib.sha256).digest()


def project_key_label(project_id: str) -> bytes:
    """What the warehouse secret signs to give the project key (for holders of the secret that cannot export it)."""
    return KEY_CONTEXT + b"\0" + project_id.encode()


def project_pseudonym(key: bytes, warehouse_pseudonym: str) -> str:
    """The project pseudonym of one warehouse pseudonym (given as the text SQL's CAST gives)."""
    digest = hmac.new(key, warehouse_pseudonym.encode(), hashlib.sha256).hexdigest()
    return digest[:PSEUDONYM_HEX_DIGITS]


def project_pseudonyms(key: bytes, warehouse_pseudonyms: Iterable[str]) -> list[str]:
    """:func:`project_pseudonym` of each value, with OpenSSL's one-shot HMAC (about a million a second)."""
    digest = hmac.digest
    return [digest(key, value.encode(), "sha256").hex()[:PSEUDONYM_HEX_DIGITS] for value in warehouse_pseudonyms]
