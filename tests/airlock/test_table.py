"""Reading tables as pandas, R and spreadsheets write them: labels, margins, cell types."""

from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest

from bulle.airlock import Unreadable, parse_table
from bulle.airlock.table import CellType

from .helpers import csv


def text(inline: str) -> str:
    return csv(inline).decode()


@pytest.fixture(scope="module")
def records() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    n = 300
    return pd.DataFrame(
        {
            "region": rng.choice(["north", "south", "east"], n),
            "sex": rng.choice(["F", "M"], n),
            "age": rng.choice(["young", "old"], n),
            "year": rng.choice([2020, 2021], n),
        }
    )


def _layout(text: str) -> tuple[int, int, tuple[str, ...], tuple[str, ...]]:
    table = parse_table(text)
    return len(table.row_names), table.header_rows, table.row_names, table.column_names


def test_single_level_crosstab_with_margins(records: pd.DataFrame) -> None:
    expected = pd.crosstab(records.region, records.sex, margins=True)
    table = parse_table(expected.to_csv())
    assert table.row_names == ("region",)
    assert table.rows == (("east",), ("north",), ("south",), ("All",))
    assert table.columns == (("F",), ("M",), ("All",))
    assert table.row_margins == (None, None, None, 0)
    assert table.column_margins == (None, None, 0)
    assert table.values.tolist() == expected.to_numpy().tolist()
    assert (table.types == CellType.NUMBER).all()


@pytest.mark.parametrize(
    ("rows", "columns", "index_columns", "header_rows", "column_names"),
    [
        (["region"], ["sex", "age"], 1, 3, ("sex", "age")),
        (["region", "age"], ["sex"], 2, 1, ("",)),
        (["region", "age"], ["sex", "year"], 2, 3, ("sex", "year")),
        (["region"], ["sex", "year"], 1, 3, ("sex", "year")),
    ],
    ids=["1x2", "2x1", "2x2-numeric-lower-level", "1x2-numeric-lower-level"],
)
def test_multi_level_crosstabs_keep_every_label(
    records: pd.DataFrame,
    rows: list[str],
    columns: list[str],
    index_columns: int,
    header_rows: int,
    column_names: tuple[str, ...],
) -> None:
    expected = pd.crosstab([records[r] for r in rows], [records[c] for c in columns], margins=True)
    table = parse_table(expected.to_csv())
    assert len(table.row_names) == index_columns
    assert table.header_rows == header_rows  # one per column level, then pandas' row of index names
    assert table.column_names == column_names
    assert table.values.tolist() == expected.to_numpy().tolist()
    as_labels = [
        tuple(str(part) for part in (label if isinstance(label, tuple) else (label,))) for label in expected.columns
    ]
    assert table.columns == tuple(as_labels)
    assert table.rows[-1][0] == "All"
    assert table.row_margins[-1] == 0
    assert table.column_margins[-1] == 0


def test_unnamed_index_with_multi_level_columns(records: pd.DataFrame) -> None:
    frame = pd.crosstab(records.region, [records.sex, records.age])
    frame.index.name = None
    table = parse_table(frame.to_csv())
    assert (len(table.row_names), table.header_rows) == (1, 2)
    assert table.columns[0] == ("F", "old")


def test_numeric_column_labels_are_labels(records: pd.DataFrame) -> None:
    table = parse_table(pd.crosstab(records.region, records.year).to_csv())
    assert table.columns == (("2020",), ("2021",))
    assert table.header_rows == 1


def test_long_layout_from_groupby(records: pd.DataFrame) -> None:
    counts = records.groupby(["region", "sex"]).size().reset_index(name="n")
    table = parse_table(counts.to_csv(index=False))
    assert table.row_names == ("region", "sex")
    assert table.columns == (("n",),)
    assert table.rows[0] == ("east", "F")


def test_semicolons_and_decimal_commas_as_write_csv2_writes_them() -> None:
    table = parse_table(
        text("""
        "";"F";"M"
        "north";12,5;7
        "south";3;4,25
    """)
    )
    assert table.values.tolist() == [[12.5, 7.0], [3.0, 4.25]]


@pytest.mark.parametrize("mark", ["", "*", "x", "<10", "NA", "c", "..", "-"])
def test_suppression_marks_are_hidden_cells(mark: str) -> None:
    table = parse_table(
        text(f"""
        region,F,M
        north,12,{mark}
    """)
    )
    assert table.types[0, 1] == CellType.HIDDEN
    assert table.types[0, 0] == CellType.NUMBER


def test_text_in_the_body_is_text() -> None:
    table = parse_table(
        text("""
        region,F,M
        north,12,twelve
        south,13,14
    """)
    )
    assert table.types[0, 1] == CellType.TEXT
    assert table.raw[0][1] == "twelve"


def test_sparse_labels_are_filled_forward() -> None:
    table = parse_table(
        text("""
        region,age,F,M
        north,old,11,12
        ,young,13,14
    """)
    )
    assert table.rows == (("north", "old"), ("north", "young"))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\x89PNG\r\n\x1a\n\0\0", "binary data"),
        (b"region,F\n\xff\xfe,1\n", "not UTF-8"),
        (b"region,F,M\n", "at least one data row"),
        (b"just one column\nand another line\n", "at least two columns"),
    ],
    ids=["binary", "not-utf8", "header-only", "one-column"],
)
def test_what_is_not_a_table_says_why(content: bytes, message: str) -> None:
    from bulle.airlock.table import decode

    with pytest.raises(Unreadable, match=message):
        parse_table(decode(content))


@pytest.mark.skipif(shutil.which("Rscript") is None, reason="R is not installed")
def test_r_write_csv_of_a_table_reads_like_pandas(tmp_path) -> None:  # type: ignore[no-untyped-def]
    script = """
        t <- table(region = c("north", "north", "south"), sex = c("F", "M", "F"))
        write.csv(as.data.frame.matrix(t), "wide.csv")
        write.csv(as.data.frame(t), "long.csv", row.names = FALSE)
    """
    subprocess.run(["Rscript", "-e", script], cwd=tmp_path, check=True, capture_output=True)
    wide = parse_table((tmp_path / "wide.csv").read_text())
    assert wide.rows == (("north",), ("south",))
    assert wide.columns == (("F",), ("M",))
    assert wide.values.tolist() == [[1, 1], [1, 0]]
    long = parse_table((tmp_path / "long.csv").read_text())
    assert long.row_names == ("region", "sex")
    assert long.columns == (("Freq",),)


def test_a_fully_hidden_third_row_is_data_not_a_row_of_index_names() -> None:
    table = parse_table(
        text("""
        region,F,M
        north,12,13
        south,,
        east,14,15
    """)
    )
    assert table.rows == (("north",), ("south",), ("east",))
    assert table.header_rows == 1


@pytest.mark.parametrize(
    ("first_line", "readable"),
    [("a,b\n1,2\n", True), ("x" * 200_000 + "\n1,2\n", False)],
    ids=["short-line", "line-over-the-csv-field-limit"],
)
def test_a_line_over_the_csv_field_limit_is_unreadable_not_a_crash(first_line: str, readable: bool) -> None:
    if readable:
        assert len(parse_table(first_line).rows) == 1
        return
    with pytest.raises(Unreadable, match="not valid CSV"):
        parse_table(first_line)
