"""The demo warehouse: generate the demo sources, then ingest them, on the demo's first start.

(At every start the demo then extracts its projects' grants, a no-op when nothing changed:
see ``bulle demo``.)

The demo policy (``bulle/demo/policy/sources/``) describes six sources whose
locations are ``<state>/demo-data/<kind>``: an SNDS extract for the
``snds-cardio`` project, and the ``psy-cohort`` project's OMOP, FHIR, VCF,
DICOM and BIDS data, all of one synthetic population (see :mod:`.synth` and
:mod:`.samples`). The pseudonymisation key is made once, kept in
``<state>/warehouse/pseudonym.key`` (mode 0600).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from pathlib import Path

from bulle.state import StateLayout

from .config import Warehouse
from .ingest import ingest
from .report import LoadReport
from .samples import write_bids, write_dicom, write_fhir, write_vcf
from .synth import Patients, write_omop, write_snds

DEMO_PATIENTS = 200
DEMO_SEED = 2026
DEMO_SOURCES = ("snds-cardio", "psy-omop", "psy-fhir", "psy-vcf", "psy-dicom", "psy-bids")


def demo_data_dir(layout: StateLayout) -> Path:
    return layout.root / "demo-data"


def demo_key_file(layout: StateLayout) -> Path:
    return layout.warehouse_dir / "pseudonym.key"


def write_demo_data(folder: Path, patients: int = DEMO_PATIENTS, seed: int = DEMO_SEED) -> None:
    """Every demo source's files, for ``patients`` patients."""
    population = Patients.make(patients, seed)
    write_snds(folder / "snds", patients, seed, care_per_patient=6, files=3)
    write_omop(folder / "omop", patients, seed)
    write_fhir(folder / "fhir", population, min(patients, 50))
    write_vcf(folder / "vcf", population, min(patients, 50), seed)
    write_dicom(folder / "dicom", population, min(patients, 10))
    write_bids(folder / "bids", population, min(patients, 20))


def ensure_key_file(path: Path) -> Path:
    """A random 32-byte key (hex text) at ``path``, made once with mode 0600."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(secrets.token_hex(32))
    return path


def demo_settings(layout: StateLayout) -> Warehouse:
    """The demo's embedded warehouse, with its key (made on first use)."""
    return Warehouse(state_dir=str(layout.root), pseudonym_key_file=str(ensure_key_file(demo_key_file(layout))))


def prepare_demo_warehouse(
    layout: StateLayout, policy_dir: Path, echo: Callable[[str], None] = print
) -> list[LoadReport]:
    """Generate and ingest the demo sources the first time; later calls do nothing."""
    if layout.warehouse_catalog.exists():
        return []
    data = demo_data_dir(layout)
    if not data.exists():
        echo(f"Generating the demo's synthetic sources ({DEMO_PATIENTS} patients) in {data}")
        write_demo_data(data)
    settings = demo_settings(layout)
    reports = []
    for name in DEMO_SOURCES:
        if (policy_dir / "sources" / f"{name}.yaml").exists():
            report = ingest(settings, policy_dir, name)
            written = sum(t.rows_written for t in report.tables)
            echo(f"Loaded source {name}: {len(report.tables)} tables, {written} rows ({report.status})")
            reports.append(report)
    return reports
