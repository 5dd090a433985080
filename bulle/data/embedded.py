"""A read-only DuckDB connection over one extract version (the embedded deployment).

The version's ``extract.duckdb`` holds one view per granted table over the
version's Parquet files. :func:`open_extract` opens it so that user SQL reads
those views and nothing else of the machine:

- the database is attached read-only, so ``CREATE``, ``INSERT``, ``COPY …
  FROM`` and friends on it fail (temporary tables, in memory, still work);
- external access is then switched off, with the version's own files as the
  only allowed paths: ``read_csv('/etc/passwd')``, ``ATTACH`` of another
  file, ``COPY … TO`` a file, ``INSTALL`` and ``LOAD`` of an extension file
  all fail, and DuckDB refuses to switch external access back on while the
  database runs;
- DuckDB may spill to a private temporary folder (the bubble's ``/tmp``).

The sandbox adds its own walls (only this version's folder is mounted, read
only); these hold where the sandbox is off too.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import duckdb

from .manifest import DATABASE_NAME, Manifest, read_manifest


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def open_extract(version_dir: Path, manifest: Manifest | None = None) -> duckdb.DuckDBPyConnection:
    """A read-only connection with one view per table of the extract in ``version_dir``."""
    manifest = manifest or read_manifest(version_dir)
    database = version_dir / DATABASE_NAME
    con = duckdb.connect(
        str(database),
        read_only=True,
        config={"autoinstall_known_extensions": False, "autoload_known_extensions": False},
    )
    try:
        spill = tempfile.mkdtemp(prefix="bulle-duckdb-")
        allowed = [str(database), *(str(version_dir / t.file) for t in manifest.tables)]
        con.execute(f"SET temp_directory = {_quote(spill)}")
        con.execute(f"SET allowed_paths = [{', '.join(_quote(p) for p in allowed)}]")
        con.execute("SET enable_external_access = false")
    except Exception:
        con.close()
        raise
    return con
