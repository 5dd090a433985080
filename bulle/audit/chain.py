"""The hash chain: how each record is tied to the one before it.

Records are numbered from 1 (their *seq*) without gaps. Record *n* stores its
*body* (the canonical JSON of its event), *prev*, the hash of record *n - 1*
(:data:`GENESIS`, 32 zero bytes, for record 1), and its own *hash*::

    hash(n) = SHA-256(prev(n) || UTF-8 bytes of body(n))

so changing, removing, inserting or reordering any record breaks the link
at that place, and every later record commits to every earlier one. Only the
end of the chain can be cut cleanly; signed checkpoints
(:mod:`bulle.audit.checkpoints`) catch that.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

GENESIS = bytes(32)


def link_hash(prev: bytes, body: bytes) -> bytes:
    """The hash of a record whose predecessor's hash is ``prev``."""
    return hashlib.sha256(prev + body).digest()


@dataclass(frozen=True)
class ChainedRecord:
    seq: int
    prev: bytes
    body: str
    hash: bytes


def chain(bodies: Iterable[str], after_seq: int = 0, after_hash: bytes = GENESIS) -> Iterator[ChainedRecord]:
    """Chain ``bodies`` onto a trail whose last record is (``after_seq``, ``after_hash``)."""
    seq, prev = after_seq, after_hash
    for body in bodies:
        seq += 1
        digest = link_hash(prev, body.encode())
        yield ChainedRecord(seq, prev, body, digest)
        prev = digest
