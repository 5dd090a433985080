"""R in a bubble: ``bulle_connect()`` and ``bulle_tables()`` from ``bulle/data/R/bulle.R``.

They need the R packages DBI and duckdb. Debian 12 packages DBI but not
duckdb, and CRAN is not reachable from the machines these tests run on, so
the R tests skip, saying so, where ``library(duckdb)`` fails. The step R
shares with Python, recording the connection with ``python -m bulle.data
record``, is tested everywhere.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from importlib import resources
from pathlib import Path

import pytest

from bulle.data.versions import ExtractVersions

from .extracts import TestWarehouse

R_HELPERS = Path(str(resources.files("bulle.data").joinpath("R", "bulle.R")))


def r_has_duckdb() -> str | None:
    """Why R cannot run the helpers here, or None when it can."""
    rscript = shutil.which("Rscript")
    if rscript is None:
        return "Rscript is not installed (Debian package r-base-core)"
    probe = subprocess.run(
        [rscript, "-e", "library(DBI); library(duckdb)"], capture_output=True, text=True, check=False
    )
    if probe.returncode != 0:
        return "the R package duckdb is not installed (not packaged by Debian 12; install it from CRAN)"
    return None


def bubble_environment(warehouse: TestWarehouse, project: str) -> dict[str, str]:
    folder = ExtractVersions(warehouse.layout.data_dir(project)).current_dir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTERHUB_", "BULLE_"))}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env.update({"BULLE_DATA_DIR": str(folder), "BULLE_PROJECT": project})
    return env


def test_python_m_bulle_data_record_prints_the_extract_to_read(warehouse: TestWarehouse) -> None:
    env = bubble_environment(warehouse, "alpha")
    done = subprocess.run([sys.executable, "-m", "bulle.data", "record"], env=env, capture_output=True, text=True)
    assert (done.returncode, done.stdout.strip()) == (0, env["BULLE_DATA_DIR"])
    del env["BULLE_DATA_DIR"]
    refused = subprocess.run([sys.executable, "-m", "bulle.data", "record"], env=env, capture_output=True, text=True)
    assert refused.returncode == 1
    assert "alpha had no data extract when this bubble started" in refused.stderr


@pytest.mark.skipif(r_has_duckdb() is not None, reason=r_has_duckdb() or "")
def test_r_reads_the_projects_extract_and_nothing_else(warehouse: TestWarehouse) -> None:
    script = f"""
    source({str(R_HELPERS)!r})
    con <- bulle_connect()
    cat(DBI::dbGetQuery(con, "SELECT count(*) AS n FROM omop_person")$n, "\\n")
    cat(paste(sort(DBI::dbListTables(con)), collapse = ","), "\\n")
    refused <- tryCatch(DBI::dbGetQuery(con, "SELECT * FROM read_csv('/etc/passwd')"), error = function(e) "refused")
    cat(if (identical(refused, "refused")) "refused" else "read", "\\n")
    t <- bulle_tables()
    cat(t$name[1], t$snapshot_id[1], t$rows[1], "\\n")
    """
    done = subprocess.run(
        ["Rscript", "-e", script], env=bubble_environment(warehouse, "alpha"), capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    manifest = (ExtractVersions(warehouse.layout.data_dir("alpha")).current_dir() / "manifest.json").read_text()  # type: ignore[operator]
    lines = [line.strip() for line in done.stdout.splitlines()]
    assert lines[:3] == ["18", "omop_condition_occurrence,omop_person", "refused"]
    name, snapshot, rows = lines[3].split()
    assert (name, rows) == ("omop_person", "18")
    assert snapshot in manifest
