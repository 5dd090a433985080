"""Run one ingest in its own process, with a pause inside the catalog commit (for the crash and race tests).

Usage: python ingest_process.py STATE POLICY SOURCE MODE MARKERS

MODE ``hang``: after the new table metadata file is written, and before the catalog points the
table at it, touch ``MARKERS/<SOURCE>.ready`` and sleep (the test kills the process there).
MODE ``barrier``: at that same point, touch the marker, then wait until every ``*.ready`` of
``MARKERS/expected`` exists, so two ingests reach their commit together.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from pyiceberg.catalog.sql import SqlCatalog

from bulle.warehouse.config import Warehouse
from bulle.warehouse.ingest import ingest


def main() -> int:
    state, policy, source, mode, markers = sys.argv[1:6]
    folder = Path(markers)
    original = SqlCatalog._write_metadata
    paused = []

    def write_metadata(metadata, io, metadata_path):  # type: ignore[no-untyped-def]
        original(metadata, io, metadata_path)
        if paused:
            return
        paused.append(True)
        (folder / f"{source}.ready").touch()
        if mode == "hang":
            time.sleep(600)
        expected = (folder / "expected").read_text().split()
        deadline = time.monotonic() + 60
        while not all((folder / f"{name}.ready").exists() for name in expected) and time.monotonic() < deadline:
            time.sleep(0.01)

    SqlCatalog._write_metadata = staticmethod(write_metadata)  # type: ignore[method-assign]
    report = ingest(Warehouse(state_dir=state), Path(policy), source)
    print(report.status)
    return 0 if report.committed else 1


if __name__ == "__main__":
    raise SystemExit(main())
