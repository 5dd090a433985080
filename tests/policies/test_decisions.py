"""Decision tables for starting a bubble and logging in.

Each refusal has an allowed neighbour that differs in one thing, so a broken
rule cannot pass by refusing everything. Both halves of each pair are
checked: the bool, and the ``check_`` twin's exception with its sentence.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from bulle.policies import (
    Policy,
    PolicyDenied,
    RunningBubble,
    bubble_may_continue,
    check_bubble_may_continue,
    check_user_can_login,
    check_user_can_start,
    load_policy,
    startable_bubbles,
    user_can_login,
    user_can_start,
)

FIXTURES = Path(__file__).parent / "fixtures"
PARIS = dt.timezone(dt.timedelta(hours=1))
NOW = dt.datetime(2026, 6, 15, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def policy(tmp_path_factory: pytest.TempPathFactory) -> Policy:
    directory = tmp_path_factory.mktemp("policy") / "policy"
    shutil.copytree(FIXTURES / "base", directory)
    shutil.copyfile(FIXTURES / "cases" / "gamma.happy.yaml", directory / "projects" / "gamma.yaml")
    return load_policy(directory)


def running(*items: tuple[str, str, str]) -> tuple[RunningBubble, ...]:
    return tuple(RunningBubble(*item) for item in items)


START_CASES = [
    # id, user, project, profile, now, running, expected rule (None = allowed)
    ("member-may-start", "alice", "alpha", "notebook", NOW, (), None),
    ("unknown-project", "alice", "omega", "notebook", NOW, (), "project"),
    ("non-member-is-denied", "bob", "alpha", "notebook", NOW, (), "membership"),
    ("platform-admin-is-not-a-member", "ada", "alpha", "notebook", NOW, (), "membership"),
    ("suspended-project-cannot-spawn", "bob", "beta", "notebook", NOW, (), "status"),
    ("first-day-is-open", "gina", "gamma", "notebook", dt.datetime(2026, 2, 1, 0, 0, tzinfo=PARIS), (), None),
    (
        "day-before-opening-is-denied",
        "gina",
        "gamma",
        "notebook",
        dt.datetime(2026, 1, 31, 23, 0, tzinfo=PARIS),
        (),
        "validity",
    ),
    ("last-day-is-open", "gina", "gamma", "notebook", dt.datetime(2026, 12, 31, 23, 30, tzinfo=PARIS), (), None),
    # 23:30 UTC on 31 December is already 1 January in Paris.
    (
        "expired-project-cannot-spawn",
        "gina",
        "gamma",
        "notebook",
        dt.datetime(2026, 12, 31, 23, 30, tzinfo=dt.UTC),
        (),
        "validity",
    ),
    ("allowed-profile", "alice", "alpha", "lab-large", NOW, (), None),
    ("profile-not-allowed-for-project", "alice", "alpha", "gpu", NOW, (), "profile"),
    ("profile-not-offered", "alice", "alpha", "rstudio", NOW, (), "profile"),
    (
        "second-bubble-within-member-quota",
        "alice",
        "alpha",
        "lab-large",
        NOW,
        running(("alice", "alpha", "notebook")),
        None,
    ),
    (
        "member-quota-reached",
        "gina",
        "gamma",
        "gpu",
        NOW,
        running(("gina", "gamma", "notebook")),
        "quota-member",
    ),
    (
        "bubbles-in-other-projects-do-not-count",
        "gina",
        "gamma",
        "gpu",
        NOW,
        running(("gina", "alpha", "notebook")),
        None,
    ),
    (
        "project-quota-reached",
        "alice",
        "gamma",
        "notebook",
        NOW,
        running(("gina", "gamma", "notebook"), ("x", "gamma", "notebook")),
        "quota-project",
    ),
    (
        "cpu-quota-reached",
        "alice",
        "alpha",
        "lab-large",
        NOW,
        running(("chloe", "alpha", "lab-large"), ("chloe", "alpha", "notebook")),
        "quota-cpu",
    ),
    (
        "cpu-quota-just-enough",
        "alice",
        "alpha",
        "notebook",
        NOW,
        running(("chloe", "alpha", "lab-large"), ("chloe", "alpha", "notebook")),
        None,
    ),
]


@pytest.mark.parametrize(
    ("user", "project", "profile", "now", "bubbles", "rule"),
    [case[1:] for case in START_CASES],
    ids=[case[0] for case in START_CASES],
)
def test_start_decision(
    policy: Policy,
    user: str,
    project: str,
    profile: str,
    now: dt.datetime,
    bubbles: tuple[RunningBubble, ...],
    rule: str | None,
) -> None:
    assert user_can_start(policy, user, project, profile, now, bubbles) is (rule is None)
    if rule is None:
        check_user_can_start(policy, user, project, profile, now, bubbles)
        return
    with pytest.raises(PolicyDenied) as denied:
        check_user_can_start(policy, user, project, profile, now, bubbles)
    assert denied.value.rule == rule
    sentence = str(denied.value)
    assert sentence.startswith(f"{user} may not start a {profile!r} bubble in project {project!r}: ")
    assert sentence.endswith(f"(rule: {rule}).")


def test_memory_quota_is_enforced(policy: Policy) -> None:
    # alpha: 32G; two lab-large (8G each) and one more notebook (4G) fit, 16G more would not.
    bubbles = running(("chloe", "alpha", "lab-large"), ("chloe", "alpha", "notebook"))
    assert user_can_start(policy, "alice", "alpha", "notebook", NOW, bubbles)
    tight = policy.projects["alpha"].quotas.model_copy(update={"memory": 12 * 2**30, "cpu": 100.0})
    project = policy.projects["alpha"].model_copy(update={"quotas": tight})
    narrowed = Policy(policy.platform, {**policy.projects, "alpha": project}, policy.files)
    with pytest.raises(PolicyDenied, match=r"16G of memory, over its quota of 12G \(rule: quota-memory\)"):
        check_user_can_start(narrowed, "alice", "alpha", "notebook", NOW, bubbles)


def test_gpu_quota_is_enforced(policy: Policy) -> None:
    roomy = policy.projects["gamma"].quotas.model_copy(update={"cpu": 100.0, "memory": 2**40, "bubbles_per_member": 2})
    project = policy.projects["gamma"].model_copy(update={"quotas": roomy})
    widened = Policy(policy.platform, {**policy.projects, "gamma": project}, policy.files)
    assert user_can_start(widened, "alice", "gamma", "gpu", NOW, running(("gina", "gamma", "notebook")))
    with pytest.raises(PolicyDenied, match=r"2 GPU, over its quota of 1 \(rule: quota-gpu\)"):
        check_user_can_start(widened, "alice", "gamma", "gpu", NOW, running(("gina", "gamma", "gpu")))


def test_sentences_name_the_reason(policy: Policy) -> None:
    cases = {
        ("bob", "alpha", "notebook"): "bob is not a member of this project",
        ("bob", "beta", "notebook"): "the project is suspended",
        ("alice", "alpha", "gpu"): "this project may use only the profiles notebook, lab-large",
        ("alice", "omega", "notebook"): "there is no project 'omega' in the policy",
    }
    for (user, project, profile), reason in cases.items():
        with pytest.raises(PolicyDenied, match=reason):
            check_user_can_start(policy, user, project, profile, NOW)


def test_naive_time_is_refused(policy: Policy) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        user_can_start(policy, "alice", "alpha", "notebook", dt.datetime(2026, 6, 15))  # noqa: DTZ001


@pytest.mark.parametrize(
    ("user", "allowed"),
    [("alice", True), ("ada", True), ("oscar", True), ("bob", True), ("mallory", False)],
    ids=["member", "admin", "output-checker", "member-of-suspended-project", "unknown-user-is-denied"],
)
def test_login_decision(policy: Policy, user: str, allowed: bool) -> None:
    assert user_can_login(policy, user) is allowed
    if allowed:
        check_user_can_login(policy, user)
    else:
        with pytest.raises(PolicyDenied, match=r"mallory may not log in: .* \(rule: known-user\)"):
            check_user_can_login(policy, user)


def test_startable_bubbles_lists_open_projects_and_their_profiles(policy: Policy) -> None:
    def names(user: str, now: dt.datetime) -> list[tuple[str, list[str]]]:
        return [(p.id, [x.name for x in profiles]) for p, profiles in startable_bubbles(policy, user, now)]

    assert names("alice", NOW) == [("alpha", ["notebook", "lab-large"]), ("gamma", ["notebook", "gpu"])]
    assert names("bob", NOW) == []  # beta is suspended
    assert names("ada", NOW) == []  # admin, not a member
    assert names("alice", dt.datetime(2027, 6, 1, tzinfo=dt.UTC)) == [("alpha", ["notebook", "lab-large"])]


CONTINUE_CASES = [
    ("member-bubble-continues", "alice", "alpha", "notebook", NOW, None),
    ("removed-member-is-stopped", "bob", "alpha", "notebook", NOW, "membership"),
    ("suspended-project-is-stopped", "bob", "beta", "notebook", NOW, "status"),
    ("last-day-continues", "gina", "gamma", "notebook", dt.datetime(2026, 12, 31, 22, 0, tzinfo=dt.UTC), None),
    (
        "expired-project-is-stopped",
        "gina",
        "gamma",
        "notebook",
        dt.datetime(2026, 12, 31, 23, 30, tzinfo=dt.UTC),
        "validity",
    ),
    ("profile-no-longer-allowed-is-stopped", "alice", "alpha", "gpu", NOW, "profile"),
    ("project-gone-is-stopped", "alice", "omega", "notebook", NOW, "project"),
]


@pytest.mark.parametrize(
    ("user", "project", "profile", "now", "rule"),
    [case[1:] for case in CONTINUE_CASES],
    ids=[case[0] for case in CONTINUE_CASES],
)
def test_running_bubble_decision(
    policy: Policy, user: str, project: str, profile: str, now: dt.datetime, rule: str | None
) -> None:
    assert bubble_may_continue(policy, user, project, profile, now) is (rule is None)
    if rule is None:
        check_bubble_may_continue(policy, user, project, profile, now)
        return
    with pytest.raises(PolicyDenied) as denied:
        check_bubble_may_continue(policy, user, project, profile, now)
    assert denied.value.rule == rule
    assert str(denied.value).startswith(f"{user} may no longer run a {profile!r} bubble in project {project!r}: ")


def test_quotas_do_not_stop_running_bubbles(policy: Policy) -> None:
    # Quotas only apply at a start: a full project keeps its running bubbles.
    assert bubble_may_continue(policy, "gina", "gamma", "gpu", NOW)
    assert not user_can_start(policy, "gina", "gamma", "gpu", NOW, running(("gina", "gamma", "notebook")))
