"""A tiny-scale run of bench/airlock.py: it runs end to end and reports every figure (never asserted)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench" / "airlock.py"


def test_the_benchmark_runs_at_tiny_scale() -> None:
    printed = subprocess.run(
        [sys.executable, str(BENCH), "--rows", "5000", "--repeat", "1", "--json"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    results = json.loads(printed)
    assert results["rows"] == 5000
    for workload, pandas_steps, bulle_steps in [
        ("frequency", {"crosstab", "to_csv"}, {"check_output"}),
        ("statistics", {"pivot_table", "to_csv"}, {"contributor_table", "check_output"}),
    ]:
        found = results[workload]
        assert set(found["pandas_s"]) == pandas_steps
        assert set(found["bulle_s"]) == bulle_steps
        assert found["ratio"] > 1
        # 5,000 records over about 1,900 cells: small cells everywhere.
        assert found["verdict"] == "fail"
