"""The README's demo tour, checked against the demo policy's decisions."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from bulle.demo import DEMO_USERS, write_demo_policy
from bulle.policies import Policy, PolicyDenied, RunningBubble, check_user_can_start, load_policy, startable_bubbles

TODAY = dt.date(2026, 11, 25)
NOW = dt.datetime(2026, 11, 25, 10, 0, tzinfo=dt.UTC)


@pytest.fixture
def demo(tmp_path: Path) -> Policy:
    write_demo_policy(tmp_path, TODAY)
    return load_policy(tmp_path)


def test_demo_users_are_the_policy_users(demo: Policy) -> None:
    assert set(DEMO_USERS) == demo.usernames


def test_tour(demo: Policy) -> None:
    bubbles = {u: [(p.id, [x.name for x in ps]) for p, ps in startable_bubbles(demo, u, NOW)] for u in DEMO_USERS}
    assert bubbles == {
        "alice": [("psy-cohort", ["notebook", "large"])],
        "bob": [("snds-cardio", ["notebook"])],
        "chloe": [("psy-cohort", ["notebook", "large"]), ("snds-cardio", ["notebook"])],
        "oscar": [],
        "ada": [],
    }
    # alice runs both profiles; chloe's large would exceed the project's CPU.
    alice_notebook = RunningBubble("alice", "psy-cohort", "notebook")
    check_user_can_start(demo, "alice", "psy-cohort", "large", NOW, [alice_notebook])
    running = [alice_notebook, RunningBubble("alice", "psy-cohort", "large")]
    with pytest.raises(
        PolicyDenied, match=r"it would bring the project to 10 CPU, over its quota of 8 \(rule: quota-cpu\)"
    ):
        check_user_can_start(demo, "chloe", "psy-cohort", "large", NOW, running)
    with pytest.raises(PolicyDenied, match=r"alice is not a member of this project \(rule: membership\)"):
        check_user_can_start(demo, "alice", "snds-cardio", "notebook", NOW)
    with pytest.raises(PolicyDenied, match=r"the project expired on 2026-10-21 \(rule: validity\)"):
        check_user_can_start(demo, "alice", "pilot-2024", "notebook", NOW)


def test_the_snds_project_has_the_snds_rule_of_11(demo: Policy) -> None:
    assert demo.disclosure_rules("snds-cardio").safe_threshold == 11
    assert demo.disclosure_rules("psy-cohort").safe_threshold == 10
