"""A platform's own check, as a platform package would register it (used by test_registry)."""

from __future__ import annotations

from bulle.airlock import Check, CheckResult, Kind, Output, Status
from bulle.policies import DisclosureRules


def check_cohort_name(output: Output, rules: DisclosureRules) -> CheckResult:
    if b"psy-cohort" in output.content:
        return CheckResult("cohort-name", Status.REVIEW, "names the cohort: check the consortium agreement")
    return CheckResult("cohort-name", Status.PASS, "does not name the cohort")


COHORT_NAME = Check("cohort-name", frozenset({Kind.TEXT}), check_cohort_name, "the cohort is not named")
NOT_A_CHECK = 42
