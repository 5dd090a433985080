"""A small real warehouse with two projects, for the extraction tests.

:func:`make_warehouse` writes a policy (OMOP and SNDS sources; projects
``alpha`` and ``beta``, both granted ``omop.person`` differently, ``beta``
also ``snds.ir_ben_r``), synthesises 40 linked patients, and ingests both
sources into an embedded warehouse under ``<root>/state``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from bulle.policies.identifiers import KNOWN_DIRECT_IDENTIFIERS
from bulle.state import StateLayout
from bulle.warehouse.config import Warehouse
from bulle.warehouse.extract import ExtractRun, extract_project
from bulle.warehouse.ingest import ingest
from bulle.warehouse.synth import write_omop, write_snds

SECRET = b"extract-tests-warehouse-secret-0123456789abcdef"
PATIENTS = 40
NOW = dt.datetime(2026, 11, 25, 12, tzinfo=dt.UTC)

PLATFORM = """\
timezone: Europe/Paris
profiles:
  - {name: notebook, kind: notebook, cpu: 1, memory: 1G, image: example.org/nb:1, idle_timeout: 1h, max_lifetime: 12h}
roles:
  data_stewards: [ada]
"""

PROJECT = """\
id: {id}
title: Extraction test project {id}
status: approved
valid_from: 2026-01-01
valid_until: 2099-12-31
members:
  - {{user: {user}, role: researcher}}
profiles: [notebook]
quotas: {{bubbles_per_member: 1, bubbles_per_project: 2, cpu: 2, memory: 2G}}
grants:
{grants}
"""

#: alpha: some columns of omop.person, masked, filtered; every column but one of condition_occurrence.
ALPHA_GRANTS = """\
  - table: omop.person
    columns: [person_id, gender_concept_id, year_of_birth, location_id, person_source_value]
    masks:
      location_id: "null"
      year_of_birth: CASE WHEN year_of_birth < 1950 THEN 1950 ELSE year_of_birth END
    row_filter: gender_concept_id = 8507
  - table: omop.condition_occurrence
    columns: {all_but: [condition_source_value]}
"""

BETA_GRANTS = """\
  - table: omop.person
    columns: [person_id, year_of_birth]
  - table: snds.ir_ben_r
    columns: [ben_nir_psa, ben_sex_cod, ben_res_dpt]
    masks: {ben_res_dpt: "truncate:1"}
"""

#: Every SNDS direct identifier treated: pseudonymised, or dropped when it is a name.
SNDS_IDENTIFIERS = ["identifiers:"] + [
    f"  {column}: {'drop' if column.endswith('_NOM') else 'pseudonymise'}"
    for column in KNOWN_DIRECT_IDENTIFIERS["snds"]
]

SOURCES = {
    "ehr": """\
name: ehr
kind: omop
location: {data}/omop
namespace: omop
identifiers:
  person_id: pseudonymise
  person_source_value: pseudonymise
  provider_name: drop
  npi: drop
  dea: drop
  address_1: drop
  address_2: drop
  note_text: drop
  birth_datetime: {{generalise: year}}
""",
    "sniiram": """\
name: sniiram
kind: snds
location: {data}/snds
namespace: snds
tables:
  - {{files: "IR_BEN_R*.csv", table: ir_ben_r}}
"""
    + "".join(f"{line}\n" for line in SNDS_IDENTIFIERS),
}


@dataclass(frozen=True)
class TestWarehouse:
    root: Path
    policy_dir: Path
    settings: Warehouse

    __test__ = False

    @property
    def layout(self) -> StateLayout:
        return self.settings.layout

    def extract(self, project: str, now: dt.datetime = NOW) -> ExtractRun:
        return extract_project(self.settings, self.policy_dir, project, now)

    def write_project(self, project: str, user: str, grants: str) -> None:
        text = PROJECT.format(id=project, user=user, grants=grants)
        (self.policy_dir / "projects" / f"{project}.yaml").write_text(text, encoding="utf-8")

    def ingest(self, source: str) -> None:
        report = ingest(self.settings, self.policy_dir, source)
        assert report.committed, report.problems


def make_warehouse(root: Path) -> TestWarehouse:
    data = root / "data"
    write_omop(data / "omop", PATIENTS, seed=7)
    write_snds(data / "snds", PATIENTS, seed=7, only={"IR_BEN_R"})
    policy = root / "policy"
    (policy / "projects").mkdir(parents=True)
    (policy / "sources").mkdir()
    (policy / "platform.yaml").write_text(PLATFORM, encoding="utf-8")
    for name, text in SOURCES.items():
        (policy / "sources" / f"{name}.yaml").write_text(text.format(data=data), encoding="utf-8")
    key_file = root / "pseudonym.key"
    key_file.write_bytes(SECRET)
    settings = Warehouse(state_dir=str(root / "state"), pseudonym_key_file=str(key_file))
    StateLayout(root / "state").prepare_root()
    warehouse = TestWarehouse(root, policy, settings)
    warehouse.write_project("alpha", "alice", ALPHA_GRANTS)
    warehouse.write_project("beta", "bob", BETA_GRANTS)
    warehouse.ingest("ehr")
    warehouse.ingest("sniiram")
    return warehouse
