"""The manifest of one extract version: what it holds and where it comes from.

An extract *version* (``<state>/projects/<id>/data/v<N>/``, see
:mod:`bulle.data.versions`) holds one Parquet file per granted table, a
DuckDB database file with one view per table over those files, and
``manifest.json``, written last::

    {
      "format": 1,
      "project": "psy-cohort",
      "version": "v3",
      "created": "2026-05-01T12:00:00Z",
      "plan_sha256": "…",            # digest of what decides the content (below)
      "pseudonym_key_id": "…",       # the warehouse key's id (reveals nothing about it)
      "tables": [
        {"name": "omop_person", "table": "omop.person", "grant": 0,
         "grant_sha256": "…", "snapshot_id": 4512301234, "rows": 200,
         "file": "omop_person.parquet",
         "columns": [{"name": "person_id", "type": "VARCHAR", "how": "re-keyed"}, …]}
      ]
    }

The *plan* is what the content depends on: the project, the key id, and for
each grant its view name, table, digest (the canonical grant and its rendered
SQL) and source snapshot. Two runs with the same plan make the same extract,
so the second one is a no-op.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

FORMAT = 1
MANIFEST_NAME = "manifest.json"
DATABASE_NAME = "extract.duckdb"


class ManifestProblem(Exception):
    """A manifest that is missing or cannot be read."""


@dataclass(frozen=True)
class ExtractColumn:
    name: str
    type: str
    how: str


@dataclass(frozen=True)
class ExtractTable:
    """One granted table in an extract: its view, its source and how many rows it holds."""

    name: str
    table: str
    grant: int
    grant_sha256: str
    snapshot_id: int
    rows: int
    file: str
    columns: tuple[ExtractColumn, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "table": self.table,
            "grant": self.grant,
            "grant_sha256": self.grant_sha256,
            "snapshot_id": self.snapshot_id,
            "rows": self.rows,
            "file": self.file,
            "columns": [{"name": c.name, "type": c.type, "how": c.how} for c in self.columns],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ExtractTable:
        return cls(
            name=data["name"],
            table=data["table"],
            grant=int(data["grant"]),
            grant_sha256=data["grant_sha256"],
            snapshot_id=int(data["snapshot_id"]),
            rows=int(data["rows"]),
            file=data["file"],
            columns=tuple(ExtractColumn(c["name"], c["type"], c["how"]) for c in data["columns"]),
        )


@dataclass(frozen=True)
class Manifest:
    project: str
    version: str
    created: str
    plan_sha256: str
    pseudonym_key_id: str
    tables: tuple[ExtractTable, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "project": self.project,
            "version": self.version,
            "created": self.created,
            "plan_sha256": self.plan_sha256,
            "pseudonym_key_id": self.pseudonym_key_id,
            "tables": [t.as_dict() for t in self.tables],
        }

    def to_json(self) -> str:
        return json.dumps(self.as_dict(), indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Manifest:
        if data.get("format") != FORMAT:
            raise ManifestProblem(f"extract manifest format {data.get('format')!r} is not {FORMAT}")
        return cls(
            project=data["project"],
            version=data["version"],
            created=data["created"],
            plan_sha256=data["plan_sha256"],
            pseudonym_key_id=data["pseudonym_key_id"],
            tables=tuple(ExtractTable.from_dict(t) for t in data["tables"]),
        )


def plan_digest(project: str, key_id: str, grants: Sequence[tuple[str, str, str, int]]) -> str:
    """The digest of an extract's plan: project, key id, and (view, table, grant digest, snapshot) per grant."""
    plan = {"format": FORMAT, "project": project, "key_id": key_id, "grants": [list(g) for g in grants]}
    return hashlib.sha256(json.dumps(plan, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def read_manifest(version_dir: Path) -> Manifest:
    """The manifest of the extract version in ``version_dir``."""
    path = version_dir / MANIFEST_NAME
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ManifestProblem(f"{version_dir} holds no complete extract ({MANIFEST_NAME} is missing)") from None
    except (OSError, ValueError) as exc:
        raise ManifestProblem(f"cannot read {path}: {exc}") from None
    try:
        return Manifest.from_dict(data)
    except (KeyError, TypeError, ValueError) as exc:
        raise ManifestProblem(f"{path} is not an extract manifest: {exc}") from None
