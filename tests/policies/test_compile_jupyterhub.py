"""The JupyterHub compiler on the demo policy, against reviewed output.

The files in ``compiled/demo-jupyterhub`` are the reviewed compilation of the
demo policy. When the compiler or the demo policy changes on purpose,
regenerate them with::

    bulle policy compile --target jupyterhub <demo policy> tests/policies/compiled/demo-jupyterhub
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from click.testing import CliRunner

from bulle.cli import main
from bulle.demo import write_demo_policy

REVIEWED = Path(__file__).parent / "compiled" / "demo-jupyterhub"


@pytest.fixture
def demo_policy(tmp_path: Path) -> Path:
    write_demo_policy(tmp_path / "demo", dt.date(2026, 11, 25))
    return tmp_path / "demo"


def test_compiling_the_demo_policy_gives_the_reviewed_files(demo_policy: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["policy", "compile", "--target", "jupyterhub", str(demo_policy), str(out)])
    assert result.exit_code == 0, result.output
    produced = {p.name: p.read_bytes() for p in sorted(out.iterdir())}
    reviewed = {p.name: p.read_bytes() for p in sorted(REVIEWED.iterdir())}
    assert produced == reviewed, "compiled output drifted; see this module's docstring to regenerate"


def test_compiling_twice_gives_identical_bytes(demo_policy: Path, tmp_path: Path) -> None:
    for name in ("a", "b"):
        CliRunner().invoke(
            main, ["policy", "compile", "--target", "jupyterhub", str(demo_policy), str(tmp_path / name)]
        )
    assert [p.read_bytes() for p in sorted((tmp_path / "a").iterdir())] == [
        p.read_bytes() for p in sorted((tmp_path / "b").iterdir())
    ]


def test_compile_refuses_an_invalid_policy(demo_policy: Path, tmp_path: Path) -> None:
    (demo_policy / "projects" / "psy-cohort.yaml").write_text("id: psy-cohort\n", encoding="utf-8")
    result = CliRunner().invoke(
        main, ["policy", "compile", "--target", "jupyterhub", str(demo_policy), str(tmp_path / "out")]
    )
    assert result.exit_code == 2
    assert "projects/psy-cohort.yaml:1: title: required key is missing" in result.stderr
    assert not (tmp_path / "out").exists()
