"""``bulle airlock check FILE --kind KIND [--counts COUNTS.csv] [--threshold N] [--json]``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from bulle.cli import main

TABLE = "region,F,M,All\nnorth,3,20,23\nsouth,30,40,70\nAll,33,60,93\n"


@pytest.fixture
def table(tmp_path: Path) -> Path:
    path = tmp_path / "t.csv"
    path.write_text(TABLE)
    return path


def _check(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["airlock", "check", *args])
    return result.exit_code, result.stdout, result.stderr


def test_json_verdict_has_the_issue_shape(table: Path) -> None:
    code, out, _ = _check(str(table), "--kind", "frequency", "--json")
    assert code == 3
    verdict = json.loads(out)
    assert verdict["status"] == "fail"
    assert verdict["kind"] == "frequency"
    assert verdict["parameters"]["safe_threshold"] == 10
    threshold = next(c for c in verdict["checks"] if c["rule"] == "threshold")
    assert threshold == {
        "rule": "threshold",
        "status": "fail",
        "message": "1 cell under 10",
        "cells": [{"row": ["north"], "column": ["F"], "reason": "3 in this cell, fewer than 10"}],
    }
    assert all(set(c) == {"rule", "status", "message", "cells"} for c in verdict["checks"])


def test_text_verdict_names_each_cell(table: Path) -> None:
    code, out, _ = _check(str(table), "--kind", "frequency")
    assert code == 3
    assert out.splitlines()[0].startswith("fail: t.csv (frequency; safe_threshold 10,")
    assert "          row north · column F: 3 in this cell, fewer than 10" in out.splitlines()


@pytest.mark.parametrize(("threshold", "code"), [("3", 0), ("4", 3)], ids=["threshold-3-passes", "threshold-4-fails"])
def test_threshold_option(table: Path, threshold: str, code: int) -> None:
    assert _check(str(table), "--kind", "frequency", "--threshold", threshold)[0] == code


def test_counts_for_a_statistics_table(tmp_path: Path) -> None:
    means = tmp_path / "means.csv"
    means.write_text("region,F,M\nnorth,210.5,198.25\nsouth,187.0,205.75\n")
    counts = tmp_path / "counts.csv"
    counts.write_text(
        "region,sex,count,sum,max,top_2_sum\nnorth,F,12,2526,1000,1900\nnorth,M,20,4000,300,580\n"
        "south,F,30,5610,250,490\nsouth,M,40,8230,260,510\n"
    )
    assert _check(str(means), "--kind", "statistics", "--counts", str(counts))[0] == 0
    assert _check(str(means), "--kind", "statistics")[0] == 1


def test_counts_only_go_with_statistics(table: Path) -> None:
    code, _, err = _check(str(table), "--kind", "frequency", "--counts", str(table))
    assert code == 2
    assert "--counts goes with --kind statistics" in err


def test_unknown_kind_is_a_usage_error(table: Path) -> None:
    code, _, err = _check(str(table), "--kind", "spreadsheet")
    assert code == 2
    assert "'spreadsheet' is not one of 'frequency', 'statistics', 'model', 'figure', 'text'" in err


def test_a_file_too_large_is_not_read_past_the_cap(tmp_path: Path) -> None:
    big = tmp_path / "big.csv"
    with big.open("wb") as handle:
        handle.truncate(10 * 1024**2 + 1)
    code, out, _ = _check(str(big), "--kind", "frequency", "--json")
    assert code == 3
    assert [c["rule"] for c in json.loads(out)["checks"]] == ["file-type", "file-size"]
