from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path

import pydantic
import pytest

from bulle.demo import write_demo_policy
from bulle.policies import Policy, load_policy


@pytest.fixture
def policy(tmp_path: Path) -> Policy:
    write_demo_policy(tmp_path, dt.date(2026, 11, 25))
    return load_policy(tmp_path)


def test_models_are_frozen(policy: Policy) -> None:
    project = policy.projects["psy-cohort"]
    with pytest.raises(pydantic.ValidationError, match="frozen"):
        project.status = "closed"  # type: ignore[assignment]
    assert isinstance(project.members, tuple)
    with pytest.raises(TypeError):
        policy.projects["x"] = project  # type: ignore[index]


def test_deep_copies_share_the_one_policy(policy: Policy) -> None:
    # traitlets deep-copies config values; the hub's components must share one policy.
    assert copy.deepcopy(policy) is policy


def test_digest_follows_file_contents(policy: Policy, tmp_path: Path) -> None:
    same = load_policy(tmp_path)
    assert same.digest == policy.digest
    path = tmp_path / "projects" / "psy-cohort.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("bubbles_per_project: 4", "bubbles_per_project: 3"))
    assert load_policy(tmp_path).digest != policy.digest
    projects = {"projects/pilot-2024.yaml", "projects/psy-cohort.yaml", "projects/snds-cardio.yaml"}
    sources = {f"sources/{n}.yaml" for n in ("psy-bids", "psy-dicom", "psy-fhir", "psy-omop", "psy-vcf", "snds-cardio")}
    assert {f.path for f in policy.files} == {"platform.yaml", *projects, *sources}
