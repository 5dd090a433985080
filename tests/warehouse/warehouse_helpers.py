"""Helpers of the warehouse tests: policies on disk, ingest with invariant checks, scans for identifiers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa

from bulle.policies.identifiers import KNOWN_DIRECT_IDENTIFIERS
from bulle.warehouse.catalog import open_catalog
from bulle.warehouse.config import Warehouse
from bulle.warehouse.ingest import ingest
from bulle.warehouse.report import LoadReport

KEY_SECRET = b"test-secret-of-the-warehouse-0123456789abcdef"


def identifiers_block(kind: str, treatment: str = "pseudonymise") -> str:
    """An ``identifiers:`` YAML block treating every known direct identifier of ``kind``."""
    return "identifiers:\n" + "".join(f"  {column}: {treatment}\n" for column in KNOWN_DIRECT_IDENTIFIERS[kind])


PLATFORM_YAML = """\
timezone: Europe/Paris
profiles:
  - name: notebook
    kind: notebook
    cpu: 2
    memory: 4G
    image: example/notebook:1
    idle_timeout: 1h
    max_lifetime: 12h
roles:
  data_stewards: [ada]
"""


def write_policy(folder: Path, sources: dict[str, str]) -> Path:
    """A minimal policy folder holding ``sources/<name>.yaml`` for each text of ``sources``."""
    (folder / "sources").mkdir(parents=True, exist_ok=True)
    (folder / "platform.yaml").write_text(PLATFORM_YAML, encoding="utf-8")
    for name, text in sources.items():
        (folder / "sources" / f"{name}.yaml").write_text(text, encoding="utf-8")
    return folder


def run_ingest(settings: Warehouse, policy_dir: Path, name: str, **options: Any) -> LoadReport:
    """Ingest ``name`` and check what must hold after every run: the key is nowhere on disk."""
    report = ingest(settings, policy_dir, name, **options)
    assert_key_not_written(Path(settings.state_dir))
    return report


def assert_key_not_written(state: Path) -> None:
    for path in state.rglob("*"):
        if path.is_file():
            assert KEY_SECRET not in path.read_bytes(), f"the pseudonymisation key leaked into {path}"


def data_files(state: Path) -> list[Path]:
    return sorted((state / "warehouse" / "data").rglob("*.parquet"))


def string_values(table: pa.Table) -> set[str]:
    """Every value of every text column (JSON columns included, as text)."""
    values: set[str] = set()
    for field in table.schema:
        if pa.types.is_string(field.type) or pa.types.is_large_string(field.type):
            values.update(v for v in table.column(field.name).to_pylist() if v is not None)
    return values


def assert_no_identifier(tables: dict[str, pa.Table], identifiers: set[str], min_length: int = 6) -> None:
    """No identifier is any text value of any table, nor inside a longer text when it has ``min_length`` characters.

    Shorter identifiers (a 1-letter synthetic id) are only looked for as whole values: inside longer
    texts they match by chance.
    """
    long = {i for i in identifiers if len(i) >= min_length}
    short = {i for i in identifiers if 0 < len(i) < min_length}
    for name, table in tables.items():
        for value in string_values(table):
            assert value not in short, f"{value!r} survived in table {name}"
            for identifier in long:
                assert identifier not in value, f"{identifier!r} survived in table {name}: {value[:200]!r}"


def read_tables(settings: Warehouse, namespace: str) -> dict[str, pa.Table]:
    with open_catalog(settings) as catalog:
        return {ident[-1]: catalog.load_table(ident).scan().to_arrow() for ident in catalog.list_tables(namespace)}
