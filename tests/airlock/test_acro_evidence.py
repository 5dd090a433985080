"""ACRO's results.json, as ACRO 1.0.2 wrote it (fixtures/acro/make_outputs.py), read as evidence."""

from __future__ import annotations

import shutil
from pathlib import Path

from bulle.airlock import Status, check_output, load_output

from .helpers import DEFAULT, flagged

ACRO_OUTPUTS = Path(__file__).parent / "fixtures" / "acro"


def test_acro_flags_are_reported_with_the_table_labels() -> None:
    found = check_output(load_output(ACRO_OUTPUTS / "output_0_0.csv", "frequency"), DEFAULT)
    acro = found.check("acro")
    assert acro is not None
    assert acro.status is Status.FAIL
    assert acro.message.startswith("ACRO 1.0.2 says fail: FrequencyTable")
    assert flagged(acro) == [(("east",), ("F",)), (("east",), ("M",))]
    assert flagged(found.check("threshold")) == flagged(acro)  # type: ignore[arg-type]


def test_acro_evidence_adds_what_bulle_cannot_see() -> None:
    coefficients = check_output(load_output(ACRO_OUTPUTS / "output_2_1.csv", "model"), DEFAULT)
    assert coefficients.check("dof").status is Status.REVIEW  # type: ignore[union-attr]
    assert coefficients.check("acro").status is Status.FAIL  # type: ignore[union-attr]
    assert coefficients.check("acro").message == "ACRO 1.0.2 says fail: MinimumDoFCheck: fail dof=8 < 10"  # type: ignore[union-attr]
    means = check_output(load_output(ACRO_OUTPUTS / "output_1_0.csv", "statistics"), DEFAULT)
    assert (("south",), ("M",)) in flagged(means.check("acro"))  # type: ignore[arg-type]


def test_a_file_changed_after_acro_checked_it_goes_to_review(tmp_path: Path) -> None:
    copy = tmp_path / "acro"
    shutil.copytree(ACRO_OUTPUTS, copy)
    table = copy / "output_0_0.csv"
    table.write_text(table.read_text().replace("east,3,7,10", "east,13,17,30"))
    acro = check_output(load_output(table, "frequency"), DEFAULT).check("acro")
    assert acro is not None
    assert acro.status is Status.REVIEW
    assert "SHA-256 differs from ACRO's checksum" in acro.message


def test_without_results_json_there_is_no_acro_check(tmp_path: Path) -> None:
    shutil.copyfile(ACRO_OUTPUTS / "output_0_0.csv", tmp_path / "output_0_0.csv")
    assert check_output(load_output(tmp_path / "output_0_0.csv", "frequency"), DEFAULT).check("acro") is None


def test_a_file_results_json_does_not_list_has_no_acro_check(tmp_path: Path) -> None:
    copy = tmp_path / "acro"
    shutil.copytree(ACRO_OUTPUTS, copy)
    (copy / "mine.csv").write_text("region,F\nnorth,12\nsouth,13\n")
    assert check_output(load_output(copy / "mine.csv", "frequency"), DEFAULT).check("acro") is None
