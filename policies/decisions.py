"""Access decisions: pure functions of the policy, the request and the time.

Each rule comes as a pair, as in OpenSAFELY's airlock:
``check_<who>_can_<action>(...)`` raises :class:`PolicyDenied` whose sentence
names the user, the object and the rule; ``<who>_can_<action>(...)`` returns a
bool for display. The clock is an argument (``now``, timezone-aware), never
read here, and so is the set of bubbles already running.

Rules for starting a bubble, checked in this order (the first failing one is
reported):

=================  ===========================================================
rule               refuses when
=================  ===========================================================
``project``        the project is not in the policy
``membership``     the user is not a member of the project
``status``         the project is suspended or closed
``validity``       today (in the platform time zone) is outside valid_from..valid_until
``profile``        the profile is not offered or not allowed for the project
``quota-member``   the user already runs ``bubbles_per_member`` bubbles in it
``quota-project``  the project already runs ``bubbles_per_project`` bubbles
``quota-cpu``      the project's running bubbles plus this one exceed its CPU cap
``quota-memory``   … its memory cap
``quota-gpu``      … its GPU cap
=================  ===========================================================

Asking to export outputs from a project through the airlock
(:func:`check_user_can_export`) takes the first four rules: ``project``,
``membership``, ``status`` and ``validity``. Who may review a request is
decided in :mod:`bulle.exports.decisions`, which needs the request itself.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol

from .errors import PolicyDenied
from .model import Profile, Project, ProjectStatus
from .policy import Policy
from .units import format_memory


@dataclass(frozen=True)
class RunningBubble:
    """A bubble that is running or starting, as the spawner sees it."""

    user: str
    project: str
    profile: str


def check_user_can_login(policy: Policy, user: str) -> None:
    """Only users the policy knows (members or platform role holders) may log in."""
    if user not in policy.usernames:
        raise PolicyDenied(
            user,
            "bulle",
            "known-user",
            f"{user} may not log in: {user} is not a member of any project and holds no "
            "platform role in the policy (rule: known-user). Ask an administrator to add you.",
        )


def user_can_login(policy: Policy, user: str) -> bool:
    return allowed(check_user_can_login, policy, user)


def check_user_can_start(
    policy: Policy,
    user: str,
    project_id: str,
    profile_name: str,
    now: dt.datetime,
    running: Iterable[RunningBubble] = (),
) -> None:
    """Raise :class:`PolicyDenied` unless ``user`` may start this bubble at ``now``."""
    deny = _denial(user, project_id, f"may not start a {profile_name!r} bubble in project {project_id!r}")
    project, profile = _check_bubble_allowed(policy, user, project_id, profile_name, now, deny)
    _check_quotas(project, user, profile, policy, [b for b in running if b.project == project.id], deny)


def user_can_start(
    policy: Policy,
    user: str,
    project_id: str,
    profile_name: str,
    now: dt.datetime,
    running: Iterable[RunningBubble] = (),
) -> bool:
    return allowed(check_user_can_start, policy, user, project_id, profile_name, now, tuple(running))


def check_bubble_may_continue(policy: Policy, user: str, project_id: str, profile_name: str, now: dt.datetime) -> None:
    """Raise :class:`PolicyDenied` unless a running bubble may go on running at ``now``.

    The rules of a start except the quotas, which only apply when a bubble
    starts: a hub that finds bubbles still running when it starts (they
    outlived it) stops those the policy it loaded no longer allows.
    """
    deny = _denial(user, project_id, f"may no longer run a {profile_name!r} bubble in project {project_id!r}")
    _check_bubble_allowed(policy, user, project_id, profile_name, now, deny)


def bubble_may_continue(policy: Policy, user: str, project_id: str, profile_name: str, now: dt.datetime) -> bool:
    return allowed(check_bubble_may_continue, policy, user, project_id, profile_name, now)


def check_user_can_export(policy: Policy, user: str, project_id: str, now: dt.datetime) -> None:
    """Raise :class:`PolicyDenied` unless ``user`` may ask to export outputs of ``project_id`` at ``now``."""
    deny = _denial(user, project_id, f"may not ask to export outputs of project {project_id!r}")
    project = policy.project(project_id)
    if project is None:
        raise deny("project", f"there is no project {project_id!r} in the policy")
    _check_member_of_open_project(policy, user, project, now, deny)


def user_can_export(policy: Policy, user: str, project_id: str, now: dt.datetime) -> bool:
    return allowed(check_user_can_export, policy, user, project_id, now)


def _denial(user: str, project_id: str, what: str) -> _Deny:
    def deny(rule: str, reason: str) -> PolicyDenied:
        return PolicyDenied(user, project_id, rule, f"{user} {what}: {reason} (rule: {rule}).")

    return deny


def _check_bubble_allowed(
    policy: Policy, user: str, project_id: str, profile_name: str, now: dt.datetime, deny: _Deny
) -> tuple[Project, Profile]:
    project = policy.project(project_id)
    if project is None:
        raise deny("project", f"there is no project {project_id!r} in the policy")
    _check_member_of_open_project(policy, user, project, now, deny)
    profile = policy.profile(profile_name)
    if profile is None or profile_name not in project.profiles:
        allowed = ", ".join(project.profiles)
        raise deny("profile", f"this project may use only the profiles {allowed}")
    return project, profile


def startable_bubbles(policy: Policy, user: str, now: dt.datetime) -> tuple[tuple[Project, tuple[Profile, ...]], ...]:
    """The user's open projects, each with the profiles it allows, for the spawn form.

    Quotas are not applied here: a full quota is a reason given at start time.
    """
    found = []
    for project in policy.projects_of(user):
        try:
            _check_member_of_open_project(policy, user, project, now, _raise_plain)
        except PolicyDenied:
            continue
        profiles = tuple(p for name in project.profiles if (p := policy.profile(name)) is not None)
        found.append((project, profiles))
    return tuple(found)


def _raise_plain(rule: str, reason: str) -> PolicyDenied:
    return PolicyDenied("", "", rule, reason)


def _check_member_of_open_project(policy: Policy, user: str, project: Project, now: dt.datetime, deny: _Deny) -> None:
    if project.member(user) is None:
        raise deny("membership", f"{user} is not a member of this project")
    if project.status is not ProjectStatus.approved:
        raise deny("status", f"the project is {project.status.value}")
    today = policy.day(now)
    if today < project.valid_from:
        raise deny("validity", f"the project opens on {project.valid_from.isoformat()}")
    if today > project.valid_until:
        raise deny("validity", f"the project expired on {project.valid_until.isoformat()}")


def _check_quotas(
    project: Project,
    user: str,
    profile: Profile,
    policy: Policy,
    running: list[RunningBubble],
    deny: _Deny,
) -> None:
    quotas = project.quotas
    mine = sum(1 for b in running if b.user == user)
    if mine >= quotas.bubbles_per_member:
        raise deny(
            "quota-member",
            f"{user} already runs {mine} bubble{'s' if mine != 1 else ''} in this project, "
            f"the limit per member; stop one first",
        )
    if len(running) >= quotas.bubbles_per_project:
        raise deny("quota-project", f"the project already runs {len(running)} bubbles, its limit")
    profiles = [p for b in running if (p := policy.profile(b.profile)) is not None]
    cpu = sum(p.cpu for p in profiles) + profile.cpu
    if cpu > quotas.cpu:
        raise deny("quota-cpu", f"it would bring the project to {cpu:g} CPU, over its quota of {quotas.cpu:g}")
    memory = sum(p.memory for p in profiles) + profile.memory
    if memory > quotas.memory:
        raise deny(
            "quota-memory",
            f"it would bring the project to {format_memory(memory)} of memory, "
            f"over its quota of {format_memory(quotas.memory)}",
        )
    gpu = sum(p.gpu for p in profiles) + profile.gpu
    if gpu > quotas.gpu:
        raise deny("quota-gpu", f"it would bring the project to {gpu} GPU, over its quota of {quotas.gpu}")


class _Deny(Protocol):
    def __call__(self, rule: str, reason: str) -> PolicyDenied: ...


def allowed(check: Callable[..., None], *args: object) -> bool:
    """Whether ``check(*args)`` passes: the bool twin of a ``check_`` decision."""
    try:
        check(*args)
    except PolicyDenied:
        return False
    return True
