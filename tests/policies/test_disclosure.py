"""The airlock's rule parameters in the policy: profiles, platform overrides, stricter projects."""

from __future__ import annotations

from pathlib import Path

import pytest

from bulle.policies import DISCLOSURE_PROFILES, Policy, PolicyError, parse_policy

BASE = Path(__file__).parent / "fixtures" / "base"


def _texts(platform_airlock: str = "", project_airlock: str = "") -> dict[str, str]:
    return {
        "platform.yaml": (BASE / "platform.yaml").read_text() + platform_airlock,
        "projects/alpha.yaml": (BASE / "projects" / "alpha.yaml").read_text() + project_airlock,
    }


def _policy(platform_airlock: str = "", project_airlock: str = "") -> Policy:
    loaded = parse_policy(_texts(platform_airlock, project_airlock))
    assert isinstance(loaded, Policy), loaded
    return loaded


def _errors(platform_airlock: str = "", project_airlock: str = "") -> list[str]:
    loaded = parse_policy(_texts(platform_airlock, project_airlock))
    assert isinstance(loaded, list)
    return [f"{e.key}: {e.message}" for e in loaded if isinstance(e, PolicyError)]


def test_the_default_profile_is_acros_default_yaml() -> None:
    # The values of ACRO's acro/default.yaml (SACRO), plus bulle's row and size caps.
    assert DISCLOSURE_PROFILES["default"].model_dump() == {
        "safe_threshold": 10,
        "safe_dof_threshold": 10,
        "safe_nk_n": 2,
        "safe_nk_k": 0.90,
        "safe_pratio_p": 0.10,
        "zeros_are_disclosive": True,
        "max_table_rows": 1000,
        "max_file_size": 10 * 1024**2,
    }


def test_the_casd_profile_differs_only_by_the_threshold_of_11() -> None:
    default, casd = DISCLOSURE_PROFILES["default"].model_dump(), DISCLOSURE_PROFILES["casd"].model_dump()
    assert {k: v for k, v in casd.items() if default[k] != v} == {"safe_threshold": 11}


def test_a_policy_without_airlock_sections_uses_the_default_profile() -> None:
    policy = _policy()
    assert policy.disclosure_rules() == DISCLOSURE_PROFILES["default"]
    assert policy.disclosure_rules("alpha") == DISCLOSURE_PROFILES["default"]


def test_platform_profile_and_overrides_then_a_stricter_project() -> None:
    policy = _policy(
        "airlock:\n  profile: casd\n  max_file_size: 2M\n",
        "airlock:\n  safe_threshold: 20\n  safe_nk_k: 0.8\n",
    )
    platform = policy.disclosure_rules()
    assert (platform.safe_threshold, platform.max_file_size) == (11, 2 * 1024**2)
    project = policy.disclosure_rules("alpha")
    assert (project.safe_threshold, project.safe_nk_k, project.max_file_size) == (20, 0.8, 2 * 1024**2)


@pytest.mark.parametrize(
    ("project_airlock", "errors"),
    [
        ("airlock:\n  safe_threshold: 11\n", []),
        (
            "airlock:\n  safe_threshold: 10\n",
            [
                "airlock.safe_threshold: 10 is less strict than the platform's 11; "
                "a project may only make the disclosure rules stricter (raise it)"
            ],
        ),
        ("airlock:\n  max_table_rows: 100\n", []),
        (
            "airlock:\n  max_table_rows: 5000\n",
            [
                "airlock.max_table_rows: 5000 is less strict than the platform's 1000; "
                "a project may only make the disclosure rules stricter (lower it)"
            ],
        ),
    ],
    ids=["equal-to-casd-allowed", "under-casd-refused", "fewer-rows-allowed", "more-rows-refused"],
)
def test_a_project_may_only_tighten_the_platform_rules(project_airlock: str, errors: list[str]) -> None:
    platform = "airlock:\n  profile: casd\n"
    if errors:
        assert _errors(platform, project_airlock) == errors
    else:
        _policy(platform, project_airlock)


def test_a_project_cannot_choose_a_profile() -> None:
    assert _errors("", "airlock:\n  profile: default\n") == [
        "airlock.profile: unknown key; check its spelling and placement"
    ]
