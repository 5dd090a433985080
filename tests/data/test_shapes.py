"""Table shapes read from the Iceberg catalog: columns, Trino types, pseudonym columns, and the refusals."""

from __future__ import annotations

import pyarrow as pa
import pytest
from click.testing import CliRunner

from bulle.cli import main
from bulle.policies import SourceKind, load_policy
from bulle.policies.tables import parse_table_shapes
from bulle.warehouse.catalog import open_catalog
from bulle.warehouse.shapes import FIXED_KIND_PSEUDONYMS, ShapeProblem, shapes_yaml, warehouse_shapes

from .extracts import TestWarehouse


def test_shapes_come_from_the_catalog_and_the_loading_source(warehouse: TestWarehouse) -> None:
    policy = load_policy(warehouse.policy_dir)
    with open_catalog(warehouse.settings) as catalog:
        shapes = warehouse_shapes(catalog, policy, ["omop.person", "snds.ir_ben_r"])
    person = shapes["omop.person"]
    assert person.pseudonyms == ("person_id", "person_source_value")
    assert person.columns["person_id"] == "bigint"
    assert person.columns["birth_datetime"] == "integer", "generalised to the year at ingest"
    assert person.columns["gender_source_value"] == "varchar"
    assert "_bulle_file" not in person.columns
    ben = shapes["snds.ir_ben_r"]
    assert all(c == c.lower() for c in ben.columns)
    assert {"ben_nir_psa", "ben_nir_ano", "ben_idt_ano", "ass_nir_ano"} <= set(ben.pseudonyms)
    assert ben.columns["ben_dcd_dte"] == "date"
    parsed = parse_table_shapes("shapes.yaml", shapes_yaml(shapes, "a header\nof two lines"))
    assert parsed == shapes


def test_a_table_bulle_did_not_load_or_whose_source_is_gone_is_refused(fresh_warehouse: TestWarehouse) -> None:
    with open_catalog(fresh_warehouse.settings) as catalog:
        catalog.create_table("omop.loaded_by_hand", schema=pa.schema([("person_id", pa.int64())]))
        policy = load_policy(fresh_warehouse.policy_dir)
        with pytest.raises(ShapeProblem, match=r"omop\.loaded_by_hand was not loaded by bulle ingest"):
            warehouse_shapes(catalog, policy, ["omop.loaded_by_hand"])
        with pytest.raises(ShapeProblem, match=r"the warehouse has no table omop\.nothing"):
            warehouse_shapes(catalog, policy, ["omop.nothing"])
        (fresh_warehouse.policy_dir / "sources" / "ehr.yaml").unlink()
        with pytest.raises(ShapeProblem, match="loaded by source 'ehr', which the policy no longer describes"):
            warehouse_shapes(catalog, load_policy(fresh_warehouse.policy_dir), ["omop.person"])


def test_fixed_format_kinds_name_their_pseudonym_columns() -> None:
    fhir = FIXED_KIND_PSEUDONYMS[SourceKind.fhir]
    assert fhir["patient"] == (("id", "patient"), ("resource",))
    assert fhir["*"] == (("patient",), ("resource",))
    assert FIXED_KIND_PSEUDONYMS[SourceKind.bids]["scans"][1] == ("participant_id", "file")


def test_bulle_warehouse_shapes_prints_the_granted_tables(warehouse: TestWarehouse) -> None:
    result = CliRunner().invoke(
        main,
        ["warehouse", "shapes", "--policy", str(warehouse.policy_dir), "--state", str(warehouse.layout.root)],
    )
    assert result.exit_code == 0, result.output
    tables = parse_table_shapes("out.yaml", result.output)
    assert not isinstance(tables, list)
    assert sorted(tables) == ["omop.condition_occurrence", "omop.person", "snds.ir_ben_r"]
