"""The query benchmark runs end to end at a tiny size (its figures are not checked: tests never assert timings)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import load_bench


def test_the_query_benchmark_runs_at_a_tiny_size(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bench = load_bench("query")
    out = tmp_path / "query.json"
    bench.main(["--rows", "20000", "--files", "2", "--repeat", "1", "--workdir", str(tmp_path), "--out", str(out)])
    results = json.loads(out.read_text())
    assert set(results) == {"machine", "rows", "files", "source_mb", "extract", "queries", "query_ratio_total"}
    assert results["rows"] == 20000
    assert set(results["queries"]) == set(bench.QUERIES)
    assert "queries, all together" in capsys.readouterr().out
    assert [p.name for p in tmp_path.iterdir()] == ["query.json"], "the benchmark removes its data"
