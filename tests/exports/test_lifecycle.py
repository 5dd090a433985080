"""The request lifecycle as tables: every status has an owner, every transition an actor and an event."""

from __future__ import annotations

import pytest

from bulle.airlock import Status
from bulle.audit import EVENT_TYPES
from bulle.exports.lifecycle import (
    APPROVALS_NEEDED,
    STATUS_AUDIT_EVENT,
    STATUS_OWNERS,
    TRANSITIONS,
    VALID_TRANSITIONS,
    approvals_missing,
    file_outcome,
    transition,
)
from bulle.exports.model import FileOutcome, Owner, RequestStatus

from .helpers import make_request, requested_file


def test_every_status_has_an_owner() -> None:
    missing = [status for status in RequestStatus if status not in STATUS_OWNERS]
    assert missing == [], f"statuses without an owner: {missing}"


def test_every_transition_has_an_actor_and_a_known_audit_event() -> None:
    for step in TRANSITIONS:
        assert step.actor in (Owner.REQUESTER, Owner.CHECKER), step
        assert step.event in EVENT_TYPES, f"{step.event} is not an audit event type"
        assert STATUS_AUDIT_EVENT[step.target] == step.event


def test_a_checker_transition_leaves_a_status_checkers_own() -> None:
    for step in TRANSITIONS:
        if step.actor is Owner.CHECKER:
            assert step.source is not None
            assert STATUS_OWNERS[step.source] is Owner.CHECKER, step


def test_only_submitted_requests_move_and_final_statuses_stay() -> None:
    assert VALID_TRANSITIONS[None] == {RequestStatus.SUBMITTED}
    assert VALID_TRANSITIONS[RequestStatus.SUBMITTED] == {
        RequestStatus.RELEASED,
        RequestStatus.RETURNED,
        RequestStatus.REJECTED,
        RequestStatus.WITHDRAWN,
    }
    for final in (RequestStatus.RELEASED, RequestStatus.RETURNED, RequestStatus.REJECTED, RequestStatus.WITHDRAWN):
        assert VALID_TRANSITIONS[final] == frozenset(), final
    assert transition(RequestStatus.RELEASED, RequestStatus.SUBMITTED) is None


def test_a_flagged_file_needs_two_approvals_and_a_passed_one_one() -> None:
    assert APPROVALS_NEEDED == {Status.PASS: 1, Status.REVIEW: 2, Status.FAIL: 2}


OUTCOME_CASES = [
    # id, verdict, decisions (path, reviewer, decision), expected outcome
    ("no-decision-is-pending", Status.PASS, (), FileOutcome.PENDING),
    ("one-approval-releases-a-passed-file", Status.PASS, (("ages.csv", "oscar", "approve"),), FileOutcome.APPROVED),
    ("one-approval-is-not-enough-for-review", Status.REVIEW, (("ages.csv", "oscar", "approve"),), FileOutcome.PENDING),
    ("one-approval-is-not-enough-for-fail", Status.FAIL, (("ages.csv", "oscar", "approve"),), FileOutcome.PENDING),
    (
        "two-checkers-approve-a-flagged-file",
        Status.REVIEW,
        (("ages.csv", "oscar", "approve"), ("ages.csv", "olga", "approve")),
        FileOutcome.APPROVED,
    ),
    (
        "the-same-checker-twice-is-one-approval",
        Status.REVIEW,
        (("ages.csv", "oscar", "approve"), ("ages.csv", "oscar", "approve")),
        FileOutcome.PENDING,
    ),
    (
        "a-rejection-stands-over-an-approval",
        Status.PASS,
        (("ages.csv", "oscar", "approve"), ("ages.csv", "olga", "reject")),
        FileOutcome.REJECTED,
    ),
    (
        "a-return-stands-over-an-approval",
        Status.PASS,
        (("ages.csv", "oscar", "approve"), ("ages.csv", "olga", "return")),
        FileOutcome.RETURNED,
    ),
    (
        "a-checker-who-changes-their-mind-counts-once",
        Status.PASS,
        (("ages.csv", "oscar", "reject"), ("ages.csv", "oscar", "approve")),
        FileOutcome.APPROVED,
    ),
    (
        "decisions-on-another-file-do-not-count",
        Status.PASS,
        (("other.csv", "oscar", "approve"),),
        FileOutcome.PENDING,
    ),
]


@pytest.mark.parametrize(
    ("verdict", "decisions", "expected"), [c[1:] for c in OUTCOME_CASES], ids=[c[0] for c in OUTCOME_CASES]
)
def test_file_outcome(verdict: Status, decisions: tuple[tuple[str, str, str], ...], expected: FileOutcome) -> None:
    file = requested_file(verdict=verdict)
    request = make_request(file, requested_file("other.csv"), decisions=decisions)
    assert file_outcome(file, request.decisions) is expected


def test_approvals_missing_counts_distinct_checkers() -> None:
    file = requested_file(verdict=Status.FAIL)
    request = make_request(file, decisions=(("ages.csv", "oscar", "approve"),))
    assert approvals_missing(file, request.decisions) == 1
    request = make_request(file, decisions=(("ages.csv", "oscar", "approve"), ("ages.csv", "olga", "approve")))
    assert approvals_missing(file, request.decisions) == 0
