"""Run one extraction in its own process and hang half-way (for the crash test).

Usage: python extract_process.py ROOT PROJECT MARKER

After the Parquet files of the new version are written, and before its
database and manifest, touch MARKER and sleep: the test kills the process there.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from bulle.warehouse import extract
from bulle.warehouse.config import Warehouse
from tests.data.extracts import NOW, TestWarehouse


def main() -> int:
    root, project, marker = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3])

    def hang(folder: Path, names: object) -> dict[str, dict[str, str]]:
        marker.touch()
        time.sleep(600)
        raise AssertionError("the test should have killed this process")

    extract._write_database = hang  # type: ignore[assignment]
    settings = Warehouse(state_dir=str(root / "state"), pseudonym_key_file=str(root / "pseudonym.key"))
    TestWarehouse(root, root / "policy", settings).extract(project, NOW)
    return 0


if __name__ == "__main__":
    sys.exit(main())
