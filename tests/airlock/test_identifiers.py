"""Decision tables for identifiers: NIR-like numbers, pseudonyms, dates of birth."""

from __future__ import annotations

import pytest

from bulle.airlock import Status
from bulle.airlock.identifiers import name_problem

from .helpers import flagged, result


def _nir_with_key(first13: str) -> str:
    return f"{first13}{97 - int(first13) % 97:02d}"


@pytest.mark.parametrize(
    ("label", "status"),
    [
        ("1850578006084", Status.FAIL),  # 13 digits
        (_nir_with_key("1850578006084"), Status.FAIL),  # 15 digits, valid key
        ("1 85 05 78 006 084", Status.FAIL),  # in the NIR's groups
        ("285052A006084", Status.FAIL),  # Corsica: department 2A
        ("1850578006084.0", Status.FAIL),  # a float column of NIRs
        ("18505780060841", Status.PASS),  # 14 digits
        ("185057800608", Status.PASS),  # 12 digits
        ("5850578006084", Status.PASS),  # no sex digit 5
        ("0.1850578006084", Status.PASS),  # decimals
        ("north", Status.PASS),
    ],
    ids=["13", "15-valid-key", "grouped", "corsica", "float", "14", "12", "starts-5", "decimals", "word"],
)
def test_nir_like_row_labels(label: str, status: Status) -> None:
    check = result("identifiers", f"patient,count\n{label},12\nsouth,13")
    assert check.status is status, check.message
    if status is Status.FAIL:
        assert flagged(check) == [((label,), ())]


def test_a_valid_nir_key_is_said() -> None:
    nir = _nir_with_key("2850520006084")
    check = result("identifiers", f"region,count\n{nir},12\nsouth,13")
    assert check.cells[0].reason == f"{nir!r} is a NIR: 15 digits with a valid key"


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("patient_id", "named like a person's identifier"),
        ("personId", "named like a person's identifier"),
        ("BEN_NIR_PSA", "a person's key in the SNDS or OMOP"),
        ("NUM_ENQ", "a person's key in the SNDS or OMOP"),
        ("pseudonym", "named like a person's identifier"),
        ("date_of_birth", "named like a date of birth"),
        ("DATE_NAISSANCE", "named like a date of birth"),
        ("dob", "named like a date of birth"),
        ("condition_concept_id", None),
        ("year_of_birth", None),
        ("patients", None),
        ("region", None),
    ],
)
def test_identifying_names(name: str, problem: str | None) -> None:
    found = name_problem(name)
    assert (found is None) if problem is None else (problem in found)  # type: ignore[operator]


@pytest.mark.parametrize(
    ("header", "status"),
    [
        ("person_id,count", Status.FAIL),
        ("condition_concept_id,count", Status.PASS),
        ("region,date_naissance", Status.FAIL),
        ("region,year_of_birth", Status.PASS),
    ],
)
def test_identifying_columns_in_a_table(header: str, status: Status) -> None:
    assert result("identifiers", f"{header}\n1001,12\n1002,13").status is status


@pytest.mark.parametrize(
    ("value", "kind", "status"),
    [
        ("3f9a0c2e7b1d4a6f8e2c0b9d7a5f3e1c", "frequency", Status.FAIL),  # a bulle text pseudonym, in a table
        ("3f9a0c2e7b1d4a6f8e2c0b9d7a5f3e1c", "text", Status.REVIEW),  # or a hash, in a text
        ("123e4567-e89b-12d3-a456-426614174000", "frequency", Status.FAIL),
        ("1152921504606846975", "frequency", Status.FAIL),  # a bulle integer pseudonym (60 bits)
        ("deadbeefcafe", "frequency", Status.PASS),  # too short
        ("abcdefabcdefabcdef", "frequency", Status.PASS),  # letters only: a word, not a hash
    ],
    ids=["hex-in-table", "hex-in-text", "uuid", "long-integer", "short-hex", "letters-only"],
)
def test_pseudonym_shaped_values(value: str, kind: str, status: Status) -> None:
    content = f"region,count\n{value},12\nsouth,13" if kind == "frequency" else f"run {value} finished\n"
    assert result("identifiers", content, kind).status is status


@pytest.mark.parametrize(
    ("line", "status"),
    [
        ("The oldest patient was born on 1931-04-02.", Status.FAIL),
        ("date de naissance : 02/04/1931", Status.FAIL),
        ("The extract was made on 2026-04-02.", Status.PASS),
        ("Patients born after 1931 were excluded.", Status.PASS),
    ],
    ids=["born-on-date", "french", "date-without-birth", "birth-without-date"],
)
def test_dates_of_birth_in_text(line: str, status: Status) -> None:
    check = result("identifiers", line + "\n", "text")
    assert check.status is status
    if status is Status.FAIL:
        assert flagged(check) == [(("line 1",), ())]


def test_a_model_output_with_a_nir_fails() -> None:
    assert result("identifiers", "Outlier: patient 1850578006084\n", "model").status is Status.FAIL
