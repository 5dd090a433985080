"""Export requests as plain values, shared by the workflow, the decisions and the pages.

Vocabulary:

- an **export request** (:class:`ExportRequest`) asks to take files out of a
  member's *outbox* (the ``outbox/`` folder of their project workspace),
  with a *justification*; it belongs to a project, a *requester* and the
  bubble it was made from, and has a *status* (:class:`RequestStatus`);
  its *data* notes the extract version that bubble read and the warehouse
  snapshots behind it (:func:`bulle.exports.release.extract_snapshots`);
- a **requested file** (:class:`RequestedFile`) is named by its path inside
  the outbox and declared of a *kind* (``frequency``, ``statistics``,
  ``model``, ``figure``, ``text``). Its SHA-256 and size are *pinned*: the
  hub read the file itself when the request was made, kept those bytes, and
  ran the automated checks on them (the *verdict* ``pass``, ``review`` or
  ``fail``, and the *report*). A statistics table may name its *counts
  file*, evidence for the checks that is never released;
- a **decision** (:class:`Decision`) is one output checker's ``approve``,
  ``reject`` or ``return`` (for changes) on one file, with a comment, and an
  *override reason* to approve a file the checks failed. A checker may
  change their mind while the request is under review: their latest
  decision counts, and every one is kept;
- a file's **outcome** (:class:`FileOutcome`) follows from the decisions
  (:func:`bulle.exports.lifecycle.file_outcome`);
- a **status change** (:class:`StatusChange`) is one step of the request's
  history: who moved it from which status to which, when, and why.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from bulle.airlock import Kind, Status


class RequestStatus(StrEnum):
    SUBMITTED = "submitted"  # waiting for output checkers
    RETURNED = "returned"  # sent back for changes: the requester makes a new request
    REJECTED = "rejected"  # nothing leaves
    RELEASED = "released"  # approved files are in the release area; the requester downloads them
    WITHDRAWN = "withdrawn"  # the requester took it back before a decision


class FileDecision(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"
    RETURN = "return"


class FileOutcome(StrEnum):
    PENDING = "pending"  # not enough decisions yet
    APPROVED = "approved"
    REJECTED = "rejected"
    RETURNED = "returned"


class Owner(StrEnum):
    """Who acts on a request in a given status, or makes a given transition."""

    REQUESTER = "requester"
    CHECKER = "output checker"
    NOBODY = "nobody"


@dataclass(frozen=True)
class RequestedFile:
    path: str
    kind: Kind
    sha256: str
    size: int
    verdict: Status
    report: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    counts_path: str | None = None
    counts_sha256: str | None = None

    def pinned(self) -> dict[str, Any]:
        """What was pinned at request time, as plain values (for the audit record, the store and the API)."""
        return {
            "path": self.path,
            "kind": self.kind.value,
            "sha256": self.sha256,
            "size": self.size,
            "verdict": self.verdict.value,
            "counts_path": self.counts_path,
            "counts_sha256": self.counts_sha256,
        }


@dataclass(frozen=True)
class Decision:
    path: str
    reviewer: str
    decision: FileDecision
    comment: str
    time: str
    override_reason: str | None = None


@dataclass(frozen=True)
class StatusChange:
    source: RequestStatus | None  # None: the request was made
    target: RequestStatus
    actor: str
    time: str
    comment: str = ""


@dataclass(frozen=True)
class ExportRequest:
    id: str
    project: str
    requester: str
    server: str  # the requester's bubble it was made from
    justification: str
    status: RequestStatus
    created: str
    files: tuple[RequestedFile, ...]
    decisions: tuple[Decision, ...] = ()
    history: tuple[StatusChange, ...] = ()
    data: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))  # the extract the bubble read

    @property
    def bubble(self) -> str:
        return f"{self.requester}/{self.server}"

    def file(self, path: str) -> RequestedFile | None:
        return next((f for f in self.files if f.path == path), None)

    def require_file(self, path: str) -> RequestedFile:
        """The file ``path`` of this request; LookupError when it has none."""
        found = self.file(path)
        if found is None:
            raise LookupError(f"request {self.id} has no file {path!r}")
        return found

    def decisions_on(self, path: str) -> tuple[Decision, ...]:
        return tuple(d for d in self.decisions if d.path == path)
