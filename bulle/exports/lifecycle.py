"""The life of an export request, as tables.

A request is made ``submitted``; output checkers then release it, return it
for changes or reject it, or its requester withdraws it. Every other status
is final (a returned request is answered by a new request, which keeps the
returned one as history):

==============  ==============  ====================  ===================
from            to              made by               audit event
==============  ==============  ====================  ===================
(new)           ``submitted``   the requester         ``airlock.requested``
``submitted``   ``released``    an output checker     ``airlock.released``
``submitted``   ``returned``    an output checker     ``airlock.returned``
``submitted``   ``rejected``    an output checker     ``airlock.rejected``
``submitted``   ``withdrawn``   the requester         ``airlock.withdrawn``
==============  ==============  ====================  ===================

:data:`STATUS_OWNERS` says who acts next in each status (for the pages:
"waiting for an output checker"); a test fails when a status has none.

Per file, the outcome follows from the checkers' latest decisions
(:func:`file_outcome`): a rejection or a return by any checker stands; a
file is approved once enough *different* checkers approve it, one for a file
the automated checks passed, two for a file they flagged ``review`` or
``fail`` (:data:`APPROVALS_NEEDED`); approving a ``fail`` also takes a
written override reason (:data:`OVERRIDE_NEEDED`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from bulle.airlock import Status

from .model import Decision, FileDecision, FileOutcome, Owner, RequestedFile, RequestStatus


@dataclass(frozen=True)
class Transition:
    source: RequestStatus | None  # None: the request is made
    target: RequestStatus
    actor: Owner
    event: str  # the audit event recorded before the change
    verb: str  # what the actor does, for sentences: "release"


TRANSITIONS: tuple[Transition, ...] = (
    Transition(None, RequestStatus.SUBMITTED, Owner.REQUESTER, "airlock.requested", "request"),
    Transition(RequestStatus.SUBMITTED, RequestStatus.RELEASED, Owner.CHECKER, "airlock.released", "release"),
    Transition(RequestStatus.SUBMITTED, RequestStatus.RETURNED, Owner.CHECKER, "airlock.returned", "return"),
    Transition(RequestStatus.SUBMITTED, RequestStatus.REJECTED, Owner.CHECKER, "airlock.rejected", "reject"),
    Transition(RequestStatus.SUBMITTED, RequestStatus.WITHDRAWN, Owner.REQUESTER, "airlock.withdrawn", "withdraw"),
)

VALID_TRANSITIONS: Mapping[RequestStatus | None, frozenset[RequestStatus]] = MappingProxyType(
    {source: frozenset(t.target for t in TRANSITIONS if t.source == source) for source in (None, *RequestStatus)}
)

#: The audit event recorded before a request enters each status.
STATUS_AUDIT_EVENT: Mapping[RequestStatus, str] = MappingProxyType({t.target: t.event for t in TRANSITIONS})

#: What the person does to bring a request into each status ("release"), for sentences and refusals.
STATUS_VERB: Mapping[RequestStatus, str] = MappingProxyType({t.target: t.verb for t in TRANSITIONS})

#: Who acts next on a request in each status.
STATUS_OWNERS: Mapping[RequestStatus, Owner] = MappingProxyType(
    {
        RequestStatus.SUBMITTED: Owner.CHECKER,  # review, then release, return or reject
        RequestStatus.RETURNED: Owner.REQUESTER,  # makes a new request
        RequestStatus.RELEASED: Owner.REQUESTER,  # downloads the released files
        RequestStatus.REJECTED: Owner.NOBODY,
        RequestStatus.WITHDRAWN: Owner.NOBODY,
    }
)

#: The statuses output checkers move requests to (the others are the requester's).
CHECKER_TARGETS = frozenset(t.target for t in TRANSITIONS if t.actor is Owner.CHECKER)

#: The statuses in which output checkers record decisions on files.
REVIEWABLE = frozenset({RequestStatus.SUBMITTED})

#: Different checkers who must approve a file, by the automated checks' verdict.
APPROVALS_NEEDED: Mapping[Status, int] = MappingProxyType({Status.PASS: 1, Status.REVIEW: 2, Status.FAIL: 2})

#: Verdicts whose approval needs a written override reason.
OVERRIDE_NEEDED = frozenset({Status.FAIL})

#: Decisions that need a comment for the requester.
COMMENT_NEEDED = frozenset({FileDecision.REJECT, FileDecision.RETURN})


def transition(source: RequestStatus | None, target: RequestStatus) -> Transition | None:
    """The table's row from ``source`` to ``target``, or None when that move is not allowed."""
    return next((t for t in TRANSITIONS if t.source == source and t.target == target), None)


def latest_decisions(decisions: Iterable[Decision], path: str) -> dict[str, Decision]:
    """Each checker's latest decision on the file ``path`` (``decisions`` are in the order made)."""
    latest: dict[str, Decision] = {}
    for decision in decisions:
        if decision.path == path:
            latest[decision.reviewer] = decision
    return latest


def file_outcome(file: RequestedFile, decisions: Iterable[Decision]) -> FileOutcome:
    """The outcome of ``file`` from the checkers' latest decisions on it."""
    latest = latest_decisions(decisions, file.path).values()
    kinds = [d.decision for d in latest]
    if FileDecision.REJECT in kinds:
        return FileOutcome.REJECTED
    if FileDecision.RETURN in kinds:
        return FileOutcome.RETURNED
    if kinds.count(FileDecision.APPROVE) >= APPROVALS_NEEDED[file.verdict]:
        return FileOutcome.APPROVED
    return FileOutcome.PENDING


def approvals_missing(file: RequestedFile, decisions: Iterable[Decision]) -> int:
    """How many more checkers must approve ``file`` (0 when enough have)."""
    approvals = sum(1 for d in latest_decisions(decisions, file.path).values() if d.decision is FileDecision.APPROVE)
    return max(APPROVALS_NEEDED[file.verdict] - approvals, 0)
