"""Decision table for the file itself: type allow-list per kind, content matching the name, size cap."""

from __future__ import annotations

import pytest

from bulle.airlock import Kind, Output, Status, check_output

from .helpers import DEFAULT

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 32
JPEG = b"\xff\xd8\xff\xe0" + b"\0" * 32
TABLE = b"region,F,M\nnorth,12,13\nsouth,14,15\n"


def _verdict(name: str, kind: str, content: bytes, **kwargs: object):  # type: ignore[no-untyped-def]
    return check_output(Output(name=name, kind=Kind(kind), content=content, **kwargs), DEFAULT)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("name", "kind", "content", "status"),
    [
        ("t.csv", "frequency", TABLE, Status.PASS),
        ("t.parquet", "frequency", TABLE, Status.FAIL),
        ("t.xlsx", "statistics", TABLE, Status.FAIL),
        ("t.CSV", "frequency", TABLE, Status.PASS),
        ("f.png", "figure", PNG, Status.PASS),
        ("f.jpeg", "figure", JPEG, Status.PASS),
        ("f.svg", "figure", b"<svg/>", Status.FAIL),
        ("f.pdf", "figure", b"%PDF-1.7", Status.FAIL),
        ("f.png", "figure", b"PK\x03\x04 a zip named .png", Status.FAIL),
        ("notes.txt", "text", b"Results are in the paper.\n", Status.PASS),
        ("notes.ipynb", "text", b"{}", Status.FAIL),
        ("t.csv", "frequency", b"region,F\n\0\0\0binary", Status.FAIL),
        ("m.txt", "model", b"Df Residuals: 96\n", Status.PASS),
        ("m.rds", "model", b"X\n\0", Status.FAIL),
        ("noextension", "text", b"text", Status.FAIL),
    ],
)
def test_file_type(name: str, kind: str, content: bytes, status: Status) -> None:
    check = _verdict(name, kind, content).check("file-type")
    assert check is not None
    assert check.status is status, check.message


def test_a_refused_type_names_what_is_allowed() -> None:
    check = _verdict("t.parquet", "frequency", TABLE).check("file-type")
    assert check.message == "t.parquet: a frequency output may be .csv, .tsv, not .parquet"  # type: ignore[union-attr]


def test_a_file_over_the_cap_fails_and_its_content_is_not_read() -> None:
    found = _verdict("t.csv", "frequency", TABLE, size=DEFAULT.max_file_size + 1)
    assert found.status is Status.FAIL
    assert found.check("file-size").message == "t.csv is 10,485,761 bytes, over the cap of 10M"  # type: ignore[union-attr]
    assert [c.rule for c in found.checks] == ["file-type", "file-size"]


def test_a_file_at_the_cap_passes() -> None:
    found = _verdict("t.csv", "frequency", TABLE, size=DEFAULT.max_file_size)
    assert found.check("file-size").status is Status.PASS  # type: ignore[union-attr]
    assert found.check("threshold") is not None


def test_a_figure_always_goes_to_a_person() -> None:
    found = _verdict("f.png", "figure", PNG)
    assert found.status is Status.REVIEW
    assert [c.rule for c in found.checks] == ["file-type", "file-size", "figure"]


@pytest.mark.parametrize(
    ("content", "status"),
    [(b"region,F,M\nnorth,3,13\nsouth,14,15\n", Status.REVIEW), (b"The model converged.\nSee table 2.\n", Status.PASS)],
    ids=["table-as-text-review", "prose-pass"],
)
def test_a_table_declared_as_text_goes_to_review(content: bytes, status: Status) -> None:
    assert _verdict("r.txt", "text", content).check("declared-kind").status is status  # type: ignore[union-attr]
