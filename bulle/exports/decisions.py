"""Who may do what with an export request: pure functions of the policy and the request.

Each rule is a pair, as in :mod:`bulle.policies.decisions`:
``check_user_can_<action>(...)`` raises :class:`ExportDenied`, whose sentence
names the user, the request and the rule; ``user_can_<action>(...)`` returns
a bool for the pages. Deny by default: a user is allowed only when every
rule passes. Rules, in the order they are checked (the first failing one is
reported):

=====================  ==================================================================
rule                   refuses when
=====================  ==================================================================
``self-review``        the reviewer made the request: nobody reviews their own request
``output-checker``     the reviewer is not in the policy's ``roles.output_checkers``
``project-member``     the reviewer is a member of the request's project
``state``              the request's status does not allow the action (see :mod:`.lifecycle`)
``scope``              a checker acts with credentials without the review scope (a bubble's token)
``file``               the request has no such file
``comment``            a rejection or a return without a comment for the requester
``override-reason``    an approval of a file the checks failed, without an override reason
``undecided``          a release while a file still waits for decisions (or approvals)
``returned-files``     a release while a checker returned a file: return the request instead
``nothing-approved``   a release with no approved file
``nothing-returned``   a return with no file returned
``not-all-rejected``   a rejection while a file is not rejected
``requester``          someone else than the requester withdraws the request or downloads from it
``not-involved``       someone who neither made the request nor may review it looks at it
``not-released``       a download of a file that was not released
=====================  ==================================================================

Asking for an export is decided by
:func:`bulle.policies.check_user_can_export` (membership of an open project)
and :func:`check_request_contents` (what is asked).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from bulle.airlock import Kind
from bulle.policies import Policy, PolicyDenied
from bulle.policies.decisions import allowed
from bulle.policies.jupyterhub import REVIEW_OUTPUTS_SCOPE

from .lifecycle import COMMENT_NEEDED, OVERRIDE_NEEDED, REVIEWABLE, file_outcome, transition
from .model import ExportRequest, FileDecision, FileOutcome, Owner, RequestStatus
from .outbox import OutboxPathRefused, outbox_parts

MAX_FILES = 20
MAX_JUSTIFICATION = 4000
MAX_COMMENT = 4000


class ExportDenied(PolicyDenied):
    """An airlock action refused; ``target`` is the request id (or the project, for a new request)."""


class _Deny(Protocol):
    def __call__(self, rule: str, reason: str) -> ExportDenied: ...


def _denial(user: str, request: ExportRequest, what: str) -> _Deny:
    def deny(rule: str, reason: str) -> ExportDenied:
        sentence = f"{user} may not {what} request {request.id} of project {request.project}: {reason} (rule: {rule})."
        return ExportDenied(user, request.id, rule, sentence)

    return deny


# -- reviewing ----------------------------------------------------------------


def _reviewer_refusal(policy: Policy, user: str, request: ExportRequest) -> tuple[str, str] | None:
    """(rule, reason) why ``user`` may never review ``request``, or None when they may."""
    if user == request.requester:
        return "self-review", f"{user} made this request, and nobody reviews their own request"
    if user not in policy.platform.roles.output_checkers:
        return "output-checker", f"{user} is not an output checker (platform.yaml roles.output_checkers)"
    project = policy.project(request.project)
    if project is not None and project.member(user) is not None:
        return (
            "project-member",
            f"{user} is a member of project {request.project}, and output checkers never review their own projects",
        )
    return None


def _check_reviewer(policy: Policy, user: str, request: ExportRequest, deny: _Deny) -> None:
    refusal = _reviewer_refusal(policy, user, request)
    if refusal is not None:
        raise deny(*refusal)


def _check_reviewable(request: ExportRequest, deny: _Deny) -> None:
    if request.status not in REVIEWABLE:
        raise deny("state", f"the request is {request.status.value}, no longer under review")


def check_credentials_can_review(user: str, request: ExportRequest, review_scope: bool) -> None:
    """Checkers act with credentials holding the review scope: their hub session, never a bubble's token.

    Checked after the policy's rules, so that a requester or a member is told
    that rule rather than this one.
    """
    if not review_scope:
        deny = _denial(user, request, "review")
        raise deny(
            "scope",
            f"these credentials lack {REVIEW_OUTPUTS_SCOPE}; output checkers act from the hub, "
            "never with a bubble's token",
        )


def check_user_can_review(policy: Policy, user: str, request: ExportRequest) -> None:
    """``user`` may record decisions on the files of ``request`` now."""
    deny = _denial(user, request, "review")
    _check_reviewer(policy, user, request, deny)
    _check_reviewable(request, deny)


def user_can_review(policy: Policy, user: str, request: ExportRequest) -> bool:
    return allowed(check_user_can_review, policy, user, request)


def check_user_can_decide(
    policy: Policy,
    user: str,
    request: ExportRequest,
    path: str,
    decision: FileDecision,
    comment: str,
    override_reason: str | None = None,
) -> None:
    """``user`` may record ``decision`` on the file ``path`` of ``request``, with these texts."""
    deny = _denial(user, request, f"{decision.value} {path!r} in")
    _check_reviewer(policy, user, request, deny)
    _check_reviewable(request, deny)
    requested = request.file(path)
    if requested is None:
        raise deny("file", f"the request has no file {path!r}")
    if decision in COMMENT_NEEDED and not comment.strip():
        raise deny("comment", f"to {decision.value} a file, write a comment that tells the requester why")
    if len(comment) > MAX_COMMENT:
        raise deny("comment", f"the comment is longer than {MAX_COMMENT} characters")
    if (
        decision is FileDecision.APPROVE
        and requested.verdict in OVERRIDE_NEEDED
        and not (override_reason or "").strip()
    ):
        raise deny(
            "override-reason",
            f"the automated checks failed {path!r}; approving it takes a written override reason",
        )


def user_can_decide(
    policy: Policy,
    user: str,
    request: ExportRequest,
    path: str,
    decision: FileDecision,
    comment: str,
    override_reason: str | None = None,
) -> bool:
    return allowed(check_user_can_decide, policy, user, request, path, decision, comment, override_reason)


# -- changing the request's status ----------------------------------------------


def _outcomes(request: ExportRequest) -> list[FileOutcome]:
    return [file_outcome(f, request.decisions) for f in request.files]


def _ready_to_release(request: ExportRequest, deny: _Deny) -> None:
    outcomes = _outcomes(request)
    if FileOutcome.PENDING in outcomes:
        waiting = [f.path for f, o in zip(request.files, outcomes, strict=True) if o is FileOutcome.PENDING]
        raise deny("undecided", f"{', '.join(waiting)} still wait(s) for decisions or approvals")
    if FileOutcome.RETURNED in outcomes:
        raise deny("returned-files", "a checker returned a file for changes; return the request instead")
    if FileOutcome.APPROVED not in outcomes:
        raise deny("nothing-approved", "no file is approved; reject the request instead")


def _ready_to_return(request: ExportRequest, deny: _Deny) -> None:
    if FileOutcome.RETURNED not in _outcomes(request):
        raise deny("nothing-returned", "no file was returned for changes; return a file first, with a comment")


def _ready_to_reject(request: ExportRequest, deny: _Deny) -> None:
    if any(o is not FileOutcome.REJECTED for o in _outcomes(request)):
        raise deny("not-all-rejected", "some files are not rejected; reject each file first, with a comment")


def _nothing_more(request: ExportRequest, deny: _Deny) -> None:
    return None


#: What the files must look like for each status change made by a checker.
_READY: dict[RequestStatus, Callable[[ExportRequest, _Deny], None]] = {
    RequestStatus.RELEASED: _ready_to_release,
    RequestStatus.RETURNED: _ready_to_return,
    RequestStatus.REJECTED: _ready_to_reject,
    RequestStatus.WITHDRAWN: _nothing_more,
}


def check_user_can_change_status(policy: Policy, user: str, request: ExportRequest, target: RequestStatus) -> None:
    """``user`` may move ``request`` to ``target`` (release, return, reject, withdraw) now."""
    step = transition(request.status, target)
    verb = step.verb if step is not None else f"move to {target.value}"
    deny = _denial(user, request, verb)
    if step is None:
        raise deny("state", f"the request is {request.status.value}; it cannot be moved to {target.value}")
    if step.actor is Owner.CHECKER:
        _check_reviewer(policy, user, request, deny)
    elif user != request.requester:
        raise deny("requester", f"only {request.requester}, who made the request, may {verb} it")
    _READY[target](request, deny)


def user_can_change_status(policy: Policy, user: str, request: ExportRequest, target: RequestStatus) -> bool:
    return allowed(check_user_can_change_status, policy, user, request, target)


# -- looking and downloading ------------------------------------------------------


def check_user_can_view(policy: Policy, user: str, request: ExportRequest) -> None:
    """``user`` may see ``request``, its files and decisions: its requester, or a checker who may review it."""
    if user == request.requester:
        return
    refusal = _reviewer_refusal(policy, user, request)
    if refusal is not None:
        deny = _denial(user, request, "see")
        raise deny("not-involved", f"only its requester and the output checkers who may review it may: {refusal[1]}")


def user_can_view(policy: Policy, user: str, request: ExportRequest) -> bool:
    return allowed(check_user_can_view, policy, user, request)


def check_user_can_download(policy: Policy, user: str, request: ExportRequest, path: str) -> None:
    """``user`` may download the released file ``path`` of ``request`` from the hub."""
    deny = _denial(user, request, f"download {path!r} from")
    if user != request.requester:
        raise deny("requester", f"only {request.requester}, who made the request, downloads its released files")
    if request.status is not RequestStatus.RELEASED:
        raise deny("not-released", f"the request is {request.status.value}, not released")
    requested = request.file(path)
    if requested is None or file_outcome(requested, request.decisions) is not FileOutcome.APPROVED:
        raise deny("not-released", f"{path!r} was not released")


def user_can_download(policy: Policy, user: str, request: ExportRequest, path: str) -> bool:
    return allowed(check_user_can_download, policy, user, request, path)


# -- what a new request asks ---------------------------------------------------------


@dataclass(frozen=True)
class FileAsk:
    """One file as the requester asks for it: its path in the outbox, its kind, its counts file."""

    path: str
    kind: str
    counts: str | None = None


def check_request_contents(
    user: str, project: str, justification: str, asks: Sequence[FileAsk], max_files: int = MAX_FILES
) -> None:
    """The files and justification of a new request are acceptable; :class:`ExportDenied` otherwise.

    Rules: ``justification`` (present, bounded), ``files`` (1 to ``max_files``,
    no file twice), ``kind`` (a known kind), ``counts`` (only for statistics,
    not the file itself), ``outbox-path`` (every path stays inside the outbox).
    """

    def deny(rule: str, reason: str) -> ExportDenied:
        sentence = f"{user} may not ask to export from project {project}: {reason} (rule: {rule})."
        return ExportDenied(user, project, rule, sentence)

    if not justification.strip():
        raise deny("justification", "say why these outputs should leave: the justification is empty")
    if len(justification) > MAX_JUSTIFICATION:
        raise deny("justification", f"the justification is longer than {MAX_JUSTIFICATION} characters")
    if not 0 < len(asks) <= max_files:
        raise deny("files", f"a request holds 1 to {max_files} files, not {len(asks)}")
    seen: set[str] = set()
    kinds = {k.value for k in Kind}
    for ask in asks:
        for path in (ask.path, ask.counts):
            if path is not None:
                try:
                    outbox_parts(path)
                except OutboxPathRefused as refused:
                    raise deny("outbox-path", str(refused)) from None
        if ask.path in seen:
            raise deny("files", f"{ask.path!r} is asked for twice")
        seen.add(ask.path)
        if ask.kind not in kinds:
            raise deny("kind", f"{ask.kind!r} is not a kind of output; say one of {', '.join(sorted(kinds))}")
        if ask.counts is not None and ask.kind != Kind.STATISTICS.value:
            raise deny("counts", f"only a statistics table comes with a counts file, not a {ask.kind} output")
        if ask.counts == ask.path:
            raise deny("counts", f"{ask.path!r} cannot be its own counts file")
