"""``bulle policy validate`` on every fixture in ``fixtures/cases``.

A case file is named ``<target>.<outcome>.yaml``: ``<target>`` is ``platform``
(it replaces ``platform.yaml``) or a project id (it becomes
``projects/<target>.yaml``) in a copy of ``fixtures/base``; ``<outcome>`` is
``happy`` or ``error.<reason>``. Error cases list their exact messages in
``# expect:`` lines; each must be printed, nothing else, with exit status 2,
and the policy folder must be left exactly as it was.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from bulle.cli import main

FIXTURES = Path(__file__).parent / "fixtures"
CASES = sorted((FIXTURES / "cases").glob("*.yaml"))


def _place(case: Path, tmp_path: Path) -> Path:
    policy_dir = tmp_path / "policy"
    shutil.copytree(FIXTURES / "base", policy_dir)
    target = case.name.split(".")[0]
    destination = policy_dir / "platform.yaml" if target == "platform" else policy_dir / "projects" / f"{target}.yaml"
    shutil.copyfile(case, destination)
    return policy_dir


def _snapshot(directory: Path) -> dict[str, str]:
    return {
        str(p.relative_to(directory)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }


def _expected(case: Path) -> list[str]:
    return [
        line.removeprefix("# expect: ").rstrip("\n")
        for line in case.read_text(encoding="utf-8").splitlines()
        if line.startswith("# expect: ")
    ]


def test_every_error_case_says_what_it_expects() -> None:
    for case in CASES:
        if ".error." in case.name:
            assert _expected(case), f"{case.name} has no '# expect:' line"


@pytest.mark.parametrize("case", [c for c in CASES if ".error." in c.name], ids=lambda c: c.stem)
def test_error_case_gives_its_precise_messages_and_exit_2(case: Path, tmp_path: Path) -> None:
    policy_dir = _place(case, tmp_path)
    before = _snapshot(tmp_path)
    result = CliRunner().invoke(main, ["policy", "validate", str(policy_dir)])
    assert result.exit_code == 2, result.output
    printed = [line.removeprefix(f"{policy_dir}/") for line in result.stderr.splitlines()]
    count = len(_expected(case))
    assert sorted(printed[:-1]) == sorted(_expected(case)), result.stderr
    assert printed[-1] == f"{count} error{'s' if count != 1 else ''}; nothing was applied."
    assert result.stdout == ""
    assert _snapshot(tmp_path) == before


@pytest.mark.parametrize("case", [c for c in CASES if ".happy." in c.name], ids=lambda c: c.stem)
def test_happy_case_is_valid_and_summarised(case: Path, tmp_path: Path) -> None:
    policy_dir = _place(case, tmp_path)
    result = CliRunner().invoke(main, ["policy", "validate", str(policy_dir)])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Policy is valid:")
    assert len(result.stdout.splitlines()) <= 40, "the summary must fit on one screen"


def test_missing_directory_is_an_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["policy", "validate", str(tmp_path / "nowhere")])
    assert result.exit_code == 2
    assert "no such policy directory" in result.stderr


def test_missing_platform_file_is_an_error(tmp_path: Path) -> None:
    policy_dir = tmp_path / "policy"
    shutil.copytree(FIXTURES / "base", policy_dir)
    (policy_dir / "platform.yaml").unlink()
    result = CliRunner().invoke(main, ["policy", "validate", str(policy_dir)])
    assert result.exit_code == 2
    assert f"{policy_dir}/platform.yaml:1: (file): the policy has no platform.yaml" in result.stderr


def test_project_file_with_wrong_extension_is_an_error(tmp_path: Path) -> None:
    policy_dir = tmp_path / "policy"
    shutil.copytree(FIXTURES / "base", policy_dir)
    (policy_dir / "projects" / "alpha.yaml").rename(policy_dir / "projects" / "alpha.yml")
    result = CliRunner().invoke(main, ["policy", "validate", str(policy_dir)])
    assert result.exit_code == 2
    assert "projects/alpha.yml:1: (file): not a .yaml file; project files are projects/<id>.yaml" in result.stderr


def test_non_utf8_file_is_an_error(tmp_path: Path) -> None:
    policy_dir = tmp_path / "policy"
    shutil.copytree(FIXTURES / "base", policy_dir)
    (policy_dir / "projects" / "alpha.yaml").write_bytes("title: Étude\n".encode("latin-1"))
    result = CliRunner().invoke(main, ["policy", "validate", str(policy_dir)])
    assert result.exit_code == 2
    assert "projects/alpha.yaml:1: (file): not UTF-8 text: invalid continuation byte at byte 7" in result.stderr
