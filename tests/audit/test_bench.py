"""The audit benchmark runs end to end at a tiny size (its figures are not checked: tests never assert timings)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import load_bench


def test_the_benchmark_runs_at_a_tiny_size(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bench = load_bench("audit")
    out = tmp_path / "audit.json"
    args = ["--events", "300", "--rate", "1000", "--seconds", "0.2", "--plain-events", "20", "--verify-events", "500"]
    bench.main([*args, "--workdir", str(tmp_path / "work"), "--out", str(out)])
    results = json.loads(out.read_text())
    assert set(results) == {
        "machine",
        "bulle_burst",
        "bulle_paced",
        "plain_sqlite_commit_each",
        "plain_sqlite_one_transaction",
        "verify",
    }
    assert results["bulle_burst"]["events"] == 300
    assert results["verify"] == {**results["verify"], "records": 500, "ok": True}
    assert "events/s" in capsys.readouterr().out
