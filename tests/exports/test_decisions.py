"""Decision tables for the airlock: who may review, decide, change a request's status, see and download.

Each refusal has an allowed neighbour that differs in one thing, so that a
rule cannot pass by refusing everything; both halves of each pair are
checked (the bool, and the ``check_`` twin's exception, its rule and its
sentence).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest

from bulle.airlock import Status
from bulle.exports.decisions import (
    ExportDenied,
    FileAsk,
    check_credentials_can_review,
    check_request_contents,
    check_user_can_change_status,
    check_user_can_decide,
    check_user_can_download,
    check_user_can_review,
    check_user_can_view,
    user_can_change_status,
    user_can_decide,
    user_can_download,
    user_can_review,
    user_can_view,
)
from bulle.exports.model import ExportRequest, FileDecision, RequestStatus
from bulle.policies import Policy, PolicyDenied, check_user_can_export, user_can_export

from .helpers import make_policy, make_request, requested_file, with_status

NOW = dt.datetime(2026, 6, 15, 12, 0, tzinfo=dt.UTC)
APPROVED = (("ages.csv", "oscar", "approve"),)


@pytest.fixture(scope="module")
def policy(tmp_path_factory: pytest.TempPathFactory) -> Policy:
    return make_policy(tmp_path_factory.mktemp("exports") / "policy")


def assert_pair(
    check: Callable[..., None], allowed: Callable[..., bool], args: tuple[object, ...], rule: str | None
) -> PolicyDenied | None:
    """``allowed(*args)`` says ``rule is None``; ``check(*args)`` raises with ``rule`` or passes."""
    assert allowed(*args) is (rule is None)
    if rule is None:
        check(*args)
        return None
    with pytest.raises(PolicyDenied) as refused:
        check(*args)
    assert refused.value.rule == rule
    assert f"(rule: {rule})." in str(refused.value)
    return refused.value


# -- asking ----------------------------------------------------------------------

EXPORT_CASES = [
    ("member-of-open-project-may-ask", "alice", "alpha", None),
    ("non-member-is-denied", "bob", "alpha", "membership"),
    ("checker-not-member-is-denied", "oscar", "alpha", "membership"),
    ("unknown-project-is-denied", "alice", "omega", "project"),
    ("suspended-project-is-denied", "alice", "gamma", "status"),
]


@pytest.mark.parametrize(("user", "project", "rule"), [c[1:] for c in EXPORT_CASES], ids=[c[0] for c in EXPORT_CASES])
def test_who_may_ask_to_export(policy: Policy, user: str, project: str, rule: str | None) -> None:
    assert_pair(check_user_can_export, user_can_export, (policy, user, project, NOW), rule)


def test_asking_after_the_project_ended_is_denied(policy: Policy) -> None:
    later = dt.datetime(2028, 1, 1, 12, 0, tzinfo=dt.UTC)
    assert_pair(check_user_can_export, user_can_export, (policy, "alice", "alpha", later), "validity")


CONTENT_CASES = [
    ("one-file-with-a-justification", "for the paper", [FileAsk("ages.csv", "frequency")], None),
    ("empty-justification", "  ", [FileAsk("ages.csv", "frequency")], "justification"),
    ("no-file", "for the paper", [], "files"),
    ("too-many-files", "why", [FileAsk(f"t{i}.csv", "frequency") for i in range(21)], "files"),
    ("twenty-files", "why", [FileAsk(f"t{i}.csv", "frequency") for i in range(20)], None),
    ("same-file-twice", "why", [FileAsk("a.csv", "frequency"), FileAsk("a.csv", "text")], "files"),
    ("unknown-kind", "why", [FileAsk("ages.csv", "spreadsheet")], "kind"),
    ("statistics-with-counts", "why", [FileAsk("means.csv", "statistics", "means.counts.csv")], None),
    ("counts-on-a-frequency-table", "why", [FileAsk("ages.csv", "frequency", "ages.counts.csv")], "counts"),
    ("its-own-counts-file", "why", [FileAsk("means.csv", "statistics", "means.csv")], "counts"),
    ("nested-path-inside-outbox", "why", [FileAsk("tables/2026/ages.csv", "frequency")], None),
    ("climbs-out-with-dotdot", "why", [FileAsk("../notes.txt", "text")], "outbox-path"),
    ("climbs-out-in-the-middle", "why", [FileAsk("tables/../../x.csv", "frequency")], "outbox-path"),
    ("absolute-path", "why", [FileAsk("/etc/passwd", "text")], "outbox-path"),
    ("counts-file-climbs-out", "why", [FileAsk("m.csv", "statistics", "../m.counts.csv")], "outbox-path"),
    ("empty-part", "why", [FileAsk("tables//ages.csv", "frequency")], "outbox-path"),
]


@pytest.mark.parametrize(
    ("justification", "asks", "rule"), [c[1:] for c in CONTENT_CASES], ids=[c[0] for c in CONTENT_CASES]
)
def test_what_a_request_may_ask(justification: str, asks: list[FileAsk], rule: str | None) -> None:
    if rule is None:
        check_request_contents("alice", "alpha", justification, asks)
        return
    with pytest.raises(ExportDenied) as refused:
        check_request_contents("alice", "alpha", justification, asks)
    assert refused.value.rule == rule
    assert str(refused.value).startswith("alice may not ask to export from project alpha: ")


# -- reviewing ---------------------------------------------------------------------

REVIEW_CASES = [
    ("checker-outside-the-project-may-review", "oscar", {}, None),
    ("second-checker-may-review", "olga", {}, None),
    ("the-requester-never-reviews", "alice", {}, "self-review"),
    ("a-checker-never-reviews-their-own-request", "carl", {"requester": "carl"}, "self-review"),
    ("a-checker-member-of-the-project-is-denied", "carl", {}, "project-member"),
    ("a-checker-of-another-project-request-may", "carl", {"requester": "bob", "project": "beta"}, None),
    ("a-non-checker-is-denied", "bob", {}, "output-checker"),
    ("an-administrator-is-not-a-checker", "ada", {}, "output-checker"),
    ("a-released-request-is-not-reviewed", "oscar", {"status": RequestStatus.RELEASED}, "state"),
    ("a-withdrawn-request-is-not-reviewed", "oscar", {"status": RequestStatus.WITHDRAWN}, "state"),
]


@pytest.mark.parametrize(("user", "changes", "rule"), [c[1:] for c in REVIEW_CASES], ids=[c[0] for c in REVIEW_CASES])
def test_who_may_review(policy: Policy, user: str, changes: dict[str, object], rule: str | None) -> None:
    request = make_request(**changes)  # type: ignore[arg-type]
    refused = assert_pair(check_user_can_review, user_can_review, (policy, user, request), rule)
    if refused is not None:
        assert str(refused).startswith(f"{user} may not review request {request.id} of project {request.project}: ")


def test_the_self_review_sentence_names_the_user_request_and_rule(policy: Policy) -> None:
    request = make_request()
    with pytest.raises(ExportDenied) as refused:
        check_user_can_review(policy, "alice", request)
    assert str(refused.value) == (
        "alice may not review request 20260501-0a0b0c0d of project alpha: alice made this request, "
        "and nobody reviews their own request (rule: self-review)."
    )


DECIDE_CASES = [
    # id, verdict, decision, comment, override reason, expected rule
    ("approve-a-passed-file", Status.PASS, "approve", "", None, None),
    ("reject-with-a-comment", Status.PASS, "reject", "cell under 10", None, None),
    ("reject-without-a-comment", Status.PASS, "reject", " ", None, "comment"),
    ("return-with-a-comment", Status.REVIEW, "return", "round to 5", None, None),
    ("return-without-a-comment", Status.REVIEW, "return", "", None, "comment"),
    ("approve-a-review-file", Status.REVIEW, "approve", "", None, None),
    ("approve-a-failed-file-with-an-override", Status.FAIL, "approve", "", "suppressed by the journal", None),
    ("approve-a-failed-file-without-an-override", Status.FAIL, "approve", "ok", None, "override-reason"),
    ("approve-a-failed-file-with-a-blank-override", Status.FAIL, "approve", "ok", "  ", "override-reason"),
    ("reject-a-failed-file-needs-no-override", Status.FAIL, "reject", "fails threshold", None, None),
]


@pytest.mark.parametrize(
    ("verdict", "decision", "comment", "override", "rule"),
    [c[1:] for c in DECIDE_CASES],
    ids=[c[0] for c in DECIDE_CASES],
)
def test_what_a_checker_may_decide(
    policy: Policy, verdict: Status, decision: str, comment: str, override: str | None, rule: str | None
) -> None:
    request = make_request(requested_file(verdict=verdict))
    args = (policy, "oscar", request, "ages.csv", FileDecision(decision), comment, override)
    assert_pair(check_user_can_decide, user_can_decide, args, rule)


def test_deciding_on_a_file_the_request_does_not_hold_is_denied(policy: Policy) -> None:
    args = (policy, "oscar", make_request(), "other.csv", FileDecision.APPROVE, "", None)
    assert_pair(check_user_can_decide, user_can_decide, args, "file")


@pytest.mark.parametrize(
    ("review_scope", "rule"), [(True, None), (False, "scope")], ids=["hub-session", "narrow-token"]
)
def test_checkers_act_only_with_the_review_scope(review_scope: bool, rule: str | None) -> None:
    request = make_request()
    if rule is None:
        check_credentials_can_review("oscar", request, review_scope)
        return
    with pytest.raises(ExportDenied) as refused:
        check_credentials_can_review("oscar", request, review_scope)
    assert refused.value.rule == rule
    assert "custom:bulle:review-outputs" in str(refused.value)


def test_the_requester_cannot_decide_on_their_own_file(policy: Policy) -> None:
    args = (policy, "alice", make_request(), "ages.csv", FileDecision.APPROVE, "", None)
    assert_pair(check_user_can_decide, user_can_decide, args, "self-review")


# -- changing the status -------------------------------------------------------------

FLAGGED = requested_file("ages.csv", Status.REVIEW)
PASSED = requested_file("ages.csv", Status.PASS)
OTHER = requested_file("sex.csv", Status.PASS)

STATUS_CASES: list[tuple[str, str, ExportRequest, RequestStatus, str | None]] = [
    ("release-an-approved-file", "oscar", make_request(PASSED, decisions=APPROVED), RequestStatus.RELEASED, None),
    ("release-an-undecided-file", "oscar", make_request(PASSED), RequestStatus.RELEASED, "undecided"),
    (
        "one-approval-is-not-enough-for-a-flagged-file",
        "oscar",
        make_request(FLAGGED, decisions=APPROVED),
        RequestStatus.RELEASED,
        "undecided",
    ),
    (
        "two-approvals-release-a-flagged-file",
        "oscar",
        make_request(FLAGGED, decisions=(*APPROVED, ("ages.csv", "olga", "approve"))),
        RequestStatus.RELEASED,
        None,
    ),
    (
        "release-approved-and-rejected-files",
        "olga",
        make_request(PASSED, OTHER, decisions=(*APPROVED, ("sex.csv", "oscar", "reject"))),
        RequestStatus.RELEASED,
        None,
    ),
    (
        "release-with-a-returned-file",
        "oscar",
        make_request(PASSED, OTHER, decisions=(*APPROVED, ("sex.csv", "oscar", "return"))),
        RequestStatus.RELEASED,
        "returned-files",
    ),
    (
        "release-with-everything-rejected",
        "oscar",
        make_request(PASSED, decisions=(("ages.csv", "oscar", "reject"),)),
        RequestStatus.RELEASED,
        "nothing-approved",
    ),
    (
        "the-requester-cannot-release",
        "alice",
        make_request(PASSED, decisions=APPROVED),
        RequestStatus.RELEASED,
        "self-review",
    ),
    (
        "a-project-member-checker-cannot-release",
        "carl",
        make_request(PASSED, decisions=APPROVED),
        RequestStatus.RELEASED,
        "project-member",
    ),
    (
        "a-released-request-is-not-released-again",
        "oscar",
        with_status(make_request(PASSED, decisions=APPROVED), RequestStatus.RELEASED),
        RequestStatus.RELEASED,
        "state",
    ),
    (
        "return-a-returned-file",
        "oscar",
        make_request(PASSED, decisions=(("ages.csv", "oscar", "return"),)),
        RequestStatus.RETURNED,
        None,
    ),
    ("return-without-a-returned-file", "oscar", make_request(PASSED), RequestStatus.RETURNED, "nothing-returned"),
    (
        "reject-when-every-file-is-rejected",
        "oscar",
        make_request(PASSED, decisions=(("ages.csv", "olga", "reject"),)),
        RequestStatus.REJECTED,
        None,
    ),
    (
        "reject-with-a-file-approved",
        "oscar",
        make_request(PASSED, OTHER, decisions=(*APPROVED, ("sex.csv", "oscar", "reject"))),
        RequestStatus.REJECTED,
        "not-all-rejected",
    ),
    ("the-requester-withdraws", "alice", make_request(PASSED), RequestStatus.WITHDRAWN, None),
    ("a-checker-cannot-withdraw", "oscar", make_request(PASSED), RequestStatus.WITHDRAWN, "requester"),
    (
        "a-released-request-cannot-be-withdrawn",
        "alice",
        with_status(make_request(PASSED), RequestStatus.RELEASED),
        RequestStatus.WITHDRAWN,
        "state",
    ),
    ("nothing-goes-back-to-submitted", "alice", make_request(PASSED), RequestStatus.SUBMITTED, "state"),
]


@pytest.mark.parametrize(
    ("user", "request_", "target", "rule"), [c[1:] for c in STATUS_CASES], ids=[c[0] for c in STATUS_CASES]
)
def test_who_may_change_a_request_status(
    policy: Policy, user: str, request_: ExportRequest, target: RequestStatus, rule: str | None
) -> None:
    assert_pair(check_user_can_change_status, user_can_change_status, (policy, user, request_, target), rule)


# -- seeing and downloading ------------------------------------------------------------

VIEW_CASES = [
    ("the-requester-sees-it", "alice", None),
    ("a-checker-who-may-review-sees-it", "oscar", None),
    ("a-project-member-checker-does-not", "carl", "not-involved"),
    ("another-researcher-does-not", "bob", "not-involved"),
    ("an-administrator-does-not", "ada", "not-involved"),
]


@pytest.mark.parametrize(("user", "rule"), [c[1:] for c in VIEW_CASES], ids=[c[0] for c in VIEW_CASES])
def test_who_may_see_a_request(policy: Policy, user: str, rule: str | None) -> None:
    assert_pair(check_user_can_view, user_can_view, (policy, user, make_request()), rule)


RELEASED = with_status(
    make_request(PASSED, OTHER, decisions=(*APPROVED, ("sex.csv", "oscar", "reject"))), RequestStatus.RELEASED
)

DOWNLOAD_CASES = [
    ("the-requester-downloads-a-released-file", "alice", RELEASED, "ages.csv", None),
    ("a-checker-does-not-download", "oscar", RELEASED, "ages.csv", "requester"),
    ("another-member-does-not-download", "carl", RELEASED, "ages.csv", "requester"),
    ("a-rejected-file-is-not-downloaded", "alice", RELEASED, "sex.csv", "not-released"),
    ("an-unknown-file-is-not-downloaded", "alice", RELEASED, "other.csv", "not-released"),
    (
        "an-approved-file-of-an-unreleased-request-is-not-downloaded",
        "alice",
        with_status(RELEASED, RequestStatus.SUBMITTED),
        "ages.csv",
        "not-released",
    ),
]


@pytest.mark.parametrize(
    ("user", "request_", "path", "rule"), [c[1:] for c in DOWNLOAD_CASES], ids=[c[0] for c in DOWNLOAD_CASES]
)
def test_who_may_download(policy: Policy, user: str, request_: ExportRequest, path: str, rule: str | None) -> None:
    assert_pair(check_user_can_download, user_can_download, (policy, user, request_, path), rule)


def test_policy_fixture_is_valid(tmp_path: Path) -> None:
    assert make_policy(tmp_path / "p").platform.roles.output_checkers == ("oscar", "olga", "carl")
