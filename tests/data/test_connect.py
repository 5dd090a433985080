"""What a project's connection shows, and what it refuses, on a real extract of a real warehouse.

Project alpha is granted some columns of ``omop.person`` (masked, filtered)
and most of ``omop.condition_occurrence``; project beta other columns of
``omop.person`` and ``snds.ir_ben_r``. Each refusal sits beside the allowed
neighbour of the same kind.
"""

from __future__ import annotations

import duckdb
import pyarrow as pa
import pytest

from bulle.data import DataAccessProblem, connect, tables
from bulle.data.versions import ExtractVersions
from bulle.policies.pseudonyms import project_key, project_pseudonym
from bulle.warehouse.catalog import open_catalog

from .extracts import SECRET, TestWarehouse


def environment(warehouse: TestWarehouse, project: str) -> dict[str, str]:
    folder = ExtractVersions(warehouse.layout.data_dir(project)).current_dir()
    assert folder is not None
    return {"BULLE_DATA_DIR": str(folder), "BULLE_PROJECT": project}


def warehouse_table(warehouse: TestWarehouse, name: str) -> pa.Table:
    with open_catalog(warehouse.settings) as catalog:
        return catalog.load_table(name).scan().to_arrow()


@pytest.fixture(scope="module")
def alpha(warehouse: TestWarehouse) -> duckdb.DuckDBPyConnection:
    return connect(environment(warehouse, "alpha"))


@pytest.fixture(scope="module")
def beta(warehouse: TestWarehouse) -> duckdb.DuckDBPyConnection:
    return connect(environment(warehouse, "beta"))


def test_a_project_sees_exactly_its_granted_columns_and_rows_with_masks_applied(
    warehouse: TestWarehouse, alpha: duckdb.DuckDBPyConnection
) -> None:
    person = alpha.sql("SELECT * FROM omop_person")
    assert person.columns == ["person_id", "gender_concept_id", "year_of_birth", "location_id", "person_source_value"]
    rows = person.fetchall()
    source = warehouse_table(warehouse, "omop.person").to_pylist()
    kept = [r for r in source if r["gender_concept_id"] == 8507]
    assert 0 < len(rows) == len(kept) < len(source)
    key = project_key(SECRET, "alpha")
    expected = {
        (
            project_pseudonym(key, str(r["person_id"])),
            8507,
            max(r["year_of_birth"], 1950),
            None,
            project_pseudonym(key, r["person_source_value"]),
        )
        for r in kept
    }
    assert set(rows) == expected
    assert any(r["year_of_birth"] < 1950 for r in kept), "the test data should exercise the top-coding mask"


def test_all_but_leaves_out_only_the_named_column(warehouse: TestWarehouse, alpha: duckdb.DuckDBPyConnection) -> None:
    columns = alpha.sql("SELECT * FROM omop_condition_occurrence").columns
    source = [c for c in warehouse_table(warehouse, "omop.condition_occurrence").column_names if c != "_bulle_file"]
    assert columns == [c for c in source if c != "condition_source_value"]


def test_another_projects_tables_do_not_exist_in_a_connection(
    alpha: duckdb.DuckDBPyConnection, beta: duckdb.DuckDBPyConnection
) -> None:
    assert beta.sql("SELECT count(*) FROM snds_ir_ben_r").fetchone() == (40,)
    with pytest.raises(duckdb.CatalogException, match="snds_ir_ben_r does not exist"):
        alpha.sql("SELECT count(*) FROM snds_ir_ben_r")
    assert sorted(r[0] for r in alpha.sql("SHOW TABLES").fetchall()) == ["omop_condition_occurrence", "omop_person"]


def test_pseudonyms_agree_across_a_projects_tables_and_differ_between_projects(
    warehouse: TestWarehouse, alpha: duckdb.DuckDBPyConnection, beta: duckdb.DuckDBPyConnection
) -> None:
    alpha_people = {r[0] for r in alpha.sql("SELECT person_id FROM omop_person").fetchall()}
    joined = alpha.sql(
        "SELECT count(*) FROM omop_condition_occurrence c JOIN omop_person p USING (person_id)"
    ).fetchone()
    assert joined is not None
    assert joined[0] > 0
    beta_people = {r[0] for r in beta.sql("SELECT person_id FROM omop_person").fetchall()}
    assert len(beta_people) == 40
    assert alpha_people.isdisjoint(beta_people)
    warehouse_ids = {str(v) for v in warehouse_table(warehouse, "omop.person").column("person_id").to_pylist()}
    assert warehouse_ids.isdisjoint(alpha_people | beta_people)
    assert beta_people == {project_pseudonym(project_key(SECRET, "beta"), v) for v in warehouse_ids}


def test_one_patient_has_one_id_across_sources_within_a_project(
    warehouse: TestWarehouse, beta: duckdb.DuckDBPyConnection
) -> None:
    # person_source_value (OMOP) and BEN_NIR_PSA (SNDS) hold the same warehouse pseudonym for patient i,
    # so beta's ben_nir_psa re-keys to what a person_source_value grant would show.
    key = project_key(SECRET, "beta")
    people = warehouse_table(warehouse, "omop.person").column("person_source_value").to_pylist()
    shown = {r[0] for r in beta.sql("SELECT ben_nir_psa FROM snds_ir_ben_r").fetchall()}
    assert shown == {project_pseudonym(key, p) for p in people}


def test_masks_on_snds_columns(beta: duckdb.DuckDBPyConnection) -> None:
    lengths = {r[0] for r in beta.sql("SELECT DISTINCT length(ben_res_dpt) FROM snds_ir_ben_r").fetchall()}
    assert lengths <= {1, None}


def test_writes_through_the_connection_fail_but_temporary_tables_work(alpha: duckdb.DuckDBPyConnection) -> None:
    refused = [
        "CREATE TABLE mine AS SELECT 1",
        "CREATE SCHEMA mine",
        "DROP VIEW omop_person",
        "CREATE OR REPLACE VIEW omop_person AS SELECT 1 AS x",
    ]
    for statement in refused:
        with pytest.raises(duckdb.Error, match="read-only mode"):
            alpha.execute(statement)
    alpha.execute("CREATE TEMP TABLE scratch AS SELECT count(*) AS n FROM omop_person")
    assert alpha.sql("SELECT n FROM scratch").fetchone() == alpha.sql("SELECT count(*) FROM omop_person").fetchone()


def test_files_outside_the_extract_cannot_be_read_or_written(
    warehouse: TestWarehouse, alpha: duckdb.DuckDBPyConnection, tmp_path_factory: pytest.TempPathFactory
) -> None:
    folder = ExtractVersions(warehouse.layout.data_dir("alpha")).current_dir()
    assert folder is not None
    own = folder / "omop_person.parquet"
    assert alpha.sql(f"SELECT count(*) FROM read_parquet('{own}')").fetchone() == (18,)
    beta_file = ExtractVersions(warehouse.layout.data_dir("beta")).current_dir() / "snds_ir_ben_r.parquet"  # type: ignore[operator]
    warehouse_file = next(warehouse.layout.warehouse_data.rglob("*.parquet"))
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    refused = [
        "SELECT * FROM read_csv('/etc/passwd')",
        f"SELECT * FROM read_parquet('{beta_file}')",
        f"SELECT * FROM read_parquet('{warehouse_file}')",
        f"SELECT * FROM read_parquet('{folder}/../../../beta/data/current/snds_ir_ben_r.parquet')",
        f"ATTACH '{elsewhere}/other.duckdb' AS other",
        f"COPY omop_person TO '{elsewhere}/leak.csv'",
        f"COPY omop_person TO '{folder}/leak.csv'",
        "SELECT * FROM glob('/etc/*')",
        f"INSTALL '{elsewhere}/x.duckdb_extension'",
    ]
    for statement in refused:
        with pytest.raises(duckdb.PermissionException, match="disabled by configuration"):
            alpha.execute(statement)
    with pytest.raises(duckdb.Error, match="Cannot enable external access"):
        alpha.execute("SET enable_external_access = true")
    assert not list(elsewhere.iterdir())


def test_tables_lists_granted_tables_with_columns_and_snapshots(warehouse: TestWarehouse) -> None:
    listed = tables(environment(warehouse, "beta"))
    assert [t.name for t in listed] == ["omop_person", "snds_ir_ben_r"]
    person = listed[0]
    assert person.table == "omop.person"
    assert person.columns == (("person_id", "VARCHAR"), ("year_of_birth", "BIGINT"))
    with open_catalog(warehouse.settings) as catalog:
        current = catalog.load_table("omop.person").current_snapshot()
    assert current is not None
    assert person.snapshot_id == current.snapshot_id
    assert person.rows == 40


def test_a_bubble_without_an_extract_is_told_why() -> None:
    with pytest.raises(DataAccessProblem, match=r"gamma had no data extract.*bulle extract gamma"):
        connect({"BULLE_PROJECT": "gamma"})
    with pytest.raises(DataAccessProblem, match="must be one of duckdb, trino"):
        connect({"BULLE_DATA_BACKEND": "postgres"})
